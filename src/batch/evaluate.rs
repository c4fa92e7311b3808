//! The one place where a catalog entry becomes its row's figures: [`COLUMNS`] names them (in
//! output order) and [`evaluate`] computes them. A new figure is a new name in [`COLUMNS`]
//! and one [`Figures::set`] in [`evaluate`]; the result files, resume and merge follow.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::catalog::CatalogEntry;
use crate::fsutil::WriteError;
use crate::mesh::threemf::NamedMesh;
use crate::mesh::{self, LoadOptions};
use crate::split::{self, Split, SplitOptions};

/// The figure columns of a row, after `index`, `file`, `status` and `error`. Units in the
/// names. Error rows leave them empty.
pub const COLUMNS: &[&str] = &[
    "triangles",
    "part_volume_mm3",
    "baseplate_volume_mm3",
    "molded_volume_mm3",
    "plate_thickness_mm",
    "footprint_area_mm2",
    "projected_area_mm2",
    "molded_height_mm",
    "rib_bodies",
    "wall_thickness_median_mm",
    "warnings",
];

/// One row's figures, one value per [`COLUMNS`] entry (JSON values: numbers, text, or null for
/// "not known"; a non-finite number becomes null).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    values: Vec<Value>,
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            values: vec![Value::Null; COLUMNS.len()],
        }
    }
}

impl Figures {
    /// Sets the figure of `column`, which must be one of [`COLUMNS`] (a programming error
    /// otherwise, caught by the tests).
    pub fn set(&mut self, column: &str, value: impl Into<Value>) {
        let k = COLUMNS
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("figure `{column}` is not in batch::COLUMNS"));
        self.values[k] = value.into();
    }

    /// The values in [`COLUMNS`] order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

/// The batch-wide defaults for every part (a manifest row may override some of them) and where
/// the split meshes go.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub load: LoadOptions,
    pub split: SplitOptions,
    /// Surface samples for the wall-thickness estimate (0 skips it).
    pub thickness_samples: usize,
    pub meshes: MeshOutput,
}

/// Whether the split meshes are kept.
#[derive(Debug, Clone)]
pub enum MeshOutput {
    /// No meshes written.
    Discard,
    /// `dir/<index>_<stem>/` (`--meshes`), the index zero-padded to `width` digits so that
    /// the folders sort in catalog order.
    Keep { dir: PathBuf, width: usize },
}

impl MeshOutput {
    fn folder(&self, entry: &CatalogEntry) -> Option<PathBuf> {
        match self {
            MeshOutput::Keep { dir, width } => {
                Some(dir.join(format!("{:0width$}_{}", entry.index, stem(&entry.path))))
            }
            MeshOutput::Discard => None,
        }
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "part".into())
}

/// Evaluates one part: its figures, or why it has none (one line, without the file name,
/// which is a column of its own). The part's meshes are dropped before this returns, so a
/// worker holds one part at a time.
///
/// The steps are those of `plan::split_part` (load, check, split, wall thickness; the same
/// messages and figures, which the tests compare with `hybridplan split`), but writing the
/// meshes only with `--meshes`: `split_part` always writes three files, each synced to disk,
/// which made a catalog of small parts five times slower.
pub fn evaluate(entry: &CatalogEntry, opts: &EvalOptions) -> Result<Figures, String> {
    let overrides = entry.overrides.as_ref().map_err(Clone::clone)?;
    let load = LoadOptions {
        units: overrides.units.unwrap_or(opts.load.units),
        ..opts.load
    };
    let split_opts = SplitOptions {
        normal: overrides.normal.or(opts.split.normal),
        height_mm: overrides.height_mm.or(opts.split.height_mm),
        ..opts.split
    };
    let checked =
        mesh::load(&entry.path, &load).map_err(|e| reason(&e.to_string(), &entry.path))?;
    let solid = checked.require_solid()?;
    let mut split = split::split(solid, &split_opts).map_err(|e| e.to_string())?;
    let mut warnings = checked.report.warnings.clone();
    warnings.append(&mut split.facts.warnings);
    split.facts.warnings = warnings;
    split.measure_wall_thickness(opts.thickness_samples);
    if let Some(dir) = opts.meshes.folder(entry) {
        write_meshes(&split, &dir, &stem(&entry.path)).map_err(|e| e.to_string())?;
    }

    let f = &split.facts;
    let mut figures = Figures::default();
    figures.set("triangles", checked.report.triangles);
    figures.set("part_volume_mm3", f.part_volume_mm3);
    figures.set("baseplate_volume_mm3", f.baseplate_volume_mm3);
    figures.set("molded_volume_mm3", f.molded_volume_mm3);
    figures.set("plate_thickness_mm", f.plate_thickness_mm);
    figures.set("footprint_area_mm2", f.footprint_area_mm2);
    figures.set("projected_area_mm2", f.projected_area_mm2);
    figures.set("molded_height_mm", f.molded_height_mm);
    figures.set("rib_bodies", f.rib_bodies);
    if let Some(w) = &f.wall_thickness {
        figures.set("wall_thickness_median_mm", w.p50_mm);
    }
    figures.set("warnings", f.warnings.join("; "));
    Ok(figures)
}

/// The files `hybridplan split` writes for a part (without a lattice): `STEM.baseplate.stl`,
/// `STEM.molded.stl` and `STEM.split.3mf` with both as parts of one object.
fn write_meshes(split: &Split, dir: &Path, stem: &str) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    mesh::stl::write_binary(
        &dir.join(format!("{stem}.baseplate.stl")),
        &split.baseplate,
        "baseplate",
    )?;
    mesh::stl::write_binary(
        &dir.join(format!("{stem}.molded.stl")),
        &split.molded,
        "molded",
    )?;
    let parts = [
        NamedMesh::part("baseplate", &split.baseplate),
        NamedMesh::part("molded", &split.molded),
    ];
    mesh::threemf::write_3mf(&dir.join(format!("{stem}.split.3mf")), &parts, Some(stem))
}

/// The error's reason without the leading "FILE: " that the lower layers' messages carry.
fn reason(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_column_list() {
        let mut f = Figures::default();
        f.set("triangles", 7usize);
        f.set("part_volume_mm3", f64::NAN);
        assert_eq!(f.values().len(), COLUMNS.len());
        let k = COLUMNS.iter().position(|c| *c == "triangles").unwrap();
        assert_eq!(f.values()[k], Value::from(7));
        assert_eq!(f.values()[1], Value::Null);
        let names: std::collections::BTreeSet<_> = COLUMNS.iter().collect();
        assert_eq!(names.len(), COLUMNS.len(), "a column is listed twice");
        for fixed in super::super::store::ROW_COLUMNS {
            assert!(!names.contains(fixed), "{fixed} is a row column already");
        }
    }

    #[test]
    #[should_panic(expected = "not in batch::COLUMNS")]
    fn an_unlisted_figure_is_caught() {
        Figures::default().set("cost_eur", 1.0);
    }
}
