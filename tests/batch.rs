//! `hybridplan batch` and `hybridplan merge` through the binary, on sample parts and broken
//! files generated into temporary folders: one row per entry with the figures `split` and
//! `inspect` give, error rows for broken parts, a killed run resumed to the same files, shards
//! merged to the unsharded result, manifests with overrides and relative paths.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hybridplan::mesh::Mesh;
use hybridplan::mesh::stl::write_binary;
use hybridplan::samples::{self, Layer};
use nalgebra::Point3;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes every sample part as `NAME.stl` into `dir`; returns the files.
fn write_samples(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    samples::all()
        .iter()
        .map(|p| {
            let f = dir.join(format!("{}.stl", p.name));
            write_binary(&f, &p.mesh(), p.name).unwrap();
            f
        })
        .collect()
}

fn cube_mm(side: f64) -> Mesh {
    samples::extrude_layers(&[Layer {
        z0: 0.0,
        z1: side,
        rings: vec![samples::rect(0.0, 0.0, side, side)],
    }])
    .unwrap()
}

/// Broken parts, each with words its error must contain.
fn write_broken(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    std::fs::create_dir_all(dir).unwrap();
    let empty = dir.join("empty.stl");
    std::fs::write(&empty, b"").unwrap();
    // A good binary STL cut in the middle of its fourth triangle.
    let good = dir.join("whole.tmp");
    write_binary(&good, &samples::ribbed_plate().mesh(), "x").unwrap();
    let bytes = std::fs::read(&good).unwrap();
    std::fs::remove_file(&good).unwrap();
    let truncated = dir.join("truncated.stl");
    std::fs::write(&truncated, &bytes[..84 + 50 * 3 + 20]).unwrap();
    // A cube with a fin: one more triangle on one of its edges.
    let mut cube = cube_mm(10.0);
    let (a, b) = (cube.triangles[0][0], cube.triangles[0][1]);
    cube.vertices.push(Point3::new(-5.0, -5.0, 20.0));
    let c = (cube.vertices.len() - 1) as u32;
    cube.triangles.push([a, b, c]);
    let non_manifold = dir.join("non_manifold.stl");
    write_binary(&non_manifold, &cube, "fin").unwrap();
    // A plain cube: a closed solid without a plate, so no hybrid route; it is not broken
    // (printing and molding still cost it), and stands among the broken files as a row
    // that must stay ok.
    let plateless = dir.join("cube.stl");
    write_binary(&plateless, &cube_mm(30.0), "cube").unwrap();
    vec![
        (empty, "file is empty"),
        (truncated, "size mismatch"),
        (non_manifold, "non-manifold"),
    ]
}

