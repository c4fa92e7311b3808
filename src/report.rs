//! Human- and machine-readable output: tables for people, JSON lines for programs.

pub mod catalog_chart;
pub mod chart;
pub mod dfm_svg;
pub mod family_html;
pub mod html;
pub mod variants_html;
pub mod view;

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::mesh::MeshReport;
use std::path::PathBuf;

use crate::fsutil::{OutputSet, WriteError, manifest_path, write_atomic};
use crate::plan::{Estimate, Planned, Prepared, SplitOutputs};
use crate::process::compare::{Route, RouteCost};
use crate::process::sensitivity::Sensitivity;
use chart::short_count;

/// One row of `hybridplan inspect --format json`.
#[derive(Serialize)]
pub struct InspectRow<'a> {
    pub file: String,
    #[serde(flatten)]
    pub report: &'a MeshReport,
}

/// Writes one JSON object (one line) for a checked file.
pub fn inspect_json(w: &mut dyn Write, file: &Path, report: &MeshReport) -> io::Result<()> {
    let row = InspectRow {
        file: file.display().to_string(),
        report,
    };
    serde_json::to_writer(&mut *w, &row)?;
    writeln!(w)
}

/// One JSON line for a file that could not be processed.
pub fn error_json(w: &mut dyn Write, file: &Path, error: &str) -> io::Result<()> {
    let row = serde_json::json!({ "file": file.display().to_string(), "error": error });
    serde_json::to_writer(&mut *w, &row)?;
    writeln!(w)
}

fn fmt3(v: &[f64; 3]) -> String {
    format!("{:.3}, {:.3}, {:.3}", v[0], v[1], v[2])
}

/// A readable block of the checks for one file.
pub fn inspect_table(w: &mut dyn Write, file: &Path, r: &MeshReport) -> io::Result<()> {
    let yes_no = |b: bool| if b { "yes" } else { "NO" };
    let format = r.format.map_or("-", |f| f.describe());
    writeln!(w, "{}", file.display())?;
    let rows: Vec<(&str, String)> = vec![
        ("format", format!("{format}, read as {}", r.units.name())),
        ("triangles", r.triangles.to_string()),
        ("vertices", r.vertices.to_string()),
        ("bounds min (mm)", fmt3(&r.bbox_min_mm)),
        ("bounds max (mm)", fmt3(&r.bbox_max_mm)),
        ("size (mm)", fmt3(&r.size_mm)),
        ("area (mm2)", format!("{:.3}", r.area_mm2)),
        ("volume (mm3)", format!("{:.3}", r.volume_mm3)),
        ("shells", r.shells.to_string()),
        ("watertight", yes_no(r.watertight).into()),
        ("oriented", yes_no(r.oriented).into()),
        ("boundary edges", r.boundary_edges.to_string()),
        ("non-manifold edges", r.non_manifold_edges.to_string()),
        ("inconsistent edges", r.inconsistent_edges.to_string()),
        ("degenerate dropped", r.degenerate_dropped.to_string()),
        ("zero-area triangles", r.zero_area_triangles.to_string()),
        ("shells flipped", r.shells_flipped.to_string()),
        ("shells merged", r.overlapping_shells.to_string()),
    ];
    for (k, v) in rows {
        writeln!(w, "  {k:<20} {v}")?;
    }
    match r.solid_problem() {
        None => writeln!(w, "  {:<20} closed solid, ready to split", "verdict")?,
        Some(why) => writeln!(w, "  {:<20} {why}", "verdict")?,
    }
    for warning in &r.warnings {
        writeln!(w, "  warning: {warning}")?;
    }
    Ok(())
}

/// One JSON line for a split part: the split's facts, the file and the outputs written.
pub fn split_json(
    w: &mut dyn Write,
    file: &Path,
    prepared: &Prepared,
    outputs: &SplitOutputs,
) -> io::Result<()> {
    let row = split_value(file, prepared, Some(outputs))?;
    serde_json::to_writer(&mut *w, &row)?;
    writeln!(w)
}

