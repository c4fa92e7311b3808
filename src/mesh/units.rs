//! Length units of a mesh file. STL and OBJ carry none, 3MF names its own; hybridplan works in
//! millimetres inside and in every output, and scales the input by the unit the user names or,
//! when the user names none, the unit a 3MF file declares (see [`super::load`]).

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
    /// Micrometres and feet: units a 3MF file may declare. Not offered to `--units` (nobody
    /// draws parts in them, and every unit offered there is one more the plausibility warning
    /// would have to weigh); reported when a file's own unit is used.
    #[value(skip)]
    Um,
    #[value(skip)]
    Ft,
}

impl Units {
    /// Millimetres per file unit.
    pub fn mm_per_unit(self) -> f64 {
        match self {
            Units::Mm => 1.0,
            Units::Cm => 10.0,
            Units::M => 1000.0,
            Units::In => 25.4,
            Units::Um => 0.001,
            Units::Ft => 304.8,
        }
    }

    /// The unit of a 3MF `unit` attribute (3MF core specification 1.3, section 3.4: micron,
    /// millimeter, centimeter, inch, foot, meter); `None` for any other word.
    pub fn from_3mf(name: &str) -> Option<Units> {
        Some(match name {
            "micron" => Units::Um,
            "millimeter" => Units::Mm,
            "centimeter" => Units::Cm,
            "inch" => Units::In,
            "foot" => Units::Ft,
            "meter" => Units::M,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Units::Mm => "mm",
            Units::Cm => "cm",
            Units::M => "m",
            Units::In => "in",
            Units::Um => "um",
            Units::Ft => "ft",
        }
    }

    pub fn long_name(self) -> &'static str {
        match self {
            Units::Mm => "millimetres",
            Units::Cm => "centimetres",
            Units::M => "metres",
            Units::In => "inches",
            Units::Um => "micrometres",
            Units::Ft => "feet",
        }
    }
}

/// Largest extent (mm) below which a part is probably not in millimetres.
pub const SUSPICIOUSLY_SMALL_MM: f64 = 1.0;
/// Largest extent (mm) above which a part is probably not in millimetres.
pub const SUSPICIOUSLY_LARGE_MM: f64 = 5000.0;

/// A part the planner is for is at least this large (mm) across: below, a file in
/// millimetres is doubtful (assumption: the samples, the peers' models and the published
/// hybrid parts are 10 to 300 mm across).
pub const PLAUSIBLE_MIN_PART_MM: f64 = 8.0;
/// ... and at most this large: a printer's or a mold's size, well above the largest
/// build volumes and clamp classes of models/.
pub const PLAUSIBLE_MAX_PART_MM: f64 = 3000.0;
/// Thinnest mean wall (mm) a printed or molded part plausibly has: below one 0.4 mm nozzle's
/// line and the 0.5 mm that molding guides give as the thinnest wall to fill (assumption;
/// docs/models.md).
pub const PLAUSIBLE_MIN_WALL_MM: f64 = 0.3;
/// A file is suggested to be in inches or centimetres only when, read in millimetres, it is
/// at most this large across (1.2 in): larger parts with thin walls are thin-walled parts.
pub const SMALL_FOR_INCHES_MM: f64 = 30.0;

/// The mean wall of a solid, 2 V / A (mm): the thickness of a plate of that volume and
/// surface, which a part of thin walls and ribs shares with its walls, and no tessellation
/// or pose changes.
pub fn mean_wall_mm(volume_mm3: f64, area_mm2: f64) -> f64 {
    if area_mm2 > 0.0 {
        2.0 * volume_mm3.abs() / area_mm2
    } else {
        0.0
    }
}

fn plausible(largest_mm: f64, wall_mm: f64) -> bool {
    (PLAUSIBLE_MIN_PART_MM..=PLAUSIBLE_MAX_PART_MM).contains(&largest_mm)
        && wall_mm >= PLAUSIBLE_MIN_WALL_MM
}

