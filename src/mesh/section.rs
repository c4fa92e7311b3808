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
    let a = plane.axis.into_inner();
    let origin = plane.project(&Point3::origin());
    let twice: f64 = mesh
        .triangles
        .par_iter()
        .map(|t| {
            let p = mesh.corners(t);
            let s = p.map(|v| plane.distance(&v));
            let above = s.map(|d| d >= 0.0);
            if above[0] == above[1] && above[1] == above[2] {
                return 0.0;
            }
            // The two crossing edges, in the triangle's own order.
            let mut hits = [Point3::origin(); 2];
            let mut n = 0;
            for k in 0..3 {
                let j = (k + 1) % 3;
                if above[k] != above[j] {
                    let f = s[k] / (s[k] - s[j]);
                    hits[n] = p[k] + (p[j] - p[k]) * f;
                    n += 1;
                }
            }
            // Orient the segment so that the material (behind the face) is on its left.
            let face_normal = (p[1] - p[0]).cross(&(p[2] - p[0]));
            let (mut u, mut v) = (hits[0] - origin, hits[1] - origin);
            if (v - u).dot(&a.cross(&face_normal)) < 0.0 {
                std::mem::swap(&mut u, &mut v);
            }
            u.cross(&v).dot(&a)
        })
        .sum();
    twice * 0.5
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
