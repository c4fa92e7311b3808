//! The infill of a layer, region by region: which kind each class of cells is printed as,
//! and the zig-zag of lines of the region's mean chord that prints it.

use std::f64::consts::SQRT_2;

use super::paths::{Bucket, Job, Path};
use super::pieces::Region;
use super::profile::{BRIDGE_EXTRA_SPACING_MM, Feature, Profile, bridge_area, cross_section};
use super::regions::{BRIDGE, CLASSES, SOLID, SPARSE, TOP};
use crate::models::FffPrinter;

/// What a layer's infill comes to.
pub(super) struct Infill {
    /// Line lengths (mm) of internal solid infill, top surface, bridges and sparse infill.
    pub(super) solid_mm: f64,
    pub(super) top_mm: f64,
    pub(super) bridge_mm: f64,
    pub(super) sparse_mm: f64,
    /// The kinds printed anywhere on the layer.
    pub(super) kinds_present: [bool; CLASSES],
    /// Which kind each class of cells of each region is printed as (none: a sliver).
    pub(super) printed_as: Vec<[Option<usize>; CLASSES]>,
}

impl Infill {
    /// The extruded volume (mm³), solid lines `width` wide.
    pub(super) fn extruded_mm3(&self, prof: &Profile, width: f64) -> f64 {
        let h = prof.h;
        self.solid_mm * cross_section(width, h)
            + self.top_mm * cross_section(prof.w_top, h)
            + self.bridge_mm * bridge_area(prof.bridge_w)
            + self.sparse_mm * cross_section(prof.w, h)
    }
}

/// Adds the infill jobs of a layer's `regions` on a raster of `cell` mm to `jobs`.
///
/// Infill, region by region: lines of the region's mean chord (Cauchy: π A / P over all
/// directions). Regions smaller than solid_infill_below_area are solid. Solid: internal
/// solid, top surface, bridges; the first layer is all solid.
pub(super) fn infill_jobs(
    regions: &[Region],
    cell: f64,
    prof: &Profile,
    printer: &FffPrinter,
    first: bool,
    jobs: &mut Vec<Job>,
) -> Infill {
    let cell_mm2 = cell * cell;
    let mut infill = Infill {
        solid_mm: 0.0,
        top_mm: 0.0,
        bridge_mm: 0.0,
        sparse_mm: 0.0,
        kinds_present: [false; CLASSES],
        printed_as: vec![[None; CLASSES]; regions.len()],
    };
    for (r, kinds) in regions.iter().zip(infill.printed_as.iter_mut()) {
        if r.core_cells == 0 {
            continue;
        }
        *kinds = [Some(SPARSE), Some(SOLID), Some(TOP), Some(BRIDGE)];
        let area_mm2 = r.cells.iter().sum::<u64>() as f64 * cell_mm2;
        let chord = std::f64::consts::PI * area_mm2 / r.boundary_mm(cell).max(cell);
        let mm2 = printed_areas_mm2(r, cell_mm2, area_mm2, chord, prof, printer, kinds);
        for (kind, present) in infill.kinds_present.iter_mut().enumerate() {
            *present |= mm2[kind] > 0.0;
        }
        let (solid, top, bridge, sparse) = region_jobs(mm2, chord, prof, first, jobs);
        infill.solid_mm += solid;
        infill.top_mm += top;
        infill.bridge_mm += bridge;
        if let Some(len) = sparse {
            infill.sparse_mm += len;
        }
    }
    infill
}

/// The area (mm²) printed as each kind in region `r` (of `area_mm2`, mean chord `chord`,
/// cells of `cell_mm2`), with `kinds` (what each class of its cells is printed as) updated
/// where a class goes with another.
fn printed_areas_mm2(
    r: &Region,
    cell_mm2: f64,
    area_mm2: f64,
    chord: f64,
    prof: &Profile,
    printer: &FffPrinter,
    kinds: &mut [Option<usize>; CLASSES],
) -> [f64; CLASSES] {
    let mut mm2 = r.cells.map(|c| c as f64 * cell_mm2);
    if area_mm2 < printer.solid_infill_below_area_mm2 {
        mm2[SOLID] += mm2[SPARSE];
        mm2[SPARSE] = 0.0;
        kinds[SPARSE] = Some(SOLID);
    }
    // A top or bridge patch smaller than one line across the region is no surface of its
    // own: it goes with the internal solid infill around it.
    for kind in [TOP, BRIDGE] {
        if mm2[kind] > 0.0 && mm2[kind] < prof.s * chord {
            mm2[SOLID] += mm2[kind];
            mm2[kind] = 0.0;
            kinds[kind] = Some(SOLID);
        }
    }
    mm2
}

/// Adds the zig-zags printing the areas `mm2` of one region of mean chord `chord` to `jobs`;
/// returns their line lengths (mm): solid, top, bridge, and the sparse if there is any.
fn region_jobs(
    mm2: [f64; CLASSES],
    chord: f64,
    prof: &Profile,
    first: bool,
    jobs: &mut Vec<Job>,
) -> (f64, f64, f64, Option<f64>) {
    let s_solid = if first { prof.s_first } else { prof.s };
    let bridge_spacing = prof.bridge_w + BRIDGE_EXTRA_SPACING_MM;
    let mut zigzag = |len: f64, link: f64, f: Feature, bucket: Bucket| {
        if len > 0.0 {
            jobs.push(Job {
                path: Path::Zigzag { len, chord, link },
                feature: prof.on_layer(f, first),
                bucket,
                nominal_mm: len * (1.0 + link / chord.max(1e-3)),
                adjustable: true,
            });
        }
    };
    let solid_len = mm2[SOLID] / s_solid;
    let top_len = mm2[TOP] / prof.s_top;
    let bridge_len = mm2[BRIDGE] / bridge_spacing;
    zigzag(solid_len, s_solid * SQRT_2, prof.solid, Bucket::Solid);
    zigzag(top_len, prof.s_top * SQRT_2, prof.top, Bucket::Solid);
    zigzag(
        bridge_len,
        bridge_spacing * SQRT_2,
        prof.bridge,
        Bucket::Solid,
    );
    // Sparse: lines in two directions (grid), each direction 2 s / density apart; the ends
    // of both directions alternate along the edge, so a link spans half the spacing of one
    // direction, at 45° to the edge.
    let mut sparse = None;
    if prof.infill > 0.0 && mm2[SPARSE] > 0.0 {
        let len = mm2[SPARSE] * prof.infill / prof.s;
        zigzag(
            len,
            prof.s / prof.infill * SQRT_2,
            prof.sparse,
            Bucket::Sparse,
        );
        sparse = Some(len);
    }
    (solid_len, top_len, bridge_len, sparse)
}
