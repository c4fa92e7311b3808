//! Closest points on a triangle surface, and the symmetric surface distance of two sampled
//! surfaces.
//!
//! Registration asks tens of thousands of closest-point queries per member and iteration, so
//! the triangles sit in a bounding volume hierarchy (median splits along the longest axis of
//! the centroids, a few triangles per leaf) searched nearest box first: a query visits
//! O(log n) boxes on a well-shaped mesh. Everything is in f64 (the split's own precision): a
//! family tolerance of a few hundredths of a millimetre must not drown in f32 rounding of
//! coordinates hundreds of millimetres from the origin.

use nalgebra::{Point3, Vector3};
use rayon::prelude::*;

use crate::mesh::Mesh;

/// Triangles per leaf, at most.
const LEAF_TRIANGLES: usize = 4;

#[derive(Clone, Copy)]
struct Node {
    min: Point3<f64>,
    max: Point3<f64>,
    /// Leaves: the first triangle in `order`; internal nodes: the right child (the left one
    /// follows the node).
    first: u32,
    /// Triangles of a leaf; 0 for internal nodes.
    count: u32,
}

/// A triangle surface ready for closest-point queries.
pub struct Surface {
    triangles: Vec<[Point3<f64>; 3]>,
    nodes: Vec<Node>,
    order: Vec<u32>,
}

/// The closest point of a surface to a query point.
#[derive(Debug, Clone, Copy)]
pub struct Closest {
    pub point: Point3<f64>,
    pub distance_mm: f64,
    pub triangle: u32,
}

impl Surface {
    /// The surface of `mesh`, each vertex moved by `map` first (into the frame the queries
    /// are asked in). `None` for a mesh without triangles.
    pub fn new(mesh: &Mesh, map: impl Fn(&Point3<f64>) -> Point3<f64> + Sync) -> Option<Self> {
        if mesh.triangles.is_empty() {
            return None;
        }
        let vertices: Vec<Point3<f64>> = mesh.vertices.par_iter().map(&map).collect();
        let triangles: Vec<[Point3<f64>; 3]> = mesh
            .triangles
            .iter()
            .map(|t| t.map(|i| vertices[i as usize]))
            .collect();
        let centroids: Vec<Point3<f64>> = triangles
            .iter()
            .map(|[a, b, c]| Point3::from((a.coords + b.coords + c.coords) / 3.0))
            .collect();
        let mut s = Surface {
            order: (0..triangles.len() as u32).collect(),
            nodes: Vec::with_capacity(2 * triangles.len() / LEAF_TRIANGLES + 1),
            triangles,
        };
        let n = s.order.len();
        s.build(&centroids, 0, n);
        Some(s)
    }

    pub fn triangle(&self, t: u32) -> &[Point3<f64>; 3] {
        &self.triangles[t as usize]
    }

    fn bounds_of(&self, lo: usize, hi: usize) -> (Point3<f64>, Point3<f64>) {
        let first = self.triangles[self.order[lo] as usize][0];
        self.order[lo..hi]
            .iter()
            .flat_map(|&t| self.triangles[t as usize].iter())
            .fold((first, first), |(a, b), p| (a.inf(p), b.sup(p)))
    }

    fn build(&mut self, centroids: &[Point3<f64>], lo: usize, hi: usize) -> u32 {
        let (min, max) = self.bounds_of(lo, hi);
        let index = self.nodes.len() as u32;
        self.nodes.push(Node {
            min,
            max,
            first: lo as u32,
            count: (hi - lo) as u32,
        });
        if hi - lo <= LEAF_TRIANGLES {
            return index;
        }
        // Split at the median centroid along the longest axis of the centroids' box.
        let first_c = centroids[self.order[lo] as usize];
        let (cmin, cmax) = self.order[lo..hi]
            .iter()
            .map(|&t| centroids[t as usize])
            .fold((first_c, first_c), |(a, b), p| (a.inf(&p), b.sup(&p)));
        let ext = cmax - cmin;
        let axis = if ext.x >= ext.y && ext.x >= ext.z {
            0
        } else if ext.y >= ext.z {
            1
        } else {
            2
        };
        let mid = (lo + hi) / 2;
        self.order[lo..hi].select_nth_unstable_by(mid - lo, |&a, &b| {
            centroids[a as usize][axis].total_cmp(&centroids[b as usize][axis])
        });
        self.build(centroids, lo, mid);
        let right = self.build(centroids, mid, hi);
        let node = &mut self.nodes[index as usize];
        node.first = right;
        node.count = 0;
        index
    }

