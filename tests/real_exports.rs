//! Issue 10: estimates that hold on parts as real CAD exports arrive. A part without a plate
//! (a block, a helix) still gets its AM and IM costs; a part drawn in inches is noticed; the
//! options a refusal suggests work when given alone.

mod common;

use common::run;
use std::path::{Path, PathBuf};

use hybridplan::mesh::Mesh;
use nalgebra::Point3;
use serde_json::Value;

fn write(dir: &Path, name: &str, mesh: &Mesh) -> PathBuf {
    let p = dir.join(name);
    hybridplan::mesh::stl::write_binary(&p, mesh, name).unwrap();
    p
}

/// A closed helical bar: a 4 x 4 mm square swept along a helix of radius 20 mm and pitch
/// 15 mm over 3 turns, 96 steps a turn, with square end caps (no plate along any axis).
fn helix() -> Mesh {
    let (steps, r, pitch, half) = (3 * 96, 20.0, 15.0, 2.0);
    let mut vertices = Vec::new();
    for i in 0..=steps {
        let a = std::f64::consts::TAU * i as f64 / 96.0;
        let z = pitch * i as f64 / 96.0;
        let (c, s) = (a.cos(), a.sin());
        // Corners in the plane of the radial direction and z.
        for (dr, dz) in [(-half, -half), (half, -half), (half, half), (-half, half)] {
            vertices.push(Point3::new((r + dr) * c, (r + dr) * s, z + dz + half));
        }
    }
    let mut triangles = Vec::new();
    for i in 0..steps as u32 {
        let (a, b) = (4 * i, 4 * (i + 1));
        for k in 0..4 {
            let k1 = (k + 1) % 4;
            triangles.push([a + k, a + k1, b + k1]);
            triangles.push([a + k, b + k1, b + k]);
        }
    }
    let last = 4 * steps as u32;
    triangles.push([0, 2, 1]);
    triangles.push([0, 3, 2]);
    triangles.push([last, last + 1, last + 2]);
    triangles.push([last, last + 2, last + 3]);
    // The loader orients the shell outward whichever way this winds.
    Mesh::new(vertices, triangles)
}

fn route<'a>(v: &'a Value, r: &str) -> &'a Value {
    &v["routes"][r]
}

