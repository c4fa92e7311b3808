//! What the estimate derives from the printer and the settings once: line widths and
//! spacings, and each feature's speed and acceleration under the hot end's volumetric limit.

use super::FffSettings;
use super::motion::Planner;
use crate::models::FffPrinter;

/// Bridge threads lie this much further apart than their width (PrusaSlicer 2.5
/// `BRIDGE_EXTRA_SPACING`, libslic3r/Flow.hpp).
pub(super) const BRIDGE_EXTRA_SPACING_MM: f64 = 0.05;

/// Speed, acceleration and line geometry of one kind of extrusion.
#[derive(Debug, Clone, Copy)]
pub(super) struct Feature {
    pub(super) speed_mm_s: f64,
    pub(super) accel_mm_s2: f64,
}

/// Flow spacing of adjacent lines of width `w` and height `h` (PrusaSlicer `Flow::spacing`:
/// a rectangle with semicircular ends overlapping its neighbour).
pub(super) fn spacing(w: f64, h: f64) -> f64 {
    w - h * (1.0 - std::f64::consts::FRAC_PI_4)
}

/// Cross-section (mm²) of a line of width `w` and height `h`: rectangle with round ends.
pub(super) fn cross_section(w: f64, h: f64) -> f64 {
    (w - h) * h + std::f64::consts::PI * h * h / 4.0
}

/// Everything the estimate derives from the printer and the settings, once.
pub(super) struct Profile {
    pub(super) h: f64,
    pub(super) walls: u32,
    pub(super) infill: f64,
    pub(super) w: f64,
    pub(super) s: f64,
    pub(super) s_top: f64,
    pub(super) s_first: f64,
    pub(super) w_top: f64,
    pub(super) w_first: f64,
    pub(super) bridge_w: f64,
    pub(super) top_layers: usize,
    pub(super) bottom_layers: usize,
    pub(super) external: Feature,
    pub(super) perimeter: Feature,
    pub(super) small: Feature,
    pub(super) sparse: Feature,
    pub(super) solid: Feature,
    pub(super) top: Feature,
    pub(super) bridge: Feature,
    pub(super) first_layer_speed: f64,
    pub(super) first_layer_accel: f64,
    pub(super) travel: Feature,
    pub(super) small_loop_mm: f64,
    pub(super) infill_overlap_mm: f64,
    pub(super) planner: Planner,
}

impl Profile {
    pub(super) fn new(settings: &FffSettings, p: &FffPrinter) -> Self {
        let h = settings.layer_mm;
        // Widths follow the nozzle in the proportions of the printer's profile.
        let scale = settings.nozzle_mm / p.nozzle_mm;
        let w = p.extrusion_width_mm * scale;
        let w_top = p.top_infill_extrusion_width_mm * scale;
        let w_first = p.first_layer_extrusion_width_mm * scale;
        let extruding = |speed: f64, accel: f64, width: f64| Feature {
            // The hot end melts at most max_volumetric_speed.
            speed_mm_s: speed.min(p.max_volumetric_speed_mm3_s / cross_section(width, h)),
            accel_mm_s2: accel
                .min(p.max_acceleration_extruding_mm_s2)
                .min(p.max_acceleration_xy_mm_s2),
        };
        // Bridges are round threads of the nozzle's diameter, a little apart
        // (PrusaSlicer 2.5 Flow::bridging_flow: width = nozzle, spacing + 0.05 mm).
        let bridge_w = settings.nozzle_mm;
        Profile {
            h,
            walls: settings.perimeters,
            infill: settings.infill_fraction,
            w,
            s: spacing(w, h),
            s_top: spacing(w_top, h),
            s_first: spacing(w_first, h),
            w_top,
            w_first,
            bridge_w,
            top_layers: p.top_solid_layers as usize,
            bottom_layers: p.bottom_solid_layers as usize,
            external: extruding(
                p.external_perimeter_speed_mm_s,
                p.perimeter_acceleration_mm_s2,
                w,
            ),
            perimeter: extruding(p.perimeter_speed_mm_s, p.perimeter_acceleration_mm_s2, w),
            small: extruding(
                p.small_perimeter_speed_mm_s,
                p.perimeter_acceleration_mm_s2,
                w,
            ),
            sparse: extruding(p.infill_speed_mm_s, p.infill_acceleration_mm_s2, w),
            solid: extruding(p.solid_infill_speed_mm_s, p.infill_acceleration_mm_s2, w),
            top: extruding(
                p.top_solid_infill_speed_mm_s,
                p.infill_acceleration_mm_s2,
                w_top,
            ),
            bridge: Feature {
                speed_mm_s: p
                    .bridge_speed_mm_s
                    .min(p.max_volumetric_speed_mm3_s / bridge_area(bridge_w)),
                accel_mm_s2: p
                    .bridge_acceleration_mm_s2
                    .min(p.max_acceleration_extruding_mm_s2)
                    .min(p.max_acceleration_xy_mm_s2),
            },
            first_layer_speed: p
                .first_layer_speed_mm_s
                .min(p.max_volumetric_speed_mm3_s / cross_section(w_first, h)),
            first_layer_accel: p
                .first_layer_acceleration_mm_s2
                .min(p.max_acceleration_extruding_mm_s2)
                .min(p.max_acceleration_xy_mm_s2),
            travel: Feature {
                speed_mm_s: p.travel_speed_mm_s,
                accel_mm_s2: p.travel_acceleration_mm_s2.min(p.max_acceleration_xy_mm_s2),
            },
            small_loop_mm: 2.0 * std::f64::consts::PI * p.small_perimeter_radius_mm,
            infill_overlap_mm: p.infill_overlap_fraction * w,
            planner: Planner {
                jerk: p.max_jerk_xy_mm_s,
            },
        }
    }

    /// The feature as printed on the first layer (slower, gentler).
    fn first_layer(&self, f: Feature) -> Feature {
        Feature {
            speed_mm_s: f.speed_mm_s.min(self.first_layer_speed),
            accel_mm_s2: f.accel_mm_s2.min(self.first_layer_accel),
        }
    }

    /// The feature as printed on the layer: on the `first`, as there.
    pub(super) fn on_layer(&self, f: Feature, first: bool) -> Feature {
        if first { self.first_layer(f) } else { f }
    }
}

/// Cross-section of a bridge thread of diameter `d`.
pub(super) fn bridge_area(d: f64) -> f64 {
    std::f64::consts::PI * d * d / 4.0
}
