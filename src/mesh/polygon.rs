//! Planar regions bounded by line segments, and their triangulation.
//!
//! Faces of extruded parts and the caps of plane cuts must be triangulated *without adding or
//! dropping a single boundary vertex*: every vertex on the boundary is also a vertex of the
//! walls next to it, and a missing one leaves a T-junction (an open edge). Ear clipping (the
//! `earcut` family) drops collinear vertices by design, so we use spade's constrained Delaunay
//! triangulation, which keeps every input point and every constraint edge, with exact
//! predicates, and then keep the triangles inside the region by even-odd parity: walking from
//! the unbounded face, each crossing of a boundary segment toggles inside and outside.

use hashbrown::HashMap;
use spade::handles::{FixedFaceHandle, InnerTag};
use spade::{ConstrainedDelaunayTriangulation, Point2, Triangulation};

/// Why a planar region could not be triangulated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PolygonError {
    #[error("a boundary point is not finite")]
    NonFinite,
    #[error(
        "boundary segments cross each other ({0} crossings); the region is not a valid polygon"
    )]
    Crossing(usize),
    #[error("triangulation failed: {0}")]
    Triangulation(String),
}

/// Signed area (counter-clockwise positive) of the region bounded by directed segments.
pub fn signed_area(points: &[[f64; 2]], segments: &[[u32; 2]]) -> f64 {
    segments
        .iter()
        .map(|&[a, b]| {
            let (p, q) = (points[a as usize], points[b as usize]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum::<f64>()
        * 0.5
}

/// Directed segments of closed rings given as index lists.
pub fn ring_segments(rings: &[Vec<u32>]) -> Vec<[u32; 2]> {
    rings
        .iter()
        .flat_map(|r| (0..r.len()).map(move |k| [r[k], r[(k + 1) % r.len()]]))
        .collect()
}

/// Triangulates the region enclosed by `segments` (indices into `points`) under the even-odd
/// rule, returning counter-clockwise triangles as indices into `points`. Segments that occur
/// an even number of times (in either direction) cancel, which is what two faces meeting along
/// a shared edge want. Points equal in both coordinates are treated as one (the lowest index
/// is returned). Every input point stays a vertex.
pub fn triangulate_even_odd(
    points: &[[f64; 2]],
    segments: &[[u32; 2]],
) -> Result<Vec<[u32; 3]>, PolygonError> {
    Ok(triangulate_sets(points, &[segments])?
        .into_iter()
        .map(|(t, _)| t)
        .collect())
}

/// Triangulates the union of several regions at once, each given by its own boundary
/// segments (even-odd within each set), and tells for every triangle which regions contain it:
/// bit k of the mask is set when the triangle lies inside set k. Triangles inside none are
/// left out. Works in O(n log n): one constrained Delaunay triangulation of all boundaries and
/// one flood fill that toggles a region's bit whenever it crosses one of that region's
/// segments. Boundaries of different sets may coincide (a segment in two sets toggles both
/// bits) but must not cross. At most 32 sets.
pub fn triangulate_sets(
    points: &[[f64; 2]],
    sets: &[&[[u32; 2]]],
) -> Result<Vec<([u32; 3], u32)>, PolygonError> {
    assert!(sets.len() <= 32, "at most 32 segment sets");
    // Deduplicate points exactly, so that spade's vertex order maps back one to one.
    let mut first_of: HashMap<[u64; 2], u32> = HashMap::with_capacity(points.len());
    let mut unique: Vec<Point2<f64>> = Vec::with_capacity(points.len());
    let mut original: Vec<u32> = Vec::with_capacity(points.len());
    let mut to_unique = vec![0usize; points.len()];
    for (i, p) in points.iter().enumerate() {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return Err(PolygonError::NonFinite);
        }
        let key = [(p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits()];
        let u = *first_of.entry(key).or_insert_with(|| {
            unique.push(Point2::new(p[0], p[1]));
            original.push(i as u32);
            (unique.len() - 1) as u32
        });
        to_unique[i] = u as usize;
    }
    // Which sets each undirected segment toggles (odd count within the set).
    let mut toggles: HashMap<(usize, usize), u32> = HashMap::new();
    for (k, set) in sets.iter().enumerate() {
        for &[a, b] in set.iter() {
            let (a, b) = (to_unique[a as usize], to_unique[b as usize]);
            if a != b {
                *toggles.entry((a.min(b), a.max(b))).or_insert(0) ^= 1 << k;
            }
        }
    }
    let mut edges: Vec<[usize; 2]> = toggles
        .iter()
        .filter(|&(_, &mask)| mask != 0)
        .map(|(&(a, b), _)| [a, b])
        .collect();
    if edges.is_empty() {
        return Ok(Vec::new());
    }
    edges.sort_unstable();
    let expected_constraints = edges.len();
    let mut conflicts = 0usize;
    let cdt =
        ConstrainedDelaunayTriangulation::<Point2<f64>>::try_bulk_load_cdt(unique, edges, |_| {
            conflicts += 1
        })
        .map_err(|e| PolygonError::Triangulation(format!("{e:?}")))?;
    if conflicts > 0 {
        return Err(PolygonError::Crossing(conflicts));
    }
    if cdt.num_constraints() != expected_constraints {
        // spade split a segment at a point lying on it: the boundaries overlap or touch in
        // a way that the sets do not describe consistently.
        return Err(PolygonError::Crossing(
            cdt.num_constraints().abs_diff(expected_constraints),
        ));
    }
    let mask_of = |e: spade::handles::DirectedEdgeHandle<'_, Point2<f64>, (), _, ()>| -> u32 {
        if !e.as_undirected().is_constraint_edge() {
            return 0;
        }
        let (a, b) = (e.from().fix().index(), e.to().fix().index());
        toggles.get(&(a.min(b), a.max(b))).copied().unwrap_or(0)
    };
    // Flood fill from the unbounded face: the faces along the convex hull start with the
    // masks of their hull edges; each further crossing toggles the crossed segment's sets.
    let mut inside: Vec<Option<u32>> = vec![None; cdt.num_all_faces()];
    let mut stack: Vec<(FixedFaceHandle<InnerTag>, u32)> = Vec::new();
    for h in cdt.convex_hull() {
        for e in [h, h.rev()] {
            if let Some(f) = e.face().as_inner() {
                stack.push((f.fix(), mask_of(e)));
            }
        }
    }
    while let Some((f, here)) = stack.pop() {
        if inside[f.index()].is_some() {
            continue;
        }
        inside[f.index()] = Some(here);
        for e in cdt.face(f).adjacent_edges() {
            if let Some(g) = e.rev().face().as_inner()
                && inside[g.fix().index()].is_none()
            {
                stack.push((g.fix(), here ^ mask_of(e)));
            }
        }
    }
    Ok(cdt
        .inner_faces()
        .filter_map(|f| {
            let mask = inside[f.fix().index()].unwrap_or(0);
            (mask != 0).then(|| (f.vertices().map(|v| original[v.fix().index()]), mask))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area_of(points: &[[f64; 2]], tris: &[[u32; 3]]) -> f64 {
        tris.iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| points[i as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) * 0.5
            })
            .sum()
    }

    #[test]
    fn square_with_hole_and_collinear_points_keeps_every_vertex() {
        // Outer 10x10 square with an extra collinear point on each side; 2x2 hole.
        let points = vec![
            [0.0, 0.0],
            [5.0, 0.0],
            [10.0, 0.0],
            [10.0, 5.0],
            [10.0, 10.0],
            [5.0, 10.0],
            [0.0, 10.0],
            [0.0, 5.0],
            [4.0, 4.0],
            [4.0, 6.0],
            [6.0, 6.0],
            [6.0, 4.0],
        ];
        let rings = vec![(0..8).collect::<Vec<u32>>(), vec![8, 9, 10, 11]];
        let segs = ring_segments(&rings);
        let tris = triangulate_even_odd(&points, &segs).unwrap();
        assert!((area_of(&points, &tris) - 96.0).abs() < 1e-12);
        assert!((signed_area(&points, &segs) - 96.0).abs() < 1e-12);
        let mut used = [false; 12];
        for t in &tris {
            for &i in t {
                used[i as usize] = true;
            }
        }
        assert!(used.iter().all(|&u| u), "a boundary vertex was dropped");
        // Every triangle counter-clockwise.
        assert!(tris.iter().all(|t| {
            let [a, b, c] = t.map(|i| points[i as usize]);
            (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]) > 0.0
        }));
    }

    #[test]
    fn doubled_segments_cancel_and_crossings_are_errors() {
        // Two unit squares side by side sharing the edge x = 1: the shared edge cancels.
        let points = vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [0.0, 1.0],
            [2.0, 0.0],
            [2.0, 1.0],
        ];
        let segs = ring_segments(&[vec![0, 1, 2, 3], vec![1, 4, 5, 2]]);
        let tris = triangulate_even_odd(&points, &segs).unwrap();
        assert!((area_of(&points, &tris) - 2.0).abs() < 1e-12);

        let bow = vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]];
        let segs = ring_segments(&[vec![0, 1, 2, 3]]);
        assert!(matches!(
            triangulate_even_odd(&bow, &segs),
            Err(PolygonError::Crossing(_))
        ));
    }
}
