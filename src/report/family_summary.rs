//! `family.summary.txt` (and `family --format table`): the members, the rib molds, the
//! routes and the break-evens as text, through the same table model as every other table
//! (one unit a column or row, named in its title).

use super::figures;
use super::table::{Column, Table, duration_row};
use crate::family::Family;

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.digits$}"))
}

/// The family as text: the members, the molds, the routes.
pub fn summary(fam: &Family) -> String {
    let mut s = format!(
        "family: {} members, {} molds, tolerance {} mm ({} samples per molded region)\n",
        fam.members.len(),
        fam.molds.len(),
        fam.tolerance_mm,
        fam.samples
    );
    s.push_str(&members_table(fam).text(0));
    for m in fam.members.iter().filter(|m| m.status == "error") {
        s.push_str(&format!(
            "  {} error: {}\n",
            m.file,
            m.error.as_deref().unwrap_or("")
        ));
    }
    for m in &fam.members {
        for problem in m.plate.iter().flat_map(|p| &p.plate_problems) {
            s.push_str(&format!("  {}: {problem}\n", m.file));
        }
    }
    s.push_str("molds:\n");
    for m in &fam.molds {
        s.push_str(&format!(
            "  mold {}: reference {}, {} members, largest deviation {:.3} mm, molded {:.0} mm³, {:.0} parts a year\n",
            m.id,
            m.reference_file,
            m.members.len(),
            m.max_deviation_mm,
            m.molded_volume_mm3,
            m.annual_volume
        ));
    }
    if let Some(c) = &fam.costs {
        s.push_str(&format!(
            "routes at {:.0} parts a year ({} distinct parts, {} rib molds):\n",
            c.annual_volume, c.distinct_parts, c.rib_molds
        ));
        s.push_str(&figures::family_routes_table(&c.routes, c.best_route, &c.currency).text(2));
        for (r, reason) in figures::unavailable_reasons(&c.routes) {
            s.push_str(&format!("  {} not available: {reason}\n", r.name()));
        }
        s.push_str("  break-evens (parts/year, and the total over the amortization):\n");
        s.push_str(
            &figures::break_even_table_of(
                &c.break_even_volumes,
                &c.comparison.co2_break_even_volumes,
                c.comparison.amortization_years,
            )
            .text(4),
        );
        s.push_str(&format!(
            "  cheapest: {}\n",
            c.best_route.map_or("none", |r| super::chart::label(r))
        ));
    }
    s
}

/// A row a member (an error row reads `error` and is explained below the table): its mold,
/// its deviation from the mold's reference, where it differs, its baseplate's print time
/// (one unit for the column) and cost, whether its plate carries the mold.
fn members_table(fam: &Family) -> Table {
    let ok: Vec<_> = fam.members.iter().filter(|m| m.status != "error").collect();
    let print_s: Vec<Option<f64>> = ok
        .iter()
        .map(|m| m.cost.as_ref().and_then(|c| c.baseplate_print_time_s))
        .collect();
    let (unit, prints) = duration_row(&print_s);
    let print_title = format!("plate print ({unit})");
    let mut t = Table::new(
        "member",
        vec![
            Column::numbers("mold"),
            Column::numbers("dev (mm)"),
            Column::numbers("p95 (mm)"),
            Column::text("differs"),
            Column::text("worst at (mm)"),
            Column::numbers(&print_title),
            Column::numbers("plate (EUR)"),
            Column::text("plate"),
        ],
    );
    if let Some(c) = &fam.costs {
        t.columns[6].title = format!("plate ({})", c.currency);
    }
    for (m, print) in ok.iter().zip(prints) {
        let at = m.worst_at_mm.map_or_else(
            || "-".into(),
            |p| format!("{:.2}, {:.2}, {:.2}", p[0], p[1], p[2]),
        );
        let differs = m
            .differs
            .map(|d| format!("{d:?}").to_lowercase())
            .unwrap_or_default();
        let plate_ok = m.plate.as_ref().map_or("-", |p| {
            if p.footprint_inside_plate && p.shut_off_land_inside_plate && p.lattice_fits {
                "fits"
            } else {
                "NO"
            }
        });
        t.push(
            &m.file,
            vec![
                m.mold.map_or("-".into(), |x| x.to_string()),
                opt(m.deviation_mm, 3),
                opt(m.deviation_p95_mm, 3),
                differs,
                at,
                print,
                opt(m.cost.as_ref().and_then(|c| c.baseplate_cost_per_part), 2),
                plate_ok.into(),
            ],
        );
    }
    for m in fam.members.iter().filter(|m| m.status == "error") {
        t.push(&m.file, vec!["error".into()]);
    }
    t
}
