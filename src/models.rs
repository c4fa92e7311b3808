//! Material, machine and cost data: TOML under `models/`, embedded in the binary as defaults.
//! Every value's source is in docs/models.md.

use std::collections::BTreeMap;

use serde::Deserialize;

pub mod dfm;
pub mod economics;
pub mod materials;
pub mod molding;
pub mod set;

pub use dfm::Dfm;
pub use economics::Economics;
pub use materials::{Material, Materials};
pub use molding::Molding;
pub use set::ModelSet;

/// A fused-filament (FFF) printer with its slicing profile: geometry, speeds, accelerations
/// and machine limits as PrusaSlicer's profile and G-code time estimator use them, plus the
/// machine's hourly rate and power for the cost comparison.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FffPrinter {
    pub description: String,
    pub nozzle_mm: f64,
    /// Width of perimeters and infill lines (PrusaSlicer `extrusion_width`).
    pub extrusion_width_mm: f64,
    pub first_layer_extrusion_width_mm: f64,
    /// Width of the lines of the top surface (thinner for a smoother top).
    pub top_infill_extrusion_width_mm: f64,
    pub layer_height_mm: f64,
    pub perimeters: u32,
    pub top_solid_layers: u32,
    pub bottom_solid_layers: u32,
    /// Infill regions smaller than this are printed solid.
    pub solid_infill_below_area_mm2: f64,
    /// How far infill reaches into the innermost perimeter, as a share of the line width.
    pub infill_overlap_fraction: f64,
    /// Sparse infill density, 0..1.
    pub infill_fraction: f64,
    pub external_perimeter_speed_mm_s: f64,
    pub perimeter_speed_mm_s: f64,
    /// Speed of perimeter loops no longer than a circle of `small_perimeter_radius_mm`.
    pub small_perimeter_speed_mm_s: f64,
    pub small_perimeter_radius_mm: f64,
    pub infill_speed_mm_s: f64,
    pub solid_infill_speed_mm_s: f64,
    pub top_solid_infill_speed_mm_s: f64,
    /// Speed of solid layers printed over air or over sparse infill.
    pub bridge_speed_mm_s: f64,
    pub first_layer_speed_mm_s: f64,
    pub travel_speed_mm_s: f64,
    /// The hot end's melting limit: no extrusion faster than this volume per second.
    pub max_volumetric_speed_mm3_s: f64,
    pub perimeter_acceleration_mm_s2: f64,
    pub infill_acceleration_mm_s2: f64,
    pub bridge_acceleration_mm_s2: f64,
    pub first_layer_acceleration_mm_s2: f64,
    pub travel_acceleration_mm_s2: f64,
    /// Machine limit per axis (X and Y); caps every requested acceleration.
    pub max_acceleration_xy_mm_s2: f64,
    /// Machine limit for extruding moves.
    pub max_acceleration_extruding_mm_s2: f64,
    /// Largest instantaneous speed change per axis at a corner (classic Marlin jerk).
    pub max_jerk_xy_mm_s: f64,
    pub max_speed_z_mm_s: f64,
    pub max_acceleration_z_mm_s2: f64,
    pub max_jerk_z_mm_s: f64,
    pub retract_length_mm: f64,
    pub retract_speed_mm_s: f64,
    pub max_acceleration_retracting_mm_s2: f64,
    /// Z hop on every retraction.
    pub retract_lift_mm: f64,
    /// Travels shorter than this do not retract.
    pub retract_before_travel_mm: f64,
    /// Move back along the path while retracting (PrusaSlicer `wipe`).
    pub wipe: bool,
    /// Layers faster than this are slowed down for cooling ...
    pub slowdown_below_layer_time_s: f64,
    /// ... but not below this print speed.
    pub min_print_speed_mm_s: f64,
    pub build_volume_mm: [f64; 3],
    /// Machine cost per hour of printing and heating (depreciation, wear, maintenance), without
    /// operator or electricity (both costed apart).
    pub hourly_rate_eur_h: f64,
    /// Electric power while printing.
    pub power_kw: f64,
    /// Heating bed and nozzle before every print (machine time, once per print).
    pub heatup_s: f64,
    /// Electric power while heating up.
    pub heatup_power_kw: f64,
    /// Operator time to start a print: clear and check the sheet, load the job, start (once
    /// per print).
    pub setup_min_per_build: f64,
    /// Operator time per part after the print: take it off the sheet, remove brim and
    /// supports, inspect.
    pub removal_min_per_part: f64,
}

