//! Welding: turning the triangle soup of an STL file into an indexed mesh.
//!
//! Exact welding keys each corner by the bit pattern of its three f32 coordinates (with -0.0
//! folded into +0.0), which is what CAD exporters mean by "the same vertex": they write shared
//! corners with identical floats. Welding is done here while streaming the file, with
//! hashbrown's fast hasher; stl_io welds through std's SipHash map after collecting the whole
//! soup (see benches/load.rs for the figures side by side).

use hashbrown::HashMap;
use nalgebra::Point3;

/// Coordinates smaller than this (in file units) are taken for zero.
///
/// CAD exporters (SolidWorks among them, seen in four of the peers' reference models) write
/// some corners that are exactly 0 in the model as float noise such as 3.85e-17 or -2.7e-16;
/// bit-exact welding then leaves those corners unwelded and the part looks open. Away from
/// zero this cannot happen: f32 has 24 bits of mantissa, so noise below 1e-7 relative vanishes
/// in the rounding. Only near zero does f32 resolve such tiny values, and no real part has a
/// feature of 1e-10 of its unit (0.1 picometre in mm, 0.1 nm in metres).
pub const NOISE_FLOOR: f32 = 1e-10;

/// Zero for noise around zero (including -0.0); every other value unchanged.
#[inline]
fn flush_noise(c: f32) -> f32 {
    if c.abs() < NOISE_FLOOR { 0.0 } else { c }
}

/// Collects unique vertices by their exact f32 coordinates (after [`flush_noise`]).
pub struct ExactWelder {
    index_of: HashMap<[u32; 3], u32>,
    pub vertices: Vec<[f32; 3]>,
}

impl ExactWelder {
    /// A welder expecting about `corners` triangle corners (a closed mesh has about half as
    /// many vertices as triangles, i.e. corners / 6).
    pub fn with_corner_hint(corners: usize) -> Self {
        let guess = (corners / 5).max(16);
        ExactWelder {
            index_of: HashMap::with_capacity(guess),
            vertices: Vec::with_capacity(guess),
        }
    }

    /// Index of the vertex at `p`, adding it if new. `p` must be finite.
    #[inline]
    pub fn index(&mut self, p: [f32; 3]) -> u32 {
        let p = p.map(flush_noise);
        let key = [p[0].to_bits(), p[1].to_bits(), p[2].to_bits()];
        let next = self.vertices.len() as u32;
        let vertices = &mut self.vertices;
        *self.index_of.entry(key).or_insert_with(|| {
            vertices.push(p);
            next
        })
    }

    pub fn len(&self) -> usize {
        self.vertices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vertices.is_empty()
    }
}

/// Merges vertices closer than `tolerance` (same unit as the points) and rewrites the
/// triangles to use the survivors. Uses a uniform grid of cell size `tolerance`: a point
/// looks for an earlier survivor in its own and the 26 neighbouring cells, so every pair
/// closer than the tolerance is found in linear time. Merging is greedy in vertex order (the
/// first vertex of a cluster survives), so a chain of points each within tolerance of the
/// next is not collapsed into one. Returns how many vertices were merged away.
pub fn merge_within(
    vertices: &mut Vec<Point3<f64>>,
    triangles: &mut [[u32; 3]],
    tolerance: f64,
) -> usize {
    if tolerance.is_nan() || tolerance <= 0.0 || vertices.is_empty() {
        return 0;
    }
    // Float-to-integer casts saturate, and neighbours are found with saturating additions, so
    // absurdly large coordinates land in the edge cells instead of overflowing.
    let cell = |p: &Point3<f64>| -> [i64; 3] {
        [
            (p.x / tolerance).floor() as i64,
            (p.y / tolerance).floor() as i64,
            (p.z / tolerance).floor() as i64,
        ]
    };
    let tol2 = tolerance * tolerance;
    let mut grid: HashMap<[i64; 3], Vec<u32>> = HashMap::new();
    let mut remap = vec![0u32; vertices.len()];
    let mut kept: Vec<Point3<f64>> = Vec::with_capacity(vertices.len());
    for (i, p) in vertices.iter().enumerate() {
        let c = cell(p);
        let mut found = None;
        'search: for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    if let Some(list) = grid.get(&[
                        c[0].saturating_add(dx),
                        c[1].saturating_add(dy),
                        c[2].saturating_add(dz),
                    ]) {
                        for &k in list {
                            if (kept[k as usize] - p).norm_squared() <= tol2 {
                                found = Some(k);
                                break 'search;
                            }
                        }
                    }
                }
            }
        }
        remap[i] = match found {
            Some(k) => k,
            None => {
                let k = kept.len() as u32;
                kept.push(*p);
                grid.entry(c).or_default().push(k);
                k
            }
        };
    }
    let merged = vertices.len() - kept.len();
    for t in triangles.iter_mut() {
        *t = t.map(|i| remap[i as usize]);
    }
    *vertices = kept;
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_weld_folds_negative_zero_and_noise_and_keeps_distinct_floats() {
        let mut w = ExactWelder::with_corner_hint(8);
        let a = w.index([0.0, 1.0, 2.0]);
        let b = w.index([-0.0, 1.0, 2.0]);
        // As written by a SolidWorks export for a corner at x = 0.
        assert_eq!(w.index([3.85e-17, 1.0, 2.0]), a);
        assert_eq!(w.index([-2.7e-16, 1.0, 2.0]), a);
        assert_eq!(w.vertices[a as usize][0].to_bits(), 0);
        let c = w.index([0.0, 1.0, f32::from_bits(2.0f32.to_bits() + 1)]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn tolerance_merge_joins_near_points_only() {
        let mut v = vec![
            Point3::new(0.0, 0.0, 0.0),
            Point3::new(0.0005, 0.0, 0.0),
            Point3::new(1.0, 0.0, 0.0),
            Point3::new(1.0, 0.0009, -0.0001),
        ];
        let mut t = vec![[0, 2, 3], [1, 3, 2]];
        let merged = merge_within(&mut v, &mut t, 0.001);
        assert_eq!(merged, 2);
        assert_eq!(v.len(), 2);
        assert_eq!(t, vec![[0, 1, 1], [0, 1, 1]]);
    }
}
