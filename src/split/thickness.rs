//! Wall thickness of a closed mesh, by rays and inscribed balls (parry3d does the queries).
//!
//! At points sampled uniformly over the surface, a ray is cast inward along the reversed normal;
//! the distance to the first wall it meets is the *ray thickness*. On its own that overstates
//! the thickness where the ray runs along a thin wall (from a rib's top down through its height),
//! so the result is capped by the diameter of the ball centred halfway along the ray that touches
//! the nearest wall: min(ray, 2 × distance(midpoint, surface)). For a rib of width w and height h
//! this gives w everywhere, which is what the cooling time depends on. Samples are placed with a
//! low-discrepancy sequence, so the result is deterministic.

use nalgebra::Point3;
use parry3d::math::Vector as PVec;
use parry3d::query::{PointQuery, Ray, RayCast};
use parry3d::shape::TriMesh;
use rayon::prelude::*;
use serde::Serialize;

use crate::mesh::Mesh;

/// Distribution of the local wall thickness (mm).
#[derive(Debug, Clone, Serialize, Default)]
pub struct WallThickness {
    pub samples: usize,
    pub p05_mm: f64,
    pub p50_mm: f64,
    pub p95_mm: f64,
    pub max_mm: f64,
    /// Fraction of samples in 10 equal bins from 0 to `max_mm`.
    pub histogram: Vec<f64>,
}

fn to_p(p: &Point3<f64>) -> PVec {
    PVec::new(p.x as f32, p.y as f32, p.z as f32)
}

/// Estimates the wall thickness of a closed, outward-oriented mesh from `samples` surface points.
pub fn wall_thickness(mesh: &Mesh, samples: usize) -> Option<WallThickness> {
    if mesh.triangles.is_empty() || samples == 0 {
        return None;
    }
    let diag = mesh.bounds()?.diagonal();
    let verts: Vec<PVec> = mesh.vertices.iter().map(to_p).collect();
    let shape = TriMesh::new(verts, mesh.triangles.clone()).ok()?;
    // Cumulative areas for area-proportional sampling.
    let mut cumulative = Vec::with_capacity(mesh.triangles.len());
    let mut total = 0.0;
    for t in &mesh.triangles {
        let [a, b, c] = mesh.corners(t);
        total += (b - a).cross(&(c - a)).norm() * 0.5;
        cumulative.push(total);
    }
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let step = 1e-5 * diag;
    let mut values: Vec<f64> = (0..samples)
        .into_par_iter()
        .filter_map(|k| {
            // Additive recurrences with irrational steps (golden ratio and plastic number).
            let u = (0.5 + k as f64 * 0.618_033_988_749_894_9).fract() * total;
            let (r1, r2) = (
                (0.5 + k as f64 * 0.754_877_666_246_692_7).fract(),
                (0.5 + k as f64 * 0.569_840_290_998_053_3).fract(),
            );
            let i = cumulative
                .partition_point(|&c| c < u)
                .min(mesh.triangles.len() - 1);
            let [a, b, c] = mesh.corners(&mesh.triangles[i]);
            let (s, t) = if r1 + r2 > 1.0 {
                (1.0 - r1, 1.0 - r2)
            } else {
                (r1, r2)
            };
            let p = a + (b - a) * s + (c - a) * t;
            let n = (b - a).cross(&(c - a)).try_normalize(0.0)?;
            let origin = p - n * step;
            let ray = Ray::new(to_p(&origin), to_p(&Point3::from(-n)));
            let toi = shape.cast_local_ray(&ray, (2.0 * diag) as f32, false)? as f64;
            let through = toi + step;
            let mid = origin - n * (toi * 0.5);
            let ball = 2.0 * shape.distance_to_local_point(to_p(&mid), false) as f64;
            Some(through.min(ball))
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let q = |f: f64| values[((values.len() - 1) as f64 * f).round() as usize];
    let max = *values.last()?;
    let mut histogram = vec![0.0; 10];
    for v in &values {
        let bin = ((v / max) * 10.0).floor().clamp(0.0, 9.0) as usize;
        histogram[bin] += 1.0 / values.len() as f64;
    }
    Some(WallThickness {
        samples: values.len(),
        p05_mm: q(0.05),
        p50_mm: q(0.5),
        p95_mm: q(0.95),
        max_mm: max,
        histogram,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;

    #[test]
    fn a_rib_is_as_thick_as_it_is_wide() {
        // A free-standing rib 2 mm wide, 12 mm tall, 100 mm long.
        let rib = cuboid([0.0, 0.0, 0.0], [100.0, 2.0, 12.0]);
        let w = wall_thickness(&rib, 4000).unwrap();
        assert!((w.p50_mm - 2.0).abs() < 0.01, "{w:?}");
        assert!((w.p95_mm - 2.0).abs() < 0.01, "{w:?}");
        assert!(w.max_mm < 2.1, "{w:?}");
        // A 10 mm cube is 10 mm thick through the middle of its faces, less towards the edges
        // (the ball near an edge is small); samples land within about 0.3 mm of a face centre.
        let cube = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        let w = wall_thickness(&cube, 2000).unwrap();
        assert!(w.max_mm > 9.4 && w.max_mm <= 10.0 + 1e-4, "{w:?}");
    }
}
