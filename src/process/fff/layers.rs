//! Slicing the mesh into layers: the contour segments of every layer's mid-height plane, from
//! one pass over the triangles.

use nalgebra::{Unit, Vector3};
use rayon::prelude::*;

use crate::mesh::Mesh;
use crate::mesh::section::Plane;

/// One segment of a layer's contour, material on its left; endpoints keyed by the mesh edge
/// they lie on, so that neighbouring segments share exact keys.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) from: [f64; 2],
    pub(super) to: [f64; 2],
    pub(super) from_key: u64,
    pub(super) to_key: u64,
}

/// Whole layers of (almost) the nominal height from the part's lowest point, sliced at
/// their mid-heights.
#[derive(Debug, Clone, Copy)]
struct Levels {
    lo: f64,
    dz: f64,
    n: usize,
}

impl Levels {
    /// The height of layer `k`'s slicing plane.
    fn at(&self, k: usize) -> f64 {
        self.lo + (k as f64 + 0.5) * self.dz
    }
}

/// The part's layers along the build axis: every layer's contour segments.
pub(super) struct Layers {
    /// Every vertex's height along the build axis and its coordinates in the layer plane.
    heights: Vec<f64>,
    uv: Vec<[f64; 2]>,
    levels: Levels,
    /// Extent in the layer plane over the vertices that triangles use: [u0, v0, u1, v1].
    pub(super) bounds: [f64; 4],
    /// Per chunk of triangles: its segments' edge keys grouped by layer, and where each
    /// layer's group starts.
    chunks: Vec<(Vec<[u64; 2]>, Vec<u32>)>,
}

impl Layers {
    /// Slices `mesh` with `build_axis` up into layers of about `layer_mm`; none when there is
    /// nothing to slice (no extent along the axis, or no layer height).
    pub(super) fn slice(
        mesh: &Mesh,
        build_axis: &Unit<Vector3<f64>>,
        layer_mm: f64,
    ) -> Option<Layers> {
        let axis = *build_axis;
        let (e1, e2) = Plane {
            axis,
            offset_mm: 0.0,
        }
        .basis();
        let a = axis.into_inner();
        let heights: Vec<f64> = mesh.vertices.par_iter().map(|v| a.dot(&v.coords)).collect();
        let uv: Vec<[f64; 2]> = mesh
            .vertices
            .par_iter()
            .map(|v| [e1.dot(&v.coords), e2.dot(&v.coords)])
            .collect();
        let (lo, hi, bounds) = extent(mesh, &heights, &uv);
        let sliceable = hi > lo && layer_mm > 0.0;
        if !sliceable {
            return None;
        }
        // Whole layers of (almost) the nominal height, sliced at their mid-heights.
        let n = ((hi - lo) / layer_mm).round().max(1.0) as usize;
        let dz = (hi - lo) / n as f64;
        let levels = Levels { lo, dz, n };
        let chunks = segment_keys(mesh, &heights, levels);
        Some(Layers {
            heights,
            uv,
            levels,
            bounds,
            chunks,
        })
    }

    /// The number of layers.
    pub(super) fn count(&self) -> usize {
        self.levels.n
    }

    /// The height of every layer (mm).
    pub(super) fn dz_mm(&self) -> f64 {
        self.levels.dz
    }

    /// The extent of the part in the layer plane (mm).
    pub(super) fn extent_mm(&self) -> [f64; 2] {
        let bb = self.bounds;
        [bb[2] - bb[0], bb[3] - bb[1]]
    }

    /// Where the layer plane at height `z` cuts the mesh edge `key`.
    fn edge_point(&self, key: u64, z: f64) -> [f64; 2] {
        let (heights, uv) = (&self.heights, &self.uv);
        let (x, y) = ((key >> 32) as usize, (key & 0xffff_ffff) as usize);
        let f = (heights[x] - z) / (heights[x] - heights[y]);
        [
            uv[x][0] + (uv[y][0] - uv[x][0]) * f,
            uv[x][1] + (uv[y][1] - uv[x][1]) * f,
        ]
    }

