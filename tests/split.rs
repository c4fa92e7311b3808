//! Split invariants on every sample, on rotated parts, through the binary, and over random
//! plates with random ribs (proptest): the plate is found with the generator's thickness, both
//! halves are closed and oriented, and their volumes add up to the part's.

#[path = "common/package.rs"]
mod package;

use std::path::Path;
use std::process::Command;

use hybridplan::mesh::Mesh;
use hybridplan::mesh::check::edge_counts;
use hybridplan::samples::{self, Layer, SamplePart, rect};
use hybridplan::split::{SplitOptions, split};
use nalgebra::{Rotation3, Vector3};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn closed(m: &Mesh) -> bool {
    !m.triangles.is_empty() && edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented()
}

/// Checks the split invariants for `part` turned by `rot`.
fn check_part(part: &SamplePart, rot: Rotation3<f64>) -> Result<(), String> {
    let mut mesh = part.mesh();
    mesh.map_vertices(|p| rot * p);
    check_mesh(part, rot, mesh, 1e-9)
}

/// The same through a binary STL file, as a user's part arrives: coordinates rounded to f32
/// after the rotation, so the plate's faces are no longer exactly planar.
fn check_part_via_stl(part: &SamplePart, rot: Rotation3<f64>) -> Result<(), String> {
    let mut mesh = part.mesh();
    mesh.map_vertices(|p| rot * p);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("part.stl");
    hybridplan::mesh::stl::write_binary(&file, &mesh, part.name).map_err(|e| e.to_string())?;
    let loaded = hybridplan::mesh::load(&file, &Default::default()).map_err(|e| e.to_string())?;
    if let Some(why) = loaded.report.solid_problem() {
        return Err(format!("{}: {why}", part.name));
    }
    check_mesh(part, rot, loaded.mesh, 1e-6)
}

/// `volume_tol`: relative tolerance between the mesh's volume and the closed form (the f32
/// rounding of an STL file moves it by about 1e-7).
fn check_mesh(
    part: &SamplePart,
    rot: Rotation3<f64>,
    mesh: Mesh,
    volume_tol: f64,
) -> Result<(), String> {
    let expected_t = part.plate_thickness_mm.expect("a plate sample");
    let s = split(&mesh, &SplitOptions::default()).map_err(|e| format!("{}: {e}", part.name))?;
    let f = &s.facts;
    let name = part.name;
    if (f.plate_thickness_mm - expected_t).abs() > 0.01 * expected_t {
        return Err(format!(
            "{name}: thickness {} vs {expected_t}",
            f.plate_thickness_mm
        ));
    }
    if !closed(&s.baseplate) || !closed(&s.molded) {
        return Err(format!("{name}: a half is open"));
    }
    let total = mesh.signed_volume_mm3();
    let sum = s.baseplate.signed_volume_mm3() + s.molded.signed_volume_mm3();
    if ((sum - total) / total).abs() > 1e-6 {
        return Err(format!("{name}: {sum} vs {total}"));
    }
    if ((total - part.volume_mm3()) / total).abs() > volume_tol {
        return Err(format!(
            "{name}: part volume {total} vs {}",
            part.volume_mm3()
        ));
    }
    // The normal points from the plate into the ribs, which stand on the generator's top face.
    let z = rot * Vector3::z();
    let n = Vector3::from(f.plane_normal);
    if n.dot(&z).abs() < 1.0 - 1e-9 {
        return Err(format!("{name}: normal {n:?} vs {z:?}"));
    }
    Ok(())
}

#[test]
fn every_plate_sample_under_many_rotations() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for part in samples::all()
        .iter()
        .filter(|p| p.plate_thickness_mm.is_some())
    {
        check_part(part, Rotation3::identity()).unwrap();
        for _ in 0..12 {
            let angles = (-3.2f64..3.2, -3.2f64..3.2, -3.2f64..3.2)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            let rot = Rotation3::from_euler_angles(angles.0, angles.1, angles.2);
            check_part(part, rot).unwrap();
            check_part_via_stl(part, rot).unwrap();
        }
    }
}

