//! The argument groups several commands share (how a mesh is read, where it is cut, the
//! interface, the materials, the estimate settings, the output format) and the value parsers
//! of the numeric options.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use nalgebra::{Point3, Vector3};

use super::models_and_options;
use crate::interface::{LatticeKind, LatticeRequest, Pattern};
use crate::limits;
use crate::mesh::{LoadOptions, Units};
use crate::models::ModelSet;
use crate::plan::{EstimateOptions, FffChanges, MaterialChoice, SplitJob};
use crate::process::molding::InsertHandling;
use crate::split::{Side, SplitOptions};

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
    pub(super) fn models_and_options(&self) -> Result<(ModelSet, EstimateOptions), String> {
        models_and_options(&self.materials, &self.settings)
    }

    /// The split job of one part with `models`.
    pub(super) fn job<'a>(&self, models: &'a ModelSet) -> SplitJob<'a> {
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

pub(super) fn jobs(s: &str) -> Result<u16, String> {
    let v = limits::JOBS.parse(s)?;
    u16::try_from(v).map_err(|_| format!("must be {}", limits::JOBS.describe()))
}

pub(super) fn thickness_samples(s: &str) -> Result<usize, String> {
    count_usize(&limits::THICKNESS_SAMPLES, s)
}

pub(super) fn split_thickness_samples(s: &str) -> Result<usize, String> {
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

pub(super) fn length_mm(s: &str) -> Result<f64, String> {
    limits::LENGTH_MM.parse(s)
}

pub(super) fn height_mm(s: &str) -> Result<f64, String> {
    limits::HEIGHT_MM.parse(s)
}

fn weld_tol_mm(s: &str) -> Result<f64, String> {
    limits::WELD_TOL_MM.parse(s)
}

fn angle_deg(s: &str) -> Result<f64, String> {
    limits::ANGLE_DEG.parse(s)
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

pub(super) fn vector3(s: &str) -> Result<Vector3<f64>, String> {
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
