//! Numeric options out of range and the exit codes of output errors, each by the command that
//! showed it (issue 16, items 4 and 9): a value outside its range (src/limits.rs) is a usage
//! error, exit 2, naming the option and the range, before any part is read; an output that
//! cannot be written is exit 2 as the README says; numbers that start with `-` reach their
//! check instead of being "unexpected argument".

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn run(args: &[&str]) -> Run {
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        took: started.elapsed(),
    }
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .display()
        .to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `estimate` on the ribbed plate with `extra` and requires clap's usage error: exit 2,
/// the option and `words` on standard error, nothing on standard output, and at once (these
/// values used to allocate gigabytes or never finish).
fn refused(extra: &[&str], option: &str, words: &str) {
    let plate = sample("ribbed_plate.stl");
    let mut args = vec!["estimate", plate.as_str()];
    args.extend_from_slice(extra);
    let r = run(&args);
    let ctx = format!("{extra:?}: {}", r.stderr);
    assert_eq!(r.code, 2, "{ctx}");
    assert!(r.stderr.contains(option), "{ctx}");
    assert!(r.stderr.contains(words), "{ctx}");
    assert!(!r.stderr.contains("unexpected argument"), "{ctx}");
    assert!(r.stdout.is_empty(), "{ctx}");
    assert!(r.took < Duration::from_secs(5), "{ctx}: {:?}", r.took);
}

#[test]
fn numeric_options_outside_their_range_are_usage_errors() {
    refused(
        &["--layer-mm", "1e-4"],
        "--layer-mm",
        "must be a layer height in mm from 0.01 to 2.4",
    );
    refused(
        &["--thickness-samples", "18446744073709551615"],
        "--thickness-samples",
        "must be a whole number of samples from 1 to 1000000",
    );
    for angle in ["NaN", "inf", "-inf", "361"] {
        refused(
            &["--angle-deg", angle],
            "--angle-deg",
            "must be an angle in degrees from -360 to 360",
        );
    }
    for volume in ["1e308", "0", "NaN", "-5"] {
        refused(
            &["--volume", volume],
            "--volume",
            "must be a number of parts a year from 1 to 1000000000",
        );
    }
    for variants in ["4294967296", "0", "1000000001"] {
        refused(
            &["--variants", variants],
            "--variants",
            "must be a whole number of variants from 1 to 1000000000",
        );
    }
    refused(&["--nozzle-mm", "0.01"], "--nozzle-mm", "from 0.1 to 3");
    refused(&["--perimeters", "1000"], "--perimeters", "from 1 to 50");
    refused(&["--fleet", "0"], "--fleet", "from 1 to 1000000");
    refused(
        &["--infill", "NaN"],
        "--infill",
        "a percentage from 0 to 100",
    );
    refused(
        &["--lattice", "infill", "--infill-percent", "150"],
        "--infill-percent",
        "a percentage from 0 to 100",
    );
    refused(
        &["--pore-mm", "inf"],
        "--pore-mm",
        "above 0 and at most 100000",
    );
    refused(
        &["--weld-tol", "50"],
        "--weld-tol",
        "above 0 and at most 10",
    );
    refused(
        &["--normal", "1e300,0,1"],
        "--normal",
        "3 comma-separated numbers from -1000000 to 1000000",
    );
    refused(&["--normal", "0,0,0"], "--normal", "must not be all zero");
}

