//! The one place where a catalog entry becomes its row's figures: [`COLUMNS`] names them (in
//! output order) and [`evaluate`] computes them. A new figure is a new name in [`COLUMNS`]
//! and one [`Figures::set`] in [`evaluate`] (or the step of it its figure belongs to); the
//! result files, resume and merge follow.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::catalog::{CatalogEntry, Overrides};
use crate::interface::LatticeRequest;
use crate::mesh::LoadOptions;
use crate::models::ModelSet;
use crate::plan::{self, EstimateOptions, MaterialChoice, SplitJob};
use crate::process::Comparison;
use crate::process::compare::Route;
use crate::split::SplitOptions;

/// The figure columns of a row, after `index`, `file`, `status` and `error`. Units in the
/// names; money in `currency`. Error rows leave them empty.
pub const COLUMNS: &[&str] = &[
    "triangles",
    "part_volume_mm3",
    "baseplate_volume_mm3",
    "molded_volume_mm3",
    "plate_thickness_mm",
    "footprint_area_mm2",
    "projected_area_mm2",
    "molded_height_mm",
    "rib_bodies",
    "wall_thickness_median_mm",
    "pores",
    "pin_area_fraction",
    "bond_shear_n",
    "bond_shear_plain_n",
    "material",
    "baseplate_material",
    "printer",
    "annual_volume",
    "variants",
    "currency",
    "am_print_time_s",
    "baseplate_print_time_s",
    "cost_per_part_am",
    "cost_per_part_im",
    "cost_per_part_hybrid",
    // Money: the currency column's unit, like the costs (the economics model's, which a
    // user's --models may change, so the names carry no `_eur`). AM has no tooling.
    "tooling_cost_im",
    "tooling_cost_hybrid",
    "cycle_time_am_s",
    "cycle_time_im_s",
    "cycle_time_hybrid_s",
    "cavities_im",
    "cavities_hybrid",
    "fleet_printers_am",
    "fleet_printers_hybrid",
    "fleet_molding_machines_im",
    "fleet_molding_machines_hybrid",
    // Seconds, as every time column: weeks of mold making and minutes of a print sort in
    // one unit.
    "lead_time_am_s",
    "lead_time_im_s",
    "lead_time_hybrid_s",
    "energy_per_part_am_kwh",
    "energy_per_part_im_kwh",
    "energy_per_part_hybrid_kwh",
    "co2_per_part_am_kg",
    "co2_per_part_im_kg",
    "co2_per_part_hybrid_kg",
    "break_even_am_im",
    "break_even_am_hybrid",
    "break_even_hybrid_im",
    "co2_break_even_am_im",
    "co2_break_even_am_hybrid",
    "co2_break_even_hybrid_im",
    "best_route",
    "warnings",
    "dfm_errors",
    "dfm_warnings",
    "dfm_kinds",
];

/// One row's figures, one value per [`COLUMNS`] entry (JSON values: numbers, text, or null for
/// "not known"; a non-finite number becomes null).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    values: Vec<Value>,
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            values: vec![Value::Null; COLUMNS.len()],
        }
    }
}

impl Figures {
    /// Sets the figure of `column`, which must be one of [`COLUMNS`] (a programming error
    /// otherwise, caught by the tests).
    pub fn set(&mut self, column: &str, value: impl Into<Value>) {
        let k = COLUMNS
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("figure `{column}` is not in batch::COLUMNS"));
        self.values[k] = value.into();
    }

    /// The values in [`COLUMNS`] order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

/// The batch-wide defaults for every part (a manifest row may override some of them) and where
/// the split meshes go.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub load: LoadOptions,
    pub split: SplitOptions,
    /// Surface samples for the wall-thickness estimate (at least 1).
    pub thickness_samples: usize,
    pub meshes: MeshOutput,
    pub plan: Arc<PlanSettings>,
}

/// What `plan` needs beyond the split, the same for every row unless the row overrides it:
/// the models, the materials, the interface and the estimate options.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    pub models: ModelSet,
    pub material: String,
    /// `None`: the row's molded material.
    pub baseplate_material: Option<String>,
    pub lattice: Option<LatticeRequest>,
    pub estimate: EstimateOptions,
}

impl Default for PlanSettings {
    /// What `hybridplan plan` does without options.
    fn default() -> Self {
        PlanSettings {
            models: ModelSet::embedded().expect("the embedded models are valid (a test checks)"),
            material: MaterialChoice::default().molded,
            baseplate_material: None,
            lattice: Some(crate::interface::LatticeRequest {
                kind: crate::interface::LatticeKind::Pores(crate::interface::Pattern::Grid),
                pore_mm: None,
                wall_mm: None,
                depth_mm: None,
                margin_mm: None,
                angle_deg: 0.0,
                dovetail: false,
                explicit: false,
            }),
            estimate: EstimateOptions::default(),
        }
    }
}