/// The split's facts, the lattice's keys (or none), the bond and the outputs as one JSON
/// object.
pub fn split_value(
    file: &Path,
    prepared: &Prepared,
    outputs: Option<&SplitOutputs>,
) -> io::Result<serde_json::Value> {
    let lattice = prepared.lattice.as_ref();
    let mut row = match &prepared.split {
        Ok(split) => serde_json::to_value(&split.facts)?,
        // A part without a split: what is known of it whole, and why it has no split.
        Err(reason) => serde_json::json!({
            "split": {"available": false, "reason": reason},
            "part_volume_mm3": prepared.part.signed_volume_mm3(),
            "wall_thickness": prepared.part_wall,
            "warnings": prepared.part_warnings,
        }),
    };
    if let Some(obj) = row.as_object_mut() {
        match lattice {
            // The lattice's keys at the top level: pores, pin_area_mm2, pin_area_fraction,
            // lattice_warnings and the parameters used.
            Some(l) => {
                if let serde_json::Value::Object(m) = serde_json::to_value(l)? {
                    obj.extend(m);
                }
            }
            None => {
                obj.insert("pores".into(), 0.into());
                obj.insert("pin_area_mm2".into(), 0.into());
                obj.insert("pin_area_fraction".into(), 0.into());
                if let serde_json::Value::Object(m) = serde_json::to_value(prepared.bond)? {
                    obj.extend(m);
                }
                obj.insert(
                    "lattice_warnings".into(),
                    serde_json::to_value(&prepared.bond_warnings)?,
                );
            }
        }
        obj.insert("file".into(), file.display().to_string().into());
        if let Some(d) = &prepared.dfm {
            // The findings as a list under `dfm`, the figures the plan uses beside them.
            if let serde_json::Value::Object(mut m) = serde_json::to_value(d)? {
                let findings = m.remove("findings").unwrap_or_default();
                obj.insert("dfm".into(), findings);
                obj.insert("dfm_facts".into(), serde_json::Value::Object(m));
            }
        }
        if let Ok(split) = &prepared.split {
            obj.insert(
                "footprint_loops_mm".into(),
                serde_json::to_value(&split.footprint.loops_mm)?,
            );
        }
        if let Some(outputs) = outputs {
            obj.insert(
                "outputs".into(),
                serde_json::json!({
                    "baseplate": outputs.baseplate.display().to_string(),
                    "molded": outputs.molded.display().to_string(),
                    "3mf": outputs.three_mf.display().to_string(),
                }),
            );
        }
    }
    Ok(row)
}

/// A readable summary of a split.
pub fn split_table(
    w: &mut dyn Write,
    file: &Path,
    prepared: &Prepared,
    outputs: &SplitOutputs,
) -> io::Result<()> {
    writeln!(w, "{}", file.display())?;
    for (k, v) in split_rows(prepared) {
        writeln!(w, "  {k:<16} {v}")?;
    }
    for (k, v) in [
        ("baseplate", outputs.baseplate.display().to_string()),
        ("molded", outputs.molded.display().to_string()),
        ("3mf", outputs.three_mf.display().to_string()),
    ] {
        writeln!(w, "  {k:<16} {v}")?;
    }
    for warning in split_warnings(prepared) {
        writeln!(w, "  warning: {warning}")?;
    }
    dfm_lines(w, prepared)
}

/// The moldability and insert findings, one a line: a summary, then errors, warnings, infos.
pub fn dfm_lines(w: &mut dyn Write, prepared: &Prepared) -> io::Result<()> {
    use crate::dfm::Severity;
    let Some(d) = &prepared.dfm else {
        return Ok(());
    };
    writeln!(
        w,
        "  {:<16} {} errors, {} warnings, {} notes; side actions: hybrid {}, IM {}",
        "dfm",
        d.count(Severity::Error),
        d.count(Severity::Warning),
        d.count(Severity::Info),
        d.hybrid_side_actions,
        d.im_side_actions
    )?;
    for f in &d.findings {
        let route = match f.route {
            crate::dfm::RouteOf::Hybrid => "hybrid",
            crate::dfm::RouteOf::Im => "im",
        };
        writeln!(
            w,
            "  dfm {} {} ({route}): {}",
            f.severity.name(),
            f.kind.name(),
            f.message
        )?;
    }
    Ok(())
}

