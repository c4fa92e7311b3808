//! The accepted range of every numeric input, in one place, so that the command line, the
//! manifest columns of `batch` and the README's table of ranges say the same.
//!
//! Each bound is there because a value outside it either means nothing (a negative volume, a
//! NaN angle) or costs without limit (a layer of 0.1 µm, ten quintillion thickness samples):
//! every input must keep a part's work bounded. This module imports nothing of the project.

/// A range of a real-valued input: finite, between `min` and `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RealRange {
    pub min: f64,
    pub max: f64,
    /// Whether `min` itself is refused (a length must be above 0, not 0).
    pub min_exclusive: bool,
    /// What the value is, for messages: "a length in mm", "a number of parts a year".
    pub what: &'static str,
}

impl RealRange {
    /// `value` if it lies in the range, else a message saying the range.
    pub fn check(&self, value: f64) -> Result<f64, String> {
        let above_min = if self.min_exclusive {
            value > self.min
        } else {
            value >= self.min
        };
        if value.is_finite() && above_min && value <= self.max {
            Ok(value)
        } else {
            Err(format!("{value} is not {}", self.describe()))
        }
    }

    /// Parses `text` and checks it. The message says what the value must be; the caller
    /// quotes the option or column and the text (clap does: "invalid value '-3' for
    /// '--height <MM>': must be ...").
    pub fn parse(&self, text: &str) -> Result<f64, String> {
        text.trim()
            .parse::<f64>()
            .ok()
            .and_then(|v| self.check(v).ok())
            .ok_or_else(|| format!("must be {}", self.describe()))
    }

    /// "a length in mm above 0 and at most 1000".
    pub fn describe(&self) -> String {
        let low = if self.min_exclusive { "above" } else { "from" };
        let high = if self.min_exclusive {
            "and at most"
        } else {
            "to"
        };
        format!("{} {low} {} {high} {}", self.what, self.min, self.max)
    }
}

/// A range of a whole-number input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRange {
    pub min: u64,
    pub max: u64,
    pub what: &'static str,
}

impl CountRange {
    /// Parses a whole number (digits only: `1e4` and `2.0` are refused, not rounded) and
    /// checks it against the range, with a message as [`RealRange::parse`].
    pub fn parse(&self, text: &str) -> Result<u64, String> {
        let t = text.trim();
        let refuse = || format!("must be {}", self.describe());
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        // Too many digits for u64 is out of range too.
        let v: u64 = t.parse().map_err(|_| refuse())?;
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(refuse())
        }
    }

    /// "a whole number of variants from 1 to 1000000".
    pub fn describe(&self) -> String {
        format!("{} from {} to {}", self.what, self.min, self.max)
    }

    /// The range as clap's `value_parser!(..).range(..)` takes it.
    pub fn clap_range(&self) -> std::ops::RangeInclusive<i64> {
        self.min as i64..=self.max.min(i64::MAX as u64) as i64
    }
}

/// Parts a year (`--volume`, manifest `annual_volume`): a billion a year is more than any
/// molding line makes of one part; far beyond it the figures lose all meaning.
pub const ANNUAL_VOLUME: RealRange = RealRange {
    min: 1.0,
    max: 1e9,
    min_exclusive: false,
    what: "a number of parts a year",
};

/// The same bound for the manifest's whole-number `annual_volume` column.
pub const ANNUAL_VOLUME_COUNT: CountRange = CountRange {
    min: 1,
    max: 1_000_000_000,
    what: "a whole number of parts a year",
};

/// Personalised variants (`--variants`, manifest `variants`): at most one per part at the
/// largest volume.
pub const VARIANTS: CountRange = CountRange {
    min: 1,
    max: 1_000_000_000,
    what: "a whole number of variants",
};

/// Machines of a route (`--fleet`).
pub const FLEET: CountRange = CountRange {
    min: 1,
    max: 1_000_000,
    what: "a whole number of machines",
};

/// Years the tooling is paid off over (`--years`): a tenth of a year is a short campaign;
/// beyond 50 years no mold, product or price holds.
pub const AMORTIZATION_YEARS: RealRange = RealRange {
    min: 0.1,
    max: 50.0,
    min_exclusive: false,
    what: "a number of years",
};

/// Temperature of the printed insert when the melt meets it (`--insert-temp`): from a cold
/// store's 0 degC to 250 degC, above the flow onset of every printed polymer of the models
/// (the insert heat check then says so).
pub const INSERT_TEMP_C: RealRange = RealRange {
    min: 0.0,
    max: 250.0,
    min_exclusive: false,
    what: "a temperature in degC",
};

/// Perimeters of FFF printing (`--perimeters`): beyond 50 walls every part is solid anyway.
pub const PERIMETERS: CountRange = CountRange {
    min: 1,
    max: 50,
    what: "a whole number of perimeters",
};

/// Surface samples of the wall-thickness estimate (`--thickness-samples`): one ray each;
/// a million take 3 s on the ribbed plate sample (2 cores), and the estimate stops changing
/// long before that (the default is 5000).
pub const THICKNESS_SAMPLES: CountRange = CountRange {
    min: 1,
    max: 1_000_000,
    what: "a whole number of samples",
};

/// `split --thickness-samples`, where 0 skips the estimate.
pub const SPLIT_THICKNESS_SAMPLES: CountRange = CountRange {
    min: 0,
    ..THICKNESS_SAMPLES
};

