//! One part's whole plan: load, check, split, the porous interface (and, as they land, the
//! process estimates). This module composes the lower ones; the command line and the reports
//! sit on top of it.

pub mod print_ready;

use std::path::{Path, PathBuf};

use nalgebra::{Point3, Unit, Vector3};
use serde::Serialize;

use crate::dfm;
use crate::fsutil::{OutputSet, WriteError};
use crate::interface::{
    self, Bond, InterfaceFrame, LatticeReport, LatticeRequest, MaterialPair, PrintAndMold,
};
use crate::limits;
use crate::mesh::threemf::NamedMesh;
use crate::mesh::{self, LoadOptions};
use crate::models::{self, Economics, FffPrinter, Material, ModelSet, PowderPrinter, Printers};
use crate::process::compare::{PrintRun, RouteInputs, RouteModels};
use crate::process::fff::{self, FffEstimate, FffSettings};
use crate::process::molding::{InsertHandling, MoldedShape};
use crate::process::powder::{PowderBuild, PowderEstimate};
use crate::process::sensitivity::Sensitivity;
use crate::process::{self, Comparison};
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

impl PartError {
    /// Why `path` could not be processed, in one line.
    fn part(path: &Path, reason: String) -> Self {
        PartError::Part {
            path: path.to_path_buf(),
            reason,
        }
    }
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
    /// The split, or why the part has none (no plate was found, or nothing stands on it):
    /// pure printing and pure molding still apply to such a part, the hybrid route does not.
    pub split: Result<split::Split, String>,
    /// The loader's warnings when the part has no split (with a split they head its facts').
    pub part_warnings: Vec<String>,
    /// The whole part's wall thickness, measured for a part without a split (its molding
    /// cools by it).
    pub part_wall: Option<split::thickness::WallThickness>,
    /// For a part without a split: the axis it is printed and molded along, the one its plate
    /// detection tried first (its largest section), so that its figures do not change with
    /// its pose; +z when detection tried none.
    pub whole_axis: [f64; 3],
    pub lattice: Option<LatticeReport>,
    /// The bond of the interface (plain when there is no lattice).
    pub bond: Bond,
    pub bond_warnings: Vec<String>,
    /// Surfaces a mold maker machines, for the tooling estimate; `None` when the part was
    /// prepared for `split` alone, which does not report them (counting them on a
    /// million-triangle part costs about as much as detecting its plate).
    pub patches: Option<SurfacePatches>,
    infill_zone: Option<(mesh::Mesh, Vec<(&'static str, String)>)>,
    /// The moldability and insert checks ([`run_dfm`]); `None` until they ran.
    pub dfm: Option<dfm::DfmReport>,
}

/// Surface patches (see [`mesh::check::surface_patches`]) of the whole part, and of the
/// molded region before pins.
#[derive(Debug, Clone, Copy)]
pub struct SurfacePatches {
    pub part: usize,
    pub molded: usize,
}

/// Loads, checks and splits one part, builds its porous interface and counts its surface
/// patches for the estimates. A part in which no plate is found is prepared whole (its
/// `split` holds the reason), since printing and molding it still apply.
pub fn prepare(file: &Path, job: &SplitJob) -> Result<Prepared, PartError> {
    prepare_with(file, job, true)
}

/// [`prepare`] for the estimates (`for_estimate`: count the surface patches, and keep a
/// part without a plate whole), or for `split` alone (no patches; no plate is an error).
fn prepare_with(file: &Path, job: &SplitJob, for_estimate: bool) -> Result<Prepared, PartError> {
    let part_err = |reason: String| PartError::part(file, reason);
    let pair = MaterialPair::of(job.models, &job.materials.printed, &job.materials.molded)
        .map_err(part_err)?;
    let crease_deg = job.models.molding.tooling.patch_crease_deg;
    let checked = mesh::load(file, &job.load)?;
    checked.require_solid().map_err(part_err)?;
    let part = checked.mesh;
    let mut result = match split::split(&part, &job.split) {
        Ok(r) => r,
        Err(e @ (split::SplitError::NoPlate { .. } | split::SplitError::NothingToMold(_)))
            if for_estimate =>
        {
            let whole_axis = match &e {
                split::SplitError::NoPlate {
                    first_axis: Some(a),
                    ..
                } => *a,
                _ => [0.0, 0.0, 1.0],
            };
            let (bond, _) = interface::plain_bond(0.0, &pair);
            let patches = SurfacePatches {
                part: mesh::check::surface_patches(&part, crease_deg),
                molded: 0,
            };
            return Ok(Prepared {
                part,
                split: Err(e.to_string()),
                part_warnings: checked.report.warnings,
                part_wall: None,
                whole_axis,
                lattice: None,
                bond,
                bond_warnings: Vec::new(),
                patches: Some(patches),
                infill_zone: None,
                dfm: None,
            });
        }
        Err(e) => return Err(part_err(e.to_string())),
    };
    let mut warnings = checked.report.warnings.clone();
    warnings.append(&mut result.facts.warnings);
    result.facts.warnings = warnings;
    let patches = for_estimate.then(|| {
        let (part, molded) = rayon::join(
            || mesh::check::surface_patches(&part, crease_deg),
            || mesh::check::surface_patches(&result.molded, crease_deg),
        );
        SurfacePatches { part, molded }
    });
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
        split: Ok(result),
        part_warnings: Vec::new(),
        part_wall: None,
        whole_axis: [0.0, 0.0, 1.0],
        lattice,
        bond,
        bond_warnings,
        patches,
        infill_zone,
        dfm: None,
    })
}

