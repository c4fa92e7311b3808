//! Travels, retractions, Z hops and layer changes.
//!
//! PrusaSlicer retracts every travel of retract_before_travel or more, and only those: one
//! retracted travel into each loop and into each infill path; short unretracted hops (one
//! line apart) between the perimeters of a loop.

use super::motion::{Move, trapezoid_s};
use super::pieces::{Run, euler_number, pieces};
use super::profile::Profile;
use super::raster::{Raster, span_mask};
use super::regions::{CLASSES, SPARSE};
use crate::models::FffPrinter;

/// A layer's travels in the plane.
#[derive(Debug, Clone, Copy)]
pub(super) struct Travels {
    /// Retracted travels (each with a Z hop).
    pub(super) retracted: usize,
    /// Unretracted hops of one line spacing between the perimeters of a loop.
    pub(super) short_hops: usize,
    /// The length of each retracted travel (mm).
    pub(super) span_mm: f64,
}

impl Travels {
    /// The travels of a layer of `loops` closed contour loops with `walls` perimeters each
    /// and `infill_paths` infill paths, on a part `extent_mm` across: each retracted travel
    /// half the mean spacing of that many points on the part.
    pub(super) fn new(loops: usize, infill_paths: usize, walls: u32, extent_mm: [f64; 2]) -> Self {
        // The layer change travels straight to the first loop.
        let retracted = loops.max(1) + infill_paths;
        let short_hops = loops * (walls as usize).saturating_sub(1);
        let span_mm = (extent_mm[0] * extent_mm[1] / retracted as f64).sqrt() * 0.5;
        Travels {
            retracted,
            short_hops,
            span_mm,
        }
    }

    /// The time (s) of the travel moves, each from rest to rest.
    pub(super) fn time_s(&self, prof: &Profile) -> f64 {
        let hop = |len: f64| {
            let mv = Move {
                len,
                dir: [std::f64::consts::FRAC_1_SQRT_2; 2],
                speed: prof.travel.speed_mm_s,
                accel: prof.travel.accel_mm_s2,
            };
            prof.planner.time_s(&[mv])
        };
        self.retracted as f64 * hop(self.span_mm) + self.short_hops as f64 * hop(prof.s)
    }
}

/// The infill paths of a layer, each entered by a retracted travel.
///
/// Infill paths per printed kind: a piece with holes cannot be filled in one zig-zag, around
/// each hole the lines split into branches (pieces + holes).
pub(super) fn infill_paths(
    raster: &Raster,
    region_runs: &[Run],
    printed_as: &[[Option<usize>; CLASSES]],
    classes: &[[u64; CLASSES]],
    core: &[u64],
    kinds_present: [bool; CLASSES],
    printer: &FffPrinter,
) -> usize {
    let mut infill_travels = 0;
    for (kind, _) in kinds_present.iter().enumerate().filter(|(_, p)| **p) {
        // The cells printed as this kind, and their pieces and holes.
        let mask = printed_mask(raster, region_runs, printed_as, classes, core, kind);
        let inner = raster.erode(&mask, false);
        let small = (printer.solid_infill_below_area_mm2 / raster.cell_mm2()).ceil() as u64;
        let (all, printed, small_pieces) = pieces(raster, &mask, &inner, small);
        let holes = (all as i64 - euler_number(raster, &mask)).max(0) as usize;
        // Sparse grid infill is two sets of lines, one per direction, each its own path; a
        // piece smaller than solid_infill_below_area is solid, one set.
        infill_travels += if kind == SPARSE {
            2 * (printed - small_pieces + holes) + small_pieces
        } else {
            printed + holes
        };
    }
    infill_travels
}

