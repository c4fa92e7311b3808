//! Published cases run through the tool's own models (docs/validation.md): each test builds
//! the case's part, runs the tool on it, and checks the tool's figure against the paper's
//! within the tolerance stated in docs/validation.md. Where the tool disagrees with a
//! published range (cases 1 and 2), the test pins the tool's figure and checks by hand the
//! term docs/validation.md names as the reason.

mod common;

use std::path::{Path, PathBuf};

use hybridplan::interface::{self, MaterialPair};
use hybridplan::mesh;
use hybridplan::models::ModelSet;
use hybridplan::samples::{self, Layer};
use serde_json::Value;
use tempfile::TempDir;

/// A small open cover, 40 x 30 mm, 10 mm tall, 2 mm floor and 2 mm walls: a part of the
/// "small part" class of the 2023 review. Volume by hand: floor 40 * 30 * 2 = 2400 mm³,
/// walls (40 * 30 - 36 * 26) * 8 = 264 * 8 = 2112 mm³; 4512 mm³ in all.
fn small_cover() -> Vec<Layer> {
    vec![
        Layer {
            z0: 0.0,
            z1: 2.0,
            rings: vec![samples::rect(0.0, 0.0, 40.0, 30.0)],
        },
        Layer {
            z0: 2.0,
            z1: 10.0,
            rings: vec![
                samples::rect(0.0, 0.0, 40.0, 30.0),
                samples::reversed(samples::rect(2.0, 2.0, 38.0, 28.0)),
            ],
        },
    ]
}

const SMALL_COVER_MM3: f64 = 4512.0;

/// Writes `layers` as a binary STL named `name` in `dir`.
fn write_part(dir: &Path, name: &str, layers: &[Layer]) -> PathBuf {
    let mesh = samples::extrude_layers(layers).expect("valid layers");
    let path = dir.join(format!("{name}.stl"));
    mesh::stl::write_binary(&path, &mesh, name).expect("the STL is written");
    path
}