/// How the chosen printer makes the insert, for the insert checks: its infill and top skin
/// (FFF), or solid (powder bed).
pub fn insert_print(models: &ModelSet, printer: &str, fff: &FffSettings) -> dfm::InsertPrint {
    match find_printer(&models.printers, printer) {
        Ok(ChosenPrinter::Fff(p)) => dfm::InsertPrint {
            infill_fraction: fff.infill_fraction,
            skin_mm: p.top_solid_layers as f64 * fff.layer_mm,
            solid: false,
        },
        Ok(ChosenPrinter::Powder(_)) => dfm::InsertPrint {
            infill_fraction: 1.0,
            skin_mm: 0.0,
            solid: true,
        },
        Err(_) => dfm::InsertPrint {
            infill_fraction: fff.infill_fraction,
            skin_mm: 0.0,
            solid: false,
        },
    }
}

/// Runs the moldability and insert checks (src/dfm) on a prepared part (its walls measured
/// where they are to be judged) and keeps them in it.
pub fn run_dfm(p: &mut Prepared, job: &SplitJob, insert: dfm::InsertPrint) -> Result<(), String> {
    let models = job.models;
    let (printed_name, printed) = models.materials.get(&job.materials.printed)?;
    let (molded_name, molded) = models.materials.get(&job.materials.molded)?;
    let input = dfm::DfmInput {
        part: &p.part,
        split: p.split.as_ref().ok(),
        part_wall: p.part_wall.as_ref(),
        whole_axis: p.whole_axis,
        molded_name,
        molded,
        printed_name,
        printed,
        materials: &models.materials,
        limits: &models.dfm,
        insert,
    };
    p.dfm = Some(dfm::check(&input));
    Ok(())
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

/// Loads, checks and splits one part with the models and materials of `job`, builds the
/// porous interface when `job.lattice` asks for one, measures the molded region's wall
/// thickness from `job.thickness_samples` surface points (0 skips it), and writes its meshes
/// into `out_dir`: `STEM.baseplate.stl`, `STEM.molded.stl` (binary STL, the part's own
/// position, mm) and `STEM.split.3mf` (both as parts of one object named after the file).
/// Returns the prepared part (without its surface patches, which `split` does not report).
pub fn split_part_with(
    file: &Path,
    job: &SplitJob,
    out_dir: &Path,
) -> Result<(Prepared, SplitOutputs), PartError> {
    let mut p = prepare_with(file, job, false)?;
    let stem = stem_of(file);
    let mut set = OutputSet::begin(out_dir, &stem)?;
    let outputs = split_outputs(out_dir, &stem);
    let Ok(result) = &mut p.split else {
        // prepare_with for split refuses a part without a plate.
        return Err(PartError::part(file, "the part has no split".into()));
    };
    let staged = stage_split(&mut set, &outputs);
    // The wall-thickness rays and the three writes are independent: run them side by side.
    let (wall, written) = rayon::join(
        || {
            (job.thickness_samples > 0)
                .then(|| split::thickness::wall_thickness(&result.molded, job.thickness_samples))
                .flatten()
        },
        || write_split(result, p.infill_zone.as_ref(), &staged, &stem),
    );
    written?;
    set.commit()?;
    result.set_wall_thickness(wall);
    let default = models::default_printer();
    let insert = dfm::InsertPrint {
        infill_fraction: default.infill_fraction,
        skin_mm: default.top_solid_layers as f64 * default.layer_height_mm,
        solid: false,
    };
    run_dfm(&mut p, job, insert).map_err(|reason| PartError::part(file, reason))?;
    Ok((p, outputs))
}

/// Where the split meshes are written before the set is moved into place.
fn stage_split(set: &mut OutputSet, outputs: &SplitOutputs) -> SplitOutputs {
    SplitOutputs {
        baseplate: set.stage(&outputs.baseplate),
        molded: set.stage(&outputs.molded),
        three_mf: set.stage(&outputs.three_mf),
    }
}

/// Creates the output directory.
pub fn create_dir(out_dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(out_dir).map_err(|e| WriteError {
        path: out_dir.to_path_buf(),
        // "File exists" alone does not say that a file stands where the folder should be.
        source: if e.kind() == std::io::ErrorKind::AlreadyExists {
            std::io::Error::new(e.kind(), "it is a file, not a folder")
        } else {
            e
        },
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
    // The STL files are written on a thread of their own, outside rayon's pool: most of their
    // time is spent in the kernel (copying into the page cache, syncing), and a pool thread
    // waiting there would leave a core idle while the 3MF and the wall thickness need both.
    std::thread::scope(|scope| {
        let stl = scope.spawn(|| {
            let baseplate =
                mesh::stl::write_binary(&outputs.baseplate, &result.baseplate, "baseplate");
            let molded = mesh::stl::write_binary(&outputs.molded, &result.molded, "molded");
            baseplate.and(molded)
        });
        let three_mf = mesh::threemf::write_3mf(&outputs.three_mf, &parts, Some(stem));
        let stl = stl
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        stl.and(three_mf)
    })
}

/// What the estimate needs beyond the split: the volume, the variants, the printer and its
/// settings, how inserts are placed.
#[derive(Debug, Clone)]
pub struct EstimateOptions {
    pub annual_volume: f64,
    pub variants: u32,
    /// A printer of the printers model (`fff.NAME` or `powder.NAME`, or just NAME).
    pub printer: String,
    /// The user's changes to the printer's profile, and the settings they give.
    pub fff_changes: FffChanges,
    pub fff: FffSettings,
    pub inserts: InsertHandling,
    /// Machines of each route the user has: printers for AM, molding machines for IM and
    /// hybrid (`None`: as many as the volume needs).
    pub fleet: Option<u32>,
    /// The hybrid route's baseplate printers the user has (`None`: as many as the volume
    /// needs).
    pub fleet_printers: Option<u32>,
    /// The relative change of the sensitivity study (0.25 = ±25 %), or `None` for no study.
    pub sensitivity_change: Option<f64>,
    /// Years the tooling is paid off over (`None`: the economics model's).
    pub amortization_years: Option<f64>,
}

/// The user's changes to an FFF printer's profile (`--layer-mm`, `--nozzle-mm`,
/// `--perimeters`, `--infill`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FffChanges {
    pub layer_mm: Option<f64>,
    pub nozzle_mm: Option<f64>,
    pub perimeters: Option<u32>,
    pub infill_percent: Option<f64>,
}

/// The FFF settings of `printer` (its own profile; the desktop printer's for a powder-bed
/// printer, which prints no filament) with `changes`.
pub fn fff_settings(
    models: &ModelSet,
    printer: &str,
    changes: &FffChanges,
) -> Result<FffSettings, String> {
    let mut fff = match find_printer(&models.printers, printer)? {
        ChosenPrinter::Fff(p) => FffSettings::for_printer(p),
        ChosenPrinter::Powder(_) => FffSettings::default(),
    };
    if let Some(v) = changes.layer_mm {
        fff.layer_mm = v;
    }
    if let Some(v) = changes.nozzle_mm {
        fff.nozzle_mm = v;
    }
    if let Some(v) = changes.perimeters {
        fff.perimeters = v;
    }
    if let Some(v) = changes.infill_percent {
        fff.infill_fraction = v / 100.0;
    }
    // The layer is checked against the nozzle whichever of them the user changed (or a user's
    // printers model set): a layer far thinner than the nozzle only multiplies the layers, and
    // with them the time and memory of the estimate.
    let layer = if changes.layer_mm.is_some() {
        "--layer-mm".to_string()
    } else {
        format!("the layer height of printer '{printer}'")
    };
    let nozzle = if changes.nozzle_mm.is_some() {
        "--nozzle-mm".to_string()
    } else {
        format!("the nozzle of printer '{printer}'")
    };
    // The options' own ranges hold for a profile from a user's models file too.
    limits::NOZZLE_MM
        .check(fff.nozzle_mm)
        .map_err(|e| format!("{nozzle}: {e}"))?;
    limits::LAYER_MM
        .check(fff.layer_mm)
        .map_err(|e| format!("{layer}: {e}"))?;
    let (min, max) = (
        limits::MIN_LAYER_PER_NOZZLE * fff.nozzle_mm,
        limits::MAX_LAYER_PER_NOZZLE * fff.nozzle_mm,
    );
    if !(fff.layer_mm.is_finite() && fff.nozzle_mm.is_finite() && fff.layer_mm >= min) {
        return Err(format!(
            "{layer} {} mm is less than 1/8 of the {} mm nozzle ({min:.3} mm): no FFF printer lays such layers; use at least {min:.3} mm",
            fff.layer_mm, fff.nozzle_mm
        ));
    }
    if fff.layer_mm > max {
        return Err(format!(
            "{layer} {} mm is more than 80 % of the {} mm nozzle ({max:.3} mm): the printer cannot lay such layers",
            fff.layer_mm, fff.nozzle_mm
        ));
    }
    Ok(fff)
}

impl EstimateOptions {
    /// Options for `printer` with the user's changes to its FFF profile.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        models: &ModelSet,
        printer: &str,
        fff_changes: FffChanges,
        annual_volume: f64,
        variants: u32,
        inserts: InsertHandling,
        fleet: Option<u32>,
    ) -> Result<Self, String> {
        Ok(EstimateOptions {
            annual_volume,
            variants,
            printer: printer.to_string(),
            fff: fff_settings(models, printer, &fff_changes)?,
            fff_changes,
            inserts,
            fleet,
            fleet_printers: None,
            sensitivity_change: None,
            amortization_years: None,
        })
    }

    /// The same options on another printer (its own profile, the same changes).
    pub fn on_printer(&self, models: &ModelSet, printer: &str) -> Result<Self, String> {
        Ok(EstimateOptions {
            printer: printer.to_string(),
            fff: fff_settings(models, printer, &self.fff_changes)?,
            ..self.clone()
        })
    }
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            annual_volume: 10_000.0,
            variants: 1,
            printer: "desktop_fff".into(),
            fff_changes: FffChanges::default(),
            fff: FffSettings::default(),
            inserts: InsertHandling::Manual,
            fleet: None,
            fleet_printers: None,
            sensitivity_change: None,
            amortization_years: None,
        }
    }
}

