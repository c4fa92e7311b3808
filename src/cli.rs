//! Command-line interface: argument definitions and one entry function per command.
//!
//! Exit codes: 0 success; 1 at least one input could not be processed (each reported on
//! standard error with its file and reason); 2 usage errors (from clap) and output failures.
//!
//! Every numeric option has the range of [`crate::limits`], checked by its value parser, so
//! a value outside it is clap's usage error (exit 2) naming the option and the range. Numeric
//! options take values that start with `-` (`--height -3`, `--normal -1,0,0`), so that a
//! negative number gets that message instead of "unexpected argument".

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use nalgebra::{Point3, Vector3};

use crate::batch::{self, Shard};
use crate::interface::{LatticeKind, LatticeRequest, Pattern};
use crate::limits;
use crate::mesh::{self, LoadOptions, Units};
use crate::models::ModelSet;
use crate::plan::{EstimateOptions, FffChanges, MaterialChoice, SplitJob};
use crate::process::molding::InsertHandling;
use crate::split::{Side, SplitOptions};
use crate::{plan, report};

mod family;
pub use family::{FamilyArgs, family_command};

#[derive(Parser, Debug)]
#[command(
    name = "hybridplan",
    version,
    about = "Plan hybrid print-plus-overmold production from STL parts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load and check meshes: counts, bounds, area, volume, shells, watertightness.
    Inspect(InspectArgs),
    /// Split parts into the printed baseplate and the molded rib region; write both meshes.
    Split(Box<SplitArgs>),
    /// Compare printing, molding and the hybrid route: cost, time, energy, CO2, break-even.
    Estimate(Box<EstimateArgs>),
    /// Everything for a part: split, interface lattice, estimate; writes the meshes, the
    /// report (JSON, SVG chart) and a summary. Without a file: the bundled ribbed plate.
    Plan(Box<PlanArgs>),
    /// Evaluate every part of a catalog (a folder of STL files or a CSV manifest) in parallel
    /// into OUT/results.csv and OUT/results.jsonl, one row per part in catalog order.
    Batch(Box<BatchArgs>),
    /// Join the output folders of `batch --shard K/N` runs into one result in catalog order.
    Merge(MergeArgs),
    /// A family of personalised variants (a folder or a manifest): register the members'
    /// molded regions, group them into rib molds, check the plates, cost the routes.
    Family(Box<FamilyArgs>),
    /// Internal: evaluates one part of a batch (the request on standard input, the row on
    /// standard output), in a process of its own so that the part's limits hold.
    #[command(name = "__batch-worker", hide = true)]
    BatchWorker(Box<BatchArgs>),
}

/// How the routes are estimated: volume, variants, printer and print settings.
#[derive(Args, Debug, Clone)]
pub struct EstimateSettingsArgs {
    /// Parts per year, from 1 to 1e9.
    #[arg(long, default_value_t = 10_000.0, value_name = "N", value_parser = annual_volume, allow_hyphen_values = true)]
    pub volume: f64,
    /// Personalised variants, from 1 to 1e9: pure molding needs a cavity set for each.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = variants, allow_hyphen_values = true)]
    pub variants: u32,
    /// Printer of the printers model (fff.NAME, powder.NAME or NAME).
    #[arg(long, default_value = "desktop_fff", value_name = "NAME")]
    pub printer: String,
    /// Layer height for FFF printing: from 1/8 to 4/5 of the nozzle (0.05 to 0.32 mm for a
    /// 0.4 mm nozzle).
    #[arg(long, value_name = "MM", value_parser = layer_mm, allow_hyphen_values = true)]
    pub layer_mm: Option<f64>,
    /// Nozzle diameter for FFF printing, from 0.1 to 3 mm.
    #[arg(long, value_name = "MM", value_parser = nozzle_mm, allow_hyphen_values = true)]
    pub nozzle_mm: Option<f64>,
    /// Perimeters (walls) for FFF printing, from 1 to 50.
    #[arg(long, value_name = "N", value_parser = perimeters, allow_hyphen_values = true)]
    pub perimeters: Option<u32>,
    /// Sparse infill density for FFF printing (percent, 0 to 100).
    #[arg(long, value_name = "PERCENT", value_parser = percent, allow_hyphen_values = true)]
    pub infill: Option<f64>,
    /// How printed inserts are placed into the mold.
    #[arg(long, value_enum, default_value_t = Inserts::Manual)]
    pub inserts: Inserts,
    /// Machines of each route you have: printers for AM, molding machines for IM and for the
    /// hybrid route (whose printers --fleet-printers gives): reports the fleet's annual
    /// output, the smaller of its steps' capacities. Default: as many as the volume needs.
    /// From 1 to 1e6.
    #[arg(long, value_name = "N", value_parser = fleet, allow_hyphen_values = true)]
    pub fleet: Option<u32>,
    /// Baseplate printers of the hybrid route you have. Default: as many as the volume needs.
    /// From 1 to 1e6.
    #[arg(long, value_name = "N", value_parser = fleet, allow_hyphen_values = true)]
    pub fleet_printers: Option<u32>,
    /// Report how far the break-evens and the cheapest route move when each deciding input
    /// (labour, machine rates, mold cost, material prices, print time, volume) changes by
    /// --sensitivity-percent either way.
    #[arg(long)]
    pub sensitivity: bool,
    /// The change of each input in the sensitivity study, in percent: above 0, at most 90.
    #[arg(long, default_value_t = 25.0, value_name = "PERCENT", value_parser = sensitivity_percent, allow_hyphen_values = true)]
    pub sensitivity_percent: f64,
    /// Years the tooling (its cost and its embodied CO2) is paid off over, from 0.1 to 50:
    /// the break-even volumes are parts a year over this many years. Default: the economics
    /// model's `amortization_years` (3).
    #[arg(long, value_name = "N", value_parser = years, allow_hyphen_values = true)]
    pub years: Option<f64>,
}

