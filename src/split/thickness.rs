//! Wall thickness of a closed mesh, by rays.
//!
//! At points sampled uniformly over the surface, a ray is cast inward along the reversed normal;
//! the distance to the first wall it meets is the *ray thickness*. On its own that overstates
//! the thickness where the ray runs along a thin wall (from a rib's top down through its height),
//! so it is capped by the diameter of the ball centred halfway along the ray, which touches the
//! nearest wall: the thickness is min(ray, 2 × distance(midpoint, surface)). For a rib of width w and height h this gives w
//! everywhere, which is what the cooling time depends on. Samples are placed with a
//! low-discrepancy sequence, so the result is deterministic.
//!
//! Rays are traced through a bounding volume hierarchy built for this (see [`super::bvh`]):
//! the design card's parry3d builds its BVH on one thread, obvhs' builders in parallel but for
//! many more rays than the few thousand cast here; either build was most of the estimate's time.
//! The nearest-surface query is a walk down the same hierarchy, nearer child first, skipping
//! boxes farther than the best distance so far.

use glam::Vec3A;
use nalgebra::Vector3;
use obvhs::ray::Ray;
use rayon::prelude::*;
use serde::Serialize;

use super::bvh::Bvh;
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

/// Estimates the wall thickness of a closed, outward-oriented mesh from `samples` surface points.
pub fn wall_thickness(mesh: &Mesh, samples: usize) -> Option<WallThickness> {
    if mesh.triangles.is_empty() || samples == 0 {
        return None;
    }
    let bounds = mesh.bounds()?;
    let diag = bounds.diagonal();
    // f32 coordinates relative to the middle of the part keep their precision far from the origin.
    let centre = bounds.center();
    let to_f32 = |v: Vector3<f64>| Vec3A::new(v.x as f32, v.y as f32, v.z as f32);
    let vertices: Vec<Vec3A> = mesh
        .vertices
        .par_iter()
        .map(|p| to_f32(p - centre))
        .collect();
    let bvh = Bvh::build(&vertices, &mesh.triangles)?;
    let max_t = (2.0 * diag) as f32;
    // The distance to the first triangle along the ray, and whether the ray leaves the solid
    // there (the triangle faces along the ray).
    let cast = |origin: Vec3A, dir: Vec3A, max_t: f32| -> Option<(f64, bool)> {
        bvh.cast(Ray::new(origin, dir, 0.0, max_t)).map(|(id, t)| {
            let tri = bvh.triangle(id);
            let exits = (tri.v1 - tri.v0).cross(tri.v2 - tri.v0).dot(dir) > 0.0;
            (t as f64, exits)
        })
    };
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
            let (toi, exits) = cast(to_f32(origin - centre), to_f32(-n), max_t)?;
            // A ray from inside meets the surface from behind first. One that meets a face
            // from the front slipped through a crack between two triangles (ray-triangle
            // tests are not watertight) or started outside: the sample is dropped.
            if !exits {
                return None;
            }
            let through = toi + step;
            let mid = to_f32(origin - n * (toi * 0.5) - centre);
            // A wall further than half the ray thickness cannot lower the result, so the ball
            // rays stop there: shorter rays visit fewer nodes.
            let reach = (0.5 * through * 1.01) as f32;
            let nearest = bvh.nearest_distance(mid, reach) as f64;
            Some(through.min(2.0 * nearest))
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
