//! Molding data (`models/molding.toml`): machine classes, cycle elements, energy split and
//! the tooling cost model.

use serde::Deserialize;

use super::{ModelError, check_numbers};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MoldingProcess {
    pub injection_pressure_mpa: f64,
    pub gate_thickness_fraction: f64,
    pub eject_s: f64,
    pub insert_placing_manual_s: f64,
    pub insert_placing_robot_s: f64,
}

/// One clamp-force class of molding machine.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MoldingMachine {
    pub clamp_kn: f64,
    pub max_shot_cm3: f64,
    pub dry_cycle_s: f64,
    pub max_stroke_mm: f64,
    pub drive_power_kw: f64,
    /// Machine cost per hour (depreciation, space, maintenance), without operator.
    pub hourly_rate: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MoldingEnergy {
    pub base_power_fraction: f64,
}

/// A mold material: aluminium or steel.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ToolMaterial {
    pub machining_factor: f64,
    pub material_per_cm3: f64,
    pub tool_life_shots: f64,
    pub lead_time_days: f64,
    /// Density of the mold metal (g/cm³): the mold's mass for its embodied impact.
    pub density_g_cm3: f64,
    /// Cradle-to-gate embodied energy (MJ) and CO2 (kg) of one kg of the metal.
    pub embodied_energy_mj_per_kg: f64,
    pub embodied_co2_kg_per_kg: f64,
}

/// Customisation of the mold beyond cavities and base (Kazmer, *Injection Mold Design
/// Engineering*, 2007, §3.3.3): each system costs a factor of the cavities' cost plus a
/// factor of the mold base's cost.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Customization {
    pub feed_cavity_factor: f64,
    pub feed_base_factor: f64,
    pub cooling_cavity_factor: f64,
    pub cooling_base_factor: f64,
    pub ejection_cavity_factor: f64,
    pub ejection_base_factor: f64,
    pub finish_cavity_factor: f64,
    pub finish_base_factor: f64,
}

impl Customization {
    /// The factors of the cavities' cost, summed over the systems.
    pub fn cavity_factor(&self) -> f64 {
        self.feed_cavity_factor
            + self.cooling_cavity_factor
            + self.ejection_cavity_factor
            + self.finish_cavity_factor
    }

    /// The factors of the mold base's cost, summed over the systems.
    pub fn base_factor(&self) -> f64 {
        self.feed_base_factor
            + self.cooling_base_factor
            + self.ejection_base_factor
            + self.finish_base_factor
    }
}

/// A quick-change (MUD-style) master frame with exchangeable cavity inserts, the other way to
/// carry personalised variants in pure molding.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuickChange {
    /// The master frame with its ejection and cooling, bought once.
    pub frame_cost: f64,
    /// The largest insert (cavities and their margin) the frame takes, mm.
    pub max_insert_length_mm: f64,
    pub max_insert_width_mm: f64,
    /// One variant's insert as a fraction of a full cavity set (cavities with their
    /// customisation).
    pub insert_cost_fraction: f64,
    /// Insert change and first-off approval per variant and year (h).
    pub changeover_h_per_variant: f64,
}

/// Energy the toolmaker's machines draw while cutting and eroding the mold.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ToolmakingEnergy {
    /// Mean electric power of the machining centres and EDM while working (kW).
    pub machine_power_kw: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tooling {
    pub mold_base_fixed: f64,
    pub mold_base_area_coeff: f64,
    pub mold_base_height_exponent: f64,
    pub plate_margin_mm: f64,
    pub plate_height_allowance_mm: f64,
    pub cavity_hours_fixed: f64,
    pub cavity_hours_area_coeff: f64,
    pub cavity_hours_area_exponent: f64,
    pub complexity_hours_coeff: f64,
    pub complexity_exponent: f64,
    /// The crease (degrees between neighbouring facets) that separates the surface patches
    /// the complexity term counts (`mesh::check::surface_patches`).
    pub patch_crease_deg: f64,
    pub toolmaker_rate_per_h: f64,
    pub multi_cavity_exponent: f64,
    pub cavity_counts: Vec<u32>,
    /// One side action (slide or lifter) per undercut feature and cavity: cost and the days
    /// it adds to the lead time.
    pub side_action_cost: f64,
    pub side_action_lead_time_days: f64,
    pub aluminium: ToolMaterial,
    pub steel: ToolMaterial,
    pub customization: Customization,
    pub quick_change: QuickChange,
    pub toolmaking_energy: ToolmakingEnergy,
}

