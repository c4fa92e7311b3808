//! The porous interface between the printed baseplate and the molded ribs: pore layouts in
//! the footprint (and, as this stage grows, pores and pins in 3D, printability, fill and bond
//! estimates). Imports only `mesh` and `models`, like `split` and `process`.

pub mod bond;
pub mod layout;
pub mod pores;

pub use layout::{Layout, LayoutBound, LayoutParams, Pattern, Pore, bound, lay_out};
pub use pores::{
    PlaneFrame, PoreError, PoreProfile, add_pores_and_pins, add_profiled_pores_and_pins,
    footprint_prism,
};

use nalgebra::{Point3, Unit, Vector3};
use serde::Serialize;

use crate::mesh::Mesh;
use crate::mesh::polygon::{ring_area, ring_perimeter};
use crate::mesh::section::Plane;
use crate::models::{Material, ModelSet, Printer};

pub use bond::{Bond, BondGeometry, Channel, Fill};

/// The printed and the molded material of the interface, and their adhesion (MPa).
#[derive(Debug, Clone, Copy)]
pub struct MaterialPair<'a> {
    pub printed_name: &'a str,
    pub printed: &'a Material,
    pub molded_name: &'a str,
    pub molded: &'a Material,
    pub adhesion_mpa: f64,
    /// The pair is in the adhesion table (otherwise the model's default for other pairs).
    pub listed: bool,
    /// The melt's contact temperature on the insert, where the materials have the data.
    pub interface_temp_c: Option<f64>,
}

impl<'a> MaterialPair<'a> {
    /// The pair of the model set's materials `printed` and `molded` (case-insensitive), the
    /// insert placed at the insert model's start temperature.
    pub fn of(models: &'a ModelSet, printed: &str, molded: &str) -> Result<Self, String> {
        let (printed_name, printed) = models.materials.get(printed)?;
        let (molded_name, molded) = models.materials.get(molded)?;
        let a = models.materials.adhesion(
            printed_name,
            printed,
            molded_name,
            molded,
            models.dfm.insert.start_temp_c,
        );
        Ok(MaterialPair {
            printed_name,
            printed,
            molded_name,
            molded,
            adhesion_mpa: a.mpa,
            listed: a.listed,
            interface_temp_c: a.interface_temp_c,
        })
    }

    /// The warning for a pair without adhesion data.
    fn adhesion_warning(&self) -> Option<String> {
        (!self.listed).then(|| {
            format!(
                "no adhesion data for {} molded onto {}: the bond estimate uses {} MPa, the model's value for pairs that do not bond; add the pair to materials.toml [adhesion.pairs] if you have a measurement",
                self.molded_name, self.printed_name, self.adhesion_mpa
            )
        })
    }
}

/// The printer that makes the baseplate and the materials on both sides of the interface.
#[derive(Debug, Clone, Copy)]
pub struct PrintAndMold<'a> {
    pub printer: &'a Printer,
    pub pair: &'a MaterialPair<'a>,
}

/// The bond of a plain interface of `area_mm2` (no lattice).
pub fn plain_bond(area_mm2: f64, pair: &MaterialPair) -> (Bond, Vec<String>) {
    let g = BondGeometry {
        interface_area_mm2: area_mm2,
        pin_area_mm2: 0.0,
        pin_side_area_mm2: 0.0,
        filled_fraction: 1.0,
        ledge_area_mm2: 0.0,
    };
    (
        bond::bond(&g, pair, pair.adhesion_mpa),
        pair.adhesion_warning().into_iter().collect(),
    )
}

/// How the interface is made porous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatticeKind {
    /// Pores modelled in the meshes, pins on the molded region.
    Pores(Pattern),
    /// The meshes stay plain; the 3MF gets a modifier volume (the footprint down to the depth)
    /// that tells the slicer to print that zone as open infill of this density (percent).
    Infill { density_percent: f64 },
}

/// What the user asked for: a pattern, and any parameter to use instead of the default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatticeRequest {
    pub kind: LatticeKind,
    pub pore_mm: Option<f64>,
    pub wall_mm: Option<f64>,
    pub depth_mm: Option<f64>,
    pub margin_mm: Option<f64>,
    pub angle_deg: f64,
    /// Dovetail pores: a straight neck under the interface, then walls flaring out at 45°
    /// to the floor, so the pins lock in pull-off as well as in shear.
    pub dovetail: bool,
    /// The lattice was asked for by name (`--lattice`). A lattice over its budget
    /// ([`MAX_PORES`], [`MAX_LATTICE_TRIANGLES`]) is then an error; the default lattice of
    /// `estimate`, `plan` and `batch` leaves the interface plain with a warning instead, as
    /// for a plate too thin for pores, so that a large part is still estimated.
    pub explicit: bool,
}

