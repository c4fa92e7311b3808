//! One part's whole plan: load, check, split, the porous interface (and, as they land, the
//! process estimates). This module composes the lower ones; the command line and the reports
//! sit on top of it.

use std::path::{Path, PathBuf};

use nalgebra::{Point3, Vector3};

use crate::fsutil::WriteError;
use crate::interface::{
    self, Bond, InterfaceFrame, LatticeReport, LatticeRequest, MaterialPair, PrintAndMold,
};
use crate::mesh::threemf::NamedMesh;
use crate::mesh::{self, LoadOptions};
use crate::models::{self, ModelSet};
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

/// The materials of a part: the molded (ribs, or the whole part when molded) and the printed
/// (baseplate, or the whole part when printed).
#[derive(Debug, Clone)]
pub struct MaterialChoice {
    pub molded: String,
    pub printed: String,
}

impl Default for MaterialChoice {
    /// PLA for both, as in the published hybrid process (docs/models.md).
    fn default() -> Self {
        MaterialChoice {
            molded: "PLA".into(),
            printed: "PLA".into(),
        }
    }
}

/// How one part is split: reading, the split, the lattice, the thickness samples, the models
/// and materials.
#[derive(Debug, Clone)]
pub struct SplitJob<'a> {
    pub load: LoadOptions,
    pub split: SplitOptions,
    pub lattice: Option<LatticeRequest>,
    pub thickness_samples: usize,
    pub models: &'a ModelSet,
    pub materials: MaterialChoice,
}

/// A part split and with its interface built, before anything is written.
pub struct Prepared {
    /// The checked part as loaded.
    pub part: mesh::Mesh,
    pub split: split::Split,
    pub lattice: Option<LatticeReport>,
    /// The bond of the interface (plain when there is no lattice).
    pub bond: Bond,
    pub bond_warnings: Vec<String>,
    /// Surfaces a mold maker machines: the whole part, and the molded region before pins.
    pub part_patches: usize,
    pub molded_patches: usize,
    infill_zone: Option<(mesh::Mesh, Vec<(&'static str, String)>)>,
}

/// The creases that separate surface patches for the tooling model (docs/method.md).
pub const PATCH_CREASE_DEG: f64 = 30.0;

/// Loads, checks and splits one part and builds its porous interface.
pub fn prepare(file: &Path, job: &SplitJob) -> Result<Prepared, PartError> {
    let part_err = |reason: String| PartError::Part {
        path: file.to_path_buf(),
        reason,
    };
    let (printed_name, printed) = job
        .models
        .materials
        .get(&job.materials.printed)
        .map_err(part_err)?;
    let (molded_name, molded) = job
        .models
        .materials
        .get(&job.materials.molded)
        .map_err(part_err)?;
    let (adhesion_mpa, listed) = job
        .models
        .materials
        .adhesion
        .strength_mpa(printed_name, molded_name);
    let pair = MaterialPair {
        printed_name,
        printed,
        molded_name,
        molded,
        adhesion_mpa,
        listed,
    };
    let checked = mesh::load(file, &job.load)?;
    checked.require_solid().map_err(part_err)?;
    let part = checked.mesh;
    let mut result = split::split(&part, &job.split).map_err(|e| part_err(e.to_string()))?;
    let mut warnings = checked.report.warnings.clone();
    warnings.append(&mut result.facts.warnings);
    result.facts.warnings = warnings;
    let (part_patches, molded_patches) = rayon::join(
        || mesh::check::surface_patches(&part, PATCH_CREASE_DEG),
        || mesh::check::surface_patches(&result.molded, PATCH_CREASE_DEG),
    );
    let mut infill_zone = None;
    let (lattice, bond, bond_warnings) = match &job.lattice {
        None => {
            let (b, w) = interface::plain_bond(result.facts.footprint_area_mm2, &pair);
            (None, b, w)
        }
        Some(request) => {
            let f = &result.footprint;
            let diag = part.bounds().map(|b| b.diagonal()).unwrap_or(1.0);
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
                &PrintAndMold {
                    printer: &models::default_printer(),
                    pair: &pair,
                },
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
            let (plain, _) = interface::plain_bond(result.facts.footprint_area_mm2, &pair);
            let bond = built.report.bond.unwrap_or(plain);
            (Some(built.report), bond, Vec::new())
        }
    };
    Ok(Prepared {
        part,
        split: result,
        lattice,
        bond,
        bond_warnings,
        part_patches,
        molded_patches,
        infill_zone,
    })
}

/// The output paths for a part called `stem` in `out_dir`.
pub fn split_outputs(out_dir: &Path, stem: &str) -> SplitOutputs {
    SplitOutputs {
        baseplate: out_dir.join(format!("{stem}.baseplate.stl")),
        molded: out_dir.join(format!("{stem}.molded.stl")),
        three_mf: out_dir.join(format!("{stem}.split.3mf")),
    }
}

/// The file's name without its extension, the stem of every output.
pub fn stem_of(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "part".into())
}

/// Loads, checks and splits one part, builds the porous interface when `lattice` asks for one,
/// measures the molded region's wall thickness from `thickness_samples` surface points (0 skips
/// it), and writes its meshes into `out_dir`:
/// `STEM.baseplate.stl`, `STEM.molded.stl` (binary STL, the part's own position, mm) and
/// `STEM.split.3mf` (both as parts of one object named after the file). Embedded models, PLA
/// on PLA; [`split_part_with`] takes the models and materials.
pub fn split_part(
    file: &Path,
    load: &LoadOptions,
    opts: &SplitOptions,
    lattice: Option<&LatticeRequest>,
    thickness_samples: usize,
    out_dir: &Path,
) -> Result<(split::Split, Option<LatticeReport>, SplitOutputs), PartError> {
    let models = ModelSet::embedded().map_err(|e| PartError::Part {
        path: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    let job = SplitJob {
        load: *load,
        split: *opts,
        lattice: lattice.copied(),
        thickness_samples,
        models: &models,
        materials: MaterialChoice::default(),
    };
    let (p, outputs) = split_part_with(file, &job, out_dir)?;
    Ok((p.split, p.lattice, outputs))
}

/// [`split_part`] with the models and materials of `job`; returns the prepared part.
pub fn split_part_with(
    file: &Path,
    job: &SplitJob,
    out_dir: &Path,
) -> Result<(Prepared, SplitOutputs), PartError> {
    let mut p = prepare(file, job)?;
    create_dir(out_dir)?;
    let stem = stem_of(file);
    let outputs = split_outputs(out_dir, &stem);
    // The wall-thickness rays and the three writes are independent: run them side by side.
    let (wall, written) = rayon::join(
        || {
            (job.thickness_samples > 0)
                .then(|| split::thickness::wall_thickness(&p.split.molded, job.thickness_samples))
                .flatten()
        },
        || write_split(&p.split, p.infill_zone.as_ref(), &outputs, &stem),
    );
    written?;
    p.split.set_wall_thickness(wall);
    Ok((p, outputs))
}

/// Creates the output directory.
pub fn create_dir(out_dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(out_dir).map_err(|e| WriteError {
        path: out_dir.to_path_buf(),
        source: e,
    })
}

/// Writes both halves as binary STL and together as one 3MF (with the interface zone as a
/// modifier volume in infill mode), in parallel.
fn write_split(
    result: &split::Split,
    infill_zone: Option<&(mesh::Mesh, Vec<(&'static str, String)>)>,
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
