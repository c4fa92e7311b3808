//! FFF (fused filament) build time and extruded volume from the part's own layer sections.
//!
//! The part is sliced at every layer's mid-height in one pass over the triangles. Each layer
//! gives its contour (exact, from the mesh: loops, their segments and corners) and a raster
//! of its section. From the raster come what a slicer decides by polygon offsets and
//! booleans: how long the inner perimeters are (bands of the section eroded step by step),
//! where the infill region is, and which of it must be solid because a layer within
//! `top_solid_layers` above or `bottom_solid_layers` below has no material there (top,
//! bottom, bridges over air or over sparse infill). Each feature's path length then goes
//! through a motion model of the printer: a trapezoidal speed profile per move with the
//! classic jerk junction speeds, the same planner PrusaSlicer's G-code time estimate runs;
//! perimeters on the real contour segments and corners, infill on a zig-zag of lines of the
//! section's mean chord length. Travels, retractions, Z hops, the cooling slowdown of short
//! layers and the volumetric limit of the hot end complete the layer time. Equations and
//! sources: docs/method.md, "FFF build time".
//!
//! The stages, one file each, in the order `estimate_fff` runs them:
//! - `profile`: widths, spacings and each feature's speed and acceleration, from the printer
//!   and the settings;
//! - `layers`: the slicing, every layer's contour segments; `contour`: their loops;
//! - `raster`: the bit raster of a section, its filling and erosion;
//! - `regions`: every layer's infill region and which of it is solid, top or bridge;
//!   `pieces`: its connected regions, and the pieces and holes of what is printed as a kind;
//! - `perimeters`, `infill`: the extrusion jobs of a layer (`paths`: a job and its time);
//! - `motion`: the planner that times a job's moves;
//! - `travel`: travels, retractions, Z hops; `cooling`: the slowdown of short layers;
//! - here: the composition per layer and the sum over the layers.

mod contour;
mod cooling;
mod infill;
mod layers;
mod motion;
mod paths;
mod perimeters;
mod pieces;
mod profile;
mod raster;
mod regions;
mod travel;

use hashbrown::HashMap;
use nalgebra::{Unit, Vector3};
use rayon::prelude::*;

use crate::mesh::Mesh;
use crate::models::FffPrinter;
use contour::{chain, joined_loops};
use infill::{Infill, infill_jobs};
use layers::Layers;
pub use motion::trapezoid_s;
use paths::Job;
use perimeters::perimeter_jobs;
use pieces::infill_regions;
use profile::{Profile, cross_section};
use raster::Raster;
use regions::Masks;
use travel::{Travels, infill_paths, retract_and_hop_s, z_move_s};

/// What the user chooses for a print (the CLI's --layer-mm --nozzle-mm --perimeters --infill).
#[derive(Debug, Clone, PartialEq)]
pub struct FffSettings {
    pub layer_mm: f64,
    pub nozzle_mm: f64,
    pub perimeters: u32,
    /// Sparse infill density, 0..1.
    pub infill_fraction: f64,
}

impl FffSettings {
    /// The printer's own profile.
    pub fn for_printer(p: &FffPrinter) -> Self {
        FffSettings {
            layer_mm: p.layer_height_mm,
            nozzle_mm: p.nozzle_mm,
            perimeters: p.perimeters,
            infill_fraction: p.infill_fraction,
        }
    }
}

impl Default for FffSettings {
    /// 0.4 mm nozzle, 0.2 mm layers, 2 perimeters, 20 % infill: the embedded desktop printer.
    fn default() -> Self {
        FffSettings::for_printer(&crate::models::default_printer())
    }
}

/// Estimated build: total time, its breakdown and the material.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FffEstimate {
    pub time_s: f64,
    pub extruded_mm3: f64,
    pub layers: usize,
    /// Perimeter loops (external, inner, small), first layer included.
    pub perimeters_s: f64,
    /// Sparse infill.
    pub infill_s: f64,
    /// Solid infill: bottom, internal solid, top surfaces, bridges.
    pub solid_s: f64,
    /// Travel moves in the plane.
    pub travel_s: f64,
    /// Retractions, Z hops and layer changes.
    pub overhead_s: f64,
    /// Time added by slowing short layers down for cooling.
    pub cooling_slowdown_s: f64,
    /// Path lengths (mm) of perimeters, sparse infill and solid infill.
    pub perimeter_mm: f64,
    pub sparse_infill_mm: f64,
    pub solid_infill_mm: f64,
    /// Retracted travels (each with a Z hop).
    pub retractions: usize,
    /// Raster cell used for the layer regions (mm).
    pub raster_cell_mm: f64,
}

