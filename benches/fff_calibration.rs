//! FFF build-time calibration: hybridplan's estimate against PrusaSlicer's own G-code time
//! estimate for the 8 generated samples and the peers' real CAD exports.
//!
//!     cargo bench --bench fff_calibration
//!
//! PrusaSlicer runs through the peers' script `../shared/peers/prusa_time.sh` with the
//! reference profile (`prusa_generic_pla_0.4n_0.2mm.ini`, the desktop_fff printer); set
//! `PEERS_DIR` to use another peers directory. Missing models or a missing prusa-slicer are
//! skipped with a message; hybridplan's figure is printed anyway. `PRUSA_JSON_DIR=DIR` reads
//! PrusaSlicer's answers from `DIR/NAME.json` (the script's output) instead of slicing again.
//!
//! Prints a Markdown table: part, triangles, hybridplan s, PrusaSlicer s, ratio, and the
//! estimate's breakdown; its last row is the split bench's part (`wavy_plate(50, 2500)`,
//! 1,000,012 triangles), whose estimate time is then given against PrusaSlicer's slicing of
//! it, measured in the same run, with the load average.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use hybridplan::mesh::{LoadOptions, Units, load};
use hybridplan::models::default_printer;
use hybridplan::process::fff::{FffSettings, estimate_fff};
use nalgebra::{Unit, Vector3};

/// How PrusaSlicer is told to place a model, and the same as our build axis.
#[derive(Clone, Copy)]
enum Up {
    Z,
    /// `--rotate-x 180`: the model's -z is up.
    MinusZ,
    /// `--rotate-x 90`: the model's +y is up.
    Y,
}

struct Case {
    name: &'static str,
    file: PathBuf,
    units: Units,
    up: Up,
}

fn cases(package: &Path, peers: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    for name in [
        "ribbed_plate",
        "grid_plate",
        "rounded_plate",
        "curved_ribs",
        "heat_sink",
        "bossed_plate",
        "double_sided",
        "block",
    ] {
        out.push(Case {
            name,
            file: package.join("samples").join(format!("{name}.stl")),
            units: Units::Mm,
            up: Up::Z,
        });
    }
    let m = peers.join("models");
    let real: [(&str, &str, Units, Up); 18] = [
        ("lego", "mcad_lego_brick_2x4.stl", Units::Mm, Up::MinusZ),
        ("idler", "trimesh_idler_riser.STL", Units::In, Up::Z),
        ("featuretype", "trimesh_featuretype.STL", Units::In, Up::Z),
        ("angle_block", "trimesh_angle_block.STL", Units::In, Up::Z),
        (
            "pcbvicebar",
            "openscad-testing_bad-stl-pcbvicebar.stl",
            Units::Mm,
            Up::Z,
        ),
        ("adis", "trimesh_ADIS16480.STL", Units::M, Up::Z),
        ("cube", "trimesh_20mm-xyz-cube.stl", Units::Mm, Up::Z),
        ("screw", "prusaslicer_M3x10_screw.stl", Units::Mm, Up::Z),
        ("bunny", "prusaslicer_bunny.stl", Units::Mm, Up::Z),
        ("gear", "mcad_gear_simple_test.stl", Units::Mm, Up::Z),
        ("octagonal", "trimesh_octagonal_pocket.stl", Units::M, Up::Z),
        ("teapot", "trimesh_teapot.stl", Units::Mm, Up::Z),
        ("ex017", "openscad_example017.stl", Units::Mm, Up::Z),
        ("ex019", "openscad_example019.stl", Units::Mm, Up::Z),
        ("plate_holes", "trimesh_plate_holes.STL", Units::Mm, Up::Z),
        ("tray", "trimesh_1002_tray_bottom.STL", Units::Mm, Up::Y),
        ("ex024", "openscad_example024.stl", Units::Mm, Up::Z),
        ("counter", "trimesh_counter.unitsmm.STL", Units::Mm, Up::Z),
    ];
    for (name, file, units, up) in real {
        out.push(Case {
            name,
            file: m.join(file),
            units,
            up,
        });
    }
    out
}