/// The interface as built: its parameters and what it measures.
#[derive(Debug, Clone, Serialize)]
pub struct LatticeReport {
    /// `grid`, `hex`, `slots` or `infill`.
    pub lattice: String,
    pub pore_mm: f64,
    pub wall_mm: f64,
    pub depth_mm: f64,
    pub margin_mm: f64,
    pub angle_deg: f64,
    /// Number of pores (and of pins).
    pub pores: usize,
    /// Cross-section area of the pins, in the interface plane.
    pub pin_area_mm2: f64,
    /// Pin area over the interface (footprint) area.
    pub pin_area_fraction: f64,
    /// Volume moved from the baseplate into the molded region.
    pub pin_volume_mm3: f64,
    /// `straight` or `dovetail`; for a dovetail, the neck's depth and the flare to the floor.
    pub profile: String,
    pub neck_mm: f64,
    pub flare_mm: f64,
    pub single_row_pieces: usize,
    /// Infill mode: the density the zone is printed at, the fraction of the interface left
    /// open for the melt (one minus the density) and how deep the melt is expected to reach
    /// (the zone's depth; the fill check will bound it).
    pub infill_density_percent: Option<f64>,
    pub open_area_fraction: Option<f64>,
    pub expected_fill_depth_mm: Option<f64>,
    /// Can the melt fill the pores before it freezes (freeze time, flow length, fill depth).
    #[serde(flatten)]
    pub fill: Option<Fill>,
    /// Load capacity of the interface with and without the lattice (an estimate).
    #[serde(flatten)]
    pub bond: Option<Bond>,
    /// Not serialized: the reports give one `warnings` list, these among them.
    #[serde(skip)]
    pub lattice_warnings: Vec<String>,
}

/// The print settings of the infill zone's modifier volume (PrusaSlicer keys): the density,
/// and no solid top layers, so the zone stays open under the interface.
pub fn infill_zone_settings(density_percent: f64) -> Vec<(&'static str, String)> {
    vec![
        ("fill_density", format!("{density_percent}%")),
        ("top_solid_layers", "0".into()),
        ("top_solid_min_thickness", "0".into()),
    ]
}

/// The interface plane and the 2D frame the footprint loops are given in, with the distance
/// within which a vertex counts as lying in the plane.
#[derive(Debug, Clone, Copy)]
pub struct InterfaceFrame {
    pub normal: Vector3<f64>,
    pub origin_mm: Point3<f64>,
    pub u: Vector3<f64>,
    pub v: Vector3<f64>,
    pub snap_mm: f64,
}

/// Why the lattice could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LatticeError {
    #[error("{0}")]
    Parameter(String),
    /// The layout would exceed [`MAX_PORES`] or [`MAX_LATTICE_TRIANGLES`].
    #[error("{0}")]
    OverBudget(String),
    #[error(transparent)]
    Pores(#[from] PoreError),
}

/// The result of [`build_lattice`]: both halves, the interface zone as a modifier volume (in
/// infill mode) and the report.
pub struct LatticeBuilt {
    pub baseplate: Mesh,
    pub molded: Mesh,
    pub infill_zone: Option<Mesh>,
    pub report: LatticeReport,
}

