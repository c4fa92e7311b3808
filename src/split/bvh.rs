//! A bounding volume hierarchy over a mesh's triangles, built for a few thousand queries.
//!
//! The wall-thickness estimate casts one ray and asks one nearest-surface query per sample,
//! 5,000 of each by default, against a mesh of up to millions of triangles. obvhs' builders
//! (PLOC, even its `fastest_build`) aim at trees good for millions of rays; building one for
//! the 1,000,000 molded triangles of the split benchmark took about 400 ms of CPU, most of the
//! estimate, while the queries took a few milliseconds. Here the tree is built the cheap way of
//! Lauterbach et al. (2009, "LBVH"): triangles sorted by the Morton code of their centroid (a
//! radix sort), and each node split where its Morton codes first differ, top down. The tree is
//! worse for rays than PLOC's, which costs nothing at this number of queries, and it takes a
//! tenth of the time to build. obvhs' ray-box and ray-triangle tests are kept, so a ray finds
//! the same nearest hit as before.

use glam::Vec3A;
use obvhs::aabb::Aabb;
use obvhs::ray::Ray;
use obvhs::triangle::Triangle;

/// Triangles per leaf, at most.
const LEAF_TRIANGLES: usize = 8;
/// Bits of the Morton code per axis.
const MORTON_BITS: u32 = 10;

/// A node: internal nodes have their left child right after them and the right child at
/// `first`; leaves hold `count` triangles from `first` on in [`Bvh::keys`]. 32 bytes (the box
/// as plain floats, not obvhs' 16-byte aligned vectors): a million triangles make a few
/// hundred thousand nodes, and fresh memory costs more to touch than the conversion.
#[derive(Clone, Copy)]
struct Node {
    min: [f32; 3],
    max: [f32; 3],
    first: u32,
    count: u32,
}

impl Node {
    #[inline]
    fn aabb(&self) -> Aabb {
        Aabb {
            min: Vec3A::from_array(self.min),
            max: Vec3A::from_array(self.max),
        }
    }

    fn new(aabb: Aabb, first: u32, count: u32) -> Self {
        Node {
            min: aabb.min.to_array(),
            max: aabb.max.to_array(),
            first,
            count,
        }
    }
}

/// The hierarchy over `vertices` (f32, in the caller's frame) and `triangles` (indices).
pub(crate) struct Bvh<'a> {
    vertices: &'a [Vec3A],
    triangles: &'a [[u32; 3]],
    nodes: Vec<Node>,
    /// Morton code (upper half) and triangle index (lower half) of every triangle, in Morton
    /// order; leaves refer to ranges of it.
    keys: Vec<u64>,
}

/// Spreads the low 10 bits of `x` to every third bit.
fn spread_bits(x: u32) -> u32 {
    let mut x = x & 0x3ff;
    x = (x | (x << 16)) & 0x0300_00ff;
    x = (x | (x << 8)) & 0x0300_f00f;
    x = (x | (x << 4)) & 0x030c_30c3;
    x = (x | (x << 2)) & 0x0924_9249;
    x
}

/// Sorts `keys` by their upper 32 bits (30 used), stably: three passes of a least significant
/// digit radix sort, linear where a comparison sort of a million keys is not.
fn radix_sort_by_high_bits(keys: &mut Vec<u64>) {
    const DIGIT: u32 = 10;
    let mut scratch = vec![0u64; keys.len()];
    for pass in 0..3 {
        let shift = 32 + DIGIT * pass;
        let digit = |k: u64| ((k >> shift) & ((1 << DIGIT) - 1)) as usize;
        let mut start = [0usize; 1 << DIGIT];
        for &k in keys.iter() {
            start[digit(k)] += 1;
        }
        let mut sum = 0;
        for s in start.iter_mut() {
            let count = *s;
            *s = sum;
            sum += count;
        }
        for &k in keys.iter() {
            let d = digit(k);
            scratch[start[d]] = k;
            start[d] += 1;
        }
        std::mem::swap(keys, &mut scratch);
    }
}

