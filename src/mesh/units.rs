//! Length units of an STL file. STL carries none; hybridplan works in millimetres inside and in
//! every output, and scales the input by the unit the user names.

use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Units {
    #[default]
    Mm,
    Cm,
    M,
    In,
}

impl Units {
    /// Millimetres per file unit.
    pub fn mm_per_unit(self) -> f64 {
        match self {
            Units::Mm => 1.0,
            Units::Cm => 10.0,
            Units::M => 1000.0,
            Units::In => 25.4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Units::Mm => "mm",
            Units::Cm => "cm",
            Units::M => "m",
            Units::In => "in",
        }
    }
}

/// Largest extent (mm) below which a part is probably not in millimetres.
pub const SUSPICIOUSLY_SMALL_MM: f64 = 1.0;
/// Largest extent (mm) above which a part is probably not in millimetres.
pub const SUSPICIOUSLY_LARGE_MM: f64 = 5000.0;

/// A warning when the part's largest extent (already in mm) suggests the file was written in
/// another unit than the one assumed, with the unit that would give a plausible size.
pub fn size_warning(largest_extent_mm: f64, assumed: Units) -> Option<String> {
    if largest_extent_mm < SUSPICIOUSLY_SMALL_MM {
        let hint = if largest_extent_mm * 1000.0 >= SUSPICIOUSLY_SMALL_MM && assumed == Units::Mm {
            " (if the file is in metres, pass --units m; in inches, --units in)"
        } else {
            ""
        };
        Some(format!(
            "part is only {largest_extent_mm:.4} mm across with --units {}: probably another unit{hint}",
            assumed.name()
        ))
    } else if largest_extent_mm > SUSPICIOUSLY_LARGE_MM {
        Some(format!(
            "part is {:.1} m across with --units {}: probably another unit (try a smaller one)",
            largest_extent_mm / 1000.0,
            assumed.name()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_factors_and_warnings() {
        assert_eq!(Units::In.mm_per_unit(), 25.4);
        assert_eq!(Units::M.mm_per_unit(), 1000.0);
        assert!(size_warning(0.3, Units::Mm).unwrap().contains("--units m"));
        assert!(size_warning(6000.0, Units::Mm).is_some());
        assert!(size_warning(120.0, Units::Mm).is_none());
    }
}
