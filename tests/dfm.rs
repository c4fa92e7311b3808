//! The moldability and insert checks (src/dfm) on generated parts with known answers: ribs
//! with 0° and 2° of draft, ribs with a cross hole each way and without, a plate bridged over
//! posts, a rib run to the plate edge, PC and PP melt on a PLA insert, a 20 % infill insert
//! under 60 MPa.

use std::path::{Path, PathBuf};

use hybridplan::dfm::{self, FaceClass, Kind, RouteOf, Severity};
use hybridplan::mesh::{LoadOptions, Mesh};
use hybridplan::models::ModelSet;
use hybridplan::models::materials::contact_temperature_c;
use hybridplan::plan::{self, EstimateOptions, FffChanges, MaterialChoice, SplitJob};
use hybridplan::process::RouteResult;
use hybridplan::process::molding::InsertHandling;
use hybridplan::samples::{Layer, extrude_layers, rect};
use hybridplan::split::SplitOptions;
use nalgebra::{Point3, Unit, Vector3};

fn layer(z0: f64, z1: f64, rings: Vec<Vec<[f64; 2]>>) -> Layer {
    Layer { z0, z1, rings }
}

fn write(dir: &Path, name: &str, layers: &[Layer]) -> PathBuf {
    write_mesh(dir, name, &extrude_layers(layers).unwrap())
}

fn write_mesh(dir: &Path, name: &str, mesh: &Mesh) -> PathBuf {
    let path = dir.join(format!("{name}.stl"));
    hybridplan::mesh::stl::write_binary(&path, mesh, name).unwrap();
    path
}

/// Estimates `file` with `molded` ribs on a `printed` insert (desktop FFF, 20 % infill).
fn estimate(
    file: &Path,
    models: &ModelSet,
    molded: &str,
    printed: &str,
) -> (plan::Prepared, plan::Estimate) {
    estimate_with(file, models, molded, printed, SplitOptions::default(), 3000)
}

/// As [`estimate`], with the split's options and the wall-thickness samples given.
fn estimate_with(
    file: &Path,
    models: &ModelSet,
    molded: &str,
    printed: &str,
    split: SplitOptions,
    thickness_samples: usize,
) -> (plan::Prepared, plan::Estimate) {
    let job = SplitJob {
        load: LoadOptions::default(),
        split,
        lattice: None,
        thickness_samples,
        models,
        materials: MaterialChoice {
            molded: molded.into(),
            printed: printed.into(),
        },
    };
    let opts = EstimateOptions::new(
        models,
        "desktop_fff",
        FffChanges::default(),
        10_000.0,
        1,
        InsertHandling::Manual,
        None,
    )
    .unwrap();
    plan::estimate_part(file, &job, &opts).unwrap()
}

fn findings(p: &plan::Prepared, kind: Kind, route: RouteOf) -> Vec<&dfm::Finding> {
    p.dfm
        .as_ref()
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.kind == kind && f.route == route)
        .collect()
}

/// A closed frustum (outward faces) standing on z0: the box [x0,x1] x [y0,y1] at its foot,
/// every side leaning in by `draft_deg` up to z1.
fn frustum(x0: f64, y0: f64, x1: f64, y1: f64, z0: f64, z1: f64, draft_deg: f64) -> Mesh {
    let i = (z1 - z0) * draft_deg.to_radians().tan();
    let v = vec![
        Point3::new(x0, y0, z0),
        Point3::new(x1, y0, z0),
        Point3::new(x1, y1, z0),
        Point3::new(x0, y1, z0),
        Point3::new(x0 + i, y0 + i, z1),
        Point3::new(x1 - i, y0 + i, z1),
        Point3::new(x1 - i, y1 - i, z1),
        Point3::new(x0 + i, y1 - i, z1),
    ];
    let t = vec![
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 0, 4],
        [3, 4, 7],
    ];
    Mesh::new(v, t)
}

