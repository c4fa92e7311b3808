//! The printed insert under the melt: its heat (the contact temperature against its heat
//! deflection and flow onset) and the cavity pressure on it (against the crush strength of
//! its infill, a cellular solid).

use super::{DfmInput, Finding, Kind, RouteOf, Severity};
use crate::models::dfm::InsertLimits;
use crate::models::materials::melt_on_insert_temp_c;
use crate::split::Split;

pub struct Heat {
    pub findings: Vec<Finding>,
    pub contact_temp_c: Option<f64>,
}

pub fn heat(input: &DfmInput) -> Heat {
    let start = input.limits.insert.start_temp_c;
    let hybrid = RouteOf::Hybrid;
    let Some(tc) = melt_on_insert_temp_c(input.molded, input.printed, start) else {
        return Heat {
            findings: vec![Finding::new(
                Kind::InsertHeat,
                Severity::Info,
                hybrid,
                format!(
                    "no insert heat check: the materials model lacks the thermal conductivity or specific heat of {} or {}",
                    input.molded_name, input.printed_name
                ),
                None,
                None,
                "degC",
                None,
            )],
            contact_temp_c: None,
        };
    };
    let p = input.printed;
    let soft = p
        .heat_deflection_temp_c
        .or(p.glass_transition_c)
        .unwrap_or(p.no_flow_temp_c);
    let onset = p.flow_onset_c();
    // What would pass: the molded materials of the model whose contact temperature on this
    // insert stays below its softening (or, failing that, its flow onset).
    let passing = |limit: f64| -> Vec<&str> {
        input
            .materials
            .by_name
            .iter()
            .filter(|(_, m)| melt_on_insert_temp_c(m, p, start).is_some_and(|t| t < limit))
            .map(|(k, _)| k.as_str())
            .collect()
    };
    // The insert temperature at which this melt would stay below the softening.
    let (em, ei) = (
        input.molded.effusivity().unwrap_or(0.0),
        p.effusivity().unwrap_or(1.0),
    );
    let start_needed = (soft * (em + ei) - em * input.molded.melt_temp_c) / ei;
    let pair = format!(
        "{} melt at {:.0} degC on a {} insert at {start:.0} degC",
        input.molded_name, input.molded.melt_temp_c, input.printed_name
    );
    let alternatives = |limit: f64| {
        let list = passing(limit);
        if list.is_empty() {
            "no molded material of the model stays below it".to_string()
        } else {
            format!("molded materials that stay below it: {}", list.join(", "))
        }
    };
    let finding = if tc >= onset {
        Finding::new(
            Kind::InsertHeat,
            Severity::Error,
            hybrid,
            format!(
                "{pair}: contact temperature {tc:.0} degC reaches the insert's flow onset {onset:.0} degC: its face melts and washes out under the flow ({})",
                alternatives(onset)
            ),
            Some(tc),
            Some(onset),
            "degC",
            None,
        )
    } else if tc > soft {
        let mold_hint = if start_needed > start {
            format!("an insert preheated to {start_needed:.0} degC would still soften; ")
        } else {
            String::new()
        };
        Finding::new(
            Kind::InsertHeat,
            Severity::Warning,
            hybrid,
            format!(
                "{pair}: contact temperature {tc:.0} degC is above the insert's heat deflection {soft:.0} degC (below its flow onset {onset:.0} degC): its face softens and may deform under the pressure{}; {mold_hint}{}",
                if onset - tc < 20.0 {
                    ", and remelts enough to bond better"
                } else {
                    ""
                },
                alternatives(soft)
            ),
            Some(tc),
            Some(soft),
            "degC",
            None,
        )
    } else {
        Finding::new(
            Kind::InsertHeat,
            Severity::Info,
            hybrid,
            format!(
                "{pair}: contact temperature {tc:.0} degC, below the insert's heat deflection {soft:.0} degC: the insert holds its shape (and bonds by adhesion only)"
            ),
            Some(tc),
            Some(soft),
            "degC",
            None,
        )
    };
    Heat {
        findings: vec![finding],
        contact_temp_c: Some(tc),
    }
}

/// Crush strength (MPa) of a printed infill at `fraction` of solid whose solid strength is
/// `solid_mpa`: Gibson and Ashby's plastic collapse C σ_s φ^n up to the law's limit, then a
/// straight line to the solid strength at φ = 1 (docs/method.md, "Insert pressure").
pub fn infill_strength_mpa(fraction: f64, solid_mpa: f64, law: &InsertLimits) -> f64 {
    let phi = fraction.clamp(0.0, 1.0);
    let ga =
        |x: f64| law.infill_strength_coefficient * solid_mpa * x.powf(law.infill_strength_exponent);
    let knee = law.infill_law_max_fraction;
    if phi <= knee {
        ga(phi)
    } else {
        let at_knee = ga(knee);
        at_knee + (solid_mpa - at_knee) * (phi - knee) / (1.0 - knee).max(1e-12)
    }
}

