//! The tables of a part's reports, built once for the text summary and the HTML page: the
//! split's facts, the interface and bond, the routes side by side, the break-evens and the
//! sensitivity study. Labels carry the row's one unit; counts of things are in words.

use super::table::{Column, Table, count_of, duration_row, three_figures};
use super::{fmt_money, short_count};
use crate::plan::{Estimate, Prepared};
use crate::process::compare::{Route, RouteCost};
use crate::process::molding::VariantTooling;
use crate::process::sensitivity::Sensitivity;
use crate::process::{BreakEvens, Comparison, Routes};

fn vec3(v: &[f64; 3], digits: usize) -> String {
    format!("({:.d$}, {:.d$}, {:.d$})", v[0], v[1], v[2], d = digits)
}

fn wall(t: &crate::split::thickness::WallThickness) -> String {
    format!(
        "median {:.3}, p95 {:.3}, max {:.3} ({} samples)",
        t.p50_mm, t.p95_mm, t.max_mm, t.samples
    )
}

/// The split's facts: plane, plate, volumes, footprint, rib bodies, heights, walls (or why
/// there is no split).
pub fn split_facts(p: &Prepared) -> Vec<(String, String)> {
    let mut rows: Vec<(&str, String)> = Vec::new();
    match &p.split {
        Err(reason) => {
            rows.push(("split", format!("none: {reason}")));
            rows.push((
                "part volume (mm3)",
                format!("{:.3}", p.part.signed_volume_mm3()),
            ));
            if let Some(t) = &p.part_wall {
                rows.push(("wall thickness (mm)", wall(t)));
            }
        }
        Ok(s) => {
            let f = &s.facts;
            rows.push((
                "split plane, through (mm)",
                format!(
                    "{}, {}",
                    vec3(&f.plane_point_mm, 3),
                    if f.detected { "detected" } else { "as given" }
                ),
            ));
            rows.push(("split plane, normal", vec3(&f.plane_normal, 4)));
            rows.push((
                "plate thickness (mm)",
                format!("{:.3}", f.plate_thickness_mm),
            ));
            if let Some(pl) = &f.plate {
                rows.push((
                    "plate section (mm2)",
                    format!(
                        "{:.1}, rib side {:.1} ({:.0} % of it)",
                        pl.plate_section_mm2,
                        pl.rib_side_section_mm2,
                        100.0 * pl.rib_side_section_mm2 / pl.plate_section_mm2
                    ),
                ));
                rows.push(("plate flatness", format!("{:.3}", pl.flatness)));
            }
            rows.push(("part volume (mm3)", format!("{:.3}", f.part_volume_mm3)));
            rows.push((
                "baseplate volume (mm3)",
                format!("{:.3}", f.baseplate_volume_mm3),
            ));
            rows.push(("molded volume (mm3)", format!("{:.3}", f.molded_volume_mm3)));
            rows.push((
                "footprint (mm2)",
                format!(
                    "{:.3} in {}",
                    f.footprint_area_mm2,
                    count_of(s.footprint.loops_mm.len() as f64, "loop", "loops")
                ),
            ));
            rows.push(("rib bodies", f.rib_bodies.to_string()));
            rows.push((
                "projected area (mm2)",
                format!("{:.3}", f.projected_area_mm2),
            ));
            rows.push(("molded height (mm)", format!("{:.3}", f.molded_height_mm)));
            if let Some(t) = &f.wall_thickness {
                rows.push(("wall thickness (mm)", wall(t)));
            }
        }
    }
    rows.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The interface lattice (or infill zone, or plain contact), the melt's fill of it and the
/// bond.
pub fn interface_facts(p: &Prepared) -> Vec<(String, String)> {
    let mut rows: Vec<(&str, String)> = Vec::new();
    match &p.lattice {
        None => rows.push(("interface", "plain contact, no lattice".into())),
        Some(l) if l.infill_density_percent.is_some() => {
            rows.push((
                "interface",
                "infill zone (a modifier volume in the 3MF)".into(),
            ));
            rows.push(("zone depth (mm)", format!("{}", l.depth_mm)));
            rows.push((
                "infill density (%)",
                format!("{}", l.infill_density_percent.unwrap_or(0.0)),
            ));
            rows.push((
                "open to the melt (%)",
                format!("{:.0}", 100.0 * l.open_area_fraction.unwrap_or(0.0)),
            ));
        }
        Some(l) => {
            rows.push((
                "lattice",
                format!("{} pores, {} profile", l.lattice, l.profile),
            ));
            rows.push(("pores", l.pores.to_string()));
            rows.push(("pore size (mm)", format!("{}", l.pore_mm)));
            rows.push(("walls between pores (mm)", format!("{}", l.wall_mm)));
            rows.push(("pore depth (mm)", format!("{}", l.depth_mm)));
            rows.push((
                "pin area (mm2)",
                format!(
                    "{:.1} ({:.0} % of the footprint)",
                    l.pin_area_mm2,
                    100.0 * l.pin_area_fraction
                ),
            ));
            rows.push(("pin volume (mm3)", format!("{:.1}", l.pin_volume_mm3)));
        }
    }
    if let Some(fill) = p.lattice.as_ref().and_then(|l| l.fill.as_ref()) {
        rows.push((
            "melt fill of the pores (mm)",
            format!(
                "{:.2} deep (flows {:.2} before it freezes)",
                fill.fill_depth_mm, fill.flow_length_mm
            ),
        ));
        rows.push(("melt freeze time (s)", format!("{:.3}", fill.freeze_time_s)));
    }
    let b = &p.bond;
    rows.push((
        "bond in shear (N)",
        format!(
            "{:.0} ({:.2} × the plain contact's {:.0})",
            b.bond_shear_n, b.shear_ratio, b.bond_shear_plain_n
        ),
    ));
    rows.push((
        "bond in pull-off (N)",
        format!(
            "{:.0} (plain contact {:.0})",
            b.bond_pull_n, b.bond_pull_plain_n
        ),
    ));
    rows.push((
        "adhesion of the pair (MPa)",
        format!("{:.1}", b.adhesion_mpa),
    ));
    if let Some(t) = b.interface_temp_c {
        rows.push(("interface temperature (degC)", format!("{t:.0}")));
    }
    rows.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A route's fleet in words: "8 printers", "1 molding machine", "1 molding machine + 6
/// printers".
fn fleet_words(r: &RouteCost) -> String {
    let molding = r
        .fleet_molding_machines
        .map(|n| count_of(n, "molding machine", "molding machines"));
    let printers = r.fleet_printers.map(|n| count_of(n, "printer", "printers"));
    match (molding, printers) {
        (Some(m), Some(p)) => format!("{m} + {p}"),
        (Some(m), None) => m,
        (None, Some(p)) => p,
        (None, None) => "-".into(),
    }
}

/// The mold of a molding route in words: "1 mold of 2 cavities".
fn mold_words(r: &RouteCost) -> String {
    r.molding
        .as_ref()
        .map(|m| {
            format!(
                "{} of {}",
                count_of(m.tool.tools_needed.max(1.0).ceil(), "mold", "molds"),
                count_of(m.tool.cavities as f64, "cavity", "cavities")
            )
        })
        .unwrap_or_else(|| "-".into())
}

fn variant_words(r: &RouteCost) -> String {
    r.molding
        .as_ref()
        .map(|m| match m.tool.variant_tooling {
            VariantTooling::FullCavitySets => {
                count_of(m.tool.cavity_sets as f64, "cavity set", "cavity sets")
            }
            VariantTooling::ExchangeableInserts => "exchangeable inserts".into(),
        })
        .unwrap_or_else(|| "-".into())
}

/// The three routes side by side, a column each: cost per part and its parts, tooling, the
/// mold, times, the fleet, lead time, print time, energy and CO2. A route that is not
/// available reads `n/a` (its reason is in [`unavailable_reasons`]).
pub fn routes_table(e: &Estimate) -> Table {
    let c = &e.comparison;
    routes_table_of(
        &c.routes,
        c.best_route,
        &e.currency,
        [e.am_print_time_s, None, e.baseplate_print_time_s],
    )
}

/// [`routes_table`] of any set of routes (a part's, a family's): `print_times_s` is what
/// each route prints once, the whole part (AM) and the baseplate (hybrid), where known.
pub fn routes_table_of(
    routes: &Routes,
    best_route: Option<Route>,
    cur: &str,
    print_times_s: [Option<f64>; 3],
) -> Table {
    let costs: Vec<Option<&RouteCost>> = Route::ALL.iter().map(|&r| routes.get(r).cost()).collect();
    let columns = Route::ALL
        .iter()
        .map(|&r| Column {
            title: super::chart::label(r).to_string(),
            title_html: Some(super::html::route_tag(r)),
            align: super::table::Align::Right,
        })
        .collect();
    let mut t = Table::new("", columns);
    t.best_column = best_route.and_then(|b| Route::ALL.iter().position(|&r| r == b));
    let cells = |f: &dyn Fn(&RouteCost) -> String| -> Vec<String> {
        costs
            .iter()
            .map(|rc| rc.map(f).unwrap_or_else(|| "n/a".into()))
            .collect()
    };
    t.push(
        &format!("cost per part ({cur})"),
        cells(&|r| fmt_money(r.cost_per_part)),
    );
    t.rows[0].best = t.best_column;
    t.push_sub("material", cells(&|r| fmt_money(r.material_cost)));
    t.push_sub("consumables", cells(&|r| fmt_money(r.consumables_cost)));
    t.push_sub("machine", cells(&|r| fmt_money(r.machine_cost)));
    t.push_sub("labour", cells(&|r| fmt_money(r.labour_cost)));
    t.push_sub("energy", cells(&|r| fmt_money(r.energy_cost)));
    t.push_sub(
        "tooling and changeovers",
        cells(&|r| fmt_money(r.tooling_cost_per_part + r.changeover_cost_per_part)),
    );
    t.push_sub("overhead", cells(&|r| fmt_money(r.overhead_cost)));
    t.push(
        &format!("tooling bought ({cur})"),
        cells(&|r| format!("{:.0}", r.tooling_cost)),
    );
    t.push("mold", cells(&mold_words));
    t.push("variants tooled as", cells(&variant_words));
    let (unit, cycle) = duration_row(
        &costs
            .iter()
            .map(|rc| rc.map(|r| r.cycle_time_s))
            .collect::<Vec<_>>(),
    );
    t.push(&format!("cycle time ({unit})"), with_na(cycle, &costs));
    t.push(
        "parts/h per machine",
        cells(&|r| three_figures(r.parts_per_hour_per_machine)),
    );
    t.push("fleet", cells(&fleet_words));
    t.push(
        "parts/year, fleet",
        cells(&|r| short_count(r.fleet_parts_per_year)),
    );
    t.push_sub("limited by", cells(&|r| r.fleet_bottleneck.to_string()));
    let (unit, lead) = duration_row(
        &costs
            .iter()
            .map(|rc| rc.map(|r| r.lead_time_h * 3600.0))
            .collect::<Vec<_>>(),
    );
    t.push(
        &format!("lead time to 1st part ({unit})"),
        with_na(lead, &costs),
    );
    if print_times_s.iter().any(Option::is_some) {
        // What each route prints: the whole part (AM), nothing (IM), the baseplate (hybrid);
        // one print of it, against the cycle time's share of a build.
        let (unit, print) = duration_row(&print_times_s);
        t.push(&format!("print time ({unit})"), print);
    }
    t.push(
        "energy (kWh/part)",
        cells(&|r| format!("{:.4}", r.energy_kwh_per_part)),
    );
    t.push_sub(
        "of it, the mold's",
        cells(&|r| format!("{:.4}", r.tooling_energy_kwh_per_part)),
    );
    t.push(
        "CO2 (kg/part)",
        cells(&|r| format!("{:.4}", r.co2_kg_per_part)),
    );
    t.push_sub(
        "of it, the mold's",
        cells(&|r| format!("{:.4}", r.tooling_co2_kg_per_part)),
    );
    t
}

/// A duration row's cells, with `n/a` where the route is not available.
fn with_na(cells: Vec<String>, costs: &[Option<&RouteCost>]) -> Vec<String> {
    cells
        .into_iter()
        .zip(costs)
        .map(|(c, rc)| if rc.is_some() { c } else { "n/a".into() })
        .collect()
}

/// [`routes_table_of`] for a family: without the rows of one member's set-up (its mold, how
/// its variants are tooled, its fleet), which the family's weighted routes do not have; the
/// family's molds are counted in its own facts.
pub fn family_routes_table(routes: &Routes, best_route: Option<Route>, cur: &str) -> Table {
    let mut t = routes_table_of(routes, best_route, cur, [None; 3]);
    let members_own = [
        "mold",
        "variants tooled as",
        "fleet",
        "parts/year, fleet",
        "limited by",
    ];
    t.rows.retain(|r| !members_own.contains(&r.label.as_str()));
    t
}

/// Why each route that is not available is not.
pub fn unavailable_reasons(routes: &Routes) -> Vec<(Route, String)> {
    Route::ALL
        .iter()
        .filter_map(|&r| match routes.get(r) {
            crate::process::RouteResult::Unavailable { reason, .. } => Some((r, reason.clone())),
            _ => None,
        })
        .collect()
}

/// The break-even volumes of each pair of routes, by cost and by CO2, a year and in total
/// over the amortization period.
pub fn break_even_table(c: &Comparison) -> Table {
    break_even_table_of(
        &c.break_even_volumes,
        &c.co2_break_even_volumes,
        c.amortization_years,
    )
}

/// [`break_even_table`] of any pair of break-even sets (a part's, a family's).
pub fn break_even_table_of(b: &BreakEvens, co2: &BreakEvens, years: f64) -> Table {
    let be = |v: Option<f64>| v.map(short_count).unwrap_or_else(|| "none".into());
    let total = |v: Option<f64>| {
        v.map(|v| short_count(v * years))
            .unwrap_or_else(|| "-".into())
    };
    let mut t = Table::new(
        "routes equal",
        vec![
            Column::numbers("cost (parts/year)"),
            Column::numbers("cost (total)"),
            Column::numbers("CO2 (parts/year)"),
            Column::numbers("CO2 (total)"),
        ],
    );
    for (name, cost, co2) in [
        ("AM = IM", b.am_im, co2.am_im),
        ("AM = hybrid", b.am_hybrid, co2.am_hybrid),
        ("hybrid = IM", b.hybrid_im, co2.hybrid_im),
    ] {
        t.push(name, vec![be(cost), total(cost), be(co2), total(co2)]);
    }
    t
}

/// The sensitivity study: each input low and high, the break-evens and the cheapest route at
/// both; most effect first.
pub fn sensitivity_table(s: &Sensitivity) -> Table {
    let be = |v: Option<f64>| v.map(short_count).unwrap_or_else(|| "none".into());
    let route = |r: Option<Route>| r.map(Route::name).unwrap_or("none");
    let pair = |lo: Option<f64>, hi: Option<f64>| format!("{} / {}", be(lo), be(hi));
    let mut t = Table::new(
        "input",
        vec![
            Column::numbers("AM = IM (parts/year)"),
            Column::numbers("hybrid = IM (parts/year)"),
            Column::numbers("AM = hybrid (parts/year)"),
            Column::text("cheapest"),
        ],
    );
    let b = &s.base;
    t.push(
        "(as estimated)",
        vec![
            be(b.break_even_volumes.am_im),
            be(b.break_even_volumes.hybrid_im),
            be(b.break_even_volumes.am_hybrid),
            route(b.best_route).into(),
        ],
    );
    for r in &s.rows {
        let (lo, hi) = (&r.low.break_even_volumes, &r.high.break_even_volumes);
        t.push(
            r.label,
            vec![
                pair(lo.am_im, hi.am_im),
                pair(lo.hybrid_im, hi.hybrid_im),
                pair(lo.am_hybrid, hi.am_hybrid),
                format!("{} / {}", route(r.low.best_route), route(r.high.best_route)),
            ],
        );
    }
    t
}