/// PrusaSlicer's options for the same placement and units.
fn prusa_args(c: &Case) -> Vec<String> {
    let mut a = Vec::new();
    if c.units != Units::Mm {
        a.push("--scale".to_string());
        a.push(c.units.mm_per_unit().to_string());
    }
    match c.up {
        Up::Z => {}
        Up::MinusZ => a.extend(["--rotate-x".to_string(), "180".to_string()]),
        Up::Y => a.extend(["--rotate-x".to_string(), "90".to_string()]),
    }
    a
}

/// PrusaSlicer's answer for `c` (the script's JSON line), from the cache directory or by
/// slicing.
fn prusa_answer(c: &Case, peers: &Path) -> Result<serde_json::Value, String> {
    let text = match std::env::var_os("PRUSA_JSON_DIR") {
        Some(dir) => std::fs::read_to_string(Path::new(&dir).join(format!("{}.json", c.name)))
            .map_err(|e| format!("no cached answer: {e}"))?,
        None => {
            let script = peers.join("prusa_time.sh");
            if !script.exists() {
                return Err(format!("{} missing", script.display()));
            }
            let out = Command::new("bash")
                .arg(&script)
                .arg(&c.file)
                .args(prusa_args(c))
                .output()
                .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                return Err(err.lines().next().unwrap_or("failed").to_string());
            }
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    serde_json::from_str(text.trim()).map_err(|e| e.to_string())
}

/// PrusaSlicer's estimated time (s), from the cache directory or by slicing.
fn prusa_time_s(c: &Case, peers: &Path) -> Result<f64, String> {
    prusa_answer(c, peers)?["time_s"]
        .as_f64()
        .ok_or_else(|| "no time_s in PrusaSlicer's answer".to_string())
}

/// The 1-minute load average (Linux), to judge whether other work shared the cores.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

/// The split bench's part, `wavy_plate(50, 2500)` (1,000,012 triangles: 50 ribs of finely
/// sampled sine walls), written as binary STL: our estimate's time against PrusaSlicer's
/// slice and G-code export of the same file (its `slice_wall_s`), measured one after the
/// other in this run, and the print times.
fn bench_part(peers: &Path, settings: &FffSettings, printer: &hybridplan::models::FffPrinter) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return eprintln!("bench part skipped: no temporary folder ({e})"),
    };
    let file = dir.path().join("wavy_plate_50x2500.stl");
    let mesh = hybridplan::samples::wavy_plate(50, 2500).mesh();
    if let Err(e) = hybridplan::mesh::stl::write_binary(&file, &mesh, "wavy_plate") {
        return eprintln!("bench part skipped: {e}");
    }
    // The mesh as the estimate sees it: read back from the file (welded, checked).
    let mesh = match load(&file, &LoadOptions::default()) {
        Ok(m) => m.mesh,
        Err(e) => return eprintln!("bench part skipped: {e}"),
    };
    let load_before = load_average();
    let t0 = Instant::now();
    let est = estimate_fff(&mesh, &Vector3::z_axis(), settings, printer);
    let ours_s = t0.elapsed().as_secs_f64();
    let case = Case {
        name: "wavy_plate_50x2500",
        file: file.clone(),
        units: Units::Mm,
        up: Up::Z,
    };
    let (prusa, ratio, speed) = match prusa_answer(&case, peers) {
        Ok(v) => match (v["time_s"].as_f64(), v["slice_wall_s"].as_f64()) {
            (Some(t), Some(wall)) => (
                format!("{t:.0}"),
                format!("{:.3}", est.time_s / t),
                format!(
                    "PrusaSlicer slice + G-code export {wall:.2} s: {:.1} x our estimate",
                    wall / ours_s
                ),
            ),
            _ => ("-".into(), "-".into(), "no PrusaSlicer time".into()),
        },
        Err(e) => (
            "-".into(),
            "-".into(),
            format!("no PrusaSlicer figure ({e})"),
        ),
    };
    println!(
        "| wavy_plate(50, 2500) | {} | {:.0} | {} | {} | {:.0} | {:.0} / {:.0} / {:.0} / {:.0} / {:.0} / {:.0} | {:.1} / {:.1} / {:.1} | {} |",
        mesh.triangles.len(),
        est.time_s,
        prusa,
        ratio,
        ours_s * 1e3,
        est.perimeters_s,
        est.infill_s,
        est.solid_s,
        est.travel_s,
        est.overhead_s,
        est.cooling_slowdown_s,
        est.perimeter_mm / 1e3,
        est.sparse_infill_mm / 1e3,
        est.solid_infill_mm / 1e3,
        est.retractions
    );
    println!(
        "\nbench part wavy_plate(50, 2500): our estimate {:.0} ms; {speed}; load average {load_before} before, {} after",
        ours_s * 1e3,
        load_average()
    );
}

