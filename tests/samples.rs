//! The bundled samples: every one, inspected by the real binary, is a closed solid whose
//! volume matches the generator's closed form, and the files on disk are what the generator
//! makes today.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

fn catalog() -> Vec<HashMap<String, String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/catalog.csv");
    let mut r = csv::Reader::from_path(&path).expect("samples/catalog.csv");
    r.deserialize()
        .map(|row| row.expect("catalog row"))
        .collect()
}

#[test]
fn inspect_reports_every_sample_watertight_with_its_closed_form_volume() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rows = catalog();
    assert!(rows.len() >= 6, "the issue asks for at least six samples");
    let files: Vec<_> = rows
        .iter()
        .map(|r| root.join("samples").join(&r["file"]))
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .arg("inspect")
        .args(&files)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), rows.len());
    for (row, j) in rows.iter().zip(&lines) {
        let name = &row["name"];
        for key in [
            "file",
            "triangles",
            "vertices",
            "volume_mm3",
            "area_mm2",
            "bbox_min_mm",
            "bbox_max_mm",
            "shells",
            "watertight",
            "boundary_edges",
            "non_manifold_edges",
            "warnings",
        ] {
            assert!(j.get(key).is_some(), "{name}: key {key} missing");
        }
        assert_eq!(j["watertight"], true, "{name}");
        assert_eq!(j["oriented"], true, "{name}");
        assert_eq!(j["boundary_edges"], 0, "{name}");
        assert_eq!(j["non_manifold_edges"], 0, "{name}");
        assert_eq!(j["shells"], 1, "{name}");
        assert_eq!(
            j["warnings"].as_array().unwrap().len(),
            0,
            "{name}: {}",
            j["warnings"]
        );
        let expected: f64 = row["volume_mm3"].parse().unwrap();
        let got = j["volume_mm3"].as_f64().unwrap();
        // The STL stores f32 coordinates; the closed form is exact.
        assert!(
            ((got - expected) / expected).abs() < 1e-6,
            "{name}: inspect {got} vs closed form {expected}"
        );
        assert_eq!(
            j["triangles"].as_u64().unwrap().to_string(),
            row["triangles"],
            "{name}"
        );
    }
}

#[test]
fn sample_files_are_what_the_generator_makes() {
    let rows = catalog();
    let parts = hybridplan::samples::all();
    assert_eq!(
        rows.len(),
        parts.len(),
        "regenerate: cargo run --release --example make_samples"
    );
    for (row, part) in rows.iter().zip(&parts) {
        assert_eq!(row["name"], part.name);
        let v: f64 = row["volume_mm3"].parse().unwrap();
        assert!(
            (v - part.volume_mm3()).abs() < 1e-5,
            "{}: catalog is stale",
            part.name
        );
        let mesh = part.mesh();
        assert_eq!(
            row["triangles"],
            mesh.triangles.len().to_string(),
            "{}",
            part.name
        );
        let mut bytes = Vec::new();
        hybridplan::mesh::stl::write_binary_to(&mut bytes, &mesh, part.name).unwrap();
        let on_disk = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples")
                .join(&row["file"]),
        )
        .unwrap();
        assert!(
            bytes == on_disk,
            "{}: samples/ is stale; regenerate it",
            part.name
        );
    }
}

#[test]
fn written_stl_reads_back_with_stl_io() {
    // An independent reader (stl_io) agrees with our writer on every sample.
    for part in hybridplan::samples::all() {
        let mesh = part.mesh();
        let mut bytes = Vec::new();
        hybridplan::mesh::stl::write_binary_to(&mut bytes, &mesh, part.name).unwrap();
        let read = stl_io::read_stl(&mut std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(read.faces.len(), mesh.triangles.len());
        assert_eq!(read.vertices.len(), mesh.vertices.len(), "{}", part.name);
        read.validate()
            .unwrap_or_else(|e| panic!("{}: {e:?}", part.name));
    }
}
