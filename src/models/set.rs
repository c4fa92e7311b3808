//! The whole set of models a run uses: the embedded defaults, each replaceable by a user file
//! (`--models DIR` or `--models FILE`, by file name).

use std::path::Path;

use super::dfm::{DFM_TOML, Dfm, parse_dfm};
use super::economics::{ECONOMICS_TOML, Economics, parse_economics};
use super::materials::{MATERIALS_TOML, Materials, parse_materials};
use super::molding::{MOLDING_TOML, Molding, parse_molding};
use super::{ModelError, PRINTERS_TOML, Printers, parse_printers};

/// Materials, printers, molding and economics.
#[derive(Debug, Clone)]
pub struct ModelSet {
    pub materials: Materials,
    pub printers: Printers,
    pub molding: Molding,
    pub economics: Economics,
    /// Moldability and insert limits (the `dfm` stage).
    pub dfm: Dfm,
}

/// The model files a set is made of, by the name they have under `models/`.
pub const MODEL_FILES: [&str; 5] = [
    "materials.toml",
    "printers.toml",
    "molding.toml",
    "economics.toml",
    "dfm.toml",
];

impl ModelSet {
    /// The embedded defaults.
    pub fn embedded() -> Result<Self, ModelError> {
        Ok(ModelSet {
            materials: parse_materials("models/materials.toml (embedded)", MATERIALS_TOML)?,
            printers: parse_printers("models/printers.toml (embedded)", PRINTERS_TOML)?,
            molding: parse_molding("models/molding.toml (embedded)", MOLDING_TOML)?,
            economics: parse_economics("models/economics.toml (embedded)", ECONOMICS_TOML)?,
            dfm: parse_dfm("models/dfm.toml (embedded)", DFM_TOML)?,
        })
    }

    /// The embedded defaults with the user's files in `paths` in their place: a directory
    /// replaces each model file it holds; a file replaces the model of its name.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<Self, ModelError> {
        let mut set = Self::embedded()?;
        for path in paths {
            let path = path.as_ref();
            if path.is_dir() {
                let mut found = 0;
                for name in MODEL_FILES {
                    let file = path.join(name);
                    if file.exists() {
                        set.replace(&file, name)?;
                        found += 1;
                    }
                }
                if found == 0 {
                    return Err(ModelError {
                        file: path.display().to_string(),
                        problem: format!("holds none of {}", MODEL_FILES.join(", ")),
                    });
                }
            } else {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if !MODEL_FILES.contains(&name) {
                    return Err(ModelError {
                        file: path.display().to_string(),
                        problem: format!(
                            "a model file must be named one of {}",
                            MODEL_FILES.join(", ")
                        ),
                    });
                }
                set.replace(path, name)?;
            }
        }
        Ok(set)
    }

    fn replace(&mut self, file: &Path, name: &str) -> Result<(), ModelError> {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| ModelError {
            file: shown.clone(),
            problem: e.to_string(),
        })?;
        match name {
            "materials.toml" => self.materials = parse_materials(&shown, &text)?,
            "printers.toml" => self.printers = parse_printers(&shown, &text)?,
            "molding.toml" => self.molding = parse_molding(&shown, &text)?,
            "dfm.toml" => self.dfm = parse_dfm(&shown, &text)?,
            _ => self.economics = parse_economics(&shown, &text)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_models_parse() {
        let set = ModelSet::embedded().unwrap();
        for m in ["PLA", "PETG", "ABS", "PP", "PA12", "PC", "TPU"] {
            assert!(set.materials.get(m).is_ok(), "{m}");
        }
        assert_eq!(set.materials.get("pp").unwrap().0, "PP");
        assert_eq!(set.economics.currency, "EUR");
        assert!(set.molding.machines.len() >= 5);
    }

    #[test]
    fn bad_model_files_name_file_key_and_problem() {
        let good = MATERIALS_TOML;
        let neg = good.replacen("density_g_cm3 = 0.905", "density_g_cm3 = -0.905", 1);
        let e = parse_materials("m.toml", &neg).unwrap_err().to_string();
        assert!(
            e.contains("m.toml") && e.contains("PP.density_g_cm3"),
            "{e}"
        );
        let missing = good.replacen("melt_viscosity_pa_s = 150.0\n", "", 1);
        let e = parse_materials("m.toml", &missing).unwrap_err().to_string();
        assert!(
            e.contains("m.toml") && e.contains("melt_viscosity_pa_s"),
            "{e}"
        );
        let temps = good.replacen("ejection_temp_c = 90.0", "ejection_temp_c = 20.0", 1);
        let e = parse_materials("m.toml", &temps).unwrap_err().to_string();
        assert!(e.contains("PP") && e.contains("temperatures"), "{e}");
        let pair = good.replacen("\"PLA/PP\" = 0.1", "\"PLA/XX\" = 0.1", 1);
        let e = parse_materials("m.toml", &pair).unwrap_err().to_string();
        assert!(e.contains("PLA/XX"), "{e}");
        let order = MOLDING_TOML.replacen("clamp_kn = 500.0", "clamp_kn = 200.0", 1);
        let e = parse_molding("mo.toml", &order).unwrap_err().to_string();
        assert!(
            e.contains("mo.toml") && e.contains("machines[1].clamp_kn"),
            "{e}"
        );
        let unknown = ECONOMICS_TOML.replacen("scrap_am", "scrap_amm", 1);
        let e = parse_economics("ec.toml", &unknown)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ec.toml") && e.contains("scrap_amm"), "{e}");
        let scrap = ECONOMICS_TOML.replacen("scrap_im = 0.02", "scrap_im = 1.5", 1);
        let e = parse_economics("ec.toml", &scrap).unwrap_err().to_string();
        assert!(e.contains("scrap_im"), "{e}");
        let nan = ECONOMICS_TOML.replacen("labour_rate_per_h = 35.0", "labour_rate_per_h = nan", 1);
        let e = parse_economics("ec.toml", &nan).unwrap_err().to_string();
        assert!(e.contains("labour_rate_per_h"), "{e}");
    }

    #[test]
    fn user_files_replace_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let eco = ECONOMICS_TOML.replacen("currency = \"EUR\"", "currency = \"USD\"", 1);
        std::fs::write(dir.path().join("economics.toml"), eco).unwrap();
        let set = ModelSet::load(&[dir.path()]).unwrap();
        assert_eq!(set.economics.currency, "USD");
        let set = ModelSet::load(&[dir.path().join("economics.toml")]).unwrap();
        assert_eq!(set.economics.currency, "USD");
        let other = dir.path().join("prices.toml");
        std::fs::write(&other, "x = 1").unwrap();
        let e = ModelSet::load(&[&other]).unwrap_err().to_string();
        assert!(e.contains("prices.toml"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        assert!(ModelSet::load(&[empty.path()]).is_err());
    }
}