/// The core cells printed as `kind`.
fn printed_mask(
    raster: &Raster,
    region_runs: &[Run],
    printed_as: &[[Option<usize>; CLASSES]],
    classes: &[[u64; CLASSES]],
    core: &[u64],
    kind: usize,
) -> Vec<u64> {
    let mut mask = vec![0u64; raster.len()];
    for run in region_runs {
        let base = run.row * raster.words;
        for (class, to) in printed_as[run.region].iter().enumerate() {
            if *to != Some(kind) {
                continue;
            }
            for k in run.start / 64..run.end.div_ceil(64) {
                mask[base + k] |=
                    classes[base + k][class] & core[base + k] & span_mask(k, run.start, run.end);
            }
        }
    }
    mask
}

/// One retraction with its Z hop: pull the filament back (E axis at the retract speed and
/// acceleration, from rest), or with `wipe` move back along the path meanwhile, lift and lower
/// the nozzle by `retract_lift_mm` (Z axis), push the filament forward again.
pub(super) fn retract_and_hop_s(p: &FffPrinter) -> f64 {
    let e = trapezoid_s(
        p.retract_length_mm,
        0.0,
        0.0,
        p.retract_speed_mm_s,
        p.max_acceleration_retracting_mm_s2,
    );
    let retract = if p.wipe && p.retract_length_mm > 0.0 {
        // PrusaSlicer's Wipe::wipe (libslic3r/GCode.cpp, 2.5): at 80 % of the travel speed,
        // as far as that speed goes while retract_length is pulled at retract_speed.
        let speed = WIPE_SPEED_SHARE * p.travel_speed_mm_s;
        let dist = p.retract_length_mm / p.retract_speed_mm_s * speed;
        let v0 = p.max_jerk_xy_mm_s.min(speed);
        let accel = p.travel_acceleration_mm_s2.min(p.max_acceleration_xy_mm_s2);
        trapezoid_s(dist, v0, v0, speed, accel)
    } else {
        e
    };
    retract + e + 2.0 * z_move_s(p, p.retract_lift_mm)
}

/// Share of the travel speed at which PrusaSlicer wipes.
const WIPE_SPEED_SHARE: f64 = 0.8;

/// A Z move of `dz` mm from and to the Z jerk speed.
pub(super) fn z_move_s(p: &FffPrinter, dz: f64) -> f64 {
    let v0 = p.max_jerk_z_mm_s.min(p.max_speed_z_mm_s);
    trapezoid_s(dz, v0, v0, p.max_speed_z_mm_s, p.max_acceleration_z_mm_s2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travels_count_loops_and_paths() {
        // One loop of 2 perimeters and 2 infill paths on a 20 x 20 mm part: 3 retracted
        // travels of ½ √(400/3) = 5.7735 mm and one short hop between the perimeters.
        let t = Travels::new(1, 2, 2, [20.0, 20.0]);
        assert_eq!((t.retracted, t.short_hops), (3, 1));
        assert!((t.span_mm - 0.5 * (400.0f64 / 3.0).sqrt()).abs() < 1e-12);
        // No loop at all (an open contour): the layer change still travels once.
        let t = Travels::new(0, 0, 3, [20.0, 20.0]);
        assert_eq!((t.retracted, t.short_hops), (1, 0));
        assert!((t.span_mm - 10.0).abs() < 1e-12);
    }

    #[test]
    fn a_z_move_is_a_trapezoid_from_the_z_jerk() {
        // 0.2 mm at most 12 mm/s, 200 mm/s², from and to the 0.2 mm/s jerk: the ramps
        // (12² − 0.2²) / 200 = 0.7198 mm are longer than the move, so a triangle to
        // √(200 · 0.2 + 0.04) = 6.3277 mm/s and back.
        let mut p = crate::models::default_printer();
        p.max_speed_z_mm_s = 12.0;
        p.max_acceleration_z_mm_s2 = 200.0;
        p.max_jerk_z_mm_s = 0.2;
        let peak = (200.0f64 * 0.2 + 0.04).sqrt();
        let t = z_move_s(&p, 0.2);
        assert!((t - 2.0 * (peak - 0.2) / 200.0).abs() < 1e-12, "{t}");
    }
}