/// Lays out pores in the footprint and builds them into both halves (or, in infill mode,
/// builds the zone under the interface as a modifier volume). Returns the new baseplate and
/// molded region and the report. `plate_thickness_mm` bounds the depth: at
/// least [`FLOOR_LAYERS`] layers of the plate stay under the pores.
pub fn build_lattice(
    baseplate: &Mesh,
    molded: &Mesh,
    frame: &InterfaceFrame,
    footprint: &[Vec<[f64; 2]>],
    plate_thickness_mm: f64,
    process: &PrintAndMold,
    request: &LatticeRequest,
) -> Result<LatticeBuilt, LatticeError> {
    let (printer, pair) = (process.printer, process.pair);
    let (pattern, params) = layout_params(request, printer)?;
    let floor_mm = FLOOR_LAYERS * printer.layer_height_mm;
    let depth_mm = match request.depth_mm {
        Some(d) if d > plate_thickness_mm - floor_mm + 1e-9 => {
            return Err(LatticeError::Parameter(format!(
                "--depth-mm {d} leaves less than {floor_mm:.2} mm ({FLOOR_LAYERS} layers) of the {plate_thickness_mm:.2} mm plate under the pores; use at most {:.2}",
                plate_thickness_mm - floor_mm
            )));
        }
        Some(d) => d,
        None => match default_depth_mm(printer, plate_thickness_mm) {
            Some(d) => d,
            // Not an error: the part goes on with a plain interface, and the report says why.
            None => {
                return Ok(plain_interface(
                    baseplate,
                    molded,
                    request,
                    pair,
                    footprint,
                    format!(
                        "the {plate_thickness_mm:.2} mm plate is too thin for pores above a floor of {floor_mm:.2} mm ({FLOOR_LAYERS} layers): the interface stays plain"
                    ),
                ));
            }
        },
    };
    let plane = Plane::through(&frame.origin_mm, Unit::new_normalize(frame.normal));
    let pframe = PlaneFrame {
        plane,
        origin: frame.origin_mm,
        u: frame.u,
        v: frame.v,
    };
    let mut warnings: Vec<String> = pair.adhesion_warning().into_iter().collect();
    let area: f64 = footprint.iter().map(|l| ring_area(l)).sum();
    let layers = depth_mm / printer.layer_height_mm;
    if (layers - layers.round()).abs() > 1e-6 {
        warnings.push(format!(
            "depth {depth_mm} mm is not a whole number of {} mm layers: the slicer will round it",
            printer.layer_height_mm
        ));
    }
    let zone = Zone {
        baseplate,
        molded,
        pframe: &pframe,
        footprint,
        area_mm2: area,
        depth_mm,
        snap_mm: frame.snap_mm,
    };
    if let LatticeKind::Infill { density_percent } = request.kind {
        return infill_zone(&zone, density_percent, printer, pair, warnings);
    }
    pore_lattice(&zone, request, (pattern, params), printer, pair, warnings)
}

/// Pores cut into the baseplate under the footprint and matching pins on the molded region,
/// laid out by `layout` (pattern and parameters), with the fill and bond they give; a layout
/// over the pore budget leaves the interface plain with the reason.
fn pore_lattice(
    zone: &Zone,
    request: &LatticeRequest,
    layout: (Pattern, LayoutParams),
    printer: &Printer,
    pair: &MaterialPair,
    mut warnings: Vec<String>,
) -> Result<LatticeBuilt, LatticeError> {
    let Zone {
        baseplate,
        molded,
        pframe,
        footprint,
        depth_mm,
        snap_mm,
        ..
    } = *zone;
    let (pattern, params) = layout;
    let profile = pore_profile(request, printer, depth_mm, &mut warnings);
    let layout = match budgeted_layout(zone, &params, profile) {
        Ok(layout) => layout,
        Err(why) => return over_budget_outcome(why, baseplate, molded, request, pair, footprint),
    };
    layout_warnings(&layout, &params, profile, printer, &mut warnings);
    let rings: Vec<Vec<[f64; 2]>> = layout.pores.iter().map(|p| p.outline_mm.clone()).collect();
    let channel = match pattern {
        Pattern::Slots => Channel::Slit,
        Pattern::Grid | Pattern::Hex => Channel::Tube,
    };
    let fill = bond::fill(params.pore_mm, depth_mm, channel, pair.molded);
    if !rings.is_empty() {
        fill_warning(&fill, depth_mm, "--pore-mm higher", &mut warnings);
    }
    let bond = pin_bond(zone, &layout, &rings, &fill, profile, pair);
    let (b, m) = if rings.is_empty() {
        (baseplate.clone(), molded.clone())
    } else {
        add_profiled_pores_and_pins(
            baseplate, molded, pframe, &rings, depth_mm, profile, snap_mm,
        )?
    };
    let pin_volume_mm3 = b.signed_volume_mm3() - baseplate.signed_volume_mm3();
    let report = LatticeReport {
        lattice: format!("{pattern:?}").to_lowercase(),
        pore_mm: params.pore_mm,
        wall_mm: params.wall_mm,
        depth_mm,
        margin_mm: params.margin_mm,
        angle_deg: params.angle_deg,
        pores: layout.pores.len(),
        pin_area_mm2: layout.pore_area_mm2,
        pin_area_fraction: layout.area_fraction,
        pin_volume_mm3: -pin_volume_mm3,
        profile: if profile.flare_mm > 0.0 {
            "dovetail"
        } else {
            "straight"
        }
        .into(),
        neck_mm: profile.neck_mm,
        flare_mm: profile.flare_mm,
        single_row_pieces: layout.single_row_pieces,
        infill_density_percent: None,
        open_area_fraction: None,
        expected_fill_depth_mm: Some(fill.fill_depth_mm),
        fill: Some(fill),
        bond: Some(bond),
        lattice_warnings: warnings,
    };
    Ok(LatticeBuilt {
        baseplate: b,
        molded: m,
        infill_zone: None,
        report,
    })
}

