//! Issue 14: cost per part against the number of personalised variants. The sweep in the
//! estimate JSON (`variant_sweep`) is what separate `estimate --variants N` runs report, its
//! break-even counts are where two runs a variant apart change order, and the chart file has
//! the panel.

mod common;

use common::{run, sample};
use serde_json::Value;

fn estimate(extra: &[&str]) -> Value {
    let part = sample("ribbed_plate.stl");
    let mut args = vec!["estimate", part.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn cost(report: &Value, route: &str) -> f64 {
    f(&report["routes"][route]["cost_per_part"])
}

/// The index of `n` variants in the sweep.
fn at(sweep: &Value, n: u64) -> usize {
    sweep["variants"]
        .as_array()
        .unwrap()
        .iter()
        .position(|v| v.as_u64() == Some(n))
        .unwrap_or_else(|| panic!("{n} variants is no point of the sweep"))
}

#[test]
fn the_sweep_is_what_estimate_says_at_each_count() {
    let base = estimate(&[]);
    let sweep = &base["variant_sweep"];
    assert_eq!(f(&sweep["annual_volume"]), 10_000.0);
    // 10^(k/10) rounded, deduplicated, up to 1,000: 1, 2, 3, 4, 5, 6, 8, 10, 13, ...
    let counts: Vec<u64> = sweep["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(&counts[..9], &[1, 2, 3, 4, 5, 6, 8, 10, 13]);
    assert_eq!(counts.last(), Some(&1000));
    // At one variant the sweep is the estimate itself.
    for route in ["am", "im", "hybrid"] {
        assert_eq!(
            f(&sweep["cost_per_part"][route][0]),
            cost(&base, route),
            "{route}"
        );
    }
    // 4, 25 and 1000 variants: each point is a separate run's cost per part.
    let mut tooling = Vec::new();
    for n in [4u64, 25, 1000] {
        let i = at(sweep, n);
        let one = estimate(&["--variants", &n.to_string()]);
        for route in ["am", "im", "hybrid"] {
            let (swept, own) = (f(&sweep["cost_per_part"][route][i]), cost(&one, route));
            assert!(
                (swept - own).abs() <= 1e-12 * own,
                "{route} at {n} variants: sweep {swept}, estimate {own}"
            );
        }
        assert_eq!(
            sweep["im_variant_tooling"][i],
            one["routes"]["im"]["molding"]["tool"]["variant_tooling"]
        );
        tooling.push((n, one));
    }
    // The hybrid rib mold serves every variant with one set and AM has no tool: both flat.
    for route in ["am", "hybrid"] {
        let first = f(&sweep["cost_per_part"][route][0]);
        for c in sweep["cost_per_part"][route].as_array().unwrap() {
            assert_eq!(f(c), first, "{route} changes with the variants");
        }
    }
    // Pure IM: from 25 to 1,000 variants with exchangeable inserts in the same tool (the same
    // metal and cavities), the tooling grows by 975 inserts at the insert's cost, times the
    // tools the volume wears out.
    let tool = |k: usize| &tooling[k].1["routes"]["im"]["molding"]["tool"];
    assert_eq!(tool(1)["variant_tooling"], "exchangeable_inserts");
    assert_eq!(tool(2)["variant_tooling"], "exchangeable_inserts");
    assert_eq!(tool(1)["metal"], tool(2)["metal"]);
    assert_eq!(tool(1)["cavities"], tool(2)["cavities"]);
    let per_insert = f(&tool(2)["cost_per_variant"]);
    let tools = f(&tool(2)["tools_needed"]);
    let grown = f(&sweep["tooling_cost"]["im"][at(sweep, 1000)])
        - f(&sweep["tooling_cost"]["im"][at(sweep, 25)]);
    let want = 975.0 * per_insert * tools;
    assert!(
        (grown - want).abs() <= 1e-9 * want,
        "IM tooling grew {grown}, 975 inserts cost {want}"
    );
}

#[test]
fn the_break_even_count_is_where_the_order_turns() {
    let base = estimate(&[]);
    let be = &base["variant_sweep"]["break_even_variants"];
    // At one variant IM is cheaper than both; the hybrid route's and AM's costs do not
    // depend on the variants, so they never cross each other.
    assert!(cost(&base, "im") < cost(&base, "hybrid") && cost(&base, "im") < cost(&base, "am"));
    assert!(be["am_hybrid"].is_null());
    for (key, other) in [("hybrid_im", "hybrid"), ("am_im", "am")] {
        let n = f(&be[key]) as u64;
        assert!(n > 1, "{key}: {n}");
        let before = estimate(&["--variants", &(n - 1).to_string()]);
        let after = estimate(&["--variants", &n.to_string()]);
        assert!(
            cost(&before, "im") < cost(&before, other),
            "{key}: IM is not cheaper at {} variants",
            n - 1
        );
        assert!(
            cost(&after, "im") >= cost(&after, other),
            "{key}: IM is still cheaper at {n} variants"
        );
    }
}

#[test]
fn the_chart_has_the_variants_panel_and_the_users_count() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "plan",
        &sample("ribbed_plate.stl"),
        "--variants",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(out.join("ribbed_plate.report.svg")).unwrap();
    let panels: Vec<&str> = svg.split("<g transform=").skip(1).collect();
    assert_eq!(panels.len(), 3);
    let p = panels[2];
    assert!(
        p.starts_with("\"translate(0 1200)\""),
        "below the volume panels"
    );
    assert!(p.contains("Cost per part vs personalised variants: ribbed_plate"));
    assert!(p.contains("Personalised variants (designs made each year)"));
    // 7 is no point of the log spacing: the sweep holds it, and the chart marks it.
    assert!(
        p.contains("your variants 7: "),
        "the user's count is not marked"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("ribbed_plate.report.json")).unwrap(),
    )
    .unwrap();
    let sweep = &report["variant_sweep"];
    let i = at(sweep, 7);
    // The line-end labels give each route's cost at the planned 7 variants.
    for (route, label) in [
        ("am", "AM (printed)"),
        ("im", "IM (molded)"),
        ("hybrid", "Hybrid"),
    ] {
        let c = f(&sweep["cost_per_part"][route][i]);
        assert_eq!(c, cost(&report, route), "{route}");
        let want = format!("{label} €{c:.2}");
        assert!(p.contains(&want), "no {want:?} in the variants panel");
    }
    // The page shows the panel in a section of its own, with the table.
    let html = std::fs::read_to_string(out.join("ribbed_plate.report.html")).unwrap();
    let section = &html[html
        .find("<section id=\"variants\">")
        .expect("a variants section")..];
    assert!(section.contains("Cost per part vs personalised variants: ribbed_plate"));
    assert!(section.contains("7 (planned)"));
}
