//! The mold's cost terms, its embodied CO2, the CO2 break-even, exchangeable inserts for
//! variants and the amortization period, against hand calculations written out here.

mod common;
#[path = "common/routes.rs"]
mod routes;

use hybridplan::models::ModelSet;
use hybridplan::process::compare::{self, Metric, PrintRun, Route, RouteInputs, RouteModels};
use hybridplan::process::molding::{self, MoldedShape, MoldingJob, ToolMetal, VariantTooling};
use serde_json::Value;

use routes::close;
use routes::ribbed_plate_shape as shape;

const PI: f64 = std::f64::consts::PI;

/// The embedded models with one cavity only, so that the set-up is the same at every volume
/// of these tests (one aluminium cavity on the 500 kN machine).
fn one_cavity_models() -> ModelSet {
    let mut set = ModelSet::embedded().unwrap();
    set.molding.tooling.cavity_counts = vec![1];
    set
}

/// A 2 h FFF print of 40 cm3 of PLA on a 0.12 kW printer, for the whole part and (an hour,
/// 25 cm3) the baseplate.
fn inputs<'a>(set: &'a ModelSet, shape: &MoldedShape, variants: u32) -> RouteInputs<'a> {
    // The per-part handling of before the per-build labour model: these tests read the AM
    // figures from the tool, so only the molding side is calculated by hand here.
    let run = PrintRun {
        first_part_s: 7200.0,
        build_overhead_s: 0.0,
        energy_kwh_per_build: 0.0,
        labour_min_per_build: 0.0,
        labour_min_per_part: 2.0,
        ..routes::fff_run()
    };
    routes::route_inputs(set, shape, run, variants)
}

// The one-cavity aluminium tool of `shape()`, by hand:
//   cavity hours 5 + 0.085 * 96^1.2 + 45 * 2^1.27 = 133.8530 h
//   cavities C_cav = 133.8530 h * 0.7 * 65 EUR/h = 6090.313
//   base C_base = 1600 + 0.72 * 621 cm2 * 8.5^0.4 = 2652.426; metal 0.03 * 621 * 8.5 = 158.355
//   one full cavity set = 1.55 C_cav + 0.8 C_base = 9439.985 + 2121.941 = 11561.926
//   tool = 2652.426 + 158.355 + 11561.926 = 14372.707
//   mass 621 cm2 * 8.5 cm * 2.81 g/cm3 = 14.8326 kg of aluminium
//   toolmaker hours 11561.926 / 65 = 177.876 h at 5 kW = 889.38 kWh
//   embodied CO2 14.8326 * 11.46 + 889.38 * 0.25 = 169.982 + 222.345 = 392.327 kg
//   embodied energy 14.8326 * 218 / 3.6 + 889.38 = 898.20 + 889.38 = 1787.58 kWh
const C_CAV: f64 = 6090.313;
const C_BASE: f64 = 2652.426;
const METAL: f64 = 158.355;
const TOOL_CO2_KG: f64 = 392.327;

/// The molding process's own CO2 per good part (no tool): the cycle on the 500 kN machine is
/// 1.152 s fill + 17.97069 s cooling + 2.9 s reset = 22.02269 s, over 0.98 good
///   energy 0.15 * 7.5 kW * 0.00624226 h + 0.33 kWh/kg * 0.039096 / 0.98 = 0.0201874 kWh
///   CO2 0.0201874 * 0.25 + 0.039096 / 0.98 * 1.6 = 0.0050469 + 0.0638302 = 0.0688771 kg.
fn process_co2_kg() -> f64 {
    let cooling = 9.0 / (PI * PI * 0.08) * (4.0 / PI * 190.0 / 50.0).ln();
    let h = (1.152 + cooling + 2.9) / 3600.0 / 0.98;
    let kwh = 0.15 * 7.5 * h + 0.33 * 0.039096 / 0.98;
    kwh * 0.25 + 0.039096 / 0.98 * 1.6
}