/// The pores laid out in the zone's footprint by `params` widened for the profile's flare,
/// or why they are over the pore budget ([`over_budget`]). A step of its own because the
/// budget is checked twice, before the layout (on its bound) and after it (on its count),
/// and both checks must come before any mesh is built.
fn budgeted_layout(
    zone: &Zone,
    params: &LayoutParams,
    profile: PoreProfile,
) -> Result<Layout, String> {
    // The flared floor is the pore's outline offset by the flare, corners mitred: a corner
    // moves out by up to flare·√2 (a square's), so the margin grows by that much; side by side
    // pores face each other edge to edge (squares, slots) or nearly (round pores, whose
    // vertices move by flare / cos(π / segments)).
    let mut layout_params = *params;
    layout_params.wall_mm +=
        2.0 * profile.flare_mm / (std::f64::consts::PI / params.round_segments as f64).cos();
    layout_params.margin_mm += profile.flare_mm * std::f64::consts::SQRT_2;
    // Counted before anything is laid out: a footprint in the wrong unit or a tiny pitch asks
    // for millions of pores, and the layout and the meshes follow that count.
    let levels = if profile.flare_mm > 0.0 { 2.0 } else { 1.0 };
    let expected = bound(zone.footprint, &layout_params);
    let over = |pores: f64, vertices: f64| {
        over_budget(
            pores,
            pore_triangles(vertices, levels),
            zone.area_mm2,
            &layout_params,
        )
    };
    if let Some(why) = over(expected.pores, expected.outline_vertices) {
        return Err(why);
    }
    let layout = lay_out(zone.footprint, &layout_params);
    // The bound is an estimate (pores along an edge can add a few): the layout is counted too,
    // still before the meshes are built.
    let vertices: usize = layout.pores.iter().map(|p| p.outline_mm.len()).sum();
    if let Some(why) = over(layout.pores.len() as f64, vertices as f64) {
        return Err(why);
    }
    Ok(layout)
}

/// The layout's notes (ribs too narrow for pores) and the warnings the chosen sizes call
/// for: the dovetail's flare taken from narrow ribs, walls under two extrusion widths
/// (`params` are the sizes as asked, before the flare widened them).
fn layout_warnings(
    layout: &Layout,
    params: &LayoutParams,
    profile: PoreProfile,
    printer: &Printer,
    warnings: &mut Vec<String>,
) {
    warnings.extend(layout.notes.iter().cloned());
    if profile.flare_mm > 0.0 && !layout.notes.is_empty() {
        warnings.push(format!(
            "with --dovetail the margin and the walls include the {:.2} mm flare of the pore floors: narrow ribs take no dovetail pores; drop --dovetail or lower --depth-mm for them",
            profile.flare_mm
        ));
    }
    if params.wall_mm < 2.0 * printer.extrusion_width_mm - 1e-9 {
        warnings.push(format!(
            "walls of {} mm are under two extrusion widths ({} mm): they may print broken; raise --wall-mm",
            params.wall_mm,
            2.0 * printer.extrusion_width_mm
        ));
    }
}

/// The bond of the interface with pins in the pores `rings` (the layout's outlines), filled
/// as `fill` says: the pins' cross-section and the side walls the melt reaches, and for a
/// filled dovetail the neck wall a pin must shear to pull out.
fn pin_bond(
    zone: &Zone,
    layout: &Layout,
    rings: &[Vec<[f64; 2]>],
    fill: &Fill,
    profile: PoreProfile,
    pair: &MaterialPair,
) -> Bond {
    let depth_mm = zone.depth_mm;
    let pin_perimeter: f64 = rings.iter().map(|r| ring_perimeter(r)).sum();
    let geometry = BondGeometry {
        interface_area_mm2: zone.area_mm2,
        pin_area_mm2: layout.pore_area_mm2,
        pin_side_area_mm2: pin_perimeter * fill.fill_depth_mm,
        filled_fraction: fill.fill_depth_mm / depth_mm,
        // A filled dovetail pin pulls out only by shearing the printed neck wall around it.
        ledge_area_mm2: if profile.flare_mm > 0.0 && fill.fill_depth_mm >= depth_mm {
            pin_perimeter * profile.neck_mm
        } else {
            0.0
        },
    };
    bond::bond(&geometry, pair, pair.adhesion_mpa)
}

