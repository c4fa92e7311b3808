//! AM cost by activity (issue 11, items 1, 2 and the energy half of 6), against hand
//! calculations written out here: labour per build and per part, powder-bed builds filled by
//! the volume, consumables, the FFF heat-up, and the energy per kg of each route.

use hybridplan::models::{Economics, ModelSet, PowderPrinter};
use hybridplan::process::compare::{self, PrintRun, Route, RouteInputs, RouteModels};
use hybridplan::process::molding::{self, InsertHandling, MoldedShape, MoldingJob};
use hybridplan::process::powder::{self, PowderBuild};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// A small powder-bed printer with round numbers (the one of the unit tests in
/// `process::powder`), with a job energy, operator times and consumables.
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
        job_energy_kwh: 2.0,
        setup_min_per_build: 30.0,
        unpack_min_per_build: 30.0,
        depowder_min_per_part: 1.0,
        depowder_min_per_dm2: 0.5,
        agents_eur_per_cm3: 0.05,
        consumables_eur_per_h: 3.6,
    }
}

/// The embedded economics with every figure the AM route uses set here, so the hand
/// calculations below do not move with the defaults.
fn economics() -> Economics {
    let mut e = ModelSet::embedded().unwrap().economics;
    e.labour_rate_per_h = 35.0;
    e.electricity_price_per_kwh = 0.18;
    e.grid_co2_kg_per_kwh = 0.25;
    e.overhead_fraction = 0.15;
    e.scrap_am = 0.05;
    e.working_hours_per_year = 4000.0;
    e.powder_build_period_h = 80.0;
    e
}

fn shape() -> MoldedShape {
    MoldedShape {
        volume_mm3: 1000.0,
        projected_area_mm2: 200.0,
        wall_mm: 2.0,
        length_mm: 20.0,
        width_mm: 10.0,
        depth_mm: 5.0,
        surface_patches: 6,
        side_actions: 0,
    }
}

#[test]
fn a_small_sls_part_costs_less_as_the_builds_fill() {
    let set = ModelSet::embedded().unwrap();
    let econ = economics();
    let (_, pa12) = set.materials.get("PA12").unwrap();
    assert_eq!(pa12.density_g_cm3, 1.01);
    let build = PowderBuild {
        part_volume_mm3: 1000.0,
        part_bbox_mm: [20.0, 10.0, 5.0],
        printer: printer(),
    };
    let (run, e) = PrintRun::powder(build, 60.0, 100.0, &econ).unwrap();
    // A full build holds 100 (packing density 0.1 of 10⁶ mm³ over 1000 mm³).
    assert_eq!(e.full_build_parts, 100);
    let inputs = RouteInputs {
        am_part: Ok(run),
        am_baseplate: Err("none".into()),
        part_shape: shape(),
        rib_shape: shape(),
        printed: pa12,
        molded: pa12,
        variants: 1,
        inserts: InsertHandling::Manual,
        fleet: None,
        fleet_printers: None,
    };
    let models = RouteModels {
        molding: &set.molding,
        economics: &econ,
    };
    // One build every 80 of 4000 working hours, 50 a year. Per part, each over the good
    // fraction 0.95, then 15 % overhead. Labour 35 EUR/h, electricity 0.18 EUR/kWh, PA12
    // powder 1.01 g/cm³ at 60 EUR/kg. Depowdering 1 min + 0.5 min/dm² of the 0.07 dm² box
    // = 1.035 min a part.
    //
    // 100 a year: ⌈100 · 80 / 4000⌉ = 2 a build, one flat level 9 mm high, 90 layers:
    //   build 1000 + 900 + 40 = 1940 s; machine 1940/3600 · 36 / 2 = 9.7
    //   labour (30 + 30) / 2 + 1.035 = 31.035 min · 35 / 60 = 18.10375
    //   powder 1000 + 0.5 · (90000 − 2000) / 2 = 23000 mm³ = 23.23 g · 0.06 = 1.3938
    //   consumables 0.05 · 1 + 3.6 · 1940/3600 / 2 = 1.02
    //   energy (2 + 3.6 · 1940/3600) / 2 = 1.97 kWh · 0.18 = 0.3546
    //   direct 30.57215 / 0.95 · 1.15 = 37.00839 EUR
    let at_100 = (1.3938 + 1.02 + 9.7 + 31.035 / 60.0 * 35.0 + 1.97 * 0.18) / 0.95 * 1.15;
    assert!(close(at_100, 37.00839, 1e-6), "{at_100}");
    // 1000 a year: 20 a build, still one flat level of 9 mm:
    //   build 1000 + 900 + 20 · 1000 / 0.1 / 500 = 2300 s; machine 2300/3600 · 36 / 20 = 1.15
    //   labour 60 / 20 + 1.035 = 4.035 min · 35 / 60 = 2.35375
    //   powder 1000 + 0.5 · (90000 − 20000) / 20 = 2750 mm³ = 2.7775 g · 0.06 = 0.16665
    //   consumables 0.05 + 3.6 · 2300/3600 / 20 = 0.165
    //   energy (2 + 2.3) / 20 = 0.215 kWh · 0.18 = 0.0387
    //   direct 3.8741 / 0.95 · 1.15 = 4.68970 EUR
    let at_1000 = (0.16665 + 0.165 + 1.15 + 4.035 / 60.0 * 35.0 + 0.215 * 0.18) / 0.95 * 1.15;
    assert!(close(at_1000, 4.68970, 1e-6), "{at_1000}");
    // 10,000 a year: 200 ordered a period, a full build of 100 (upright, 24 mm, 240 layers):
    //   build 1000 + 2400 + 2000 = 5400 s = 1.5 h; machine 1.5 · 36 / 100 = 0.54
    //   labour 60 / 100 + 1.035 = 1.635 min · 35 / 60 = 0.95375
    //   powder 1000 + 0.5 · (240000 − 100000) / 100 = 1700 mm³ = 1.717 g · 0.06 = 0.10302
    //   consumables 0.05 + 3.6 · 1.5 / 100 = 0.104
    //   energy (2 + 3.6 · 1.5) / 100 = 0.074 kWh · 0.18 = 0.01332
    //   direct 1.71409 / 0.95 · 1.15 = 2.07495 EUR
    let at_10k = (0.10302 + 0.104 + 0.54 + 1.635 / 60.0 * 35.0 + 0.074 * 0.18) / 0.95 * 1.15;
    assert!(close(at_10k, 2.07495, 1e-5), "{at_10k}");
    for (v, by_hand, labour_min, energy_kwh) in [
        (100.0, at_100, 31.035, 1.97),
        (1000.0, at_1000, 4.035, 0.215),
        (10_000.0, at_10k, 1.635, 0.074),
    ] {
        let am = compare::route(Route::Am, &inputs, &models, v).unwrap();
        assert!(
            close(am.cost_per_part, by_hand, 1e-9),
            "{v}: {} vs {by_hand}",
            am.cost_per_part
        );
        assert!(close(am.labour_cost, labour_min / 60.0 * 35.0 / 0.95, 1e-9));
        assert!(close(am.energy_kwh_per_part, energy_kwh / 0.95, 1e-9));
    }
    // The consumables are their own line: 1.02 / 0.95 at 100 a year.
    let am = compare::route(Route::Am, &inputs, &models, 100.0).unwrap();
    assert!(close(am.consumables_cost, 1.02 / 0.95, 1e-9));
    // Lead time: the build of two and its 5000 s cool-down, (1940 + 5000) / 3600 h.
    assert!(close(am.lead_time_h, 6940.0 / 3600.0, 1e-12));
}

