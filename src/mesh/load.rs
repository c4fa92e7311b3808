//! Loading a part: the format told by content, the unit decided, the mesh read, scaled to
//! millimetres, welded and checked. The entry point of every command that reads a part.
//!
//! **Format by content, not by name.** The first bytes decide (the extension only breaks ties
//! where the content does not):
//! 1. `PK\x03\x04`, a ZIP archive: 3MF ([`super::threemf_read`]);
//! 2. text beginning with `solid`, or a size that fits a binary STL header's count: STL, by the
//!    rules of [`super::stl::read_stl`];
//! 3. text whose first lines are OBJ statements with at least one `v` or `f` line, or any text
//!    named `.obj` (a file that opens with a long comment): OBJ ([`super::obj`]);
//! 4. anything else: an error saying what the file is not (and what it looks like).
//!
//! **Units.** STL and OBJ carry no unit; a 3MF names its own (`unit="millimeter"` by default).
//! The unit the user gives (`--units`, a catalog's `units` column) wins; without one, a 3MF is
//! read in its declared unit and STL and OBJ in millimetres. The user's word wins because it
//! is the only way to correct a file whose numbers are not in the unit it declares (exporters
//! that always write `millimeter` exist); when the two differ, the report warns.

use std::path::Path;

use nalgebra::Point3;
use rayon::prelude::*;

use super::Mesh;
use super::check::{CheckedMesh, check_and_repair};
use super::error::MeshError;
use super::format::RawMesh;
use super::input::{has_extension, is_texty, open_regular};
use super::units::Units;
use super::weld::merge_within;
use super::{obj, stl, threemf_read};

/// How to read a mesh file.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Unit the file's numbers are in, when the user names one; `None`: the file's own (3MF),
    /// else millimetres. Everything inside is millimetres.
    pub units: Option<Units>,
    /// Also merge vertices closer than this (mm) after exact welding.
    pub weld_tolerance_mm: Option<f64>,
}

/// The ZIP local-file signature every 3MF package begins with.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads a mesh file of any format read (see the module comment), welded exactly, in file units.
pub fn read_mesh(path: &Path) -> Result<RawMesh, MeshError> {
    let opened = open_regular(path)?;
    if opened.head.starts_with(ZIP_MAGIC) {
        return threemf_read::read_3mf(path, opened);
    }
    if stl::looks_like_stl(&opened.head, opened.len) {
        return stl::read_stl_opened(path, opened);
    }
    if is_texty(&opened.head) && (obj::looks_like_obj(&opened.head) || has_extension(path, "obj")) {
        return obj::read_obj(path, opened.reader);
    }
    if has_extension(path, "3mf") {
        return Err(MeshError::NotMesh {
            path: path.to_path_buf(),
            detail: "it is named .3mf but is not a ZIP archive, as every 3MF file is".into(),
        });
    }
    // Not STL either: the STL reader's errors say what the file is not, or looks like.
    stl::read_stl_opened(path, opened)
}

/// The unit the file is read in: the user's, else the file's own, else millimetres; with a
/// warning when the user's overrides a different one the file declares.
fn decide_units(given: Option<Units>, declared: Option<Units>) -> (Units, Option<String>) {
    match (given, declared) {
        (Some(u), Some(d)) if u != d => (
            u,
            Some(format!(
                "the file declares its unit as {}, read in {} as asked (--units {})",
                d.long_name(),
                u.long_name(),
                u.name()
            )),
        ),
        (Some(u), _) => (u, None),
        (None, Some(d)) => (d, None),
        (None, None) => (Units::Mm, None),
    }
}

/// Reads, welds, scales to millimetres and checks a mesh file: the entry point of every
/// command that reads a part.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<CheckedMesh, MeshError> {
    let raw = read_mesh(path)?;
    let (units, unit_warning) = decide_units(opts.units, raw.unit);
    let scale = units.mm_per_unit();
    let mut vertices: Vec<Point3<f64>> = raw
        .vertices
        .par_iter()
        .map(|v| {
            Point3::new(
                v[0] as f64 * scale,
                v[1] as f64 * scale,
                v[2] as f64 * scale,
            )
        })
        .collect();
    let mut triangles = raw.triangles;
    let mut warnings = raw.warnings;
    warnings.extend(unit_warning);
    if let Some(tol) = opts.weld_tolerance_mm {
        let merged = merge_within(&mut vertices, &mut triangles, tol);
        if merged > 0 {
            warnings.push(format!(
                "merged {merged} vertices closer than {tol} mm (--weld-tol)"
            ));
        }
    }
    let mut checked = check_and_repair(Mesh::new(vertices, triangles), units);
    warnings.append(&mut checked.report.warnings);
    checked.report.warnings = warnings;
    checked.report.format = Some(raw.format);
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_unit_wins_and_a_different_declared_one_is_warned_of() {
        assert_eq!(decide_units(None, None), (Units::Mm, None));
        assert_eq!(decide_units(None, Some(Units::In)), (Units::In, None));
        assert_eq!(decide_units(Some(Units::Cm), None), (Units::Cm, None));
        assert_eq!(
            decide_units(Some(Units::In), Some(Units::In)),
            (Units::In, None)
        );
        let (u, w) = decide_units(Some(Units::Mm), Some(Units::In));
        assert_eq!(u, Units::Mm);
        assert_eq!(
            w.unwrap(),
            "the file declares its unit as inches, read in millimetres as asked (--units mm)"
        );
    }
}
