//! `family.report.html` of `hybridplan family`: the family on one self-contained page, built
//! with the plan and catalog pages' helpers (`super::html`): the members and how far each is
//! from the family's mold, the rib molds, where and how the members that need another mold
//! differ, the plate checks, the family's routes and break-evens, and the cost chart.

use std::fmt::Write;

use super::chart::{self, short_count};
use super::figures;
use super::html::{Col, esc, facts, inline_svg, num, page, route_tag, table, td};
use super::table::duration_row;
use super::{fmt_duration, fmt_money, trim_years};
use crate::family::grouping::Difference;
use crate::family::{Family, MemberRow};

/// The page of family `name` (the members' folder or manifest as given); `chart_svg` is the
/// family's chart file, `files` the names of the outputs beside this page.
pub fn family_page(name: &str, fam: &Family, chart_svg: Option<&str>, files: &[&str]) -> String {
    let mut b = String::new();
    let ok = fam.members.iter().filter(|m| m.status == "ok").count();
    let errors = fam.members.len() - ok;
    let _ = write!(
        b,
        "<header><h1>Family {}</h1><p class=\"sub\">{} members{} · {} rib mold(s) at a tolerance of {} mm · {} surface samples per molded region</p>",
        esc(name),
        fam.members.len(),
        if errors > 0 {
            format!(" ({errors} could not be evaluated)")
        } else {
            String::new()
        },
        fam.molds.len(),
        fam.tolerance_mm,
        fam.samples
    );
    b.push_str(&verdict(fam));
    b.push_str("</header>\n");
    b.push_str(&facts_section(fam));
    b.push_str(&members_section(fam));
    b.push_str(&molds_section(fam));
    b.push_str(&differences_section(fam));
    b.push_str(&plates_section(fam));
    b.push_str(&routes_section(fam));
    if let Some(svg) = chart_svg {
        let _ = writeln!(
            b,
            "<section id=\"chart\"><h2>Cost and CO2 against volume</h2><figure>{}<figcaption>The family's cost (above) and CO2 (below) per part of each route over its annual volume (all members' volumes scaled together), both axes logarithmic; the rings are the break-even volumes, the dashed line the family's volume. The same chart is family.report.svg and .png.</figcaption></figure></section>",
            inline_svg(svg, "Cost per part vs annual volume: family")
        );
    }
    b.push_str(&warnings_section(fam));
    b.push_str(&files_section(files));
    page(&format!("family {name}: hybridplan family report"), &b)
}

fn verdict(fam: &Family) -> String {
    let Some(c) = &fam.costs else {
        return String::new();
    };
    match c
        .best_route
        .and_then(|r| c.routes.get(r).cost().map(|rc| (r, rc)))
    {
        Some((r, rc)) => format!(
            "<p class=\"verdict\">Cheapest at {} parts/year for the family ({} distinct parts, {} rib mold(s)): {} at {} per part.</p>\n",
            short_count(c.annual_volume),
            c.distinct_parts,
            c.rib_molds,
            route_tag(r),
            esc(&chart::money(rc.cost_per_part, &c.currency))
        ),
        None => {
            "<p class=\"verdict\">No route can make the family as planned (see the routes).</p>\n"
                .into()
        }
    }
}

/// The family at a glance.
fn facts_section(fam: &Family) -> String {
    let ok = fam.members.iter().filter(|m| m.status == "ok").count();
    let mut rows: Vec<(&str, String)> = vec![
        ("members", format!("{} ({ok} evaluated)", fam.members.len())),
        ("rib molds", fam.molds.len().to_string()),
        ("tolerance (mm)", fam.tolerance_mm.to_string()),
        ("surface samples per molded region", fam.samples.to_string()),
    ];
    if let Some(c) = &fam.costs {
        rows.push((
            "annual volume (parts/year)",
            format!("{:.0}", c.annual_volume),
        ));
        rows.push((
            "distinct whole parts (IM cavity sets)",
            c.distinct_parts.to_string(),
        ));
    }
    let t = &fam.timings;
    rows.push((
        "time taken",
        format!(
            "split {}, registration and grouping {}, lattice and costing {}",
            fmt_duration(t.split_s),
            fmt_duration(t.registration_and_grouping_s),
            fmt_duration(t.lattice_and_costing_s)
        ),
    ));
    format!(
        "<section id=\"family\"><h2>Family</h2>{}</section>\n",
        facts(&rows)
    )
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".into(), |x| format!("{x:.digits$}"))
}