#[test]
fn the_tool_and_its_embodied_impact_by_hand() {
    let set = one_cavity_models();
    let (_, pp) = set.materials.get("PP").unwrap();
    let s = shape();
    let job = MoldingJob {
        shape: &s,
        material: pp,
        annual_volume: 1000.0,
        cavity_sets: 1,
        inserts: None,
    };
    let t = molding::tool(&job, &set.molding, &set.economics, 1, ToolMetal::Aluminium);
    assert!(
        close(t.cavity_set_cost, C_CAV, 1e-6),
        "{}",
        t.cavity_set_cost
    );
    assert!(close(t.mold_base_cost, C_BASE, 1e-6));
    assert!(close(t.metal_cost, METAL, 1e-6));
    assert!(close(
        t.customization_cost,
        0.55 * C_CAV + 0.8 * C_BASE,
        1e-6
    ));
    assert!(close(t.tool_cost, 14372.707, 1e-6), "{}", t.tool_cost);
    assert!(close(t.mass_kg, 14.8326, 1e-4), "{}", t.mass_kg);
    assert!(close(t.toolmaking_h, 177.876, 1e-5), "{}", t.toolmaking_h);
    assert!(
        close(t.embodied_co2_kg, TOOL_CO2_KG, 1e-5),
        "{}",
        t.embodied_co2_kg
    );
    assert!(
        close(t.embodied_energy_kwh, 1787.58, 1e-5),
        "{}",
        t.embodied_energy_kwh
    );
}

#[test]
fn molding_co2_per_part_falls_with_volume_by_hand() {
    let set = one_cavity_models();
    let s = shape();
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let i = inputs(&set, &s, 1);
    // CO2 per part = process 0.0688771 + 392.327 kg / (3 years * V):
    //   1,000 a year: 0.0688771 + 0.1307757 = 0.1996528 kg
    //   3,000 a year: 0.0688771 + 0.0435919 = 0.1124690 kg
    for (v, by_hand) in [(1000.0, 0.1996528), (3000.0, 0.1124690)] {
        let im = compare::route(Route::Im, &i, &models, v).unwrap();
        let plan = im.molding.as_ref().unwrap();
        assert_eq!(
            (plan.cavities, plan.machine_clamp_kn, plan.tool.metal),
            (1, 500.0, ToolMetal::Aluminium)
        );
        assert!(close(
            process_co2_kg() + TOOL_CO2_KG / (3.0 * v),
            by_hand,
            1e-6
        ));
        assert!(
            close(im.co2_kg_per_part, by_hand, 1e-5),
            "{v}: {}",
            im.co2_kg_per_part
        );
        assert!(close(
            im.tooling_co2_kg_per_part,
            TOOL_CO2_KG / (3.0 * v),
            1e-5
        ));
        // The mold's embodied energy is spread the same way: 1787.58 kWh / (3 V).
        assert!(close(
            im.tooling_energy_kwh_per_part,
            1787.58 / (3.0 * v),
            1e-5
        ));
    }
}

#[test]
fn co2_break_even_by_hand() {
    let set = one_cavity_models();
    let s = shape();
    let models = RouteModels {
        molding: &set.molding,
        economics: &set.economics,
    };
    let i = inputs(&set, &s, 1);
    // The printed part's CO2 does not depend on the volume (by hand with today's AM model:
    // 0.24 kWh / 0.95 * 0.25 + 0.0496 kg / 0.95 * 0.6 = 0.0944842 kg); it is read from the AM
    // route so that this test follows the AM model.
    let am = compare::route(Route::Am, &i, &models, 10.0)
        .unwrap()
        .co2_kg_per_part;
    let am_1e6 = compare::route(Route::Am, &i, &models, 1e6).unwrap();
    assert!(close(am_1e6.co2_kg_per_part, am, 1e-12));
    // IM emits the same when 0.0688771 + 392.327 / (3 V) = CO2_AM:
    //   V = 392.327 / (3 (CO2_AM - 0.0688771)); with 0.0944842 kg, 392.327 / 0.0768213
    //     = 5107 a year (15,321 parts over the 3 years, one aluminium tool).
    let by_hand = TOOL_CO2_KG / (3.0 * (am - process_co2_kg()));
    if close(am, 0.0944842, 1e-6) {
        assert!(close(by_hand, 5107.0, 1e-3), "{by_hand}");
    }
    let c = hybridplan::process::compare_routes(&i, &models, 1000.0);
    let v = c.co2_break_even_volumes.am_im.unwrap();
    assert!(close(v, by_hand, 1e-5), "{v} vs {by_hand}");
    assert!(close(
        c.co2_break_even_total_quantities.am_im.unwrap(),
        3.0 * by_hand,
        1e-5
    ));
    // Below it the printed part emits less, above it the molded one.
    let at = |v: f64| {
        compare::route(Route::Im, &i, &models, v)
            .unwrap()
            .co2_kg_per_part
    };
    assert!(at(0.9 * by_hand) > am && at(1.1 * by_hand) < am);
    // The sweep reports every route's CO2 per part.
    let k = c.sweep.volumes.iter().position(|&x| x >= 1000.0).unwrap();
    let vk = c.sweep.volumes[k];
    assert!(close(c.sweep.co2_kg.im[k].unwrap(), at(vk), 1e-12));
    assert!(close(c.sweep.co2_kg.am[k].unwrap(), am, 1e-12));
    assert_eq!(
        c.sweep.values(Metric::Co2, Route::Im)[k],
        c.sweep.co2_kg.im[k]
    );
}