/// A warning when the part's size and mean wall (already in mm, read with `assumed`) are
/// implausible for a part but plausible in another unit, naming the `--units` value to pass
/// (as slicers ask when they load a tiny object). `None` when the part is plausible as read,
/// or no other unit makes it so and its size is not absurd.
pub fn units_warning(largest_extent_mm: f64, mean_wall_mm: f64, assumed: Units) -> Option<String> {
    if plausible(largest_extent_mm, mean_wall_mm) {
        return None;
    }
    let per_mm = 1.0 / assumed.mm_per_unit();
    let (file_size, file_wall) = (largest_extent_mm * per_mm, mean_wall_mm * per_mm);
    let size_in_mm = largest_extent_mm / assumed.mm_per_unit();
    let candidates = [Units::In, Units::M, Units::Cm, Units::Mm]
        .into_iter()
        .filter(|&u| u != assumed)
        .filter(|&u| match u {
            // Read in millimetres, the part must be small to be suspected.
            Units::In | Units::Cm => size_in_mm <= SMALL_FOR_INCHES_MM,
            Units::M => size_in_mm < PLAUSIBLE_MIN_PART_MM,
            Units::Mm => true,
            // Never suggested (not in the list above).
            Units::Um | Units::Ft => false,
        })
        .filter(|&u| plausible(file_size * u.mm_per_unit(), file_wall * u.mm_per_unit()));
    // The unit that puts the part nearest 100 mm across (by ratio) when several fit.
    let best = candidates.min_by(|&a, &b| {
        let off = |u: Units| (file_size * u.mm_per_unit() / 100.0).ln().abs();
        off(a).total_cmp(&off(b))
    });
    match best {
        Some(u) => Some(format!(
            "part is {largest_extent_mm:.3} mm across with a mean wall of {mean_wall_mm:.3} mm read in {}: implausible for a printed or molded part, but {:.1} mm across with {:.2} mm walls in {}: if the file is in {}, pass --units {}",
            assumed.name(),
            file_size * u.mm_per_unit(),
            file_wall * u.mm_per_unit(),
            u.name(),
            u.long_name(),
            u.name()
        )),
        None if largest_extent_mm < SUSPICIOUSLY_SMALL_MM => Some(format!(
            "part is only {largest_extent_mm:.4} mm across with --units {}: probably another unit",
            assumed.name()
        )),
        None if largest_extent_mm > SUSPICIOUSLY_LARGE_MM => Some(format!(
            "part is {:.1} m across with --units {}: probably another unit (try a smaller one)",
            largest_extent_mm / 1000.0,
            assumed.name()
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_factors_and_warnings() {
        assert_eq!(Units::In.mm_per_unit(), 25.4);
        assert_eq!(Units::M.mm_per_unit(), 1000.0);
        // A 67 x 75 x 16 mm riser with 6 mm walls drawn in inches arrives as 2.95 units
        // across with 0.24-unit walls: in inches it is 75 mm with 6.1 mm walls.
        let w = units_warning(2.953, 0.24, Units::Mm).unwrap();
        assert!(w.contains("--units in"), "{w}");
        assert!(w.contains("75.0 mm across"), "{w}");
        // A 47 mm sensor housing in metres: 0.047 units; inches would make it 1.2 mm.
        let w = units_warning(0.047, 0.004, Units::Mm).unwrap();
        assert!(w.contains("--units m"), "{w}");
        // Plausible parts, a thin-walled large one included, get nothing.
        assert!(units_warning(120.0, 2.0, Units::Mm).is_none());
        assert!(units_warning(10.0, 1.2, Units::Mm).is_none());
        assert!(units_warning(150.0, 0.2, Units::Mm).is_none());
        // Read in inches already, a 3-inch part is fine; a 6 m part is absurd in any unit.
        assert!(units_warning(76.2, 6.0, Units::In).is_none());
        assert!(units_warning(6000.0, 50.0, Units::Mm).is_some());
        // 2 V / A of a 100 x 100 x 2 mm plate: 2 * 20,000 / (20,000 + 800) = 1.923 mm.
        assert!((mean_wall_mm(20_000.0, 20_800.0) - 1.923_076_9).abs() < 1e-6);
    }
}
