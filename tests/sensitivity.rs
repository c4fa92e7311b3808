//! The one-at-a-time sensitivity study (`estimate --sensitivity`) against direct recomputation
//! and hand calculations.

#[path = "common/routes.rs"]
mod routes;

use hybridplan::models::ModelSet;
use hybridplan::process::compare::{self, PrintRun, Route, RouteInputs, RouteModels};
use hybridplan::process::compare_routes;
use hybridplan::process::molding::{self, MoldingJob, ToolMetal};
use hybridplan::process::sensitivity::{self, Input};
use routes::ribbed_plate_shape as shape;

/// The ribbed plate and the 2 h print of tests/common/routes.rs, one variant.
fn inputs(set: &ModelSet) -> RouteInputs<'_> {
    routes::route_inputs(set, &shape(), routes::fff_run(), 1)
}

#[test]
fn mold_cost_scales_every_money_term_of_the_tool() {
    let set = ModelSet::embedded().unwrap();
    let s = shape();
    let (_, pp) = set.materials.get("PP").unwrap();
    let job = MoldingJob {
        shape: &s,
        material: pp,
        annual_volume: 10_000.0,
        cavity_sets: 3,
        inserts: None,
    };
    let mut scaled = set.molding.clone();
    sensitivity::scale_tool_cost(&mut scaled, 1.25);
    for metal in [ToolMetal::Aluminium, ToolMetal::Steel] {
        for cavities in [1, 4] {
            let a = molding::tool(&job, &set.molding, &set.economics, cavities, metal);
            let b = molding::tool(&job, &scaled, &set.economics, cavities, metal);
            assert!(
                (b.tool_cost - 1.25 * a.tool_cost).abs() < 1e-9 * a.tool_cost,
                "{metal:?} x{cavities}: {} vs 1.25 x {}",
                b.tool_cost,
                a.tool_cost
            );
        }
    }
}

#[test]
fn each_row_is_the_comparison_recomputed_with_that_input_changed() {
    let set = ModelSet::embedded().unwrap();
    let i = inputs(&set);
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let volume = 5000.0;
    let base = compare_routes(&i, &models, volume);
    let study = sensitivity::sensitivity(&i, &models, volume, &base, &[], 0.25);
    assert_eq!(study.rows.len(), Input::ALL.len());
    assert_eq!(
        study.base.break_even_volumes.am_im,
        base.break_even_volumes.am_im
    );

    // Print time +25 %: both print runs take 1.25 times as long.
    let slow = |r: &PrintRun| PrintRun {
        time_per_part_s: r.time_per_part_s * 1.25,
        ..r.clone()
    };
    let changed = RouteInputs {
        am_part: i.am_part.as_ref().map(slow).map_err(Clone::clone),
        am_baseplate: i.am_baseplate.as_ref().map(slow).map_err(Clone::clone),
        ..i.clone()
    };
    let direct = compare_routes(&changed, &models, volume);
    let row = study
        .rows
        .iter()
        .find(|r| r.input == Input::PrintTime)
        .unwrap();
    assert_eq!(
        row.high.break_even_volumes.am_im,
        direct.break_even_volumes.am_im
    );
    assert_eq!(
        row.high.break_even_volumes.hybrid_im,
        direct.break_even_volumes.hybrid_im
    );
    // Slower printing makes printing dearer: AM meets molding at a lower volume.
    let (b, h) = (
        base.break_even_volumes.am_im.unwrap(),
        row.high.break_even_volumes.am_im.unwrap(),
    );
    assert!(h < b, "{h} vs {b}");

    // The volume does not move a break-even (factor exactly 1); the cheapest route at 0.75 x
    // and 1.25 x the volume is that of the comparison at those volumes.
    let row = study
        .rows
        .iter()
        .find(|r| r.input == Input::AnnualVolume)
        .unwrap();
    assert_eq!(row.largest_break_even_factor, 1.0);
    assert_eq!(
        row.low.best_route,
        compare_routes(&i, &models, 3750.0).best_route
    );
    assert_eq!(
        row.high.best_route,
        compare_routes(&i, &models, 6250.0).best_route
    );

    // Rows that change the cheapest route come first, then by the largest move.
    for w in study.rows.windows(2) {
        let key =
            |r: &sensitivity::SensitivityRow| (r.best_route_changes, r.largest_break_even_factor);
        let (a, b) = (key(&w[0]), key(&w[1]));
        assert!(
            (a.0 && !b.0) || (a.0 == b.0 && a.1 >= b.1),
            "{a:?} before {b:?}"
        );
    }
}