fn point(p: &[f64; 3]) -> String {
    format!("({:.2}, {:.2}, {:.2})", p[0], p[1], p[2])
}

/// What differs, in words.
fn difference(d: Difference) -> &'static str {
    match d {
        Difference::None => "nothing (within the tolerance)",
        Difference::Height => "a height change",
        Difference::Position => "a position change",
        Difference::ExtraFeature => "an extra feature",
        Difference::MissingFeature => "a missing feature",
    }
}

fn short_difference(d: Difference) -> &'static str {
    match d {
        Difference::None => "none",
        Difference::Height => "height",
        Difference::Position => "position",
        Difference::ExtraFeature => "extra feature",
        Difference::MissingFeature => "missing feature",
    }
}

fn plate_fits(m: &MemberRow) -> Option<bool> {
    m.plate
        .as_ref()
        .map(|p| p.footprint_inside_plate && p.shut_off_land_inside_plate && p.lattice_fits)
}

fn members_section(fam: &Family) -> String {
    // One unit for the print-time column: the one its shortest print reads at least 1 in.
    let print_s: Vec<Option<f64>> = fam
        .members
        .iter()
        .map(|m| m.cost.as_ref().and_then(|c| c.baseplate_print_time_s))
        .collect();
    let (print_unit, prints) = duration_row(&print_s);
    let rows: Vec<String> = fam
        .members
        .iter()
        .zip(&prints)
        .map(|(m, print)| {
            if m.status == "error" {
                return format!(
                    "<td class=\"file\">{}</td><td class=\"error\">error</td><td class=\"why\" colspan=\"9\">{}</td>",
                    esc(&m.file),
                    esc(m.error.as_deref().unwrap_or(""))
                );
            }
            let cost = m.cost.as_ref();
            let plate = match plate_fits(m) {
                Some(true) => "<td class=\"ok\">fits</td>".to_string(),
                Some(false) => "<td class=\"error\">does not fit</td>".to_string(),
                None => td("–"),
            };
            format!(
                "<td class=\"file\">{}</td><td class=\"ok\">ok</td>{}{}{}{}{}{}{}{}{}",
                esc(&m.file),
                num(&m.mold.map_or("–".into(), |k| k.to_string())),
                num(&opt(m.deviation_mm, 3)),
                num(&opt(m.deviation_p95_mm, 3)),
                td(m.differs.map_or("–", short_difference)),
                plate,
                num(&opt(m.annual_volume, 0)),
                num(print),
                num(
                    &cost
                        .and_then(|c| c.baseplate_cost_per_part)
                        .map_or("–".into(), fmt_money)
                ),
                num(
                    &cost
                        .and_then(|c| c.hybrid_cost_per_part)
                        .map_or("–".into(), fmt_money)
                ),
            )
        })
        .collect();
    let currency = fam.costs.as_ref().map_or("EUR", |c| c.currency.as_str());
    let plate_cost = format!("baseplate ({currency}/part)");
    let hybrid_cost = format!("hybrid ({currency}/part)");
    let print_title = format!("baseplate print ({print_unit})");
    let head = [
        Col("member", false),
        Col("status", false),
        Col("mold", true),
        Col("deviation (mm)", true),
        Col("p95 (mm)", true),
        Col("differs", false),
        Col("plate", false),
        Col("parts/year", true),
        Col(&print_title, true),
        Col(&plate_cost, true),
        Col(&hybrid_cost, true),
    ];
    format!(
        "<section id=\"members\" class=\"long\"><h2>Members</h2><p>Each member's molded region against the family's reference (mold 0's): the largest and the 95th percentile of the sampled surface distance after registration; \"plate\": whether its baseplate carries its mold's footprint, shut-off land and lattice. The hybrid cost is the member's own in the family's set-up (its baseplate print and its mold's share).</p>{}</section>\n",
        table("catalog", &head, &rows)
    )
}