    /// Whether layer `k` has no contour segment.
    pub(super) fn is_empty(&self, k: usize) -> bool {
        self.chunks
            .iter()
            .all(|(_, offsets)| offsets[k] == offsets[k + 1])
    }

    /// The edge keys (from, to) of layer `k`'s segments, in the order of `segments(k)`.
    pub(super) fn keys(&self, k: usize) -> Vec<[u64; 2]> {
        self.chunks
            .iter()
            .flat_map(|(keys, offsets)| &keys[offsets[k] as usize..offsets[k + 1] as usize])
            .copied()
            .collect()
    }

    /// Whether layers `j` and `k` cut the same mesh edges in the same order (the straight
    /// walls of a prism between them): then their contours chain alike.
    pub(super) fn same_edges(&self, j: usize, k: usize) -> bool {
        self.chunks.iter().all(|(keys, offsets)| {
            keys[offsets[j] as usize..offsets[j + 1] as usize]
                == keys[offsets[k] as usize..offsets[k + 1] as usize]
        })
    }

    /// The contour segments of layer `k`, their points computed from the edge keys.
    pub(super) fn segments(&self, k: usize) -> Vec<Segment> {
        let z = self.levels.at(k);
        self.chunks
            .iter()
            .flat_map(|(keys, offsets)| &keys[offsets[k] as usize..offsets[k + 1] as usize])
            .map(|&[from_key, to_key]| Segment {
                from: self.edge_point(from_key, z),
                to: self.edge_point(to_key, z),
                from_key,
                to_key,
            })
            .collect()
    }
}

/// Extent over the vertices that triangles use: (lowest, highest, [u0, v0, u1, v1]).
fn extent(mesh: &Mesh, heights: &[f64], uv: &[[f64; 2]]) -> (f64, f64, [f64; 4]) {
    let empty = || {
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
        )
    };
    mesh.triangles
        .par_iter()
        .fold(empty, |(lo, hi, bb), t| {
            let mut r = (lo, hi, bb);
            for &i in t {
                let (h, p) = (heights[i as usize], uv[i as usize]);
                r.0 = r.0.min(h);
                r.1 = r.1.max(h);
                r.2 = [
                    r.2[0].min(p[0]),
                    r.2[1].min(p[1]),
                    r.2[2].max(p[0]),
                    r.2[3].max(p[1]),
                ];
            }
            r
        })
        .reduce(empty, |x, y| {
            (
                x.0.min(y.0),
                x.1.max(y.1),
                [
                    x.2[0].min(y.2[0]),
                    x.2[1].min(y.2[1]),
                    x.2[2].max(y.2[2]),
                    x.2[3].max(y.2[3]),
                ],
            )
        })
}

/// One pass over the triangles: the contour segments of every layer, per chunk of triangles.
///
/// A segment is stored as its two edge keys only (16 bytes; tall walls of a large mesh cross
/// tens of millions of layer planes); its points are recomputed per layer. Each chunk of
/// triangles keeps its segments grouped by layer, in triangle order (neighbours in a loop
/// are then usually near each other in memory).
fn segment_keys(mesh: &Mesh, heights: &[f64], levels: Levels) -> Vec<(Vec<[u64; 2]>, Vec<u32>)> {
    let n = levels.n;
    mesh.triangles
        .par_chunks(crate::mesh::SUM_CHUNK)
        .map(|chunk| {
            let mut tagged: Vec<(u32, [u64; 2])> = Vec::new();
            for t in chunk {
                triangle_segments(t, heights, levels, &mut tagged);
            }
            // Grouped by layer, in triangle order within a layer: a counting sort over the
            // layers (what a stable sort by layer gives, without its n log n on the tens of
            // millions of segments of tall, fine walls).
            let mut offsets = vec![0u32; n + 1];
            for (k, _) in &tagged {
                offsets[*k as usize + 1] += 1;
            }
            for k in 0..n {
                offsets[k + 1] += offsets[k];
            }
            let mut next = offsets.clone();
            let mut keys = vec![[0u64; 2]; tagged.len()];
            for (k, key) in &tagged {
                let slot = &mut next[*k as usize];
                keys[*slot as usize] = *key;
                *slot += 1;
            }
            (keys, offsets)
        })
        .collect()
}