/// The lattice's pattern and layout parameters: the printer's defaults, overridden by the
/// request; pores below the printer's minimum sizes are an error.
fn layout_params(
    request: &LatticeRequest,
    printer: &Printer,
) -> Result<(Pattern, LayoutParams), LatticeError> {
    let pattern = match request.kind {
        LatticeKind::Pores(p) => p,
        LatticeKind::Infill { .. } => Pattern::Grid,
    };
    let mut params = LayoutParams::for_printer(printer, pattern);
    params.pore_mm = request.pore_mm.unwrap_or(params.pore_mm);
    params.wall_mm = request.wall_mm.unwrap_or(params.wall_mm);
    params.margin_mm = request.margin_mm.unwrap_or(params.margin_mm);
    params.angle_deg = request.angle_deg;
    if let LatticeKind::Pores(_) = request.kind {
        check_sizes(&params, printer)?;
    }
    Ok((pattern, params))
}

/// The interface region an infill zone fills: the meshes it goes with, the footprint in its
/// plane, its area and the zone's depth.
struct Zone<'a> {
    baseplate: &'a Mesh,
    molded: &'a Mesh,
    pframe: &'a PlaneFrame,
    footprint: &'a [Vec<[f64; 2]>],
    area_mm2: f64,
    depth_mm: f64,
    /// The split's snap distance: vertices this close to the cut plane lie on the face the
    /// pores are cut into.
    snap_mm: f64,
}

/// `--lattice infill`: no pores cut; a modifier volume under the footprint printed at
/// `density_percent`, whose gaps the melt fills (or, too narrow to stay open, a plain
/// interface with a warning).
fn infill_zone(
    zone: &Zone,
    density_percent: f64,
    printer: &Printer,
    pair: &MaterialPair,
    mut warnings: Vec<String>,
) -> Result<LatticeBuilt, LatticeError> {
    let Zone {
        baseplate,
        molded,
        pframe,
        footprint,
        area_mm2: area,
        depth_mm,
        ..
    } = *zone;
    if !(density_percent > 0.0 && density_percent < 100.0) {
        return Err(LatticeError::Parameter(format!(
            "--infill-percent {density_percent}: must be between 0 and 100"
        )));
    }
    let prism = footprint_prism(pframe, footprint, depth_mm)?;
    let perimeter: f64 = footprint.iter().map(|l| ring_perimeter(l)).sum();
    // Twice the area over the perimeter: a strip's width.
    let width = 2.0 * area / perimeter.max(1e-12);
    // Two perimeters on each side, and room for two infill lines between them.
    let solid_below = 6.0 * printer.extrusion_width_mm;
    let stays_closed = width < solid_below;
    if stays_closed {
        warnings.push(format!(
            "the interface is about {width:.2} mm wide: under {solid_below:.2} mm (two perimeters on each side and two infill lines) the slicer prints it solid and the infill zone stays closed; use pores (--lattice grid|hex|slots) for ribs this thin"
        ));
    }
    // Grid infill: lines in two directions, each at half the density, so lines of one
    // direction lie 2·w/ρ apart; the melt flows into the gaps between them (slits).
    let rho = density_percent / 100.0;
    let spacing = 2.0 * printer.extrusion_width_mm / rho;
    let gap = spacing - printer.extrusion_width_mm;
    let mut fill = bond::fill(gap, depth_mm, Channel::Slit, pair.molded);
    if stays_closed {
        // Printed solid, the zone has no gaps: nothing to fill, a plain interface.
        fill.fill_depth_mm = 0.0;
    }
    let filled = fill.fill_depth_mm / depth_mm;
    let geometry = BondGeometry {
        interface_area_mm2: area,
        pin_area_mm2: area * (1.0 - rho),
        // Both sides of every line: 2 sides x 2 directions / spacing per unit area.
        pin_side_area_mm2: area * 4.0 / spacing * fill.fill_depth_mm,
        filled_fraction: filled,
        ledge_area_mm2: 0.0,
    };
    let bond = if stays_closed {
        plain_bond(area, pair).0
    } else {
        fill_warning(&fill, depth_mm, "--infill-percent lower", &mut warnings);
        bond::bond(&geometry, pair, pair.adhesion_mpa)
    };
    let report = LatticeReport {
        depth_mm,
        infill_density_percent: Some(density_percent),
        open_area_fraction: Some(1.0 - rho),
        expected_fill_depth_mm: Some(fill.fill_depth_mm),
        fill: Some(fill),
        ..LatticeReport::without_pores("infill".into(), bond, warnings)
    };
    Ok(LatticeBuilt {
        baseplate: baseplate.clone(),
        molded: molded.clone(),
        infill_zone: Some(prism),
        report,
    })
}