    /// The closest point of the surface to `p`.
    pub fn closest(&self, p: &Point3<f64>) -> Closest {
        let mut best = Closest {
            point: *p,
            distance_mm: f64::INFINITY,
            triangle: 0,
        };
        let mut best_d2 = f64::INFINITY;
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        stack.push(0);
        while let Some(i) = stack.pop() {
            let node = &self.nodes[i as usize];
            if box_distance2(p, node) >= best_d2 {
                continue;
            }
            if node.count > 0 {
                let lo = node.first as usize;
                for &t in &self.order[lo..lo + node.count as usize] {
                    let [a, b, c] = &self.triangles[t as usize];
                    let q = closest_on_triangle(p, a, b, c);
                    let d2 = (q - p).norm_squared();
                    if d2 < best_d2 {
                        best_d2 = d2;
                        best = Closest {
                            point: q,
                            distance_mm: 0.0,
                            triangle: t,
                        };
                    }
                }
                continue;
            }
            let (left, right) = (i + 1, node.first);
            let dl = box_distance2(p, &self.nodes[left as usize]);
            let dr = box_distance2(p, &self.nodes[right as usize]);
            // The nearer box last, so that it is searched first.
            if dl < dr {
                stack.push(right);
                stack.push(left);
            } else {
                stack.push(left);
                stack.push(right);
            }
        }
        best.distance_mm = best_d2.sqrt();
        best
    }
}

fn box_distance2(p: &Point3<f64>, n: &Node) -> f64 {
    let mut d2 = 0.0;
    for k in 0..3 {
        let v = if p[k] < n.min[k] {
            n.min[k] - p[k]
        } else if p[k] > n.max[k] {
            p[k] - n.max[k]
        } else {
            0.0
        };
        d2 += v * v;
    }
    d2
}

/// The point of triangle abc closest to p (Ericson, Real-Time Collision Detection, 5.1.5).
pub fn closest_on_triangle(
    p: &Point3<f64>,
    a: &Point3<f64>,
    b: &Point3<f64>,
    c: &Point3<f64>,
) -> Point3<f64> {
    let ab = b - a;
    let ac = c - a;
    let ap = p - a;
    let d1 = ab.dot(&ap);
    let d2 = ac.dot(&ap);
    if d1 <= 0.0 && d2 <= 0.0 {
        return *a;
    }
    let bp = p - b;
    let d3 = ab.dot(&bp);
    let d4 = ac.dot(&bp);
    if d3 >= 0.0 && d4 <= d3 {
        return *b;
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        let v = d1 / (d1 - d3);
        return a + ab * v;
    }
    let cp = p - c;
    let d5 = ab.dot(&cp);
    let d6 = ac.dot(&cp);
    if d6 >= 0.0 && d5 <= d6 {
        return *c;
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        let w = d2 / (d2 - d6);
        return a + ac * w;
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return b + (c - b) * w;
    }
    let denom = va + vb + vc;
    if denom.abs() < f64::MIN_POSITIVE {
        // A collapsed triangle: its first corner stands for it.
        return *a;
    }
    let v = vb / denom;
    let w = vc / denom;
    a + ab * v + ac * w
}