/// The split's warnings (the part's, for a part without a split), then the interface's.
pub fn split_warnings(prepared: &Prepared) -> impl Iterator<Item = &String> {
    match &prepared.split {
        Ok(split) => &split.facts.warnings,
        Err(_) => &prepared.part_warnings,
    }
    .iter()
    .chain(prepared.lattice.iter().flat_map(|l| &l.lattice_warnings))
    .chain(&prepared.bond_warnings)
}

/// The rows of the split's table: plane, thickness, volumes, footprint, interface and bond.
pub fn split_rows(prepared: &Prepared) -> Vec<(&'static str, String)> {
    let split = match &prepared.split {
        Ok(split) => split,
        Err(reason) => {
            let mut rows = vec![
                ("split", format!("none: {reason}")),
                (
                    "volume",
                    format!("{:.3} mm3", prepared.part.signed_volume_mm3()),
                ),
            ];
            if let Some(t) = &prepared.part_wall {
                rows.push(("wall thickness", wall_row(t)));
            }
            return rows;
        }
    };
    let lattice = prepared.lattice.as_ref();
    let f = &split.facts;
    let n = f.plane_normal;
    let p = f.plane_point_mm;
    let mut rows: Vec<(&str, String)> = vec![
        (
            "split plane",
            format!(
                "through ({:.3}, {:.3}, {:.3}) mm, normal ({:.4}, {:.4}, {:.4}), {}",
                p[0],
                p[1],
                p[2],
                n[0],
                n[1],
                n[2],
                if f.detected { "detected" } else { "as given" }
            ),
        ),
        ("plate thickness", format!("{:.3} mm", f.plate_thickness_mm)),
    ];
    if let Some(pl) = &f.plate {
        rows.push((
            "detection",
            format!(
                "plate section {:.1} mm2, rib side {:.1} mm2 ({:.0}% of it), flatness {:.3}",
                pl.plate_section_mm2,
                pl.rib_side_section_mm2,
                100.0 * pl.rib_side_section_mm2 / pl.plate_section_mm2,
                pl.flatness
            ),
        ));
    }
    rows.extend([
        (
            "volumes",
            format!(
                "part {:.3} = baseplate {:.3} + molded {:.3} mm3",
                f.part_volume_mm3, f.baseplate_volume_mm3, f.molded_volume_mm3
            ),
        ),
        (
            "footprint",
            format!(
                "{:.3} mm2 in {} loops",
                f.footprint_area_mm2,
                split.footprint.loops_mm.len()
            ),
        ),
        ("rib bodies", f.rib_bodies.to_string()),
        ("projected area", format!("{:.3} mm2", f.projected_area_mm2)),
        ("molded height", format!("{:.3} mm", f.molded_height_mm)),
    ]);
    if let Some(t) = &f.wall_thickness {
        rows.push(("wall thickness", wall_row(t)));
    }
    if let Some(l) = lattice
        && let Some(density) = l.infill_density_percent
    {
        rows.push((
            "interface",
            format!(
                "infill zone {} mm deep printed at {density}% (modifier volume in the 3MF): {:.0}% open to the melt",
                l.depth_mm,
                100.0 * l.open_area_fraction.unwrap_or(0.0)
            ),
        ));
    } else if let Some(l) = lattice {
        rows.push((
            "interface",
            format!(
                "{} {} pores {} mm, walls {} mm, {} mm deep: pins {:.1} mm2 ({:.0}% of the footprint), {:.1} mm3",
                l.pores,
                l.lattice,
                l.pore_mm,
                l.wall_mm,
                l.depth_mm,
                l.pin_area_mm2,
                100.0 * l.pin_area_fraction,
                l.pin_volume_mm3
            ),
        ));
    }
    let b = &prepared.bond;
    rows.push((
        "bond (estimate)",
        format!(
            "shear {:.0} N ({:.1} x the plain {:.0} N), pull-off {:.0} N (plain {:.0} N); adhesion {:.1} MPa{}",
            b.bond_shear_n,
            b.shear_ratio,
            b.bond_shear_plain_n,
            b.bond_pull_n,
            b.bond_pull_plain_n,
            b.adhesion_mpa,
            b.interface_temp_c
                .map(|t| format!(" at an interface of {t:.0} degC"))
                .unwrap_or_default()
        ),
    ));
    rows
}