/// One printed body (the part or its baseplate) on the chosen printer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PrintEstimate {
    Fff(FffEstimate),
    Powder(PowderEstimate),
}

/// A printer of the model, found by name.
pub enum ChosenPrinter<'a> {
    Fff(&'a FffPrinter),
    Powder(&'a PowderPrinter),
}

/// The printer called `name` (`fff.NAME`, `powder.NAME` or NAME), or an error listing them.
pub fn find_printer<'a>(printers: &'a Printers, name: &str) -> Result<ChosenPrinter<'a>, String> {
    let (kind, key) = name.split_once('.').unwrap_or(("", name));
    if kind != "powder"
        && let Some(p) = printers.fff.get(key)
    {
        return Ok(ChosenPrinter::Fff(p));
    }
    if kind != "fff"
        && let Some(p) = printers.powder.get(key)
    {
        return Ok(ChosenPrinter::Powder(p));
    }
    let known: Vec<String> = printers
        .fff
        .keys()
        .map(|k| format!("fff.{k}"))
        .chain(printers.powder.keys().map(|k| format!("powder.{k}")))
        .collect();
    Err(format!(
        "unknown printer '{name}'; known: {}",
        known.join(", ")
    ))
}

/// Extents of `mesh` along the footprint's axes u, v and the plate normal n (mm).
fn extents(mesh: &mesh::Mesh, u: &Vector3<f64>, v: &Vector3<f64>, n: &Vector3<f64>) -> [f64; 3] {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in &mesh.vertices {
        for (k, axis) in [u, v, n].into_iter().enumerate() {
            let d = axis.dot(&p.coords);
            lo[k] = lo[k].min(d);
            hi[k] = hi[k].max(d);
        }
    }
    [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]].map(|d| if d.is_finite() { d } else { 0.0 })
}

