//! Process models against hand calculations written out here.

#[path = "common/routes.rs"]
mod routes;

use hybridplan::models::ModelSet;
use hybridplan::process::compare::{self, Route, RouteInputs, RouteModels};
use hybridplan::process::molding::{self, MoldedShape, MoldingJob};

use routes::{close, ribbed_plate_shape};

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
    // Tooling, common to both volumes (Boothroyd et al.: projected area to the power 1.2,
    // complexity to the power 1.27):
    //   cavity machining hours = 5 + 0.085 * 96 cm2 ^ 1.2 + 45 * (0.1 * 20) ^ 1.27
    //                          = 5 + 20.3303 + 108.5227 = 133.8530 h
    // Customisation (Kazmer): feed 0.1 + cooling 0.15 + ejection 0.2 + finish 0.1 = 0.55 of
    // the cavities' cost, feed 0.2 + cooling 0.4 + ejection 0.2 + finish 0 = 0.8 of the base's.
    let hours = 5.0 + 0.085 * 96f64.powf(1.2) + 45.0 * 2f64.powf(1.27);
    assert!((hours - 133.8530).abs() < 1e-3);
    // Part mass 43.2 cm3 * 0.905 g/cm3 = 39.096 g; material per good part with 2 % scrap:
    //   0.039096 kg * 1.6 EUR/kg / 0.98 = 0.063830 EUR.
    let material = 0.039096 * 1.6 / 0.98;

    // 1,000 parts a year: one cavity in aluminium on the 500 kN machine (43.2 cm3 is more
    // than the 300 kN class's 34 cm3 shot).
    //   fill = 2 * 43.2e-6 m3 * 100e6 Pa / 7500 W = 1.152 s; reset = 1.9 dry + 1.0 eject
    //   cycle = 1.152 + 17.97069 + 2.9 = 22.02269 s
    //   mold base: plate (120 + 150) x (80 + 150) mm = 621 cm2, height (15 + 70) mm = 8.5 cm
    //     1600 + 0.72 * 621 * 8.5^0.4 = 1600 + 1052.43 = 2652.43
    //   cavities: 133.8530 h * 0.7 (aluminium) * 65 EUR/h * 1^0.7 = 6090.31
    //   customisation 0.55 * 6090.31 + 0.8 * 2652.43 = 3349.67 + 2121.94 = 5471.61
    //   metal: 0.03 EUR/cm3 * 621 * 8.5 = 158.36; tool 14372.71, one tool for 3,000 shots
    //   per part: machine 22.02269 / 3600 / 0.98 h * 48 EUR/h = 0.299628
    //             labour  same hours * 0.25 * 35 = 0.054620
    //             energy (0.15 * 7.5 kW * 0.0062422 h + 0.33 kWh/kg * 0.039096 / 0.98) * 0.18
    //                    = 0.0201875 kWh * 0.18 = 0.0036338 (0.516 kWh/kg)
    //             tooling 14372.71 / 3000 = 4.790902; changeover 2 h * (48 + 35) / 1000 = 0.166
    //   direct 5.378614, with 15 % overhead 6.185406 EUR.
    let h1 = (1.152 + cooling + 2.9) / 3600.0 / 0.98;
    let tool1 = 1.8 * (1600.0 + 0.72 * 621.0 * 8.5f64.powf(0.4))
        + 1.55 * hours * 0.7 * 65.0
        + 0.03 * 621.0 * 8.5;
    assert!(close(tool1, 14372.71, 1e-6), "{tool1}");
    let energy1 = (0.15 * 7.5 * h1 + 0.33 * 0.039096 / 0.98) * 0.18;
    let direct1 =
        material + h1 * 48.0 + h1 * 0.25 * 35.0 + energy1 + tool1 / 3000.0 + 2.0 * 83.0 / 1000.0;
    assert!(close(direct1 * 1.15, 6.185406, 1e-6), "{}", direct1 * 1.15);
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
    //     cavities 133.8530 h * 1.0 * 65 * 16^0.7 = 60593.43; metal 0.06 * 2961 * 8.5 = 1510.11
    //     customisation 0.55 * 60593.43 + 0.8 * 6618.09 = 33326.39 + 5294.47
    //     tool 107342.49; 3,000,000 parts / 16 = 187,500 shots, one steel tool (1e6 shots)
    //   per part: hours 29.86498 / 3600 / 16 / 0.98 = 0.000529068 h
    //     machine * 96 = 0.050791; labour * 0.25 * 35 = 0.004629
    //     energy (0.15 * 63 * 0.000529068 + 0.33 * 0.039096 / 0.98) * 0.18 = 0.0032696
    //     tooling 107342.49 / 3e6 = 0.035781; changeover 2 * (96 + 35) / 1e6 = 0.000262
    //   direct 0.158563, with 15 % overhead 0.182347 EUR.
    let h2 = (2.0 * 691.2e-6 * 100e6 / 63000.0 + cooling + 9.7) / 3600.0 / 16.0 / 0.98;
    let tool2 = 1.8 * (1600.0 + 0.72 * 2961.0 * 8.5f64.powf(0.4))
        + 1.55 * hours * 65.0 * 16f64.powf(0.7)
        + 0.06 * 2961.0 * 8.5;
    assert!(close(tool2, 107342.49, 1e-6), "{tool2}");
    let energy2 = (0.15 * 63.0 * h2 + 0.33 * 0.039096 / 0.98) * 0.18;
    let direct2 =
        material + h2 * 96.0 + h2 * 0.25 * 35.0 + energy2 + tool2 / 3e6 + 2.0 * 131.0 / 1e6;
    assert!(close(direct2 * 1.15, 0.182347, 1e-5), "{}", direct2 * 1.15);
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
/// [`printing_cost_by_hand`] (tests/common/routes.rs `fff_run`): one part a print, a 300 s
/// heat-up at 0.15 kW (0.0125 kWh), 2 min set-up a print and 1 min removal a part.
fn inputs<'a>(set: &'a ModelSet, shape: &MoldedShape) -> RouteInputs<'a> {
    routes::route_inputs(set, shape, routes::fff_run(), 1)
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
    // A 2 h print of 40 cm3 of PLA (1.24 g/cm3, 25 EUR/kg) on a 1.5 EUR/h, 0.12 kW printer
    // that heats up for 300 s at 0.15 kW before every print, one part a print; 2 min set-up
    // a print and 1 min removal a part at 35 EUR/h; 5 % scrap (good = 0.95):
    //   material 0.0496 kg * 25 / 0.95 = 1.305263
    //   machine (7200 + 300) s = 2.083333 h * 1.5 / 0.95 = 3.289474
    //   labour (2 + 1) min / 60 * 35 / 0.95 = 1.842105
    //   energy (0.12 * 2 + 0.15 * 300 / 3600) = 0.2525 kWh / 0.95 = 0.265789 kWh,
    //     * 0.18 = 0.047842
    //   direct 6.484684, with 15 % overhead 7.457387 EUR, whatever the volume.
    let energy_kwh = (0.12 * 2.0 + 0.15 * 300.0 / 3600.0) / 0.95;
    assert!(close(energy_kwh, 0.265789, 1e-5), "{energy_kwh}");
    let direct = 0.0496 * 25.0 / 0.95
        + 7500.0 / 3600.0 * 1.5 / 0.95
        + 3.0 / 60.0 * 35.0 / 0.95
        + energy_kwh * 0.18;
    assert!(close(direct * 1.15, 7.457387, 1e-6), "{}", direct * 1.15);
    for v in [1000.0, 1e6] {
        let am = compare::route(Route::Am, &i, &models, v).unwrap();
        assert!(close(am.cost_per_part, direct * 1.15, 1e-9));
        assert!(close(am.energy_kwh_per_part, energy_kwh, 1e-12));
        assert!(close(am.labour_cost, 3.0 / 60.0 * 35.0 / 0.95, 1e-12));
    }
    // CO2: 0.265789 kWh * 0.25 kg/kWh + 0.0496 / 0.95 kg * 0.6 = 0.066447 + 0.031326
    let am = compare::route(Route::Am, &i, &models, 1000.0).unwrap();
    assert!(close(
        am.co2_kg_per_part,
        energy_kwh * 0.25 + 0.0496 / 0.95 * 0.6,
        1e-9
    ));
    // The printer's cycle is the print and its heat-up, 7500 s.
    assert!(close(am.cycle_time_s, 7500.0, 1e-12));
    // Printers: 1e6 parts at 3600 / 7500 * 0.95 = 0.456 good parts an hour over 4000 h,
    // 1824 a printer a year: 548.2 -> 549 printers, which make 1,001,376.
    let am = compare::route(Route::Am, &i, &models, 1e6).unwrap();
    assert_eq!(am.machines_needed, 549.0);
    assert!(close(am.parts_per_year_per_machine, 1824.0, 1e-12));
    assert!(close(am.fleet_parts_per_year, 549.0 * 1824.0, 1e-12));
    let fleet = RouteInputs {
        fleet: Some(10),
        fleet_printers: None,
        ..i.clone()
    };
    let am = compare::route(Route::Am, &fleet, &models, 1e6).unwrap();
    assert!(close(am.fleet_parts_per_year, 18_240.0, 1e-12));
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
    // Baseplates of 1 h plus the 300 s heat-up, 3900 s a print; an insert survives placing
    // (3 % scrap) and molding (2 % scrap): good = 0.97 * 0.98 = 0.9506, 3600 / 3900 * 0.9506
    // = 0.877477 good baseplates an hour, * 4000 h = 3509.908 a printer a year. 10,000 parts
    // a year need ceil(10,000 / 3509.908) = 3 printers: 10,529.72 a year, while the one
    // molding machine could make hundreds of thousands.
    let econ = &set.economics;
    let per_printer = 3600.0 / 3900.0 * (1.0 - econ.scrap_insert) * (1.0 - econ.scrap_im) * 4000.0;
    assert!(close(per_printer, 3509.9077, 1e-8), "{per_printer}");
    let h = compare::route(Route::Hybrid, &i, &models, 10_000.0).unwrap();
    assert_eq!(h.fleet_printers, Some(3.0));
    assert_eq!(h.fleet_molding_machines, Some(1.0));
    assert!(close(h.fleet_parts_per_year, 3.0 * per_printer, 1e-12));
    assert_eq!(h.fleet_bottleneck, "printers");
    assert!(h.parts_per_year_per_machine > 10.0 * h.fleet_parts_per_year);
    // The printers' yearly hours over the baseplate print time bound the output whatever
    // the fleet: 2 printers given make 2 * 3509.908 however many molding machines there are.
    let fleet = RouteInputs {
        fleet: Some(4),
        fleet_printers: Some(2),
        ..i.clone()
    };
    let h = compare::route(Route::Hybrid, &fleet, &models, 10_000.0).unwrap();
    assert_eq!(h.fleet_molding_machines, Some(4.0));
    assert!(close(h.fleet_parts_per_year, 2.0 * per_printer, 1e-12));
    assert!(h.fleet_parts_per_year <= 2.0 * econ.working_hours_per_year * 3600.0 / 3600.0);
    // With printers enough, the molding machine is the limit: 3,000 printers make 10.5 M
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
