//! Plane sections of a closed mesh: the area of the section at a given height along an axis,
//! without building its loops.
//!
//! Each triangle that crosses the plane contributes one segment of the section contour. Oriented
//! so that material lies on its left (seen from the tip of the axis), the segments form closed
//! loops, and the enclosed area is ½ Σ (p × q) · axis (Green's theorem) — a sum that needs no
//! loop assembly, so it runs in parallel in one pass. Vertices exactly on the plane count as
//! above it (a consistent tie-break, so each contour crosses every triangle fan once).

use nalgebra::{Point3, Unit, Vector3};
use rayon::prelude::*;

use super::Mesh;

/// An oriented plane `axis · x = offset` (offset in mm along the unit axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    pub axis: Unit<Vector3<f64>>,
    pub offset_mm: f64,
}

impl Plane {
    /// The plane through `point` with normal `axis`.
    pub fn through(point: &Point3<f64>, axis: Unit<Vector3<f64>>) -> Self {
        Plane {
            axis,
            offset_mm: axis.dot(&point.coords),
        }
    }

    /// Signed distance of `p` from the plane, positive on the side the axis points to.
    #[inline]
    pub fn distance(&self, p: &Point3<f64>) -> f64 {
        self.axis.dot(&p.coords) - self.offset_mm
    }

    /// The point of the plane nearest to `p`.
    pub fn project(&self, p: &Point3<f64>) -> Point3<f64> {
        p - self.axis.into_inner() * self.distance(p)
    }

    /// Two unit vectors spanning the plane with `e1 × e2 = axis`, for 2D coordinates.
    pub fn basis(&self) -> (Vector3<f64>, Vector3<f64>) {
        let a = self.axis.into_inner();
        // Start from the coordinate axis least aligned with the normal.
        let helper = if a.x.abs() <= a.y.abs() && a.x.abs() <= a.z.abs() {
            Vector3::x()
        } else if a.y.abs() <= a.z.abs() {
            Vector3::y()
        } else {
            Vector3::z()
        };
        let e1 = (helper - a * a.dot(&helper)).normalize();
        let e2 = a.cross(&e1);
        (e1, e2)
    }
}

/// Area (mm²) of the section of a closed, oriented mesh by `plane`.
pub fn section_area(mesh: &Mesh, plane: &Plane) -> f64 {
    section_areas(mesh, plane.axis, &[plane.offset_mm])[0]
}

/// Areas (mm²) of the sections at several heights along `axis` (sorted ascending), in one pass
/// over the triangles: each triangle finds the heights it spans by binary search, so the cost
/// is O(n log k + crossings) instead of O(n k).
pub fn section_areas(mesh: &Mesh, axis: Unit<Vector3<f64>>, heights: &[f64]) -> Vec<f64> {
    let a = axis.into_inner();
    let vertex_heights: Vec<f64> = mesh.vertices.par_iter().map(|v| a.dot(&v.coords)).collect();
    section_areas_with(mesh, axis, &vertex_heights, heights)
}