/// Time and length of one layer's features.
#[derive(Debug, Clone, Copy, Default)]
struct LayerTime {
    perimeters_s: f64,
    infill_s: f64,
    solid_s: f64,
    travel_s: f64,
    overhead_s: f64,
    cooling_s: f64,
    perimeter_mm: f64,
    sparse_mm: f64,
    solid_mm: f64,
    extruded_mm3: f64,
    retractions: usize,
}

/// Estimates the FFF build of `mesh` printed with `build_axis` up.
pub fn estimate_fff(
    mesh: &Mesh,
    build_axis: &Unit<Vector3<f64>>,
    settings: &FffSettings,
    printer: &FffPrinter,
) -> FffEstimate {
    let prof = Profile::new(settings, printer);
    let Some(layers) = Layers::slice(mesh, build_axis, prof.h) else {
        return FffEstimate::default();
    };
    let n = layers.count();
    // The raster: half a line spacing, coarser only for very large parts.
    let raster = Raster::covering(layers.bounds, prof.s / 2.0, n);
    let inside: Vec<Vec<u64>> = (0..n)
        .into_par_iter()
        .map(|k| raster.fill(&layers.segments(k)))
        .collect();
    let masks = Masks::new(&raster, inside, &prof);
    // Layers cut through the same mesh edges (a prism's straight walls) chain into the same
    // loops: each run of them is chained once.
    let chain_of = first_of_runs(n, |k| layers.same_edges(k - 1, k));
    let chains: Vec<Option<Vec<Vec<u32>>>> = (0..n)
        .into_par_iter()
        .map(|k| (chain_of[k] == k).then(|| chain(&layers.keys(k))))
        .collect();
    // Layers whose masks are the same (a plate's or a rib's straight stretch) have the same
    // infill, worked out once: the first layer of each key stands for the others.
    let mut part_of = vec![0; n];
    let mut standing: Vec<usize> = Vec::new();
    let mut seen: HashMap<regions::InfillKey, usize> = HashMap::new();
    for (k, part) in part_of.iter_mut().enumerate() {
        if layers.is_empty(k) {
            continue;
        }
        *part = *seen.entry(masks.infill_key(k)).or_insert_with(|| {
            standing.push(k);
            standing.len() - 1
        });
    }
    let mut stack = Stack {
        prof: &prof,
        printer,
        layers: &layers,
        raster: &raster,
        masks: &masks,
        chains: &chains,
        chain_of: &chain_of,
        infill: Vec::new(),
        infill_of: &part_of,
    };
    stack.infill = standing.par_iter().map(|&k| stack.infill_part(k)).collect();
    let layer_times: Vec<LayerTime> = (0..n)
        .into_par_iter()
        .map(|k| stack.layer_time(k))
        .collect();
    total(&layer_times, n, raster.cell)
}

/// Per layer of `n`: the first layer of its run of consecutive layers for which `same(k)`
/// (layer `k` is like layer `k − 1`) holds.
fn first_of_runs(n: usize, same: impl Fn(usize) -> bool + Sync) -> Vec<usize> {
    let like_previous: Vec<bool> = (0..n).into_par_iter().map(|k| k > 0 && same(k)).collect();
    let mut first = Vec::with_capacity(n);
    for (k, &s) in like_previous.iter().enumerate() {
        let start = if s { first[k - 1] } else { k };
        first.push(start);
    }
    first
}

/// What a layer's infill comes to, from its masks alone.
struct InfillPart {
    infill: Infill,
    /// Its jobs, in the order the layer prints them after the perimeters.
    jobs: Vec<Job<'static>>,
    /// Sparse and solid infill time at full speed (s).
    sparse_s: f64,
    solid_s: f64,
    /// The infill paths, each entered by a retracted travel.
    paths: usize,
}

