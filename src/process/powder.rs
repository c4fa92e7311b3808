//! Powder-bed fusion (laser sintering, Multi Jet Fusion): many copies of a part share one
//! build, so time, powder and cost per part follow from how many are in it.
//!
//! Packing: the parts' bounding boxes (plus a spacing) are stacked on a grid in the
//! orientation of the box that fits the most, bounded by the printer's packing density (the
//! share of the build volume that parts can fill before heat and unpacking suffer). The build
//! is only as tall as its filled levels. Filling: a build holds the parts ordered in one build
//! period (`economics.powder_build_period_h`), at most a full build, so a small volume pays
//! for mostly empty builds. Time: warm-up, then per layer a recoat (and for MJF the print
//! pass) and, for a laser, the scan of the layer's sections (their sum over a build is the
//! parts' volume over the layer thickness). Powder: each part's own volume plus its share of
//! the fresh powder mixed into the bed at the refresh ratio. Labour: set-up and unpacking
//! once per build, depowdering per part. Energy: a job energy per build plus the mean power
//! over the machine time. Equations and sources: docs/method.md, "Powder-bed fusion".

use crate::models::{Economics, PowderPrinter};

/// Time, powder, cost, labour and energy per part for one build of identical parts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PowderEstimate {
    /// Parts in this build.
    pub parts_per_build: usize,
    /// Parts a full build holds (the most the packing allows).
    pub full_build_parts: usize,
    /// The part's bounding box as placed in the build (x, y, z).
    pub placed_bbox_mm: [f64; 3],
    /// Parts side by side on one level, and levels stacked.
    pub parts_per_level: usize,
    pub levels: usize,
    pub build_height_mm: f64,
    pub layers: usize,
    /// Machine time of the build: warm-up + recoats + scanning.
    pub build_time_s: f64,
    pub recoat_s: f64,
    pub scan_s: f64,
    pub warmup_s: f64,
    /// Cooling before unpacking (off the machine: lead time, not machine time).
    pub cooldown_s: f64,
    pub time_per_part_s: f64,
    /// The part's volume plus its share of the fresh powder fed into the bed.
    pub powder_used_mm3_per_part: f64,
    pub machine_cost_eur_per_part: f64,
    /// Job energy plus mean power over the machine time, per part.
    pub energy_kwh_per_part: f64,
    /// Depowdering one part: handling plus blasting by its size.
    pub depowder_min_per_part: f64,
    /// Set-up and unpacking shared by the build's parts, plus depowdering.
    pub labour_min_per_part: f64,
    /// Agents per part fused, plus consumables worn over the build's hours, per part.
    pub consumables_eur_per_part: f64,
}

/// A part to be built on a powder-bed printer: what the packing needs to fill a build with
/// any number of its copies.
#[derive(Debug, Clone, PartialEq)]
pub struct PowderBuild {
    pub part_volume_mm3: f64,
    pub part_bbox_mm: [f64; 3],
    pub printer: PowderPrinter,
}

/// Why no build is possible.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PowderError {
    #[error("part volume {0} mm³ and bounding box {1:?} mm must be positive and finite")]
    BadPart(f64, [f64; 3]),
    #[error(
        "the part's bounding box {bbox_mm:?} mm (with {spacing_mm} mm spacing) fits the build volume {build_mm:?} mm in no orientation"
    )]
    DoesNotFit {
        bbox_mm: [f64; 3],
        spacing_mm: f64,
        build_mm: [f64; 3],
    },
}

/// How many boxes of `size` fit along `room` with `gap` between them and at both walls:
/// k·size + (k+1)·gap ≤ room.
fn fit(room: f64, size: f64, gap: f64) -> usize {
    ((room - gap) / (size + gap)).floor().max(0.0) as usize
}