/// [`section_areas`] with the vertices' heights along `axis` already computed.
pub fn section_areas_with(
    mesh: &Mesh,
    axis: Unit<Vector3<f64>>,
    vertex_heights: &[f64],
    heights: &[f64],
) -> Vec<f64> {
    debug_assert!(heights.windows(2).all(|w| w[0] <= w[1]));
    let a = axis.into_inner();
    let k = heights.len();
    // Fixed chunks, partial sums added in order: the same result on every run.
    let partials: Vec<Vec<f64>> = mesh
        .triangles
        .par_chunks(super::SUM_CHUNK)
        .map(|chunk| {
            let mut acc = vec![0.0f64; k];
            for t in chunk {
                let h = t.map(|i| vertex_heights[i as usize]);
                let lo = h[0].min(h[1]).min(h[2]);
                let hi = h[0].max(h[1]).max(h[2]);
                // Heights in (lo, hi]: a vertex exactly at a height counts as above it.
                let first = heights.partition_point(|&x| x <= lo);
                let last = heights.partition_point(|&x| x <= hi);
                if first >= last {
                    continue;
                }
                let p = mesh.corners(t);
                let face_normal = (p[1] - p[0]).cross(&(p[2] - p[0]));
                let along = a.cross(&face_normal);
                for (i, &level) in heights.iter().enumerate().take(last).skip(first) {
                    let s = h.map(|x| x - level);
                    let above = s.map(|d| d >= 0.0);
                    let mut hits = [Vector3::zeros(); 2];
                    let mut n = 0;
                    for e in 0..3 {
                        let j = (e + 1) % 3;
                        if above[e] != above[j] {
                            let f = s[e] / (s[e] - s[j]);
                            // Coordinates relative to the plane's point nearest the origin.
                            hits[n] = (p[e].coords + (p[j] - p[e]) * f) - a * level;
                            n += 1;
                        }
                    }
                    // Orient the segment so that the material (behind the face) is on its left.
                    let (mut u, mut v) = (hits[0], hits[1]);
                    if (v - u).dot(&along) < 0.0 {
                        std::mem::swap(&mut u, &mut v);
                    }
                    acc[i] += u.cross(&v).dot(&a);
                }
            }
            acc
        })
        .collect();
    let mut twice = vec![0.0f64; k];
    for part in partials {
        for (t, p) in twice.iter_mut().zip(part) {
            *t += p;
        }
    }
    twice.into_iter().map(|t| t * 0.5).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;
    use nalgebra::Rotation3;

    #[test]
    fn box_sections_along_each_axis() {
        let m = cuboid([0.0, 0.0, 0.0], [4.0, 3.0, 2.0]);
        let z = Plane::through(&Point3::new(0.0, 0.0, 1.0), Vector3::z_axis());
        assert!((section_area(&m, &z) - 12.0).abs() < 1e-12);
        let x = Plane::through(&Point3::new(2.5, 0.0, 0.0), Vector3::x_axis());
        assert!((section_area(&m, &x) - 6.0).abs() < 1e-12);
        let outside = Plane::through(&Point3::new(0.0, 0.0, 5.0), Vector3::z_axis());
        assert_eq!(section_area(&m, &outside), 0.0);
    }

    #[test]
    fn many_sections_in_one_pass_match_one_at_a_time() {
        let m = crate::samples::heat_sink().mesh();
        let heights: Vec<f64> = (0..40).map(|i| -1.0 + i as f64 * 0.97).collect();
        let all = section_areas(&m, Vector3::z_axis(), &heights);
        for (h, a) in heights.iter().zip(&all) {
            let one = section_area(
                &m,
                &Plane::through(&Point3::new(0.0, 0.0, *h), Vector3::z_axis()),
            );
            let expected = if *h < 0.0 || *h > 35.0 {
                0.0
            } else if *h < 5.0 {
                3000.0
            } else {
                15.0 * 1.2 * 50.0
            };
            assert!(
                (a - one).abs() < 1e-9 && (a - expected).abs() < 1e-9,
                "{h}: {a} {one}"
            );
        }
    }

    #[test]
    fn section_of_a_rotated_sample_plate_is_its_outline_area() {
        let mut m = crate::samples::ribbed_plate().mesh();
        let rot = Rotation3::from_euler_angles(0.3, -1.1, 2.0);
        m.map_vertices(|p| rot * p);
        let axis = Unit::new_normalize(rot * Vector3::z());
        let plate = Plane::through(&(rot * Point3::new(0.0, 0.0, 1.5)), axis);
        assert!((section_area(&m, &plate) - 120.0 * 80.0).abs() < 1e-9);
        let ribs = Plane::through(&(rot * Point3::new(0.0, 0.0, 9.0)), axis);
        assert!((section_area(&m, &ribs) - 5.0 * 120.0 * 2.0).abs() < 1e-9);
    }
}