fn wall_row(t: &crate::split::thickness::WallThickness) -> String {
    format!(
        "median {:.3}, p95 {:.3}, max {:.3} mm ({} samples)",
        t.p50_mm, t.p95_mm, t.max_mm, t.samples
    )
}

/// The estimate of a part as one JSON object: the split's and the interface's keys, then the
/// comparison (`routes`, `break_even_volumes`, `best_route`, `sweep`, ...), and the outputs.
pub fn estimate_value(
    file: &Path,
    prepared: &Prepared,
    estimate: &Estimate,
    outputs: Option<&SplitOutputs>,
) -> io::Result<serde_json::Value> {
    let mut row = split_value(file, prepared, outputs)?;
    if let (Some(obj), serde_json::Value::Object(e)) =
        (row.as_object_mut(), serde_json::to_value(estimate)?)
    {
        obj.extend(e);
        // One list of warnings: the estimate's join the part's and the split's.
        if let Some(serde_json::Value::Array(list)) = obj.get_mut("warnings") {
            list.extend(estimate.warnings.iter().map(|w| w.as_str().into()));
        }
    }
    Ok(row)
}

/// One JSON line for an estimated part.
pub fn estimate_json(
    w: &mut dyn Write,
    file: &Path,
    prepared: &Prepared,
    estimate: &Estimate,
) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &estimate_value(file, prepared, estimate, None)?)?;
    writeln!(w)
}

