//! The extrusion jobs of a layer: each one's path, how it is printed and where its time goes.

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
    /// A contour loop, its time scaled by the ratio of this perimeter's length to it.
    Loop(&'a [u32], f64),
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