#[test]
fn a_block_and_a_helix_get_am_and_im_costs_and_an_unavailable_hybrid() {
    let dir = tempfile::tempdir().unwrap();
    let block = hybridplan::samples::block();
    let files = [
        write(dir.path(), "block.stl", &block.mesh()),
        write(dir.path(), "helix.stl", &helix()),
    ];
    for file in &files {
        let (code, out, err) = run(&["estimate", file.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        for r in ["am", "im"] {
            let cost = route(&v, r)["cost_per_part"].as_f64();
            assert!(
                cost.is_some_and(|c| c > 0.0),
                "{r} of {}: {v}",
                file.display()
            );
        }
        assert_eq!(route(&v, "hybrid")["available"], false);
        let why = route(&v, "hybrid")["reason"].as_str().unwrap();
        assert!(why.contains("no plate found"), "{why}");
        assert_eq!(v["split"]["available"], false);
        let best = v["best_route"].as_str().unwrap();
        assert!(best == "am" || best == "im", "{best}");
        assert_eq!(v["break_even_volumes"]["am_hybrid"], Value::Null);
        assert!(v["break_even_volumes"]["am_im"].as_f64().is_some());
    }
    // The block's own figures: 40 x 30 x 20 mm, 24,000 mm3.
    let (_, out, _) = run(&["estimate", files[0].to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert!((v["part_volume_mm3"].as_f64().unwrap() - 24_000.0).abs() < 1e-6);
    // Molded whole, the block's projected area along z is 40 x 30 = 1,200 mm2.
    assert!((v["part_shape"]["projected_area_mm2"].as_f64().unwrap() - 1200.0).abs() < 1e-6);

    // In a batch both rows are ok, with their costs and an empty hybrid column.
    let out_dir = dir.path().join("batch");
    let (code, _, err) = run(&[
        "batch",
        dir.path().to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = std::fs::read_to_string(out_dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["status"], "ok", "{row}");
        assert!(row["cost_per_part_am"].as_f64().is_some(), "{row}");
        assert!(row["cost_per_part_im"].as_f64().is_some(), "{row}");
        assert!(row["cost_per_part_hybrid"].is_null(), "{row}");
    }
    // `split` still refuses: it has nothing to write.
    let (code, _, err) = run(&[
        "split",
        files[0].to_str().unwrap(),
        "--out",
        dir.path().join("split").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no plate found"), "{err}");
}

#[test]
fn a_part_without_a_plate_costs_the_same_in_any_pose() {
    // Printed and molded along its largest section's axis, not the file's z: the block turned
    // and moved costs what the upright block costs.
    let dir = tempfile::tempdir().unwrap();
    let block = hybridplan::samples::block().mesh();
    let mut turned = block.clone();
    let r = nalgebra::Rotation3::from_euler_angles(0.3, 1.1, -0.7);
    let shift = nalgebra::Vector3::new(100.0, -50.0, 20.0);
    turned.map_vertices(|p| r * p + shift);
    let cost = |mesh: &Mesh, name: &str| -> (f64, f64, f64) {
        let file = write(dir.path(), name, mesh);
        let (code, out, err) = run(&["estimate", file.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(route(&v, "hybrid")["available"], false);
        (
            route(&v, "am")["cost_per_part"].as_f64().unwrap(),
            route(&v, "im")["cost_per_part"].as_f64().unwrap(),
            v["part_shape"]["projected_area_mm2"].as_f64().unwrap(),
        )
    };
    let (am, im, area) = cost(&block, "upright.stl");
    let (am_t, im_t, area_t) = cost(&turned, "turned.stl");
    // 40 x 30 x 20 mm: it stands on its 40 x 30 face, 1,200 mm2 projected, either way.
    assert!((area - 1200.0).abs() < 1e-6, "{area}");
    assert!((area_t - 1200.0).abs() < 1e-3, "{area_t}");
    assert!(
        (am_t / am - 1.0).abs() < 0.02,
        "AM {am_t} turned against {am}"
    );
    assert!(
        (im_t / im - 1.0).abs() < 0.01,
        "IM {im_t} turned against {im}"
    );
}

#[test]
fn a_sample_drawn_in_inches_is_noticed_and_named() {
    let dir = tempfile::tempdir().unwrap();
    // The ribbed plate (120 x 80 x 15 mm, 2 mm ribs) written in inches: 4.72 units across.
    let mut mesh = hybridplan::samples::ribbed_plate().mesh();
    mesh.map_vertices(|p| p / 25.4);
    let file = write(dir.path(), "ribbed_in.stl", &mesh);
    let f = file.to_str().unwrap();
    for cmd in ["inspect", "estimate"] {
        let (code, out, err) = run(&[cmd, f, "--format", "json"]);
        assert_eq!(code, 0, "{cmd}: {err}");
        let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        let warnings = v["warnings"].to_string();
        assert!(warnings.contains("--units in"), "{cmd}: {warnings}");
    }
    // Read as inches it is the plate again, and nothing is said of its units.
    let (code, out, err) = run(&["estimate", f, "--units", "in", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        !v["warnings"].to_string().contains("--units"),
        "{}",
        v["warnings"]
    );
    // Single-precision STL coordinates: the volume agrees to a few parts in a million.
    assert!((v["part_volume_mm3"].as_f64().unwrap() / 43_200.0 - 1.0).abs() < 1e-5);
    // Read in mm, its ribs (2 / 25.4 = 0.079 mm) are thinner than one extrusion width of the
    // desktop printer (0.45 mm): a finding.
    let (_, out, _) = run(&["estimate", f, "--format", "json"]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        v["warnings"]
            .to_string()
            .contains("thinner than one 0.45 mm extrusion width"),
        "{}",
        v["warnings"]
    );
}

#[test]
fn every_option_a_refusal_suggests_works_alone() {
    let dir = tempfile::tempdir().unwrap();
    let block = write(
        dir.path(),
        "block.stl",
        &hybridplan::samples::block().mesh(),
    );
    let b = block.to_str().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let (code, _, err) = run(&["split", b, "--out", o]);
    assert_eq!(code, 1);
    // It suggests --height (with the axis it is measured along), --normal with --height, and
    // --plane; not --normal alone, which detects again along that normal.
    assert!(err.contains("give --height MM"), "{err}");
    assert!(err.contains("--normal with --height"), "{err}");
    // --height alone: measured along the first axis tried (z, the largest section): the
    // block cut 5 mm above its bottom, 40 x 30 x 5 = 6,000 mm3 printed.
    let (code, stdout, err) = run(&["split", b, "--out", o, "--height", "5", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(
        (v["baseplate_volume_mm3"].as_f64().unwrap() - 6000.0).abs() < 1e-6,
        "{v}"
    );
    assert!(v["warnings"].to_string().contains("largest section"), "{v}");
    // --normal alone: a different, actionable message that does not suggest --normal again.
    let (code, _, err2) = run(&["split", b, "--out", o, "--normal", "0,0,1"]);
    assert_eq!(code, 1);
    assert_ne!(err, err2);
    assert!(err2.contains("give --height MM"), "{err2}");
    assert!(!err2.contains("--normal"), "{err2}");
    // --plane alone cuts.
    let (code, _, err) = run(&["split", b, "--out", o, "--plane", "0,0,8,0,0,1"]);
    assert_eq!(code, 0, "{err}");
}