/// The pores' profile: straight, or with `--dovetail` a dovetail if the depth leaves room
/// for one under its neck (else straight, with a warning).
fn pore_profile(
    request: &LatticeRequest,
    printer: &Printer,
    depth_mm: f64,
    warnings: &mut Vec<String>,
) -> PoreProfile {
    // A dovetail: a neck of two layers, then 45° walls (one layer out per layer down, which
    // the printer builds without support, as the plate overhangs the pore inward by the
    // 45° rule). Walls and margin grow by the flare so the floors keep them.
    if request.dovetail {
        let neck = DOVETAIL_NECK_LAYERS * printer.layer_height_mm;
        let flare = depth_mm - neck;
        if flare < printer.layer_height_mm - 1e-9 {
            warnings.push(format!(
                "pores {depth_mm} mm deep leave no room for a dovetail under a {neck} mm neck: made straight; raise --depth-mm"
            ));
            PoreProfile::STRAIGHT
        } else {
            PoreProfile {
                neck_mm: neck,
                flare_mm: flare,
            }
        }
    } else {
        PoreProfile::STRAIGHT
    }
}

/// Most pores a lattice may place (see docs/models.md, "Lattice budget").
pub const MAX_PORES: f64 = 50_000.0;
/// Most triangles the pores and pins of a lattice may add to the two halves together.
pub const MAX_LATTICE_TRIANGLES: f64 = 2_000_000.0;

/// Triangles that pores with `outline_vertices` outline vertices in all add to both halves: per
/// pore of k vertices and per half, k + 2 in the re-triangulated face (a hole of k vertices),
/// 2k per band of wall (one band straight, two for a dovetail) and k - 2 for the floor or the
/// pin's end, so 2k (1 + bands) per half.
pub fn pore_triangles(outline_vertices: f64, bands: f64) -> f64 {
    2.0 * 2.0 * outline_vertices * (1.0 + bands)
}

/// Pore and wall sizes the printer can make: finite and positive, a pore at least the smallest
/// printable pore (two nozzle diameters), a wall at least one extrusion width (a thinner wall
/// is not printed at all; under two widths it may print broken, which is a warning).
fn check_sizes(params: &LayoutParams, printer: &Printer) -> Result<(), LatticeError> {
    let bad = |what: &str, v: f64| {
        LatticeError::Parameter(format!("--{what} {v}: must be a finite number above 0"))
    };
    if !(params.pore_mm.is_finite() && params.pore_mm > 0.0) {
        return Err(bad("pore-mm", params.pore_mm));
    }
    if !(params.wall_mm.is_finite() && params.wall_mm > 0.0) {
        return Err(bad("wall-mm", params.wall_mm));
    }
    if !(params.margin_mm.is_finite() && params.margin_mm >= 0.0) {
        return Err(LatticeError::Parameter(format!(
            "--margin-mm {}: must be a finite number of 0 or more",
            params.margin_mm
        )));
    }
    if !params.angle_deg.is_finite() {
        return Err(LatticeError::Parameter(format!(
            "--angle-deg {}: must be a finite number",
            params.angle_deg
        )));
    }
    if params.pore_mm < params.min_pore_mm - 1e-9 {
        return Err(LatticeError::Parameter(format!(
            "pores of {} mm are below the printable minimum of {} mm (two nozzle diameters of {} mm): use --pore-mm {} or more",
            params.pore_mm, params.min_pore_mm, printer.nozzle_mm, params.min_pore_mm
        )));
    }
    if params.wall_mm < printer.extrusion_width_mm - 1e-9 {
        return Err(LatticeError::Parameter(format!(
            "walls of {} mm are below the printable minimum of {} mm (one extrusion width): use --wall-mm {} or more ({} recommended: two extrusion widths)",
            params.wall_mm,
            printer.extrusion_width_mm,
            printer.extrusion_width_mm,
            2.0 * printer.extrusion_width_mm
        )));
    }
    Ok(())
}

