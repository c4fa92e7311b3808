//! `plan` writes the print-ready insert, `STEM.baseplate.3mf`: the baseplate alone, pores up
//! on the bed, centred on the printer's bed, with the settings the estimate printed it with.
//! Read back with the project's own 3MF reader.

mod common;
#[path = "common/package.rs"]
mod package;

use std::path::Path;

use hybridplan::mesh::{self, Mesh};
use nalgebra::{Isometry3, Translation3, Unit, UnitQuaternion, Vector3};
use package::{entry, read_back};
use serde_json::Value;

/// Plans `file` into `out` (JSON on stdout) and returns the report.
fn plan(file: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "plan",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = common::run(&args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(stdout.trim()).unwrap()
}

/// The value of `; key = value` in PrusaSlicer's config.
fn setting<'a>(config: &'a str, key: &str) -> &'a str {
    let head = format!("; {key} = ");
    config
        .lines()
        .find_map(|l| l.strip_prefix(head.as_str()))
        .unwrap_or_else(|| panic!("{key} missing in\n{config}"))
}

/// Area (mm²) of the triangles whose normal points along `dir` (within 1°) and that lie at
/// height `z` (within 1e-6 mm).
fn flat_area_at(m: &Mesh, dir: f64, z: f64) -> f64 {
    m.triangles
        .iter()
        .map(|t| m.corners(t))
        .filter(|c| c.iter().all(|p| (p.z - z).abs() < 1e-6))
        .map(|[a, b, c]| (b - a).cross(&(c - a)))
        .filter(|n| n.z * dir > 0.9998 * n.norm())
        .map(|n| n.norm() / 2.0)
        .sum()
}

#[test]
fn the_samples_baseplate_lies_pores_up_centred_on_the_bed_with_the_estimates_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let v = plan(Path::new(&common::sample("ribbed_plate.stl")), &out, &[]);
    let path = out.join("ribbed_plate.baseplate.3mf");
    assert_eq!(
        v["outputs"]["baseplate_3mf"].as_str(),
        Some(path.to_str().unwrap())
    );
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("ribbed_plate.outputs.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "ribbed_plate.baseplate.3mf"),
        "{manifest}"
    );
    let summary = std::fs::read_to_string(out.join("ribbed_plate.summary.txt")).unwrap();
    assert!(summary.contains("ribbed_plate.baseplate.3mf"), "{summary}");

    // One object, one build item.
    let model = entry(&path, "3D/3dmodel.model");
    assert_eq!(model.matches("<object ").count(), 1);
    assert_eq!(model.matches("<item ").count(), 1);
    for name in ["Title", "Application", "Description"] {
        assert!(
            model.contains(&format!("<metadata name=\"{name}\">")),
            "{name}"
        );
    }

    let m = read_back(&path);
    // The baseplate's volume of the report, within 1e-6 of it: the 3MF holds 32-bit floats
    // (relative rounding 6e-8 per coordinate).
    let want = v["baseplate_volume_mm3"].as_f64().unwrap();
    let got = m.signed_volume_mm3();
    assert!((got - want).abs() <= 1e-6 * want, "{got} vs {want} mm3");
    // The sample's plate is 120 x 80 x 3 mm, pores cut in: less than 28,800 mm3.
    assert!(want < 120.0 * 80.0 * 3.0 && want > 0.97 * 120.0 * 80.0 * 3.0);

    let b = m.bounds().unwrap();
    let size = b.size();
    let tol = 1e-6 * size.norm();
    assert!(b.min.z.abs() <= tol, "min z {}", b.min.z);
    // Laid flat along its own edges, the longer along x.
    for (got, want) in [(size.x, 120.0), (size.y, 80.0), (size.z, 3.0)] {
        assert!((got - want).abs() <= tol, "size {size:?}");
    }
    // Centred on the desktop printer's 250 x 210 mm bed (models/printers.toml).
    let c = b.center();
    assert!(
        (c.x - 125.0).abs() <= tol && (c.y - 105.0).abs() <= tol,
        "{c:?}"
    );

    // Pores up: the bottom face at z = 0 is the whole 120 x 80 mm plate, not a hole in it;
    // the top face at z = 3 has the pores' openings cut out of it, and every pore wall
    // (a face across the plate, inside its outline) reaches down from the top by the depth.
    let bottom = flat_area_at(&m, -1.0, 0.0);
    assert!((bottom - 9600.0).abs() < 1e-3, "bottom {bottom} mm2");
    let top = flat_area_at(&m, 1.0, 3.0);
    let pores = v["pores"].as_f64().unwrap();
    let pore_mm = v["pore_mm"].as_f64().unwrap();
    assert!(pores > 0.0);
    assert!(
        top < 9600.0 - 0.5 * pores * pore_mm * pore_mm,
        "top {top} mm2"
    );
    let depth = v["depth_mm"].as_f64().unwrap();
    let inside = |p: &nalgebra::Point3<f64>| {
        p.x > b.min.x + 1e-3 && p.x < b.max.x - 1e-3 && p.y > b.min.y + 1e-3 && p.y < b.max.y - 1e-3
    };
    let mut walls = 0;
    for t in &m.triangles {
        let c = m.corners(t);
        if c.iter().all(inside) {
            let n = (c[1] - c[0]).cross(&(c[2] - c[0]));
            if n.z.abs() < 1e-6 * n.norm() {
                walls += 1;
                for p in c {
                    assert!(p.z >= 3.0 - depth - 1e-4, "a pore wall at z {}", p.z);
                }
            }
        }
    }
    assert!(walls > 0);

    // The settings the estimate used for the baseplate: the desktop printer's 0.2 mm layers,
    // 0.4 mm nozzle, 2 perimeters, and the infill raised from its 20 % to what survives
    // 40 MPa of PLA cavity pressure on the sample's 2 mm ribs (the insert pressure finding:
    // at least 33.3 %, printed at 35 %).
    let s = &v["baseplate_print_settings"];
    assert_eq!(s["layer_mm"].as_f64(), Some(0.2));
    assert_eq!(s["nozzle_mm"].as_f64(), Some(0.4));
    assert_eq!(s["perimeters"].as_u64(), Some(2));
    assert_eq!(s["infill_percent"].as_f64(), Some(35.0));
    assert_eq!(v["dfm_facts"]["insert_infill_percent"].as_f64(), Some(35.0));
    let config = entry(&path, "Metadata/Slic3r_PE.config");
    assert!(config.starts_with("; generated by hybridplan"));
    assert_eq!(setting(&config, "layer_height"), "0.2");
    assert_eq!(setting(&config, "first_layer_height"), "0.2");
    assert_eq!(setting(&config, "nozzle_diameter"), "0.4");
    assert_eq!(setting(&config, "perimeters"), "2");
    assert_eq!(setting(&config, "fill_density"), "35%");
    assert_eq!(setting(&config, "bed_shape"), "0x0,250x0,250x210,0x210");
    assert_eq!(setting(&config, "filament_type"), "PLA");
}