/// Insert placement for overmolding.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserts {
    Manual,
    Robot,
}

impl EstimateSettingsArgs {
    /// The estimate options, the FFF settings from the chosen FFF printer's profile with the
    /// user's changes (the 0.4 mm nozzle, 0.2 mm layers, 2 perimeters, 20 % of the desktop
    /// printer by default).
    pub fn options(&self, models: &ModelSet) -> Result<EstimateOptions, String> {
        EstimateOptions::new(
            models,
            &self.printer,
            FffChanges {
                layer_mm: self.layer_mm,
                nozzle_mm: self.nozzle_mm,
                perimeters: self.perimeters,
                infill_percent: self.infill,
            },
            self.volume,
            self.variants,
            match self.inserts {
                Inserts::Manual => InsertHandling::Manual,
                Inserts::Robot => InsertHandling::Robot,
            },
            self.fleet,
        )
        .map(|o| EstimateOptions {
            fleet_printers: self.fleet_printers,
            sensitivity_change: self.sensitivity.then_some(self.sensitivity_percent / 100.0),
            amortization_years: self.years,
            ..o
        })
    }
}

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// Mesh files: STL (binary or ASCII), 3MF or OBJ, told apart by content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub part: PartPlanArgs,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Mesh files (STL, 3MF or OBJ); none: the bundled ribbed-plate sample.
    pub files: Vec<PathBuf>,
    /// Folder for the meshes, STEM.report.json, STEM.report.svg/.png and STEM.summary.txt.
    #[arg(long, short, default_value = "plan")]
    pub out: PathBuf,
    #[command(flatten)]
    pub part: PartPlanArgs,
}

/// What `estimate` and `plan` share: how a part is read, split, given its interface, made
/// of and estimated, and the output format.
#[derive(Args, Debug)]
pub struct PartPlanArgs {
    #[command(flatten)]
    pub input: MeshInputArgs,
    #[command(flatten)]
    pub placement: SplitPlacementArgs,
    /// Surface samples for the wall-thickness estimate, from 1 to 1e6.
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = thickness_samples, allow_hyphen_values = true)]
    pub thickness_samples: usize,
    #[command(flatten)]
    pub lattice: LatticeArgs,
    #[command(flatten)]
    pub materials: MaterialArgs,
    #[command(flatten)]
    pub settings: EstimateSettingsArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

impl PartPlanArgs {
    /// The models (user files over the embedded ones) and the estimate options, or the usage
    /// error that stops the command.
    fn models_and_options(&self) -> Result<(ModelSet, EstimateOptions), String> {
        models_and_options(&self.materials, &self.settings)
    }

    /// The split job of one part with `models`.
    fn job<'a>(&self, models: &'a ModelSet) -> SplitJob<'a> {
        SplitJob {
            load: self.input.load_options(),
            split: self.placement.split_options(),
            lattice: self.lattice.lattice_request(Lattice::Grid),
            thickness_samples: self.thickness_samples,
            models,
            materials: self.materials.choice(),
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// A readable table.
    Table,
    /// One JSON object per file, one per line.
    Json,
}

/// How a mesh file is read: shared by every command that reads parts.
#[derive(Args, Debug, Clone)]
pub struct MeshInputArgs {
    /// Unit of the numbers in the file: STL and OBJ have none (mm when not given), a 3MF
    /// declares its own, which this overrides; everything out is in mm.
    #[arg(long, value_enum)]
    pub units: Option<Units>,
    /// Also merge vertices closer than this distance (mm, above 0 and at most 10) after exact
    /// welding.
    #[arg(long, value_name = "MM", value_parser = weld_tol_mm, allow_hyphen_values = true)]
    pub weld_tol: Option<f64>,
}

