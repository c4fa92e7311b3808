//! Material data (`models/materials.toml`): thermal, mechanical, price and footprint values
//! of the printed and molded polymers, and the adhesion of molded-on-printed pairs.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ModelError, check_numbers};

/// One polymer. Units are in the names; prices in the economics model's currency.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub description: String,
    pub density_g_cm3: f64,
    /// Granulate for molding.
    pub price_per_kg: f64,
    /// Filament for FFF printing.
    pub filament_price_per_kg: f64,
    /// Powder for powder-bed fusion, where the material is sold as powder.
    #[serde(default)]
    pub powder_price_per_kg: Option<f64>,
    pub melt_temp_c: f64,
    pub mold_temp_c: f64,
    /// Below this the melt stops flowing (used by the pore fill check).
    pub no_flow_temp_c: f64,
    pub ejection_temp_c: f64,
    pub thermal_diffusivity_mm2_s: f64,
    /// Mean cavity pressure for clamp-force sizing.
    pub cavity_pressure_mpa: f64,
    /// Melt viscosity at processing temperature and a shear rate of about 1000 1/s.
    pub melt_viscosity_pa_s: f64,
    pub tensile_strength_mpa: f64,
    /// Variable energy to plasticate one kg (melt enthalpy over the heating efficiency).
    pub processing_energy_kwh_per_kg: f64,
    /// Cradle-to-gate greenhouse gas emissions of the polymer.
    pub co2_kg_per_kg: f64,
    /// Thermal conductivity and specific heat of the solid (W/(m K), J/(kg K)): with the
    /// density its thermal effusivity, which sets the contact temperature of melt on insert.
    /// Optional: a materials file without them skips the insert heat check (said so).
    #[serde(default)]
    pub thermal_conductivity_w_mk: Option<f64>,
    #[serde(default)]
    pub specific_heat_j_kgk: Option<f64>,
    /// Heat deflection temperature at 0.45 MPa: above it a printed insert softens.
    #[serde(default)]
    pub heat_deflection_temp_c: Option<f64>,
    #[serde(default)]
    pub glass_transition_c: Option<f64>,
    /// Melting onset of a semi-crystalline polymer; `None` for amorphous ones.
    #[serde(default)]
    pub melting_temp_c: Option<f64>,
}

impl Material {
    /// Time (s) for the centre of a wall of `wall_mm`, filled at the melt temperature between
    /// walls held at the mold temperature, to cool to `to_c`: the plate equation (first term of
    /// the series solution of transient conduction in a slab; docs/method.md):
    /// t = s² / (π² α) · ln( (4/π) · (T_melt − T_mold) / (T_to − T_mold) ).
    /// Zero where the log is negative (a target so close to the melt temperature that the
    /// first-term solution does not apply).
    pub fn cooling_time_to_s(&self, wall_mm: f64, to_c: f64) -> f64 {
        let pi = std::f64::consts::PI;
        let ratio = 4.0 / pi * (self.melt_temp_c - self.mold_temp_c) / (to_c - self.mold_temp_c);
        (wall_mm * wall_mm / (pi * pi * self.thermal_diffusivity_mm2_s) * ratio.ln()).max(0.0)
    }

    /// Shear strength from the tensile strength by the von Mises criterion (docs/method.md).
    pub fn shear_strength_mpa(&self) -> f64 {
        self.tensile_strength_mpa / 3f64.sqrt()
    }

    /// Thermal effusivity sqrt(k ρ c) in W s^0.5 / (m² K), where the model gives k and c.
    pub fn effusivity(&self) -> Option<f64> {
        let k = self.thermal_conductivity_w_mk?;
        let c = self.specific_heat_j_kgk?;
        Some((k * self.density_g_cm3 * 1000.0 * c).sqrt())
    }

    /// The temperature at which a printed insert of this material starts to flow: the melting
    /// onset of a semi-crystalline polymer, else the no-flow temperature of its melt.
    pub fn flow_onset_c(&self) -> f64 {
        self.melting_temp_c.unwrap_or(self.no_flow_temp_c)
    }
}

