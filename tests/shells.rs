//! Overlapping shells through the loader and the split: a plate and ribs written as separate
//! closed shells, the ribs sunk 2 mm into the plate, become one solid whose split finds the
//! plate and the ribs; a union that cannot be done is an error naming the file.

use std::process::Command;

use hybridplan::mesh::Mesh;
use hybridplan::mesh::check::edge_counts;
use hybridplan::split::{SplitOptions, split};

fn cuboid(min: [f64; 3], max: [f64; 3]) -> Mesh {
    Mesh::cuboid(min, max)
}

/// A 120 x 80 x 6 plate and four 3 mm ribs (two along x, two along y, crossing) standing to
/// z = 26, each its own shell, sunk 2 mm into the plate (from z = 4). The plate is
/// subdivided twice, as a mesh modeller would export it, so the union meets real
/// tessellation.
fn plate_and_ribs() -> Mesh {
    let mut m = cuboid([0.0; 3], [120.0, 80.0, 6.0])
        .subdivided()
        .subdivided();
    for y in [25.0, 52.0] {
        m.append(&cuboid([10.0, y, 4.0], [110.0, y + 3.0, 26.0]));
    }
    for x in [40.0, 77.0] {
        m.append(&cuboid([x, 10.0, 4.0], [x + 3.0, 70.0, 26.0]));
    }
    m
}

// Closed forms. Plate 120 * 80 * 6 = 57600. Above the plate (z 6 to 26, 20 mm high): two
// ribs along x of 100 * 3 and two along y of 60 * 3, minus the four 3 * 3 crossings counted
// twice: (2 * 300 + 2 * 180 - 4 * 9) * 20 = 924 * 20 = 18480. The ribs as given, 22 mm
// high each, summed without the crossings removed: (600 + 360) * 22 = 21120.
const PLATE_MM3: f64 = 57600.0;
const RIBS_ABOVE_MM3: f64 = 18480.0;
const RIBS_GIVEN_MM3: f64 = 21120.0;

#[test]
fn sunk_ribs_are_merged_and_split_from_the_plate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plate_ribs.stl");
    hybridplan::mesh::stl::write_binary(&file, &plate_and_ribs(), "plate and ribs").unwrap();
    let loaded = hybridplan::mesh::load(&file, &Default::default()).unwrap();
    let r = &loaded.report;
    assert_eq!(r.overlapping_shells, 5);
    assert_eq!(r.shells, 1);
    assert!(r.solid_problem().is_none(), "{:?}", r.solid_problem());
    let merged = PLATE_MM3 + RIBS_ABOVE_MM3;
    assert!(
        (r.volume_mm3 - merged).abs() < 1e-6 * merged,
        "{}",
        r.volume_mm3
    );
    let warning = format!(
        "5 shells overlap; merged into one solid with a boolean union, volume {merged:.1} mm³ instead of {:.1} mm³",
        PLATE_MM3 + RIBS_GIVEN_MM3
    );
    assert!(r.warnings.contains(&warning), "{:?}", r.warnings);
    let m = &loaded.mesh;
    assert!(edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented());

    let s = split(m, &SplitOptions::default()).unwrap();
    let f = &s.facts;
    assert!(
        (f.plate_thickness_mm - 6.0).abs() < 1e-3,
        "{}",
        f.plate_thickness_mm
    );
    assert!(f.other_bodies_mm3.is_empty(), "{:?}", f.other_bodies_mm3);
    // The crossing ribs make one molded body.
    assert_eq!(f.rib_bodies, 1);
    assert!(
        (f.molded_volume_mm3 - RIBS_ABOVE_MM3).abs() < 1e-6 * RIBS_ABOVE_MM3,
        "{}",
        f.molded_volume_mm3
    );
    assert!((f.baseplate_volume_mm3 - PLATE_MM3).abs() < 1e-6 * PLATE_MM3);
}