/// What every layer's time is worked out from: the stages run over all layers at once.
struct Stack<'a> {
    prof: &'a Profile,
    printer: &'a FffPrinter,
    layers: &'a Layers,
    raster: &'a Raster,
    masks: &'a Masks,
    /// Contour loops per run's first layer (`chain_of`).
    chains: &'a [Option<Vec<Vec<u32>>>],
    chain_of: &'a [usize],
    /// The infill of each layer standing for those of the same masks (`infill_of`).
    infill: Vec<InfillPart>,
    infill_of: &'a [usize],
}

impl Stack<'_> {
    /// The infill of layer `k`: its regions, their jobs and paths.
    fn infill_part(&self, k: usize) -> InfillPart {
        let (prof, printer, raster) = (self.prof, self.printer, self.raster);
        let first = k == 0;
        let eroded = self.masks.fill(k);
        let classes = self.masks.classes(k);
        let core = self.masks.core(raster, k);
        let (regions, region_runs) = infill_regions(raster, eroded, &core, &classes);
        let mut jobs = Vec::new();
        let infill = infill_jobs(&regions, raster.cell, prof, printer, first, &mut jobs);
        // Infill jobs go to the sparse and solid buckets only.
        let [_, sparse_s, solid_s] = paths::bucket_times_s(&jobs, &prof.planner);
        let paths = infill_paths(
            raster,
            &region_runs,
            &infill.printed_as,
            &classes,
            &core,
            infill.kinds_present,
            printer,
        );
        InfillPart {
            infill,
            jobs,
            sparse_s,
            solid_s,
            paths,
        }
    }

    /// Layer `k`: its regions, paths and times.
    fn layer_time(&self, k: usize) -> LayerTime {
        let (prof, printer, raster) = (self.prof, self.printer, self.raster);
        let segs = &self.layers.segments(k);
        if segs.is_empty() {
            return LayerTime::default();
        }
        let first = k == 0;
        let loops = self.chains[self.chain_of[k]].as_deref().unwrap_or(&[]);
        let joined = joined_loops(loops, segs);
        let traces: Vec<(f64, Vec<motion::Move>)> =
            loops.iter().map(|lp| motion::trace(segs, lp)).collect();
        let part = &self.infill[self.infill_of[k]];
        let h = prof.h;
        let mut lt = LayerTime::default();
        let mut jobs = Vec::new();

        let counts = self.masks.depth_counts(k);
        lt.perimeter_mm += perimeter_jobs(&traces, counts, raster, prof, first, &mut jobs);
        let width = if first { prof.w_first } else { prof.w };
        lt.extruded_mm3 += lt.perimeter_mm * cross_section(width, h);

        let infill = &part.infill;
        lt.solid_mm = infill.solid_mm + infill.top_mm + infill.bridge_mm;
        lt.sparse_mm = infill.sparse_mm;
        lt.extruded_mm3 += infill.extruded_mm3(prof, width);

        // Perimeter jobs go to the perimeter bucket only.
        let [perimeters_s, _, _] = paths::bucket_times_s(&jobs, &prof.planner);
        [lt.perimeters_s, lt.infill_s, lt.solid_s] = [perimeters_s, part.sparse_s, part.solid_s];
        jobs.extend(part.jobs.iter().copied());

        let travels = Travels::new(joined, part.paths, prof.walls, self.layers.extent_mm());
        let dz = self.layers.dz_mm();
        lt.travel_s += travels.time_s(prof);
        lt.retractions = travels.retracted;
        lt.overhead_s +=
            travels.retracted as f64 * retract_and_hop_s(printer) + z_move_s(printer, dz);

        let full_speed_s = lt.perimeters_s + lt.infill_s + lt.solid_s;
        lt.cooling_s = cooling::slowdown_s(&jobs, &travels, prof, printer, dz, full_speed_s);
        lt
    }
}