#[test]
fn am_handling_moves_the_am_cost_by_its_share_by_hand() {
    // The AM part's handling: one print a part, 2 min of set-up and 1 min of removal at
    // 35 EUR/h over 0.95 good parts, with 15 % overhead: 3 / 60 * 35 / 0.95 * 1.15 =
    // 2.118421 EUR per part. At +25 % the AM cost per part rises by a quarter of that,
    // 0.529605 EUR, and nothing else about the AM route changes.
    let set = ModelSet::embedded().unwrap();
    let i = inputs(&set);
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let more_handling = |r: &PrintRun| PrintRun {
        labour_min_per_build: r.labour_min_per_build * 1.25,
        labour_min_per_part: r.labour_min_per_part * 1.25,
        ..r.clone()
    };
    let more = RouteInputs {
        am_part: i.am_part.as_ref().map(more_handling).map_err(Clone::clone),
        am_baseplate: i
            .am_baseplate
            .as_ref()
            .map(more_handling)
            .map_err(Clone::clone),
        ..i.clone()
    };
    let a = compare::route(Route::Am, &i, &models, 1000.0).unwrap();
    let b = compare::route(Route::Am, &more, &models, 1000.0).unwrap();
    let by_hand: f64 = 0.25 * 3.0 / 60.0 * 35.0 / 0.95 * 1.15;
    assert!((by_hand - 0.529605).abs() < 1e-6);
    assert!(
        (b.cost_per_part - a.cost_per_part - by_hand).abs() < 1e-9,
        "{} - {}",
        b.cost_per_part,
        a.cost_per_part
    );
    // The study's handling row is this change: the AM = IM break-even falls.
    let base = compare_routes(&i, &models, 1000.0);
    let study = sensitivity::sensitivity(&i, &models, 1000.0, &base, &[], 0.25);
    let row = study
        .rows
        .iter()
        .find(|r| r.input == Input::AmHandling)
        .unwrap();
    let direct = compare_routes(&more, &models, 1000.0)
        .break_even_volumes
        .am_im;
    assert_eq!(row.high.break_even_volumes.am_im, direct);
    assert!(direct.unwrap() < base.break_even_volumes.am_im.unwrap());
}

#[test]
fn the_cli_reports_the_study_and_refuses_changes_out_of_range() {
    let exe = env!("CARGO_BIN_EXE_hybridplan");
    let part = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ribbed_plate.stl");
    let run = |args: &[&str]| {
        std::process::Command::new(exe)
            .arg("estimate")
            .arg(&part)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--sensitivity", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let part_v = v.get("parts").and_then(|p| p.get(0)).unwrap_or(&v);
    let s = &part_v["sensitivity"];
    assert_eq!(s["change"], 0.25);
    assert_eq!(s["rows"].as_array().unwrap().len(), Input::ALL.len());
    // The study's base is the estimate's own verdict.
    assert_eq!(
        s["base"]["break_even_volumes"]["am_im"],
        part_v["break_even_volumes"]["am_im"]
    );
    // Without the flag there is no study in the JSON.
    let plain = run(&["--format", "json"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("sensitivity"));
    for bad in ["0", "95", "nan", "-10"] {
        let out = run(&["--sensitivity", "--sensitivity-percent", bad]);
        assert_eq!(out.status.code(), Some(2), "--sensitivity-percent {bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("above 0 and at most 90"),
            "--sensitivity-percent {bad}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