impl<'a> Bvh<'a> {
    /// Builds the hierarchy; `None` for a mesh without triangles.
    pub(crate) fn build(vertices: &'a [Vec3A], triangles: &'a [[u32; 3]]) -> Option<Self> {
        if triangles.is_empty() {
            return None;
        }
        let corners = |t: &[u32; 3]| t.map(|i| vertices[i as usize]);
        let (lo, hi) = triangles.iter().flatten().fold(
            (Vec3A::splat(f32::INFINITY), Vec3A::splat(f32::NEG_INFINITY)),
            |(lo, hi), &i| {
                let p = vertices[i as usize];
                (lo.min(p), hi.max(p))
            },
        );
        let cells = ((1u32 << MORTON_BITS) - 1) as f32;
        let scale = (hi - lo).max(Vec3A::splat(f32::MIN_POSITIVE)).recip() * cells;
        let mut keys: Vec<u64> = triangles
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let [a, b, c] = corners(t);
                let cell = (((a + b + c) * (1.0 / 3.0) - lo) * scale)
                    .clamp(Vec3A::ZERO, Vec3A::splat(cells));
                let code = (spread_bits(cell.x as u32) << 2)
                    | (spread_bits(cell.y as u32) << 1)
                    | spread_bits(cell.z as u32);
                ((code as u64) << 32) | k as u64
            })
            .collect();
        radix_sort_by_high_bits(&mut keys);
        let mut bvh = Bvh {
            vertices,
            triangles,
            nodes: Vec::new(),
            keys,
        };
        bvh.build_node(0, triangles.len());
        Some(bvh)
    }

    /// Builds the node over `keys[lo..hi]` and everything under it; returns its index.
    fn build_node(&mut self, lo: usize, hi: usize) -> u32 {
        let index = self.nodes.len();
        self.nodes.push(Node::new(Aabb::INVALID, 0, 0));
        if hi - lo <= LEAF_TRIANGLES {
            let mut aabb = Aabb::INVALID;
            for &k in &self.keys[lo..hi] {
                for i in self.triangles[k as u32 as usize] {
                    aabb.extend(self.vertices[i as usize]);
                }
            }
            self.nodes[index] = Node::new(aabb, lo as u32, (hi - lo) as u32);
            return index as u32;
        }
        // Split where the highest bit of the Morton code that differs within the range turns
        // on; a range of equal codes is halved.
        let code = |k: u64| (k >> 32) as u32;
        let (first, last) = (code(self.keys[lo]), code(self.keys[hi - 1]));
        let split = if first == last {
            (lo + hi) / 2
        } else {
            let bit = 31 - (first ^ last).leading_zeros();
            lo + self.keys[lo..hi].partition_point(|&k| code(k) & (1 << bit) == 0)
        };
        let left = self.build_node(lo, split);
        let right = self.build_node(split, hi);
        let aabb = self.nodes[left as usize]
            .aabb()
            .union(&self.nodes[right as usize].aabb());
        self.nodes[index] = Node::new(aabb, right, 0);
        index as u32
    }

    /// Triangle `t` as obvhs' triangle.
    #[inline]
    pub(crate) fn triangle(&self, t: u32) -> Triangle {
        let [v0, v1, v2] = self.triangles[t as usize].map(|i| self.vertices[i as usize]);
        Triangle { v0, v1, v2 }
    }

    /// The nearest triangle the ray meets within its `tmin..tmax` and the distance to it
    /// (obvhs' ray-triangle test; of several at the same distance, the first one found).
    pub(crate) fn cast(&self, mut ray: Ray) -> Option<(u32, f32)> {
        let mut best: Option<(u32, f32)> = None;
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        if self.nodes[0].aabb().intersect_ray(&ray) < ray.tmax {
            stack.push(0);
        }
        while let Some(i) = stack.pop() {
            let node = &self.nodes[i as usize];
            // The box was hit when the node was pushed, perhaps beyond a hit found since.
            if node.aabb().intersect_ray(&ray) >= ray.tmax {
                continue;
            }
            if node.count > 0 {
                for k in node.first..node.first + node.count {
                    let t = self.keys[k as usize] as u32;
                    let d = self.triangle(t).intersect(&ray);
                    if d < ray.tmax {
                        ray.tmax = d;
                        best = Some((t, d));
                    }
                }
                continue;
            }
            let (a, b) = (i + 1, node.first);
            let da = self.nodes[a as usize].aabb().intersect_ray(&ray);
            let db = self.nodes[b as usize].aabb().intersect_ray(&ray);
            // The nearer child is looked at first: pushed last.
            let (near, far, d_near, d_far) = if da <= db {
                (a, b, da, db)
            } else {
                (b, a, db, da)
            };
            if d_far < ray.tmax {
                stack.push(far);
            }
            if d_near < ray.tmax {
                stack.push(near);
            }
        }
        best
    }

    /// Whether the ray meets any triangle within its `tmin..tmax`: the first hit ends the
    /// search (the moldability check asks this of millions of rays, and the nearest hit is
    /// not needed), children in no particular order, the stack in a fixed array (a
    /// heap-allocated one per ray was a tenth of the cost) that spills to the heap only on a
    /// tree deeper than it.
    pub(crate) fn occluded(&self, ray: &Ray) -> bool {
        const DEPTH: usize = 96;
        let mut stack = [0u32; DEPTH];
        let mut len = 0usize;
        let mut spill: Vec<u32> = Vec::new();
        if self.nodes[0].aabb().intersect_ray(ray) >= ray.tmax {
            return false;
        }
        stack[0] = 0;
        len += 1;
        loop {
            let i = if let Some(i) = spill.pop() {
                i
            } else if len > 0 {
                len -= 1;
                stack[len]
            } else {
                return false;
            };
            let node = &self.nodes[i as usize];
            if node.count > 0 {
                for k in node.first..node.first + node.count {
                    let t = self.keys[k as usize] as u32;
                    if self.triangle(t).intersect(ray) < ray.tmax {
                        return true;
                    }
                }
                continue;
            }
            for c in [i + 1, node.first] {
                if self.nodes[c as usize].aabb().intersect_ray(ray) < ray.tmax {
                    if len < DEPTH {
                        stack[len] = c;
                        len += 1;
                    } else {
                        spill.push(c);
                    }
                }
            }
        }
    }

    /// Distance from `p` to the nearest triangle, or `limit` if none is nearer.
    pub(crate) fn nearest_distance(&self, p: Vec3A, limit: f32) -> f32 {
        let box_distance = |node: &Node| -> f32 {
            let d = (Vec3A::from_array(node.min) - p)
                .max(p - Vec3A::from_array(node.max))
                .max(Vec3A::ZERO);
            d.length()
        };
        let mut best = limit;
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        stack.push(0);
        while let Some(i) = stack.pop() {
            let node = &self.nodes[i as usize];
            if box_distance(node) >= best {
                continue;
            }
            if node.count > 0 {
                for k in node.first..node.first + node.count {
                    let t = self.triangle(self.keys[k as usize] as u32);
                    best = best.min(point_triangle_distance(p, t.v0, t.v1, t.v2));
                }
                continue;
            }
            let (a, b) = (i + 1, node.first);
            let (da, db) = (
                box_distance(&self.nodes[a as usize]),
                box_distance(&self.nodes[b as usize]),
            );
            // Push the farther child first, so the nearer one is looked at first.
            if da <= db {
                stack.push(b);
                stack.push(a);
            } else {
                stack.push(a);
                stack.push(b);
            }
        }
        best
    }
}