#[test]
fn a_rib_without_draft_is_reported_and_one_with_two_degrees_is_not() {
    let models = ModelSet::embedded().unwrap();
    let plate = Mesh::cuboid([0.0, 0.0, 0.0], [120.0, 80.0, 3.0]);
    let z = Unit::new_normalize(Vector3::z());
    let on_insert = |p: &Point3<f64>| p.z <= 3.0 + 1e-6;
    for (deg, short_mm2) in [(0.0, 2.0 * (100.0 * 12.0) + 2.0 * (2.0 * 12.0)), (2.0, 0.0)] {
        let rib = frustum(10.0, 39.0, 110.0, 41.0, 3.0, 15.0, deg);
        let a = dfm::pull::analyse(&rib, &[&rib, &plate], &z, &on_insert, 0.5, &models.dfm);
        // 0°: the four sides, 2 x 100 x 12 + 2 x 2 x 12 = 2448 mm2 short of the 0.5° minimum;
        // 2° (1.5° or more a side): none.
        assert!((a.draft_area_mm2() - short_mm2).abs() < 1e-6, "{deg}°");
        assert_eq!(a.side_actions(), 0);
        assert_eq!(a.classes[0], FaceClass::Insert, "the foot is the insert's");
        if deg > 0.0 {
            assert!(a.draft_patches.is_empty());
        } else {
            assert!(a.draft_patches.iter().all(|p| p.least_draft_deg < 1e-9));
        }
    }
}

/// A 120 x 80 x 3 plate with a 6 mm rib 17 mm tall along x (and/or along y), each with a
/// 10 x 6 mm hole through it at mid-height when `hole`.
fn ribs_with_holes(along_x: bool, along_y: bool, hole: bool) -> Vec<Layer> {
    let mut low = Vec::new();
    let mut mid = Vec::new();
    if along_x {
        low.push(rect(5.0, 17.0, 115.0, 23.0));
        if hole {
            mid.push(rect(5.0, 17.0, 50.0, 23.0));
            mid.push(rect(60.0, 17.0, 115.0, 23.0));
        } else {
            mid.push(rect(5.0, 17.0, 115.0, 23.0));
        }
    }
    if along_y {
        low.push(rect(77.0, 30.0, 83.0, 75.0));
        if hole {
            mid.push(rect(77.0, 30.0, 83.0, 45.0));
            mid.push(rect(77.0, 55.0, 83.0, 75.0));
        } else {
            mid.push(rect(77.0, 30.0, 83.0, 75.0));
        }
    }
    vec![
        layer(0.0, 3.0, vec![rect(0.0, 0.0, 120.0, 80.0)]),
        layer(3.0, 8.0, low.clone()),
        layer(8.0, 14.0, mid),
        layer(14.0, 20.0, low),
    ]
}

#[test]
fn a_cross_hole_needs_one_side_action_each_way_and_the_tool_pays_for_it() {
    let models = ModelSet::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cost = models.molding.tooling.side_action_cost;
    let mut plain_tool = None;
    for (name, x, y, hole, actions) in [
        ("plain", true, false, false, 0),
        ("hole_y", true, false, true, 1),
        ("hole_x", false, true, true, 1),
        ("both", true, true, true, 2),
    ] {
        let file = write(dir.path(), name, &ribs_with_holes(x, y, hole));
        let (p, e) = estimate(&file, &models, "PP", "PP");
        let d = p.dfm.as_ref().unwrap();
        assert_eq!(d.hybrid_side_actions, actions, "{name}: {:#?}", d.findings);
        let undercuts: Vec<_> = findings(&p, Kind::Undercut, RouteOf::Hybrid)
            .into_iter()
            .filter(|f| f.severity == Severity::Warning)
            .collect();
        assert_eq!(undercuts.len(), actions as usize, "{name}");
        // The hole along y (through the rib along x) slides out along y, and the other way.
        if name == "hole_y" {
            assert!(
                undercuts[0].message.contains("(0.00, 1.00, 0.00)")
                    || undercuts[0].message.contains("(0.00, -1.00, 0.00)")
                    || undercuts[0].message.contains("(-0.00, -1.00, 0.00)"),
                "{}",
                undercuts[0].message
            );
        }
        let RouteResult::Available(h) = &e.comparison.routes.hybrid else {
            panic!("{name}: hybrid unavailable");
        };
        let tool = h.molding.as_ref().unwrap().tool;
        // One side action per feature and cavity, each at the model's cost.
        assert_eq!(tool.side_actions, actions * tool.cavities, "{name}");
        assert!(
            (tool.side_action_cost - (actions * tool.cavities) as f64 * cost).abs() < 1e-9,
            "{name}"
        );
        if name == "plain" {
            plain_tool = Some(tool);
        } else if name == "hole_y" {
            let plain = plain_tool.unwrap();
            if plain.cavities == tool.cavities && plain.metal == tool.metal {
                assert!(
                    tool.lead_time_days - plain.lead_time_days
                        == models.molding.tooling.side_action_lead_time_days
                );
            }
        }
    }
}

