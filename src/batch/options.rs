//! The settings that change a batch's figures, as JSON for the run record (`batch.json`'s
//! `options`): numbers as numbers, names as strings, `null` for "not given: the default". A
//! resumed run or another shard must have equal options (see [`super::RunRecord::mismatch`]).
//!
//! Written out field by field rather than by deriving `Serialize` on the option structs,
//! which live in the layers below (interface, plan, process, models) and are not data
//! formats: here a struct is destructured whole, so a field added to it fails to compile
//! until it is recorded too (a new option that changes figures must be in the record).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::BatchOptions;
use crate::interface::{LatticeKind, LatticeRequest};
use crate::models::ModelSet;
use crate::plan::{EstimateOptions, FffChanges};
use crate::process::fff::FffSettings;

/// The record's options of `opts`.
pub fn figure_options(opts: &BatchOptions) -> BTreeMap<String, Value> {
    let plan = &opts.plan;
    BTreeMap::from([
        (
            "units".into(),
            json!(opts.load.units.map(|u| u.name().to_string())),
        ),
        ("weld_tol_mm".into(), json!(opts.load.weld_tolerance_mm)),
        (
            "normal".into(),
            json!(opts.split.normal.map(|n| [n.x, n.y, n.z])),
        ),
        ("height_mm".into(), json!(opts.split.height_mm)),
        ("side".into(), json!(opts.split.side)),
        ("thickness_samples".into(), json!(opts.thickness_samples)),
        ("material".into(), json!(plan.material)),
        ("baseplate_material".into(), json!(plan.baseplate_material)),
        ("lattice".into(), lattice(plan.lattice.as_ref())),
        ("estimate".into(), estimate(&plan.estimate)),
        ("models".into(), models(&plan.models)),
    ])
}

/// The interface asked for: `"none"`, or its kind and parameters (`null`: the printer's
/// default).
fn lattice(request: Option<&LatticeRequest>) -> Value {
    let Some(&LatticeRequest {
        kind,
        pore_mm,
        wall_mm,
        depth_mm,
        margin_mm,
        angle_deg,
        dovetail,
        explicit,
    }) = request
    else {
        return json!("none");
    };
    let (kind, infill_density_percent) = match kind {
        LatticeKind::Pores(p) => (json!(p), Value::Null),
        LatticeKind::Infill { density_percent } => (json!("infill"), json!(density_percent)),
    };
    json!({
        "kind": kind,
        "infill_density_percent": infill_density_percent,
        "pore_mm": pore_mm,
        "wall_mm": wall_mm,
        "depth_mm": depth_mm,
        "margin_mm": margin_mm,
        "angle_deg": angle_deg,
        "dovetail": dovetail,
        "explicit": explicit,
    })
}

fn estimate(e: &EstimateOptions) -> Value {
    let EstimateOptions {
        annual_volume,
        variants,
        printer,
        fff_changes,
        fff,
        inserts,
        fleet,
        fleet_printers,
        sensitivity_change,
        amortization_years,
    } = e;
    let FffChanges {
        layer_mm,
        nozzle_mm,
        perimeters,
        infill_percent,
    } = fff_changes;
    let FffSettings {
        layer_mm: fff_layer_mm,
        nozzle_mm: fff_nozzle_mm,
        perimeters: fff_perimeters,
        infill_fraction,
    } = fff;
    json!({
        "annual_volume": annual_volume,
        "variants": variants,
        "printer": printer,
        "fff_changes": {
            "layer_mm": layer_mm,
            "nozzle_mm": nozzle_mm,
            "perimeters": perimeters,
            "infill_percent": infill_percent,
        },
        "fff": {
            "layer_mm": fff_layer_mm,
            "nozzle_mm": fff_nozzle_mm,
            "perimeters": fff_perimeters,
            "infill_fraction": infill_fraction,
        },
        "inserts": inserts,
        "fleet": fleet,
        "fleet_printers": fleet_printers,
        "sensitivity_change": sensitivity_change,
        "amortization_years": amortization_years,
    })
}

/// The models as used (user files included), one checksum each: the models are hundreds of
/// numbers, which the record need not list to tell two runs' models apart (the checksum is of
/// every value, as Rust's `Debug` writes it: each number in its shortest round-trip form).
fn models(m: &ModelSet) -> Value {
    let ModelSet {
        materials,
        printers,
        molding,
        economics,
        dfm,
    } = m;
    let sum = |debug: String| format!("{:08x}", crc32fast::hash(debug.as_bytes()));
    json!({
        "materials": sum(format!("{materials:?}")),
        "printers": sum(format!("{printers:?}")),
        "molding": sum(format!("{molding:?}")),
        "economics": sum(format!("{economics:?}")),
        "dfm": sum(format!("{dfm:?}")),
        "currency": economics.currency,
    })
}
