//! The cooling slowdown of short layers (PrusaSlicer's CoolingBuffer).
//!
//! When the layer's nominal time (every move's length over its feed rate, no acceleration) is
//! below the threshold, the fastest extrusions are slowed to a common cap, no lower than the
//! minimum print speed, until it is reached; travels, retractions and the external perimeter
//! keep their speed (PrusaSlicer 2.5 prints the outer surface at its own speed: in its G-code
//! the external perimeters of short layers run at 25 mm/s nominal while the infill drops to
//! the cap).

use super::paths::Job;
use super::profile::Profile;
use super::travel::Travels;
use crate::models::FffPrinter;

/// The time (s) that slowing the layer's `jobs` (taking `full_speed_s` unslowed) down for
/// cooling adds; the layer's travels are `travels`, its height `dz`.
pub(super) fn slowdown_s(
    jobs: &[Job],
    travels: &Travels,
    prof: &Profile,
    printer: &FffPrinter,
    dz: f64,
    full_speed_s: f64,
) -> f64 {
    let retracted = travels.retracted;
    let nominal_other_s = (retracted as f64 * travels.span_mm + travels.short_hops as f64 * prof.s)
        / prof.travel.speed_mm_s
        + retracted as f64
            * (2.0 * printer.retract_length_mm / printer.retract_speed_mm_s
                + 2.0 * printer.retract_lift_mm / printer.max_speed_z_mm_s)
        + dz / printer.max_speed_z_mm_s;
    let target_s = printer.slowdown_below_layer_time_s - nominal_other_s;
    let slowed = !jobs.is_empty() && nominal_s(jobs, f64::INFINITY) < target_s;
    if !slowed {
        return 0.0;
    }
    let cap = cap_mm_s(jobs, target_s, printer);
    let capped: f64 = jobs.iter().map(|j| j.time_s(&prof.planner, cap)).sum();
    (capped - full_speed_s).max(0.0)
}

/// The nominal time (s) of `jobs` with the adjustable ones capped at `cap` mm/s.
fn nominal_s(jobs: &[Job], cap: f64) -> f64 {
    jobs.iter()
        .map(|j| {
            let v = j.feature.speed_mm_s;
            j.nominal_mm / if j.adjustable { v.min(cap) } else { v }
        })
        .sum::<f64>()
}

/// The speed cap (mm/s) at which `jobs` take `target_s` nominally, no lower than the minimum
/// print speed.
fn cap_mm_s(jobs: &[Job], target_s: f64, printer: &FffPrinter) -> f64 {
    let slowest = printer.min_print_speed_mm_s;
    let fastest = jobs
        .iter()
        .map(|j| j.feature.speed_mm_s)
        .fold(slowest, f64::max);
    if nominal_s(jobs, slowest) <= target_s {
        slowest
    } else {
        // nominal_s falls as the cap rises: bisect for the cap that meets the target.
        let (mut lo_v, mut hi_v) = (slowest, fastest);
        for _ in 0..60 {
            let mid = 0.5 * (lo_v + hi_v);
            if nominal_s(jobs, mid) > target_s {
                lo_v = mid;
            } else {
                hi_v = mid;
            }
        }
        hi_v
    }
}

#[cfg(test)]
mod tests {
    use super::super::paths::{Bucket, Path};
    use super::super::profile::Feature;
    use super::*;

    fn job(nominal_mm: f64, speed_mm_s: f64, adjustable: bool) -> Job<'static> {
        Job {
            path: Path::Zigzag {
                len: nominal_mm,
                chord: 10.0,
                link: 0.0,
            },
            feature: Feature {
                speed_mm_s,
                accel_mm_s2: 1000.0,
            },
            bucket: Bucket::Solid,
            nominal_mm,
            adjustable,
        }
    }

    #[test]
    fn the_cap_slows_only_the_adjustable_jobs() {
        let mut p = crate::models::default_printer();
        p.min_print_speed_mm_s = 10.0;
        // 100 mm of infill at 50 mm/s (2 s) and 25 mm of external perimeter at 25 mm/s (1 s,
        // never slowed).
        let jobs = [job(100.0, 50.0, true), job(25.0, 25.0, false)];
        assert_eq!(nominal_s(&jobs, f64::INFINITY), 3.0);
        // To take 5 s the infill takes 4 s: 100 mm at 25 mm/s.
        let cap = cap_mm_s(&jobs, 5.0, &p);
        assert!((cap - 25.0).abs() < 1e-9, "{cap}");
        // 20 s would need 100 mm in 19 s, 5.26 mm/s: below the minimum, which it stays at.
        assert_eq!(cap_mm_s(&jobs, 20.0, &p), 10.0);
    }
}