/// `hybridplan estimate FILE ARGS --format json`, parsed.
fn estimate(file: &Path, args: &[&str]) -> Value {
    let file = file.display().to_string();
    let mut all = vec!["estimate", file.as_str(), "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = common::run(&all);
    assert_eq!(code, 0, "estimate failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut at = v;
    for k in path {
        at = &at[*k];
    }
    at.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number: {at}"))
}

/// The small cover written to a fresh folder (kept alive by the returned guard).
fn cover() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let f = write_part(dir.path(), "cover", &small_cover());
    (dir, f)
}

/// The cover in PA12 on `printer` at `volume` parts a year.
fn pa12_on(file: &Path, printer: &str, volume: f64) -> Value {
    let v = format!("{volume}");
    estimate(
        file,
        &[
            "--printer",
            printer,
            "--material",
            "PA12",
            "--baseplate-material",
            "PA12",
            "--volume",
            &v,
        ],
    )
}

#[test]
fn the_cover_is_the_part_described() {
    let (_dir, f) = cover();
    let e = pa12_on(&f, "sls", 1000.0);
    assert!((num(&e, &["part_volume_mm3"]) - SMALL_COVER_MM3).abs() < 1e-6);
}

/// Case 1 (docs/validation.md): the 2023 review puts AM = IM at 42,000-87,000 parts a year
/// for small parts, depending on process and geometry. Before issue 11 the tool put the small
/// cover's SLS break-even at 733 a year and MJF's at 1,036; with the per-build labour, the
/// builds filled by a week's orders and the mold's customisation it is 11 and 19 a year:
/// below that the mold's share is dearer than a nearly empty build, above it a week's parts
/// share a build and printing stays dearer than molding at every volume up to 10^7 (the
/// mold, 14,000 EUR, is paid back by a saving of about 2 EUR a part in a few thousand parts).
/// This pins today's figures (5 %), and that AM is dearer than IM at 1,000 a year and beyond.
#[test]
fn case1_review_cost_range_today() {
    let (_dir, f) = cover();
    let sls = pa12_on(&f, "sls", 1000.0);
    let mjf = pa12_on(&f, "mjf", 1000.0);
    let be_sls = num(&sls, &["break_even_volumes", "am_im"]);
    let be_mjf = num(&mjf, &["break_even_volumes", "am_im"]);
    println!("case 1: AM = IM at {be_sls:.0} a year by SLS, {be_mjf:.0} by MJF");
    assert!((be_sls - 11.37).abs() < 0.05 * 11.37, "SLS {be_sls}");
    assert!((be_mjf - 19.0).abs() < 0.05 * 19.0, "MJF {be_mjf}");
    for e in [&sls, &mjf] {
        let am = num(e, &["routes", "am", "cost_per_part"]);
        let im = num(e, &["routes", "im", "cost_per_part"]);
        assert!(am > im, "AM {am} against IM {im} at 1,000 a year");
    }
    // The break-even is where the mold's share equals the printing's surplus over molding's
    // variable cost: at the swept volume both routes cost the same to 1e-6.
    let at = pa12_on(&f, "sls", be_sls);
    let am = num(&at, &["routes", "am", "cost_per_part"]);
    let im = num(&at, &["routes", "im", "cost_per_part"]);
    assert!((am - im).abs() < 1e-3 * am, "{am} vs {im}");
}

/// CO2 per part of AM and IM (kg) for the cover by SLS at `volume`.
fn co2_at(file: &Path, volume: f64) -> (f64, f64) {
    let e = pa12_on(file, "sls", volume);
    (
        num(&e, &["routes", "am", "co2_kg_per_part"]),
        num(&e, &["routes", "im", "co2_kg_per_part"]),
    )
}

/// Case 2: the review finds AM greener only below about 1,000 parts a year. With the mold's
/// embodied CO2 amortised, molding's CO2 per part falls with volume (6.68 kg at 10 a year,
/// 0.032 at 100,000), but so does printing's, more steeply: at 10 a year one part a week
/// fills nothing and carries a build's warm-up and job energy (22.65 kg), at 100,000 the
/// builds are full (0.118 kg). IM stays greener at every volume: no crossover. Pinned (3 %).
#[test]
fn case2_review_co2_crossover_today() {
    let (_dir, f) = cover();
    let (am_10, im_10) = co2_at(&f, 10.0);
    let (am_1e5, im_1e5) = co2_at(&f, 100_000.0);
    println!(
        "case 2: CO2 kg/part at 10 a year AM {am_10:.4} IM {im_10:.4}; at 100,000 AM {am_1e5:.4} IM {im_1e5:.4}"
    );
    for (got, pinned) in [
        (am_10, 22.6505),
        (im_10, 6.6766),
        (am_1e5, 0.1182),
        (im_1e5, 0.0320),
    ] {
        assert!((got - pinned).abs() < 0.03 * pinned, "{got} vs {pinned}");
    }
    assert!(im_10 < am_10 && im_1e5 < am_1e5);
}

/// Case 3: Tagliaferri et al. 2019 find FDM the most limited for volume production by its
/// production time. The tool prints the cover in 1,956 s on the desktop FFF printer (the
/// 300 s heat-up included) against 89.3 s (SLS) and 35.5 s (MJF) a part in the builds of
/// 10,000 a year (warm-up and per-build machine time shared): 22 and 55 times longer.
#[test]
fn case3_fdm_is_the_slowest_for_volume() {
    let (_dir, f) = cover();
    let t = |p: &str| num(&pa12_on(&f, p, 10_000.0), &["routes", "am", "cycle_time_s"]);
    let (fff, sls, mjf) = (t("desktop_fff"), t("sls"), t("mjf"));
    println!("case 3: s a part FFF {fff:.1}, SLS {sls:.1}, MJF {mjf:.1}");
    assert!(
        fff > 10.0 * sls && sls > mjf,
        "FFF {fff} s, SLS {sls} s, MJF {mjf} s"
    );
    assert!((fff / sls - 21.9).abs() < 0.05 * 21.9, "{}", fff / sls);
}

/// Case 4: Bezzina & Refalo 2023 find FFF's impact per part above IM's (5 times, on ReCiPe
/// endpoints) for a volume product, printing electricity the largest share of FFF's. The
/// tool agrees for the cover in PLA at 1.5 million a year (their volume): 5.1 times the CO2
/// and 26 times the energy a part by FFF, electricity 84 % of its CO2. Their part, printer
/// and indicator differ from the tool's: tolerances below.
#[test]
fn case4_fff_above_im_for_a_volume_product() {
    let (_dir, f) = cover();
    let e = estimate(
        &f,
        &[
            "--printer",
            "desktop_fff",
            "--material",
            "PLA",
            "--baseplate-material",
            "PLA",
            "--volume",
            "1500000",
        ],
    );
    let co2 = |r: &str| num(&e, &["routes", r, "co2_kg_per_part"]);
    let kwh = |r: &str| num(&e, &["routes", r, "energy_kwh_per_part"]);
    let grid_share = kwh("am") * 0.25 / co2("am");
    println!(
        "case 4: FFF {:.4} kg CO2 {:.4} kWh (electricity {:.0} % of its CO2), IM {:.4} kg {:.4} kWh; cost FFF {:.3} IM {:.3}",
        co2("am"),
        kwh("am"),
        100.0 * grid_share,
        co2("im"),
        kwh("im"),
        num(&e, &["routes", "am", "cost_per_part"]),
        num(&e, &["routes", "im", "cost_per_part"]),
    );
    // Their 5 times within a factor 2 (the tool: 3.0), their 20 times the energy within a
    // factor 2 (the tool: 11), their 80 % electricity share within 15 points (the tool: 74 %
    // of its CO2 at the grid's 0.25 kg/kWh; theirs is of ReCiPe endpoints).
    let co2_ratio = co2("am") / co2("im");
    let kwh_ratio = kwh("am") / kwh("im");
    assert!((2.5..=10.0).contains(&co2_ratio), "{co2_ratio}");
    assert!((10.0..=40.0).contains(&kwh_ratio), "{kwh_ratio}");
    assert!((0.65..=0.95).contains(&grid_share), "{grid_share}");
}

/// Case 5: Gong et al. 2022 measure 13-19 MPa across the interface of FFF PLA overmolded
/// with PLA. The tool's plain bond of the pair over an ISO 527-2 type 1A bar's section
/// (10 x 4 mm, our choice of specimen) carries 40 mm² x 13 MPa = 520 N in pull-off and in
/// shear: 13 MPa, in the measured range, with no warning (the pair is listed).
#[test]
fn case5_pla_on_pla_bond_in_the_measured_range() {
    let set = ModelSet::embedded().unwrap();
    let pair = MaterialPair::of(&set, "PLA", "PLA").unwrap();
    assert!(pair.listed);
    let pla = pair.printed;
    let (bond, warnings) = interface::plain_bond(40.0, &pair);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(
        (bond.bond_pull_plain_n - 520.0).abs() < 1e-9,
        "{}",
        bond.bond_pull_plain_n
    );
    assert!((bond.bond_shear_plain_n - 520.0).abs() < 1e-9);
    let strength_mpa = bond.bond_pull_plain_n / 40.0;
    assert!((13.0..=19.0).contains(&strength_mpa), "{strength_mpa}");
    // The measurement is 22-32 % of PLA's 60 MPa tensile strength; the plain bond stays
    // below the bulk, as the paper's plain joints did.
    assert!(strength_mpa < pla.tensile_strength_mpa);
}

/// Case 5 through the whole pipeline: the bundled ribbed plate (five ribs 120 x 2 mm on the
/// plate, 1,200 mm² of interface) printed and molded in PLA with a plain interface carries
/// 1,200 mm² x 13 MPa = 15,600 N in shear and in pull-off, without an adhesion warning.
#[test]
fn case5_pla_on_pla_bond_of_the_ribbed_plate() {
    let part = common::sample("ribbed_plate.stl");
    let e = estimate(
        Path::new(&part),
        &[
            "--material",
            "PLA",
            "--baseplate-material",
            "PLA",
            "--lattice",
            "none",
        ],
    );
    assert_eq!(num(&e, &["adhesion_mpa"]), 13.0);
    for key in ["bond_shear_plain_n", "bond_pull_plain_n"] {
        assert!(
            (num(&e, &[key]) - 15_600.0).abs() < 1e-6,
            "{key}: {}",
            e[key]
        );
    }
    // No adhesion warning (the pair has data); the one warning is the ribs' pores.
    assert!(
        !e["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("adhesion")),
        "{}",
        e["warnings"]
    );
}

/// Case 5, warmer insert: Gong et al.'s range (13-19 MPa) spans their molding conditions; the
/// tool's plain bond rises with the interface temperature. The ribbed plate's PLA insert
/// preheated to 60 degC meets the 200 degC melt at (200 + 60) / 2 = 130 degC instead of
/// 111.5 degC: 13 MPa x (130 - 60 + 10) / (111.5 - 60 + 10) = 16.91 MPa over the 1,200 mm² of
/// rib footprint, 20,293 N, still within the measured range.
#[test]
fn case5_a_preheated_insert_bonds_within_the_measured_range() {
    let part = common::sample("ribbed_plate.stl");
    let e = estimate(
        Path::new(&part),
        &[
            "--material",
            "PLA",
            "--lattice",
            "none",
            "--insert-temp",
            "60",
        ],
    );
    let mpa = 13.0 * 80.0 / 61.5;
    assert!(
        (num(&e, &["adhesion_mpa"]) - mpa).abs() < 1e-9,
        "{}",
        e["adhesion_mpa"]
    );
    assert!((13.0..=19.0).contains(&mpa));
    assert!((num(&e, &["interface_temp_c"]) - 130.0).abs() < 1e-9);
    for key in ["bond_shear_plain_n", "bond_pull_plain_n"] {
        assert!(
            (num(&e, &[key]) - 1_200.0 * mpa).abs() < 1e-6,
            "{key}: {}",
            e[key]
        );
    }
}

/// Case 6: Imperial College London, ME4 Polymer Processing Technology, solution to problem
/// 5.1 (2008): a 2 mm cavity, melt 240 degC, mould 60 degC, ejection 105 degC,
/// alpha = 1e-7 m²/s (0.1 mm²/s). The sheet sizes the sprue's inlet so that it cools in the
/// time of the plate: 2.97 mm by its cylinder law t = D² / (4 alpha 4.4) ln(1 / T*),
/// T* = (105 - 60) / (240 - 60) = 0.25, i.e. the sheet's plate time is
/// 2.97² / (4 x 0.1 x 4.4) x ln 4 = 6.95 s; its 5.59 mm sprue outlet cools in 24.6 s.
/// The tool's plate equation (first term of the series, centreline criterion):
/// t = s² / (pi² alpha) ln((4 / pi) / T*) = 4 / (pi² 0.1) x ln(5.093) = 6.60 s, 5 % below
/// the sheet's one-term exponential (exponent 2 for pi²/4 = 2.47, no 4/pi prefactor). The
/// tool has no sprue term: its cycle would miss the sheet's 24.6 s sprue (docs/validation.md).
#[test]
fn case6_cooling_time_of_the_imperial_college_example() {
    let set = ModelSet::embedded().unwrap();
    let (_, abs) = set.materials.get("ABS").unwrap();
    let mut m = abs.clone();
    m.melt_temp_c = 240.0;
    m.mold_temp_c = 60.0;
    m.ejection_temp_c = 105.0;
    m.thermal_diffusivity_mm2_s = 0.1;
    let tool_s = hybridplan::process::molding::cooling_time_s(2.0, &m);
    let pi = std::f64::consts::PI;
    let by_hand_s = 4.0 / (pi * pi * 0.1) * (4.0 / pi / 0.25f64).ln();
    assert!((tool_s - by_hand_s).abs() < 1e-9, "{tool_s} vs {by_hand_s}");
    let sheet_s = 2.97f64.powi(2) / (4.0 * 0.1 * 4.4) * 4f64.ln();
    println!("case 6: plate cooling {tool_s:.2} s (tool) against {sheet_s:.2} s (the sheet)");
    assert!((sheet_s - 6.95).abs() < 0.01);
    assert!(
        (tool_s - sheet_s).abs() < 0.10 * sheet_s,
        "{tool_s} vs {sheet_s}"
    );
    // The sheet's sprue outlet by its own law: 24.6 s, what sets that mold's cycle.
    let sprue_s = 5.59f64.powi(2) / (4.0 * 0.1 * 4.4) * 4f64.ln();
    assert!((sprue_s - 24.6).abs() < 0.05, "{sprue_s}");
}

/// Case 7: Kazmer, Injection Mold Design Engineering (Hanser, 2007), section 3.3: a
/// single-cavity hot-runner laptop-bezel mold, cavities 28,100 USD, mold base 5,250 USD,
/// customisation 42,500 USD by the factors feed 0.4 / 2.0, cooling 0.15 / 0.4, ejection
/// 0.2 / 0.2, structure 0.3 / 0.2, miscellaneous 0.1 / 0.2 (cavity / base). The tool's
/// customisation model with those factors (structure and miscellaneous in its `finish`
/// system): 28,100 x 1.15 + 5,250 x 3.0 = 48,065 USD, 13 % above the book's total, whose own
/// sum matches a cavity factor of 0.95 (docs/validation.md). Either way customisation
/// exceeds cavities plus base (33,350 USD), as the book says.
#[test]
fn case7_mold_customisation_of_kazmers_bezel() {
    let set = ModelSet::embedded().unwrap();
    let mut c = set.molding.tooling.customization.clone();
    (c.feed_cavity_factor, c.feed_base_factor) = (0.4, 2.0);
    (c.cooling_cavity_factor, c.cooling_base_factor) = (0.15, 0.4);
    (c.ejection_cavity_factor, c.ejection_base_factor) = (0.2, 0.2);
    (c.finish_cavity_factor, c.finish_base_factor) = (0.3 + 0.1, 0.2 + 0.2);
    let (cavities_usd, base_usd) = (28_100.0, 5_250.0);
    let custom_usd = c.cavity_factor() * cavities_usd + c.base_factor() * base_usd;
    println!("case 7: customisation {custom_usd:.0} USD (tool) against 42,500 USD (the book)");
    assert!((custom_usd - 48_065.0).abs() < 1e-6, "{custom_usd}");
    assert!((custom_usd - 42_500.0).abs() < 0.15 * 42_500.0);
    assert!(custom_usd > cavities_usd + base_usd);
    let total_usd = cavities_usd + base_usd + custom_usd;
    assert!(
        (total_usd - 75_900.0).abs() < 0.10 * 75_900.0,
        "{total_usd}"
    );
}

/// Case 8: MIT Materials Systems Laboratory, "Injection Molding Technical Cost Model"
/// (spreadsheet printout): 100,000 parts a year over a 5-year product life, a 174,987 USD
/// tool, 10 % capital recovery: tooling 46,161 USD a year, 0.46 USD a part. With
/// `capital_recovery_rate = 0.1` the tool's tooling share is the same annuity:
/// CRF = 0.1 x 1.1^5 / (1.1^5 - 1) = 0.263797, 174,987 x 0.263797 = 46,161 USD a year. Its
/// default (0, straight-line) gives 174,987 / 500,000 = 0.350 USD, 24 % below the sheet's.
#[test]
fn case8_tooling_share_of_the_mit_cost_model() {
    let set = ModelSet::embedded().unwrap();
    let mut econ = set.economics.clone();
    econ.amortization_years = 5.0;
    assert_eq!(econ.capital_recovery_rate, 0.0);
    let straight = econ.tooling_per_part(174_987.0, 100_000.0);
    assert!(
        (straight - 174_987.0 / 500_000.0).abs() < 1e-12,
        "{straight}"
    );
    econ.capital_recovery_rate = 0.1;
    let per_part = econ.tooling_per_part(174_987.0, 100_000.0);
    let per_year = per_part * 100_000.0;
    println!(
        "case 8: tooling {per_part:.4} USD a part, {per_year:.0} a year (the sheet: 0.46, 46,161)"
    );
    assert!((per_year - 46_161.0).abs() < 1.0, "{per_year}");
    assert!((per_part - 0.46).abs() < 0.005);
}

/// The capital recovery rate through `estimate`: a user economics file with 10 % makes the
/// ribbed plate's IM tooling share the tool's cost x CRF(10 %, 3 years) / volume,
/// CRF = 0.1 x 1.1^3 / (1.1^3 - 1) = 0.402115, against tool / (3 x volume) straight-line.
#[test]
fn case8_capital_recovery_through_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let econ = hybridplan::models::economics::ECONOMICS_TOML
        .replace("capital_recovery_rate = 0.0", "capital_recovery_rate = 0.1");
    assert!(econ.contains("capital_recovery_rate = 0.1"));
    let f = dir.path().join("economics.toml");
    std::fs::write(&f, econ).unwrap();
    let part = common::sample("ribbed_plate.stl");
    let plain = estimate(Path::new(&part), &["--volume", "10000"]);
    let with = estimate(
        Path::new(&part),
        &["--volume", "10000", "--models", f.to_str().unwrap()],
    );
    let tool = num(&with, &["routes", "im", "tooling_cost"]);
    assert_eq!(tool, num(&plain, &["routes", "im", "tooling_cost"]));
    let crf = 0.1 * 1.1f64.powi(3) / (1.1f64.powi(3) - 1.0);
    let share = num(&with, &["routes", "im", "tooling_cost_per_part"]);
    assert!(
        (share - tool * crf / 10_000.0).abs() < 1e-9 * share,
        "{share}"
    );
    let straight = num(&plain, &["routes", "im", "tooling_cost_per_part"]);
    assert!(
        (straight - tool / 30_000.0).abs() < 1e-9 * straight,
        "{straight}"
    );
}