fn jsonl(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// Both result files of two batch folders are equal byte for byte.
fn assert_same_results(a: &Path, b: &Path) {
    for name in ["results.csv", "results.jsonl"] {
        let (x, y) = (read(a, name), read(b, name));
        assert!(
            x == y,
            "{name} differ:\n{}\n---\n{}",
            a.display(),
            b.display()
        );
    }
}

/// The figure of `key` equals split's `value` (to the last bit: same code, same input).
fn same(row: &Value, key: &str, value: &Value) {
    assert_eq!(&row[key], value, "{key} of {}", row["file"]);
}

/// The columns of the hybrid route, empty for a part without a plate.
const HYBRID_COLUMNS: [&str; 9] = [
    "cost_per_part_hybrid",
    "tooling_cost_hybrid",
    "cycle_time_hybrid_s",
    "cavities_hybrid",
    "fleet_printers_hybrid",
    "fleet_molding_machines_hybrid",
    "lead_time_hybrid_s",
    "energy_per_part_hybrid_kwh",
    "co2_per_part_hybrid_kg",
];

/// A batch row's figures of every route equal those of `estimate --format json` (`sp`) for
/// the same part, and are real numbers where the route is available.
fn assert_same_route_figures(r: &Value, sp: &Value) {
    for route in ["am", "im", "hybrid"] {
        let e = &sp["routes"][route];
        if e["available"] == false {
            for key in [
                format!("cost_per_part_{route}"),
                format!("cycle_time_{route}_s"),
            ] {
                assert_eq!(r[&key], Value::Null, "{key} of {}", r["file"]);
            }
            continue;
        }
        for (column, key) in [
            (format!("cost_per_part_{route}"), "cost_per_part"),
            (format!("cycle_time_{route}_s"), "cycle_time_s"),
            (
                format!("energy_per_part_{route}_kwh"),
                "energy_kwh_per_part",
            ),
            (format!("co2_per_part_{route}_kg"), "co2_kg_per_part"),
        ] {
            assert!(e[key].as_f64().unwrap() > 0.0, "{key} of {route}: {e}");
            same(r, &column, &e[key]);
        }
        // Hours in the JSON, seconds in the batch: one rounding of the product apart.
        let lead_h = e["lead_time_h"].as_f64().unwrap();
        let lead_s = r[&format!("lead_time_{route}_s")].as_f64().unwrap();
        assert!(
            (lead_s - lead_h * 3600.0).abs() <= 1e-12 * lead_s,
            "lead time of {route}: {lead_s} s vs {lead_h} h"
        );
        if route == "am" {
            assert_eq!(e["tooling_cost"], Value::from(0.0), "AM has no tooling");
            assert_eq!(r["fleet_printers_am"], e["fleet_printers"]);
            assert!(r["fleet_printers_am"].as_f64().unwrap() >= 1.0);
            continue;
        }
        assert!(e["tooling_cost"].as_f64().unwrap() > 0.0, "{e}");
        same(r, &format!("tooling_cost_{route}"), &e["tooling_cost"]);
        same(r, &format!("cavities_{route}"), &e["molding"]["cavities"]);
        assert!(e["molding"]["cavities"].as_u64().unwrap() >= 1);
        same(
            r,
            &format!("fleet_molding_machines_{route}"),
            &e["fleet_molding_machines"],
        );
    }
    same(
        r,
        "fleet_printers_hybrid",
        &sp["routes"]["hybrid"]["fleet_printers"],
    );
}

#[test]
fn mixed_catalog_gives_one_row_per_entry_with_split_figures_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("catalog");
    let good = write_samples(&cat.join("good"));
    let broken = write_broken(&cat.join("Broken"));
    // Case of the extension does not matter; other files are not parts.
    std::fs::rename(&good[0], cat.join("good/RIBBED_UPPER.STL")).unwrap();
    std::fs::write(cat.join("notes.txt"), "not a part").unwrap();
    let out = dir.path().join("out");
    let o = run(&["batch", s(&cat), "--out", s(&out), "--jobs", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&out);
    let files: Vec<&str> = rows.iter().map(|r| r["file"].as_str().unwrap()).collect();
    let mut expected: Vec<String> = good[1..]
        .iter()
        .map(|f| format!("good/{}", f.file_name().unwrap().to_str().unwrap()))
        .chain(["good/RIBBED_UPPER.STL".to_string()])
        .chain(["Broken/cube.stl".to_string()])
        .chain(
            broken
                .iter()
                .map(|(f, _)| format!("Broken/{}", f.file_name().unwrap().to_str().unwrap())),
        )
        .collect();
    expected.sort();
    assert_eq!(files, expected, "one row per part, sorted by path");
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r["index"], Value::from(k));
    }

    for r in &rows {
        let file = cat.join(r["file"].as_str().unwrap());
        if let Some((_, words)) = broken.iter().find(|(f, _)| *f == file) {
            assert_eq!(r["status"], "error", "{r}");
            let e = r["error"].as_str().unwrap();
            assert!(e.contains(words), "{file:?}: {e}");
            assert!(!e.contains(s(&file)), "the reason repeats the file: {e}");
            assert!(stderr(&o).contains(&format!("error: {}: ", file.display())));
            assert_eq!(r["part_volume_mm3"], Value::Null);
            continue;
        }
        if r["file"] == "good/block.stl" || r["file"] == "Broken/cube.stl" {
            // No plate: costed whole by AM and IM, no hybrid route, no split figures.
            assert_eq!(r["status"], "ok", "{r}");
            assert!(r["cost_per_part_am"].as_f64().is_some(), "{r}");
            assert!(r["cost_per_part_im"].as_f64().is_some(), "{r}");
            assert_eq!(r["plate_thickness_mm"], Value::Null);
            // Every figure of the unavailable hybrid route is empty, not 0.
            for key in HYBRID_COLUMNS {
                assert_eq!(r[key], Value::Null, "{key} of {}", r["file"]);
            }
            assert!(r["cycle_time_im_s"].as_f64().unwrap() > 0.0, "{r}");
            assert!(r["cavities_im"].as_u64().unwrap() >= 1, "{r}");
            continue;
        }
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["error"], Value::Null);
        // The same figures as `estimate` (which is `plan` without writing files).
        let o = run(&["estimate", s(&file), "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let sp: Value = serde_json::from_slice(&o.stdout).unwrap();
        for key in [
            "part_volume_mm3",
            "baseplate_volume_mm3",
            "molded_volume_mm3",
            "plate_thickness_mm",
            "footprint_area_mm2",
            "projected_area_mm2",
            "molded_height_mm",
            "rib_bodies",
            "pores",
            "pin_area_fraction",
            "bond_shear_n",
            "bond_shear_plain_n",
            "am_print_time_s",
            "baseplate_print_time_s",
            "material",
            "baseplate_material",
            "currency",
            "best_route",
        ] {
            same(r, key, &sp[key]);
        }
        assert_same_route_figures(r, &sp);
        for pair in ["am_im", "am_hybrid", "hybrid_im"] {
            same(
                r,
                &format!("break_even_{pair}"),
                &sp["break_even_volumes"][pair],
            );
            same(
                r,
                &format!("co2_break_even_{pair}"),
                &sp["co2_break_even_volumes"][pair],
            );
        }
        same(
            r,
            "wall_thickness_median_mm",
            &sp["wall_thickness"]["p50_mm"],
        );
        // One `warnings` list: the JSON's warnings and (while the JSON keeps them apart) its
        // lattice warnings, in any order.
        let warnings: Vec<&str> = sp["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        same(r, "warnings", &Value::from(warnings.join("; ")));
        let o = run(&["inspect", s(&file), "--format", "json"]);
        let ins: Value = serde_json::from_slice(&o.stdout).unwrap();
        same(r, "triangles", &ins["triangles"]);
    }

    // The CSV holds the same rows.
    let text = read(&out, "results.csv");
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header = csv.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (rec, row) in records.iter().zip(&rows) {
        assert_eq!(rec[col("file")], *row["file"].as_str().unwrap());
        assert_eq!(rec[col("status")], *row["status"].as_str().unwrap());
        // Every number of the CSV parses back to the JSONL's figure within its rounding (six
        // significant digits: half a unit of the sixth is 5e-6 of the figure at most); whole
        // numbers exactly.
        for (name, j) in row.as_object().unwrap() {
            // A null figure is an empty cell (a route the part cannot take, an error row).
            if j.is_null() {
                assert_eq!(&rec[col(name)], "", "{name} of {}", row["file"]);
                continue;
            }
            let Some(j) = j.as_f64() else { continue };
            let text = &rec[col(name)];
            let v: f64 = text.parse().unwrap_or_else(|_| panic!("{name}: {text:?}"));
            assert!(
                (v - j).abs() <= 5e-6 * j.abs(),
                "{name}: {text} in the CSV, {j} in the JSONL"
            );
            if j.fract() == 0.0 && j.abs() < 1e15 {
                assert!(!text.contains(['.', 'e']), "{name}: {text} for {j}");
            }
        }
    }
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["parts"], Value::from(rows.len()));
    // The broken files; the block and the cube are costed whole.
    assert_eq!(summary["errors"], Value::from(broken.len()));
    // Every ok part counted once under the route that is cheapest for it.
    let ok_rows: Vec<&Value> = rows.iter().filter(|r| r["status"] == "ok").collect();
    let by_route = summary["best_route"].as_object().unwrap();
    assert_eq!(
        by_route.values().map(|n| n.as_u64().unwrap()).sum::<u64>() as usize,
        ok_rows.len()
    );
    for (route, n) in by_route {
        let count = ok_rows
            .iter()
            .filter(|r| r["best_route"] == route.as_str())
            .count();
        assert_eq!(n.as_u64().unwrap() as usize, count, "{route}");
    }
    assert!(stderr(&o).contains("cheapest route:"), "{}", stderr(&o));
    assert_eq!(summary["slowest"].as_array().unwrap().len(), 5);
    assert!(stderr(&o).contains("slowest:"), "{}", stderr(&o));

    // The folder is taken: a second run without --resume refuses.
    let o = run(&["batch", s(&cat), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
}

/// A folder of `copies` copies of every sample (`NAME_K.stl`).
fn big_catalog(dir: &Path, copies: usize) -> PathBuf {
    let src = dir.join("src");
    let files = write_samples(&src);
    let cat = dir.join("big");
    std::fs::create_dir_all(&cat).unwrap();
    for k in 0..copies {
        for f in &files {
            let stem = f.file_stem().unwrap().to_str().unwrap();
            std::fs::copy(f, cat.join(format!("{stem}_{k:03}.stl"))).unwrap();
        }
    }
    cat
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn a_killed_run_resumes_to_the_files_of_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let cat = big_catalog(dir.path(), 20);
    let total = 8 * 20;
    let whole = dir.path().join("whole");
    let o = run(&["batch", s(&cat), "--out", s(&whole), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(jsonl(&whole).len(), total);

    let cut = dir.path().join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args(["batch", s(&cat), "--out", s(&cut), "--jobs", "1", "-q"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while lines(&cut.join("results.jsonl")) < 5 && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let done = lines(&cut.join("results.jsonl"));
    assert!(
        (5..total).contains(&done),
        "killed after {done} of {total} rows: make the catalog larger"
    );
    // A kill in the middle of a write: a torn line at the end of both files.
    for name in ["results.jsonl", "results.csv"] {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(cut.join(name))
            .unwrap();
        f.write_all(b"{\"index\":99999,\"file\":\"torn").unwrap();
    }
    // What is there is whole rows in catalog order, a prefix of the final result.
    let partial = read(&cut, "results.jsonl");
    let whole_text = read(&whole, "results.jsonl");
    let complete = &partial[..partial.rfind('\n').unwrap() + 1];
    assert!(whole_text.starts_with(complete));

    let o = run(&["batch", s(&cat), "--out", s(&cut), "-q"]);
    assert_eq!(o.status.code(), Some(2), "a taken folder needs --resume");
    let o = run(&["batch", s(&cat), "--out", s(&cut), "--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_results(&whole, &cut);
    let summary: Value = serde_json::from_str(&read(&cut, "summary.json")).unwrap();
    assert_eq!(summary["parts"], Value::from(total));
    // The rows done at the kill (a row can be torn, or in one file only, if the kill fell
    // between the two appends: then it is evaluated again).
    let evaluated = summary["run"]["evaluated"].as_u64().unwrap() as usize;
    assert!(
        evaluated == total - done || evaluated == total - done + 1,
        "{evaluated} evaluated after {done} done"
    );
    // Resuming a finished run changes nothing.
    let o = run(&["batch", s(&cat), "--out", s(&cut), "--resume", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_results(&whole, &cut);
    // Another catalog in the same folder is refused.
    let o = run(&[
        "batch",
        s(&dir.path().join("src")),
        "--out",
        s(&cut),
        "--resume",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another catalog"), "{}", stderr(&o));
}

#[test]
fn shards_merge_to_the_unsharded_result() {
    let dir = tempfile::tempdir().unwrap();
    let cat = big_catalog(dir.path(), 2);
    write_broken(&cat.join("broken"));
    let whole = dir.path().join("whole");
    let o = run(&["batch", s(&cat), "--out", s(&whole), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shards: Vec<PathBuf> = (0..3).map(|k| dir.path().join(format!("s{k}"))).collect();
    for (k, d) in shards.iter().enumerate() {
        let o = run(&[
            "batch",
            s(&cat),
            "--out",
            s(d),
            "--shard",
            &format!("{k}/3"),
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for r in jsonl(d) {
            assert_eq!(r["index"].as_u64().unwrap() % 3, k as u64);
        }
    }
    let merged = dir.path().join("merged");
    let o = run(&[
        "merge",
        s(&shards[2]),
        s(&shards[0]),
        s(&shards[1]),
        "--out",
        s(&merged),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_results(&whole, &merged);
    let summary: Value = serde_json::from_str(&read(&merged, "summary.json")).unwrap();
    assert_eq!(summary["parts"], Value::from(jsonl(&whole).len()));

    // A missing shard, a shard given twice, an incomplete shard: said, not merged.
    let out2 = dir.path().join("m2");
    let o = run(&["merge", s(&shards[0]), s(&shards[2]), "--out", s(&out2)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing shard 1/3"), "{}", stderr(&o));
    let o = run(&["merge", s(&shards[0]), s(&shards[0]), "--out", s(&out2)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
    let jl = shards[1].join("results.jsonl");
    let text = read(&shards[1], "results.jsonl");
    let cut = &text[..text[..text.len() - 1].rfind('\n').unwrap() + 1];
    std::fs::write(&jl, cut).unwrap();
    let o = run(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        s(&shards[2]),
        "--out",
        s(&out2),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("shard 1/3") && e.contains("incomplete") && e.contains("--resume"),
        "{e}"
    );
    // Shards of another catalog do not merge.
    let other = dir.path().join("other");
    let o = run(&[
        "batch",
        s(&dir.path().join("src")),
        "--out",
        s(&other),
        "--shard",
        "1/3",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "merge",
        s(&shards[0]),
        s(&other),
        s(&shards[2]),
        "--out",
        s(&out2),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("another catalog"), "{}", stderr(&o));
}

#[test]
fn manifest_rows_override_settings_and_resolve_paths_against_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let parts = write_samples(&dir.path().join("parts"));
    let heat_sink = parts.iter().find(|p| p.ends_with("heat_sink.stl")).unwrap();
    let manifest_dir = dir.path().join("lists");
    std::fs::create_dir_all(&manifest_dir).unwrap();
    let manifest = manifest_dir.join("catalog.csv");
    std::fs::write(
        &manifest,
        format!(
            "# parts of the week\n\
             file, normal, height_mm, units, annual_volume, material, printer\n\
             ../parts/ribbed_plate.stl,,,,5000,PP,desktop_fff\n\
             ../parts/ribbed_plate.stl,\"0,0,1\",7,,,,\n\
             ../parts/ribbed_plate.stl,,,cm,,,\n\
             ../parts/ribbed_plate.stl,,,,-3,,no_such_printer\n\
             ../parts/missing.stl,,,,,,\n\
             {},,,,,,\n",
            heat_sink.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run(&["batch", s(&manifest), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["file"], "../parts/ribbed_plate.stl");
    let ribbed = &parts[0];
    let estimate = |extra: &[&str]| -> Value {
        let mut args = vec!["estimate", s(ribbed), "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let first = estimate(&["--volume", "5000", "--material", "PP"]);
    let cut7 = estimate(&["--normal", "0,0,1", "--height", "7"]);
    let in_cm = estimate(&["--units", "cm"]);
    for (row, sp) in [(&rows[0], &first), (&rows[1], &cut7), (&rows[2], &in_cm)] {
        assert_eq!(row["status"], "ok", "{row}");
        for key in [
            "molded_volume_mm3",
            "plate_thickness_mm",
            "part_volume_mm3",
            "material",
        ] {
            same(row, key, &sp[key]);
        }
        same(
            row,
            "cost_per_part_im",
            &sp["routes"]["im"]["cost_per_part"],
        );
    }
    assert_eq!(rows[0]["material"], "PP");
    assert_eq!(rows[0]["baseplate_material"], "PP");
    assert_eq!(rows[0]["annual_volume"], Value::from(5000.0));
    assert_eq!(rows[1]["plate_thickness_mm"], Value::from(7.0));
    assert!((rows[2]["part_volume_mm3"].as_f64().unwrap() - 43_200_000.0).abs() < 1.0);
    let e = rows[3]["error"].as_str().unwrap();
    assert!(
        e.contains("annual_volume '-3'") && e.contains("printer 'no_such_printer'"),
        "{e}"
    );
    assert!(rows[4]["error"].as_str().unwrap().contains("cannot read"));
    assert_eq!(rows[5]["status"], "ok", "an absolute path stays as it is");

    // An unknown column stops the run before it starts, naming the column.
    let bad = manifest_dir.join("bad.csv");
    std::fs::write(&bad, "file,matrial\n../parts/ribbed_plate.stl,PP\n").unwrap();
    let o = run(&["batch", s(&bad), "--out", s(&dir.path().join("bad"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`matrial`"), "{}", stderr(&o));
    let o = run(&[
        "batch",
        s(&bad),
        "--out",
        s(&dir.path().join("bad")),
        "--ignore-unknown-columns",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["batch", s(&manifest_dir.join("none.csv")), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("none.csv"), "{}", stderr(&o));
}

#[test]
fn fail_fast_stops_nothing_ok_fails_and_meshes_are_kept_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    write_samples(&cat);
    write_broken(&cat);
    let out = dir.path().join("ff");
    let o = run(&[
        "batch",
        s(&cat),
        "--out",
        s(&out),
        "--fail-fast",
        "--jobs",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = jsonl(&out);
    // Sorted: empty.stl is the first error (block.stl and cube.stl have no plate, but are
    // costed) and stops the run.
    assert_eq!(rows.last().unwrap()["status"], "error");
    assert!(rows.len() < 12, "{} rows", rows.len());
    let ok_before = rows.iter().filter(|r| r["status"] == "ok").count();
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["run"]["stopped_early"], Value::Bool(true));
    // The rest follows with --resume; --retry-errors evaluates the error row again, and the
    // files end in catalog order all the same.
    let o = run(&[
        "batch",
        s(&cat),
        "--out",
        s(&out),
        "--resume",
        "--retry-errors",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 12);
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    // Everything but the rows already ok: the rest, and the error row retried.
    assert_eq!(summary["run"]["evaluated"], Value::from(12 - ok_before));
    let indices: Vec<u64> = rows.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(indices, (0..12).collect::<Vec<u64>>());
    let whole = dir.path().join("whole");
    let o = run(&["batch", s(&cat), "--out", s(&whole), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_results(&whole, &out);
    // Retrying the error rows of a finished run appends them after the others; the end of
    // the run puts the files back in catalog order.
    let o = run(&[
        "batch",
        s(&cat),
        "--out",
        s(&out),
        "--resume",
        "--retry-errors",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["run"]["evaluated"], summary["errors"]);
    assert_same_results(&whole, &out);

    let only_broken = dir.path().join("broken");
    write_broken(&only_broken);
    // Without the cube, which is costed whole.
    std::fs::remove_file(only_broken.join("cube.stl")).unwrap();
    let o = run(&[
        "batch",
        s(&only_broken),
        "--out",
        s(&dir.path().join("b")),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(1), "nothing succeeded");

    let small = dir.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    for name in ["ribbed_plate.stl", "block.stl"] {
        std::fs::copy(cat.join(name), small.join(name)).unwrap();
    }
    let out = small.join("out"); // inside the catalog: not read as parts
    let o = run(&["batch", s(&small), "--out", s(&out), "--meshes", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = out.join("meshes/1_ribbed_plate");
    for f in [
        "ribbed_plate.baseplate.stl",
        "ribbed_plate.molded.stl",
        "ribbed_plate.split.3mf",
    ] {
        assert!(m.join(f).is_file(), "{f}");
    }
    let o = run(&["batch", s(&small), "--out", s(&out), "--resume", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        jsonl(&out).len(),
        2,
        "the output folder is not part of the catalog"
    );
}

/// Runs the binary under `bash -c 'ulimit -v KB; ...'` (address space of the batch and of
/// every worker) with the environment `env` added.
fn run_limited(kb: u64, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_hybridplan"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Four sample parts that split, and `hog.stl` (a copy of one), in a folder of their own.
fn five_parts(dir: &Path) -> PathBuf {
    let all = write_samples(&dir.join("all"));
    let cat = dir.join("five");
    std::fs::create_dir_all(&cat).unwrap();
    for name in [
        "bossed_plate",
        "double_sided",
        "ribbed_plate",
        "rounded_plate",
    ] {
        let f = all
            .iter()
            .find(|f| f.ends_with(format!("{name}.stl")))
            .unwrap();
        std::fs::copy(f, cat.join(format!("{name}.stl"))).unwrap();
    }
    std::fs::copy(cat.join("ribbed_plate.stl"), cat.join("hog.stl")).unwrap();
    cat
}

/// The `status` of every row, and the lines of the ok rows.
fn statuses(out: &Path) -> (Vec<String>, Vec<String>) {
    let status = jsonl(out)
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    let ok_lines = read(out, "results.jsonl")
        .lines()
        .filter(|l| l.contains("\"status\":\"ok\""))
        .map(String::from)
        .collect();
    (status, ok_lines)
}

#[test]
fn a_part_beyond_its_memory_or_time_is_an_error_row_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cat = five_parts(dir.path());
    let clean = dir.path().join("clean");
    let o = run(&["batch", s(&cat), "--out", s(&clean), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (status, clean_ok) = statuses(&clean);
    assert_eq!(status, ["ok"; 5]);

    // Under `ulimit -v 4G` (4194304 KB), a part that allocates without end: the default
    // --part-memory 4096 MB stops its worker; the batch and the other four go on.
    let out = dir.path().join("alloc");
    let t0 = Instant::now();
    let o = run_limited(
        4_194_304,
        &[("HYBRIDPLAN_TEST_WORKER_HOG", "alloc:hog.stl")],
        &["batch", s(&cat), "--out", s(&out), "--jobs", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&out);
    let files: Vec<&str> = rows.iter().map(|r| r["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "bossed_plate.stl",
            "double_sided.stl",
            "hog.stl",
            "ribbed_plate.stl",
            "rounded_plate.stl"
        ]
    );
    let (status, ok_lines) = statuses(&out);
    assert_eq!(status, ["ok", "ok", "error", "ok", "ok"]);
    assert_eq!(
        rows[2]["error"],
        "exceeded 4096 MB of memory (--part-memory)"
    );
    assert!(
        stderr(&o).contains("error: ") && stderr(&o).contains("hog.stl: exceeded 4096 MB"),
        "{}",
        stderr(&o)
    );
    // The four other rows are the lines of the run without a hog, byte for byte.
    let clean_four: Vec<&String> = clean_ok.iter().filter(|l| !l.contains("hog.stl")).collect();
    assert_eq!(ok_lines.iter().collect::<Vec<_>>(), clean_four);
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(
        (summary["ok"].clone(), summary["errors"].clone()),
        (4.into(), 1.into())
    );

    // A smaller --part-memory is named as such; a lower inherited limit as that.
    let out_small = dir.path().join("alloc_small");
    let o = run_limited(
        4_194_304,
        &[("HYBRIDPLAN_TEST_WORKER_HOG", "alloc:hog.stl")],
        &[
            "batch",
            s(&cat),
            "--out",
            s(&out_small),
            "--part-memory",
            "512",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        jsonl(&out_small)[2]["error"],
        "exceeded 512 MB of memory (--part-memory)"
    );
    let out_low = dir.path().join("alloc_low");
    let o = run_limited(
        1_048_576,
        &[("HYBRIDPLAN_TEST_WORKER_HOG", "alloc:hog.stl")],
        &["batch", s(&cat), "--out", s(&out_low), "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = jsonl(&out_low)[2]["error"].as_str().unwrap().to_string();
    assert!(
        e.starts_with("exceeded 1024 MB of memory") && e.contains("ulimit -v"),
        "{e}"
    );

    // A part that never ends: stopped at --part-timeout.
    let out_sleep = dir.path().join("sleep");
    let t_sleep = Instant::now();
    let o = run_limited(
        4_194_304,
        &[("HYBRIDPLAN_TEST_WORKER_HOG", "sleep:hog.stl")],
        &[
            "batch",
            s(&cat),
            "--out",
            s(&out_sleep),
            "--part-timeout",
            "10.5",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        jsonl(&out_sleep)[2]["error"],
        "exceeded 10.5 s (--part-timeout)"
    );
    assert_eq!(statuses(&out_sleep).1, ok_lines);
    let timings = read(&out_sleep, "timings.csv");
    let hog_s: f64 = timings
        .lines()
        .find(|l| l.contains("hog.stl"))
        .and_then(|l| l.rsplit(',').next())
        .unwrap()
        .parse()
        .unwrap();
    // Killed at 10.5 s (long enough for the other parts on a loaded machine), and not much
    // later.
    assert!((10.5..15.0).contains(&hog_s), "{hog_s} s");
    assert!(t0.elapsed() < Duration::from_secs(120));
    assert!(t_sleep.elapsed() < Duration::from_secs(60));

    // Such rows are done: --resume does not evaluate them again (the hog is gone now, so a
    // retry would make them ok) ...
    let o = run(&["batch", s(&cat), "--out", s(&out), "--resume", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["run"]["evaluated"], 0);
    assert_eq!(statuses(&out).0, ["ok", "ok", "error", "ok", "ok"]);
    // ... unless --retry-errors, after which the folder is that of the clean run.
    let o = run(&[
        "batch",
        s(&cat),
        "--out",
        s(&out),
        "--resume",
        "--retry-errors",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["run"]["evaluated"], 1);
    assert_same_results(&clean, &out);

    // Out-of-range limits are refused before anything runs.
    for (flag, value) in [
        ("--part-timeout", "0"),
        ("--part-timeout", "NaN"),
        ("--part-timeout", "1e9"),
        ("--part-memory", "10"),
    ] {
        let o = run(&[
            "batch",
            s(&cat),
            "--out",
            s(&dir.path().join("x")),
            flag,
            value,
        ]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
        assert!(stderr(&o).contains(flag), "{}", stderr(&o));
    }
}

/// The processes whose command line holds `needle`.
#[cfg(target_os = "linux")]
fn processes_with(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmd)
                .contains(needle)
                .then_some(pid)
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn a_second_batch_on_the_same_out_is_refused_with_the_first_ones_pid() {
    let dir = tempfile::tempdir().unwrap();
    let cat = five_parts(dir.path());
    let done = dir.path().join("done");
    let o = run(&["batch", s(&cat), "--out", s(&done), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("busy_out");
    // The first run hangs on its hog part (well within its time limit).
    let mut first = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args(["batch", s(&cat), "--out", s(&out), "--jobs", "1", "-q"])
        .env("HYBRIDPLAN_TEST_WORKER_HOG", "sleep:hog.stl")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = first.id();
    let t0 = Instant::now();
    while std::fs::read_to_string(out.join(".lock")).unwrap_or_default() != format!("{pid}\n") {
        assert!(t0.elapsed() < Duration::from_secs(30), "no lock taken");
        std::thread::sleep(Duration::from_millis(10));
    }
    for extra in [&[][..], &["--resume"][..]] {
        let mut args = vec!["batch", s(&cat), "--out", s(&out)];
        args.extend(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("in use by another hybridplan run (pid {pid})")),
            "{}",
            stderr(&o)
        );
    }
    // So is a merge into it.
    let o = run(&["merge", s(&done), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("(pid {pid})")),
        "{}",
        stderr(&o)
    );
    // The first run's worker is there (its command line holds the folder) ...
    let t1 = Instant::now();
    while processes_with(s(&out)).len() < 2 {
        assert!(t1.elapsed() < Duration::from_secs(30), "no worker started");
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // ... and dies with it: no worker goes on alone.
    let t2 = Instant::now();
    while !processes_with(s(&out)).is_empty() {
        assert!(
            t2.elapsed() < Duration::from_secs(10),
            "a worker outlived its batch"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The lock went with the first run: the folder can be resumed.
    let o = run(&["batch", s(&cat), "--out", s(&out), "--resume", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(statuses(&out).0, ["ok"; 5]);
}

#[cfg(unix)]
#[test]
fn file_names_cannot_inject_formulas_or_collide_and_other_batches_are_not_parts() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("names");
    std::fs::create_dir_all(&cat).unwrap();
    let plate = write_samples(&dir.path().join("src"))
        .into_iter()
        .find(|f| f.ends_with("ribbed_plate.stl"))
        .unwrap();
    for name in [
        "=1+2.stl",
        "+cmd.stl",
        "-x.stl",
        "@SUM(A1).stl",
        "plain.stl",
    ] {
        std::fs::copy(&plate, cat.join(name)).unwrap();
    }
    // Two names that differ in bytes that are not UTF-8 (empty files: error rows).
    for name in [&b"bad\xff\xfe.stl"[..], b"bad\xfe\xff.stl"] {
        std::fs::write(cat.join(OsStr::from_bytes(name)), b"").unwrap();
    }
    let out = dir.path().join("out");
    let o = run(&["batch", s(&cat), "--out", s(&out), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = read(&out, "results.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let csv_files: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    assert_eq!(
        csv_files,
        [
            "'+cmd.stl",
            "'-x.stl",
            "'=1+2.stl",
            "'@SUM(A1).stl",
            "bad\\xFE\\xFF.stl",
            "bad\\xFF\\xFE.stl",
            "plain.stl"
        ]
    );
    // In the file itself: quoted, with the leading quote.
    assert!(text.contains("\n2,\"'=1+2.stl\",ok,"), "{text}");
    let json_files: Vec<String> = jsonl(&out)
        .iter()
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        json_files,
        [
            "+cmd.stl",
            "-x.stl",
            "=1+2.stl",
            "@SUM(A1).stl",
            "bad\\xFE\\xFF.stl",
            "bad\\xFF\\xFE.stl",
            "plain.stl"
        ]
    );
    let rows = jsonl(&out);
    assert!(rows[..4].iter().all(|r| r["status"] == "ok"));
    assert!(
        rows[4]["error"].as_str().unwrap().contains("empty"),
        "{}",
        rows[4]
    );

    // A batch whose output (with meshes) lies inside another catalog: the next batch of that
    // catalog leaves it out, with a note, instead of taking the meshes for parts.
    let inner = cat.join("runs/first");
    let o = run(&["batch", s(&cat), "--out", s(&inner), "--meshes", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(inner.join("meshes/6_plain/plain.molded.stl").is_file());
    let again = dir.path().join("again");
    let o = run(&["batch", s(&cat), "--out", s(&again)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        jsonl(&again).len(),
        7,
        "the first run's meshes are not parts"
    );
    assert!(
        stderr(&o).contains(&format!(
            "note: {}: left out, it holds another batch's output",
            inner.display()
        )),
        "{}",
        stderr(&o)
    );
    assert_same_results(&out, &again);
}

/// The header of results.csv, listed in full: a column added, renamed or moved is a
/// deliberate change of this list (and of docs/batch.md).
const HEADER: &[&str] = &[
    "index",
    "file",
    "status",
    "error",
    "triangles",
    "part_volume_mm3",
    "baseplate_volume_mm3",
    "molded_volume_mm3",
    "plate_thickness_mm",
    "footprint_area_mm2",
    "projected_area_mm2",
    "molded_height_mm",
    "rib_bodies",
    "wall_thickness_median_mm",
    "pores",
    "pin_area_fraction",
    "bond_shear_n",
    "bond_shear_plain_n",
    "material",
    "baseplate_material",
    "printer",
    "annual_volume",
    "variants",
    "currency",
    "am_print_time_s",
    "baseplate_print_time_s",
    "cost_per_part_am",
    "cost_per_part_im",
    "cost_per_part_hybrid",
    "tooling_cost_im",
    "tooling_cost_hybrid",
    "cycle_time_am_s",
    "cycle_time_im_s",
    "cycle_time_hybrid_s",
    "cavities_im",
    "cavities_hybrid",
    "fleet_printers_am",
    "fleet_printers_hybrid",
    "fleet_molding_machines_im",
    "fleet_molding_machines_hybrid",
    "lead_time_am_s",
    "lead_time_im_s",
    "lead_time_hybrid_s",
    "energy_per_part_am_kwh",
    "energy_per_part_im_kwh",
    "energy_per_part_hybrid_kwh",
    "co2_per_part_am_kg",
    "co2_per_part_im_kg",
    "co2_per_part_hybrid_kg",
    "break_even_am_im",
    "break_even_am_hybrid",
    "break_even_hybrid_im",
    "co2_break_even_am_im",
    "co2_break_even_am_hybrid",
    "co2_break_even_hybrid_im",
    "best_route",
    "warnings",
    "dfm_errors",
    "dfm_warnings",
    "dfm_kinds",
];

#[test]
fn the_header_lists_every_column_and_the_record_holds_options_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    std::fs::create_dir_all(&cat).unwrap();
    write_binary(
        &cat.join("ribbed_plate.stl"),
        &samples::ribbed_plate().mesh(),
        "x",
    )
    .unwrap();
    write_binary(&cat.join("cube.stl"), &cube_mm(30.0), "cube").unwrap();
    let out = dir.path().join("out");
    let args = |out: &Path, volume: &'static str| -> Vec<String> {
        [
            "batch",
            s(&cat),
            "--out",
            s(out),
            "--volume",
            volume,
            "--lattice",
            "hex",
            "--pore-mm",
            "1.5",
            "-q",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let batch = |a: &[String]| run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let o = batch(&args(&out, "2500"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = read(&out, "results.csv");
    assert_eq!(text.lines().next().unwrap(), HEADER.join(","));
    // The JSONL has the same keys (serde_json's map here sorts them: the order is the
    // writer's, pinned by its unit test).
    let mut names = HEADER.to_vec();
    names.sort_unstable();
    for row in jsonl(&out) {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, names);
    }

    // Options as JSON values: numbers as numbers, names as strings, null for not given.
    let record: Value = serde_json::from_str(&read(&out, "batch.json")).unwrap();
    let o = &record["options"];
    assert_eq!(o["estimate"]["annual_volume"].as_f64(), Some(2500.0), "{o}");
    assert_eq!(o["estimate"]["variants"].as_u64(), Some(1), "{o}");
    assert_eq!(o["estimate"]["printer"], "desktop_fff");
    assert_eq!(o["estimate"]["fff"]["nozzle_mm"].as_f64(), Some(0.4));
    assert_eq!(o["estimate"]["fleet"], Value::Null);
    assert_eq!(o["lattice"]["kind"], "hex", "{o}");
    assert_eq!(o["lattice"]["pore_mm"].as_f64(), Some(1.5));
    assert_eq!(o["lattice"]["explicit"], true);
    assert_eq!(o["material"], "PLA");
    assert_eq!(o["units"], Value::Null);
    assert_eq!(o["models"]["currency"], "EUR");
    assert!(o["models"]["economics"].is_string());
    assert!(
        !read(&out, "batch.json").contains("Some("),
        "a Rust debug string in batch.json"
    );

    // A resume with other options is refused, naming the option and both values; with the
    // same options it goes on.
    let o = batch(&[args(&out, "2600"), vec!["--resume".into()]].concat());
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("estimate.annual_volume 2600.0 vs 2500.0"), "{e}");
    let o = batch(&[args(&out, "2500"), vec!["--resume".into()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Shards of runs with other options do not merge; of the same options they do.
    let shard = |k: usize, volume: &'static str| {
        let d = dir.path().join(format!("s{k}-{volume}"));
        let o = batch(&[args(&d, volume), vec!["--shard".into(), format!("{k}/2")]].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        d
    };
    let (a, b, c) = (shard(0, "2500"), shard(1, "2500"), shard(1, "2600"));
    let o = run(&["merge", s(&a), s(&c), "--out", s(&dir.path().join("m1"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("annual_volume"), "{}", stderr(&o));
    let merged = dir.path().join("m2");
    let o = run(&["merge", s(&a), s(&b), "--out", s(&merged)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_results(&out, &merged);
}
