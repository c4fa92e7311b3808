//! Fixtures of the route-level tests (tests/process.rs, mold_impact.rs, sensitivity.rs): the
//! ribbed plate as a molded shape, a 2 h FFF print, and the route inputs built from them, so
//! that every hand calculation starts from the same written-down part. Included with
//! `#[path = "common/routes.rs"] mod routes;`.

#![allow(dead_code)]

use hybridplan::models::ModelSet;
use hybridplan::process::compare::{PrintRun, RouteInputs};
use hybridplan::process::molding::{InsertHandling, MoldedShape};

/// `a` within `rel` of `b` (relative).
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// The ribbed plate molded whole: 43,200 mm3, 120 x 80 mm, 9,600 mm2 projected, 15 mm deep,
/// a 3 mm governing wall, 20 surface patches (a round number for the hand calculations).
pub fn ribbed_plate_shape() -> MoldedShape {
    MoldedShape {
        volume_mm3: 43_200.0,
        projected_area_mm2: 9600.0,
        wall_mm: 3.0,
        length_mm: 120.0,
        width_mm: 80.0,
        depth_mm: 15.0,
        surface_patches: 20,
        side_actions: 0,
    }
}

/// A 2 h FFF print of 40 cm3 of PLA at 25 EUR/kg on a 0.12 kW printer at 1.5 EUR/h: one
/// part a print, a 300 s heat-up at 0.15 kW (0.0125 kWh), 2 min set-up a print and 1 min
/// removal a part.
pub fn fff_run() -> PrintRun {
    PrintRun {
        time_per_part_s: 7200.0,
        material_mm3_per_part: 40_000.0,
        price_per_kg: 25.0,
        hourly_rate: 1.5,
        power_kw: 0.12,
        first_part_s: 7500.0,
        parts_per_build: 1.0,
        build_overhead_s: 300.0,
        energy_kwh_per_build: 0.15 * 300.0 / 3600.0,
        labour_min_per_build: 2.0,
        labour_min_per_part: 1.0,
        consumables_per_part: 0.0,
        powder: None,
    }
}

/// The routes' inputs: `run` prints the whole part; the baseplate prints in an hour with
/// 25 cm3 (its first part as much later than the hour as `run`'s is than its time); `shape`
/// is molded whole, and its rib region is 14,400 mm3 on 1,200 mm2 with a 2 mm wall; PLA
/// printed, PP molded, manual insert handling, no fleet given.
pub fn route_inputs<'a>(
    set: &'a ModelSet,
    shape: &MoldedShape,
    run: PrintRun,
    variants: u32,
) -> RouteInputs<'a> {
    let heat_up_s = run.first_part_s - run.time_per_part_s;
    RouteInputs {
        am_part: Ok(run.clone()),
        am_baseplate: Ok(PrintRun {
            time_per_part_s: 3600.0,
            material_mm3_per_part: 25_000.0,
            first_part_s: 3600.0 + heat_up_s,
            ..run
        }),
        part_shape: *shape,
        rib_shape: MoldedShape {
            volume_mm3: 14_400.0,
            projected_area_mm2: 1200.0,
            wall_mm: 2.0,
            ..*shape
        },
        printed: set.materials.get("PLA").unwrap().1,
        molded: set.materials.get("PP").unwrap().1,
        variants,
        inserts: InsertHandling::Manual,
        fleet: None,
        fleet_printers: None,
    }
}