fn molds_section(fam: &Family) -> String {
    let rows: Vec<String> = fam
        .molds
        .iter()
        .map(|m| {
            let names: Vec<&str> = m
                .members
                .iter()
                .filter_map(|&i| fam.members.get(i).map(|r| r.file.as_str()))
                .collect();
            format!(
                "{}<td class=\"file\">{}</td>{}{}{}{}<td class=\"file\">{}</td>",
                num(&m.id.to_string()),
                esc(&m.reference_file),
                num(&m.members.len().to_string()),
                num(&format!("{:.3}", m.max_deviation_mm)),
                num(&format!("{:.0}", m.molded_volume_mm3)),
                num(&short_count(m.annual_volume)),
                esc(&names.join(", "))
            )
        })
        .collect();
    let head = [
        Col("mold", true),
        Col("reference", false),
        Col("members", true),
        Col("largest deviation (mm)", true),
        Col("molded volume (mm3)", true),
        Col("parts/year", true),
        Col("its members", false),
    ];
    format!(
        "<section id=\"molds\"><h2>Rib molds</h2><p>Members within {} mm of a mold's reference share its rib mold (the tolerance a standard mold holds); mold 0 is the family's. family.molded.stl is mold 0's molded region with its pins, family.moldK.molded.stl each further one's.</p>{}</section>\n",
        fam.tolerance_mm,
        table("molds", &head, &rows)
    )
}

/// Every member beyond the tolerance: what differs, where, by how much, and its mold.
fn differences_section(fam: &Family) -> String {
    let items: Vec<String> = fam
        .members
        .iter()
        .filter(|m| m.status == "ok" && m.deviation_mm.is_some_and(|d| d > fam.tolerance_mm))
        .map(|m| {
            let change = m
                .change_mm
                .map(|c| format!(", the change there {} mm", point(&c)))
                .unwrap_or_default();
            let place = match (m.worst_at_mm, m.worst_at_common_mm) {
                (Some(own), Some(common)) => format!(
                    " at {} mm in its own coordinates, {} mm in the common frame{change}",
                    point(&own),
                    point(&common)
                ),
                _ => String::new(),
            };
            format!(
                "<li><b>{}</b>: {} of {:.3} mm from the family's reference{}; in mold {}.</li>",
                esc(&m.file),
                m.differs.map_or("a difference", difference),
                m.deviation_mm.unwrap_or(0.0),
                esc(&place),
                m.mold.map_or("–".into(), |k| k.to_string())
            )
        })
        .collect();
    let body = if items.is_empty() {
        format!(
            "<p>Every member's molded region is within {} mm of the family's reference: one rib mold serves them all.</p>",
            fam.tolerance_mm
        )
    } else {
        format!(
            "<p>The members farther than {} mm from the family's reference, at their worst sampled point:</p><ul>{}</ul>",
            fam.tolerance_mm,
            items.concat()
        )
    };
    format!("<section id=\"differences\"><h2>How members differ</h2>{body}</section>\n")
}

fn yes_no(v: bool) -> String {
    if v {
        "<td class=\"ok\">yes</td>".into()
    } else {
        "<td class=\"error\">no</td>".into()
    }
}

