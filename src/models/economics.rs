//! Economics (`models/economics.toml`): rates, prices, grid intensity, scrap, time base.

use serde::Deserialize;

use super::{ModelError, check_numbers};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Economics {
    pub currency: String,
    pub labour_rate_per_h: f64,
    pub electricity_price_per_kwh: f64,
    pub grid_co2_kg_per_kwh: f64,
    pub overhead_fraction: f64,
    pub working_hours_per_year: f64,
    pub amortization_years: f64,
    /// A year's cost of the capital tied up in the molds (0.1 = 10 %): tooling is then paid
    /// as an annuity over `amortization_years` ([`Economics::tooling_per_part`]); 0 pays it
    /// off straight-line.
    pub capital_recovery_rate: f64,
    pub scrap_am: f64,
    pub scrap_im: f64,
    pub scrap_insert: f64,
    /// The lead-time rule that fills powder-bed builds: one build is started at least every
    /// this many working hours, holding the parts ordered since the last one (at most a full
    /// build).
    pub powder_build_period_h: f64,
    pub im_operator_share: f64,
    pub robot_rate_per_h: f64,
    pub changeover_h_per_variant: f64,
    pub sweep_min_volume: f64,
    pub sweep_max_volume: f64,
    pub sweep_points_per_decade: u32,
}

impl Economics {
    /// The share of a part of tooling that costs `investment` over the amortisation period at
    /// `annual_volume` parts a year. Straight-line without a cost of capital,
    /// `investment / (annual_volume · years)`; with a rate r, the annuity that pays it back
    /// with interest, `investment · CRF / annual_volume`, CRF = r (1 + r)^Y / ((1 + r)^Y − 1)
    /// (the capital recovery factor of engineering economics; the MIT Materials Systems
    /// Laboratory's technical cost models charge their tools so: docs/validation.md, case 8).
    pub fn tooling_per_part(&self, investment: f64, annual_volume: f64) -> f64 {
        let (r, y) = (self.capital_recovery_rate, self.amortization_years);
        if r == 0.0 {
            return investment / (annual_volume * y);
        }
        let g = (1.0 + r).powf(y);
        investment * r * g / (g - 1.0) / annual_volume
    }
}

/// The embedded economics model.
pub const ECONOMICS_TOML: &str = include_str!("../../models/economics.toml");

/// Parses and checks an economics file (`file` names it in errors).
pub fn parse_economics(file: &str, text: &str) -> Result<Economics, ModelError> {
    let err = |problem: String| ModelError {
        file: file.to_string(),
        problem,
    };
    let value: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    check_numbers(file, &value)?;
    let e: Economics = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    for (key, v) in [
        ("scrap_am", e.scrap_am),
        ("scrap_im", e.scrap_im),
        ("scrap_insert", e.scrap_insert),
    ] {
        if v >= 1.0 {
            return Err(err(format!("{key} = {v}: a scrap rate must be below 1")));
        }
    }
    for (key, v) in [
        ("working_hours_per_year", e.working_hours_per_year),
        ("amortization_years", e.amortization_years),
        ("sweep_min_volume", e.sweep_min_volume),
        ("powder_build_period_h", e.powder_build_period_h),
    ] {
        if v <= 0.0 {
            return Err(err(format!("{key} = {v}: must be positive")));
        }
    }
    if !(0.0..=1.0).contains(&e.capital_recovery_rate) {
        return Err(err(format!(
            "capital_recovery_rate = {}: must be from 0 to 1 (a year's rate)",
            e.capital_recovery_rate
        )));
    }
    if e.sweep_max_volume <= e.sweep_min_volume || e.sweep_points_per_decade == 0 {
        return Err(err(
            "sweep_max_volume must exceed sweep_min_volume and sweep_points_per_decade be at least 1"
                .into(),
        ));
    }
    Ok(e)
}