#[test]
fn years_move_the_cost_break_even_as_the_hand_calculation_says() {
    let mut set = one_cavity_models();
    let s = shape();
    // IM cost per part = 1.15 (var + T / (years V) + 2 h * (48 + 35) EUR/h / V), with the
    // variable part var = material 0.0638302 + machine 0.00624226 h * 48 = 0.2996285
    //   + labour 0.00624226 * 0.25 * 35 = 0.0546198 + energy 0.0201874 * 0.18 = 0.0036337
    //   = 0.4217122 EUR, T = 14372.707 EUR.
    // AM = IM where V = (T / years + 166) / (AM / 1.15 - var); with today's AM model
    // (6.597208 EUR, printing_cost_by_hand in tests/process.rs):
    //   3 years: (4790.902 + 166) / (5.736702 - 0.4217122) = 4956.902 / 5.314990 = 932.6/yr
    //   6 years: (2395.451 + 166) / 5.314990 = 481.9/yr
    let cooling = 9.0 / (PI * PI * 0.08) * (4.0 / PI * 190.0 / 50.0).ln();
    let h = (1.152 + cooling + 2.9) / 3600.0 / 0.98;
    let var = 0.039096 * 1.6 / 0.98
        + h * 48.0
        + h * 0.25 * 35.0
        + (0.15 * 7.5 * h + 0.33 * 0.039096 / 0.98) * 0.18;
    assert!(close(var, 0.4217122, 1e-6), "{var}");
    let mut found = Vec::new();
    for years in [3.0, 6.0] {
        set.economics.amortization_years = years;
        let models = RouteModels {
            molding: &set.molding,
            economics: &set.economics,
        };
        let i = inputs(&set, &s, 1);
        let am = compare::route(Route::Am, &i, &models, 10.0)
            .unwrap()
            .cost_per_part;
        let by_hand = (14372.707 / years + 166.0) / (am / 1.15 - var);
        let c = hybridplan::process::compare_routes(&i, &models, 1000.0);
        let v = c.break_even_volumes.am_im.unwrap();
        assert!(close(v, by_hand, 1e-5), "{years} years: {v} vs {by_hand}");
        assert_eq!(c.amortization_years, years);
        assert!(close(
            c.break_even_total_quantities.am_im.unwrap(),
            years * v,
            1e-12
        ));
        if close(am, 6.597208, 1e-6) {
            let expected = if years == 3.0 { 932.6 } else { 481.9 };
            assert!(close(v, expected, 1e-3), "{v}");
        }
        found.push(v);
    }
    assert!(found[1] < found[0]);
}

