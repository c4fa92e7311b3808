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
    /// The interface temperature above which a melt bonds to a solid insert of this material
    /// by interdiffusion (docs/method.md, "Bond"): the glass transition of an amorphous
    /// polymer, the melting onset of a semi-crystalline one. Default: the melting onset where
    /// there is one, else the glass transition; set it where the printed state differs (FFF
    /// PLA prints nearly amorphous although the polymer can crystallise).
    #[serde(default)]
    pub bond_onset_c: Option<f64>,
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

    /// See [`Material::bond_onset_c`].
    pub fn bond_onset_temp_c(&self) -> Option<f64> {
        self.bond_onset_c
            .or(self.melting_temp_c)
            .or(self.glass_transition_c)
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

/// The contact temperature of `molded` melt (at its melt temperature) on a `printed` insert
/// whose face is at `insert_c`, where both have the thermal data: the insert heat check's
/// temperature and the bond's interface temperature.
pub fn melt_on_insert_temp_c(molded: &Material, printed: &Material, insert_c: f64) -> Option<f64> {
    Some(contact_temperature_c(
        molded.effusivity()?,
        molded.melt_temp_c,
        printed.effusivity()?,
        insert_c,
    ))
}

/// Adhesion strength of a melt molded onto a printed insert, by pair, as measured with the
/// insert at `reference_insert_temp_c`; [`Materials::adhesion`] moves it with the interface
/// temperature.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Adhesion {
    pub other_pairs_mpa: f64,
    /// The insert's temperature when the melt met it in the tests the table stands for.
    pub reference_insert_temp_c: f64,
    /// Width (K) of the onset of interdiffusion: the bond at the onset temperature is this
    /// many kelvin's worth of the bond above it (docs/method.md, "Bond").
    pub onset_band_k: f64,
    /// Keyed `"PRINTED/MOLDED"`.
    pub pairs: BTreeMap<String, f64>,
}

impl Adhesion {
    /// The adhesion strength of `molded` on `printed` at the reference conditions (MPa), and
    /// whether the pair is listed.
    pub fn strength_mpa(&self, printed: &str, molded: &str) -> (f64, bool) {
        match self.pairs.get(&format!("{printed}/{molded}")) {
            Some(&v) => (v, true),
            None => (self.other_pairs_mpa, false),
        }
    }
}

/// The plain bond's strength of a pair at the interface temperature of a molding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairAdhesion {
    pub mpa: f64,
    /// The pair is in the adhesion table (otherwise the model's default for other pairs).
    pub listed: bool,
    /// The contact temperature of melt on insert, where both materials have the data.
    pub interface_temp_c: Option<f64>,
    /// mpa over the table's value (1 at the table's conditions).
    pub temperature_factor: f64,
}

/// All materials and the adhesion table.
#[derive(Debug, Clone, PartialEq)]
pub struct Materials {
    pub by_name: BTreeMap<String, Material>,
    pub adhesion: Adhesion,
}