/// Parts a batch evaluates at once (`--jobs`).
pub const JOBS: CountRange = CountRange {
    min: 1,
    max: 1024,
    what: "a whole number of parts at once",
};

/// FFF layer height (`--layer-mm`), before the check against the nozzle (see
/// [`MIN_LAYER_PER_NOZZLE`] and [`MAX_LAYER_PER_NOZZLE`]).
pub const LAYER_MM: RealRange = RealRange {
    min: 0.01,
    max: 2.4,
    min_exclusive: false,
    what: "a layer height in mm",
};

/// The thinnest layer an FFF printer lays reliably, as a fraction of the nozzle: 1/8, the
/// 0.05 mm "ultra detail" layers of a 0.4 mm nozzle. Thinner layers only multiply the layers
/// (and the time and memory of the estimate) without a printer that could print them.
pub const MIN_LAYER_PER_NOZZLE: f64 = 0.125;

/// The thickest layer, as a fraction of the nozzle: above 80 % the bead no longer squashes.
pub const MAX_LAYER_PER_NOZZLE: f64 = 0.8;

/// FFF nozzle diameter (`--nozzle-mm`): from the finest 0.1 mm nozzles to 3 mm
/// large-format ones.
pub const NOZZLE_MM: RealRange = RealRange {
    min: 0.1,
    max: 3.0,
    min_exclusive: false,
    what: "a nozzle diameter in mm",
};

/// A percentage (`--infill`, `--infill-percent`).
pub const PERCENT: RealRange = RealRange {
    min: 0.0,
    max: 100.0,
    min_exclusive: false,
    what: "a percentage",
};

/// The change of each input in the sensitivity study (`--sensitivity`, percent): above 0 and
/// below 100, so that every input stays positive.
pub const SENSITIVITY_PERCENT: RealRange = RealRange {
    min: 0.0,
    max: 90.0,
    min_exclusive: true,
    what: "a change in percent",
};

/// Lengths of the part and its interface (`--height`, manifest `height_mm`, `--pore-mm`,
/// `--wall-mm`, `--depth-mm`, `--margin-mm`): above 0 and at most 100 m, twenty times the
/// largest part the loader accepts without a unit warning.
pub const LENGTH_MM: RealRange = RealRange {
    min: 0.0,
    max: 100_000.0,
    min_exclusive: true,
    what: "a length in mm",
};

/// The cut height (`--height`, manifest `height_mm`): measured from the part's lowest point,
/// so a height of 0 or below would cut nothing; at most as far as [`LENGTH_MM`].
pub const HEIGHT_MM: RealRange = RealRange {
    what: "a cut height in mm (from the part's lowest point)",
    ..LENGTH_MM
};

/// The extra weld distance (`--weld-tol`): gaps in sloppy exports are hundredths of a mm; 10 mm
/// already merges most parts into a lump.
pub const WELD_TOL_MM: RealRange = RealRange {
    min: 0.0,
    max: 10.0,
    min_exclusive: true,
    what: "a weld distance in mm",
};

/// The turn of the pore pattern (`--angle-deg`).
pub const ANGLE_DEG: RealRange = RealRange {
    min: -360.0,
    max: 360.0,
    min_exclusive: false,
    what: "an angle in degrees",
};

/// A coordinate of a point or a direction (`--normal`, `--plane`, manifest `normal`), in mm:
/// a kilometre either way, so that the products of two stay far from overflow.
pub const COORDINATE: RealRange = RealRange {
    min: -1e6,
    max: 1e6,
    min_exclusive: false,
    what: "a coordinate",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ranges_refuse_nan_infinity_and_the_bounds_they_exclude() {
        assert_eq!(LENGTH_MM.parse("2.5"), Ok(2.5));
        assert_eq!(LENGTH_MM.parse("100000"), Ok(100_000.0));
        for bad in [
            "0", "-3", "NaN", "inf", "-inf", "1e308", "100000.1", "x", "",
        ] {
            let e = LENGTH_MM.parse(bad).unwrap_err();
            assert!(
                e.contains("a length in mm above 0 and at most 100000"),
                "{e}"
            );
        }
        assert_eq!(ANGLE_DEG.parse("-45"), Ok(-45.0));
        assert!(ANGLE_DEG.parse("NaN").is_err());
        assert_eq!(ANNUAL_VOLUME.parse("1"), Ok(1.0));
        assert_eq!(ANNUAL_VOLUME.parse("1e9"), Ok(1e9));
        assert!(ANNUAL_VOLUME.parse("1e308").is_err());
        assert!(ANNUAL_VOLUME.parse("0.5").is_err());
    }

    #[test]
    fn count_ranges_take_digits_only_and_do_not_clamp() {
        assert_eq!(VARIANTS.parse("12"), Ok(12));
        assert_eq!(VARIANTS.parse("1000000000"), Ok(1_000_000_000));
        for bad in [
            "0",
            "1000000001",
            "4294967296",
            "18446744073709551616",
            "1e4",
            "-1",
            "",
        ] {
            let e = VARIANTS.parse(bad).unwrap_err();
            assert!(e.contains("from 1 to 1000000000"), "{bad}: {e}");
        }
        assert_eq!(THICKNESS_SAMPLES.clap_range(), 1..=1_000_000);
        assert_eq!(SPLIT_THICKNESS_SAMPLES.parse("0"), Ok(0));
    }
}