/// Why a layout of `pores` pores and `triangles` triangles is over the budget, with what to
/// change; `None` within it.
fn over_budget(pores: f64, triangles: f64, area_mm2: f64, params: &LayoutParams) -> Option<String> {
    if pores <= MAX_PORES && triangles <= MAX_LATTICE_TRIANGLES {
        return None;
    }
    let pitch = params.pore_mm + params.wall_mm;
    // The count goes with one over the pitch squared.
    let factor = (pores / MAX_PORES).max(triangles / MAX_LATTICE_TRIANGLES);
    let needed = pitch * factor.sqrt();
    let pattern = format!("{:?}", params.pattern).to_lowercase();
    Some(format!(
        "the {pattern} lattice would place about {pores:.0} pores ({triangles:.0} triangles) in the {area_mm2:.0} mm² interface, over the budget of {MAX_PORES:.0} pores and {MAX_LATTICE_TRIANGLES:.0} triangles: check --units, make the pitch (--pore-mm + --wall-mm, now {pitch:.2} mm) at least {needed:.2} mm, or use --lattice none or --lattice infill"
    ))
}

/// A lattice over its budget: an error when it was asked for by name, the plain interface
/// with the reason as a warning for the default lattice.
fn over_budget_outcome(
    why: String,
    baseplate: &Mesh,
    molded: &Mesh,
    request: &LatticeRequest,
    pair: &MaterialPair,
    footprint: &[Vec<[f64; 2]>],
) -> Result<LatticeBuilt, LatticeError> {
    if request.explicit {
        return Err(LatticeError::OverBudget(why));
    }
    Ok(plain_interface(
        baseplate,
        molded,
        request,
        pair,
        footprint,
        format!("{why}; the default lattice is left out: the interface stays plain"),
    ))
}

/// The interface left plain (no pores, no zone), with the reason among the warnings.
fn plain_interface(
    baseplate: &Mesh,
    molded: &Mesh,
    request: &LatticeRequest,
    pair: &MaterialPair,
    footprint: &[Vec<[f64; 2]>],
    why: String,
) -> LatticeBuilt {
    let area: f64 = footprint.iter().map(|l| ring_area(l)).sum();
    let (bond, mut warnings) = plain_bond(area, pair);
    warnings.insert(0, why);
    let lattice = match request.kind {
        LatticeKind::Pores(p) => format!("{p:?}").to_lowercase(),
        LatticeKind::Infill { .. } => "infill".into(),
    };
    LatticeBuilt {
        baseplate: baseplate.clone(),
        molded: molded.clone(),
        infill_zone: None,
        report: LatticeReport {
            angle_deg: request.angle_deg,
            ..LatticeReport::without_pores(lattice, bond, warnings)
        },
    }
}

impl LatticeReport {
    /// A report of no pores and no zone (every size zero), with the interface's bond and the
    /// warnings; the infill and plain cases fill in what they have.
    fn without_pores(lattice: String, bond: Bond, lattice_warnings: Vec<String>) -> Self {
        LatticeReport {
            lattice,
            pore_mm: 0.0,
            wall_mm: 0.0,
            depth_mm: 0.0,
            margin_mm: 0.0,
            angle_deg: 0.0,
            pores: 0,
            pin_area_mm2: 0.0,
            pin_area_fraction: 0.0,
            pin_volume_mm3: 0.0,
            profile: "straight".into(),
            neck_mm: 0.0,
            flare_mm: 0.0,
            single_row_pieces: 0,
            infill_density_percent: None,
            open_area_fraction: None,
            expected_fill_depth_mm: None,
            fill: None,
            bond: Some(bond),
            lattice_warnings,
        }
    }
}

/// Warns when the melt is expected to freeze before it reaches the bottom of the pores.
fn fill_warning(fill: &Fill, depth_mm: f64, remedy: &str, warnings: &mut Vec<String>) {
    if fill.fill_depth_mm < depth_mm - 1e-9 {
        warnings.push(format!(
            "the melt is expected to freeze {:.2} mm into the {depth_mm} mm deep pores (freeze time {:.2} s): make --depth-mm {:.2} or less, set {remedy}, or raise the mold temperature in materials.toml",
            fill.fill_depth_mm, fill.freeze_time_s, fill.fill_depth_mm
        ));
    }
}

/// Layers of the straight neck of a dovetail pore.
pub const DOVETAIL_NECK_LAYERS: f64 = 2.0;

/// Layers of solid material left under the pores (see docs/models.md).
pub const FLOOR_LAYERS: f64 = 3.0;
/// Pore depth in layers when the plate allows it.
pub const DEPTH_LAYERS: f64 = 5.0;