/// The contact temperature of two semi-infinite bodies brought together at temperatures
/// `t1_c` and `t2_c` with thermal effusivities `e1` and `e2` (Carslaw and Jaeger): the
/// interface jumps at once to the effusivity-weighted mean
/// T_c = (e1 T1 + e2 T2) / (e1 + e2) and stays there while both are thick compared with
/// sqrt(α t). Used for the melt meeting the printed insert (src/dfm) and available to the
/// bond estimate of the interface.
pub fn contact_temperature_c(e1: f64, t1_c: f64, e2: f64, t2_c: f64) -> f64 {
    (e1 * t1_c + e2 * t2_c) / (e1 + e2)
}

/// Adhesion strength of a melt molded onto a printed insert, by pair.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Adhesion {
    pub other_pairs_mpa: f64,
    /// Keyed `"PRINTED/MOLDED"`.
    pub pairs: BTreeMap<String, f64>,
}

impl Adhesion {
    /// The adhesion strength of `molded` on `printed` (MPa), and whether the pair is listed.
    pub fn strength_mpa(&self, printed: &str, molded: &str) -> (f64, bool) {
        match self.pairs.get(&format!("{printed}/{molded}")) {
            Some(&v) => (v, true),
            None => (self.other_pairs_mpa, false),
        }
    }
}

/// All materials and the adhesion table.
#[derive(Debug, Clone, PartialEq)]
pub struct Materials {
    pub by_name: BTreeMap<String, Material>,
    pub adhesion: Adhesion,
}

impl Materials {
    /// The material called `name` (case-insensitive), or an error listing the known ones.
    pub fn get(&self, name: &str) -> Result<(&str, &Material), String> {
        self.by_name
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, m)| (k.as_str(), m))
            .ok_or_else(|| {
                format!(
                    "unknown material '{name}'; known: {}",
                    self.by_name.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })
    }
}

/// The embedded materials model.
pub const MATERIALS_TOML: &str = include_str!("../../models/materials.toml");

#[derive(Deserialize)]
struct MaterialsFile {
    adhesion: Adhesion,
    #[serde(flatten)]
    materials: BTreeMap<String, Material>,
}

/// Parses and checks a materials file (`file` names it in errors).
pub fn parse_materials(file: &str, text: &str) -> Result<Materials, ModelError> {
    let err = |problem: String| ModelError {
        file: file.to_string(),
        problem,
    };
    let value: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    check_numbers(file, &value)?;
    let parsed: MaterialsFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    if parsed.materials.is_empty() {
        return Err(err("no materials defined".into()));
    }
    for (name, m) in &parsed.materials {
        for (key, v) in [
            ("density_g_cm3", m.density_g_cm3),
            ("thermal_diffusivity_mm2_s", m.thermal_diffusivity_mm2_s),
            ("cavity_pressure_mpa", m.cavity_pressure_mpa),
            ("melt_viscosity_pa_s", m.melt_viscosity_pa_s),
            ("tensile_strength_mpa", m.tensile_strength_mpa),
        ] {
            if v <= 0.0 {
                return Err(err(format!("{name}.{key} = {v}: must be positive")));
            }
        }
        if !(m.melt_temp_c > m.no_flow_temp_c
            && m.no_flow_temp_c > m.mold_temp_c
            && m.ejection_temp_c > m.mold_temp_c
            && m.melt_temp_c > m.ejection_temp_c)
        {
            return Err(err(format!(
                "{name}: temperatures must satisfy melt_temp_c > no_flow_temp_c > mold_temp_c and melt_temp_c > ejection_temp_c > mold_temp_c (got melt {}, no-flow {}, ejection {}, mold {})",
                m.melt_temp_c, m.no_flow_temp_c, m.ejection_temp_c, m.mold_temp_c
            )));
        }
    }
    for pair in parsed.adhesion.pairs.keys() {
        let known = pair.split_once('/').is_some_and(|(a, b)| {
            parsed.materials.contains_key(a) && parsed.materials.contains_key(b)
        });
        if !known {
            return Err(err(format!(
                "adhesion.pairs.\"{pair}\": must be \"PRINTED/MOLDED\" with both materials defined in the file"
            )));
        }
    }
    Ok(Materials {
        by_name: parsed.materials,
        adhesion: parsed.adhesion,
    })
}