fn main() {
    let package = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peers = std::env::var_os("PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| package.join("../shared/peers"));
    let printer = default_printer();
    let settings = FffSettings::for_printer(&printer);
    println!(
        "| part | triangles | hybridplan s | PrusaSlicer s | ratio | estimate ms | perimeters / sparse / solid / travel / overhead / cooling s | perimeter / sparse / solid path m | retractions |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for c in cases(&package, &peers) {
        if !c.file.exists() {
            eprintln!("skipped {}: {} missing", c.name, c.file.display());
            continue;
        }
        let opts = LoadOptions {
            units: Some(c.units),
            ..LoadOptions::default()
        };
        let mesh = match load(&c.file, &opts) {
            Ok(m) => m.mesh,
            Err(e) => {
                eprintln!("skipped {}: {e}", c.name);
                continue;
            }
        };
        let axis = match c.up {
            Up::Z => Vector3::z_axis(),
            Up::MinusZ => -Vector3::z_axis(),
            Up::Y => Vector3::y_axis(),
        };
        let axis: Unit<Vector3<f64>> = axis;
        let t0 = Instant::now();
        let est = estimate_fff(&mesh, &axis, &settings, &printer);
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let (prusa, ratio) = match prusa_time_s(&c, &peers) {
            Ok(p) => {
                let r = est.time_s / p;
                ratios.push((c.name, r));
                (format!("{p:.0}"), format!("{r:.3}"))
            }
            Err(e) => {
                eprintln!("{}: no PrusaSlicer figure ({e})", c.name);
                ("-".to_string(), "-".to_string())
            }
        };
        println!(
            "| {} | {} | {:.0} | {} | {} | {:.0} | {:.0} / {:.0} / {:.0} / {:.0} / {:.0} / {:.0} | {:.1} / {:.1} / {:.1} | {} |",
            c.name,
            mesh.triangles.len(),
            est.time_s,
            prusa,
            ratio,
            ms,
            est.perimeters_s,
            est.infill_s,
            est.solid_s,
            est.travel_s,
            est.overhead_s,
            est.cooling_slowdown_s,
            est.perimeter_mm / 1e3,
            est.sparse_infill_mm / 1e3,
            est.solid_infill_mm / 1e3,
            est.retractions
        );
    }
    bench_part(&peers, &settings, &printer);
    if !ratios.is_empty() {
        let worst = ratios
            .iter()
            .max_by(|a, b| (a.1 - 1.0).abs().total_cmp(&(b.1 - 1.0).abs()))
            .unwrap();
        let mean = ratios.iter().map(|r| r.1).sum::<f64>() / ratios.len() as f64;
        println!(
            "\n{} parts, mean ratio {:.3}, worst {} at {:.3}",
            ratios.len(),
            mean,
            worst.0,
            worst.1
        );
    }
}