/// The whole molding model.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Molding {
    pub process: MoldingProcess,
    pub machines: Vec<MoldingMachine>,
    pub energy: MoldingEnergy,
    pub tooling: Tooling,
    /// Variant families (`hybridplan family`); a molding file without the table takes the
    /// embedded values.
    #[serde(default)]
    pub family: FamilyMolding,
}

/// What one rib mold tolerates across a family of variants.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FamilyMolding {
    /// Members whose molded regions lie within this surface distance (mm) of the mold's
    /// reference share its mold.
    pub tolerance_mm: f64,
}

impl Default for FamilyMolding {
    /// The embedded model's values (models/molding.toml).
    fn default() -> Self {
        FamilyMolding { tolerance_mm: 0.05 }
    }
}

/// The embedded molding model.
pub const MOLDING_TOML: &str = include_str!("../../models/molding.toml");

/// Parses and checks a molding file (`file` names it in errors).
pub fn parse_molding(file: &str, text: &str) -> Result<Molding, ModelError> {
    let err = |problem: String| ModelError {
        file: file.to_string(),
        problem,
    };
    let value: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    check_numbers(file, &value)?;
    let m: Molding = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    if m.machines.is_empty() {
        return Err(err("machines: at least one machine class is needed".into()));
    }
    for (i, w) in m.machines.windows(2).enumerate() {
        if w[1].clamp_kn <= w[0].clamp_kn {
            return Err(err(format!(
                "machines[{}].clamp_kn = {}: machine classes must be listed by increasing clamp force",
                i + 1,
                w[1].clamp_kn
            )));
        }
    }
    for (i, mc) in m.machines.iter().enumerate() {
        if mc.clamp_kn <= 0.0 || mc.max_shot_cm3 <= 0.0 {
            return Err(err(format!(
                "machines[{i}]: clamp_kn and max_shot_cm3 must be positive"
            )));
        }
    }
    if m.tooling.cavity_counts.is_empty() || m.tooling.cavity_counts.contains(&0) {
        return Err(err(
            "tooling.cavity_counts: must list positive cavity counts".into(),
        ));
    }
    if !(m.process.gate_thickness_fraction > 0.0 && m.process.gate_thickness_fraction <= 1.0) {
        return Err(err(format!(
            "process.gate_thickness_fraction = {}: must be in (0, 1]",
            m.process.gate_thickness_fraction
        )));
    }
    for (name, t) in [
        ("aluminium", &m.tooling.aluminium),
        ("steel", &m.tooling.steel),
    ] {
        if t.density_g_cm3 <= 0.0 {
            return Err(err(format!(
                "tooling.{name}.density_g_cm3 = {}: must be positive",
                t.density_g_cm3
            )));
        }
        if t.tool_life_shots < 1.0 {
            return Err(err(format!(
                "tooling.{name}.tool_life_shots = {}: must be at least 1",
                t.tool_life_shots
            )));
        }
    }
    let q = &m.tooling.quick_change;
    if q.max_insert_length_mm <= 0.0 || q.max_insert_width_mm <= 0.0 {
        return Err(err(
            "tooling.quick_change.max_insert_length_mm and max_insert_width_mm must be positive"
                .into(),
        ));
    }
    if m.process.injection_pressure_mpa <= 0.0 || m.tooling.toolmaker_rate_per_h <= 0.0 {
        return Err(err(
            "process.injection_pressure_mpa and tooling.toolmaker_rate_per_h must be positive"
                .into(),
        ));
    }
    let crease = m.tooling.patch_crease_deg;
    if !(crease > 0.0 && crease < 180.0) {
        return Err(err(format!(
            "tooling.patch_crease_deg = {crease}: must be above 0 and below 180 degrees"
        )));
    }
    // NaN fails too: it is not above 0.
    if m.family.tolerance_mm.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(err(format!(
            "family.tolerance_mm = {}: the tolerance must be above 0",
            m.family.tolerance_mm
        )));
    }
    Ok(m)
}
