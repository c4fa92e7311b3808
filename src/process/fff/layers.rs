//! Slicing the mesh into layers: the contour segments of every layer's mid-height plane.

/// One segment of a layer's contour, material on its left; endpoints keyed by the mesh edge
/// they lie on, so that neighbouring segments share exact keys.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) from: [f64; 2],
    pub(super) to: [f64; 2],
    pub(super) from_key: u64,
    pub(super) to_key: u64,
}
