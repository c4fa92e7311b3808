//! Moldability and insert limits (`models/dfm.toml`): what the `dfm` stage checks the molded
//! region and the printed insert against.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ModelError, check_numbers};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PullLimits {
    pub min_feature_area_fraction: f64,
    pub side_action_release_fraction: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RibLimits {
    pub max_height_to_thickness: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShutoffLimits {
    pub land_mm: f64,
}

/// The printed insert's start temperature and the cellular-solid law of its infill.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InsertLimits {
    pub start_temp_c: f64,
    pub infill_strength_coefficient: f64,
    pub infill_strength_exponent: f64,
    pub infill_law_max_fraction: f64,
    pub infill_step_percent: f64,
}

/// Molding limits of one molded material.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MaterialLimits {
    pub min_draft_deg: f64,
    pub min_wall_mm: f64,
    pub max_wall_mm: f64,
    /// Longest flow from a gate over the wall thickness.
    pub flow_length_ratio: f64,
}

/// The whole model.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dfm {
    pub pull: PullLimits,
    pub ribs: RibLimits,
    pub shutoff: ShutoffLimits,
    pub insert: InsertLimits,
    pub default: MaterialLimits,
    #[serde(default)]
    pub materials: BTreeMap<String, MaterialLimits>,
}

impl Dfm {
    /// The limits of `material` (case-insensitive), or the defaults.
    pub fn limits(&self, material: &str) -> &MaterialLimits {
        self.materials
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(material))
            .map_or(&self.default, |(_, m)| m)
    }
}

/// The embedded model.
pub const DFM_TOML: &str = include_str!("../../models/dfm.toml");

/// Parses and checks a dfm file (`file` names it in errors).
pub fn parse_dfm(file: &str, text: &str) -> Result<Dfm, ModelError> {
    let err = |problem: String| ModelError {
        file: file.to_string(),
        problem,
    };
    let value: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    check_numbers(file, &value)?;
    let d: Dfm = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let fraction = |key: &str, v: f64| {
        if v > 0.0 && v <= 1.0 {
            Ok(())
        } else {
            Err(err(format!("{key} = {v}: must be above 0 and at most 1")))
        }
    };
    fraction(
        "pull.side_action_release_fraction",
        d.pull.side_action_release_fraction,
    )?;
    fraction(
        "insert.infill_law_max_fraction",
        d.insert.infill_law_max_fraction,
    )?;
    if d.pull.min_feature_area_fraction >= 1.0 {
        return Err(err("pull.min_feature_area_fraction must be below 1".into()));
    }
    for (key, v) in [
        (
            "ribs.max_height_to_thickness",
            d.ribs.max_height_to_thickness,
        ),
        (
            "insert.infill_strength_coefficient",
            d.insert.infill_strength_coefficient,
        ),
        (
            "insert.infill_strength_exponent",
            d.insert.infill_strength_exponent,
        ),
        ("insert.infill_step_percent", d.insert.infill_step_percent),
    ] {
        if v <= 0.0 {
            return Err(err(format!("{key} = {v}: must be positive")));
        }
    }
    for (name, m) in std::iter::once(("default", &d.default))
        .chain(d.materials.iter().map(|(k, m)| (k.as_str(), m)))
    {
        if !(m.min_wall_mm > 0.0 && m.max_wall_mm > m.min_wall_mm && m.flow_length_ratio > 0.0)
            || m.min_draft_deg >= 90.0
        {
            return Err(err(format!(
                "{name}: needs 0 < min_wall_mm < max_wall_mm, flow_length_ratio > 0 and min_draft_deg below 90"
            )));
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_dfm_parses_and_falls_back_to_default() {
        let d = parse_dfm("dfm.toml", DFM_TOML).unwrap();
        assert_eq!(d.limits("pp").flow_length_ratio, 250.0);
        assert_eq!(d.limits("XYZ"), &d.default);
        let bad = DFM_TOML.replacen("land_mm = 1.5", "land_mm = -1.5", 1);
        let e = parse_dfm("d.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("d.toml") && e.contains("shutoff.land_mm"), "{e}");
    }
}
