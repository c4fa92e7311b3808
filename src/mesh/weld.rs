//! Welding: turning the triangle soup of an STL file into an indexed mesh.
//!
//! Exact welding keys each corner by the bit pattern of its three f32 coordinates (with -0.0
//! folded into +0.0), which is what CAD exporters mean by "the same vertex": they write shared
//! corners with identical floats. Welding is done here while streaming the file, with
//! hashbrown's fast hasher; stl_io welds through std's SipHash map after collecting the whole
//! soup (see benches/load.rs for the figures side by side).

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use hashbrown::HashMap;
use nalgebra::Point3;
use rayon::prelude::*;

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
/// Corners per chunk of the parallel counting sort and of the final numbering pass.
const CHUNK: usize = 1 << 16;

/// A fixed hash of a corner's coordinate bits (a folded 64 x 64 -> 128-bit multiply), so the
/// work never depends on the run. Its top 6 bits choose the shard, its low bits the slot in
/// the shard's table. Only the speed depends on it: the numbering is by first use whatever
/// the hash.
#[inline]
fn key_hash(key: [u32; 3]) -> u64 {
    let a = (((key[0] as u64) << 32) | key[1] as u64) ^ 0x243F_6A88_85A3_08D3;
    let b = (key[2] as u64) ^ 0x1319_8A2E_0370_7344;
    let p = (a as u128) * (b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline]
fn shard_of(key: [u32; 3]) -> usize {
    (key_hash(key) >> 58) as usize
}

/// One shard's vertices by their key: open addressing with linear probing over slots holding
/// `local id + 1` (0: empty), the keys kept in their own array in id order. Half full at most.
/// hashbrown's general map cost three times as much here (hashing the key as a slice, the
/// entry API); this table does one multiply and, mostly, one probe.
struct ShardTable {
    slots: Vec<u32>,
    keys: Vec<[u32; 3]>,
}

impl ShardTable {
    fn with_corners(corners: usize) -> Self {
        // A closed mesh has about one vertex per six corners: a third keeps it half full.
        let slots = (corners / 3).next_power_of_two().max(16);
        ShardTable {
            slots: vec![0; slots],
            keys: Vec::with_capacity(corners / 5 + 16),
        }
    }

    /// The local id of `key`, and whether it is new.
    #[inline]
    fn id(&mut self, key: [u32; 3]) -> (u32, bool) {
        if 2 * (self.keys.len() + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = key_hash(key) as usize & mask;
        loop {
            match self.slots[i] {
                0 => {
                    self.keys.push(key);
                    let id = self.keys.len() as u32;
                    self.slots[i] = id;
                    return (id - 1, true);
                }
                s if self.keys[s as usize - 1] == key => return (s - 1, false),
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let slots = self.slots.len() * 2;
        self.slots = vec![0; slots];
        let mask = slots - 1;
        for (k, key) in self.keys.iter().enumerate() {
            let mut i = key_hash(*key) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = k as u32 + 1;
        }
    }
}

/// Welds the corners of a triangle soup (already flushed with [`flush_noise`]) into unique
/// vertices in parallel and returns the vertices in order of first use and the triangles as
/// vertex indices: the same numbering as the streaming [`ExactWelder`] gives.
///
/// Every step but a few short ones runs on all cores:
/// 1. each corner's shard (a hash of its coordinates), and a counting sort of the corner
///    numbers by shard, done per chunk of corners so that the chunks scatter in parallel
///    (each chunk knows where its corners of each shard go from the counts of the chunks
///    before it);
/// 2. each shard welds its corners, in corner order, with its own small table (cache-resident,
///    where one table for a million vertices is not); it overwrites each corner number in its
///    list with the corner's local vertex id, and notes the first corner of each new vertex;
/// 3. the first corners, marked in a bitmap over all corners, give each vertex its final
///    number: the count of first corners before its own (a prefix count of the bitmap's
///    words), which is its rank in order of first use;
/// 4. per chunk of corners again, each corner finds its local id where step 1 put its number
///    (replaying the chunk's positions) and takes its vertex's final number.
///
/// Besides the soup and the result it holds about 5 bytes per corner (shard numbers, the
/// sorted corner numbers) and 8 per vertex: fresh memory costs more to touch than most of
/// the work here.
pub fn weld_parallel(soup: &[[[f32; 3]; 3]]) -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let corners = soup.as_flattened();
    let sorted = ShardSort::of(corners);
    let firsts = sorted.weld_shards(corners);
    let mut offset = [0usize; SHARDS + 1];
    for s in 0..SHARDS {
        offset[s + 1] = offset[s] + firsts[s].len();
    }
    let ranks = FirstUse::of(corners.len(), &firsts);
    // The final number of each shard's vertices, in shard order.
    let final_id: Vec<u32> = firsts
        .par_iter()
        .flat_map_iter(|f| f.iter().map(|&c| ranks.rank(c)))
        .collect();
    drop(firsts);
    let vertices = ranks.vertices(corners);
    let mut triangles = vec![[0u32; 3]; soup.len()];
    sorted.number_corners(triangles.as_flattened_mut(), |s, local| {
        final_id[offset[s] + local]
    });
    (vertices, triangles)
}

/// Step 1 of [`weld_parallel`]: the corners' shards and the corner numbers sorted by shard.
struct ShardSort {
    /// Each corner's shard.
    shard: Vec<u8>,
    /// Where each shard's list begins in `by_shard` (and, last, the number of corners).
    start: [usize; SHARDS + 1],
    /// Where each chunk's first corner of each shard went in `by_shard`.
    chunk_pos: Vec<[usize; SHARDS]>,
    /// The corner numbers grouped by shard, each group in corner order; step 2 puts each
    /// corner's local vertex id in its place. Atomics only so that the chunks and then the
    /// shards may write their disjoint places from several threads; relaxed loads and stores
    /// are plain moves.
    by_shard: Vec<AtomicU32>,
}

impl ShardSort {
    fn of(corners: &[[f32; 3]]) -> Self {
        let shard: Vec<u8> = corners
            .par_iter()
            .map(|p| shard_of(p.map(f32::to_bits)) as u8)
            .collect();
        let counts: Vec<[u32; SHARDS]> = shard
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut count = [0u32; SHARDS];
                for &s in chunk {
                    count[s as usize] += 1;
                }
                count
            })
            .collect();
        let mut start = [0usize; SHARDS + 1];
        for count in &counts {
            for s in 0..SHARDS {
                start[s + 1] += count[s] as usize;
            }
        }
        for s in 0..SHARDS {
            start[s + 1] += start[s];
        }
        let mut chunk_pos: Vec<[usize; SHARDS]> = Vec::with_capacity(counts.len());
        let mut running: [usize; SHARDS] = std::array::from_fn(|s| start[s]);
        for count in &counts {
            chunk_pos.push(running);
            for s in 0..SHARDS {
                running[s] += count[s] as usize;
            }
        }
        let by_shard: Vec<AtomicU32> = (0..corners.len())
            .into_par_iter()
            .map(|_| AtomicU32::new(0))
            .collect();
        shard
            .par_chunks(CHUNK)
            .zip(&chunk_pos)
            .enumerate()
            .for_each(|(k, (chunk, pos))| {
                let mut pos = *pos;
                for (i, &s) in chunk.iter().enumerate() {
                    by_shard[pos[s as usize]].store((k * CHUNK + i) as u32, Relaxed);
                    pos[s as usize] += 1;
                }
            });
        ShardSort {
            shard,
            start,
            chunk_pos,
            by_shard,
        }
    }

    /// Step 2: each shard welds its corners with its own table, puts each corner's local id
    /// in place of its number, and returns the first corner of each of its vertices
    /// (ascending, as the corners come in order).
    fn weld_shards(&self, corners: &[[f32; 3]]) -> Vec<Vec<u32>> {
        (0..SHARDS)
            .into_par_iter()
            .map(|s| {
                let list = &self.by_shard[self.start[s]..self.start[s + 1]];
                let mut table = ShardTable::with_corners(list.len());
                let mut firsts = Vec::with_capacity(list.len() / 5 + 16);
                for slot in list {
                    let c = slot.load(Relaxed);
                    let (id, new) = table.id(corners[c as usize].map(f32::to_bits));
                    if new {
                        firsts.push(c);
                    }
                    slot.store(id, Relaxed);
                }
                firsts
            })
            .collect()
    }

    /// Step 4: each corner's number `number(shard, local id)`, per chunk of corners on all
    /// cores (a chunk finds its corners' local ids by replaying its positions of step 1).
    fn number_corners(&self, out: &mut [u32], number: impl Fn(usize, usize) -> u32 + Sync) {
        out.par_chunks_mut(CHUNK)
            .zip(self.shard.par_chunks(CHUNK))
            .zip(&self.chunk_pos)
            .for_each(|((out, chunk), pos)| {
                let mut pos = *pos;
                for (o, &s) in out.iter_mut().zip(chunk) {
                    let s = s as usize;
                    let local = self.by_shard[pos[s]].load(Relaxed) as usize;
                    pos[s] += 1;
                    *o = number(s, local);
                }
            });
    }
}

/// Step 3 of [`weld_parallel`]: the first corner of every vertex marked in a bitmap over the
/// corners; a vertex's number in order of first use is the count of first corners before its
/// own.
struct FirstUse {
    bits: Vec<u64>,
    /// The number of first corners before each word of `bits`.
    before_word: Vec<u32>,
}

impl FirstUse {
    fn of(corner_count: usize, firsts: &[Vec<u32>]) -> Self {
        let mut bits = vec![0u64; corner_count.div_ceil(64)];
        for &c in firsts.iter().flatten() {
            bits[c as usize / 64] |= 1 << (c % 64);
        }
        let mut before_word = Vec::with_capacity(bits.len());
        let mut total = 0u32;
        for w in &bits {
            before_word.push(total);
            total += w.count_ones();
        }
        FirstUse { bits, before_word }
    }

    /// The number of the vertex whose first corner is `c`.
    #[inline]
    fn rank(&self, c: u32) -> u32 {
        let (w, b) = (c as usize / 64, c % 64);
        self.before_word[w] + (self.bits[w] & ((1u64 << b) - 1)).count_ones()
    }

    /// The vertices in order of first use: the corners of the set bits, in order.
    fn vertices(&self, corners: &[[f32; 3]]) -> Vec<[f32; 3]> {
        self.bits
            .par_chunks(1024)
            .enumerate()
            .flat_map_iter(|(k, words)| {
                words.iter().enumerate().flat_map(move |(j, &w)| {
                    let base = (k * 1024 + j) * 64;
                    BitIter(w).map(move |b| corners[base + b])
                })
            })
            .collect()
    }
}

/// The positions of the set bits of a word, lowest first.
struct BitIter(u64);

impl Iterator for BitIter {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(b)
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

    /// Many chunks of the counting sort, shards whose tables grow (every corner of the second
    /// half is new), corners met again far from their first use: the numbering is the
    /// streaming welder's.
    #[test]
    fn parallel_weld_over_many_chunks_and_growing_tables() {
        let mut corners: Vec<[f32; 3]> = (0..300_000u32)
            .map(|k| {
                let v = (k as u64 * 2_654_435_761 % 40_009) as u32;
                [
                    (v % 37) as f32,
                    (v / 37 % 41) as f32 * 0.5,
                    (v / 1517) as f32,
                ]
            })
            .collect();
        corners.extend((0..150_000u32).map(|k| [k as f32, -1.0, (k % 7) as f32]));
        let mut w = ExactWelder::with_corner_hint(16);
        let streamed: Vec<u32> = corners.iter().map(|&p| w.index(p)).collect();
        let soup: Vec<[[f32; 3]; 3]> = corners
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let (vertices, triangles) = weld_parallel(&soup);
        assert_eq!(triangles.as_flattened(), streamed);
        assert_eq!(vertices, w.vertices);
        // 40,009 distinct values of v (a prime, k times an odd multiplier covers them all),
        // each a distinct point, and 150,000 new points.
        assert_eq!(vertices.len(), 40_009 + 150_000);
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