/// The printer type the interface layout uses (nozzle, extrusion width, layer height).
pub type Printer = FffPrinter;

/// A powder-bed fusion printer (laser sintering, Multi Jet Fusion).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PowderPrinter {
    pub description: String,
    pub build_volume_mm: [f64; 3],
    pub layer_thickness_mm: f64,
    /// Spreading a layer of powder (and, for MJF, the print pass, whose time does not depend
    /// on what is printed).
    pub recoat_time_per_layer_s: f64,
    /// Area fused per second by the laser; 0 when the layer time does not depend on the area.
    pub scan_rate_mm2_s: f64,
    /// Heating the bed before the first layer (machine time, once per build).
    pub warmup_s: f64,
    /// Cooling the build before unpacking (off the machine: lead time, not machine time).
    pub cooldown_s: f64,
    /// Largest share of the build volume that parts can fill.
    pub packing_density: f64,
    /// Powder left between neighbouring parts' bounding boxes.
    pub part_spacing_mm: f64,
    /// Share of fresh powder in every build's feed.
    pub powder_refresh_ratio: f64,
    /// Machine cost per hour of build (depreciation, service, space), without operator,
    /// electricity and consumables (costed apart).
    pub hourly_rate_eur_h: f64,
    /// Mean electric power over the machine time of a build (time-dependent energy).
    pub power_kw: f64,
    /// Energy of a build that does not scale with its machine time: heating the chamber and
    /// the powder feed, the controlled cool-down (job-dependent energy, Baumers et al. 2011).
    pub job_energy_kwh: f64,
    /// Operator time per build to prepare it: nest the job, load and sieve powder, start.
    pub setup_min_per_build: f64,
    /// Operator time per build to unload it: move the frame or build unit, break out the
    /// cake, recover the powder.
    pub unpack_min_per_build: f64,
    /// Operator time per part to take it from the cake, clean it of powder and inspect it ...
    pub depowder_min_per_part: f64,
    /// ... plus blasting time per dm² of the part's bounding-box surface (larger parts take
    /// longer to clean).
    pub depowder_min_per_dm2: f64,
    /// Printing agents (MJF fusing and detailing agents) per cm³ of parts fused.
    pub agents_eur_per_cm3: f64,
    /// Consumables worn per hour of build (MJF print heads, cleaning roll, filters).
    pub consumables_eur_per_h: f64,
}

/// The printer models of one file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Printers {
    #[serde(default)]
    pub fff: BTreeMap<String, FffPrinter>,
    #[serde(default)]
    pub powder: BTreeMap<String, PowderPrinter>,
}

/// The embedded printer models.
pub const PRINTERS_TOML: &str = include_str!("../models/printers.toml");

/// Name of the embedded file in error messages.
const PRINTERS_FILE: &str = "models/printers.toml (embedded)";

/// Why a model file could not be used: the file, the key and the problem.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct ModelError {
    pub file: String,
    pub problem: String,
}

/// Checks every number in a model file: finite and not negative (a negative price, time or
/// temperature difference has no meaning in these models). Names the key path.
pub(crate) fn check_numbers(file: &str, table: &toml::Table) -> Result<(), ModelError> {
    fn walk(file: &str, path: &str, v: &toml::Value) -> Result<(), ModelError> {
        let bad = |x: f64| ModelError {
            file: file.to_string(),
            problem: format!("{path} = {x}: must be a finite, non-negative number"),
        };
        match v {
            toml::Value::Float(x) if !(x.is_finite() && *x >= 0.0) => Err(bad(*x)),
            toml::Value::Integer(i) if *i < 0 => Err(bad(*i as f64)),
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(file, &p, v)?;
                }
                Ok(())
            }
            toml::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(file, &format!("{path}[{i}]"), v)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    for (k, v) in table {
        walk(file, k, v)?;
    }
    Ok(())
}

/// What a value must be.
#[derive(Clone, Copy)]
enum Rule {
    Positive,
    NonNegative,
    /// In (0, 1].
    Fraction,
    /// In [0, 1).
    OpenFraction,
}