/// The in-plane axes, turned from (`u`, `v`) about their normal, along which the part's
/// shadow has its smallest bounding rectangle, the first along its longer side: one side of
/// that rectangle lies along an edge of the shadow's convex hull (the rotating-calipers
/// argument), so every hull edge is tried. (`u`, `v`) themselves where the shadow has no area.
fn min_area_basis(
    mesh: &mesh::Mesh,
    u: &Vector3<f64>,
    v: &Vector3<f64>,
) -> (Vector3<f64>, Vector3<f64>) {
    let mut pts: Vec<(f64, f64)> = mesh
        .vertices
        .iter()
        .map(|p| (u.dot(&p.coords), v.dot(&p.coords)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    pts.dedup();
    if pts.len() < 3 {
        return (*u, *v);
    }
    // Andrew's monotone chain.
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(f64, f64)> = Vec::with_capacity(2 * pts.len());
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
            Box::new(pts.iter())
        } else {
            Box::new(pts.iter().rev())
        };
        for &q in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0.0
            {
                hull.pop();
            }
            hull.push(q);
        }
        hull.pop();
    }
    let mut best: Option<(f64, f64, f64)> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        if len <= 0.0 {
            continue;
        }
        let (c, s) = ((b.0 - a.0) / len, (b.1 - a.1) / len);
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for &(x, y) in &hull {
            let d = [x * c + y * s, -x * s + y * c];
            for k in 0..2 {
                lo[k] = lo[k].min(d[k]);
                hi[k] = hi[k].max(d[k]);
            }
        }
        let area = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        // The first axis along the rectangle's longer side, so that a turned copy gets the
        // same length and width (the cavity grid is not symmetric in them).
        let (c, s) = if hi[1] - lo[1] > hi[0] - lo[0] {
            (-s, c)
        } else {
            (c, s)
        };
        if best.is_none_or(|(a, _, _)| area < a * (1.0 - 1e-9)) {
            best = Some((area, c, s));
        }
    }
    match best {
        Some((_, c, s)) => (u * c + v * s, v * c - u * s),
        None => (*u, *v),
    }
}