/// Packs copies of a part into one full build of `printer` and estimates the build.
pub fn estimate_powder(
    part_volume_mm3: f64,
    part_bbox_mm: [f64; 3],
    printer: &PowderPrinter,
) -> Result<PowderEstimate, PowderError> {
    estimate_powder_build(part_volume_mm3, part_bbox_mm, printer, usize::MAX)
}

/// Parts in one build at `annual_volume`: the parts ordered in one build period
/// `⌈V̇ · period / working hours⌉`, at least one, at most `full_build_parts`.
pub fn parts_per_build(annual_volume: f64, econ: &Economics, full_build_parts: usize) -> usize {
    let ordered = annual_volume * econ.powder_build_period_h / econ.working_hours_per_year;
    // The float is finite and positive for valid models; the cast saturates otherwise.
    let ordered = if ordered.is_finite() {
        ordered.ceil().max(1.0)
    } else {
        f64::MAX
    };
    (ordered.min(full_build_parts as f64) as usize).clamp(1, full_build_parts.max(1))
}

/// Packs up to `max_parts` copies of a part into one build of `printer` (as many as fit when
/// fewer do) and estimates the build. With fewer parts than a full build, the orientation
/// that gives the lowest build for them wins.
pub fn estimate_powder_build(
    part_volume_mm3: f64,
    part_bbox_mm: [f64; 3],
    printer: &PowderPrinter,
    max_parts: usize,
) -> Result<PowderEstimate, PowderError> {
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !ok(part_volume_mm3) || !part_bbox_mm.iter().all(|&v| ok(v)) {
        return Err(PowderError::BadPart(part_volume_mm3, part_bbox_mm));
    }
    let [lx, ly, lz] = printer.build_volume_mm;
    let gap = printer.part_spacing_mm;
    let by_density =
        ((printer.packing_density * lx * ly * lz / part_volume_mm3).floor() as usize).max(1);
    let [a, b, c] = part_bbox_mm;
    // Every axis-aligned orientation of the box; the most parts, then the lowest build.
    // (parts, levels, parts per level, placed box, build height)
    let mut best: Option<(usize, usize, usize, [f64; 3], f64)> = None;
    let mut full = 0;
    for bbox in [
        [a, b, c],
        [a, c, b],
        [b, a, c],
        [b, c, a],
        [c, a, b],
        [c, b, a],
    ] {
        let per_level = fit(lx, bbox[0], gap) * fit(ly, bbox[1], gap);
        let max_levels = fit(lz, bbox[2], gap);
        let grid = per_level.saturating_mul(max_levels);
        if grid == 0 {
            continue;
        }
        full = full.max(grid.min(by_density));
        let n = grid.min(by_density).min(max_parts.max(1));
        let levels = n.div_ceil(per_level);
        let height = levels as f64 * (bbox[2] + gap) + gap;
        let better = match best {
            None => true,
            Some((best_n, .., best_height)) => n > best_n || (n == best_n && height < best_height),
        };
        if better {
            best = Some((n, levels, per_level, bbox, height));
        }
    }
    let Some((n, levels, per_level, placed, build_height_mm)) = best else {
        return Err(PowderError::DoesNotFit {
            bbox_mm: part_bbox_mm,
            spacing_mm: gap,
            build_mm: printer.build_volume_mm,
        });
    };
    let layers = (build_height_mm / printer.layer_thickness_mm).ceil() as usize;
    let recoat_s = layers as f64 * printer.recoat_time_per_layer_s;
    // Σ over layers of the sections' area × layer thickness = the parts' volume.
    let scan_s = if printer.scan_rate_mm2_s > 0.0 {
        n as f64 * part_volume_mm3 / printer.layer_thickness_mm / printer.scan_rate_mm2_s
    } else {
        0.0
    };
    let build_time_s = printer.warmup_s + recoat_s + scan_s;
    let parts = n as f64;
    let bed_mm3 = lx * ly * build_height_mm;
    let loose_powder_mm3 = bed_mm3 - parts * part_volume_mm3;
    let build_h = build_time_s / 3600.0;
    // Blasting scales with the part's surface; its bounding box's surface stands for it.
    let bbox_dm2 = 2.0 * (a * b + b * c + c * a) / 1e4;
    let depowder_min_per_part =
        printer.depowder_min_per_part + printer.depowder_min_per_dm2 * bbox_dm2;
    Ok(PowderEstimate {
        parts_per_build: n,
        full_build_parts: full,
        placed_bbox_mm: placed,
        parts_per_level: per_level,
        levels,
        build_height_mm,
        layers,
        build_time_s,
        recoat_s,
        scan_s,
        warmup_s: printer.warmup_s,
        cooldown_s: printer.cooldown_s,
        time_per_part_s: build_time_s / parts,
        powder_used_mm3_per_part: part_volume_mm3
            + printer.powder_refresh_ratio * loose_powder_mm3 / parts,
        machine_cost_eur_per_part: build_h * printer.hourly_rate_eur_h / parts,
        energy_kwh_per_part: (printer.job_energy_kwh + build_h * printer.power_kw) / parts,
        depowder_min_per_part,
        labour_min_per_part: (printer.setup_min_per_build + printer.unpack_min_per_build) / parts
            + depowder_min_per_part,
        consumables_eur_per_part: printer.agents_eur_per_cm3 * part_volume_mm3 / 1000.0
            + printer.consumables_eur_per_h * build_h / parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer() -> PowderPrinter {
        PowderPrinter {
            description: "test".into(),
            build_volume_mm: [100.0, 100.0, 100.0],
            layer_thickness_mm: 0.1,
            recoat_time_per_layer_s: 10.0,
            scan_rate_mm2_s: 500.0,
            warmup_s: 1000.0,
            cooldown_s: 5000.0,
            packing_density: 0.1,
            part_spacing_mm: 2.0,
            powder_refresh_ratio: 0.5,
            hourly_rate_eur_h: 36.0,
            power_kw: 3.6,
            job_energy_kwh: 0.0,
            setup_min_per_build: 30.0,
            unpack_min_per_build: 30.0,
            depowder_min_per_part: 1.0,
            depowder_min_per_dm2: 0.0,
            agents_eur_per_cm3: 0.0,
            consumables_eur_per_h: 0.0,
        }
    }

    #[test]
    fn hand_calculation_of_a_density_bound_build() {
        // A 20 x 10 x 5 mm box of 1000 mm³ (a hollow-ish part). Build 100³ mm = 1e6 mm³.
        // Density bound: 0.1 · 1e6 / 1000 = 100 parts.
        // Grid, spacing 2 mm: fit(100, b) = floor(98 / (b + 2)): 20 → 4, 10 → 8, 5 → 14.
        //   flat (20, 10, 5):   4 · 8 = 32 per level, 100 parts → 4 levels, 4 · 7 + 2 = 30 mm
        //   on edge (20, 5, 10): 4 · 14 = 56 per level → 2 levels, 2 · 12 + 2 = 26 mm
        //   upright (10, 5, 20): 8 · 14 = 112 per level → 1 level, 22 + 2 = 24 mm (lowest;
        //   (5, 10, 20) is as low and comes later, so (10, 5, 20) stays).
        // Layers: 24 / 0.1 = 240. Recoat 240 · 10 = 2400 s. Scan: 100 · 1000 / 0.1 / 500
        // = 2000 s. Build: 1000 + 2400 + 2000 = 5400 s, 54 s per part.
        // Powder: bed 100 · 100 · 24 = 240000 mm³, loose 240000 − 100000 = 140000 mm³,
        // per part 1000 + 0.5 · 140000 / 100 = 1700 mm³.
        // Cost: 5400 s = 1.5 h → per part 1.5 / 100 h · 36 EUR/h = 0.54 EUR; energy
        // 1.5 / 100 h · 3.6 kW = 0.054 kWh.
        let e = estimate_powder(1000.0, [20.0, 10.0, 5.0], &printer()).unwrap();
        assert_eq!(e.parts_per_build, 100);
        assert_eq!((e.parts_per_level, e.levels), (112, 1));
        assert_eq!(e.placed_bbox_mm, [10.0, 5.0, 20.0]);
        assert!((e.build_height_mm - 24.0).abs() < 1e-9);
        assert_eq!(e.layers, 240);
        assert!((e.recoat_s - 2400.0).abs() < 1e-6 && (e.scan_s - 2000.0).abs() < 1e-6);
        assert!((e.build_time_s - 5400.0).abs() < 1e-6);
        assert!((e.time_per_part_s - 54.0).abs() < 1e-9);
        assert!((e.powder_used_mm3_per_part - 1700.0).abs() < 1e-6);
        assert!((e.machine_cost_eur_per_part - 0.54).abs() < 1e-9);
        assert!((e.energy_kwh_per_part - 0.054).abs() < 1e-9);
        assert_eq!(e.cooldown_s, 5000.0);
        // Labour: (30 min set-up + 30 min unpacking) / 100 parts + 1 min depowdering = 1.6 min.
        assert!((e.labour_min_per_part - 1.6).abs() < 1e-12);
        assert_eq!(e.full_build_parts, 100);
    }

    #[test]
    fn hand_calculation_of_partly_filled_builds() {
        // The part of the full-build test (20 x 10 x 5 mm, 1000 mm³; a full build holds 100),
        // with a job energy of 2 kWh, agents 0.05 EUR/cm³, consumables 3.6 EUR/h and blasting
        // 0.5 min/dm² of the bounding box's 2 (20 · 10 + 10 · 5 + 5 · 20) = 700 mm² = 0.07 dm²:
        // 0.035 min a part.
        let mut p = printer();
        p.depowder_min_per_dm2 = 0.5;
        p.job_energy_kwh = 2.0;
        p.agents_eur_per_cm3 = 0.05;
        p.consumables_eur_per_h = 3.6;
        // Two parts: lying flat (20, 10, 5) one level holds 4 · 8 = 32, so one level of
        // 5 + 2 + 2 = 9 mm, the lowest build ((10, 20, 5) is as low and comes later).
        // Layers 9 / 0.1 = 90, recoat 900 s, scan 2 · 1000 / 0.1 / 500 = 40 s, build
        // 1000 + 900 + 40 = 1940 s, 970 s per part.
        // Powder: bed 100 · 100 · 9 = 90000 mm³, loose 88000, per part
        // 1000 + 0.5 · 88000 / 2 = 23000 mm³ (23 times the part: the bed is mostly empty).
        // Machine 1940 / 3600 h · 36 EUR/h / 2 = 9.7 EUR; energy (2 + 3.6 · 1940 / 3600) / 2
        // = (2 + 1.94) / 2 = 1.97 kWh; labour 60 / 2 + 1 + 0.035 = 31.035 min; consumables
        // 0.05 · 1 cm³ + 3.6 · 1940 / 3600 / 2 = 0.05 + 0.97 = 1.02 EUR.
        let e = estimate_powder_build(1000.0, [20.0, 10.0, 5.0], &p, 2).unwrap();
        assert_eq!((e.parts_per_build, e.full_build_parts), (2, 100));
        assert_eq!(e.placed_bbox_mm, [20.0, 10.0, 5.0]);
        assert_eq!((e.parts_per_level, e.levels, e.layers), (32, 1, 90));
        assert!((e.build_height_mm - 9.0).abs() < 1e-12);
        assert!((e.build_time_s - 1940.0).abs() < 1e-9);
        assert!((e.time_per_part_s - 970.0).abs() < 1e-9);
        assert!((e.powder_used_mm3_per_part - 23000.0).abs() < 1e-6);
        assert!((e.machine_cost_eur_per_part - 9.7).abs() < 1e-9);
        assert!((e.energy_kwh_per_part - 1.97).abs() < 1e-9);
        assert!((e.labour_min_per_part - 31.035).abs() < 1e-12);
        assert!((e.consumables_eur_per_part - 1.02).abs() < 1e-9);
        // Twenty parts: still one flat level of 9 mm; scan 20 · 1000 / 0.1 / 500 = 400 s,
        // build 1000 + 900 + 400 = 2300 s, 115 s per part; labour 60 / 20 + 1.035 = 4.035 min.
        let e = estimate_powder_build(1000.0, [20.0, 10.0, 5.0], &p, 20).unwrap();
        assert_eq!((e.parts_per_build, e.levels), (20, 1));
        assert!((e.build_time_s - 2300.0).abs() < 1e-9);
        assert!((e.time_per_part_s - 115.0).abs() < 1e-9);
        assert!((e.labour_min_per_part - 4.035).abs() < 1e-12);
        // More than a full build asked: a full build.
        let e = estimate_powder_build(1000.0, [20.0, 10.0, 5.0], &p, 1000).unwrap();
        assert_eq!(e.parts_per_build, 100);
    }

    #[test]
    fn builds_hold_the_parts_of_one_build_period() {
        // One build every 80 working hours of 4000 a year: 50 builds a year.
        let mut econ = crate::models::ModelSet::embedded().unwrap().economics;
        econ.powder_build_period_h = 80.0;
        econ.working_hours_per_year = 4000.0;
        // 100 a year: ⌈100 · 80 / 4000⌉ = 2 a build; 1000: 20; 10000: 200, over a full 100.
        assert_eq!(parts_per_build(100.0, &econ, 100), 2);
        assert_eq!(parts_per_build(1000.0, &econ, 100), 20);
        assert_eq!(parts_per_build(10_000.0, &econ, 100), 100);
        // One a year still makes a build of one; 51 a year, ⌈1.02⌉ = 2.
        assert_eq!(parts_per_build(1.0, &econ, 100), 1);
        assert_eq!(parts_per_build(51.0, &econ, 100), 2);
    }

    #[test]
    fn grid_bound_build_and_area_independent_layers() {
        // A 40 x 40 x 40 mm solid cube (64000 mm³): density allows 0.1 · 1e6 / 64000 → 1,
        // the grid floor(98/42) = 2 per axis → 8; one part, one level: 42 + 2 = 44 mm.
        let mut p = printer();
        p.scan_rate_mm2_s = 0.0; // MJF-like: the layer time does not depend on the area
        let e = estimate_powder(64000.0, [40.0, 40.0, 40.0], &p).unwrap();
        assert_eq!(e.parts_per_build, 1);
        assert!((e.build_height_mm - 44.0).abs() < 1e-9);
        assert_eq!(e.layers, 440);
        assert_eq!(e.scan_s, 0.0);
        assert!((e.build_time_s - (1000.0 + 4400.0)).abs() < 1e-6);
        // A denser printer packs by the grid: 8 parts, 4 per level, 2 levels.
        p.packing_density = 1.0;
        let e = estimate_powder(64000.0, [40.0, 40.0, 40.0], &p).unwrap();
        assert_eq!((e.parts_per_build, e.parts_per_level, e.levels), (8, 4, 2));
    }

    #[test]
    fn parts_that_do_not_fit_are_refused() {
        let e = estimate_powder(1000.0, [99.0, 10.0, 10.0], &printer()).unwrap_err();
        assert!(matches!(e, PowderError::DoesNotFit { .. }), "{e}");
        // 95 + 2 · 2 = 99 ≤ 100 fits; 99 + 4 does not in any orientation.
        assert!(estimate_powder(1000.0, [95.0, 10.0, 10.0], &printer()).is_ok());
        assert!(estimate_powder(0.0, [1.0, 1.0, 1.0], &printer()).is_err());
        assert!(estimate_powder(1.0, [1.0, f64::NAN, 1.0], &printer()).is_err());
    }
}
