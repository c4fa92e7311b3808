//! Process models against hand calculations written out here.

use hybridplan::models::ModelSet;
use hybridplan::process::compare::{self, PrintRun, Route, RouteInputs, RouteModels};
use hybridplan::process::molding::{self, InsertHandling, MoldedShape, MoldingJob};

const PI: f64 = std::f64::consts::PI;

#[test]
fn cooling_time_of_a_2_mm_pp_wall() {
    let set = ModelSet::embedded().unwrap();
    let (_, pp) = set.materials.get("PP").unwrap();
    // PP: melt 230 C, mold 40 C, ejection 90 C, alpha 0.08 mm2/s.
    // t = s^2 / (pi^2 alpha) ln(4/pi (Tm - Tw) / (Te - Tw))
    //   = 4 / (9.8696 * 0.08) * ln(1.27324 * 190 / 50)
    //   = 5.06606 * ln(4.83831) = 5.06606 * 1.57658 = 7.98706 s
    let by_hand = 4.0 / (PI * PI * 0.08) * (4.0 / PI * 190.0 / 50.0).ln();
    assert!((by_hand - 7.987).abs() < 1e-3, "{by_hand}");
    let t = molding::cooling_time_s(2.0, pp);
    assert!((t - by_hand).abs() < 1e-9, "{t} vs {by_hand}");
    // Twice the wall, four times the time.
    assert!((molding::cooling_time_s(4.0, pp) - 4.0 * by_hand).abs() < 1e-9);
}

#[test]
fn clamp_force_of_a_known_projected_area() {
    let set = ModelSet::embedded().unwrap();
    let (_, pp) = set.materials.get("PP").unwrap();
    // 120 mm x 80 mm = 9600 mm2 at a mean cavity pressure of 30 MPa:
    // F = 9600 mm2 * 30 N/mm2 = 288,000 N = 288 kN; two cavities 576 kN.
    assert!((molding::clamp_force_kn(9600.0, pp, 1) - 288.0).abs() < 1e-9);
    assert!((molding::clamp_force_kn(9600.0, pp, 2) - 576.0).abs() < 1e-9);
    // The smallest class that closes 288 kN is the 300 kN machine; 576 kN needs 800 kN.
    let m = molding::machine_for(&set.molding, 288.0, 26.0, 15.0).unwrap();
    assert_eq!(m.clamp_kn, 300.0);
    let m = molding::machine_for(&set.molding, 576.0, 52.0, 15.0).unwrap();
    assert_eq!(m.clamp_kn, 800.0);
}