/// The least infill whose strength reaches `load_mpa` (bisection on the monotone law), or
/// `None` when even solid does not.
pub fn infill_for_mpa(load_mpa: f64, solid_mpa: f64, law: &InsertLimits) -> Option<f64> {
    if infill_strength_mpa(1.0, solid_mpa, law) < load_mpa {
        return None;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if infill_strength_mpa(mid, solid_mpa, law) >= load_mpa {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The pressure on the infill under a rib of width `rib_mm` whose cavity pressure
/// `cavity_mpa` spreads at 45° through a solid skin of `skin_mm`.
pub fn infill_load_mpa(cavity_mpa: f64, rib_mm: f64, skin_mm: f64) -> f64 {
    cavity_mpa * rib_mm / (rib_mm + 2.0 * skin_mm)
}

pub struct Pressure {
    pub findings: Vec<Finding>,
    pub infill_percent: Option<f64>,
}

pub fn pressure(input: &DfmInput, split: &Split) -> Pressure {
    let law = &input.limits.insert;
    let p = input.molded.cavity_pressure_mpa;
    let solid = input.printed.tensile_strength_mpa;
    let rib = split
        .facts
        .wall_thickness
        .as_ref()
        .map(|w| w.p50_mm)
        .unwrap_or(split.facts.plate_thickness_mm);
    let ins = input.insert;
    let (phi, skin) = if ins.solid {
        (1.0, 0.0)
    } else {
        (ins.infill_fraction.clamp(0.0, 1.0), ins.skin_mm)
    };
    let load = infill_load_mpa(p, rib, skin);
    let strength = infill_strength_mpa(phi, solid, law);
    let hybrid = RouteOf::Hybrid;
    let pct = |x: f64| 100.0 * x;
    let head = format!(
        "{p:.0} MPa of {} cavity pressure on a {} insert at {:.0} % infill ({rib:.2} mm ribs on a {skin:.2} mm skin: {load:.1} MPa on the infill)",
        input.molded_name,
        input.printed_name,
        pct(phi)
    );
    if strength >= load {
        return Pressure {
            findings: vec![Finding::new(
                Kind::InsertPressure,
                Severity::Info,
                hybrid,
                format!("{head}: the infill holds {strength:.1} MPa"),
                Some(load),
                Some(strength),
                "MPa",
                None,
            )],
            infill_percent: Some(pct(phi)),
        };
    }
    match infill_for_mpa(load, solid, law) {
        Some(need) => {
            let step = law.infill_step_percent;
            let used = ((pct(need) / step).ceil() * step).clamp(pct(phi), 100.0);
            Pressure {
                findings: vec![Finding::new(
                    Kind::InsertPressure,
                    Severity::Warning,
                    hybrid,
                    format!(
                        "{head}: the infill holds only {strength:.1} MPa and would crush; the hybrid route prints the baseplate at {used:.0} % infill (at least {:.1} %)",
                        pct(need)
                    ),
                    Some(load),
                    Some(strength),
                    "MPa",
                    None,
                )],
                infill_percent: Some(used),
            }
        }
        None => Pressure {
            findings: vec![Finding::new(
                Kind::InsertPressure,
                Severity::Error,
                hybrid,
                format!(
                    "{head}: even a solid insert holds only {solid:.0} MPa: it crushes (lower the pressure, a stronger insert material)"
                ),
                Some(load),
                Some(solid),
                "MPa",
                None,
            )],
            infill_percent: Some(100.0),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSet;

    #[test]
    fn infill_law_meets_solid_and_inverts() {
        let set = ModelSet::embedded().unwrap();
        let law = &set.dfm.insert;
        // 1 x 60 x 0.2^1 = 12 MPa.
        assert!((infill_strength_mpa(0.2, 60.0, law) - 12.0).abs() < 1e-9);
        let bending = InsertLimits {
            infill_strength_coefficient: 0.3,
            infill_strength_exponent: 1.5,
            infill_law_max_fraction: 0.3,
            ..law.clone()
        };
        // Open cells: 0.3 x 60 x 0.2^1.5 = 1.610 MPa; at 65 %: 0.3 x 60 x 0.3^1.5 = 2.958, then
        // 2.958 + (60 - 2.958) x 0.35 / 0.7 = 31.48 MPa.
        assert!((infill_strength_mpa(0.2, 60.0, &bending) - 1.6100).abs() < 1e-3);
        assert!((infill_strength_mpa(0.65, 60.0, &bending) - 31.479).abs() < 1e-3);
        assert!((infill_strength_mpa(1.0, 60.0, law) - 60.0).abs() < 1e-12);
        let phi = infill_for_mpa(30.0, 60.0, law).unwrap();
        assert!((infill_strength_mpa(phi, 60.0, law) - 30.0).abs() < 1e-6);
        assert!(infill_for_mpa(61.0, 60.0, law).is_none());
    }
}