impl Rule {
    fn holds(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                Rule::Positive => v > 0.0,
                Rule::NonNegative => v >= 0.0,
                Rule::Fraction => v > 0.0 && v <= 1.0,
                Rule::OpenFraction => (0.0..1.0).contains(&v),
            }
    }
    fn what(self) -> &'static str {
        match self {
            Rule::Positive => "must be a positive finite number",
            Rule::NonNegative => "must be zero or a positive finite number",
            Rule::Fraction => "must be a fraction in (0, 1]",
            Rule::OpenFraction => "must be a fraction in [0, 1)",
        }
    }
}

fn check(table: &str, name: &str, values: &[(&str, f64, Rule)]) -> Result<(), String> {
    for &(key, v, rule) in values {
        if !rule.holds(v) {
            return Err(format!("{table}.{name}.{key} = {v}: {}", rule.what()));
        }
    }
    Ok(())
}

impl FffPrinter {
    fn validate(&self, name: &str) -> Result<(), String> {
        // One table in groups, checked in order: the first value out of its range is the error.
        check("fff", name, &self.line_rules())?;
        check("fff", name, &self.speed_rules())?;
        check("fff", name, &self.motion_rules())?;
        check("fff", name, &self.retract_and_cooling_rules())?;
        check("fff", name, &self.machine_rules())
    }

    /// The extrusion: the nozzle, the line widths, the layers, the perimeters and the infill.
    fn line_rules(&self) -> Vec<(&'static str, f64, Rule)> {
        use Rule::*;
        vec![
            ("nozzle_mm", self.nozzle_mm, Positive),
            ("extrusion_width_mm", self.extrusion_width_mm, Positive),
            (
                "first_layer_extrusion_width_mm",
                self.first_layer_extrusion_width_mm,
                Positive,
            ),
            (
                "top_infill_extrusion_width_mm",
                self.top_infill_extrusion_width_mm,
                Positive,
            ),
            ("layer_height_mm", self.layer_height_mm, Positive),
            ("perimeters", self.perimeters as f64, Positive),
            ("infill_fraction", self.infill_fraction, OpenFraction),
            (
                "infill_overlap_fraction",
                self.infill_overlap_fraction,
                OpenFraction,
            ),
            (
                "solid_infill_below_area_mm2",
                self.solid_infill_below_area_mm2,
                NonNegative,
            ),
        ]
    }

    /// The speed of each kind of line and of travel, and the volumetric limit.
    fn speed_rules(&self) -> Vec<(&'static str, f64, Rule)> {
        use Rule::*;
        vec![
            (
                "external_perimeter_speed_mm_s",
                self.external_perimeter_speed_mm_s,
                Positive,
            ),
            ("perimeter_speed_mm_s", self.perimeter_speed_mm_s, Positive),
            (
                "small_perimeter_speed_mm_s",
                self.small_perimeter_speed_mm_s,
                Positive,
            ),
            (
                "small_perimeter_radius_mm",
                self.small_perimeter_radius_mm,
                NonNegative,
            ),
            ("infill_speed_mm_s", self.infill_speed_mm_s, Positive),
            (
                "solid_infill_speed_mm_s",
                self.solid_infill_speed_mm_s,
                Positive,
            ),
            (
                "top_solid_infill_speed_mm_s",
                self.top_solid_infill_speed_mm_s,
                Positive,
            ),
            ("bridge_speed_mm_s", self.bridge_speed_mm_s, Positive),
            (
                "first_layer_speed_mm_s",
                self.first_layer_speed_mm_s,
                Positive,
            ),
            ("travel_speed_mm_s", self.travel_speed_mm_s, Positive),
            (
                "max_volumetric_speed_mm3_s",
                self.max_volumetric_speed_mm3_s,
                Positive,
            ),
        ]
    }

    /// The accelerations and jerks of the motion planner, and the z axis.
    fn motion_rules(&self) -> Vec<(&'static str, f64, Rule)> {
        use Rule::*;
        vec![
            (
                "perimeter_acceleration_mm_s2",
                self.perimeter_acceleration_mm_s2,
                Positive,
            ),
            (
                "infill_acceleration_mm_s2",
                self.infill_acceleration_mm_s2,
                Positive,
            ),
            (
                "bridge_acceleration_mm_s2",
                self.bridge_acceleration_mm_s2,
                Positive,
            ),
            (
                "first_layer_acceleration_mm_s2",
                self.first_layer_acceleration_mm_s2,
                Positive,
            ),
            (
                "travel_acceleration_mm_s2",
                self.travel_acceleration_mm_s2,
                Positive,
            ),
            (
                "max_acceleration_xy_mm_s2",
                self.max_acceleration_xy_mm_s2,
                Positive,
            ),
            (
                "max_acceleration_extruding_mm_s2",
                self.max_acceleration_extruding_mm_s2,
                Positive,
            ),
            ("max_jerk_xy_mm_s", self.max_jerk_xy_mm_s, NonNegative),
            ("max_speed_z_mm_s", self.max_speed_z_mm_s, Positive),
            (
                "max_acceleration_z_mm_s2",
                self.max_acceleration_z_mm_s2,
                Positive,
            ),
            ("max_jerk_z_mm_s", self.max_jerk_z_mm_s, NonNegative),
        ]
    }

