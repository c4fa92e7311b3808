//! `hybridplan family` on families generated here: one rib design on plates of other outlines
//! and sizes (holes, engraved text), each member turned and moved at random, and members with
//! a changed rib.

mod common;

use std::f64::consts::TAU;
use std::path::Path;

use hybridplan::mesh::Mesh;
use hybridplan::samples::{Layer, Ring, circle, extrude_layers, rect, reversed};
use nalgebra::{Isometry3, Point3, Translation3, UnitQuaternion};
use serde_json::Value;

/// How a member's ribs differ from the design.
#[derive(Clone, Copy, PartialEq)]
enum Ribs {
    Design,
    /// Rib 1 (y 29 to 31) 0.3 mm taller.
    Taller,
    /// Rib 2 (y 44 to 46) 1 mm further along +y.
    Moved,
    /// A second cross rib, x 60 to 62, y 18 to 27.
    Extra,
    /// Without the cross rib (x 44 to 46, y 18 to 27).
    Missing,
}

/// The ribs on the plate's top face (z = 3): three long ribs of different lengths and a short
/// cross rib, 2 mm thick, 12 mm tall (rib 1 0.3 mm taller: a layer of its own).
fn rib_layers(ribs: Ribs) -> Vec<Layer> {
    let dy = if ribs == Ribs::Moved { 1.0 } else { 0.0 };
    let mut rings = vec![
        rect(10.0, 14.0, 80.0, 16.0),
        rect(10.0, 29.0, 70.0, 31.0),
        rect(20.0, 44.0 + dy, 80.0, 46.0 + dy),
    ];
    if ribs != Ribs::Missing {
        rings.push(rect(44.0, 18.0, 46.0, 27.0));
    }
    if ribs == Ribs::Extra {
        rings.push(rect(60.0, 18.0, 62.0, 27.0));
    }
    let mut layers = vec![Layer {
        z0: 3.0,
        z1: 15.0,
        rings,
    }];
    if ribs == Ribs::Taller {
        layers.push(Layer {
            z0: 15.0,
            z1: 15.3,
            rings: vec![rect(10.0, 29.0, 70.0, 31.0)],
        });
    }
    layers
}

/// A 3 mm plate of `outline` with through `holes` (counter-clockwise circles) and, with
/// `text`, letters engraved 0.6 mm deep into its underside, carrying the ribs.
fn member(outline: Ring, holes: &[Ring], text: bool, ribs: Ribs) -> Mesh {
    let through: Vec<Ring> = holes.iter().cloned().map(reversed).collect();
    let mut layers = Vec::new();
    if text {
        // "HI 7": strokes 1 mm wide as pockets in the underside.
        let strokes = [
            rect(20.0, 20.0, 21.0, 28.0),
            rect(24.0, 20.0, 25.0, 28.0),
            rect(21.4, 23.5, 23.6, 24.5),
            rect(28.0, 20.0, 29.0, 28.0),
            rect(33.0, 27.0, 38.0, 28.0),
            rect(36.0, 20.0, 37.0, 26.6),
        ];
        let mut rings = vec![outline.clone()];
        rings.extend(through.iter().cloned());
        rings.extend(strokes.into_iter().map(reversed));
        layers.push(Layer {
            z0: 0.0,
            z1: 0.6,
            rings,
        });
    }
    let mut rings = vec![outline];
    rings.extend(through);
    layers.push(Layer {
        z0: if text { 0.6 } else { 0.0 },
        z1: 3.0,
        rings,
    });
    layers.extend(rib_layers(ribs));
    extrude_layers(&layers).expect("valid layers")
}

/// A pose from a seed: a turn about every axis and a move of up to 200 mm.
fn pose(seed: u32) -> Isometry3<f64> {
    let f = |k: u32| ((seed * 7919 + k * 104_729) % 1000) as f64 / 1000.0;
    Isometry3::from_parts(
        Translation3::new(
            400.0 * f(1) - 200.0,
            400.0 * f(2) - 200.0,
            400.0 * f(3) - 200.0,
        ),
        UnitQuaternion::from_euler_angles(TAU * f(4), 3.0 * f(5) - 1.5, TAU * f(6)),
    )
}