/// Prints `body` (extents `size` along u, v, n) on the chosen printer, the plate down; a
/// powder-bed build holds the parts of one build period at `annual_volume`.
fn print_body(
    body: &mesh::Mesh,
    size: [f64; 3],
    axis: &Unit<Vector3<f64>>,
    printer: &ChosenPrinter,
    material: (&str, &Material),
    settings: &FffSettings,
    (annual_volume, econ): (f64, &Economics),
) -> Result<(PrintRun, PrintEstimate), String> {
    let (name, m) = material;
    match printer {
        ChosenPrinter::Fff(p) => {
            let [bx, by, bz] = p.build_volume_mm;
            let fits = size[2] <= bz
                && ((size[0] <= bx && size[1] <= by) || (size[0] <= by && size[1] <= bx));
            if !fits {
                return Err(format!(
                    "{:.0} x {:.0} x {:.0} mm does not fit the printer's {bx:.0} x {by:.0} x {bz:.0} mm build volume",
                    size[0], size[1], size[2]
                ));
            }
            let e = fff::estimate_fff(body, axis, settings, p);
            let run = PrintRun::fff(e.time_s, e.extruded_mm3, m.filament_price_per_kg, p);
            Ok((run, PrintEstimate::Fff(e)))
        }
        ChosenPrinter::Powder(p) => {
            let price = m.powder_price_per_kg.ok_or_else(|| {
                format!("{name} has no powder price in the materials model: powder-bed printers need a powder")
            })?;
            let build = PowderBuild {
                part_volume_mm3: body.signed_volume_mm3(),
                part_bbox_mm: size,
                printer: (*p).clone(),
            };
            let (run, e) =
                PrintRun::powder(build, price, annual_volume, econ).map_err(|e| e.to_string())?;
            Ok((run, PrintEstimate::Powder(e)))
        }
    }
}

/// The estimate of one prepared part.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub currency: String,
    pub material: String,
    pub baseplate_material: String,
    pub printer: String,
    pub inserts: InsertHandling,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// Print time of the whole part on the chosen printer (FFF: the whole build).
    pub am_print_time_s: Option<f64>,
    pub baseplate_print_time_s: Option<f64>,
    pub am_print: Option<PrintEstimate>,
    pub baseplate_print: Option<PrintEstimate>,
    /// The FFF settings the baseplate was costed with (the printer's, the user's changes, the
    /// infill the insert needs), which `STEM.baseplate.3mf` carries; `None` without a split
    /// or on a powder-bed printer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseplate_print_settings: Option<print_ready::BaseplatePrintSettings>,
    pub part_shape: MoldedShape,
    pub rib_shape: MoldedShape,
    /// How far the verdict moves with each deciding input (`--sensitivity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// What the estimate found doubtful (walls the printer cannot print); reported with the
    /// part's other warnings.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// The print runs the routes were costed with (the whole part; the baseplate), or why
    /// there is none: `family` costs members' routes from them.
    #[serde(skip)]
    pub am_run: Result<PrintRun, String>,
    #[serde(skip)]
    pub baseplate_run: Result<PrintRun, String>,
    /// The axes the part was sized along for its molds and prints: its own edges in the
    /// plane (u, the longer; v) and the build and mold-opening axis n. `family` sizes a rib
    /// mold over its members along its reference's.
    #[serde(skip)]
    pub mold_axes: [Vector3<f64>; 3],
}

/// A warning when the molded region's typical wall (the whole part's, without a split) is
/// thinner than one extrusion width of the FFF printer: the print time and cost of such walls
/// are figures of walls it cannot print. Powder-bed printers draw no lines: no finding.
fn thin_wall_warning(
    p: &Prepared,
    settings: &FffSettings,
    printer: &ChosenPrinter,
) -> Option<String> {
    let ChosenPrinter::Fff(fp) = printer else {
        return None;
    };
    let wall = match &p.split {
        Ok(s) => s.facts.wall_thickness.as_ref(),
        Err(_) => p.part_wall.as_ref(),
    }?
    .p50_mm;
    // The extrusion width follows the nozzle as in the estimate (process::fff).
    let line_mm = fp.extrusion_width_mm * settings.nozzle_mm / fp.nozzle_mm;
    (wall < line_mm).then(|| {
        format!(
            "the median wall is {wall:.3} mm, thinner than one {line_mm:.2} mm extrusion width of the printer: it cannot print it as drawn (is the file in another unit? see --units)"
        )
    })
}