#[test]
fn powder_bed_baseplates_fill_builds_by_the_volume_too() {
    let set = ModelSet::embedded().unwrap();
    let econ = economics();
    let (_, pa12) = set.materials.get("PA12").unwrap();
    let build = PowderBuild {
        part_volume_mm3: 1000.0,
        part_bbox_mm: [20.0, 10.0, 5.0],
        printer: printer(),
    };
    let (run, _) = PrintRun::powder(build, 60.0, 1.0, &econ).unwrap();
    let inputs = RouteInputs {
        am_part: Ok(run.clone()),
        am_baseplate: Ok(run),
        part_shape: shape(),
        rib_shape: MoldedShape {
            volume_mm3: 300.0,
            ..shape()
        },
        printed: pa12,
        molded: pa12,
        variants: 1,
        inserts: InsertHandling::Manual,
        fleet: None,
        fleet_printers: None,
    };
    let models = RouteModels {
        molding: &set.molding,
        economics: &econ,
    };
    // The hybrid route's baseplate labour at 1000 a year: 20 a build, 4.035 min a part, over
    // the insert's good fraction (1 − 0.03)(1 − 0.02) = 0.9506, on top of the molding labour.
    let h = compare::route(Route::Hybrid, &inputs, &models, 1000.0).unwrap();
    let im_labour = h.molding.as_ref().unwrap().labour_cost;
    let good = (1.0 - econ.scrap_insert) * (1.0 - econ.scrap_im);
    assert!(close(
        h.labour_cost - im_labour,
        4.035 / 60.0 * 35.0 / good,
        1e-9
    ));
}