#[test]
fn turned_plate_and_ribs_merge_through_f32_coordinates() {
    // Turned about a skew axis before writing: the coordinates are rounded to f32 and no face
    // is axis-aligned or exactly planar any more, so the union meets near-coplanar faces.
    let rot = nalgebra::Rotation3::from_axis_angle(
        &nalgebra::Unit::new_normalize(nalgebra::Vector3::new(0.3, -0.5, 0.8)),
        0.7,
    );
    let mut m = plate_and_ribs();
    m.map_vertices(|p| rot * p);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("turned.stl");
    hybridplan::mesh::stl::write_binary(&file, &m, "turned").unwrap();
    let loaded = hybridplan::mesh::load(&file, &Default::default()).unwrap();
    let r = &loaded.report;
    assert!(r.solid_problem().is_none(), "{:?}", r.solid_problem());
    assert_eq!((r.shells, r.overlapping_shells), (1, 5));
    let merged = PLATE_MM3 + RIBS_ABOVE_MM3;
    assert!(
        (r.volume_mm3 - merged).abs() < 1e-5 * merged,
        "{}",
        r.volume_mm3
    );
    let s = split(&loaded.mesh, &SplitOptions::default()).unwrap();
    assert!((s.facts.plate_thickness_mm - 6.0).abs() < 0.01);
    assert!(
        (s.facts.molded_volume_mm3 - RIBS_ABOVE_MM3).abs() < 1e-4 * RIBS_ABOVE_MM3,
        "{}",
        s.facts.molded_volume_mm3
    );
}

#[test]
fn a_body_written_twice_slightly_apart_is_one_body() {
    // The same closed box twice, the copy shifted 0.5 mm along x (an export that duplicated
    // a body): four pairs of coplanar, overlapping faces. The union is 10.5 * 10 * 10 = 1050
    // mm³, not 2000. (An exact duplicate welds into one non-manifold shell instead, which the
    // edge checks refuse.)
    let mut m = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
    m.append(&cuboid([0.5, 0.0, 0.0], [10.5, 10.0, 10.0]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twice.stl");
    hybridplan::mesh::stl::write_binary(&file, &m, "twice").unwrap();
    let loaded = hybridplan::mesh::load(&file, &Default::default()).unwrap();
    let r = &loaded.report;
    assert!(r.solid_problem().is_none(), "{:?}", r.solid_problem());
    assert_eq!((r.shells, r.overlapping_shells), (1, 2));
    assert!((r.volume_mm3 - 1050.0).abs() < 1e-9, "{}", r.volume_mm3);
    let m = &loaded.mesh;
    assert!(edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented());
}

#[test]
fn separate_ribs_stay_separate_bodies_after_the_merge() {
    // Three parallel ribs, 4 x 40 x 17 given, 15 above a 5 mm plate: 3 rib bodies of
    // 4 * 40 * 15 = 2400 mm³ each.
    let mut m = cuboid([0.0; 3], [100.0, 60.0, 5.0]);
    for x in [20.0, 48.0, 76.0] {
        m.append(&cuboid([x, 10.0, 3.0], [x + 4.0, 50.0, 20.0]));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("three_ribs.stl");
    hybridplan::mesh::stl::write_binary(&file, &m, "three ribs").unwrap();
    let loaded = hybridplan::mesh::load(&file, &Default::default()).unwrap();
    let s = split(&loaded.mesh, &SplitOptions::default()).unwrap();
    assert_eq!(s.facts.rib_bodies, 3);
    assert!((s.facts.molded_volume_mm3 - 7200.0).abs() < 1e-6 * 7200.0);
}

#[test]
fn a_union_that_cannot_be_done_names_the_file() {
    // A hollow box whose void wall a rib crosses: the void would have to be cut, not united.
    let mut m = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
    let mut void = cuboid([2.0; 3], [8.0, 8.0, 8.0]);
    void.flip();
    m.append(&void);
    m.append(&cuboid([1.0, 4.0, 4.0], [5.0, 6.0, 6.0]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("void_rib.stl");
    hybridplan::mesh::stl::write_binary(&file, &m, "void and rib").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .arg("split")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("void_rib.stl") && stderr.contains("could not be merged into one solid"),
        "{stderr}"
    );
}