/// The estimate of `n` layers timed `layer_times` on a raster of `cell_mm`.
fn total(layer_times: &[LayerTime], n: usize, cell_mm: f64) -> FffEstimate {
    let mut est = FffEstimate {
        layers: n,
        raster_cell_mm: cell_mm,
        ..FffEstimate::default()
    };
    for lt in layer_times {
        est.perimeters_s += lt.perimeters_s;
        est.infill_s += lt.infill_s;
        est.solid_s += lt.solid_s;
        est.travel_s += lt.travel_s;
        est.overhead_s += lt.overhead_s;
        est.cooling_slowdown_s += lt.cooling_s;
        est.perimeter_mm += lt.perimeter_mm;
        est.sparse_infill_mm += lt.sparse_mm;
        est.solid_infill_mm += lt.solid_mm;
        est.extruded_mm3 += lt.extruded_mm3;
        est.retractions += lt.retractions;
    }
    est.time_s = est.perimeters_s
        + est.infill_s
        + est.solid_s
        + est.travel_s
        + est.overhead_s
        + est.cooling_slowdown_s;
    est
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;
    use std::f64::consts::{FRAC_PI_4, PI, SQRT_2};

    /// The desktop printer with every corner a full stop (jerk 0), no retraction or Z hop and
    /// no cooling slowdown, so that a box can be timed by hand.
    fn hand_printer() -> FffPrinter {
        let mut p = crate::models::default_printer();
        p.max_jerk_xy_mm_s = 0.0;
        p.max_jerk_z_mm_s = 0.0;
        p.retract_length_mm = 0.0;
        p.retract_lift_mm = 0.0;
        p.wipe = false;
        p.slowdown_below_layer_time_s = 0.0;
        p
    }

    /// One move from rest to rest: the trapezoid ℓ/v + v/a when the move is long enough to
    /// reach v (ℓ ≥ v²/a), else the triangle 2 √(ℓ/a).
    fn stop_to_stop_s(len: f64, v: f64, a: f64) -> f64 {
        if len >= v * v / a {
            len / v + v / a
        } else {
            2.0 * (len / a).sqrt()
        }
    }

    #[test]
    fn box_time_by_hand() {
        // A 20 x 20 x 4 mm box, 0.2 mm layers: 20 layers of 0.2 mm, sliced at 0.1, 0.3, ...
        let mesh = cuboid([0.0, 0.0, 0.0], [20.0, 20.0, 4.0]);
        let p = hand_printer();
        let est = estimate_fff(&mesh, &Vector3::z_axis(), &FffSettings::for_printer(&p), &p);
        assert_eq!(est.layers, 20);

        // Line spacing s = w − h (1 − π/4) = 0.45 − 0.2 · 0.214602 = 0.407080 mm (first layer
        // 0.42 − 0.042920 = 0.377080, top 0.4 − 0.042920 = 0.357080, bridges 0.4 + 0.05).
        let h = 0.2;
        let s = 0.45 - h * (1.0 - FRAC_PI_4);
        let s_first = 0.42 - h * (1.0 - FRAC_PI_4);
        let s_top = 0.40 - h * (1.0 - FRAC_PI_4);
        let s_bridge = 0.45;
        // Raster cell c = s/2 = 0.203540 mm; cell centres at (i − ½) c from the box's edge:
        // 20 mm hold ceil(20/c − ½) = ceil(97.76) = 98 of them per side.
        let c = s / 2.0;
        let m = (20.0 / c - 0.5).ceil();
        assert_eq!(m, 98.0);
        // Erosion takes one cell off each side per step. Perimeter bands: depths 0-1 (first
        // perimeter, [0, s)) and 2-3 (second, [s, 2s)): 98² − 94² and 94² − 90² cells, so the
        // inner loop is 184/192 of the contour. The infill region reaches 25 % of a width
        // (0.1125 mm) into the inner perimeter: 2s − 0.1125 = 0.701660 mm = 3.447 cells,
        // ceil(3.447 − ½) = 3 steps: a square of 92 cells, 18.7257 mm, 350.66 mm².
        let inner_ratio = (94.0 * 94.0 - 90.0 * 90.0) / (98.0 * 98.0 - 94.0 * 94.0);
        let side = 92.0 * c;
        let area = side * side;
        // Its mean chord π A / P, with P the staircase boundary 4 · 92 cells times π/4: the side.
        let chord = side;

        // Speeds and accelerations: external perimeter 25 mm/s and inner 45 mm/s at 800 mm/s²;
        // infill 80 (solid 80, top 40, bridge 25) at min(1250, machine X/Y 1000) = 1000 mm/s²;
        // first layer everything at 20 mm/s and 800 mm/s²; travel 180 mm/s at 1000 mm/s².
        // With jerk 0 every corner is a stop, so each side of the square is one move (its two
        // collinear pieces join at full speed) and every infill line and link is one move.
        let loop_s = |v: f64, a: f64| 4.0 * stop_to_stop_s(20.0, v, a);
        // Infill of `len` mm: len / chord lines, each with a link along the edge (line
        // spacing · √2, the lines run at 45°).
        let zigzag_s = |len: f64, link: f64, v: f64, a: f64| {
            len / chord * (stop_to_stop_s(chord, v, a) + stop_to_stop_s(link, v, a))
        };
        // Layer 0: perimeters and solid bottom at first-layer speed.
        let first = loop_s(20.0, 800.0) * (1.0 + inner_ratio);
        let first_fill = zigzag_s(area / s_first, s_first * SQRT_2, 20.0, 800.0);
        // Layers 1-19: the same perimeters.
        let perimeters = loop_s(25.0, 800.0) + loop_s(45.0, 800.0) * inner_ratio;
        // Layers 1-3 solid (bottom: within 4 layers of the bed), 4-14 sparse (covered by
        // layers within 5 above and 4 below), 15 a bridge over sparse infill, 16-18 solid,
        // 19 the top surface.
        let solid = zigzag_s(area / s, s * SQRT_2, 80.0, 1000.0);
        let bridge = zigzag_s(area / s_bridge, s_bridge * SQRT_2, 25.0, 1000.0);
        let top = zigzag_s(area / s_top, s_top * SQRT_2, 40.0, 1000.0);
        // Sparse grid, 20 %: area · 0.2 / s of lines, links half a direction's spacing
        // 2s/0.2 along the edge: s/0.2 · √2.
        let sparse = zigzag_s(area * 0.2 / s, s / 0.2 * SQRT_2, 80.0, 1000.0);
        // Travels per layer: into the loop (the layer change goes straight there) and into
        // each infill path, retracted, each half the mean spacing of that many points on the
        // 20 x 20 mm part; and one short hop of s between the two perimeters. Solid layers
        // (0-3, 15-19): one infill path, 2 travels of ½ √(400/2) = 7.07 mm. Sparse layers
        // (4-14): the grid's two directions are two paths, 3 travels of ½ √(400/3) = 5.77 mm.
        let hop = |n: f64| n * stop_to_stop_s(0.5 * (400.0 / n).sqrt(), 180.0, 1000.0);
        let short_hop = stop_to_stop_s(s, 180.0, 1000.0);
        let travel_solid = hop(2.0) + short_hop;
        let travel_sparse = hop(3.0) + short_hop;
        // Layer change: 0.2 mm of Z at ≤ 12 mm/s and 200 mm/s²; no retraction, no hop.
        let z = stop_to_stop_s(0.2, 12.0, 200.0);

        let perimeters_s = first + 19.0 * perimeters;
        let solid_s = first_fill + 6.0 * solid + bridge + top;
        let infill_s = 11.0 * sparse;
        let travel_s = 9.0 * travel_solid + 11.0 * travel_sparse;
        let overhead_s = 20.0 * z;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1.0);
        assert!(
            close(est.perimeters_s, perimeters_s),
            "{} {perimeters_s}",
            est.perimeters_s
        );
        assert!(close(est.solid_s, solid_s), "{} {solid_s}", est.solid_s);
        assert!(close(est.infill_s, infill_s), "{} {infill_s}", est.infill_s);
        assert!(close(est.travel_s, travel_s), "{} {travel_s}", est.travel_s);
        assert!(
            close(est.overhead_s, overhead_s),
            "{} {overhead_s}",
            est.overhead_s
        );
        assert_eq!(est.cooling_slowdown_s, 0.0);
        let total = perimeters_s + solid_s + infill_s + travel_s + overhead_s;
        assert!(close(est.time_s, total), "{} {total}", est.time_s);

        // Extruded volume: line length × (w − h) h + π h²/4 per kind (bridges: π (0.4)²/4).
        let section = |w: f64| (w - h) * h + PI * h * h / 4.0;
        let loop_mm = 80.0 * (1.0 + inner_ratio);
        let volume = loop_mm * section(0.42)
            + 19.0 * loop_mm * section(0.45)
            + area / s_first * section(0.42)
            + 6.0 * area / s * section(0.45)
            + area / s_bridge * PI * 0.4 * 0.4 / 4.0
            + area / s_top * section(0.40)
            + 11.0 * area * 0.2 / s * section(0.45);
        assert!(
            close(est.extruded_mm3, volume),
            "{} {volume}",
            est.extruded_mm3
        );
    }

    #[test]
    fn upside_down_and_rotated_boxes_take_as_long() {
        let p = crate::models::default_printer();
        let settings = FffSettings::for_printer(&p);
        let mesh = cuboid([0.0, 0.0, 0.0], [30.0, 20.0, 10.0]);
        let up = estimate_fff(&mesh, &Vector3::z_axis(), &settings, &p);
        let down = estimate_fff(&mesh, &-Vector3::z_axis(), &settings, &p);
        assert_eq!((up.layers, down.layers), (50, 50));
        assert!(
            (up.time_s / down.time_s - 1.0).abs() < 0.01,
            "{} {}",
            up.time_s,
            down.time_s
        );
        // Lying on its 30 x 10 side (build axis y): 20 mm tall, 100 layers.
        let side = estimate_fff(&mesh, &Vector3::y_axis(), &settings, &p);
        assert_eq!(side.layers, 100);
        // Rotated in space together with its build axis: the same print.
        let rot = nalgebra::Rotation3::from_euler_angles(0.4, -0.7, 1.9);
        let mut turned = mesh.clone();
        turned.map_vertices(|v| rot * v);
        let axis = Unit::new_normalize(rot * Vector3::z());
        let t = estimate_fff(&turned, &axis, &settings, &p);
        assert_eq!(t.layers, 50);
        assert!(
            (t.time_s / up.time_s - 1.0).abs() < 0.03,
            "{} {}",
            t.time_s,
            up.time_s
        );
    }

    #[test]
    fn more_infill_and_more_perimeters_take_longer() {
        let p = crate::models::default_printer();
        let mesh = crate::samples::ribbed_plate().mesh();
        let base = FffSettings::for_printer(&p);
        let t = |s: &FffSettings| estimate_fff(&mesh, &Vector3::z_axis(), s, &p);
        let e0 = t(&base);
        // 3 mm plate + 12 mm ribs = 15 mm: 75 layers.
        assert_eq!(e0.layers, 75);
        let denser = t(&FffSettings {
            infill_fraction: 0.4,
            ..base.clone()
        });
        assert!(denser.infill_s > 1.5 * e0.infill_s && denser.time_s > e0.time_s);
        assert!(denser.extruded_mm3 > e0.extruded_mm3);
        let walls = t(&FffSettings {
            perimeters: 3,
            ..base.clone()
        });
        assert!(walls.perimeters_s > e0.perimeters_s);
        let coarse = t(&FffSettings {
            layer_mm: 0.3,
            ..base.clone()
        });
        assert_eq!(coarse.layers, 50);
        assert!(coarse.time_s < e0.time_s);
        // The extruded volume is about the part's volume (43200 mm³) less the sparse
        // infill's voids: between 60 % and 105 % of it.
        let v = mesh.signed_volume_mm3();
        assert!(
            e0.extruded_mm3 > 0.6 * v && e0.extruded_mm3 < 1.05 * v,
            "{}",
            e0.extruded_mm3
        );
    }

    #[test]
    fn empty_and_flat_meshes_take_no_time() {
        let p = crate::models::default_printer();
        let s = FffSettings::for_printer(&p);
        let e = estimate_fff(&Mesh::default(), &Vector3::z_axis(), &s, &p);
        assert_eq!((e.time_s, e.layers), (0.0, 0));
        let flat = cuboid([0.0, 0.0, 0.0], [10.0, 10.0, 0.0]);
        assert_eq!(estimate_fff(&flat, &Vector3::z_axis(), &s, &p).time_s, 0.0);
    }
}