#[test]
fn fff_energy_adds_the_heat_up_of_every_print() {
    let set = ModelSet::embedded().unwrap();
    let econ = economics();
    let desktop = &set.printers.fff["desktop_fff"];
    // The embedded desktop printer: 0.12 kW printing, 300 s heating at 0.15 kW, 2 min set-up
    // a print and 2 min removal a part.
    assert_eq!(
        (desktop.power_kw, desktop.heatup_s, desktop.heatup_power_kw),
        (0.12, 300.0, 0.15)
    );
    assert_eq!(
        (desktop.setup_min_per_build, desktop.removal_min_per_part),
        (2.0, 2.0)
    );
    let run = PrintRun::fff(3600.0, 10_000.0, 25.0, desktop);
    let (_, pla) = set.materials.get("PLA").unwrap();
    let inputs = RouteInputs {
        am_part: Ok(run),
        am_baseplate: Err("none".into()),
        part_shape: shape(),
        rib_shape: shape(),
        printed: pla,
        molded: pla,
        variants: 1,
        inserts: InsertHandling::Manual,
        fleet: None,
        fleet_printers: None,
    };
    let models = RouteModels {
        molding: &set.molding,
        economics: &econ,
    };
    // A 1 h print: 0.12 kW · 1 h + 0.15 kW · 300 s / 3600 = 0.12 + 0.0125 = 0.1325 kWh a
    // print, one part a print, over 0.95 good: 0.139474 kWh a part (the old constant 80 W
    // gave 0.084211). Labour (2 + 2) min · 35 / 60 / 0.95 = 2.456140 EUR, whatever the volume.
    let energy = (0.12 + 0.15 * 300.0 / 3600.0) / 0.95;
    assert!(close(energy, 0.139474, 1e-5), "{energy}");
    for v in [1.0, 1000.0] {
        let am = compare::route(Route::Am, &inputs, &models, v).unwrap();
        assert!(close(am.energy_kwh_per_part, energy, 1e-12));
        assert!(close(am.labour_cost, 2.456140, 1e-6), "{}", am.labour_cost);
        // The printer is busy for the print and its heat-up: 3900 s.
        assert!(close(am.cycle_time_s, 3900.0, 1e-12));
    }
}

#[test]
fn full_powder_builds_land_in_the_measured_energy_range() {
    // Baumers et al. (2011) measured 61–4849 MJ per kg deposited across AM platforms,
    // 17–1347 kWh/kg; a full build of small parts, the efficient end, must not fall below it.
    let set = ModelSet::embedded().unwrap();
    for name in ["sls", "mjf"] {
        let p = &set.printers.powder[name];
        for (vol, bbox) in [
            (4000.0, [20.0, 20.0, 10.0]),
            (43_200.0, [120.0, 80.0, 15.0]),
        ] {
            let e = powder::estimate_powder(vol, bbox, p).unwrap();
            let kwh_per_kg = e.energy_kwh_per_part / (vol * 1.01e-6);
            assert!(
                (17.0..=1347.0).contains(&kwh_per_kg),
                "{name} {vol}: {kwh_per_kg} kWh/kg"
            );
        }
    }
}

#[test]
fn molding_energy_per_kg_lands_in_the_measured_machine_range() {
    // The model's boundary is the molding machine (drive, heaters, controls), not the plant:
    // measured machines draw about 0.16–0.6 kWh per kg processed (the whole plant, with
    // dryers, chillers and air, 12.6–19 MJ/kg = 3.5–5.3 kWh/kg, Thiriez 2006).
    let set = ModelSet::embedded().unwrap();
    for material in ["PP", "PLA", "ABS"] {
        let (_, m) = set.materials.get(material).unwrap();
        // The ribbed plate molded whole.
        let shape = MoldedShape {
            volume_mm3: 43_200.0,
            projected_area_mm2: 9600.0,
            wall_mm: 3.0,
            length_mm: 120.0,
            width_mm: 80.0,
            depth_mm: 15.0,
            surface_patches: 20,
            side_actions: 0,
        };
        for volume in [10_000.0, 1e6] {
            let job = MoldingJob {
                shape: &shape,
                material: m,
                annual_volume: volume,
                cavity_sets: 1,
                inserts: None,
            };
            let plan = molding::plan(&job, &set.molding, &set.economics).unwrap();
            let kwh_per_kg = plan.energy_kwh / (plan.mass_g / 1000.0);
            assert!(
                (0.16..=0.6).contains(&kwh_per_kg),
                "{material} at {volume}: {kwh_per_kg} kWh/kg"
            );
        }
    }
}

#[test]
fn a_changed_run_stays_changed_when_its_build_is_refilled() {
    // A caller (the sensitivity study) scales a run's rate and time; the refill at another
    // volume keeps them. The run of 2 parts a build (100 a year), its machine rate doubled
    // and its time 25 % longer, at 1000 a year (20 a build): the build's 2300 s become
    // 2875 s, 143.75 s a part, and the machine costs 143.75 / 3600 · 72 = 2.875 EUR a part.
    let econ = economics();
    let build = PowderBuild {
        part_volume_mm3: 1000.0,
        part_bbox_mm: [20.0, 10.0, 5.0],
        printer: printer(),
    };
    let (mut run, _) = PrintRun::powder(build, 60.0, 100.0, &econ).unwrap();
    assert!(close(run.time_per_part_s, 970.0, 1e-12));
    run.hourly_rate *= 2.0;
    run.time_per_part_s *= 1.25;
    let at_1000 = run.at_volume(1000.0, &econ);
    assert_eq!(at_1000.parts_per_build, 20.0);
    assert!(close(at_1000.time_per_part_s, 143.75, 1e-12));
    assert!(close(at_1000.hourly_rate, 72.0, 1e-12));
    assert!(close(
        at_1000.time_per_part_s / 3600.0 * at_1000.hourly_rate,
        2.875,
        1e-12
    ));
    // At its own volume the run is as it was changed.
    assert_eq!(run.at_volume(100.0, &econ), run);
}
