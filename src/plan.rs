//! One part's whole plan: load, check, split, the porous interface (and, as they land, the
//! process estimates). This module composes the lower ones; the command line and the reports
//! sit on top of it.

use std::path::{Path, PathBuf};

use nalgebra::{Point3, Vector3};

use crate::fsutil::WriteError;
use crate::interface::{self, InterfaceFrame, LatticeReport, LatticeRequest};
use crate::mesh::threemf::NamedMesh;
use crate::mesh::{self, LoadOptions};
use crate::models;
use crate::split::{self, SplitOptions};

/// Why one part of a `split` run failed; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error(transparent)]
    Load(#[from] mesh::MeshError),
    #[error("{}: {reason}", path.display())]
    Part { path: PathBuf, reason: String },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The files `split` writes for a part.
pub struct SplitOutputs {
    pub baseplate: PathBuf,
    pub molded: PathBuf,
    pub three_mf: PathBuf,
}

/// Loads, checks and splits one part, builds the porous interface when `lattice` asks for one,
/// measures the molded region's wall thickness from `thickness_samples` surface points (0 skips
/// it), and writes its meshes into `out_dir`:
/// `STEM.baseplate.stl`, `STEM.molded.stl` (binary STL, the part's own position, mm) and
/// `STEM.split.3mf` (both as parts of one object named after the file).
pub fn split_part(
    file: &Path,
    load: &LoadOptions,
    opts: &SplitOptions,
    lattice: Option<&LatticeRequest>,
    thickness_samples: usize,
    out_dir: &Path,
) -> Result<(split::Split, Option<LatticeReport>, SplitOutputs), PartError> {
    let part_err = |reason: String| PartError::Part {
        path: file.to_path_buf(),
        reason,
    };
    let checked = mesh::load(file, load)?;
    let solid = checked.require_solid().map_err(part_err)?;
    let mut result = split::split(solid, opts).map_err(|e| part_err(e.to_string()))?;
    let mut warnings = checked.report.warnings.clone();
    warnings.append(&mut result.facts.warnings);
    result.facts.warnings = warnings;
    let mut infill_zone: Option<(mesh::Mesh, Vec<(&str, String)>)> = None;
    let lattice = match lattice {
        None => None,
        Some(request) => {
            let f = &result.footprint;
            let diag = solid.bounds().map(|b| b.diagonal()).unwrap_or(1.0);
            let frame = InterfaceFrame {
                normal: Vector3::from(result.facts.plane_normal),
                origin_mm: Point3::from(f.origin_mm),
                u: Vector3::from(f.u_axis),
                v: Vector3::from(f.v_axis),
                // The split's own snap distance.
                snap_mm: split::SNAP_FRACTION * diag,
            };
            let built = interface::build_lattice(
                &result.baseplate,
                &result.molded,
                &frame,
                &f.loops_mm,
                result.facts.plate_thickness_mm,
                &models::default_printer(),
                request,
            )
            .map_err(|e| part_err(format!("porous interface: {e}")))?;
            result.baseplate = built.baseplate;
            result.molded = built.molded;
            result.facts.baseplate_volume_mm3 = result.baseplate.signed_volume_mm3();
            result.facts.molded_volume_mm3 = result.molded.signed_volume_mm3();
            infill_zone = built.infill_zone.map(|z| {
                let density = built.report.infill_density_percent.unwrap_or(0.0);
                (z, interface::infill_zone_settings(density))
            });
            Some(built.report)
        }
    };
    std::fs::create_dir_all(out_dir).map_err(|e| WriteError {
        path: out_dir.to_path_buf(),
        source: e,
    })?;
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "part".into());
    let outputs = SplitOutputs {
        baseplate: out_dir.join(format!("{stem}.baseplate.stl")),
        molded: out_dir.join(format!("{stem}.molded.stl")),
        three_mf: out_dir.join(format!("{stem}.split.3mf")),
    };
    // The wall-thickness rays and the three writes are independent: run them side by side.
    let (wall, written) = rayon::join(
        || {
            (thickness_samples > 0)
                .then(|| split::thickness::wall_thickness(&result.molded, thickness_samples))
                .flatten()
        },
        || write_split(&result, infill_zone.as_ref(), &outputs, &stem),
    );
    written?;
    result.set_wall_thickness(wall);
    Ok((result, lattice, outputs))
}

/// Writes both halves as binary STL and together as one 3MF (with the interface zone as a
/// modifier volume in infill mode), in parallel.
fn write_split(
    result: &split::Split,
    infill_zone: Option<&(mesh::Mesh, Vec<(&str, String)>)>,
    outputs: &SplitOutputs,
    stem: &str,
) -> Result<(), WriteError> {
    let mut parts = vec![NamedMesh::part("baseplate", &result.baseplate)];
    if let Some((zone, settings)) = infill_zone {
        parts.push(NamedMesh {
            name: "interface zone",
            mesh: zone,
            modifier: true,
            settings,
        });
    }
    parts.push(NamedMesh::part("molded", &result.molded));
    let (a, (b, c)) = rayon::join(
        || mesh::stl::write_binary(&outputs.baseplate, &result.baseplate, "baseplate"),
        || {
            rayon::join(
                || mesh::stl::write_binary(&outputs.molded, &result.molded, "molded"),
                || mesh::threemf::write_3mf(&outputs.three_mf, &parts, Some(stem)),
            )
        },
    );
    a.and(b).and(c)
}
