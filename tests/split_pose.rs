//! A finely tessellated plate turned and moved far from the origin splits as the coarse one
//! does. The detected axis was the mean of facet normals, which float noise on 200 k tiny
//! facets tilted by about 4e-6 rad: 300 mm from the origin the plate face then straddled the
//! cut's snap distance and the cut failed ("the upper half is not closed"). Found by the
//! family bench (its member 3, made here the same way).

use hybridplan::mesh::Mesh;
use hybridplan::mesh::stl::write_binary;
use nalgebra::{Isometry3, Translation3, UnitQuaternion};
use serde_json::Value;

#[path = "../benches/common/family_member.rs"]
mod family_member;

/// The family bench's member `k` (as the bench makes it, not taller).
fn member(k: usize) -> Mesh {
    family_member::member(k, false)
}

fn split(dir: &std::path::Path, name: &str, m: &Mesh) -> Value {
    let f = dir.join(name);
    write_binary(&f, m, "m").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args(["split", f.to_str().unwrap(), "--out"])
        .arg(dir.join(format!("{name}.out")))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v.get("parts").and_then(|p| p.get(0)).unwrap_or(&v).clone()
}

#[test]
fn a_fine_plate_far_from_the_origin_splits_like_the_coarse_one() {
    let dir = tempfile::tempdir().unwrap();
    let k = 3;
    let coarse = member(k);
    let mut fine = coarse.clone();
    while fine.triangles.len() * 4 <= 200_000 * 2 {
        fine = fine.subdivided();
    }
    assert!(fine.triangles.len() > 200_000);
    // The bench's pose of member 3.
    let f = |j: usize| ((k * 7919 + j * 104_729) % 1000) as f64 / 1000.0;
    let pose = Isometry3::from_parts(
        Translation3::new(300.0 * f(1) - 150.0, 300.0 * f(2) - 150.0, 300.0 * f(3)),
        UnitQuaternion::from_euler_angles(
            std::f64::consts::TAU * f(4),
            3.0 * f(5) - 1.5,
            std::f64::consts::TAU * f(6),
        ),
    );
    fine.map_vertices(|p| pose * p);
    let a = split(dir.path(), "coarse.stl", &coarse);
    let b = split(dir.path(), "fine.stl", &fine);
    // Four rib bodies of 2 x 70, 2 x 60, 2 x 60 and 2 x 9 mm, 12 mm tall: 398 mm² x 12 mm =
    // 4,776 mm³ molded, the same fine and coarse.
    assert_eq!(a["rib_bodies"], 4);
    assert_eq!(b["rib_bodies"], 4);
    for key in [
        "molded_volume_mm3",
        "baseplate_volume_mm3",
        "plate_thickness_mm",
    ] {
        let (x, y) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
        assert!((x - y).abs() < 1e-4 * x, "{key}: coarse {x}, fine {y}");
    }
    let molded = a["molded_volume_mm3"].as_f64().unwrap();
    assert!(
        (molded - 12.0 * (140.0 + 120.0 + 120.0 + 18.0)).abs() < 1e-6,
        "{molded}"
    );
}
