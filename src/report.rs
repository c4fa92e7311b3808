//! Human- and machine-readable output: tables for people, JSON lines for programs.

pub mod chart;

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::interface::LatticeReport;
use crate::mesh::MeshReport;
use crate::plan::SplitOutputs;
use crate::split::Split;

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
    let format = r
        .format
        .map(|f| format!("{f:?}").to_lowercase())
        .unwrap_or_else(|| "-".into());
    writeln!(w, "{}", file.display())?;
    let rows: Vec<(&str, String)> = vec![
        (
            "format",
            format!("{format} STL, read as {}", r.units.name()),
        ),
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
    split: &Split,
    lattice: Option<&LatticeReport>,
    outputs: &SplitOutputs,
) -> io::Result<()> {
    let mut row = serde_json::to_value(&split.facts)?;
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
                obj.insert("lattice_warnings".into(), serde_json::json!([]));
            }
        }
        obj.insert("file".into(), file.display().to_string().into());
        obj.insert(
            "footprint_loops_mm".into(),
            serde_json::to_value(&split.footprint.loops_mm)?,
        );
        obj.insert(
            "outputs".into(),
            serde_json::json!({
                "baseplate": outputs.baseplate.display().to_string(),
                "molded": outputs.molded.display().to_string(),
                "3mf": outputs.three_mf.display().to_string(),
            }),
        );
    }
    serde_json::to_writer(&mut *w, &row)?;
    writeln!(w)
}

/// A readable summary of a split.
pub fn split_table(
    w: &mut dyn Write,
    file: &Path,
    split: &Split,
    lattice: Option<&LatticeReport>,
    outputs: &SplitOutputs,
) -> io::Result<()> {
    let f = &split.facts;
    writeln!(w, "{}", file.display())?;
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
        rows.push((
            "wall thickness",
            format!(
                "median {:.3}, p95 {:.3}, max {:.3} mm ({} samples)",
                t.p50_mm, t.p95_mm, t.max_mm, t.samples
            ),
        ));
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
    rows.extend([
        ("baseplate", outputs.baseplate.display().to_string()),
        ("molded", outputs.molded.display().to_string()),
        ("3mf", outputs.three_mf.display().to_string()),
    ]);
    for (k, v) in rows {
        writeln!(w, "  {k:<16} {v}")?;
    }
    for warning in f
        .warnings
        .iter()
        .chain(lattice.iter().flat_map(|l| &l.lattice_warnings))
    {
        writeln!(w, "  warning: {warning}")?;
    }
    Ok(())
}