/// Whether the split meshes are kept.
#[derive(Debug, Clone)]
pub enum MeshOutput {
    /// No meshes written.
    Discard,
    /// `dir/<index>_<stem>/` (`--meshes`), the index zero-padded to `width` digits so that
    /// the folders sort in catalog order.
    Keep { dir: PathBuf, width: usize },
}

impl MeshOutput {
    fn folder(&self, entry: &CatalogEntry) -> Option<PathBuf> {
        match self {
            MeshOutput::Keep { dir, width } => Some(dir.join(format!(
                "{:0width$}_{}",
                entry.index,
                plan::stem_of(&entry.path)
            ))),
            MeshOutput::Discard => None,
        }
    }
}

/// Evaluates one part as `hybridplan estimate` does (split, interface, the three routes),
/// with the row's overrides: its figures, or why it has none (one line, without the file name,
/// which is a column of its own). The part's meshes are dropped before this returns, so a
/// worker holds one part at a time; they are written only with `--meshes` (as `plan` writes
/// them).
pub fn evaluate(entry: &CatalogEntry, opts: &EvalOptions) -> Result<Figures, String> {
    let overrides = entry.overrides.as_ref().map_err(Clone::clone)?;
    let job = row_job(overrides, opts);
    let estimate_opts = row_estimate_options(overrides, &opts.plan)?;
    let (prepared, estimate) = match opts.meshes.folder(entry) {
        None => plan::estimate_part(&entry.path, &job, &estimate_opts),
        Some(dir) => plan::plan_part(&entry.path, &job, &estimate_opts, &dir)
            .map(|p| (p.prepared, p.estimate)),
    }
    .map_err(|e| reason(&e.to_string(), &entry.path))?;

    let mut figures = Figures::default();
    set_part_figures(&mut figures, &prepared, &estimate);
    set_route_figures(&mut figures, &estimate.comparison);
    let warnings: Vec<&String> = crate::report::split_warnings(&prepared)
        .chain(&estimate.warnings)
        .collect();
    figures.set(
        "warnings",
        warnings
            .iter()
            .map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    );
    if let Some(d) = &prepared.dfm {
        figures.set("dfm_errors", d.count(crate::dfm::Severity::Error));
        figures.set("dfm_warnings", d.count(crate::dfm::Severity::Warning));
        figures.set("dfm_kinds", d.kinds().join(" "));
    }
    Ok(figures)
}

/// How the row's part is split: the batch's options with the row's units, normal, height and
/// materials where it gives them (the baseplate's material defaults to the molded one).
fn row_job<'a>(overrides: &Overrides, opts: &'a EvalOptions) -> SplitJob<'a> {
    let ps = &opts.plan;
    let material = overrides
        .material
        .clone()
        .unwrap_or_else(|| ps.material.clone());
    let printed = overrides
        .baseplate_material
        .clone()
        .or_else(|| ps.baseplate_material.clone())
        .unwrap_or_else(|| material.clone());
    SplitJob {
        load: LoadOptions {
            units: overrides.units.or(opts.load.units),
            ..opts.load
        },
        split: SplitOptions {
            normal: overrides.normal.or(opts.split.normal),
            height_mm: overrides.height_mm.or(opts.split.height_mm),
            ..opts.split
        },
        lattice: ps.lattice,
        thickness_samples: opts.thickness_samples.max(1),
        models: &ps.models,
        materials: MaterialChoice {
            molded: material,
            printed,
        },
    }
}

/// The estimate's options for the row: the batch's with the row's printer, volume and
/// variants where it gives them.
fn row_estimate_options(
    overrides: &Overrides,
    ps: &PlanSettings,
) -> Result<EstimateOptions, String> {
    let mut estimate_opts = match &overrides.printer {
        Some(p) => ps.estimate.on_printer(&ps.models, p)?,
        None => ps.estimate.clone(),
    };
    if let Some(v) = overrides.annual_volume {
        estimate_opts.annual_volume = (v as f64).max(1.0);
    }
    if let Some(v) = overrides.variants {
        estimate_opts.variants = u32::try_from(v.max(1)).unwrap_or(u32::MAX);
    }
    Ok(estimate_opts)
}

