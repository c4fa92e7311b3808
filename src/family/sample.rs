//! Points spread evenly over a surface by area, the same for the same mesh on every run.
//!
//! The distance between two members is measured at surface samples, so its cost follows the
//! number of samples, not of triangles: a million-triangle export costs one pass over its
//! triangles for the cumulative areas, then the samples. Stratified by area (sample k sits at
//! area (k + ½)/n along the cumulative sum) with the point inside its triangle from the R2
//! low-discrepancy sequence (Roberts, 2018), so that samples neither clump nor leave gaps.

use nalgebra::Point3;

use crate::mesh::Mesh;

/// `n` points on `mesh`'s surface, stratified by area; empty for a mesh without area.
pub fn surface_samples(mesh: &Mesh, n: usize) -> Vec<Point3<f64>> {
    let mut cumulative = Vec::with_capacity(mesh.triangles.len());
    let mut total = 0.0;
    for t in &mesh.triangles {
        let [a, b, c] = mesh.corners(t);
        total += (b - a).cross(&(c - a)).norm() * 0.5;
        cumulative.push(total);
    }
    if total.is_nan() || total <= 0.0 || n == 0 {
        return Vec::new();
    }
    // The plastic constant's R2 steps.
    const G: f64 = 1.324_717_957_244_746;
    let (a1, a2) = (1.0 / G, 1.0 / (G * G));
    (0..n)
        .map(|k| {
            let target = (k as f64 + 0.5) / n as f64 * total;
            let i = cumulative
                .partition_point(|&c| c < target)
                .min(cumulative.len() - 1);
            let [a, b, c] = mesh.corners(&mesh.triangles[i]);
            let (mut u, mut v) = ((0.5 + a1 * k as f64) % 1.0, (0.5 + a2 * k as f64) % 1.0);
            // Folded into the triangle.
            if u + v > 1.0 {
                u = 1.0 - u;
                v = 1.0 - v;
            }
            a + (b - a) * u + (c - a) * v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_area() {
        // A 10 x 10 x 1 slab: the two large faces hold 200 of its 240 mm², so 5/6 of the
        // samples lie on them (z = 0 or z = 1).
        let m = Mesh::cuboid([0.0, 0.0, 0.0], [10.0, 10.0, 1.0]);
        let s = surface_samples(&m, 2400);
        assert_eq!(s.len(), 2400);
        let on_faces = s
            .iter()
            .filter(|p| p.z.abs() < 1e-12 || (p.z - 1.0).abs() < 1e-12)
            .count();
        assert!((on_faces as f64 - 2000.0).abs() <= 2.0, "{on_faces}");
        assert!(s.iter().all(|p| (0.0..=10.0).contains(&p.x)
            && (0.0..=10.0).contains(&p.y)
            && (0.0..=1.0).contains(&p.z)));
        assert_eq!(s, surface_samples(&m, 2400));
    }
}