/// The ribbed plate molded whole in PP: 43,200 mm3, 120 x 80 mm, 9,600 mm2 projected, 15 mm
/// deep, a 3 mm governing wall, 20 surface patches (a round number for the hand calculation).
fn ribbed_plate_shape() -> MoldedShape {
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

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn molding_cost_per_part_at_two_volumes_by_hand() {
    let set = ModelSet::embedded().unwrap();
    let (_, pp) = set.materials.get("PP").unwrap();
    let shape = ribbed_plate_shape();
    let job = |v: f64| MoldingJob {
        shape: &shape,
        material: pp,
        annual_volume: v,
        cavity_sets: 1,
        inserts: None,
    };
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    // Cooling of the 3 mm wall: 9 / (pi^2 0.08) ln(4/pi 190/50) = 11.39863 * 1.57658
    //   = 17.97069 s.
    let cooling = 9.0 / (PI * PI * 0.08) * (4.0 / PI * 190.0 / 50.0).ln();
    // Tooling, common to both volumes:
    //   cavity machining hours = 5 + 0.085 * 96 cm2 ^ 1.27 + 45 * (0.1 * 20) ^ 1.27
    //                          = 5 + 28.2157 + 108.2906 = 141.5063 h
    let hours = 5.0 + 0.085 * 96f64.powf(1.27) + 45.0 * 2f64.powf(1.27);
    assert!((hours - 141.5063).abs() < 1e-3);
    // Part mass 43.2 cm3 * 0.905 g/cm3 = 39.096 g; material per good part with 2 % scrap:
    //   0.039096 kg * 1.6 EUR/kg / 0.98 = 0.063830 EUR.
    let material = 0.039096 * 1.6 / 0.98;

    // 1,000 parts a year: one cavity in aluminium on the 500 kN machine (43.2 cm3 is more
    // than the 300 kN class's 34 cm3 shot).
    //   fill = 2 * 43.2e-6 m3 * 100e6 Pa / 7500 W = 1.152 s; reset = 1.9 dry + 1.0 eject
    //   cycle = 1.152 + 17.97069 + 2.9 = 22.02269 s
    //   mold base: plate (120 + 150) x (80 + 150) mm = 621 cm2, height (15 + 70) mm = 8.5 cm
    //     1600 + 0.72 * 621 * 8.5^0.4 = 1600 + 1052.43 = 2652.43
    //   cavities: 141.5063 h * 0.7 (aluminium) * 65 EUR/h * 1^0.7 = 6438.54
    //   metal: 0.03 EUR/cm3 * 621 * 8.5 = 158.36; tool 9249.32, one tool for 3,000 shots
    //   per part: machine 22.02269 / 3600 / 0.98 h * 48 EUR/h = 0.299628
    //             labour  same hours * 0.25 * 35 = 0.054620
    //             energy (0.4 * 7.5 kW * 0.0062422 h + 0.40 kWh/kg * 0.039096 / 0.98) * 0.18
    //                    = 0.0346843 kWh * 0.18 = 0.0062432
    //             tooling 9249.32 / 3000 = 3.083106; changeover 2 h * (48 + 35) / 1000 = 0.166
    //   direct 3.673427, with 15 % overhead 4.224442 EUR.
    let h1 = (1.152 + cooling + 2.9) / 3600.0 / 0.98;
    let tool1 = 1600.0 + 0.72 * 621.0 * 8.5f64.powf(0.4) + hours * 0.7 * 65.0 + 0.03 * 621.0 * 8.5;
    let energy1 = (0.4 * 7.5 * h1 + 0.40 * 0.039096 / 0.98) * 0.18;
    let direct1 =
        material + h1 * 48.0 + h1 * 0.25 * 35.0 + energy1 + tool1 / 3000.0 + 2.0 * 83.0 / 1000.0;
    assert!(close(direct1 * 1.15, 4.224442, 1e-6), "{}", direct1 * 1.15);
    let plan = molding::plan(&job(1000.0), &set.molding, &set.economics).unwrap();
    assert_eq!((plan.cavities, plan.machine_clamp_kn), (1, 500.0));
    assert_eq!(plan.tool.metal, molding::ToolMetal::Aluminium);
    assert!(close(plan.tool.tool_cost, tool1, 1e-9));
    let route = compare::route(Route::Im, &inputs(&set, &shape), &models, 1000.0).unwrap();
    assert!(
        close(route.cost_per_part, direct1 * 1.15, 1e-9),
        "{}",
        route.cost_per_part
    );

    // 1,000,000 parts a year: 16 cavities in steel on the 5000 kN machine
    // (16 * 288 kN = 4608 kN, 691.2 cm3 shot).
    //   fill = 2 * 691.2e-6 * 100e6 / 63000 = 2.194286 s; reset 8.7 + 1.0
    //   cycle = 2.194286 + 17.97069 + 9.7 = 29.86498 s for 16 parts
    //   plate: 4 x 4 cavities, (4 * 120 + 150) x (4 * 80 + 150) = 630 x 470 mm = 2961 cm2
    //     base 1600 + 0.72 * 2961 * 8.5^0.4 = 6618.09
    //     cavities 141.5063 h * 1.0 * 65 * 16^0.7 = 64057.96; metal 0.06 * 2961 * 8.5 = 1510.11
    //     tool 72186.16; 3,000,000 parts / 16 = 187,500 shots, one steel tool (1e6 shots)
    //   per part: hours 29.86498 / 3600 / 16 / 0.98 = 0.000529068 h
    //     machine * 96 = 0.050791; labour * 0.25 * 35 = 0.004629
    //     energy (0.4 * 63 * 0.000529068 + 0.40 * 0.039096 / 0.98) * 0.18 = 0.0052722
    //     tooling 72186.16 / 3e6 = 0.024062; changeover 2 * (96 + 35) / 1e6 = 0.000262
    //   direct 0.148847, with 15 % overhead 0.171174 EUR.
    let h2 = (2.0 * 691.2e-6 * 100e6 / 63000.0 + cooling + 9.7) / 3600.0 / 16.0 / 0.98;
    let tool2 = 1600.0
        + 0.72 * 2961.0 * 8.5f64.powf(0.4)
        + hours * 65.0 * 16f64.powf(0.7)
        + 0.06 * 2961.0 * 8.5;
    let energy2 = (0.4 * 63.0 * h2 + 0.40 * 0.039096 / 0.98) * 0.18;
    let direct2 =
        material + h2 * 96.0 + h2 * 0.25 * 35.0 + energy2 + tool2 / 3e6 + 2.0 * 131.0 / 1e6;
    assert!(close(direct2 * 1.15, 0.171174, 1e-5), "{}", direct2 * 1.15);
    let plan = molding::plan(&job(1e6), &set.molding, &set.economics).unwrap();
    assert_eq!((plan.cavities, plan.machine_clamp_kn), (16, 5000.0));
    assert_eq!(plan.tool.metal, molding::ToolMetal::Steel);
    let route = compare::route(Route::Im, &inputs(&set, &shape), &models, 1e6).unwrap();
    assert!(
        close(route.cost_per_part, direct2 * 1.15, 1e-9),
        "{}",
        route.cost_per_part
    );
}

/// Route inputs around `shape` for the molding routes; the print runs are those of
/// [`printing_cost_by_hand`].
fn inputs<'a>(set: &'a ModelSet, shape: &MoldedShape) -> RouteInputs<'a> {
    let run = PrintRun {
        time_per_part_s: 7200.0,
        material_mm3_per_part: 40_000.0,
        price_per_kg: 25.0,
        hourly_rate: 1.5,
        power_kw: 0.12,
        first_part_s: 7200.0,
    };
    RouteInputs {
        am_part: Ok(run),
        am_baseplate: Ok(PrintRun {
            time_per_part_s: 3600.0,
            material_mm3_per_part: 25_000.0,
            first_part_s: 3600.0,
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
        variants: 1,
        inserts: InsertHandling::Manual,
        fleet: None,
        fleet_printers: None,
    }
}

#[test]
fn printing_cost_by_hand() {
    let set = ModelSet::embedded().unwrap();
    let shape = ribbed_plate_shape();
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let i = inputs(&set, &shape);
    // A 2 h print of 40 cm3 of PLA (1.24 g/cm3, 25 EUR/kg) on a 1.5 EUR/h, 0.12 kW printer,
    // 5 % scrap (good = 0.95):
    //   material 0.0496 kg * 25 / 0.95 = 1.305263; machine 2 h * 1.5 / 0.95 = 3.157895
    //   labour 2 min / 60 * 35 / 0.95 = 1.228070; energy 0.24 kWh / 0.95 * 0.18 = 0.045474
    //   direct 5.736702, with 15 % overhead 6.597208 EUR, whatever the volume.
    let direct = 0.0496 * 25.0 / 0.95 + 3.0 / 0.95 + 2.0 / 60.0 * 35.0 / 0.95 + 0.24 / 0.95 * 0.18;
    assert!(close(direct * 1.15, 6.597208, 1e-6), "{}", direct * 1.15);
    for v in [1000.0, 1e6] {
        let am = compare::route(Route::Am, &i, &models, v).unwrap();
        assert!(close(am.cost_per_part, direct * 1.15, 1e-9));
    }
    // CO2: 0.24 / 0.95 kWh * 0.25 kg/kWh + 0.0496 / 0.95 kg * 0.6 = 0.063158 + 0.031326
    let am = compare::route(Route::Am, &i, &models, 1000.0).unwrap();
    assert!(close(
        am.co2_kg_per_part,
        0.24 / 0.95 * 0.25 + 0.0496 / 0.95 * 0.6,
        1e-9
    ));
    // Printers: 1e6 parts at 0.5 * 0.95 good parts an hour over 4000 h: 526.3 -> 527.
    let am = compare::route(Route::Am, &i, &models, 1e6).unwrap();
    assert_eq!(am.machines_needed, 527.0);
    // 0.5 * 0.95 * 4000 = 1900 good parts a printer a year; 527 printers make 1,001,300.
    assert!(close(am.parts_per_year_per_machine, 1900.0, 1e-12));
    assert!(close(am.fleet_parts_per_year, 527.0 * 1900.0, 1e-12));
    let fleet = RouteInputs {
        fleet: Some(10),
        fleet_printers: None,
        ..i.clone()
    };
    let am = compare::route(Route::Am, &fleet, &models, 1e6).unwrap();
    assert!(close(am.fleet_parts_per_year, 19_000.0, 1e-12));
}

#[test]
fn break_even_is_where_the_costs_cross() {
    let set = ModelSet::embedded().unwrap();
    let shape = ribbed_plate_shape();
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let i = inputs(&set, &shape);
    let sweep = compare::sweep(&i, &models);
    assert_eq!(sweep.volumes.len(), 71);
    assert!((sweep.volumes[0] - 1.0).abs() < 1e-12 && (sweep.volumes[70] - 1e7).abs() < 1e-3);
    let v = compare::break_even(Route::Am, Route::Im, &sweep, &i, &models).unwrap();
    let am = compare::route(Route::Am, &i, &models, v)
        .unwrap()
        .cost_per_part;
    let im = compare::route(Route::Im, &i, &models, v)
        .unwrap()
        .cost_per_part;
    assert!(close(am, im, 1e-6), "{v}: {am} vs {im}");
    // Below it printing is cheaper, above it molding.
    let below = compare::route(Route::Im, &i, &models, v * 0.8)
        .unwrap()
        .cost_per_part;
    let above = compare::route(Route::Im, &i, &models, v * 1.25)
        .unwrap()
        .cost_per_part;
    assert!(below > am && above < am);
}

#[test]
fn the_hybrid_fleet_makes_no_more_than_its_printers_can() {
    let set = ModelSet::embedded().unwrap();
    let shape = ribbed_plate_shape();
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let i = inputs(&set, &shape);
    // Baseplates of 1 h; an insert survives placing (3 % scrap) and molding (2 % scrap):
    // good = 0.97 * 0.98 = 0.9506 baseplates an hour, 0.9506 * 4000 h = 3802.4 a printer a
    // year. 10,000 parts a year need ceil(10,000 / 3802.4) = 3 printers: 11,407.2 a year,
    // while the one molding machine could make hundreds of thousands.
    let econ = &set.economics;
    let per_printer = 3600.0 / 3600.0 * (1.0 - econ.scrap_insert) * (1.0 - econ.scrap_im) * 4000.0;
    assert!(close(per_printer, 3802.4, 1e-12), "{per_printer}");
    let h = compare::route(Route::Hybrid, &i, &models, 10_000.0).unwrap();
    assert_eq!(h.fleet_printers, Some(3.0));
    assert_eq!(h.fleet_molding_machines, Some(1.0));
    assert!(close(h.fleet_parts_per_year, 3.0 * 3802.4, 1e-12));
    assert_eq!(h.fleet_bottleneck, "printers");
    assert!(h.parts_per_year_per_machine > 10.0 * h.fleet_parts_per_year);
    // The printers' yearly hours over the baseplate print time bound the output whatever
    // the fleet: 2 printers given make 2 * 3802.4 however many molding machines there are.
    let fleet = RouteInputs {
        fleet: Some(4),
        fleet_printers: Some(2),
        ..i.clone()
    };
    let h = compare::route(Route::Hybrid, &fleet, &models, 10_000.0).unwrap();
    assert_eq!(h.fleet_molding_machines, Some(4.0));
    assert!(close(h.fleet_parts_per_year, 2.0 * 3802.4, 1e-12));
    assert!(h.fleet_parts_per_year <= 2.0 * econ.working_hours_per_year * 3600.0 / 3600.0);
    // With printers enough, the molding machine is the limit: 3,000 printers make 11.4 M
    // inserts, more than one machine molds.
    let many = RouteInputs {
        fleet: Some(1),
        fleet_printers: Some(3000),
        ..i.clone()
    };
    let h = compare::route(Route::Hybrid, &many, &models, 10_000.0).unwrap();
    assert_eq!(h.fleet_bottleneck, "molding machines");
    assert!(close(
        h.fleet_parts_per_year,
        h.parts_per_year_per_machine,
        1e-12
    ));
}