#[test]
fn exchangeable_inserts_serve_from_three_variants_by_hand() {
    let set = one_cavity_models();
    let (_, pp) = set.materials.get("PP").unwrap();
    let s = shape();
    // At 1,000 parts a year in one aluminium cavity (3,000 parts over the period):
    //   full cavity sets: C_base + metal + N (1.55 C_cav + 0.8 C_base), changeover 2 h a
    //     variant at 48 + 35 EUR/h; inserts: frame 10,000 + metal + N * 1.55 C_cav,
    //     changeover 0.25 h a variant.
    //   N = 2: full 25934.633 / 3000 + 2 * 166 / 1000 = 8.644878 + 0.332 = 8.976878
    //          inserts 29038.325 / 3000 + 2 * 20.75 / 1000 = 9.679442 + 0.0415 = 9.720942
    //          -> full cavity sets
    //   N = 3: full 37496.559 / 3000 + 0.498 = 12.996853
    //          inserts 38478.310 / 3000 + 0.06225 = 12.888353 -> exchangeable inserts
    let set_full = 1.55 * C_CAV + 0.8 * C_BASE;
    let insert = 1.55 * C_CAV;
    for (n, tooling, tool_by_hand, tooling_per_part) in [
        (2, VariantTooling::FullCavitySets, 25934.633, 8.976878),
        (3, VariantTooling::ExchangeableInserts, 38478.310, 12.888353),
    ] {
        let full = C_BASE + METAL + n as f64 * set_full;
        let ins = 10_000.0 + METAL + n as f64 * insert;
        let full_pp = full / 3000.0 + n as f64 * 2.0 * 83.0 / 1000.0;
        let ins_pp = ins / 3000.0 + n as f64 * 0.25 * 83.0 / 1000.0;
        assert_eq!(full_pp < ins_pp, tooling == VariantTooling::FullCavitySets);
        let job = MoldingJob {
            shape: &s,
            material: pp,
            annual_volume: 1000.0,
            cavity_sets: n,
            inserts: None,
        };
        let plan = molding::plan(&job, &set.molding, &set.economics).unwrap();
        assert_eq!(plan.tool.variant_tooling, tooling, "{n} variants");
        assert_eq!(plan.tool.metal, ToolMetal::Aluminium);
        assert!(
            close(plan.tool.tool_cost, tool_by_hand, 1e-6),
            "{n}: {}",
            plan.tool.tool_cost
        );
        assert!(
            close(
                plan.tooling_cost_per_part + plan.changeover_cost_per_part,
                tooling_per_part,
                1e-6
            ),
            "{n}"
        );
    }
    // A part whose plate does not fit the frame's 380 x 300 mm insert keeps full sets:
    // 400 mm + 2 * 75 mm = 550 mm.
    let long = MoldedShape {
        length_mm: 400.0,
        ..s
    };
    let job = MoldingJob {
        shape: &long,
        material: pp,
        annual_volume: 1000.0,
        cavity_sets: 10,
        inserts: None,
    };
    assert!(
        molding::tool_for(
            &job,
            &set.molding,
            &set.economics,
            1,
            ToolMetal::Aluminium,
            VariantTooling::ExchangeableInserts
        )
        .is_none()
    );
    let plan = molding::plan(&job, &set.molding, &set.economics).unwrap();
    assert_eq!(plan.tool.variant_tooling, VariantTooling::FullCavitySets);
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn the_generated_ribbed_plate_mold_costs_what_the_hand_calculation_says() {
    let (code, out, err) = common::run(&[
        "estimate",
        &common::sample("ribbed_plate.stl"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    // The generated plate: 120 x 80 mm, 15 mm deep, 9,600 mm2 projected, and 26 surface
    // patches (bottom, two long sides, two ends with the flush rib ends, six top strips
    // between the ribs, five rib tops, ten rib sides).
    let shape = &v["part_shape"];
    assert_eq!(shape["surface_patches"], 26);
    assert_eq!(f(shape, "projected_area_mm2"), 9600.0);
    // One aluminium cavity at 10,000 a year:
    //   hours 5 + 0.085 * 96^1.2 + 45 * 2.6^1.27 = 5 + 20.3303 + 151.4358 = 176.7662 h
    //   C_cav = 176.7662 * 0.7 * 65 = 8042.861; C_base = 2652.426; metal 158.355
    //   customisation 0.55 * 8042.861 + 0.8 * 2652.426 = 4423.573 + 2121.941 = 6545.514
    //   tool 2652.426 + 8042.861 + 6545.514 + 158.355 = 17399.156 EUR
    let tool = &v["routes"]["im"]["molding"]["tool"];
    assert_eq!(tool["cavities"], 1);
    assert_eq!(tool["metal"], "aluminium");
    assert_eq!(tool["variant_tooling"], "full_cavity_sets");
    assert!(close(f(tool, "cavity_set_cost"), 8042.861, 1e-6));
    assert!(close(f(tool, "customization_cost"), 6545.514, 1e-6));
    assert!(close(f(tool, "tool_cost"), 17399.156, 1e-6), "{tool}");
    // Break-evens are labelled with their period and given as totals too.
    assert_eq!(f(&v, "amortization_years"), 3.0);
    for key in ["break_even_volumes", "co2_break_even_volumes"] {
        let total = key.replace("volumes", "total_quantities");
        for pair in ["am_im", "am_hybrid", "hybrid_im"] {
            if let Some(x) = v[key][pair].as_f64() {
                assert!(close(f(&v[&total], pair), 3.0 * x, 1e-12), "{key}.{pair}");
            }
        }
    }
    assert!(v["co2_break_even_volumes"]["am_im"].as_f64().is_some());
}

#[test]
fn years_option_on_the_command_line() {
    let sample = common::sample("ribbed_plate.stl");
    let (code, out, err) = common::run(&["estimate", &sample, "--years", "6"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("parts/year over a 6-year amortization"),
        "{out}"
    );
    assert!(out.contains("CO2 (parts/year)"), "{out}");
    let (code, out, _) = common::run(&["estimate", &sample, "--years", "6", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(f(&v, "amortization_years"), 6.0);
    let am_im = f(&v["break_even_volumes"], "am_im");
    assert!(close(
        f(&v["break_even_total_quantities"], "am_im"),
        6.0 * am_im,
        1e-12
    ));
    // Outside its range it is a usage error naming the range.
    let (code, _, err) = common::run(&["estimate", &sample, "--years", "0"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--years") && err.contains("0.1 to 50"),
        "{err}"
    );
}