/// Estimates the three routes for a prepared part (its molded region's wall thickness
/// measured).
pub fn estimate(p: &Prepared, job: &SplitJob, opts: &EstimateOptions) -> Result<Estimate, String> {
    let models = job.models;
    let (printed_name, printed) = models.materials.get(&job.materials.printed)?;
    let (molded_name, molded) = models.materials.get(&job.materials.molded)?;
    let printer = find_printer(&models.printers, &opts.printer)?;
    let patches = p
        .patches
        .ok_or("the surface patches were not counted (the part was prepared for split only)")?;
    let (n, u, v) = mold_axes(p);
    let axis = Unit::new_normalize(n);
    let part_size = extents(&p.part, &u, &v, &n);
    let plate_fff = plate_fff_settings(p, &opts.fff);
    let (part_shape, rib_shape, plate) = molded_shapes(p, patches, &n, (&u, &v), part_size);
    let (am, plate) = print_part_and_plate(
        p,
        part_size,
        plate,
        &axis,
        &printer,
        (printed_name, printed),
        (&opts.fff, &plate_fff),
        (opts.annual_volume, &models.economics),
    );
    let time = |r: &Result<(PrintRun, PrintEstimate), String>| {
        r.as_ref().ok().map(|(run, _)| run.time_per_part_s)
    };
    let inputs = RouteInputs {
        am_part: am.as_ref().map(|(r, _)| r.clone()).map_err(|e| e.clone()),
        am_baseplate: plate
            .as_ref()
            .map(|(r, _)| r.clone())
            .map_err(|e| e.clone()),
        part_shape,
        rib_shape,
        printed,
        molded,
        variants: opts.variants.max(1),
        inserts: opts.inserts,
        fleet: opts.fleet,
        fleet_printers: opts.fleet_printers,
    };
    let (comparison, sensitivity) = compare_without_blocked(p, &inputs, models, opts);
    let (am_run, baseplate_run) = (inputs.am_part.clone(), inputs.am_baseplate.clone());
    Ok(Estimate {
        am_run,
        baseplate_run,
        mold_axes: [u, v, n],
        currency: models.economics.currency.clone(),
        material: molded_name.to_string(),
        baseplate_material: printed_name.to_string(),
        printer: opts.printer.clone(),
        inserts: opts.inserts,
        comparison,
        am_print_time_s: time(&am),
        baseplate_print_time_s: time(&plate),
        am_print: am.ok().map(|(_, e)| e),
        baseplate_print: plate.ok().map(|(_, e)| e),
        baseplate_print_settings: (p.split.is_ok() && matches!(printer, ChosenPrinter::Fff(_)))
            .then(|| print_ready::BaseplatePrintSettings::of(&plate_fff)),
        part_shape,
        rib_shape,
        sensitivity,
        warnings: thin_wall_warning(p, &opts.fff, &printer)
            .into_iter()
            .collect(),
    })
}

/// The build and mold-opening axis n and the part's own edges (u, v) in the plane across it:
/// the split normal, or for a part without a plate the axis of its largest section (the part
/// stands on its largest face, whatever its pose).
fn mold_axes(p: &Prepared) -> (Vector3<f64>, Vector3<f64>, Vector3<f64>) {
    match &p.split {
        Ok(s) => {
            // The footprint's axes follow the plate's outline only as far as its fitting
            // does; the mold plate and the print lie along the part's own edges, whatever
            // its pose (a turned copy of a part gets the same tool).
            let (u, v) = min_area_basis(
                &p.part,
                &Vector3::from(s.footprint.u_axis),
                &Vector3::from(s.footprint.v_axis),
            );
            (Vector3::from(s.facts.plane_normal), u, v)
        }
        Err(_) => {
            let axis = Unit::new_normalize(Vector3::from(p.whole_axis));
            let (u, v) = mesh::section::Plane {
                axis,
                offset_mm: 0.0,
            }
            .basis();
            // Lay the mold plate and the print along the part's own edges, whatever its pose.
            let (u, v) = min_area_basis(&p.part, &u, &v);
            (axis.into_inner(), u, v)
        }
    }
}

/// The FFF settings the baseplate is printed with: the user's, with the infill that survives
/// the cavity pressure (the insert pressure check) where that is more than the printer's.
fn plate_fff_settings(p: &Prepared, fff: &FffSettings) -> FffSettings {
    let mut plate_fff = fff.clone();
    if let Some(pct) = p.dfm.as_ref().and_then(|d| d.insert_infill_percent) {
        plate_fff.infill_fraction = plate_fff.infill_fraction.max(pct / 100.0);
    }
    plate_fff
}

/// The baseplate to print, with its extents along u, v, n, or why the part has none.
type PlateToPrint<'a> = Result<(&'a mesh::Mesh, [f64; 3]), String>;

/// The molded shapes of the whole part and of its ribs (none without a split), and the
/// baseplate to print.
fn molded_shapes<'a>(
    p: &'a Prepared,
    patches: SurfacePatches,
    n: &Vector3<f64>,
    (u, v): (&Vector3<f64>, &Vector3<f64>),
    part_size: [f64; 3],
) -> (MoldedShape, MoldedShape, PlateToPrint<'a>) {
    let im_side_actions = p.dfm.as_ref().map_or(0, |d| d.im_side_actions);
    match &p.split {
        Ok(s) => {
            let f = &s.facts;
            let rib_wall = f
                .wall_thickness
                .as_ref()
                .map(|w| w.p95_mm)
                .unwrap_or(f.plate_thickness_mm);
            let part_shape = MoldedShape {
                volume_mm3: f.part_volume_mm3,
                projected_area_mm2: split::projected_area(&p.part, n),
                // Cooling waits for the thickest section: the plate or the ribs.
                wall_mm: rib_wall.max(f.plate_thickness_mm),
                length_mm: part_size[0],
                width_mm: part_size[1],
                depth_mm: part_size[2],
                surface_patches: patches.part,
                side_actions: im_side_actions,
            };
            let rib_shape = MoldedShape {
                volume_mm3: f.molded_volume_mm3,
                projected_area_mm2: f.projected_area_mm2,
                wall_mm: rib_wall,
                // The rib mold holds the printed baseplate: it is as large and as deep as the part.
                length_mm: part_size[0],
                width_mm: part_size[1],
                depth_mm: part_size[2],
                surface_patches: patches.molded,
                side_actions: p.dfm.as_ref().map_or(0, |d| d.hybrid_side_actions),
            };
            (
                part_shape,
                rib_shape,
                Ok((&s.baseplate, extents(&s.baseplate, u, v, n))),
            )
        }
        Err(why) => {
            let part_shape = MoldedShape {
                volume_mm3: p.part.signed_volume_mm3(),
                projected_area_mm2: split::projected_area(&p.part, n),
                // The whole part cools by its thickest walls.
                wall_mm: p.part_wall.as_ref().map_or(0.0, |w| w.p95_mm),
                length_mm: part_size[0],
                width_mm: part_size[1],
                depth_mm: part_size[2],
                surface_patches: patches.part,
                side_actions: im_side_actions,
            };
            let rib_shape = MoldedShape {
                volume_mm3: 0.0,
                projected_area_mm2: 0.0,
                surface_patches: 0,
                side_actions: 0,
                ..part_shape
            };
            (part_shape, rib_shape, Err(why.clone()))
        }
    }
}