impl Materials {
    /// The adhesion of `molded` melt on a `printed` insert whose face is at `insert_temp_c`
    /// when the melt meets it (names as the table keys them).
    ///
    /// Interdiffusion across the interface bonds an amorphous insert above its glass
    /// transition, the better the hotter, and a semi-crystalline one once its crystals melt
    /// (docs/method.md, "Bond", with the sources). The table's value holds at its reference
    /// insert temperature and scales with the interface temperature's excess over the
    /// insert's bond onset, plus `onset_band_k`:
    /// `factor = h(T_c) / h(T_c,ref)`, `h(T) = max(T - T_onset, 0) + band`. A bond raised
    /// above the table stops at the weaker material's tensile strength (the joint is then as
    /// strong as the bulk). Factor 1 where a material lacks the thermal data or the onset.
    pub fn adhesion(
        &self,
        printed_name: &str,
        printed: &Material,
        molded_name: &str,
        molded: &Material,
        insert_temp_c: f64,
    ) -> PairAdhesion {
        let a = &self.adhesion;
        let (table_mpa, listed) = a.strength_mpa(printed_name, molded_name);
        let interface_temp_c = melt_on_insert_temp_c(molded, printed, insert_temp_c);
        let (Some(tc), Some(tc_ref), Some(onset)) = (
            interface_temp_c,
            melt_on_insert_temp_c(molded, printed, a.reference_insert_temp_c),
            printed.bond_onset_temp_c(),
        ) else {
            return PairAdhesion {
                mpa: table_mpa,
                listed,
                interface_temp_c,
                temperature_factor: 1.0,
            };
        };
        let h = |t: f64| (t - onset).max(0.0) + a.onset_band_k;
        let factor = h(tc) / h(tc_ref);
        let mut mpa = table_mpa * factor;
        if factor > 1.0 {
            let bulk = printed
                .tensile_strength_mpa
                .min(molded.tensile_strength_mpa);
            mpa = mpa.min(bulk.max(table_mpa));
        }
        PairAdhesion {
            mpa,
            listed,
            interface_temp_c: Some(tc),
            temperature_factor: if table_mpa > 0.0 {
                mpa / table_mpa
            } else {
                factor
            },
        }
    }

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
    if parsed.adhesion.onset_band_k <= 0.0 {
        return Err(err(format!(
            "adhesion.onset_band_k = {}: must be positive",
            parsed.adhesion.onset_band_k
        )));
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

#[cfg(test)]
mod adhesion_tests {
    use super::*;

    fn embedded() -> Materials {
        parse_materials("materials.toml", MATERIALS_TOML).unwrap()
    }

    fn at(m: &Materials, printed: &str, molded: &str, insert_c: f64) -> PairAdhesion {
        let (pn, p) = m.get(printed).unwrap();
        let (mn, mm) = m.get(molded).unwrap();
        m.adhesion(pn, p, mn, mm, insert_c)
    }

    /// PLA melt (200 degC) on a PLA insert: equal effusivities, so the contact temperature is
    /// the mean, (200 + T_insert) / 2. Onset 60 degC (its glass transition, as printed), band
    /// 10 K. At the table's 23 degC: 111.5 degC and the table's 13 MPa. Preheated to 60 degC:
    /// 130 degC, factor (130 - 60 + 10) / (111.5 - 60 + 10) = 80 / 61.5 = 1.3008, 16.91 MPa.
    #[test]
    fn a_preheated_pla_insert_bonds_better_by_hand() {
        let m = embedded();
        let cold = at(&m, "PLA", "PLA", 23.0);
        assert_eq!(cold.mpa, 13.0);
        assert_eq!(cold.temperature_factor, 1.0);
        assert!((cold.interface_temp_c.unwrap() - 111.5).abs() < 1e-9);
        let warm = at(&m, "PLA", "PLA", 60.0);
        assert!((warm.interface_temp_c.unwrap() - 130.0).abs() < 1e-9);
        assert!((warm.mpa - 13.0 * 80.0 / 61.5).abs() < 1e-9, "{}", warm.mpa);
        // Colder than the tests: weaker, never below the onset band's share.
        let chilled = at(&m, "PLA", "PLA", 0.0);
        assert!((chilled.mpa - 13.0 * (100.0 - 60.0 + 10.0) / 61.5).abs() < 1e-9);
    }

    /// PP is semi-crystalline: a melt bonds to it by interdiffusion only where the interface
    /// reaches its melting onset (165 degC). PP melt at 230 degC on a room-temperature PP
    /// insert meets it at (230 + 23) / 2 = 126.5 degC, below the onset, as in the tests the
    /// table's 2.5 MPa stands for; warming the insert to 80 degC (155 degC) changes nothing,
    /// to 140 degC (185 degC) multiplies the bond by (185 - 165 + 10) / 10 = 3.
    #[test]
    fn a_semi_crystalline_insert_bonds_better_only_once_it_melts() {
        let m = embedded();
        assert_eq!(at(&m, "PP", "PP", 23.0).mpa, 2.5);
        assert_eq!(at(&m, "PP", "PP", 80.0).mpa, 2.5);
        let hot = at(&m, "PP", "PP", 140.0);
        assert!((hot.interface_temp_c.unwrap() - 185.0).abs() < 1e-9);
        assert!((hot.mpa - 7.5).abs() < 1e-9, "{}", hot.mpa);
    }

    /// A bond raised above the table stops at the weaker material's tensile strength: with a
    /// table value of 40 MPa, a PLA insert at 250 degC (interface 225 degC) would give
    /// 40 x (225 - 60 + 10) / 61.5 = 113.8 MPa; PLA's 60 MPa bulk holds it.
    #[test]
    fn the_bond_stops_at_the_bulk() {
        let text = MATERIALS_TOML.replace("\"PLA/PLA\" = 13.0", "\"PLA/PLA\" = 40.0");
        let m = parse_materials("materials.toml", &text).unwrap();
        let hot = at(&m, "PLA", "PLA", 250.0);
        assert_eq!(hot.mpa, 60.0);
        assert!((hot.temperature_factor - 1.5).abs() < 1e-12);
    }

    #[test]
    fn the_onset_band_must_be_positive() {
        let text = MATERIALS_TOML.replace("onset_band_k = 10.0", "onset_band_k = 0.0");
        let e = parse_materials("materials.toml", &text).unwrap_err();
        assert!(e.to_string().contains("onset_band_k"), "{e}");
    }
}