impl MeshInputArgs {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            units: self.units,
            weld_tolerance_mm: self.weld_tol,
        }
    }
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Mesh files: STL (binary or ASCII), 3MF or OBJ, told apart by content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub input: MeshInputArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

// The value parsers of the numeric options: each checks the range of `limits`.

fn annual_volume(s: &str) -> Result<f64, String> {
    limits::ANNUAL_VOLUME.parse(s)
}

fn variants(s: &str) -> Result<u32, String> {
    count_u32(&limits::VARIANTS, s)
}

fn sensitivity_percent(s: &str) -> Result<f64, String> {
    limits::SENSITIVITY_PERCENT.parse(s)
}

fn fleet(s: &str) -> Result<u32, String> {
    count_u32(&limits::FLEET, s)
}

fn years(s: &str) -> Result<f64, String> {
    limits::AMORTIZATION_YEARS.parse(s)
}

fn insert_temp_c(s: &str) -> Result<f64, String> {
    limits::INSERT_TEMP_C.parse(s)
}

fn perimeters(s: &str) -> Result<u32, String> {
    count_u32(&limits::PERIMETERS, s)
}

fn jobs(s: &str) -> Result<u16, String> {
    let v = limits::JOBS.parse(s)?;
    u16::try_from(v).map_err(|_| format!("must be {}", limits::JOBS.describe()))
}

fn thickness_samples(s: &str) -> Result<usize, String> {
    count_usize(&limits::THICKNESS_SAMPLES, s)
}

fn split_thickness_samples(s: &str) -> Result<usize, String> {
    count_usize(&limits::SPLIT_THICKNESS_SAMPLES, s)
}

fn count_u32(range: &limits::CountRange, s: &str) -> Result<u32, String> {
    let v = range.parse(s)?;
    u32::try_from(v).map_err(|_| format!("must be {}", range.describe()))
}

fn count_usize(range: &limits::CountRange, s: &str) -> Result<usize, String> {
    let v = range.parse(s)?;
    usize::try_from(v).map_err(|_| format!("must be {}", range.describe()))
}

fn layer_mm(s: &str) -> Result<f64, String> {
    limits::LAYER_MM.parse(s)
}

fn nozzle_mm(s: &str) -> Result<f64, String> {
    limits::NOZZLE_MM.parse(s)
}

fn percent(s: &str) -> Result<f64, String> {
    limits::PERCENT.parse(s)
}

fn length_mm(s: &str) -> Result<f64, String> {
    limits::LENGTH_MM.parse(s)
}

fn height_mm(s: &str) -> Result<f64, String> {
    limits::HEIGHT_MM.parse(s)
}

fn weld_tol_mm(s: &str) -> Result<f64, String> {
    limits::WELD_TOL_MM.parse(s)
}

fn angle_deg(s: &str) -> Result<f64, String> {
    limits::ANGLE_DEG.parse(s)
}

#[derive(Args, Debug)]
pub struct SplitArgs {
    /// Mesh files: STL (binary or ASCII), 3MF or OBJ, told apart by content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Folder for STEM.baseplate.stl, STEM.molded.stl and STEM.split.3mf (created if missing).
    #[arg(long, short, default_value = ".")]
    pub out: PathBuf,
    #[command(flatten)]
    pub input: MeshInputArgs,
    #[command(flatten)]
    pub placement: SplitPlacementArgs,
    /// Surface samples for the wall-thickness estimate, from 0 (skips it) to 1e6.
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = split_thickness_samples, allow_hyphen_values = true)]
    pub thickness_samples: usize,
    #[command(flatten)]
    pub lattice: LatticeArgs,
    #[command(flatten)]
    pub materials: MaterialArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Where the part is cut (default: detected).
#[derive(Args, Debug, Clone)]
pub struct SplitPlacementArgs {
    /// Mold opening direction X,Y,Z: the ribs are on the side it points to (default: detected).
    /// Not all zero, each within +-1e6.
    #[arg(long, value_name = "X,Y,Z", value_parser = vector3, allow_hyphen_values = true)]
    pub normal: Option<Vector3<f64>>,
    /// Cut this far (mm) along the normal from the part's lowest point: above 0 and at most
    /// 1e5.
    #[arg(long, value_name = "MM", value_parser = height_mm, conflicts_with = "plane", allow_hyphen_values = true)]
    pub height: Option<f64>,
    /// Cut by the plane through PX,PY,PZ (mm) with normal NX,NY,NZ pointing into the molded side
    /// (each within +-1e6, the normal not all zero).
    #[arg(long, value_name = "PX,PY,PZ,NX,NY,NZ", value_parser = plane6, allow_hyphen_values = true, conflicts_with = "normal")]
    pub plane: Option<(Point3<f64>, Vector3<f64>)>,
    /// With ribs on both faces of the plate: cut the larger region, the other, or both.
    #[arg(long, value_enum, default_value_t = Side::Main)]
    pub side: Side,
}

