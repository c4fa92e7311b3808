//! Pore outlines: rectangles (square pores, slots) and round pores as polygons.

use super::{Pore, Ring};
use crate::mesh::polygon::ring_area;

/// A rectangle `along_u` by `along_v` centred at `center`, sides along the unit vectors u and
/// v (v a quarter turn counter-clockwise from u), counter-clockwise.
pub(super) fn rectangle(
    center: [f64; 2],
    along_u: f64,
    along_v: f64,
    u: [f64; 2],
    v: [f64; 2],
) -> Ring {
    let (h, k) = (along_u / 2.0, along_v / 2.0);
    [(-h, -k), (h, -k), (h, k), (-h, k)]
        .iter()
        .map(|&(a, b)| {
            [
                center[0] + a * u[0] + b * v[0],
                center[1] + a * u[1] + b * v[1],
            ]
        })
        .collect()
}

pub(super) fn round(center: [f64; 2], diameter: f64, segments: usize) -> Ring {
    // The polygon's edges stay outside the circle's inscribed polygon: vertices on the circle.
    let r = diameter / 2.0;
    (0..segments)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / segments as f64;
            [center[0] + r * a.cos(), center[1] + r * a.sin()]
        })
        .collect()
}

/// A pore of this outline; its centre is the mean of its vertices (the centre of the
/// symmetric shapes used here).
pub(super) fn pore(outline: Ring) -> Pore {
    let n = outline.len() as f64;
    let center_mm = outline
        .iter()
        .fold([0.0, 0.0], |c, q| [c[0] + q[0] / n, c[1] + q[1] / n]);
    let area_mm2 = ring_area(&outline);
    Pore {
        center_mm,
        outline_mm: outline,
        area_mm2,
    }
}
