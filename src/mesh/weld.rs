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
pub fn flush_noise(c: f32) -> f32 {
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

/// Number of shards of the parallel weld: small enough tables to stay in cache.
const SHARDS: usize = 64;

/// Which shard a key belongs to (a fixed hash, so the result never depends on the run).
#[inline]
fn shard_of(key: &[u32; 3]) -> usize {
    let mut h = (key[0] as u64) ^ ((key[1] as u64) << 21) ^ ((key[2] as u64) << 42);
    h ^= (key[1] as u64) >> 11 ^ (key[2] as u64) >> 22;
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 58) as usize % SHARDS
}

/// Welds corners (already flushed with [`flush_noise`]) into unique vertices in parallel and
/// returns the vertices in order of first use and, for each corner, its vertex index.
///
/// The corners are sorted into 64 shards by a hash of their coordinates; each shard is welded
/// with its own small hash table (cache-resident, where one table for a million vertices is
/// not), in parallel; a last sequential pass numbers the vertices in order of first use, the
/// same numbering as the streaming [`ExactWelder`] gives.
pub fn weld_parallel(corners: &[[f32; 3]]) -> (Vec<[f32; 3]>, Vec<u32>) {
    use rayon::prelude::*;
    // Each shard gets its keys (with their corner numbers) in one contiguous list, so that its
    // welding reads memory in order instead of jumping around the whole corner array.
    let shard: Vec<u8> = corners
        .par_iter()
        .map(|p| shard_of(&p.map(f32::to_bits)) as u8)
        .collect();
    let mut counts = [0usize; SHARDS];
    for &s in &shard {
        counts[s as usize] += 1;
    }
    let mut members: Vec<Vec<([u32; 3], u32)>> =
        counts.iter().map(|&n| Vec::with_capacity(n)).collect();
    for (c, (p, &s)) in corners.iter().zip(&shard).enumerate() {
        members[s as usize].push((p.map(f32::to_bits), c as u32));
    }
    drop(shard);
    // Each shard: local vertex ids in order of first use within the shard.
    let local: Vec<(Vec<u32>, Vec<u32>)> = members
        .par_iter()
        .map(|list| {
            let mut table: HashMap<[u32; 3], u32> = HashMap::with_capacity(list.len() / 4 + 16);
            let mut firsts: Vec<u32> = Vec::new(); // corner of each local vertex's first use
            let ids = list
                .iter()
                .map(|&(key, c)| {
                    let next = firsts.len() as u32;
                    *table.entry(key).or_insert_with(|| {
                        firsts.push(c);
                        next
                    })
                })
                .collect();
            (ids, firsts)
        })
        .collect();
    // A provisional id (shard offset + local id) for every corner.
    let mut offset = vec![0u32; SHARDS + 1];
    for s in 0..SHARDS {
        offset[s + 1] = offset[s] + local[s].1.len() as u32;
    }
    let mut provisional = vec![0u32; corners.len()];
    for s in 0..SHARDS {
        for (&(_, c), &id) in members[s].iter().zip(&local[s].0) {
            provisional[c as usize] = offset[s] + id;
        }
    }
    // Renumber in order of first use.
    let total = offset[SHARDS] as usize;
    let mut final_id = vec![u32::MAX; total];
    let mut vertices = Vec::with_capacity(total);
    let index = provisional
        .iter()
        .enumerate()
        .map(|(c, &p)| {
            let slot = &mut final_id[p as usize];
            if *slot == u32::MAX {
                *slot = vertices.len() as u32;
                vertices.push(corners[c]);
            }
            *slot
        })
        .collect();
    (vertices, index)
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
    fn parallel_weld_numbers_vertices_like_the_streaming_welder() {
        let corners: Vec<[f32; 3]> = (0..5000u32)
            .map(|k| {
                let v = (k * 7919) % 1300;
                [(v % 13) as f32, (v / 13 % 10) as f32, (v / 130) as f32]
            })
            .collect();
        let mut w = ExactWelder::with_corner_hint(corners.len());
        let streamed: Vec<u32> = corners.iter().map(|&p| w.index(p)).collect();
        let (vertices, index) = weld_parallel(&corners);
        assert_eq!(index, streamed);
        assert_eq!(vertices, w.vertices);
        assert_eq!(vertices.len(), 1300);
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