/// The porous interface.
#[derive(Args, Debug, Clone)]
pub struct LatticeArgs {
    /// Porous interface: pores in the baseplate under the ribs, matching pins on the molded
    /// region (defaults from the printer model; see docs/models.md). Default: none for
    /// `split`, grid for `estimate` and `plan`.
    #[arg(long, value_enum)]
    pub lattice: Option<Lattice>,
    /// Pore width (side of a square pore, diameter of a round one); above 0 and at most 1e5.
    #[arg(long, value_name = "MM", value_parser = length_mm, allow_hyphen_values = true)]
    pub pore_mm: Option<f64>,
    /// Wall between neighbouring pores; above 0 and at most 1e5.
    #[arg(long, value_name = "MM", value_parser = length_mm, allow_hyphen_values = true)]
    pub wall_mm: Option<f64>,
    /// Pore depth below the interface; above 0 and at most 1e5.
    #[arg(long, value_name = "MM", value_parser = length_mm, allow_hyphen_values = true)]
    pub depth_mm: Option<f64>,
    /// Least distance from a pore to the edge of the interface; above 0 and at most 1e5.
    #[arg(long, value_name = "MM", value_parser = length_mm, allow_hyphen_values = true)]
    pub margin_mm: Option<f64>,
    /// Dovetail pores: a two-layer neck, then walls flaring out at 45° to the floor (printable
    /// without support), so the pins lock in pull-off too.
    #[arg(long)]
    pub dovetail: bool,
    /// With --lattice infill: the infill density of the zone under the interface (percent, 0
    /// to 100).
    #[arg(long, value_name = "PERCENT", default_value_t = 30.0, value_parser = percent, allow_hyphen_values = true)]
    pub infill_percent: f64,
    /// Turn of the pore pattern (degrees, counter-clockwise in the interface plane), from -360
    /// to 360.
    #[arg(
        long,
        value_name = "DEG",
        default_value_t = 0.0,
        value_parser = angle_deg,
        allow_hyphen_values = true
    )]
    pub angle_deg: f64,
}

/// Materials and the model files.
#[derive(Args, Debug, Clone)]
pub struct MaterialArgs {
    /// Molded material: the ribs of the hybrid route, the whole part molded (see --models).
    #[arg(long, default_value = "PLA", value_name = "NAME")]
    pub material: String,
    /// Printed material: the baseplate, the whole part printed (default: --material).
    #[arg(long, value_name = "NAME")]
    pub baseplate_material: Option<String>,
    /// Model files to use instead of the embedded ones: a folder holding any of
    /// materials.toml, printers.toml, molding.toml, economics.toml, dfm.toml, or such a file (repeatable).
    #[arg(long, value_name = "PATH")]
    pub models: Vec<PathBuf>,
    /// Temperature of the printed insert when the melt meets it (degC, 0 to 250): a
    /// preheated insert bonds better and softens sooner. Default: the dfm model's
    /// `insert.start_temp_c` (23, room temperature).
    #[arg(long, value_name = "C", value_parser = insert_temp_c, allow_hyphen_values = true)]
    pub insert_temp: Option<f64>,
}

impl MaterialArgs {
    pub fn choice(&self) -> MaterialChoice {
        MaterialChoice {
            molded: self.material.clone(),
            printed: self
                .baseplate_material
                .clone()
                .unwrap_or_else(|| self.material.clone()),
        }
    }

    /// The model set, or the reason it cannot be read (exit 2: a usage error).
    pub fn model_set(&self) -> Result<ModelSet, String> {
        let mut set = ModelSet::load(&self.models).map_err(|e| e.to_string())?;
        if let Some(t) = self.insert_temp {
            set.dfm.insert.start_temp_c = t;
        }
        let c = self.choice();
        set.materials.get(&c.molded)?;
        set.materials.get(&c.printed)?;
        Ok(set)
    }
}

/// The porous interface to build, if any.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lattice {
    None,
    /// Square pores on a square grid.
    Grid,
    /// Round pores in staggered rows.
    Hex,
    /// Slots across the ribs.
    Slots,
    /// Plain meshes; the zone under the interface goes into the 3MF as a modifier volume that
    /// prints it as open infill (PrusaSlicer).
    Infill,
}