    /// Retraction and the slowdown of short layers.
    fn retract_and_cooling_rules(&self) -> Vec<(&'static str, f64, Rule)> {
        use Rule::*;
        vec![
            ("retract_length_mm", self.retract_length_mm, NonNegative),
            ("retract_speed_mm_s", self.retract_speed_mm_s, Positive),
            (
                "max_acceleration_retracting_mm_s2",
                self.max_acceleration_retracting_mm_s2,
                Positive,
            ),
            ("retract_lift_mm", self.retract_lift_mm, NonNegative),
            (
                "retract_before_travel_mm",
                self.retract_before_travel_mm,
                NonNegative,
            ),
            (
                "slowdown_below_layer_time_s",
                self.slowdown_below_layer_time_s,
                NonNegative,
            ),
            ("min_print_speed_mm_s", self.min_print_speed_mm_s, Positive),
        ]
    }

    /// The build volume and what an hour, a build and a part cost in time and energy.
    fn machine_rules(&self) -> Vec<(&'static str, f64, Rule)> {
        use Rule::*;
        let [bx, by, bz] = self.build_volume_mm;
        vec![
            ("build_volume_mm[0]", bx, Positive),
            ("build_volume_mm[1]", by, Positive),
            ("build_volume_mm[2]", bz, Positive),
            ("hourly_rate_eur_h", self.hourly_rate_eur_h, NonNegative),
            ("power_kw", self.power_kw, NonNegative),
            ("heatup_s", self.heatup_s, NonNegative),
            ("heatup_power_kw", self.heatup_power_kw, NonNegative),
            ("setup_min_per_build", self.setup_min_per_build, NonNegative),
            (
                "removal_min_per_part",
                self.removal_min_per_part,
                NonNegative,
            ),
        ]
    }
}

impl PowderPrinter {
    fn validate(&self, name: &str) -> Result<(), String> {
        use Rule::*;
        let [bx, by, bz] = self.build_volume_mm;
        check(
            "powder",
            name,
            &[
                ("build_volume_mm[0]", bx, Positive),
                ("build_volume_mm[1]", by, Positive),
                ("build_volume_mm[2]", bz, Positive),
                ("layer_thickness_mm", self.layer_thickness_mm, Positive),
                (
                    "recoat_time_per_layer_s",
                    self.recoat_time_per_layer_s,
                    NonNegative,
                ),
                ("scan_rate_mm2_s", self.scan_rate_mm2_s, NonNegative),
                ("warmup_s", self.warmup_s, NonNegative),
                ("cooldown_s", self.cooldown_s, NonNegative),
                ("packing_density", self.packing_density, Fraction),
                ("part_spacing_mm", self.part_spacing_mm, NonNegative),
                ("powder_refresh_ratio", self.powder_refresh_ratio, Fraction),
                ("hourly_rate_eur_h", self.hourly_rate_eur_h, NonNegative),
                ("power_kw", self.power_kw, NonNegative),
                ("job_energy_kwh", self.job_energy_kwh, NonNegative),
                ("setup_min_per_build", self.setup_min_per_build, NonNegative),
                (
                    "unpack_min_per_build",
                    self.unpack_min_per_build,
                    NonNegative,
                ),
                (
                    "depowder_min_per_part",
                    self.depowder_min_per_part,
                    NonNegative,
                ),
                (
                    "depowder_min_per_dm2",
                    self.depowder_min_per_dm2,
                    NonNegative,
                ),
                ("agents_eur_per_cm3", self.agents_eur_per_cm3, NonNegative),
                (
                    "consumables_eur_per_h",
                    self.consumables_eur_per_h,
                    NonNegative,
                ),
            ],
        )?;
        if self.recoat_time_per_layer_s == 0.0 && self.scan_rate_mm2_s == 0.0 {
            return Err(format!(
                "powder.{name}: recoat_time_per_layer_s and scan_rate_mm2_s are both 0: a layer would take no time"
            ));
        }
        Ok(())
    }
}

