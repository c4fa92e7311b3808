//! Human- and machine-readable output: tables for people, JSON lines for programs.

pub mod catalog_chart;
pub mod chart;
pub mod dfm_svg;
pub mod family_html;
pub mod family_summary;
pub mod figures;
pub mod html;
pub mod table;
pub mod variants_html;
pub mod view;

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::mesh::MeshReport;
use std::path::PathBuf;

use crate::fsutil::{OutputSet, WriteError, manifest_path, write_atomic};
use crate::plan::{Estimate, Planned, Prepared, SplitOutputs};
use chart::short_count;
use table::Table;

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
    let verdict = match r.solid_problem() {
        None => "closed solid, ready to split".to_string(),
        Some(why) => why.to_string(),
    };
    let rows = rows
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain([("verdict".to_string(), verdict)])
        .collect();
    w.write_all(Table::facts(rows).text(2).as_bytes())?;
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
            // The lattice's keys at the top level: pores, pin_area_mm2, pin_area_fraction
            // and the parameters used.
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
            }
        }
        // One list of warnings: the part's or the split's, the lattice's and the bond's (the
        // estimate adds its own in `estimate_value`).
        let warnings: Vec<&String> = split_warnings(prepared).collect();
        obj.insert("warnings".into(), serde_json::to_value(warnings)?);
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
    let mut rows = split_rows(prepared);
    rows.extend([
        (
            "baseplate file".into(),
            outputs.baseplate.display().to_string(),
        ),
        ("molded file".into(), outputs.molded.display().to_string()),
        ("3MF file".into(), outputs.three_mf.display().to_string()),
    ]);
    w.write_all(Table::facts(rows).text(2).as_bytes())?;
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

/// The rows of the split's table: the split's facts, then the interface's and the bond's.
pub fn split_rows(prepared: &Prepared) -> Vec<(String, String)> {
    let mut rows = figures::split_facts(prepared);
    if prepared.split.is_ok() {
        rows.extend(figures::interface_facts(prepared));
    }
    rows
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

/// The comparison as text: the routes side by side, why a route is not available, the
/// break-evens, the cheapest route and the sensitivity study.
pub fn estimate_rows(estimate: &Estimate) -> String {
    let c = &estimate.comparison;
    let mut out = format!(
        "  {} parts/year, {} variant(s); {} ribs on a {} baseplate; printer {}\n",
        short_count(c.annual_volume),
        c.variants,
        estimate.material,
        estimate.baseplate_material,
        estimate.printer
    );
    out.push_str(&figures::routes_table(estimate).text(2));
    for (r, reason) in figures::unavailable_reasons(&c.routes) {
        out.push_str(&format!("  {} not available: {reason}\n", r.name()));
    }
    out.push_str(&format!(
        "  break-evens: parts/year over a {}-year amortization, and the total quantity\n",
        trim_years(c.amortization_years)
    ));
    out.push_str(&figures::break_even_table(c).text(4));
    if let Some(best) = c.best_route {
        out.push_str(&format!(
            "  cheapest at {}/yr: {}\n",
            short_count(c.annual_volume),
            chart::label(best)
        ));
    }
    if let Some(s) = &estimate.sensitivity {
        out.push_str(&format!(
            "  sensitivity: each input -{pct:.0} % / +{pct:.0} %, the others held (most effect first)\n",
            pct = s.change * 100.0
        ));
        out.push_str(&figures::sensitivity_table(s).text(4));
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
    w.write_all(Table::facts(split_rows(prepared)).text(2).as_bytes())?;
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
        if let Some(path) = &planned.print_ready {
            outs.insert("baseplate_3mf".into(), path.display().to_string().into());
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
    let print_ready = planned.print_ready.as_ref().map(|p| ("print-ready 3mf", p));
    let manifest = manifest_path(out_dir, &stem);
    let listed: Vec<(&str, &PathBuf)> = meshes
        .chain(print_ready)
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