impl LatticeArgs {
    /// The lattice asked for, `default` when none was named.
    pub fn lattice_request(&self, default: Lattice) -> Option<LatticeRequest> {
        let kind = match self.lattice.unwrap_or(default) {
            Lattice::None => return None,
            Lattice::Grid => LatticeKind::Pores(Pattern::Grid),
            Lattice::Hex => LatticeKind::Pores(Pattern::Hex),
            Lattice::Slots => LatticeKind::Pores(Pattern::Slots),
            Lattice::Infill => LatticeKind::Infill {
                density_percent: self.infill_percent,
            },
        };
        Some(LatticeRequest {
            kind,
            pore_mm: self.pore_mm,
            wall_mm: self.wall_mm,
            depth_mm: self.depth_mm,
            margin_mm: self.margin_mm,
            angle_deg: self.angle_deg,
            dovetail: self.dovetail,
            explicit: self.lattice.is_some(),
        })
    }
}

impl SplitPlacementArgs {
    pub fn split_options(&self) -> SplitOptions {
        SplitOptions {
            normal: self.normal,
            height_mm: self.height,
            plane: self.plane,
            side: self.side,
        }
    }
}

/// `n` comma-separated numbers, each a [`limits::COORDINATE`].
fn numbers(s: &str, n: usize) -> Result<Vec<f64>, String> {
    let range = limits::COORDINATE;
    let refuse = || {
        format!(
            "must be {n} comma-separated numbers from {} to {}",
            range.min, range.max
        )
    };
    let v: Vec<f64> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .ok()
                .and_then(|x| range.check(x).ok())
        })
        .collect::<Option<_>>()
        .ok_or_else(refuse)?;
    if v.len() != n {
        return Err(refuse());
    }
    Ok(v)
}

/// A direction: not all zero (it has no direction then).
fn direction(v: Vector3<f64>) -> Result<Vector3<f64>, String> {
    if v == Vector3::zeros() {
        return Err("the normal must not be all zero".to_string());
    }
    Ok(v)
}

fn vector3(s: &str) -> Result<Vector3<f64>, String> {
    let v = numbers(s, 3)?;
    direction(Vector3::new(v[0], v[1], v[2]))
}