/// The segments of triangle `t` on every layer it crosses, tagged with the layer.
fn triangle_segments(
    t: &[u32; 3],
    heights: &[f64],
    levels: Levels,
    tagged: &mut Vec<(u32, [u64; 2])>,
) {
    let (lo, dz, n) = (levels.lo, levels.dz, levels.n);
    let h = t.map(|i| heights[i as usize]);
    let (tlo, thi) = (h[0].min(h[1]).min(h[2]), h[0].max(h[1]).max(h[2]));
    // Levels in (tlo, thi]: a vertex exactly on a level counts as above it.
    let mut k = (((tlo - lo) / dz - 0.5).floor().max(0.0)) as usize;
    while k < n && levels.at(k) <= tlo {
        k += 1;
    }
    while k < n && levels.at(k) <= thi {
        let z = levels.at(k);
        // The segment runs from the edge the winding takes from above the level to below it,
        // to the edge it takes back up: with outward normals that leaves the material on the
        // left. Read from the topology, not from the segment's direction, so a segment of
        // zero length (a vertex on the level, common in finely tessellated exports) is
        // oriented like its neighbours and the layer's loops stay closed.
        let (mut down, mut up) = (None, None);
        for e in 0..3 {
            let j = (e + 1) % 3;
            let (above_e, above_j) = (h[e] >= z, h[j] >= z);
            if above_e != above_j {
                // Keyed from the lower vertex index: both triangles of the edge get the same
                // key, and the same point from it.
                let key = ((t[e].min(t[j]) as u64) << 32) | t[e].max(t[j]) as u64;
                if above_e {
                    down = Some(key);
                } else {
                    up = Some(key);
                }
            }
        }
        if let (Some(from), Some(to)) = (down, up) {
            let keys = [from, to];
            tagged.push((k as u32, keys));
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;

    #[test]
    fn a_box_slices_into_whole_layers_around_its_section() {
        // 4.14 mm at 0.2 mm: 20.7 layers round to 21 of 4.14/21 = 0.197143 mm.
        let mesh = cuboid([0.0, 0.0, 0.0], [20.0, 10.0, 4.14]);
        let layers = Layers::slice(&mesh, &Vector3::z_axis(), 0.2).expect("a box slices");
        assert_eq!(layers.count(), 21);
        assert!((layers.dz_mm() - 4.14 / 21.0).abs() < 1e-15);
        let e = layers.extent_mm();
        assert!((e[0] * e[1] - 200.0).abs() < 1e-9, "{e:?}");
        // Every layer's segments run around the 20 x 10 mm section: 60 mm, chained end to
        // start through their keys.
        for k in [0, 10, 20] {
            let segs = layers.segments(k);
            let len: f64 = segs
                .iter()
                .map(|s| (s.to[0] - s.from[0]).hypot(s.to[1] - s.from[1]))
                .sum();
            assert!((len - 60.0).abs() < 1e-9, "layer {k}: {len}");
            assert!(
                segs.iter()
                    .all(|s| segs.iter().any(|t| t.from_key == s.to_key))
            );
        }
        // Nothing to slice: no layer height, or a box of no height.
        assert!(Layers::slice(&mesh, &Vector3::z_axis(), 0.0).is_none());
        let flat = cuboid([0.0, 0.0, 0.0], [10.0, 10.0, 0.0]);
        assert!(Layers::slice(&flat, &Vector3::z_axis(), 0.2).is_none());
    }
}