/// Money as the tables write it: three decimals under 10, two under 1000, none above.
pub(crate) fn fmt_money(v: f64) -> String {
    if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A duration in a readable unit.
pub fn fmt_duration(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{:.1} d", s / 86_400.0)
    } else if s >= 3600.0 {
        format!("{:.2} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Years as written: 3, 2.5.
fn trim_years(y: f64) -> String {
    let t = format!("{y:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The comparison as a table: one column per route.
pub fn estimate_rows(estimate: &Estimate) -> String {
    let c = &estimate.comparison;
    let cur = &estimate.currency;
    let mut out = String::new();
    let routes: Vec<(Route, Option<&RouteCost>)> = Route::ALL
        .iter()
        .map(|&r| (r, c.routes.get(r).cost()))
        .collect();
    let mut line = |name: &str, f: &dyn Fn(&RouteCost) -> String| {
        let cells: Vec<String> = routes
            .iter()
            .map(|(_, rc)| rc.map(f).unwrap_or_else(|| "-".into()))
            .collect();
        out.push_str(&format!(
            "  {name:<26}{:>14}{:>14}{:>14}\n",
            cells[0], cells[1], cells[2]
        ));
    };
    line("", &|_| String::new());
    out.clear();
    out.push_str(&format!(
        "  {} parts/year, {} variant(s); {} ribs on a {} baseplate; printer {}\n",
        short_count(c.annual_volume),
        c.variants,
        estimate.material,
        estimate.baseplate_material,
        estimate.printer
    ));
    out.push_str(&format!(
        "  {:<26}{:>14}{:>14}{:>14}\n",
        "", "AM", "IM", "hybrid"
    ));
    let mut line = |name: &str, f: &dyn Fn(&RouteCost) -> String| {
        let cells: Vec<String> = routes
            .iter()
            .map(|(_, rc)| rc.map(f).unwrap_or_else(|| "n/a".into()))
            .collect();
        out.push_str(&format!(
            "  {name:<26}{:>14}{:>14}{:>14}\n",
            cells[0], cells[1], cells[2]
        ));
    };
    line(&format!("cost per part ({cur})"), &|r| {
        fmt_money(r.cost_per_part)
    });
    line("  material", &|r| fmt_money(r.material_cost));
    line("  consumables", &|r| fmt_money(r.consumables_cost));
    line("  machine", &|r| fmt_money(r.machine_cost));
    line("  labour", &|r| fmt_money(r.labour_cost));
    line("  energy", &|r| fmt_money(r.energy_cost));
    line("  tooling", &|r| {
        fmt_money(r.tooling_cost_per_part + r.changeover_cost_per_part)
    });
    line("  overhead", &|r| fmt_money(r.overhead_cost));
    line(&format!("tooling ({cur})"), &|r| {
        format!("{:.0}", r.tooling_cost)
    });
    line("cycle time", &|r| fmt_duration(r.cycle_time_s));
    line("parts/h per machine", &|r| {
        format!("{:.2}", r.parts_per_hour_per_machine)
    });
    let count = |v: Option<f64>| v.map(|n| format!("{n:.0}")).unwrap_or_else(|| "-".into());
    line("printers, fleet", &|r| count(r.fleet_printers));
    line("molding machines, fleet", &|r| {
        count(r.fleet_molding_machines)
    });
    line("parts/year, fleet", &|r| {
        short_count(r.fleet_parts_per_year)
    });
    line("  limited by", &|r| {
        r.fleet_bottleneck.replace(" machines", "")
    });
    line("lead time to 1st part", &|r| {
        fmt_duration(r.lead_time_h * 3600.0)
    });
    line("energy (kWh/part)", &|r| {
        format!("{:.4}", r.energy_kwh_per_part)
    });
    line("  of it, the mold's", &|r| {
        format!("{:.4}", r.tooling_energy_kwh_per_part)
    });
    line("CO2 (kg/part)", &|r| format!("{:.4}", r.co2_kg_per_part));
    line("  of it, the mold's", &|r| {
        format!("{:.4}", r.tooling_co2_kg_per_part)
    });
    line("variants tooled as", &|r| {
        r.molding
            .as_ref()
            .map(|m| match m.tool.variant_tooling {
                crate::process::molding::VariantTooling::FullCavitySets => "cavity sets",
                crate::process::molding::VariantTooling::ExchangeableInserts => "inserts",
            })
            .unwrap_or("-")
            .to_string()
    });
    for (r, rc) in &routes {
        if rc.is_none()
            && let crate::process::RouteResult::Unavailable { reason, .. } = c.routes.get(*r)
        {
            out.push_str(&format!("  {} not available: {reason}\n", r.name()));
        }
    }
    // Volumes a year over the amortization period, with the total quantity they make.
    let years = c.amortization_years;
    let be_total = |v: Option<f64>| {
        v.map(|v| format!("{}/yr ({} total)", short_count(v), short_count(v * years)))
            .unwrap_or_else(|| "none".into())
    };
    out.push_str(&format!(
        "  break-even, cost          parts/year over a {}-year amortization: AM = IM at {}, AM = hybrid at {}, hybrid = IM at {}\n",
        trim_years(years),
        be_total(c.break_even_volumes.am_im),
        be_total(c.break_even_volumes.am_hybrid),
        be_total(c.break_even_volumes.hybrid_im)
    ));
    out.push_str(&format!(
        "  break-even, CO2           AM = IM at {}, hybrid = IM at {}, AM = hybrid at {}\n",
        be_total(c.co2_break_even_volumes.am_im),
        be_total(c.co2_break_even_volumes.hybrid_im),
        be_total(c.co2_break_even_volumes.am_hybrid)
    ));
    if let Some(best) = c.best_route {
        out.push_str(&format!(
            "  cheapest at {}/yr         {}\n",
            short_count(c.annual_volume),
            best.name()
        ));
    }
    if let Some(t) = estimate.am_print_time_s {
        out.push_str(&format!(
            "  print time, whole part    {}\n",
            fmt_duration(t)
        ));
    }
    if let Some(t) = estimate.baseplate_print_time_s {
        out.push_str(&format!(
            "  print time, baseplate     {}\n",
            fmt_duration(t)
        ));
    }
    if let Some(s) = &estimate.sensitivity {
        out.push_str(&sensitivity_rows(s));
    }
    out
}

/// The sensitivity study as rows, the input that moves the verdict most first: each
/// break-even at the input's low and high value, and the cheapest route at both.
fn sensitivity_rows(s: &Sensitivity) -> String {
    let pct = s.change * 100.0;
    let mut out = format!(
        "  sensitivity: each input -{pct:.0} % / +{pct:.0} %, the others held (most effect first)\n"
    );
    let be = |v: Option<f64>| v.map(short_count).unwrap_or_else(|| "none".into());
    let pair = |lo: Option<f64>, hi: Option<f64>| format!("{} / {}", be(lo), be(hi));
    let route = |r: Option<Route>| r.map(Route::name).unwrap_or("none");
    out.push_str(&format!(
        "    {:<24}{:>18}{:>18}{:>18}{:>16}\n",
        "input", "AM = IM", "hybrid = IM", "AM = hybrid", "cheapest"
    ));
    let b = &s.base.break_even_volumes;
    out.push_str(&format!(
        "    {:<24}{:>18}{:>18}{:>18}{:>16}\n",
        "(as estimated)",
        be(b.am_im),
        be(b.hybrid_im),
        be(b.am_hybrid),
        route(s.base.best_route)
    ));
    for r in &s.rows {
        let (lo, hi) = (&r.low.break_even_volumes, &r.high.break_even_volumes);
        out.push_str(&format!(
            "    {:<24}{:>18}{:>18}{:>18}{:>16}\n",
            r.label,
            pair(lo.am_im, hi.am_im),
            pair(lo.hybrid_im, hi.hybrid_im),
            pair(lo.am_hybrid, hi.am_hybrid),
            format!("{} / {}", route(r.low.best_route), route(r.high.best_route))
        ));
    }
    out
}

/// A readable estimate: the split, then the comparison.
pub fn estimate_table(
    w: &mut dyn Write,
    file: &Path,
    prepared: &Prepared,
    estimate: &Estimate,
) -> io::Result<()> {
    writeln!(w, "{}", file.display())?;
    for (k, v) in split_rows(prepared) {
        writeln!(w, "  {k:<16} {v}")?;
    }
    w.write_all(estimate_rows(estimate).as_bytes())?;
    for warning in split_warnings(prepared).chain(&estimate.warnings) {
        writeln!(w, "  warning: {warning}")?;
    }
    dfm_lines(w, prepared)
}

/// The report files `plan` writes for a part.
pub struct PlanReportFiles {
    pub json: PathBuf,
    pub svg: PathBuf,
    pub png: PathBuf,
    pub summary: PathBuf,
    /// The molded region along the pull with the dfm findings coloured.
    pub dfm_svg: PathBuf,
    /// Everything above in one self-contained page (`report::html`).
    pub html: PathBuf,
}

/// The rendered reports of a planned part: the JSON object, the chart, the summary text.
pub struct PlanReports {
    pub json: serde_json::Value,
    pub svg: String,
    pub png: Vec<u8>,
    pub summary: String,
    pub files: PlanReportFiles,
    /// `None` for a part without a split (no molded region to draw).
    pub dfm_svg: Option<String>,
    pub html: String,
}

/// Renders the reports of a planned part (named after `file`, in `out_dir`).
pub fn plan_reports(file: &Path, planned: &Planned, out_dir: &Path) -> io::Result<PlanReports> {
    let stem = crate::plan::stem_of(file);
    let files = PlanReportFiles {
        json: out_dir.join(format!("{stem}.report.json")),
        svg: out_dir.join(format!("{stem}.report.svg")),
        png: out_dir.join(format!("{stem}.report.png")),
        summary: out_dir.join(format!("{stem}.summary.txt")),
        dfm_svg: out_dir.join(format!("{stem}.dfm.svg")),
        html: out_dir.join(format!("{stem}.report.html")),
    };
    let dfm_svg = match (&planned.prepared.split, &planned.prepared.dfm) {
        (Ok(split), Some(d)) => dfm_svg::dfm_svg(&stem, split, d),
        _ => None,
    };
    let mut json = estimate_value(
        file,
        &planned.prepared,
        &planned.estimate,
        planned.outputs.as_ref(),
    )?;
    if let Some(obj) = json.as_object_mut()
        && let serde_json::Value::Object(outs) = obj
            .entry("outputs")
            .or_insert_with(|| serde_json::json!({}))
    {
        outs.insert(
            "report_json".into(),
            files.json.display().to_string().into(),
        );
        outs.insert("report_svg".into(), files.svg.display().to_string().into());
        outs.insert("report_png".into(), files.png.display().to_string().into());
        outs.insert("summary".into(), files.summary.display().to_string().into());
        outs.insert(
            "report_html".into(),
            files.html.display().to_string().into(),
        );
        if dfm_svg.is_some() {
            outs.insert("dfm_svg".into(), files.dfm_svg.display().to_string().into());
        }
        outs.insert(
            "manifest".into(),
            manifest_path(out_dir, &stem).display().to_string().into(),
        );
    }
    let svg = chart::cost_chart_svg(
        &stem,
        &planned.estimate.comparison,
        &planned.estimate.currency,
    );
    let png = chart::svg_to_png(&svg, 1.0).map_err(io::Error::other)?;
    let mut summary = Vec::new();
    estimate_table(&mut summary, file, &planned.prepared, &planned.estimate)?;
    let meshes = planned.outputs.iter().flat_map(|o| {
        [
            ("baseplate", &o.baseplate),
            ("molded", &o.molded),
            ("3mf", &o.three_mf),
        ]
    });
    let dfm_file = dfm_svg.as_ref().map(|_| ("dfm picture", &files.dfm_svg));
    let manifest = manifest_path(out_dir, &stem);
    let listed: Vec<(&str, &PathBuf)> = meshes
        .chain(dfm_file)
        .chain([
            ("report", &files.json),
            ("chart", &files.svg),
            ("chart (PNG)", &files.png),
            ("summary", &files.summary),
            ("report (HTML)", &files.html),
            ("manifest", &manifest),
        ])
        .collect();
    for (k, v) in &listed {
        writeln!(summary, "  {k:<16} {}", v.display())?;
    }
    let others: Vec<(&str, &Path)> = listed
        .iter()
        .filter(|(_, v)| **v != files.html)
        .map(|(k, v)| (*k, v.as_path()))
        .collect();
    // The page shows the volume panels and the variants panel as figures of their own (each
    // fits a printed page); the file chart holds all three.
    let volume_svg = chart::volume_chart_svg(
        &stem,
        &planned.estimate.comparison,
        &planned.estimate.currency,
    );
    let html = html::plan_page(file, planned, &volume_svg, dfm_svg.as_deref(), &others);
    Ok(PlanReports {
        json,
        svg,
        png,
        summary: String::from_utf8_lossy(&summary).into_owned(),
        files,
        dfm_svg,
        html,
    })
}

/// Writes the reports of a planned part into its output set (each file atomically; the set
/// moves them into place with the meshes when it is committed).
pub fn write_plan_reports(r: &PlanReports, set: &mut OutputSet) -> Result<(), WriteError> {
    write_atomic(&set.stage(&r.files.json), |w| {
        serde_json::to_writer_pretty(&mut *w, &r.json)?;
        writeln!(w)
    })?;
    write_atomic(&set.stage(&r.files.svg), |w| w.write_all(r.svg.as_bytes()))?;
    write_atomic(&set.stage(&r.files.png), |w| w.write_all(&r.png))?;
    write_atomic(&set.stage(&r.files.summary), |w| {
        w.write_all(r.summary.as_bytes())
    })?;
    if let Some(svg) = &r.dfm_svg {
        write_atomic(&set.stage(&r.files.dfm_svg), |w| {
            w.write_all(svg.as_bytes())
        })?;
    }
    write_atomic(&set.stage(&r.files.html), |w| {
        w.write_all(r.html.as_bytes())
    })?;
    Ok(())
}
