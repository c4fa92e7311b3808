//! `hybridplan estimate` and `hybridplan plan` end to end, on the generated samples.

mod common;

use common::{run, sample};
use std::path::Path;

use serde_json::Value;

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn plan_without_a_file_plans_the_bundled_sample_and_writes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = run(&["plan", "--out", out.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("bundled sample"), "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    for name in [
        "ribbed_plate.stl",
        "ribbed_plate.baseplate.stl",
        "ribbed_plate.molded.stl",
        "ribbed_plate.split.3mf",
        "ribbed_plate.report.json",
        "ribbed_plate.report.svg",
        "ribbed_plate.report.png",
        "ribbed_plate.summary.txt",
    ] {
        let p = out.join(name);
        assert!(p.metadata().map(|m| m.len() > 0).unwrap_or(false), "{name}");
    }
    // The report file holds what was printed.
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("ribbed_plate.report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(file["routes"], v["routes"]);
    assert!(
        std::fs::read(out.join("ribbed_plate.report.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let svg = std::fs::read_to_string(out.join("ribbed_plate.report.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("Hybrid") && svg.contains("your volume 10k"));

    // The JSON shape of the issue.
    assert_eq!(v["currency"], "EUR");
    for route in ["am", "im", "hybrid"] {
        let r = &v["routes"][route];
        for key in [
            "cost_per_part",
            "cycle_time_s",
            "energy_kwh_per_part",
            "co2_kg_per_part",
            "tooling_cost",
        ] {
            assert!(f(r, key).is_finite() && f(r, key) >= 0.0, "{route}.{key}");
        }
        assert!(f(r, "cost_per_part") > 0.0);
    }
    assert!(f(&v, "am_print_time_s") > f(&v, "baseplate_print_time_s"));
    assert!(f(&v, "baseplate_print_time_s") > 0.0);
    for pair in ["am_im", "am_hybrid", "hybrid_im"] {
        let b = &v["break_even_volumes"][pair];
        assert!(b.is_null() || b.as_f64().unwrap() >= 1.0, "{pair}: {b}");
    }
    // The best route is the cheapest of the three at the volume.
    let best = v["best_route"].as_str().unwrap();
    let cheapest = ["am", "im", "hybrid"]
        .into_iter()
        .min_by(|a, b| {
            f(&v["routes"][*a], "cost_per_part").total_cmp(&f(&v["routes"][*b], "cost_per_part"))
        })
        .unwrap();
    assert_eq!(best, cheapest);
    // The default interface is a grid lattice, and it bonds better than a plain interface.
    assert!(v["pores"].as_u64().unwrap() > 100);
    assert!(f(&v, "bond_shear_n") > f(&v, "bond_shear_plain_n"));
    assert!(f(&v, "pin_area_fraction") > 0.0 && f(&v, "pin_area_fraction") < 1.0);
    // Volumes still add up with the pores and pins.
    let sum = f(&v, "baseplate_volume_mm3") + f(&v, "molded_volume_mm3");
    assert!((sum - f(&v, "part_volume_mm3")).abs() <= 1e-6 * f(&v, "part_volume_mm3"));
    // Hybrid tooling is the rib mold only: no more than pure molding's whole-part mold when
    // there are many variants.
    let (_, many, _) = run(&[
        "estimate",
        &sample("ribbed_plate.stl"),
        "--variants",
        "50",
        "--format",
        "json",
    ]);
    let many: Value = serde_json::from_str(many.trim()).unwrap();
    assert!(
        f(&many["routes"]["im"], "tooling_cost")
            > 10.0 * f(&many["routes"]["hybrid"], "tooling_cost")
    );
}

#[test]
fn estimate_agrees_with_plan_and_variants_favour_the_hybrid() {
    let dir = tempfile::tempdir().unwrap();
    let part = sample("grid_plate.stl");
    let args = [
        "--material",
        "PP",
        "--baseplate-material",
        "PLA",
        "--volume",
        "20000",
        "--format",
        "json",
    ];
    let (code, est, err) = run(&[&["estimate", part.as_str()][..], &args].concat());
    assert_eq!(code, 0, "{err}");
    let (code, plan, err) = run(&[
        &["plan", part.as_str(), "--out", dir.path().to_str().unwrap()][..],
        &args,
    ]
    .concat());
    assert_eq!(code, 0, "{err}");
    let (est, plan): (Value, Value) = (
        serde_json::from_str(est.trim()).unwrap(),
        serde_json::from_str(plan.trim()).unwrap(),
    );
    assert_eq!(est["routes"], plan["routes"]);
    assert_eq!(est["break_even_volumes"], plan["break_even_volumes"]);
    assert_eq!(
        (est["material"].as_str(), est["baseplate_material"].as_str()),
        (Some("PP"), Some("PLA"))
    );
    // PP does not stick to PLA: the plain interface is weak, the pins carry the load.
    assert!(f(&est, "bond_shear_n") > 5.0 * f(&est, "bond_shear_plain_n"));
    assert!(
        !est["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("no adhesion data"))
    );
    // Personalised variants cost pure molding a cavity set each; print and hybrid do not care.
    let (_, many, _) = run(&[&["estimate", part.as_str(), "--variants", "20"][..], &args].concat());
    let many: Value = serde_json::from_str(many.trim()).unwrap();
    let cost = |v: &Value, r: &str| f(&v["routes"][r], "cost_per_part");
    assert!(cost(&many, "im") > cost(&est, "im"));
    assert!((cost(&many, "am") - cost(&est, "am")).abs() < 1e-12);
    assert!((cost(&many, "hybrid") - cost(&est, "hybrid")).abs() < 1e-9 * cost(&est, "hybrid"));
}

#[test]
fn bad_options_and_model_files_are_usage_errors_naming_the_problem() {
    let part = sample("ribbed_plate.stl");
    let (code, _, err) = run(&["estimate", &part, "--material", "unobtainium"]);
    assert_eq!(code, 2);
    assert!(err.contains("unobtainium") && err.contains("PLA"), "{err}");
    let (code, _, err) = run(&["estimate", &part, "--printer", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope") && err.contains("desktop_fff"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let eco = dir.path().join("economics.toml");
    std::fs::write(&eco, "currency = \"EUR\"\nlabour_rate_per_h = -3\n").unwrap();
    let (code, _, err) = run(&["estimate", &part, "--models", eco.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("economics.toml") && err.contains("labour_rate_per_h"),
        "{err}"
    );
    let (code, _, err) = run(&["estimate", &part, "--volume", "0"]);
    assert_eq!(code, 2, "{err}");
    // A broken part is an error naming the file, exit 1.
    let bad = dir.path().join("bad.stl");
    std::fs::write(&bad, b"solid x\nfacet normal 0 0 1\n").unwrap();
    let (code, _, err) = run(&["estimate", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.stl"), "{err}");
}

#[test]
fn a_user_economics_file_changes_the_currency_and_the_costs() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/economics.toml"),
    )
    .unwrap()
    .replace("currency = \"EUR\"", "currency = \"USD\"")
    .replace("labour_rate_per_h = 35.0", "labour_rate_per_h = 70.0");
    std::fs::write(dir.path().join("economics.toml"), text).unwrap();
    let part = sample("ribbed_plate.stl");
    let (_, base, _) = run(&["estimate", &part, "--format", "json"]);
    let (code, user, err) = run(&[
        "estimate",
        &part,
        "--format",
        "json",
        "--models",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (base, user): (Value, Value) = (
        serde_json::from_str(base.trim()).unwrap(),
        serde_json::from_str(user.trim()).unwrap(),
    );
    assert_eq!(user["currency"], "USD");
    // Twice the labour rate: the AM labour cost doubles.
    let lab = |v: &Value| f(&v["routes"]["am"], "labour_cost");
    assert!((lab(&user) - 2.0 * lab(&base)).abs() < 1e-9);
}

#[test]
fn a_plate_too_thin_for_pores_keeps_a_plain_interface_with_a_warning() {
    use hybridplan::samples::{Layer, SamplePart, rect};
    // A 0.6 mm plate: 3 layers of 0.2 mm, all of them the floor.
    let part = SamplePart {
        name: "thin",
        description: "0.6 mm plate, two ribs",
        layers: vec![
            Layer {
                z0: 0.0,
                z1: 0.6,
                rings: vec![rect(0.0, 0.0, 60.0, 40.0)],
            },
            Layer {
                z0: 0.6,
                z1: 8.0,
                rings: vec![rect(5.0, 10.0, 55.0, 14.0), rect(5.0, 26.0, 55.0, 30.0)],
            },
        ],
        plate_thickness_mm: Some(0.6),
        split_height_mm: Some(0.6),
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("thin.stl");
    hybridplan::mesh::stl::write_binary(&file, &part.mesh(), "thin").unwrap();
    let (code, out, err) = run(&["estimate", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["pores"], 0);
    assert_eq!(f(&v, "bond_shear_n"), f(&v, "bond_shear_plain_n"));
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("too thin for pores")),
        "{warnings:?}"
    );
    // Asked for explicitly with a depth the plate cannot hold, it is an error naming the option.
    let (code, _, err) = run(&["estimate", file.to_str().unwrap(), "--depth-mm", "0.4"]);
    assert_eq!(code, 1);
    assert!(err.contains("--depth-mm"), "{err}");
}

#[test]
fn routes_a_part_is_too_big_for_say_why_and_name_no_best_route() {
    // The ribbed plate read in cm: 1.2 x 0.8 m. No desktop printer holds it; 38,400 kN of
    // clamp force (9600 cm2 at 40 MPa) is beyond the largest molding machine (8000 kN).
    let (code, out, err) = run(&[
        "estimate",
        &sample("ribbed_plate.stl"),
        "--units",
        "cm",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    for route in ["am", "im", "hybrid"] {
        assert_eq!(v["routes"][route]["available"], false, "{route}");
    }
    assert!(
        v["routes"]["im"]["reason"]
            .as_str()
            .unwrap()
            .contains("38400 kN")
    );
    assert!(
        v["routes"]["am"]["reason"]
            .as_str()
            .unwrap()
            .contains("build volume")
    );
    assert!(v["best_route"].is_null());
    assert!(v["break_even_volumes"]["am_im"].is_null());
}

#[test]
fn a_turned_scaled_part_with_sliver_triangles_in_its_plate_top_takes_pores() {
    // The grid plate turned by random angles, scaled by 1.92 and moved, as written to binary
    // STL (f32) by the batch benchmark (part 89 of its catalog): its plate top holds sliver
    // triangles whose normals point either way. Pores were refused on it once.
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/turned_scaled_grid_plate.stl");
    for lattice in ["grid", "hex", "slots"] {
        let dir = tempfile::tempdir().unwrap();
        let (code, out, err) = run(&[
            "split",
            file.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
            "--lattice",
            lattice,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{lattice}: {err}");
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert!(v["pores"].as_u64().unwrap() > 200, "{lattice}");
        let sum = f(&v, "baseplate_volume_mm3") + f(&v, "molded_volume_mm3");
        assert!((sum - f(&v, "part_volume_mm3")).abs() <= 1e-6 * f(&v, "part_volume_mm3"));
        // Both halves as written are closed solids.
        for half in ["baseplate", "molded"] {
            let p = dir
                .path()
                .join(format!("turned_scaled_grid_plate.{half}.stl"));
            let (code, out, _) = run(&["inspect", p.to_str().unwrap(), "--format", "json"]);
            assert_eq!(code, 0);
            let r: Value = serde_json::from_str(out.trim()).unwrap();
            assert_eq!(r["watertight"], true, "{lattice} {half}");
        }
    }
}

#[test]
fn a_lattice_over_its_budget_is_refused_before_it_is_built() {
    // The ribbed plate read in inches: five ribs 120 x 2 in, 1200 x 25.4² = 774,192 mm² of
    // interface; the default grid (0.9 mm pores, 0.9 mm walls, a 1.8 mm pitch, 3.24 mm² a
    // pore) would place about 774192 / 3.24 = 238,948 pores (it made 230 k in 113 s and
    // 821 MB before the budget). The default lattice leaves the interface plain and says why.
    let ribbed = sample("ribbed_plate.stl");
    let (code, out, err) = run(&["estimate", &ribbed, "--units", "in", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["pores"], 0);
    assert_eq!(f(&v, "bond_shear_n"), f(&v, "bond_shear_plain_n"));
    let warnings = v["warnings"].as_array().unwrap();
    let why = warnings
        .iter()
        .map(|w| w.as_str().unwrap())
        .find(|w| w.contains("pores"))
        .unwrap();
    assert!(
        why.contains("about 238948 pores")
            && why.contains("budget of 50000 pores")
            && why.contains("--lattice none")
            && why.contains("interface stays plain"),
        "{warnings:?}"
    );
    // Asked for by name, the same lattice is an error naming the count and the budget. The
    // pitch that fits: 1.8 x √(238948 / 50000) = 3.93 mm.
    for units in ["in", "m"] {
        let (code, _, err) = run(&["estimate", &ribbed, "--units", units, "--lattice", "grid"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("over the budget of 50000 pores") && err.contains("--units"),
            "{err}"
        );
    }
    let (_, _, err) = run(&["estimate", &ribbed, "--units", "in", "--lattice", "grid"]);
    assert!(err.contains("at least 3.93 mm"), "{err}");
}

#[test]
fn pores_and_walls_below_the_printers_minimum_are_errors_not_warnings() {
    // They reached 3 GB in 30 s after a warning; now refused before any work (by the
    // lattice, exit 1, or by a range on the option itself, exit 2).
    let ribbed = sample("ribbed_plate.stl");
    let (code, _, err) = run(&[
        "estimate",
        &ribbed,
        "--pore-mm",
        "0.01",
        "--wall-mm",
        "0.01",
    ]);
    assert!(code == 1 || code == 2, "{code} {err}");
    assert!(err.contains("0.01"), "{err}");
    let (code, _, err) = run(&["estimate", &ribbed, "--wall-mm", "0.3"]);
    assert!(code == 1 || code == 2, "{code} {err}");
    assert!(err.contains("0.3"), "{err}");
    // One extrusion width prints, with a warning that two are better.
    let (code, out, err) = run(&["estimate", &ribbed, "--wall-mm", "0.6", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("under two extrusion widths"), "{out}");
}

#[test]
fn plan_moves_a_parts_outputs_into_place_as_a_set_with_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let ribbed = sample("ribbed_plate.stl");
    let manifest = || -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(out.join("ribbed_plate.outputs.json")).unwrap(),
        )
        .unwrap()
    };
    let staging = || -> Vec<String> {
        std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    };
    let (code, _, err) = run(&["plan", &ribbed, "--out", o]);
    assert_eq!(code, 0, "{err}");
    let first = manifest();
    assert_eq!(first["complete"], true);
    assert_eq!(
        first["files"],
        serde_json::json!([
            "ribbed_plate.baseplate.stl",
            "ribbed_plate.molded.stl",
            "ribbed_plate.split.3mf",
            "ribbed_plate.baseplate.3mf",
            "ribbed_plate.report.json",
            "ribbed_plate.report.svg",
            "ribbed_plate.report.png",
            "ribbed_plate.summary.txt",
            "ribbed_plate.dfm.svg",
            "ribbed_plate.report.html"
        ])
    );
    assert!(staging().is_empty(), "{:?}", staging());
    // A run stopped half way through moving its files (the chart's place is taken by a
    // folder, so the sixth rename fails): the meshes and the report JSON are the new run's,
    // the chart and the summary the old run's, and the manifest says so.
    std::fs::remove_file(out.join("ribbed_plate.report.svg")).unwrap();
    std::fs::create_dir_all(out.join("ribbed_plate.report.svg/in_the_way")).unwrap();
    let (code, _, err) = run(&["plan", &ribbed, "--out", o]);
    assert_ne!(code, 0);
    assert!(err.contains("ribbed_plate.report.svg"), "{err}");
    let second = manifest();
    assert_eq!(second["complete"], false);
    assert_ne!(second["run_id"], first["run_id"]);
    assert!(staging().is_empty(), "{:?}", staging());
    // A killed run's staging folder (its process gone: Linux pids stop at 2²²) is removed by
    // the next run; a folder of the same pattern without the staging marker is not ours.
    std::fs::remove_dir_all(out.join("ribbed_plate.report.svg")).unwrap();
    let killed = out.join(".ribbed_plate.tmp-4000000000");
    std::fs::create_dir(&killed).unwrap();
    std::fs::write(killed.join(".hybridplan-staging"), b"").unwrap();
    std::fs::write(killed.join("ribbed_plate.baseplate.stl"), b"half").unwrap();
    let foreign = out.join(".notes.tmp-4000000000");
    std::fs::create_dir(&foreign).unwrap();
    let (code, _, err) = run(&["plan", &ribbed, "--out", o]);
    assert_eq!(code, 0, "{err}");
    assert!(!killed.exists());
    assert!(foreign.exists());
    let third = manifest();
    assert_eq!(third["complete"], true);
    assert_ne!(third["run_id"], second["run_id"]);
}

/// The values of the attributes `names` of an SVG element's text `el`.
fn attrs(el: &str, names: &[&str]) -> Vec<f64> {
    names
        .iter()
        .map(|n| {
            let k = format!(" {n}=\"");
            let i = el.find(&k).unwrap_or_else(|| panic!("no {n} in {el}")) + k.len();
            el[i..i + el[i..].find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// Whether the segment a-b crosses the box [x0, y0, x1, y1] (sampled finely enough for
/// segments of a chart).
fn crosses(a: (f64, f64), b: (f64, f64), r: [f64; 4]) -> bool {
    (0..=200).any(|k| {
        let t = k as f64 / 200.0;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        x > r[0] && x < r[2] && y > r[1] && y < r[3]
    })
}

/// Issue 14: the break-even labels of the chart (its three panels: cost and CO2 against
/// volume, cost against variants) sit on no line and on no other label, for every sample
/// (the heat sink has two break-evens within a factor 1.5 of each other, and two in variants
/// at 3 and 4), and the line-end labels give each route's figure at the planned volume, not
/// at the sweep's end. The label's box is 7 px a character and 12 px tall above its
/// baseline, as the chart sizes it.
#[test]
fn chart_labels_clear_the_lines_and_each_other() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ribbed_plate", "heat_sink", "bossed_plate", "double_sided"] {
        let out = dir.path().join(name);
        let (code, _, stderr) = run(&[
            "plan",
            &sample(&format!("{name}.stl")),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        let svg = std::fs::read_to_string(out.join(format!("{name}.report.svg"))).unwrap();
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("{name}.report.json"))).unwrap(),
        )
        .unwrap();
        let panels: Vec<&str> = svg.split("<g transform=").skip(1).collect();
        assert_eq!(
            panels.len(),
            3,
            "{name}: a cost and a CO2 panel against volume, a cost panel against variants"
        );
        let mut labels_seen = 0;
        for panel in &panels {
            let mut segments = Vec::new();
            for pl in panel.split("<polyline points=\"").skip(1) {
                let pts: Vec<(f64, f64)> = pl[..pl.find('"').unwrap()]
                    .split(' ')
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                segments.extend(pts.windows(2).map(|w| (w[0], w[1])));
            }
            let mut boxes: Vec<[f64; 4]> = Vec::new();
            for t in panel.split("<text ").skip(1) {
                if !t.contains("font-size=\"12\"") {
                    continue;
                }
                let text = &t[t.find('>').unwrap() + 1..t.find('<').unwrap()];
                let v = attrs(&format!(" {t}"), &["x", "y"]);
                let r = [
                    v[0],
                    v[1] - 12.0,
                    v[0] + 7.0 * text.chars().count() as f64,
                    v[1] + 3.0,
                ];
                for &(a, b) in &segments {
                    assert!(
                        !crosses(a, b, r),
                        "{name}: {text:?} at {r:?} sits on a line"
                    );
                }
                for q in &boxes {
                    let overlap = r[0] < q[2] && q[0] < r[2] && r[1] < q[3] && q[1] < r[3];
                    assert!(!overlap, "{name}: {text:?} overlaps another label");
                }
                boxes.push(r);
                labels_seen += 1;
            }
        }
        let crossings = ["am_im", "am_hybrid", "hybrid_im"]
            .iter()
            .map(|k| {
                report["break_even_volumes"][k].is_number() as usize
                    + report["co2_break_even_volumes"][k].is_number() as usize
                    + report["variant_sweep"]["break_even_variants"][k].is_number() as usize
            })
            .sum::<usize>();
        assert_eq!(labels_seen, crossings, "{name}: one label a break-even");
        // The cost panel's line labels: each route's cost at the planned volume.
        for (route, label) in [("am", "AM (printed)"), ("im", "IM (molded)")] {
            let cost = f(&report["routes"][route], "cost_per_part");
            let want = format!("{label} €{cost:.2}");
            assert!(
                panels[0].contains(&want),
                "{name}: no {want:?} in the cost panel"
            );
        }
    }
}

/// The row of the estimate's text table labelled `prefix...`: its label and its three cells
/// (AM, IM, hybrid), split on runs of two or more spaces.
fn table_row(out: &str, prefix: &str) -> (String, Vec<String>) {
    let line = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row {prefix}: {out}"));
    let parts: Vec<String> = line
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    (parts[0].clone(), parts[1..].to_vec())
}

/// The routes table has one unit a row, named in its label, and the fleet in words; its
/// figures are the JSON's. The ribbed plate's cycles are about 2.9 h (AM), 31 s (IM) and 23 s
/// (hybrid): one unit for the row means seconds, the AM print as about 10,400 s; its lead
/// times are 2.9 h and 21 days (504 h): hours for all three.
#[test]
fn the_routes_table_has_one_unit_a_row_and_the_fleet_in_words() {
    let part = sample("ribbed_plate.stl");
    let (code, text, err) = run(&["estimate", &part]);
    assert_eq!(code, 0, "{err}");
    let (code, json, _) = run(&["estimate", &part, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(json.trim()).unwrap();
    let route = |r: &str, key: &str| f(&v["routes"][r], key);
    for (prefix, label, key) in [
        ("cycle time (", "cycle time (s)", "cycle_time_s"),
        (
            "lead time to 1st part (",
            "lead time to 1st part (h)",
            "lead_time_h",
        ),
    ] {
        let (shown_label, cells) = table_row(&text, prefix);
        assert_eq!(shown_label, label);
        for (cell, r) in cells.iter().zip(["am", "im", "hybrid"]) {
            let shown: f64 = cell.parse().unwrap();
            let exact = route(r, key);
            // Three significant figures: within 0.5 % of the JSON's figure.
            assert!(
                (shown - exact).abs() <= 0.005 * exact,
                "{key} {r}: {shown} vs {exact}"
            );
        }
    }
    let (_, cells) = table_row(&text, "fleet");
    let printers = route("hybrid", "fleet_printers");
    let presses = route("hybrid", "fleet_molding_machines");
    assert_eq!(presses, 1.0);
    assert_eq!(
        cells[2],
        format!("1 molding machine + {printers:.0} printers")
    );
    assert_eq!(
        cells[0],
        format!("{:.0} printers", route("am", "fleet_printers"))
    );
    assert_eq!(cells[1], "1 molding machine");
    // No row mixes units: no cell of the table carries one.
    for l in text.lines().take_while(|l| !l.contains("break-evens")) {
        for unit in [" h", " s", " min", " d"] {
            assert!(!l.trim_end().ends_with(unit), "a unit in a cell: {l}");
        }
    }
}