fn plane6(s: &str) -> Result<(Point3<f64>, Vector3<f64>), String> {
    let v = numbers(s, 6)?;
    Ok((
        Point3::new(v[0], v[1], v[2]),
        direction(Vector3::new(v[3], v[4], v[5]))?,
    ))
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> io::Result<i32> {
    match cli.command {
        Command::Inspect(args) => inspect(&args),
        Command::Split(args) => split(&args),
        Command::Estimate(args) => estimate(&args),
        Command::Plan(args) => plan_command(&args),
        Command::Batch(args) => batch_command(&args),
        Command::Merge(args) => merge_command(&args),
        Command::Family(args) => family_command(&args),
        Command::BatchWorker(args) => batch_worker_command(&args),
    }
}

/// `hybridplan split`: splits each file into baseplate and molded region and writes both
/// meshes (binary STL, and one 3MF with both as parts of one object) into `--out`. A file that
/// cannot be split is reported with its reason and the others go on; exit 1 if any failed.
pub fn split(args: &SplitArgs) -> io::Result<i32> {
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let models = match args.materials.model_set() {
        Ok(m) => m,
        Err(e) => return Ok(usage_error(&e)),
    };
    let job = SplitJob {
        load: args.input.load_options(),
        split: args.placement.split_options(),
        lattice: args.lattice.lattice_request(Lattice::None),
        thickness_samples: args.thickness_samples,
        models: &models,
        materials: args.materials.choice(),
    };
    each_file(
        &args.files,
        args.format,
        |file| plan::split_part_with(file, &job, &args.out).map_err(Failure::from),
        |out, file, (p, outputs)| report::split_json(out, file, p, outputs),
        |out, file, (p, outputs)| report::split_table(out, file, p, outputs),
    )
}

/// `hybridplan estimate`: splits each file (nothing written) and compares the routes.
pub fn estimate(args: &EstimateArgs) -> io::Result<i32> {
    let (models, opts) = match args.part.models_and_options() {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let job = args.part.job(&models);
    each_file(
        &args.files,
        args.part.format,
        |file| plan::estimate_part(file, &job, &opts).map_err(Failure::from),
        |out, file, (p, e)| report::estimate_json(out, file, p, e),
        |out, file, (p, e)| report::estimate_table(out, file, p, e),
    )
}

/// `hybridplan plan`: split, interface, estimate and every output, for each file (or the
/// bundled ribbed plate, written into the output folder first).
pub fn plan_command(args: &PlanArgs) -> io::Result<i32> {
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let (models, opts) = match args.part.models_and_options() {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let files = if args.files.is_empty() {
        match plan::write_bundled_sample(&args.out) {
            Ok(f) => {
                eprintln!("no file given: planning the bundled sample {}", f.display());
                vec![f]
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        }
    } else {
        args.files.clone()
    };
    let job = args.part.job(&models);
    each_file(
        &files,
        args.part.format,
        |file| -> Result<report::PlanReports, Failure> {
            // Meshes and reports staged together, then moved into place as one set with its
            // manifest (a run killed half way never leaves new meshes beside an old report
            // unmarked).
            let (planned, mut set) = plan::plan_part_staged(file, &job, &opts, &args.out)?;
            let reports = report::plan_reports(file, &planned, &args.out)
                .map_err(|e| Failure::Output(format!("{}: {e}", file.display())))?;
            report::write_plan_reports(&reports, &mut set)
                .map_err(|e| Failure::Output(e.to_string()))?;
            set.commit().map_err(|e| Failure::Output(e.to_string()))?;
            Ok(reports)
        },
        |out, _file, reports| {
            serde_json::to_writer(&mut *out, &reports.json)?;
            writeln!(out)
        },
        |out, _file, reports| out.write_all(reports.summary.as_bytes()),
    )
}

/// The models (user files over the embedded ones) and the estimate options, or the usage
/// error that stops the command.
fn models_and_options(
    materials: &MaterialArgs,
    settings: &EstimateSettingsArgs,
) -> Result<(ModelSet, EstimateOptions), String> {
    let models = materials.model_set()?;
    let opts = settings.options(&models)?;
    Ok((models, opts))
}

/// Reports a usage error (bad options or model files) and gives exit code 2.
fn usage_error(message: &str) -> i32 {
    eprintln!("error: {message}");
    2
}

/// Refuses an output folder that names something other than a folder, before any work: the
/// error of creating a folder there ("File exists") does not say what is wrong.
fn out_folder_usable(out: &Path) -> Result<(), String> {
    match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => Err(format!(
            "--out {} is a file, not a folder: name a folder (it is created if missing)",
            out.display()
        )),
        _ => Ok(()),
    }
}

/// Why one file of a command failed: its input could not be used (exit 1), or its outputs
/// could not be written (exit 2: the README's "output errors").
#[derive(Debug)]
enum Failure {
    Input(String),
    Output(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(m) | Failure::Output(m) => f.write_str(m),
        }
    }
}

impl From<plan::PartError> for Failure {
    fn from(e: plan::PartError) -> Self {
        match e {
            plan::PartError::Write(_) => Failure::Output(e.to_string()),
            _ => Failure::Input(e.to_string()),
        }
    }
}

impl From<mesh::MeshError> for Failure {
    fn from(e: mesh::MeshError) -> Self {
        Failure::Input(e.to_string())
    }
}

/// Runs `process` on every file in turn and prints each result as JSON (one line) or as a
/// table. A file that fails is reported on standard error with its reason (and, in JSON, as a
/// row with an `error` key) and the others go on. Returns exit code 2 if any file's outputs
/// could not be written, else 1 if any file failed.
fn each_file<T>(
    files: &[PathBuf],
    format: OutputFormat,
    mut process: impl FnMut(&std::path::Path) -> Result<T, Failure>,
    json: impl Fn(&mut dyn Write, &std::path::Path, &T) -> io::Result<()>,
    table: impl Fn(&mut dyn Write, &std::path::Path, &T) -> io::Result<()>,
) -> io::Result<i32> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    let mut output_failed = false;
    for (k, file) in files.iter().enumerate() {
        match process(file) {
            Ok(result) => match format {
                OutputFormat::Json => json(&mut out, file, &result)?,
                OutputFormat::Table => {
                    if k > 0 {
                        writeln!(out)?;
                    }
                    table(&mut out, file, &result)?
                }
            },
            Err(e) => {
                failed += 1;
                output_failed |= matches!(e, Failure::Output(_));
                out.flush()?;
                eprintln!("error: {e}");
                if format == OutputFormat::Json {
                    report::error_json(&mut out, file, &e.to_string())?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if output_failed {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}

/// `hybridplan inspect`: loads and checks each file; a file that cannot be read is reported
/// (with its path and reason) and the others go on. Exit 1 if any file failed to load.
pub fn inspect(args: &InspectArgs) -> io::Result<i32> {
    let opts = args.input.load_options();
    each_file(
        &args.files,
        args.format,
        |file| mesh::load(file, &opts).map_err(Failure::from),
        |out, file, checked| report::inspect_json(out, file, &checked.report),
        |out, file, checked| report::inspect_table(out, file, &checked.report),
    )
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// A folder (every .stl in it, at any depth, in sorted order) or a CSV manifest with a
    /// `file` column and optional per-row overrides (see docs/batch.md).
    pub catalog: PathBuf,
    /// Folder for results.csv, results.jsonl, summary.json, timings.csv, batch.json (and the
    /// meshes with --meshes); created if missing.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Parts evaluated at once, from 1 to 1024 (default: all cores).
    #[arg(long, short, value_name = "N", value_parser = jobs, allow_hyphen_values = true)]
    pub jobs: Option<u16>,
    /// Evaluate only the rows whose catalog index i has i % N == K (0-based), for running one
    /// catalog on N machines; join the folders with `hybridplan merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Continue the run in --out: skip the rows it holds, evaluate the others (starts afresh
    /// if --out holds none).
    #[arg(long)]
    pub resume: bool,
    /// With --resume: evaluate the rows that ended in an error again.
    #[arg(long, requires = "resume")]
    pub retry_errors: bool,
    /// Stop at the first part that fails (exit 1); the rows finished so far are kept.
    #[arg(long)]
    pub fail_fast: bool,
    /// Keep each part's split meshes in OUT/meshes/INDEX_STEM/.
    #[arg(long)]
    pub meshes: bool,
    /// No progress bar, error lines or summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,
    /// Accept (and ignore) manifest columns that are neither `file` nor an override.
    #[arg(long)]
    pub ignore_unknown_columns: bool,
    /// Time limit of one part, in seconds: a part still being evaluated then is stopped and
    /// becomes an error row; the run goes on.
    #[arg(long, value_name = "SECONDS", default_value_t = batch::worker::DEFAULT_PART_TIMEOUT_S, value_parser = part_timeout_s)]
    pub part_timeout: f64,
    /// Memory limit of one part, in MB (the address space of the process evaluating it; lower
    /// if the batch runs under a lower `ulimit -v`): a part that needs more becomes an error
    /// row; the run goes on.
    #[arg(long, value_name = "MB", default_value_t = batch::worker::DEFAULT_PART_MEMORY_MB, value_parser = clap::value_parser!(u64).range(PART_MEMORY_MIN_MB..=PART_MEMORY_MAX_MB))]
    pub part_memory: u64,
    #[command(flatten)]
    pub input: MeshInputArgs,
    /// Mold opening direction X,Y,Z for every part (default: detected; not all zero, each
    /// within +-1e6); a manifest's `normal` column overrides it per row.
    #[arg(long, value_name = "X,Y,Z", value_parser = vector3, allow_hyphen_values = true)]
    pub normal: Option<Vector3<f64>>,
    /// Cut this far (mm, above 0 and at most 1e5) along the normal from each part's lowest
    /// point; a manifest's `height_mm` column overrides it per row.
    #[arg(long, value_name = "MM", value_parser = height_mm, allow_hyphen_values = true)]
    pub height: Option<f64>,
    /// With ribs on both faces of the plate: cut the larger region, the other, or both.
    #[arg(long, value_enum, default_value_t = Side::Main)]
    pub side: Side,
    /// Surface samples for the wall-thickness estimate, from 1 to 1e6.
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = thickness_samples, allow_hyphen_values = true)]
    pub thickness_samples: usize,
    #[command(flatten)]
    pub lattice: LatticeArgs,
    #[command(flatten)]
    pub materials: MaterialArgs,
    #[command(flatten)]
    pub settings: EstimateSettingsArgs,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The output folders of the shards (`batch --shard K/N --out DIR`), all N of them.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// No summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Bounds of `batch --part-memory`: below 64 MB a worker hardly starts (its program, stack and
/// allocator take 30 MB of address space before any part); above 16 TB is no limit on any
/// machine.
const PART_MEMORY_MIN_MB: u64 = 64;
const PART_MEMORY_MAX_MB: u64 = 16 << 20;

/// Bounds of `batch --part-timeout`: above a week (604,800 s) a part is not coming back.
const PART_TIMEOUT_MAX_S: f64 = 604_800.0;

fn part_timeout_s(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= PART_TIMEOUT_MAX_S => Ok(v),
        _ => Err(format!(
            "'{s}' is not a time in seconds from above 0 to {PART_TIMEOUT_MAX_S}"
        )),
    }
}

/// The settings every part of a batch is evaluated with, from the batch's arguments: the same
/// function in `batch` and in its worker processes, so both evaluate alike.
fn batch_settings(args: &BatchArgs) -> Result<batch::WorkerSettings, String> {
    let (models, estimate) = models_and_options(&args.materials, &args.settings)?;
    let printers = batch::known_printers(&models.printers);
    let plan = batch::PlanSettings {
        material: args.materials.material.clone(),
        baseplate_material: args.materials.baseplate_material.clone(),
        lattice: args.lattice.lattice_request(Lattice::Grid),
        estimate,
        models,
    };
    Ok(batch::WorkerSettings {
        eval: batch::EvalOptions {
            load: args.input.load_options(),
            split: SplitOptions {
                normal: args.normal,
                height_mm: args.height,
                plane: None,
                side: args.side,
            },
            thickness_samples: args.thickness_samples,
            meshes: batch::MeshOutput::Discard,
            plan: std::sync::Arc::new(plan),
        },
        printers,
    })
}

/// How `batch` starts its workers: this program, as `__batch-worker` with the batch's own
/// arguments (everything after `batch`). `None` when this process was not started as
/// `hybridplan batch ...` (the library's `run` called with other arguments).
fn worker_command() -> Option<batch::WorkerCommand> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_none_or(|a| a != "batch") {
        return None;
    }
    // Linux: the program this process runs, even if its file was replaced during the run.
    let own = std::path::Path::new("/proc/self/exe");
    let program = if own.exists() {
        own.to_path_buf()
    } else {
        std::env::current_exe().ok()?
    };
    let mut args = vec![std::ffi::OsString::from(batch::worker::WORKER_COMMAND)];
    args.extend(argv[2..].iter().cloned());
    Some(batch::WorkerCommand { program, args })
}

/// `hybridplan batch`: evaluates a catalog in parallel into one row per part (see
/// [`batch`]). Exit 0 when the run finished and at least one part (or no part at all) was
/// evaluated; 1 when --fail-fast stopped it at an error or no part succeeded; 2 when the
/// catalog cannot be read or the output folder cannot be used (written to, or in use by
/// another run).
pub fn batch_command(args: &BatchArgs) -> io::Result<i32> {
    use std::io::IsTerminal;
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let settings = match batch_settings(args) {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let catalog_opts = batch::CatalogOptions {
        ignore_unknown_columns: args.ignore_unknown_columns,
        exclude: Some(args.out.clone()),
        printers: settings.printers.clone(),
    };
    let catalog = match batch::read_catalog(&args.catalog, &catalog_opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    if !args.quiet {
        for dir in &catalog.skipped {
            eprintln!(
                "note: {}: left out, it holds another batch's output (batch.json)",
                dir.display()
            );
        }
    }
    if catalog.entries.is_empty() {
        eprintln!(
            "error: {}: no parts in this catalog",
            args.catalog.display()
        );
        return Ok(1);
    }
    let limits = batch::PartLimits {
        timeout_s: args.part_timeout,
        memory_mb: args.part_memory,
    };
    let isolation = match worker_command() {
        Some(command) => Some(batch::Isolation { command, limits }),
        None => {
            eprintln!(
                "warning: not started as `hybridplan batch`: parts are evaluated in this \
                 process, without --part-timeout and --part-memory"
            );
            None
        }
    };
    let eval = settings.eval;
    let opts = batch::BatchOptions {
        out_dir: args.out.clone(),
        jobs: args
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        load: eval.load,
        split: eval.split,
        thickness_samples: eval.thickness_samples,
        write_meshes: args.meshes,
        shard: args.shard,
        resume: args.resume,
        retry_errors: args.retry_errors,
        fail_fast: args.fail_fast,
        progress_bar: io::stderr().is_terminal(),
        quiet: args.quiet,
        plan: eval.plan,
        isolation,
    };
    let outcome = match batch::run(&catalog, &opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let s = &outcome.summary;
    if !args.quiet {
        eprintln!("{}", s.text());
        eprintln!("results in {}", args.out.display());
    }
    let stopped = s.run.as_ref().is_some_and(|r| r.stopped_early);
    Ok(if stopped || (s.parts > 0 && s.ok == 0) {
        1
    } else {
        0
    })
}

/// `hybridplan __batch-worker`: one part of a batch, for [`batch_command`]'s workers (see
/// [`batch::worker`]). Exit 0 when the row is written (an error row too); 2 when the request
/// cannot be read or the settings not built (the batch then makes the row an error row with
/// this message).
pub fn batch_worker_command(args: &BatchArgs) -> io::Result<i32> {
    let settings = match batch_settings(args) {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    match batch::worker::serve(io::stdin().lock(), io::stdout().lock(), &settings) {
        Ok(()) => Ok(0),
        Err(e) => Ok(usage_error(&e)),
    }
}

/// `hybridplan merge`: joins shard folders into one (see [`batch::merge`]). Exit 1 when the
/// folders are not the complete shards of one run (the message says what is missing or
/// different), 2 when the output cannot be written.
pub fn merge_command(args: &MergeArgs) -> io::Result<i32> {
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    match batch::merge(&args.dirs, &args.out) {
        Ok(summary) => {
            if !args.quiet {
                eprintln!("{}", summary.text());
                eprintln!("results in {}", args.out.display());
            }
            Ok(0)
        }
        Err(e @ batch::MergeError::Inputs(_)) => {
            eprintln!("error: {e}");
            Ok(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(2)
        }
    }
}