#[test]
fn a_plate_bridged_over_posts_cannot_be_molded_on_its_insert() {
    let models = ModelSet::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 100 x 80 x 3 plate; four 8 x 8 posts 10 mm tall at the corners; a 3 mm deck over them.
    let posts = vec![
        rect(0.0, 0.0, 8.0, 8.0),
        rect(92.0, 0.0, 100.0, 8.0),
        rect(92.0, 72.0, 100.0, 80.0),
        rect(0.0, 72.0, 8.0, 80.0),
    ];
    let layers = vec![
        layer(0.0, 3.0, vec![rect(0.0, 0.0, 100.0, 80.0)]),
        layer(3.0, 13.0, posts),
        layer(13.0, 16.0, vec![rect(0.0, 0.0, 100.0, 80.0)]),
    ];
    let file = write(dir.path(), "bed", &layers);
    let split = SplitOptions {
        height_mm: Some(3.0),
        ..SplitOptions::default()
    };
    let (p, e) = estimate_with(&file, &models, "PP", "PP", split, 2000);
    let errors: Vec<_> = findings(&p, Kind::Undercut, RouteOf::Hybrid)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{:#?}", p.dfm);
    // The deck's underside less the posts' tops, 100 x 80 - 4 x 64 = 7744 mm2, and the posts'
    // inner sides, 4 x 2 x 8 x 10 = 640 mm2, are hidden between insert and deck.
    assert!(
        (errors[0].area_mm2.unwrap() - (7744.0 + 640.0)).abs() < 1.0,
        "{:?}",
        errors[0]
    );
    match &e.comparison.routes.hybrid {
        RouteResult::Unavailable { reason, .. } => {
            assert!(
                reason.contains("dfm") && reason.contains("no side action"),
                "{reason}"
            )
        }
        RouteResult::Available(_) => panic!("the hybrid route was costed"),
    }
    assert_ne!(e.comparison.best_route.map(|r| r.name()), Some("hybrid"));
    assert!(e.comparison.sweep.hybrid.iter().all(|c| c.is_none()));
}

#[test]
fn a_rib_run_to_the_plate_edge_leaves_no_land_to_shut_off_on() {
    let models = ModelSet::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plate = rect(0.0, 0.0, 120.0, 80.0);
    let cases = [
        // A 2 mm rib from x = 20 to the plate's edge at x = 120: the footprint's end, 2 mm,
        // lies on the edge (land 0), and its sides run within 1.5 mm of it for 1.5 mm each.
        ("to_edge", rect(20.0, 39.0, 120.0, 41.0), true),
        // The same rib stopping 10 mm short: land all round.
        ("inset", rect(20.0, 39.0, 110.0, 41.0), false),
    ];
    for (name, rib, narrow) in cases {
        let layers = vec![
            layer(0.0, 3.0, vec![plate.clone()]),
            layer(3.0, 15.0, vec![rib]),
        ];
        let file = write(dir.path(), name, &layers);
        let (p, _) = estimate(&file, &models, "PP", "PP");
        let s = findings(&p, Kind::Shutoff, RouteOf::Hybrid);
        assert_eq!(s.len(), 1, "{name}");
        if narrow {
            assert_eq!(s[0].severity, Severity::Warning);
            assert!(s[0].value.unwrap() < 1e-6, "{:?}", s[0]);
            let len: f64 = s[0]
                .message
                .split(" mm of the rib footprint")
                .next()
                .unwrap()
                .parse()
                .unwrap();
            // 2 mm on the edge + 2 x 1.5 mm of the sides within the land = 5 mm (walked in
            // quarter-land steps: to one step).
            assert!((len - 5.0).abs() <= 0.4, "{len}");
            assert!((s[0].where_mm.unwrap()[0] - 120.0).abs() < 1e-6);
        } else {
            assert_eq!(s[0].severity, Severity::Info, "{:?}", s[0]);
        }
    }
}

#[test]
fn insert_heat_of_pc_and_pp_on_pla_by_hand() {
    let models = ModelSet::embedded().unwrap();
    let m = |n: &str| models.materials.get(n).unwrap().1;
    // Effusivity e = sqrt(k rho c): PLA sqrt(0.13 x 1240 x 1800) = 538.67, PC sqrt(0.20 x
    // 1200 x 1200) = 536.66, PP sqrt(0.20 x 905 x 2000) = 601.66 W s^0.5 / (m2 K).
    assert!((m("PLA").effusivity().unwrap() - 538.665).abs() < 1e-2);
    assert!((m("PC").effusivity().unwrap() - 536.656).abs() < 1e-2);
    assert!((m("PP").effusivity().unwrap() - 601.664).abs() < 1e-2);
    // PC melt at 300 °C on PLA at 23 °C: (536.66 x 300 + 538.67 x 23) / 1075.32 = 161.2 °C,
    // above PLA's melting onset 160 °C: an error. PP at 230 °C: (601.66 x 230 + 538.67 x 23)
    // / 1140.33 = 132.2 °C, above PLA's heat deflection 65 °C, below 160 °C: a warning.
    let pc = contact_temperature_c(536.656, 300.0, 538.665, 23.0);
    assert!((pc - 161.2).abs() < 0.05, "{pc}");
    let pp = contact_temperature_c(601.664, 230.0, 538.665, 23.0);
    assert!((pp - 132.2).abs() < 0.05, "{pp}");
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![
        layer(0.0, 3.0, vec![rect(0.0, 0.0, 120.0, 80.0)]),
        layer(3.0, 15.0, vec![rect(10.0, 39.0, 110.0, 41.0)]),
    ];
    let file = write(dir.path(), "rib", &layers);
    for (molded, tc, severity) in [("PC", pc, Severity::Error), ("PP", pp, Severity::Warning)] {
        let (p, e) = estimate(&file, &models, molded, "PLA");
        let d = p.dfm.as_ref().unwrap();
        assert!((d.insert_contact_temp_c.unwrap() - tc).abs() < 0.01);
        let h = findings(&p, Kind::InsertHeat, RouteOf::Hybrid);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].severity, severity, "{}", h[0].message);
        let hybrid_available = matches!(e.comparison.routes.hybrid, RouteResult::Available(_));
        assert_eq!(hybrid_available, severity != Severity::Error, "{molded}");
    }
}