fn plates_section(fam: &Family) -> String {
    let rows: Vec<String> = fam
        .members
        .iter()
        .filter_map(|m| Some((m, m.plate.as_ref()?)))
        .map(|(m, p)| {
            let problems = if p.plate_problems.is_empty() {
                td("–")
            } else {
                format!(
                    "<td class=\"why\">{}</td>",
                    p.plate_problems
                        .iter()
                        .map(|x| esc(x))
                        .collect::<Vec<_>>()
                        .join("<br>")
                )
            };
            format!(
                "<td class=\"file\">{}</td>{}{}{}{}{}{}{problems}",
                esc(&m.file),
                num(&m.mold.map_or("–".into(), |k| k.to_string())),
                yes_no(p.footprint_inside_plate),
                yes_no(p.shut_off_land_inside_plate),
                yes_no(p.lattice_fits),
                num(&p.pores.to_string()),
                num(&opt(p.pore_depth_mm, 2)),
            )
        })
        .collect();
    let head = [
        Col("member", false),
        Col("mold", true),
        Col("footprint inside the plate", false),
        Col("shut-off land inside", false),
        Col("lattice fits", false),
        Col("pores", true),
        Col("pore depth (mm)", true),
        Col("what does not fit", false),
    ];
    let fits = fam
        .members
        .iter()
        .filter(|m| plate_fits(m) == Some(true))
        .count();
    let checked = fam.members.iter().filter(|m| m.plate.is_some()).count();
    format!(
        "<section id=\"plates\"><h2>Plate checks</h2><p>{fits} of {checked} plates carry their mold: the reference's footprint and the shut-off land around it lie inside the member's plate face, and the mold's pore lattice can be cut into its baseplate.</p>{}</section>\n",
        table("plates", &head, &rows)
    )
}

fn routes_section(fam: &Family) -> String {
    let Some(c) = &fam.costs else {
        return String::new();
    };
    let notes = super::html::unavailable_notes(&c.routes);
    // The members' print times differ: the family's table gives none.
    let routes = figures::family_routes_table(&c.routes, c.best_route, &c.currency);
    let years = c.comparison.amortization_years;
    let break_evens = figures::break_even_table_of(
        &c.break_even_volumes,
        &c.comparison.co2_break_even_volumes,
        years,
    );
    let sweep = &c.comparison.sweep.volumes;
    format!(
        "<section id=\"routes\"><h2>Routes</h2><p>At {} parts/year for the family, tooling paid off over {} years: AM prints every member; IM molds all {} distinct parts in one tool with a cavity set (or an exchangeable insert) each; Hybrid prints every member's own baseplate and overmolds the ribs in {} rib mold(s), each as large as the largest plate of its group. The family's cost per part is the members' costs weighted by their volumes.</p>{}{notes}<h3>Break-evens</h3><p>The family's volumes (all members scaled together) at which two routes cost or emit the same per part, and the total quantity over the {} years; \"none\": they do not cross between {} and {} a year.</p>{}</section>\n",
        short_count(c.annual_volume),
        trim_years(years),
        c.distinct_parts,
        c.rib_molds,
        routes.html("routes"),
        trim_years(years),
        short_count(sweep.first().copied().unwrap_or(1.0)),
        short_count(sweep.last().copied().unwrap_or(1.0)),
        break_evens.html("break-evens")
    )
}

fn warnings_section(fam: &Family) -> String {
    let items: Vec<String> = fam
        .members
        .iter()
        .flat_map(|m| {
            m.warnings
                .iter()
                .map(move |w| format!("<li>{}: {}</li>", esc(&m.file), esc(w)))
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(
        "<section id=\"warnings\" class=\"long\"><h2>Warnings</h2><ul>{}</ul></section>\n",
        items.concat()
    )
}

fn files_section(files: &[&str]) -> String {
    let rows: Vec<String> = files
        .iter()
        .map(|f| format!("<td class=\"file\">{}</td>", esc(f)))
        .collect();
    format!(
        "<section id=\"files\"><h2>Files</h2><p>Beside this page in the output folder:</p>{}</section>\n",
        table("files", &[Col("file", false)], &rows)
    )
}