/// The part's figures: its split's (or the whole part's, without a plate), its lattice and
/// bond, and what it was estimated with.
fn set_part_figures(figures: &mut Figures, prepared: &plan::Prepared, estimate: &plan::Estimate) {
    let c = &estimate.comparison;
    figures.set("triangles", prepared.part.triangles.len());
    match &prepared.split {
        Ok(split) => {
            let f = &split.facts;
            figures.set("part_volume_mm3", f.part_volume_mm3);
            figures.set("baseplate_volume_mm3", f.baseplate_volume_mm3);
            figures.set("molded_volume_mm3", f.molded_volume_mm3);
            figures.set("plate_thickness_mm", f.plate_thickness_mm);
            figures.set("footprint_area_mm2", f.footprint_area_mm2);
            figures.set("projected_area_mm2", f.projected_area_mm2);
            figures.set("molded_height_mm", f.molded_height_mm);
            figures.set("rib_bodies", f.rib_bodies);
            if let Some(w) = &f.wall_thickness {
                figures.set("wall_thickness_median_mm", w.p50_mm);
            }
        }
        // A part without a plate is costed whole: AM and IM, the hybrid route unavailable.
        Err(_) => {
            figures.set("part_volume_mm3", prepared.part.signed_volume_mm3());
            if let Some(w) = &prepared.part_wall {
                figures.set("wall_thickness_median_mm", w.p50_mm);
            }
        }
    }
    let lattice = prepared.lattice.as_ref();
    figures.set("pores", lattice.map_or(0, |l| l.pores));
    figures.set(
        "pin_area_fraction",
        lattice.map_or(0.0, |l| l.pin_area_fraction),
    );
    figures.set("bond_shear_n", prepared.bond.bond_shear_n);
    figures.set("bond_shear_plain_n", prepared.bond.bond_shear_plain_n);
    figures.set("material", estimate.material.clone());
    figures.set("baseplate_material", estimate.baseplate_material.clone());
    figures.set("printer", estimate.printer.clone());
    figures.set("annual_volume", c.annual_volume);
    figures.set("variants", c.variants);
    figures.set("currency", estimate.currency.clone());
    if let Some(t) = estimate.am_print_time_s {
        figures.set("am_print_time_s", t);
    }
    if let Some(t) = estimate.baseplate_print_time_s {
        figures.set("baseplate_print_time_s", t);
    }
}

/// Each available route's figures, the break-even volumes of cost and CO2, and the best
/// route. A route unavailable for the part (no plate: no hybrid route) leaves its cells empty.
fn set_route_figures(figures: &mut Figures, c: &Comparison) {
    for route in Route::ALL {
        let Some(r) = c.routes.get(route).cost() else {
            continue;
        };
        let name = route.name();
        figures.set(&format!("cost_per_part_{name}"), r.cost_per_part);
        figures.set(&format!("cycle_time_{name}_s"), r.cycle_time_s);
        figures.set(&format!("lead_time_{name}_s"), r.lead_time_h * 3600.0);
        figures.set(
            &format!("energy_per_part_{name}_kwh"),
            r.energy_kwh_per_part,
        );
        figures.set(&format!("co2_per_part_{name}_kg"), r.co2_kg_per_part);
        if route != Route::Am {
            figures.set(&format!("tooling_cost_{name}"), r.tooling_cost);
        }
        if let Some(m) = &r.molding {
            figures.set(&format!("cavities_{name}"), m.cavities);
        }
        if let Some(n) = r.fleet_printers {
            figures.set(&format!("fleet_printers_{name}"), n);
        }
        if let Some(n) = r.fleet_molding_machines {
            figures.set(&format!("fleet_molding_machines_{name}"), n);
        }
    }
    for (prefix, be) in [
        ("break_even", &c.break_even_volumes),
        ("co2_break_even", &c.co2_break_even_volumes),
    ] {
        for (pair, v) in [
            ("am_im", be.am_im),
            ("am_hybrid", be.am_hybrid),
            ("hybrid_im", be.hybrid_im),
        ] {
            if let Some(v) = v {
                figures.set(&format!("{prefix}_{pair}"), v);
            }
        }
    }
    if let Some(best) = c.best_route {
        figures.set("best_route", best.name());
    }
}

/// The error's reason without the leading "FILE: " that the lower layers' messages carry.
fn reason(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_column_list() {
        let mut f = Figures::default();
        f.set("triangles", 7usize);
        f.set("part_volume_mm3", f64::NAN);
        assert_eq!(f.values().len(), COLUMNS.len());
        let k = COLUMNS.iter().position(|c| *c == "triangles").unwrap();
        assert_eq!(f.values()[k], Value::from(7));
        assert_eq!(f.values()[1], Value::Null);
        let names: std::collections::BTreeSet<_> = COLUMNS.iter().collect();
        assert_eq!(names.len(), COLUMNS.len(), "a column is listed twice");
        for fixed in super::super::store::ROW_COLUMNS {
            assert!(!names.contains(fixed), "{fixed} is a row column already");
        }
    }

    #[test]
    #[should_panic(expected = "not in batch::COLUMNS")]
    fn an_unlisted_figure_is_caught() {
        Figures::default().set("cost_eur", 1.0);
    }
}
