//! Travels, retractions, Z hops and layer changes.

use super::motion::trapezoid_s;
use crate::models::FffPrinter;

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