/// Distance from `p` to the triangle (a, b, c): the closest point by Voronoi regions
/// (Ericson, Real-Time Collision Detection, 2005, section 5.1.5).
fn point_triangle_distance(p: Vec3A, a: Vec3A, b: Vec3A, c: Vec3A) -> f32 {
    let (ab, ac, ap) = (b - a, c - a, p - a);
    let (d1, d2) = (ab.dot(ap), ac.dot(ap));
    if d1 <= 0.0 && d2 <= 0.0 {
        return ap.length();
    }
    let bp = p - b;
    let (d3, d4) = (ab.dot(bp), ac.dot(bp));
    if d3 >= 0.0 && d4 <= d3 {
        return bp.length();
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        let v = d1 / (d1 - d3);
        return (p - (a + ab * v)).length();
    }
    let cp = p - c;
    let (d5, d6) = (ab.dot(cp), ac.dot(cp));
    if d6 >= 0.0 && d5 <= d6 {
        return cp.length();
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        let w = d2 / (d2 - d6);
        return (p - (a + ac * w)).length();
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return (p - (b + (c - b) * w)).length();
    }
    let denom = 1.0 / (va + vb + vc);
    let (v, w) = (vb * denom, vc * denom);
    (p - (a + ab * v + ac * w)).length()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force against the hierarchy on a cloud of random-ish triangles.
    #[test]
    fn queries_agree_with_brute_force() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) * 10.0 - 5.0
        };
        let vertices: Vec<Vec3A> = (0..600)
            .map(|_| Vec3A::new(next(), next(), next()))
            .collect();
        let triangles: Vec<[u32; 3]> = (0..200).map(|k| [3 * k, 3 * k + 1, 3 * k + 2]).collect();
        let bvh = Bvh::build(&vertices, &triangles).unwrap();
        for _ in 0..200 {
            let origin = Vec3A::new(next(), next(), next());
            let dir = Vec3A::new(next(), next(), next()).normalize();
            let ray = Ray::new(origin, dir, 0.0, 100.0);
            let brute = (0..triangles.len() as u32)
                .map(|t| bvh.triangle(t).intersect(&ray))
                .fold(f32::INFINITY, f32::min);
            let found = bvh.cast(ray).map(|h| h.1).unwrap_or(f32::INFINITY);
            assert_eq!(brute, found);
            let near = (0..triangles.len() as u32)
                .map(|t| {
                    let t = bvh.triangle(t);
                    point_triangle_distance(origin, t.v0, t.v1, t.v2)
                })
                .fold(3.0f32, f32::min);
            assert_eq!(near, bvh.nearest_distance(origin, 3.0));
        }
    }
}