fn write(dir: &Path, name: &str, mut m: Mesh, at: &Isometry3<f64>) {
    m.map_vertices(|p| at * p);
    hybridplan::mesh::stl::write_binary(&dir.join(name), &m, name).unwrap();
}

/// `hybridplan family INPUT --out OUT --format json` and `extra`: exit code, stdout, stderr.
fn run_family(input: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "family",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    common::run(&args)
}

fn json_of(out: &str) -> Value {
    serde_json::from_str(out.trim()).expect("one JSON object")
}

fn member_row<'a>(v: &'a Value, file: &str) -> &'a Value {
    v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file"] == file)
        .unwrap_or_else(|| panic!("no row for {file}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The point `worst_at_mm` of a row, back in the design's coordinates.
fn worst_in_design(row: &Value, at: &Isometry3<f64>) -> Point3<f64> {
    let p = &row["worst_at_mm"];
    at.inverse() * Point3::new(f(&p[0]), f(&p[1]), f(&p[2]))
}

#[test]
fn good_members_share_mold_0_and_the_broken_ones_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("members");
    std::fs::create_dir(&d).unwrap();
    let poses: Vec<Isometry3<f64>> = (1..=6).map(pose).collect();
    write(
        &d,
        "a_plain.stl",
        member(rect(0.0, 0.0, 95.0, 60.0), &[], false, Ribs::Design),
        &poses[0],
    );
    write(
        &d,
        "b_large_holes.stl",
        member(
            rect(-5.0, -10.0, 100.0, 70.0),
            &[circle(92.0, 62.0, 3.0, 24), circle(0.0, -5.0, 2.5, 24)],
            false,
            Ribs::Design,
        ),
        &poses[1],
    );
    write(
        &d,
        "c_octagon.stl",
        member(circle(45.0, 30.0, 62.0, 8), &[], false, Ribs::Design),
        &poses[2],
    );
    write(
        &d,
        "d_engraved.stl",
        member(
            rect(0.0, 0.0, 95.0, 60.0),
            &[circle(88.0, 6.0, 2.0, 16)],
            true,
            Ribs::Design,
        ),
        &poses[3],
    );
    write(
        &d,
        "e_taller.stl",
        member(rect(0.0, 0.0, 95.0, 60.0), &[], false, Ribs::Taller),
        &poses[4],
    );
    write(
        &d,
        "f_moved.stl",
        member(rect(0.0, 0.0, 95.0, 60.0), &[], false, Ribs::Moved),
        &poses[5],
    );
    let out = dir.path().join("out");
    let (code, stdout, stderr) = run_family(&d, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(f(&v["tolerance_mm"]), 0.05, "the molding model's default");
    for good in [
        "a_plain.stl",
        "b_large_holes.stl",
        "c_octagon.stl",
        "d_engraved.stl",
    ] {
        let r = member_row(&v, good);
        assert_eq!(r["mold"], 0, "{good}: {r}");
        // The same ribs, turned and moved, through f32 coordinates: a few micrometres.
        assert!(f(&r["deviation_mm"]) < 0.005, "{good}: {r}");
        assert_eq!(r["differs"], "none");
        assert_eq!(r["footprint_inside_plate"], true, "{good}: {r}");
        assert_eq!(r["shut_off_land_inside_plate"], true, "{good}: {r}");
        assert_eq!(r["lattice_fits"], true, "{good}: {r}");
    }
    // Rib 1 0.3 mm taller: 0.3 mm, a height change on its top face (z = 15.3, x 10 to 70,
    // y 29 to 31 in the design).
    let e = member_row(&v, "e_taller.stl");
    assert_ne!(e["mold"], 0);
    assert!((f(&e["deviation_mm"]) - 0.3).abs() < 0.01, "{e}");
    assert_eq!(e["differs"], "height");
    assert!((f(&e["change_mm"][2]) - 0.3).abs() < 0.01, "{e}");
    let w = worst_in_design(e, &poses[4]);
    assert!(
        (9.9..=70.1).contains(&w.x) && (28.9..=31.1).contains(&w.y),
        "{w}"
    );
    assert!(
        (w.z - 15.3).abs() < 0.01 || (w.z - 15.0).abs() < 0.01,
        "{w}"
    );
    // Rib 2 1 mm to the side: 1 mm, a position change across the plane, on that rib (y 44
    // to 47 between the two places it has, x 20 to 80).
    let m = member_row(&v, "f_moved.stl");
    assert_ne!(m["mold"], 0);
    assert_ne!(m["mold"], e["mold"]);
    assert!((f(&m["deviation_mm"]) - 1.0).abs() < 0.02, "{m}");
    assert_eq!(m["differs"], "position");
    let w = worst_in_design(m, &poses[5]);
    assert!(
        (19.9..=80.1).contains(&w.x) && (43.9..=47.1).contains(&w.y),
        "{w}"
    );
    // Three molds: the family's, and one for each broken member.
    let molds = v["molds"].as_array().unwrap();
    assert_eq!(molds.len(), 3);
    assert_eq!(molds[0]["members"].as_array().unwrap().len(), 4);
    // The outputs: the common molded region, every member's baseplate, the report.
    for name in [
        "family.molded.stl",
        "family.json",
        "family.summary.txt",
        "family.report.svg",
        "family.report.png",
        "a_plain.baseplate.stl",
        "f_moved.baseplate.stl",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    // The common region stands on the split plane (z = 0, its pins below) and rises the ribs'
    // 12 mm above it.
    let molded = hybridplan::mesh::load(&out.join("family.molded.stl"), &Default::default())
        .unwrap()
        .mesh;
    let b = molded.bounds().unwrap();
    assert!((b.max.z - 12.0).abs() < 1e-3, "{b:?}");
    assert!(
        b.min.z < -0.1 && b.min.z > -3.0,
        "pins below the plane: {b:?}"
    );
}

#[test]
fn the_grouping_switches_at_the_deviation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("members");
    std::fs::create_dir(&d).unwrap();
    write(
        &d,
        "a.stl",
        member(rect(0.0, 0.0, 95.0, 60.0), &[], false, Ribs::Design),
        &pose(11),
    );
    write(
        &d,
        "b.stl",
        member(rect(0.0, 0.0, 95.0, 60.0), &[], false, Ribs::Design),
        &pose(12),
    );
    write(
        &d,
        "taller.stl",
        member(rect(-3.0, 0.0, 95.0, 66.0), &[], false, Ribs::Taller),
        &pose(13),
    );
    let molds_at = |tol: &str| {
        let out = dir.path().join(format!("out{tol}"));
        let (code, stdout, stderr) = run_family(
            &d,
            &out,
            &[
                "--tolerance-mm",
                tol,
                "--samples",
                "5000",
                "--lattice",
                "none",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        let v = json_of(&stdout);
        let t = member_row(&v, "taller.stl");
        (v["molds"].as_array().unwrap().len(), f(&t["deviation_mm"]))
    };
    // The taller rib deviates by 0.3 mm: a tolerance under it needs a second mold, one over
    // it serves all three with one.
    let (below, dev) = molds_at("0.29");
    assert_eq!(below, 2);
    assert!((dev - 0.3).abs() < 0.01);
    let (above, _) = molds_at("0.31");
    assert_eq!(above, 1);
}

#[test]
fn identical_members_cost_what_estimate_of_one_costs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("members");
    std::fs::create_dir(&d).unwrap();
    let m = member(
        rect(0.0, 0.0, 95.0, 60.0),
        &[circle(88.0, 6.0, 2.0, 16)],
        false,
        Ribs::Design,
    );
    write(&d, "one.stl", m, &pose(21));
    std::fs::copy(d.join("one.stl"), d.join("two.stl")).unwrap();
    std::fs::copy(d.join("one.stl"), d.join("three.stl")).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = run_family(&d, &out, &["--volume", "30000"]);
    assert_eq!(code, 0, "{stderr}");
    let fam = json_of(&stdout);
    assert_eq!(fam["molds"].as_array().unwrap().len(), 1);
    assert_eq!(fam["distinct_parts"], 1);
    let (code, stdout, stderr) = common::run(&[
        "estimate",
        d.join("one.stl").to_str().unwrap(),
        "--format",
        "json",
        "--volume",
        "30000",
        "--variants",
        "1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let est = json_of(&stdout);
    for r in ["am", "im", "hybrid"] {
        let a = f(&fam["routes"][r]["cost_per_part"]);
        let b = f(&est["routes"][r]["cost_per_part"]);
        // Equal to a millionth: the copies reach the reference's pose through their ICP
        // registration (about 1e-10 mm of rounding), which moves their baseplates' print
        // estimates by parts in 1e8.
        assert!(
            (a - b).abs() <= 1e-6 * b,
            "{r}: family {a}, estimate {b}; baseplate print {} s vs {} s, pores {} vs {}",
            fam["members"][0]["baseplate_print_time_s"],
            est["baseplate_print_time_s"],
            fam["members"][0]["pores"],
            est["pores"]
        );
        let a = f(&fam["routes"][r]["tooling_cost"]);
        let b = f(&est["routes"][r]["tooling_cost"]);
        assert!(
            (a - b).abs() <= 1e-9 * b.max(1.0),
            "{r} tooling: family {a}, estimate {b}"
        );
    }
    for k in ["am_im", "am_hybrid", "hybrid_im"] {
        let (a, b) = (&fam["break_even_volumes"][k], &est["break_even_volumes"][k]);
        match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-5 * b, "{k}: {a} vs {b}"),
            _ => assert_eq!(a, b, "{k}"),
        }
    }
    assert_eq!(fam["best_route"], est["best_route"]);
}

#[test]
fn distinct_plates_cost_their_prints_plus_one_mold() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("members");
    std::fs::create_dir(&d).unwrap();
    write(
        &d,
        "small.stl",
        member(rect(0.0, 0.0, 95.0, 60.0), &[], false, Ribs::Design),
        &pose(31),
    );
    write(
        &d,
        "large.stl",
        member(
            rect(-15.0, -15.0, 110.0, 80.0),
            &[circle(100.0, 70.0, 4.0, 24)],
            true,
            Ribs::Design,
        ),
        &pose(32),
    );
    std::fs::write(d.join("bad.stl"), b"solid nothing\nendsolid nothing\n").unwrap();
    let manifest = dir.path().join("family.csv");
    std::fs::write(
        &manifest,
        format!(
            "file,annual_volume\n{},3000\n{},7000\n{},1000\n",
            d.join("small.stl").display(),
            d.join("large.stl").display(),
            d.join("bad.stl").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = run_family(&manifest, &out, &[]);
    // The unreadable member is an error row; the others go on.
    assert_eq!(code, 1, "{stderr}");
    let v = json_of(&stdout);
    let bad = &v["members"][2];
    assert_eq!(bad["status"], "error");
    assert!(bad["error"].as_str().unwrap().contains("bad.stl"), "{bad}");
    let (s, l) = (&v["members"][0], &v["members"][1]);
    assert_eq!(s["mold"], 0);
    assert_eq!(l["mold"], 0);
    assert_eq!(v["rib_molds"], 1);
    assert_eq!(v["distinct_parts"], 2);
    // Hand calculation: 3,000 small and 7,000 large parts a year; each pays its own print and
    // the one rib mold's share, the same for both.
    let (ps, pl) = (
        f(&s["baseplate_cost_per_part"]),
        f(&l["baseplate_cost_per_part"]),
    );
    let (ms, ml) = (
        f(&s["hybrid_molding_cost_per_part"]),
        f(&l["hybrid_molding_cost_per_part"]),
    );
    assert!((ms - ml).abs() < 1e-12, "one mold: {ms} vs {ml}");
    assert!(pl > ps, "the larger plate prints longer: {pl} vs {ps}");
    assert!(f(&l["baseplate_print_time_s"]) > f(&s["baseplate_print_time_s"]));
    let hybrid = f(&v["routes"]["hybrid"]["cost_per_part"]);
    let expected = (3000.0 * ps + 7000.0 * pl) / 10000.0 + ms;
    assert!(
        (hybrid - expected).abs() < 1e-9 * expected,
        "{hybrid} vs {expected}"
    );
    // AM prints each member: the volume-weighted mean of the two.
    let am = f(&v["routes"]["am"]["cost_per_part"]);
    let am_expected =
        (3000.0 * f(&s["am_cost_per_part"]) + 7000.0 * f(&l["am_cost_per_part"])) / 10000.0;
    assert!((am - am_expected).abs() < 1e-9 * am_expected);
    assert_eq!(f(&v["annual_volume"]), 10000.0);
    // One rib mold bought: the family's hybrid tooling is that of the reference's mold, not two.
    let tooling = f(&v["routes"]["hybrid"]["tooling_cost"]);
    assert!(tooling > 0.0);
    let per_part = f(&v["routes"]["hybrid"]["tooling_cost_per_part"]);
    assert!(per_part > 0.0 && per_part * 10000.0 <= tooling);
}

#[test]
fn an_extra_and_a_missing_rib_are_named_where_they_are() {
    // Three members of the design, one with a second cross rib, one without the cross rib:
    // each broken one is outside mold 0, its difference named (a feature the member has
    // alone, one the reference has alone) at that rib.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("members");
    std::fs::create_dir(&d).unwrap();
    let poses: Vec<Isometry3<f64>> = (11..=15).map(pose).collect();
    let plate = || rect(0.0, 0.0, 95.0, 60.0);
    for (k, (name, ribs)) in [
        ("a.stl", Ribs::Design),
        ("b.stl", Ribs::Design),
        ("c.stl", Ribs::Design),
        ("x_extra.stl", Ribs::Extra),
        ("y_missing.stl", Ribs::Missing),
    ]
    .into_iter()
    .enumerate()
    {
        write(&d, name, member(plate(), &[], false, ribs), &poses[k]);
    }
    let out = dir.path().join("out");
    let (code, stdout, stderr) = run_family(&d, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let v = json_of(&stdout);
    for good in ["a.stl", "b.stl", "c.stl"] {
        assert_eq!(member_row(&v, good)["mold"], 0, "{good}");
    }
    // The extra rib stands 12 mm above the plate: the member's surface there is 2 mm or more
    // from the reference's (the plate's top, or the rib's side across the gap).
    let x = member_row(&v, "x_extra.stl");
    assert_ne!(x["mold"], 0, "{x}");
    assert_eq!(x["differs"], "extra_feature", "{x}");
    let w = worst_in_design(x, &poses[3]);
    assert!(
        (59.9..=62.1).contains(&w.x) && (17.9..=27.1).contains(&w.y),
        "the worst point is on the extra rib: {w}"
    );
    let m = member_row(&v, "y_missing.stl");
    assert_ne!(m["mold"], 0, "{m}");
    assert_ne!(m["mold"], x["mold"]);
    assert_eq!(m["differs"], "missing_feature", "{m}");
    // The worst point is the reference's, where the cross rib was; mapped back through the
    // member's pose it lies in the rib's place.
    let w = worst_in_design(m, &poses[4]);
    assert!(
        (43.9..=46.1).contains(&w.x) && (17.9..=27.1).contains(&w.y),
        "the worst point is where the cross rib was: {w}"
    );
}
