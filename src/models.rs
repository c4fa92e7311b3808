//! Material, machine and cost data: TOML under `models/`, embedded in the binary as defaults.
//! Every value's source is in docs/models.md.

use serde::Deserialize;

pub mod economics;
pub mod materials;
pub mod molding;
pub mod set;

pub use economics::Economics;
pub use materials::{Material, Materials};
pub use molding::Molding;
pub use set::ModelSet;

/// A printer's geometry (mm).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Printer {
    pub description: String,
    pub nozzle_mm: f64,
    pub extrusion_width_mm: f64,
    pub layer_height_mm: f64,
}

/// The embedded printer models.
pub const PRINTERS_TOML: &str = include_str!("../models/printers.toml");

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

/// Parses printer models from TOML text (`file` names it in errors) and checks the values.
pub fn parse_printers(
    file: &str,
    text: &str,
) -> Result<std::collections::BTreeMap<String, Printer>, ModelError> {
    let err = |problem: String| ModelError {
        file: file.to_string(),
        problem,
    };
    let printers: std::collections::BTreeMap<String, Printer> =
        toml::from_str(text).map_err(|e| err(e.to_string()))?;
    for (name, p) in &printers {
        for (key, v) in [
            ("nozzle_mm", p.nozzle_mm),
            ("extrusion_width_mm", p.extrusion_width_mm),
            ("layer_height_mm", p.layer_height_mm),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(format!(
                    "{name}.{key} = {v}: must be a positive length"
                )));
            }
        }
    }
    Ok(printers)
}

/// The default printer (the embedded `desktop_fff`).
pub fn default_printer() -> Printer {
    parse_printers("models/printers.toml (embedded)", PRINTERS_TOML)
        .ok()
        .and_then(|mut m| m.remove("desktop_fff"))
        .expect("the embedded printer model is valid (checked by a test)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_printer_parses_and_bad_files_name_the_key() {
        let p = default_printer();
        assert_eq!(p.extrusion_width_mm, 0.45);
        assert_eq!(p.layer_height_mm, 0.2);
        let bad = "[x]\ndescription = \"x\"\nnozzle_mm = 0.4\nextrusion_width_mm = -1\nlayer_height_mm = 0.2\n";
        let e = parse_printers("my.toml", bad).unwrap_err().to_string();
        assert!(
            e.contains("my.toml") && e.contains("x.extrusion_width_mm"),
            "{e}"
        );
        let unknown = "[x]\ndescription = \"x\"\nnozzle = 0.4\n";
        let e = parse_printers("my.toml", unknown).unwrap_err().to_string();
        assert!(e.contains("my.toml") && e.contains("nozzle"), "{e}");
    }
}