#[test]
fn a_twenty_percent_insert_under_sixty_mpa_is_printed_denser() {
    let models = ModelSet::embedded().unwrap();
    let law = &models.dfm.insert;
    // 60 MPa on 2 mm ribs through the desktop printer's 5 x 0.2 = 1 mm top skin: 60 x 2 / (2 +
    // 2 x 1) = 30 MPa on the infill. A PLA infill (solid 60 MPa) at 20 % holds 1 x 60 x 0.2 =
    // 12 MPa: it crushes; 30 / 60 = 50 % holds.
    let load = dfm::insert::infill_load_mpa(60.0, 2.0, 1.0);
    assert!((load - 30.0).abs() < 1e-12);
    assert!((dfm::insert::infill_strength_mpa(0.2, 60.0, law) - 12.0).abs() < 1e-12);
    let need = dfm::insert::infill_for_mpa(load, 60.0, law).unwrap();
    assert!((need - 0.5).abs() < 1e-9, "{need}");
    // PC (60 MPa of cavity pressure) on a PC insert (62 MPa solid): 30 / 62 = 48.4 % at least,
    // printed at 50 %; the baseplate's print takes longer than at 20 %.
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![
        layer(0.0, 3.0, vec![rect(0.0, 0.0, 120.0, 80.0)]),
        layer(3.0, 15.0, vec![rect(10.0, 39.0, 110.0, 41.0)]),
    ];
    let file = write(dir.path(), "rib", &layers);
    let (p, e) = estimate(&file, &models, "PC", "PC");
    let d = p.dfm.as_ref().unwrap();
    assert_eq!(d.insert_infill_percent, Some(50.0), "{:#?}", d.findings);
    let f = findings(&p, Kind::InsertPressure, RouteOf::Hybrid);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        (f[0].value.unwrap() - 60.0 * 2.0 / 4.0).abs() < 0.05,
        "{:?}",
        f[0]
    );
    let mut sparse = models.clone();
    sparse.dfm.insert.infill_strength_coefficient = 100.0;
    let (p20, e20) = estimate(&file, &sparse, "PC", "PC");
    assert_eq!(p20.dfm.unwrap().insert_infill_percent, Some(20.0));
    assert!(e.baseplate_print_time_s.unwrap() > e20.baseplate_print_time_s.unwrap());
}