impl LayoutParams {
    /// Defaults derived from the printer (docs/models.md): pores and walls two extrusion
    /// widths, a margin of one, the smallest pore two nozzle diameters.
    pub fn for_printer(printer: &Printer, pattern: Pattern) -> Self {
        let two_widths = 2.0 * printer.extrusion_width_mm;
        LayoutParams {
            pattern,
            pore_mm: (two_widths * 10.0).ceil() / 10.0,
            wall_mm: two_widths,
            margin_mm: printer.extrusion_width_mm,
            angle_deg: 0.0,
            phase_mm: [0.0, 0.0],
            min_pore_mm: 2.0 * printer.nozzle_mm,
            round_segments: 16,
        }
    }
}

/// Default pore depth: five layers, at most the plate thickness less a floor of three layers,
/// in whole layers; `None` when the plate is too thin for even one layer of pore.
pub fn default_depth_mm(printer: &Printer, plate_thickness_mm: f64) -> Option<f64> {
    let layer = printer.layer_height_mm;
    let room = ((plate_thickness_mm / layer) - FLOOR_LAYERS + 1e-9).floor();
    let layers = room.min(DEPTH_LAYERS);
    (layers >= 1.0).then_some(layers * layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_from_the_desktop_printer() {
        let p = crate::models::default_printer();
        let l = LayoutParams::for_printer(&p, Pattern::Grid);
        assert!((l.pore_mm - 0.9).abs() < 1e-12 && (l.wall_mm - 0.9).abs() < 1e-12);
        assert!((l.margin_mm - 0.45).abs() < 1e-12 && (l.min_pore_mm - 0.8).abs() < 1e-12);
        // 3 mm plate: 15 layers, 3 for the floor, 5 for the pores.
        assert!((default_depth_mm(&p, 3.0).unwrap() - 1.0).abs() < 1e-12);
        // 1 mm plate: 5 layers, 3 for the floor, 2 for the pores.
        assert!((default_depth_mm(&p, 1.0).unwrap() - 0.4).abs() < 1e-12);
        assert!(default_depth_mm(&p, 0.7).is_none());
    }

    #[test]
    fn pore_triangles_per_pore_by_hand() {
        // A square pore, straight: per half 4 + 2 (the face around a 4-vertex hole), 8 (the
        // walls), 2 (floor or end) = 16; both halves 32. A dovetail adds a band of 8 walls
        // per half: 48.
        assert_eq!(pore_triangles(4.0, 1.0), 32.0);
        assert_eq!(pore_triangles(4.0, 2.0), 48.0);
        // 16-gon pores, straight: per half 18 + 32 + 14 = 64, both 128.
        assert_eq!(pore_triangles(16.0, 1.0), 128.0);
    }

    #[test]
    fn sizes_below_the_printers_minimum_are_errors() {
        let printer = crate::models::default_printer();
        let p = LayoutParams::for_printer(&printer, Pattern::Grid);
        assert!(check_sizes(&p, &printer).is_ok());
        for (pore, wall, what) in [
            (
                0.01,
                0.9,
                "pores of 0.01 mm are below the printable minimum of 0.8 mm",
            ),
            (
                0.9,
                0.01,
                "walls of 0.01 mm are below the printable minimum of 0.45 mm",
            ),
            (f64::NAN, 0.9, "--pore-mm NaN"),
            (0.9, f64::INFINITY, "--wall-mm inf"),
        ] {
            let q = LayoutParams {
                pore_mm: pore,
                wall_mm: wall,
                ..p
            };
            let e = check_sizes(&q, &printer).unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
        }
        // A wall of one extrusion width is printable (a warning says two are better).
        let thin = LayoutParams { wall_mm: 0.45, ..p };
        assert!(check_sizes(&thin, &printer).is_ok());
    }

    #[test]
    fn over_the_budget_names_the_count_the_budget_and_the_pitch_that_fits() {
        let printer = crate::models::default_printer();
        let p = LayoutParams::for_printer(&printer, Pattern::Grid);
        assert!(over_budget(MAX_PORES, MAX_LATTICE_TRIANGLES, 1.0, &p).is_none());
        // Four times the pores allowed: twice the pitch (1.8 mm) fits.
        let why = over_budget(4.0 * MAX_PORES, 0.0, 648_000.0, &p).unwrap();
        assert!(
            why.contains("about 200000 pores")
                && why.contains("budget of 50000 pores and 2000000 triangles")
                && why.contains("now 1.80 mm) at least 3.60 mm")
                && why.contains("--lattice none"),
            "{why}"
        );
    }
}
