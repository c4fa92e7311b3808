//! The extrusion jobs of a layer: each one's path, how it is printed and where its time goes.

use super::motion::{Move, Planner, loop_time_s, zigzag_time_s};
use super::profile::Feature;

/// Which part of the estimate a job's time goes to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bucket {
    Perimeters,
    Sparse,
    Solid,
}

/// The path of one extrusion job of a layer.
#[derive(Debug, Clone, Copy)]
pub(super) enum Path<'a> {
    /// A contour loop (its moves), its time scaled by the ratio of this perimeter's length
    /// to it.
    Loop(&'a [Move], f64),
    /// Infill: `len` mm of lines `chord` long joined by links `link` long.
    Zigzag { len: f64, chord: f64, link: f64 },
}

/// One extrusion of a layer: its path, how it is printed, and its length with links (mm).
#[derive(Debug, Clone, Copy)]
pub(super) struct Job<'a> {
    pub(super) path: Path<'a>,
    pub(super) feature: Feature,
    pub(super) bucket: Bucket,
    pub(super) nominal_mm: f64,
    /// Whether cooling may slow it down (not the external perimeter, the visible surface).
    pub(super) adjustable: bool,
}

impl Job<'_> {
    /// The time (s) of the job, its speed capped at `cap_mm_s` (cooling) unless it is not
    /// adjustable.
    pub(super) fn time_s(&self, planner: &Planner, cap_mm_s: f64) -> f64 {
        let cap = if self.adjustable {
            cap_mm_s
        } else {
            f64::INFINITY
        };
        let f = Feature {
            speed_mm_s: self.feature.speed_mm_s.min(cap),
            ..self.feature
        };
        match self.path {
            Path::Loop(trace, ratio) => loop_time_s(planner, trace, f) * ratio,
            Path::Zigzag { len, chord, link } => zigzag_time_s(planner, len, chord, link, f),
        }
    }
}

/// The time (s) of `jobs` at full speed in each bucket: perimeters, sparse, solid.
pub(super) fn bucket_times_s(jobs: &[Job], planner: &Planner) -> [f64; 3] {
    let mut t_s = [0.0; 3];
    for job in jobs {
        let t = job.time_s(planner, f64::INFINITY);
        match job.bucket {
            Bucket::Perimeters => t_s[0] += t,
            Bucket::Sparse => t_s[1] += t,
            Bucket::Solid => t_s[2] += t,
        }
    }
    t_s
}