#[test]
fn batch_rows_count_the_findings_and_their_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    let posts = vec![
        rect(0.0, 0.0, 8.0, 8.0),
        rect(92.0, 0.0, 100.0, 8.0),
        rect(92.0, 72.0, 100.0, 80.0),
        rect(0.0, 72.0, 8.0, 80.0),
    ];
    write(
        &parts,
        "bed",
        &[
            layer(0.0, 3.0, vec![rect(0.0, 0.0, 100.0, 80.0)]),
            layer(3.0, 13.0, posts),
            layer(13.0, 16.0, vec![rect(0.0, 0.0, 100.0, 80.0)]),
        ],
    );
    let out = dir.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .args([
            "batch",
            parts.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--height", "3", "--quiet", "--jobs", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(rows.lines().next().unwrap()).unwrap();
    assert_eq!(row["status"], "ok", "{row}");
    // The enclosed deck (an error for both routes: the whole part has it too) and the
    // warnings beside it.
    assert!(row["dfm_errors"].as_u64().unwrap() >= 1, "{row}");
    assert!(row["dfm_warnings"].as_u64().unwrap() >= 1, "{row}");
    assert!(
        row["dfm_kinds"].as_str().unwrap().contains("undercut"),
        "{row}"
    );
    assert_ne!(row["best_route"], "hybrid");
    assert!(row["cost_per_part_hybrid"].is_null(), "{row}");
}

/// A 60 x 40 x 30 block with a 10 x 6 mm tunnel through it along y, at mid-height.
fn tunnel_block() -> Vec<Layer> {
    vec![
        layer(0.0, 10.0, vec![rect(0.0, 0.0, 60.0, 40.0)]),
        layer(
            10.0,
            16.0,
            vec![rect(0.0, 0.0, 25.0, 40.0), rect(35.0, 0.0, 60.0, 40.0)],
        ),
        layer(16.0, 30.0, vec![rect(0.0, 0.0, 60.0, 40.0)]),
    ]
}

#[test]
fn the_im_parting_axis_turns_with_the_part() {
    // Parted along the tunnel (y) the block needs no side action; along z or x the tunnel is
    // an undercut. Turned by any rotation the verdict must be the same, with the axis turned
    // too: the candidate axes come from the part's faces, not the file's x, y and z (which
    // before gave the turned block a side action or an enclosed feature).
    let models = ModelSet::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let block = extrude_layers(&tunnel_block()).unwrap();
    for (k, (axis, deg)) in [
        (Vector3::z(), 0.0f64),
        (Vector3::new(1.0, 2.0, 3.0), 37.0),
        (Vector3::new(-2.0, 0.5, 1.0), 115.0),
        (Vector3::z(), 15.0),
    ]
    .into_iter()
    .enumerate()
    {
        let r = nalgebra::Rotation3::from_axis_angle(&Unit::new_normalize(axis), deg.to_radians());
        let mut turned = block.clone();
        turned.map_vertices(|p| r * p + Vector3::new(300.0, -20.0, 7.0));
        let path = write_mesh(dir.path(), &format!("turned_{k}"), &turned);
        let (p, _) = estimate(&path, &models, "PP", "PP");
        let d = p.dfm.as_ref().unwrap();
        let want = r * Vector3::y();
        let got = Vector3::from(d.im_parting_axis);
        assert!(
            got.dot(&want).abs() > 1.0 - 1e-6,
            "turn {k}: parted along {got:?}, not the tunnel {want:?}"
        );
        assert_eq!(d.im_side_actions, 0, "turn {k}: {:#?}", d.findings);
        assert!(
            findings(&p, Kind::Undercut, RouteOf::Im)
                .iter()
                .all(|f| f.severity != Severity::Error),
            "turn {k}"
        );
    }
}

#[test]
fn a_tessellated_hole_square_to_a_turned_face_needs_no_side_action() {
    // A block with a blind round hole (16 facets, each leaning a little as exported meshes'
    // do) drilled square to its top face, turned 15 degrees about x: parted along the hole,
    // its facets are walls short of draft, not undercuts each with a slide.
    let models = ModelSet::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let n = 16;
    let hole: Vec<[f64; 2]> = (0..n)
        .rev()
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            [30.0 + 8.0 * a.cos(), 20.0 + 8.0 * a.sin()]
        })
        .collect();
    let layers = vec![
        layer(0.0, 10.0, vec![rect(0.0, 0.0, 60.0, 40.0)]),
        layer(10.0, 30.0, vec![rect(0.0, 0.0, 60.0, 40.0), hole]),
    ];
    let block = extrude_layers(&layers).unwrap();
    // The hole's rim moved 0.1 mm out and in at every other vertex: over its 20 mm depth each
    // facet's two triangles lean about 0.3 degrees, one each way.
    let lean = |p: &Point3<f64>| {
        let (dx, dy) = (p.x - 30.0, p.y - 20.0);
        let r = dx.hypot(dy);
        if (p.z - 30.0).abs() > 1e-9 || (r - 8.0).abs() > 1e-6 {
            return *p;
        }
        let k = (dy.atan2(dx) / std::f64::consts::TAU * n as f64).round() as i64;
        let s = if k % 2 == 0 { 8.1 / 8.0 } else { 7.9 / 8.0 };
        Point3::new(30.0 + dx * s, 20.0 + dy * s, p.z)
    };
    let r = nalgebra::Rotation3::from_axis_angle(&Vector3::x_axis(), 15f64.to_radians());
    let mut turned = block;
    turned.map_vertices(|p| r * lean(p));
    let path = write_mesh(dir.path(), "hole", &turned);
    let (p, _) = estimate(&path, &models, "PP", "PP");
    let d = p.dfm.as_ref().unwrap();
    let got = Vector3::from(d.im_parting_axis);
    assert!(got.dot(&(r * Vector3::z())).abs() > 1.0 - 1e-5, "{got:?}");
    assert_eq!(d.im_side_actions, 0, "{:#?}", d.findings);
    // Nor small hidden areas: before, each leaning facet was one (34 of them, 388 mm2).
    let hidden_mm2: f64 = findings(&p, Kind::Undercut, RouteOf::Im)
        .iter()
        .filter_map(|f| f.area_mm2)
        .sum();
    assert_eq!(hidden_mm2, 0.0, "{:#?}", d.findings);
}