#[test]
fn the_block_is_refused() {
    let e = split(&samples::block().mesh(), &SplitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no plate found"), "{e}");
}

/// Runs `hybridplan split FILE --out OUT --format json EXTRA...`, requires success and
/// returns the JSON line.
fn split_json(file: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "split",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn split_command_writes_closed_halves_of_a_rotated_stl() {
    let dir = tempfile::tempdir().unwrap();
    let part = samples::curved_ribs();
    let mut mesh = part.mesh();
    let rot = Rotation3::from_euler_angles(0.9, -2.0, 0.3);
    mesh.map_vertices(|p| rot * p + Vector3::new(500.0, -200.0, 40.0));
    let file = dir.path().join("turned.stl");
    hybridplan::mesh::stl::write_binary(&file, &mesh, "turned").unwrap();
    let out = dir.path().join("out");
    let j = split_json(&file, &out, &[]);
    for key in [
        "plane_point_mm",
        "plane_normal",
        "plate_thickness_mm",
        "footprint_area_mm2",
        "baseplate_volume_mm3",
        "molded_volume_mm3",
        "rib_bodies",
        "max_wall_thickness_mm",
        "projected_area_mm2",
    ] {
        assert!(
            j.get(key).is_some_and(|v| !v.is_null()),
            "missing {key}: {j}"
        );
    }
    assert!((j["plate_thickness_mm"].as_f64().unwrap() - 3.0).abs() < 0.03);
    assert_eq!(j["rib_bodies"], 4);
    // The STL holds f32 coordinates of a part moved 500 mm away: volumes to 1e-6 still.
    let total = j["part_volume_mm3"].as_f64().unwrap();
    let sum =
        j["baseplate_volume_mm3"].as_f64().unwrap() + j["molded_volume_mm3"].as_f64().unwrap();
    assert!(((sum - total) / total).abs() < 1e-6, "{sum} vs {total}");
    // Rib walls are 2 mm thick.
    let wall = j["wall_thickness"]["p50_mm"].as_f64().unwrap();
    assert!((wall - 2.0).abs() < 0.05, "{wall}");

    let stl = |s: &str| out.join(format!("turned.{s}.stl"));
    let o = run(&[
        "inspect",
        stl("baseplate").to_str().unwrap(),
        stl("molded").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for r in &rows {
        assert_eq!(r["watertight"], true, "{r}");
        assert_eq!(r["oriented"], true, "{r}");
        assert_eq!(r["boundary_edges"], 0);
        assert_eq!(r["non_manifold_edges"], 0);
    }
    let written: f64 = rows.iter().map(|r| r["volume_mm3"].as_f64().unwrap()).sum();
    assert!(
        ((written - total) / total).abs() < 1e-6,
        "{written} vs {total}"
    );
    assert!(out.join("turned.split.3mf").exists());
    // Nothing half-written is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn split_command_refuses_plateless_and_open_parts_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let block = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/block.stl");
    let o = run(&[
        "split",
        block.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("block.stl") && err.contains("no plate found"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let mut open = samples::ribbed_plate().mesh();
    open.triangles.pop();
    let file = dir.path().join("open.stl");
    hybridplan::mesh::stl::write_binary(&file, &open, "open").unwrap();
    let o = run(&[
        "split",
        file.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("open.stl") && err.contains("not a closed solid"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "nothing written for failures"
    );
}

/// A random plate with parallel ribs: each rib flush with the plate edge or set in from it at
/// either end, random thickness and height.
fn random_plate() -> impl Strategy<Value = (SamplePart, [f64; 3])> {
    (
        40.0f64..150.0,
        30.0f64..100.0,
        1.5f64..6.0,
        prop::collection::vec(
            (0.8f64..3.0, 3.0f64..20.0, prop::bool::ANY, prop::bool::ANY),
            1..6,
        ),
        (-3.2f64..3.2, -3.2f64..3.2, -3.2f64..3.2),
    )
        .prop_map(|(w, d, t, ribs, rot)| {
            let pitch = d / (ribs.len() as f64 + 1.0);
            // Ribs of different heights: the molded region is the union, built as layers.
            let rings_at = |z: f64| -> Vec<Vec<[f64; 2]>> {
                ribs.iter()
                    .enumerate()
                    .filter(|(_, r)| r.1 > z)
                    .map(|(k, &(rt, _, flush0, flush1))| {
                        let y = pitch * (k as f64 + 1.0);
                        let half = rt.min(pitch * 0.8) / 2.0;
                        let x0 = if flush0 { 0.0 } else { 2.0 };
                        let x1 = if flush1 { w } else { w - 2.0 };
                        rect(x0, y - half, x1, y + half)
                    })
                    .collect()
            };
            let mut heights: Vec<f64> = ribs.iter().map(|r| r.1).collect();
            heights.sort_by(f64::total_cmp);
            heights.dedup();
            let mut layers = vec![Layer {
                z0: 0.0,
                z1: t,
                rings: vec![rect(0.0, 0.0, w, d)],
            }];
            let mut z = 0.0;
            for h in heights {
                layers.push(Layer {
                    z0: t + z,
                    z1: t + h,
                    rings: rings_at(z),
                });
                z = h;
            }
            let part = SamplePart {
                name: "random_plate",
                description: "proptest plate",
                layers,
                plate_thickness_mm: Some(t),
                split_height_mm: Some(t),
            };
            (part, [rot.0, rot.1, rot.2])
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn random_plates_with_random_ribs_split_cleanly((part, rot) in random_plate()) {
        let r = Rotation3::from_euler_angles(rot[0], rot[1], rot[2]);
        if let Err(e) = check_part(&part, r) {
            return Err(TestCaseError::fail(e));
        }
        if let Err(e) = check_part_via_stl(&part, r) {
            return Err(TestCaseError::fail(format!("via STL: {e}")));
        }
    }
}

#[test]
fn halves_share_their_seam_vertices_exactly_and_do_not_overlap() {
    for part in samples::all()
        .iter()
        .filter(|p| p.plate_thickness_mm.is_some())
    {
        let mut mesh = part.mesh();
        let rot = Rotation3::from_euler_angles(1.1, 0.5, -0.7);
        mesh.map_vertices(|p| rot * p);
        let s = split(&mesh, &SplitOptions::default()).unwrap();
        let n = Vector3::from(s.facts.plane_normal);
        let p0 = Vector3::from(s.facts.plane_point_mm);
        let dist = |p: &nalgebra::Point3<f64>| (p.coords - p0).dot(&n);
        let key = |p: &nalgebra::Point3<f64>| [p.x.to_bits(), p.y.to_bits(), p.z.to_bits()];
        let base: std::collections::HashSet<_> = s.baseplate.vertices.iter().map(key).collect();
        let tol = 1e-6 * mesh.bounds().unwrap().diagonal();
        let seam: Vec<_> = s
            .molded
            .vertices
            .iter()
            .filter(|p| dist(p).abs() <= tol)
            .collect();
        assert!(!seam.is_empty(), "{}", part.name);
        for p in &seam {
            assert!(
                base.contains(&key(p)),
                "{}: seam vertex {p:?} not shared",
                part.name
            );
        }
        // Every molded vertex is on or in front of the plane, every baseplate vertex on or behind.
        assert!(
            s.molded.vertices.iter().all(|p| dist(p) >= -tol),
            "{}",
            part.name
        );
        assert!(
            s.baseplate.vertices.iter().all(|p| dist(p) <= tol),
            "{}",
            part.name
        );
    }
}

#[test]
fn split_output_does_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut mesh = samples::grid_plate().mesh();
    let rot = Rotation3::from_euler_angles(0.3, 0.2, 0.1);
    mesh.map_vertices(|p| rot * p);
    let file = dir.path().join("grid.stl");
    hybridplan::mesh::stl::write_binary(&file, &mesh, "grid").unwrap();
    let run_with = |threads: &str, out: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["split", file.to_str().unwrap(), "--format", "json", "--out"])
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        assert!(o.status.success());
        let mut j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        j.as_object_mut().unwrap().remove("outputs");
        let meshes: Vec<Vec<u8>> = ["baseplate", "molded"]
            .iter()
            .map(|k| std::fs::read(dir.path().join(out).join(format!("grid.{k}.stl"))).unwrap())
            .collect();
        (j, meshes)
    };
    let one = run_with("1", "one");
    let four = run_with("4", "four");
    assert_eq!(one.0, four.0);
    assert!(one.1 == four.1, "meshes differ between 1 and 4 threads");
}

#[test]
fn split_with_a_lattice_writes_closed_halves_with_matching_pores_and_pins() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ribbed_plate.stl");
    let out = dir.path().join("out");
    let j = split_json(&file, &out, &["--lattice", "hex"]);
    for key in [
        "pores",
        "pin_area_mm2",
        "pin_area_fraction",
        "warnings",
        "depth_mm",
    ] {
        assert!(j.get(key).is_some(), "missing {key}: {j}");
    }
    let pores = j["pores"].as_u64().unwrap();
    assert!(pores > 200, "{pores}");
    // Defaults from the desktop printer: 0.9 mm pores, 1.0 mm (5 layers) deep in a 3 mm plate.
    assert_eq!(j["pore_mm"], 0.9);
    assert!((j["depth_mm"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let moved = j["pin_area_mm2"].as_f64().unwrap() * 1.0;
    assert!((j["baseplate_volume_mm3"].as_f64().unwrap() - (28_800.0 - moved)).abs() < 1e-6);
    assert!((j["molded_volume_mm3"].as_f64().unwrap() - (14_400.0 + moved)).abs() < 1e-6);
    let stl = |s: &str| out.join(format!("ribbed_plate.{s}.stl"));
    let o = run(&[
        "inspect",
        stl("baseplate").to_str().unwrap(),
        stl("molded").to_str().unwrap(),
        "--format",
        "json",
    ]);
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["watertight"], true, "{r}");
        assert_eq!(r["oriented"], true, "{r}");
    }
    // A depth that leaves no floor is refused with the reason and the limit.
    let o = run(&[
        "split",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--lattice",
        "grid",
        "--depth-mm",
        "2.8",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--depth-mm 2.8") && err.contains("at most 2.40"),
        "{err}"
    );
}

#[test]
fn infill_mode_keeps_the_meshes_plain_and_puts_the_zone_in_the_3mf_as_a_modifier() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ribbed_plate.stl");
    let out = dir.path().join("out");
    let j = split_json(
        &file,
        &out,
        &["--lattice", "infill", "--infill-percent", "25"],
    );
    assert_eq!(j["lattice"], "infill");
    assert_eq!(j["pores"], 0);
    assert_eq!(j["infill_density_percent"], 25.0);
    assert!((j["open_area_fraction"].as_f64().unwrap() - 0.75).abs() < 1e-12);
    assert!((j["baseplate_volume_mm3"].as_f64().unwrap() - 28_800.0).abs() < 1e-6);
    // 2 mm ribs are too thin for an open infill zone with two perimeters a side: said.
    let warnings = j["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("prints it solid")),
        "{warnings:?}"
    );
    // ... and the estimate follows: nothing fills, the bond is the plain interface's.
    assert_eq!(j["expected_fill_depth_mm"], 0.0);
    assert_eq!(j["bond_shear_n"], j["bond_shear_plain_n"]);
    let config = package::entry(
        &out.join("ribbed_plate.split.3mf"),
        "Metadata/Slic3r_PE_model.config",
    );
    assert!(config.contains(r#"value="interface zone""#));
    assert!(config.contains(r#"key="volume_type" value="ParameterModifier""#));
    assert!(config.contains(r#"key="fill_density" value="25%""#));
    assert!(config.contains(r#"key="top_solid_layers" value="0""#));
    // Three volumes: baseplate, zone, molded.
    assert_eq!(config.matches("<volume ").count(), 3);
}