#[test]
fn the_layer_is_checked_against_the_nozzle() {
    // 0.02 mm passes the option's own range but is 1/20 of the 0.4 mm nozzle: at most 1/8
    // (0.05 mm) is printable. Refused by the estimate options, still a usage error.
    let plate = sample("ribbed_plate.stl");
    let r = run(&["estimate", &plate, "--layer-mm", "0.02"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--layer-mm 0.02 mm is less than 1/8 of the 0.4 mm nozzle (0.050 mm)"),
        "{}",
        r.stderr
    );
    // And the other way: 0.09 mm is more than 80 % of a 0.1 mm nozzle (0.08 mm).
    let r = run(&[
        "estimate",
        &plate,
        "--layer-mm",
        "0.09",
        "--nozzle-mm",
        "0.1",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("more than 80 % of the 0.1 mm nozzle"),
        "{}",
        r.stderr
    );
}

#[test]
fn values_at_the_edges_of_the_ranges_are_taken() {
    let plate = sample("ribbed_plate.stl");
    let r = run(&[
        "estimate",
        &plate,
        "--format",
        "json",
        "--lattice",
        "none",
        "--volume",
        "1e9",
        "--variants",
        "1000000000",
        "--layer-mm",
        "0.05",
        "--angle-deg",
        "-360",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["annual_volume"].as_f64(), Some(1e9), "{v}");
    assert_eq!(v["variants"].as_u64(), Some(1_000_000_000), "{v}");
}

#[test]
fn negative_numbers_reach_their_check() {
    let plate = sample("ribbed_plate.stl");
    // A negative height is refused as below the part's lowest point, not as an argument.
    let r = run(&["estimate", &plate, "--height", "-3"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "invalid value '-3' for '--height <MM>': must be a cut height in mm (from the part's lowest point) above 0"
        ),
        "{}",
        r.stderr
    );

    // Negative components of --normal and --plane are taken: the ribbed plate turned upside
    // down (ribs towards -z) splits along -z into the same 3 mm plate (120 x 80 x 3 =
    // 28800 mm3) and 14400 mm3 of ribs (1200 mm2 of footprint, 12 mm tall).
    let dir = tempfile::tempdir().unwrap();
    let mut part = hybridplan::samples::ribbed_plate().mesh();
    for p in &mut part.vertices {
        p.z = -p.z;
    }
    for t in &mut part.triangles {
        t.swap(1, 2);
    }
    let flipped = dir.path().join("flipped.stl");
    hybridplan::mesh::stl::write_binary(&flipped, &part, "flipped").unwrap();
    let out = dir.path().join("out");
    for how in [
        vec!["--normal", "0,0,-1"],
        // From the lowest point along -z (the plate's face at z = 0) 3 mm in: z = -3.
        vec!["--normal", "0,0,-1", "--height", "3"],
        vec!["--plane", "-10,-20,-3,0,0,-1"],
    ] {
        let mut args = vec!["split", s(&flipped), "--out", s(&out), "--format", "json"];
        args.extend_from_slice(&how);
        let r = run(&args);
        assert_eq!(r.code, 0, "{how:?}: {}", r.stderr);
        let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
        let f = |k: &str| v[k].as_f64().unwrap();
        assert!((f("plate_thickness_mm") - 3.0).abs() < 1e-9, "{how:?}: {v}");
        assert!(
            (f("baseplate_volume_mm3") - 28_800.0).abs() < 1e-6,
            "{how:?}: {v}"
        );
        assert!(
            (f("molded_volume_mm3") - 14_400.0).abs() < 1e-6,
            "{how:?}: {v}"
        );
    }
}

#[test]
fn an_out_that_is_a_file_is_a_usage_error_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taken");
    std::fs::write(&file, b"not a folder").unwrap();
    let plate = sample("ribbed_plate.stl");
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for args in [
        vec!["split", plate.as_str(), "--out", s(&file)],
        vec!["plan", plate.as_str(), "--out", s(&file)],
        vec!["plan", "--out", s(&file)],
        vec!["batch", s(&catalog), "--out", s(&file)],
        vec!["merge", s(dir.path()), "--out", s(&file)],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let want = format!("error: --out {} is a file, not a folder", file.display());
        assert!(r.stderr.starts_with(&want), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("os error"), "{args:?}: {}", r.stderr);
        assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");
    }
}

/// A folder where `split` and `plan` must write `ribbed_plate.baseplate.stl`: the output
/// cannot be written (and a file further down a path that is a file: neither can the folder).
fn blocked_outputs(dir: &Path) -> Vec<PathBuf> {
    let squatted = dir.join("squatted");
    std::fs::create_dir_all(squatted.join("ribbed_plate.baseplate.stl")).unwrap();
    std::fs::write(dir.join("blocker"), b"x").unwrap();
    vec![squatted, dir.join("blocker").join("sub")]
}

#[test]
fn output_errors_of_split_and_plan_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let plate = sample("ribbed_plate.stl");
    for out in blocked_outputs(dir.path()) {
        for command in ["split", "plan"] {
            let r = run(&[command, &plate, "--out", s(&out), "--lattice", "none"]);
            let ctx = format!("{command} --out {}: {}", out.display(), r.stderr);
            assert_eq!(r.code, 2, "{ctx}");
            assert!(r.stderr.starts_with("error: cannot write"), "{ctx}");
            assert!(r.stderr.contains(s(&out)), "{ctx}");
            assert!(!r.stderr.contains("panicked"), "{ctx}");
        }
    }
    // An input error beside it is still reported, and the output error decides the code;
    // an input error alone stays exit 1.
    let missing = dir.path().join("missing.stl");
    let squatted = dir.path().join("squatted");
    let r = run(&["split", s(&missing), &plate, "--out", s(&squatted)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    let fine = dir.path().join("fine");
    let r = run(&["split", s(&missing), &plate, "--out", s(&fine)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn manifest_variants_beyond_the_range_make_an_error_row_not_a_clamped_one() {
    let dir = tempfile::tempdir().unwrap();
    let plate = sample("ribbed_plate.stl");
    let manifest = dir.path().join("m.csv");
    std::fs::write(
        &manifest,
        format!("file,variants,annual_volume\n{plate},4294967296,\n{plate},12,1000000001\n{plate},1000000000,\n"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(&["batch", s(&manifest), "--out", s(&out), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<Value> = std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    let e0 = rows[0]["error"].as_str().unwrap();
    assert!(
        e0.contains(
            "variants '4294967296': must be a whole number of variants from 1 to 1000000000"
        ),
        "{e0}"
    );
    let e1 = rows[1]["error"].as_str().unwrap();
    assert!(
        e1.contains("annual_volume '1000000001': must be a whole number of parts a year from 1 to 1000000000"),
        "{e1}"
    );
    assert_eq!(rows[2]["status"], "ok", "{}", rows[2]);
    assert_eq!(rows[2]["variants"].as_f64(), Some(1e9), "{}", rows[2]);
}

#[test]
fn a_models_file_with_a_tiny_layer_or_nozzle_is_refused_too() {
    // The embedded printers model with the desktop printer's 0.2 mm layer made 0.0001 mm
    // (the --layer-mm 1e-4 that used to abort on a multi-GB allocation), then its 0.4 mm
    // nozzle made 0.001 mm with 0.0001 mm layers (1/10 of it: the ratio alone would pass).
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/printers.toml"))
            .unwrap();
    assert!(text.contains("layer_height_mm = 0.2\n"));
    let plate = sample("ribbed_plate.stl");
    for (name, changed, words) in [
        (
            "layer",
            text.replacen("layer_height_mm = 0.2\n", "layer_height_mm = 0.0001\n", 1),
            "the layer height of printer 'desktop_fff': 0.0001 is not a layer height in mm from 0.01 to 2.4",
        ),
        (
            "nozzle",
            text.replacen("layer_height_mm = 0.2\n", "layer_height_mm = 0.0001\n", 1)
                .replacen("nozzle_mm = 0.4\n", "nozzle_mm = 0.001\n", 1),
            "the nozzle of printer 'desktop_fff': 0.001 is not a nozzle diameter in mm from 0.1 to 3",
        ),
    ] {
        let models = dir.path().join(name);
        std::fs::create_dir_all(&models).unwrap();
        std::fs::write(models.join("printers.toml"), changed).unwrap();
        let r = run(&["estimate", &plate, "--models", s(&models)]);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(words), "{name}: {}", r.stderr);
        assert!(r.took < Duration::from_secs(5), "{name}: {:?}", r.took);
    }
}
