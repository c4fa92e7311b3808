//! Human- and machine-readable output: tables for people, JSON lines for programs.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::mesh::MeshReport;

/// One row of `hybridplan inspect --format json`.
#[derive(Serialize)]
pub struct InspectRow<'a> {
    pub file: String,
    #[serde(flatten)]
    pub report: &'a MeshReport,
}

/// Writes one JSON object (one line) for a checked file.
pub fn inspect_json(w: &mut impl Write, file: &Path, report: &MeshReport) -> io::Result<()> {
    let row = InspectRow {
        file: file.display().to_string(),
        report,
    };
    serde_json::to_writer(&mut *w, &row)?;
    writeln!(w)
}

/// One JSON line for a file that could not be read.
pub fn inspect_error_json(w: &mut impl Write, file: &Path, error: &str) -> io::Result<()> {
    let row = serde_json::json!({ "file": file.display().to_string(), "error": error });
    serde_json::to_writer(&mut *w, &row)?;
    writeln!(w)
}

fn fmt3(v: &[f64; 3]) -> String {
    format!("{:.3}, {:.3}, {:.3}", v[0], v[1], v[2])
}

/// A readable block of the checks for one file.
pub fn inspect_table(w: &mut impl Write, file: &Path, r: &MeshReport) -> io::Result<()> {
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