/// One sampled distance from one surface to the other.
#[derive(Debug, Clone, Copy)]
pub struct SampleDistance {
    /// The sample, in the frame of the comparison.
    pub at: Point3<f64>,
    /// Its closest point on the other surface.
    pub closest: Point3<f64>,
    pub distance_mm: f64,
    /// Whether the sample lies on the member (true) or on the reference (false).
    pub on_member: bool,
}

/// The symmetric distance of two sampled surfaces: every sample of either to the other.
#[derive(Debug, Clone)]
pub struct Symmetric {
    pub max_mm: f64,
    pub p95_mm: f64,
    /// The sample of the largest distance.
    pub worst: SampleDistance,
    /// All distances (member samples first), for the description of the worst place.
    pub samples: Vec<SampleDistance>,
}

/// Distances of `member` samples to `reference` and of `reference` samples to `member`, all
/// in one frame.
pub fn symmetric(
    member_samples: &[Point3<f64>],
    reference: &Surface,
    reference_samples: &[Point3<f64>],
    member: &Surface,
) -> Option<Symmetric> {
    let one = |p: &Point3<f64>, s: &Surface, on_member: bool| {
        let c = s.closest(p);
        SampleDistance {
            at: *p,
            closest: c.point,
            distance_mm: c.distance_mm,
            on_member,
        }
    };
    let mut samples: Vec<SampleDistance> = member_samples
        .par_iter()
        .map(|p| one(p, reference, true))
        .collect();
    samples.par_extend(reference_samples.par_iter().map(|p| one(p, member, false)));
    let worst = *samples
        .iter()
        .max_by(|a, b| a.distance_mm.total_cmp(&b.distance_mm))?;
    let mut d: Vec<f64> = samples.iter().map(|s| s.distance_mm).collect();
    let p95_mm = percentile(&mut d, 0.95);
    Some(Symmetric {
        max_mm: worst.distance_mm,
        p95_mm,
        worst,
        samples,
    })
}

/// The `q` quantile (0 to 1) of `values` (reordered), by the nearest rank.
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let k = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
    let (_, v, _) = values.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    *v
}

/// The unit normal of a triangle (zero for a collapsed one).
pub fn triangle_normal(t: &[Point3<f64>; 3]) -> Vector3<f64> {
    let n = (t[1] - t[0]).cross(&(t[2] - t[0]));
    let l = n.norm();
    if l > 0.0 { n / l } else { Vector3::zeros() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_points_agree_with_brute_force() {
        // A subdivided box 10 x 20 x 30: 768 triangles.
        let m = Mesh::cuboid([0.0, 0.0, 0.0], [10.0, 20.0, 30.0])
            .subdivided()
            .subdivided()
            .subdivided();
        let s = Surface::new(&m, |p| *p).unwrap();
        for k in 0..200 {
            let f = k as f64;
            let p = Point3::new(
                (f * 7.3) % 25.0 - 7.0,
                (f * 3.1) % 40.0 - 10.0,
                (f * 5.7) % 50.0 - 10.0,
            );
            let brute = m
                .triangles
                .iter()
                .map(|t| {
                    let [a, b, c] = m.corners(t);
                    (closest_on_triangle(&p, &a, &b, &c) - p).norm()
                })
                .fold(f64::INFINITY, f64::min);
            let q = s.closest(&p);
            assert!(
                (q.distance_mm - brute).abs() < 1e-9,
                "{p}: {q:?} vs {brute}"
            );
        }
        // A point 2 mm above the top face's middle is 2 mm from it, at (5, 10, 30).
        let q = s.closest(&Point3::new(5.0, 10.0, 32.0));
        assert!((q.distance_mm - 2.0).abs() < 1e-12);
        assert!((q.point - Point3::new(5.0, 10.0, 30.0)).norm() < 1e-12);
    }

    #[test]
    fn percentile_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.95), 95.0);
        assert_eq!(percentile(&mut v, 1.0), 100.0);
        assert_eq!(percentile(&mut [3.0], 0.5), 3.0);
    }
}