#[test]
fn the_users_layer_and_infill_reach_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // 0.15 mm layers, 3 perimeters, 50 % infill: above the 35 % the insert needs, so kept.
    plan(
        Path::new(&common::sample("ribbed_plate.stl")),
        &out,
        &["--layer-mm", "0.15", "--perimeters", "3", "--infill", "50"],
    );
    let config = entry(
        &out.join("ribbed_plate.baseplate.3mf"),
        "Metadata/Slic3r_PE.config",
    );
    assert_eq!(setting(&config, "layer_height"), "0.15");
    assert_eq!(setting(&config, "perimeters"), "3");
    assert_eq!(setting(&config, "fill_density"), "50%");
}

#[test]
fn a_turned_and_moved_part_gives_the_same_placed_baseplate() {
    let dir = tempfile::tempdir().unwrap();
    let upright_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ribbed_plate.stl");
    let mut turned = mesh::load(&upright_file, &Default::default()).unwrap().mesh;
    let pose = Isometry3::from_parts(
        Translation3::new(40.0, -25.0, 60.0),
        UnitQuaternion::from_axis_angle(
            &Unit::new_normalize(Vector3::new(1.0, 2.0, 3.0)),
            37f64.to_radians(),
        ),
    );
    turned.map_vertices(|p| pose * p);
    let turned_file = dir.path().join("turned.stl");
    mesh::stl::write_binary(&turned_file, &turned, "turned").unwrap();

    let a = read_back(&{
        let out = dir.path().join("a");
        plan(&upright_file, &out, &[]);
        out.join("ribbed_plate.baseplate.3mf")
    });
    let b = read_back(&{
        let out = dir.path().join("b");
        plan(&turned_file, &out, &[]);
        out.join("turned.baseplate.3mf")
    });
    let (ba, bb) = (a.bounds().unwrap(), b.bounds().unwrap());
    // 1 µm: the turned part's coordinates went through 32-bit floats twice (its STL, the 3MF).
    for k in 0..3 {
        assert!(
            (ba.min[k] - bb.min[k]).abs() < 1e-3 && (ba.max[k] - bb.max[k]).abs() < 1e-3,
            "upright {ba:?}, turned {bb:?}"
        );
    }
    let (va, vb) = (a.signed_volume_mm3(), b.signed_volume_mm3());
    assert!((va - vb).abs() <= 1e-5 * va, "{va} vs {vb} mm3");
}

#[test]
fn a_part_without_a_plate_writes_no_baseplate_3mf() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let v = plan(Path::new(&common::sample("block.stl")), &out, &[]);
    assert!(
        v["outputs"].get("baseplate_3mf").is_none(),
        "{}",
        v["outputs"]
    );
    assert!(v.get("baseplate_print_settings").is_none());
    assert!(!out.join("block.baseplate.3mf").exists());
    assert!(out.join("block.report.json").exists());
}