/// What printing a body costs: its print run and estimate, or why it cannot be printed.
type Printed = Result<(PrintRun, PrintEstimate), String>;

/// The whole part's print (with the user's FFF settings) and the baseplate's (with its own),
/// side by side.
#[allow(clippy::too_many_arguments)]
fn print_part_and_plate(
    p: &Prepared,
    part_size: [f64; 3],
    plate: PlateToPrint,
    axis: &Unit<Vector3<f64>>,
    printer: &ChosenPrinter,
    material: (&str, &Material),
    (part_fff, plate_fff): (&FffSettings, &FffSettings),
    volume_and_economics: (f64, &Economics),
) -> (Printed, Printed) {
    rayon::join(
        || {
            print_body(
                &p.part,
                part_size,
                axis,
                printer,
                material,
                part_fff,
                volume_and_economics,
            )
        },
        || {
            let (baseplate, size) = plate.clone()?;
            print_body(
                baseplate,
                size,
                axis,
                printer,
                material,
                plate_fff,
                volume_and_economics,
            )
            .map_err(|why| format!("the baseplate cannot be printed: {why}"))
        },
    )
}

/// The routes compared (with `--years` for the amortization period), a route with an error
/// finding withdrawn (it cannot make the part as planned), and the sensitivity of the verdict
/// when `--sensitivity` asks for it.
fn compare_without_blocked(
    p: &Prepared,
    inputs: &RouteInputs,
    models: &ModelSet,
    opts: &EstimateOptions,
) -> (Comparison, Option<Sensitivity>) {
    // `--years` replaces the model's amortization period for this estimate only.
    let economics = opts
        .amortization_years
        .map(|years| crate::models::Economics {
            amortization_years: years,
            ..models.economics.clone()
        });
    let route_models = RouteModels {
        molding: &models.molding,
        economics: economics.as_ref().unwrap_or(&models.economics),
    };
    let mut comparison = process::compare_routes(inputs, &route_models, opts.annual_volume);
    let mut withdrawn = Vec::new();
    if let Some(d) = &p.dfm {
        for (route, of) in [
            (process::compare::Route::Hybrid, dfm::RouteOf::Hybrid),
            (process::compare::Route::Im, dfm::RouteOf::Im),
        ] {
            if let Some(reason) = d.blocking_reason(of) {
                comparison.withdraw(route, reason.clone());
                withdrawn.push((route, reason));
            }
        }
    }
    let sensitivity = opts.sensitivity_change.map(|change| {
        process::sensitivity::sensitivity(
            inputs,
            &route_models,
            opts.annual_volume,
            &comparison,
            &withdrawn,
            change,
        )
    });
    (comparison, sensitivity)
}

/// Splits a part (nothing written), measures its molded region's walls and estimates the routes.
pub fn estimate_part(
    file: &Path,
    job: &SplitJob,
    opts: &EstimateOptions,
) -> Result<(Prepared, Estimate), PartError> {
    let p = prepare_measured(file, job, opts)?;
    let e = estimate(&p, job, opts).map_err(|reason| PartError::part(file, reason))?;
    Ok((p, e))
}

/// [`prepare`], and the molded region's wall thickness measured (the estimate's cooling
/// needs it), from at least one sample, and the moldability and insert checks run with the
/// chosen printer's insert.
fn prepare_measured(
    file: &Path,
    job: &SplitJob,
    opts: &EstimateOptions,
) -> Result<Prepared, PartError> {
    let mut p = prepare(file, job)?;
    let samples = job.thickness_samples.max(1);
    match &mut p.split {
        Ok(s) => s.measure_wall_thickness(samples),
        Err(_) => p.part_wall = split::thickness::wall_thickness(&p.part, samples),
    }
    let insert = insert_print(job.models, &opts.printer, &opts.fff);
    run_dfm(&mut p, job, insert).map_err(|reason| PartError::part(file, reason))?;
    Ok(p)
}

