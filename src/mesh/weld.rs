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

/// Welds the corners of a triangle soup (already flushed with [`flush_noise`]) into unique
/// vertices in parallel and returns the vertices in order of first use and the triangles as
/// vertex indices.
///
/// The corners are sorted into 64 shards by a hash of their coordinates; each shard is welded
/// with its own small hash table (cache-resident, where one table for a million vertices is
/// not), in parallel; a last sequential pass numbers the vertices in order of first use, the
/// same numbering as the streaming [`ExactWelder`] gives. Besides the soup, it holds about 13
/// bytes per corner at once (shard numbers, the corners grouped by shard, their local ids)
/// and writes the indices straight into the triangles: fresh memory costs more to touch than
/// most of the work here.
pub fn weld_parallel(soup: &[[[f32; 3]; 3]]) -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    use rayon::prelude::*;
    let corners = soup.as_flattened();
    let shard: Vec<u8> = corners
        .par_iter()
        .map(|p| shard_of(&p.map(f32::to_bits)) as u8)
        .collect();
    let mut start = [0usize; SHARDS + 1];
    for &s in &shard {
        start[s as usize + 1] += 1;
    }
    for s in 0..SHARDS {
        start[s + 1] += start[s];
    }
    // The corner numbers grouped by shard (a counting sort), each group in corner order, so
    // that a shard reads its corners front to back instead of jumping around the soup.
    let mut by_shard = vec![0u32; corners.len()];
    let mut fill = start;
    for (c, &s) in shard.iter().enumerate() {
        by_shard[fill[s as usize]] = c as u32;
        fill[s as usize] += 1;
    }
    drop(shard);
    // Each shard: a local vertex id for each of its corners, in order of first use within it.
    let mut local_ids = vec![0u32; corners.len()];
    let mut work: Vec<(&[u32], &mut [u32])> = Vec::with_capacity(SHARDS);
    let mut rest: &mut [u32] = &mut local_ids;
    for s in 0..SHARDS {
        let (ids, tail) = rest.split_at_mut(start[s + 1] - start[s]);
        work.push((&by_shard[start[s]..start[s + 1]], ids));
        rest = tail;
    }
    let vertex_counts: Vec<u32> = work
        .into_par_iter()
        .map(|(list, ids)| {
            let mut table: HashMap<[u32; 3], u32> = HashMap::with_capacity(list.len() / 4 + 16);
            for (&c, id) in list.iter().zip(ids.iter_mut()) {
                let next = table.len() as u32;
                *id = *table
                    .entry(corners[c as usize].map(f32::to_bits))
                    .or_insert(next);
            }
            table.len() as u32
        })
        .collect();
    let mut offset = [0u32; SHARDS + 1];
    for s in 0..SHARDS {
        offset[s + 1] = offset[s] + vertex_counts[s];
    }
    // A provisional id (shard offset + local id) for every corner, in the triangles.
    let mut triangles = vec![[0u32; 3]; soup.len()];
    let index = triangles.as_flattened_mut();
    for s in 0..SHARDS {
        let range = start[s]..start[s + 1];
        for (&c, &id) in by_shard[range.clone()].iter().zip(&local_ids[range]) {
            index[c as usize] = offset[s] + id;
        }
    }
    drop(by_shard);
    drop(local_ids);
    // Renumber in order of first use.
    let total = offset[SHARDS] as usize;
    let mut final_id = vec![u32::MAX; total];
    let mut vertices = Vec::with_capacity(total);
    for (c, slot) in index.iter_mut().enumerate() {
        let id = &mut final_id[*slot as usize];
        if *id == u32::MAX {
            *id = vertices.len() as u32;
            vertices.push(corners[c]);
        }
        *slot = *id;
    }
    (vertices, triangles)
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
        let corners: Vec<[f32; 3]> = (0..5001u32)
            .map(|k| {
                let v = (k * 7919) % 1300;
                [(v % 13) as f32, (v / 13 % 10) as f32, (v / 130) as f32]
            })
            .collect();
        let mut w = ExactWelder::with_corner_hint(corners.len());
        let streamed: Vec<u32> = corners.iter().map(|&p| w.index(p)).collect();
        let soup: Vec<[[f32; 3]; 3]> = corners
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let (vertices, triangles) = weld_parallel(&soup);
        assert_eq!(triangles.as_flattened(), streamed);
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