/// Parses printer models from TOML text (`file` names it in errors) and checks the values.
pub fn parse_printers(file: &str, text: &str) -> Result<Printers, ModelError> {
    let err = |problem: String| ModelError {
        file: file.to_string(),
        problem,
    };
    let printers: Printers = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    for (name, p) in &printers.fff {
        p.validate(name).map_err(err)?;
    }
    for (name, p) in &printers.powder {
        p.validate(name).map_err(err)?;
    }
    Ok(printers)
}

/// The embedded printer models.
pub fn embedded_printers() -> Printers {
    parse_printers(PRINTERS_FILE, PRINTERS_TOML)
        .expect("the embedded printer models are valid (checked by a test)")
}

/// The default printer (the embedded `fff.desktop_fff`).
pub fn default_printer() -> FffPrinter {
    embedded_printers()
        .fff
        .remove("desktop_fff")
        .expect("the embedded printer models have fff.desktop_fff (checked by a test)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded file with one line replaced (the line that starts with `key =` in the
    /// table `table`).
    fn edited(table: &str, key: &str, line: Option<&str>) -> String {
        let mut out = String::new();
        let mut in_table = false;
        let mut done = false;
        for l in PRINTERS_TOML.lines() {
            if l.starts_with('[') {
                in_table = l == format!("[{table}]");
            }
            if in_table && !done && l.starts_with(&format!("{key} =")) {
                done = true;
                if let Some(new) = line {
                    out.push_str(new);
                    out.push('\n');
                }
                continue;
            }
            out.push_str(l);
            out.push('\n');
        }
        assert!(done, "{table}.{key} is in the embedded file");
        out
    }

    #[test]
    fn embedded_printers_parse() {
        let p = default_printer();
        assert_eq!(p.nozzle_mm, 0.4);
        assert_eq!(p.extrusion_width_mm, 0.45);
        assert_eq!(p.layer_height_mm, 0.2);
        let all = embedded_printers();
        assert!(all.fff.contains_key("industrial_fff_farm"));
        assert!(all.powder.contains_key("sls") && all.powder.contains_key("mjf"));
    }

    #[test]
    fn bad_values_name_file_and_key() {
        let bad = edited(
            "fff.desktop_fff",
            "extrusion_width_mm",
            Some("extrusion_width_mm = -1"),
        );
        let e = parse_printers("my.toml", &bad).unwrap_err().to_string();
        assert!(
            e.contains("my.toml") && e.contains("fff.desktop_fff.extrusion_width_mm"),
            "{e}"
        );
        let bad = edited(
            "powder.sls",
            "packing_density",
            Some("packing_density = 1.5"),
        );
        let e = parse_printers("my.toml", &bad).unwrap_err().to_string();
        assert!(
            e.contains("my.toml")
                && e.contains("powder.sls.packing_density")
                && e.contains("(0, 1]"),
            "{e}"
        );
        let bad = edited(
            "fff.industrial_fff_farm",
            "infill_fraction",
            Some("infill_fraction = 1.0"),
        );
        let e = parse_printers("my.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("fff.industrial_fff_farm.infill_fraction"), "{e}");
        let bad = edited(
            "powder.mjf",
            "recoat_time_per_layer_s",
            Some("recoat_time_per_layer_s = 0"),
        );
        let e = parse_printers("my.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("powder.mjf") && e.contains("no time"), "{e}");
    }

    #[test]
    fn unknown_and_missing_keys_are_named() {
        let unknown = edited("fff.desktop_fff", "nozzle_mm", Some("nozzle = 0.4"));
        let e = parse_printers("my.toml", &unknown).unwrap_err().to_string();
        assert!(e.contains("my.toml") && e.contains("nozzle"), "{e}");
        let missing = edited("powder.sls", "scan_rate_mm2_s", None);
        let e = parse_printers("my.toml", &missing).unwrap_err().to_string();
        assert!(
            e.contains("my.toml") && e.contains("scan_rate_mm2_s"),
            "{e}"
        );
        let e = parse_printers("my.toml", "[resin.x]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("resin"), "{e}");
        let e = parse_printers("my.toml", "[fff.x]\nnozzle_mm = \"wide\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("nozzle_mm"), "{e}");
    }
}