/// A part planned: split, interface, estimate, and the meshes written.
pub struct Planned {
    pub prepared: Prepared,
    pub estimate: Estimate,
    /// The split meshes written; `None` for a part without a split (nothing to write).
    pub outputs: Option<SplitOutputs>,
    /// The print-ready baseplate, `STEM.baseplate.3mf` (see [`print_ready`]); `None` for a
    /// part without a split.
    pub print_ready: Option<PathBuf>,
}

/// Plans one part: [`estimate_part`], and the split meshes written into `out_dir` while the
/// routes are estimated, moved into place as one set with its manifest (see [`OutputSet`]).
pub fn plan_part(
    file: &Path,
    job: &SplitJob,
    opts: &EstimateOptions,
    out_dir: &Path,
) -> Result<Planned, PartError> {
    let (planned, set) = plan_part_staged(file, job, opts, out_dir)?;
    set.commit()?;
    Ok(planned)
}

/// [`plan_part`] with the meshes staged, not yet in place: the caller adds its own files to
/// the set (the reports) and commits it. `Planned::outputs` names the final paths.
pub fn plan_part_staged(
    file: &Path,
    job: &SplitJob,
    opts: &EstimateOptions,
    out_dir: &Path,
) -> Result<(Planned, OutputSet), PartError> {
    let p = prepare_measured(file, job, opts)?;
    let stem = stem_of(file);
    let mut set = OutputSet::begin(out_dir, &stem)?;
    // A part without a split has no meshes: only the reports go into its set.
    let outputs = p.split.is_ok().then(|| split_outputs(out_dir, &stem));
    let staged = outputs.as_ref().map(|o| stage_split(&mut set, o));
    let (estimate, written) = rayon::join(
        || estimate(&p, job, opts),
        || match (&p.split, &staged) {
            (Ok(s), Some(o)) => write_split(s, p.infill_zone.as_ref(), o, &stem),
            _ => Ok(()),
        },
    );
    written?;
    let estimate = estimate.map_err(|reason| PartError::part(file, reason))?;
    let print_ready = match &p.split {
        Ok(split) => {
            let target = print_ready_path(out_dir, &stem);
            write_print_ready(split, &estimate, job, &stem, &set.stage(&target)).map_err(|e| {
                match e {
                    PrintReadyError::Place(reason) => PartError::part(file, reason),
                    PrintReadyError::Write(e) => PartError::Write(e),
                }
            })?;
            Some(target)
        }
        Err(_) => None,
    };
    Ok((
        Planned {
            prepared: p,
            estimate,
            outputs,
            print_ready,
        },
        set,
    ))
}

/// Where `plan` writes the print-ready baseplate of a part called `stem`.
pub fn print_ready_path(out_dir: &Path, stem: &str) -> PathBuf {
    out_dir.join(format!("{stem}.baseplate.3mf"))
}

/// Why the print-ready baseplate was not written.
enum PrintReadyError {
    Place(String),
    Write(WriteError),
}

/// Writes the baseplate as it prints on the estimate's printer (see [`print_ready`]): pores
/// up, along the axes the estimate sized it along, centred on the printer's bed, with the
/// settings it was costed with (FFF).
fn write_print_ready(
    split: &split::Split,
    estimate: &Estimate,
    job: &SplitJob,
    stem: &str,
    path: &Path,
) -> Result<(), PrintReadyError> {
    let models = job.models;
    let printer =
        find_printer(&models.printers, &estimate.printer).map_err(PrintReadyError::Place)?;
    let build = match &printer {
        ChosenPrinter::Fff(p) => p.build_volume_mm,
        ChosenPrinter::Powder(p) => p.build_volume_mm,
    };
    let on_bed = print_ready::place_on_bed(
        &split.baseplate,
        &Vector3::from(split.facts.plane_normal),
        &estimate.mold_axes[0],
        [build[0], build[1]],
    )
    .map_err(PrintReadyError::Place)?;
    let config = match (&printer, &estimate.baseplate_print_settings) {
        (ChosenPrinter::Fff(p), Some(s)) => {
            let settings = FffSettings {
                layer_mm: s.layer_mm,
                nozzle_mm: s.nozzle_mm,
                perimeters: s.perimeters,
                infill_fraction: s.infill_percent / 100.0,
            };
            let material = models
                .materials
                .get(&estimate.baseplate_material)
                .map_err(PrintReadyError::Place)?;
            Some(print_ready::prusa_config(&print_ready::SlicerInputs {
                printer_name: &estimate.printer,
                printer: p,
                settings: &settings,
                material,
                part: stem,
            }))
        }
        _ => None,
    };
    print_ready::write_baseplate_3mf(path, stem, &on_bed, config.as_deref())
        .map_err(PrintReadyError::Write)
}

/// Writes the bundled ribbed-plate sample into `out_dir` (for `plan` without a file) and
/// returns its path.
pub fn write_bundled_sample(out_dir: &Path) -> Result<PathBuf, WriteError> {
    create_dir(out_dir)?;
    let path = out_dir.join("ribbed_plate.stl");
    mesh::stl::write_binary(
        &path,
        &crate::samples::ribbed_plate().mesh(),
        "ribbed_plate",
    )?;
    Ok(path)
}
