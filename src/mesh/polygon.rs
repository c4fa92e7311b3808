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

/// Signed area (counter-clockwise positive) of one closed ring of points (shoelace).
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let (p, q) = (ring[k], ring[(k + 1) % n]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum::<f64>()
        * 0.5
}

/// Length of one closed ring of points.
pub fn ring_perimeter(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let (p, q) = (ring[k], ring[(k + 1) % n]);
            (q[0] - p[0]).hypot(q[1] - p[1])
        })
        .sum()
}

/// Bounding box [x0, y0, x1, y1] of 2D points (infinite and inverted for none).
pub fn bbox2<'a>(points: impl IntoIterator<Item = &'a [f64; 2]>) -> [f64; 4] {
    points.into_iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        },
    )
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

/// Triangulates a region given as closed rings (indices into `points`; outer boundaries
/// counter-clockwise, holes clockwise), keeping every ring vertex, and returns
/// counter-clockwise triangles. This is the fast path for plane sections with many points:
/// rings are grouped into polygons with their holes and ear-clipped (the `earcut` crate) in
/// parallel; points that ear clipping drops because they are exactly collinear with their
/// neighbours are put back by fanning the triangle on that boundary edge. The result is checked
/// polygon by polygon (every ring edge is a triangle edge once, the areas agree); if a check
/// fails, for input
/// that ear clipping does not handle (touching or crossing rings), the constrained Delaunay
/// path ([`triangulate_even_odd`]) does the work instead.
pub fn triangulate_rings(
    points: &[[f64; 2]],
    rings: &[Vec<u32>],
) -> Result<Vec<[u32; 3]>, PolygonError> {
    if let Some(tris) = ear_clip_rings(points, rings) {
        return Ok(tris);
    }
    triangulate_even_odd(points, &ring_segments(rings))
}

/// Twice the signed area of a triangle.
#[inline]
fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])
}

/// Does `tris` triangulate exactly the region bounded by `segments`: every segment is a
/// directed triangle edge exactly once, no triangle edge runs against a segment, every other
/// edge is shared by exactly two triangles in opposite directions (no T-junction), every
/// triangle is counter-clockwise, and the areas agree?
fn conforms(points: &[[f64; 2]], segments: &[[u32; 2]], tris: &[[u32; 3]]) -> bool {
    let mut edges: HashMap<(u32, u32), u32> = HashMap::with_capacity(tris.len() * 3);
    let mut area2 = 0.0;
    for t in tris {
        let a2 = orient(
            points[t[0] as usize],
            points[t[1] as usize],
            points[t[2] as usize],
        );
        if a2.is_nan() || a2 <= 0.0 {
            return false;
        }
        area2 += a2;
        for k in 0..3 {
            *edges.entry((t[k], t[(k + 1) % 3])).or_insert(0) += 1;
        }
    }
    let boundary_ok = segments
        .iter()
        .all(|&[a, b]| edges.get(&(a, b)) == Some(&1) && !edges.contains_key(&(b, a)));
    // Every other edge must be met once from each side: an edge without its twin is a
    // T-junction (a vertex lying on it, as when the corners of several holes line up).
    let on_boundary: hashbrown::HashSet<(u32, u32)> =
        segments.iter().map(|&[a, b]| (a, b)).collect();
    let interior_ok = edges.iter().all(|(&(a, b), &count)| {
        on_boundary.contains(&(a, b)) || (count == 1 && edges.get(&(b, a)) == Some(&1))
    });
    let expected2 = 2.0 * signed_area(points, segments);
    let scale = tris.len().max(1) as f64 * f64::EPSILON * 64.0;
    boundary_ok && interior_ok && (area2 - expected2).abs() <= scale * expected2.abs().max(1e-300)
}

/// Ear clipping of ring groups, each checked with [`conforms`]; `None` when the rings cannot
/// be grouped (an empty or open ring, a hole outside every outer ring) or a group's
/// triangulation fails its check.
fn ear_clip_rings(points: &[[f64; 2]], rings: &[Vec<u32>]) -> Option<Vec<[u32; 3]>> {
    use rayon::prelude::*;
    let area = |r: &Vec<u32>| -> f64 {
        let n = r.len();
        (0..n)
            .map(|k| {
                let (p, q) = (points[r[k] as usize], points[r[(k + 1) % n] as usize]);
                p[0] * q[1] - q[0] * p[1]
            })
            .sum::<f64>()
            * 0.5
    };
    let bbox = |r: &Vec<u32>| bbox2(r.iter().map(|&i| &points[i as usize]));
    let inside = |r: &Vec<u32>, p: [f64; 2]| -> bool {
        let mut odd = false;
        let n = r.len();
        for k in 0..n {
            let (a, b) = (points[r[k] as usize], points[r[(k + 1) % n] as usize]);
            if (a[1] > p[1]) != (b[1] > p[1])
                && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
            {
                odd = !odd;
            }
        }
        odd
    };
    if rings.iter().any(|r| r.len() < 3) {
        return None;
    }
    let areas: Vec<f64> = rings.iter().map(area).collect();
    let boxes: Vec<[f64; 4]> = rings.iter().map(bbox).collect();
    let outers: Vec<usize> = (0..rings.len()).filter(|&k| areas[k] > 0.0).collect();
    let mut holes_of: Vec<Vec<usize>> = vec![Vec::new(); rings.len()];
    for h in (0..rings.len()).filter(|&k| areas[k] < 0.0) {
        let hb = boxes[h];
        // A point of the hole strictly inside its outer: the middle of its first edge.
        let (p, q) = (points[rings[h][0] as usize], points[rings[h][1] as usize]);
        let probe = [0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1])];
        let owner = outers
            .iter()
            .copied()
            .filter(|&o| {
                let ob = boxes[o];
                ob[0] <= hb[0] && ob[1] <= hb[1] && ob[2] >= hb[2] && ob[3] >= hb[3]
            })
            .filter(|&o| inside(&rings[o], probe))
            .min_by(|&a, &b| areas[a].total_cmp(&areas[b]))?;
        holes_of[owner].push(h);
    }
    let groups: Vec<Option<Vec<[u32; 3]>>> = outers
        .par_iter()
        .map(|&o| {
            let members: Vec<usize> = std::iter::once(o)
                .chain(holes_of[o].iter().copied())
                .collect();
            // A ring without holes that is monotone along its length (a straight or gently
            // curved rib's footprint) is triangulated in linear time; ear clipping such a
            // ring of thousands of points was most of a cut's time.
            if holes_of[o].is_empty()
                && let Some(tris) = triangulate_monotone(points, &rings[o])
                && conforms(
                    points,
                    &ring_segments(std::slice::from_ref(&rings[o])),
                    &tris,
                )
            {
                return Some(tris);
            }
            // Ear clipping bridges each hole into the outer ring by scanning the ring built so
            // far: its time grows with the square of the holes (a face with 33 k pores took
            // 9 s, 64 s with the pores turned by 45°, where each bridge search does more
            // work). A face with many holes goes to the constrained Delaunay triangulation
            // instead, O(n log n) whatever the holes (3.2 s and 2.9 s).
            if holes_of[o].len() > EAR_CLIP_MAX_HOLES {
                let tris = triangulate_group_cdt(points, members.iter().map(|&r| &rings[r]))?;
                let group_rings: Vec<Vec<u32>> =
                    members.iter().map(|&r| rings[r].clone()).collect();
                return conforms(points, &ring_segments(&group_rings), &tris).then_some(tris);
            }
            let mut ids: Vec<u32> = Vec::new();
            let mut starts: Vec<u32> = Vec::new();
            for (k, &r) in members.iter().enumerate() {
                if k > 0 {
                    starts.push(ids.len() as u32);
                }
                ids.extend_from_slice(&rings[r]);
            }
            if ids.len() >= (1 << 26) {
                return None;
            }
            let mut out: Vec<u32> = Vec::new();
            earcut::Earcut::new().earcut(
                ids.iter().map(|&i| points[i as usize]),
                &starts,
                &mut out,
            );
            let mut tris: Vec<[u32; 3]> = out
                .chunks_exact(3)
                .map(|c| {
                    let t = [ids[c[0] as usize], ids[c[1] as usize], ids[c[2] as usize]];
                    let [a, b, cc] = t.map(|i| points[i as usize]);
                    if orient(a, b, cc) < 0.0 {
                        [t[0], t[2], t[1]]
                    } else {
                        t
                    }
                })
                .collect();
            restore_dropped(points, members.iter().map(|&r| &rings[r]), &mut tris)?;
            // Checked group by group (in parallel, and each check small enough for the cache).
            let group_rings: Vec<Vec<u32>> = members.iter().map(|&r| rings[r].clone()).collect();
            conforms(points, &ring_segments(&group_rings), &tris).then_some(tris)
        })
        .collect();
    let mut all = Vec::new();
    for g in groups {
        all.extend(g?);
    }
    Some(all)
}

/// Polygons with more holes than this are not ear-clipped (see [`ear_clip_rings`]). Measured
/// on the lattice bench (load 10 on 2 cores): with 325 to 1,073 pores ear clipping took 92 to
/// 132 ms against 216 to 320 ms for the Delaunay path; with 33 k pores 9.3 s (64 s turned by
/// 45°) against 3.2 s (2.9 s). Scaled quadratically, ear clipping 1,024 holes costs about as
/// much as the Delaunay path, and bounds its own cost.
const EAR_CLIP_MAX_HOLES: usize = 1024;

/// The constrained Delaunay triangulation of one polygon (its rings given as indices into
/// `points`), on a compact copy of its own points so that its cost does not depend on the
/// other polygons; `None` when it fails (the caller's fallback handles the whole face).
fn triangulate_group_cdt<'r>(
    points: &[[f64; 2]],
    rings: impl Iterator<Item = &'r Vec<u32>>,
) -> Option<Vec<[u32; 3]>> {
    let mut local: Vec<[f64; 2]> = Vec::new();
    let mut global: Vec<u32> = Vec::new();
    let mut segments: Vec<[u32; 2]> = Vec::new();
    for r in rings {
        let start = global.len() as u32;
        let n = r.len() as u32;
        for &i in r {
            local.push(points[i as usize]);
            global.push(i);
        }
        segments.extend((0..n).map(|k| [start + k, start + (k + 1) % n]));
    }
    let tris = triangulate_even_odd(&local, &segments).ok()?;
    Some(
        tris.into_iter()
            .map(|t| t.map(|i| global[i as usize]))
            .collect(),
    )
}

/// Triangulates a simple counter-clockwise ring that is monotone along its principal axis (every
/// line across that axis meets it at most twice), in linear time, keeping every vertex: the
/// ring's two chains from its first to its last point along the axis are merged and swept with
/// a stack (de Berg et al., Computational Geometry, 2008, section 3.3). Points are ordered by
/// the axis and then across it, so that points level along the axis are ordered too. `None`
/// when the ring is not monotone that way, repeats a point, or a triangle would have no area;
/// the caller checks the result with [`conforms`] anyway.
fn triangulate_monotone(points: &[[f64; 2]], ring: &[u32]) -> Option<Vec<[u32; 3]>> {
    use std::cmp::Ordering;
    let n = ring.len();
    if n < 3 {
        return None;
    }
    let pts: Vec<[f64; 2]> = ring.iter().map(|&i| points[i as usize]).collect();
    let mean = pts
        .iter()
        .fold([0.0, 0.0], |m, p| [m[0] + p[0], m[1] + p[1]])
        .map(|c| c / n as f64);
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in &pts {
        let (x, y) = (p[0] - mean[0], p[1] - mean[1]);
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let (cos, sin) = (angle.cos(), angle.sin());
    let keys: Vec<[f64; 2]> = pts
        .iter()
        .map(|p| [cos * p[0] + sin * p[1], cos * p[1] - sin * p[0]])
        .collect();
    let cmp = |a: usize, b: usize| -> Ordering {
        keys[a][0]
            .total_cmp(&keys[b][0])
            .then(keys[a][1].total_cmp(&keys[b][1]))
    };
    let first = (0..n).min_by(|&a, &b| cmp(a, b))?;
    let last = (0..n).max_by(|&a, &b| cmp(a, b))?;
    // Chain 0 runs forward from the first point to the last (counter-clockwise, material on
    // its left), chain 1 backward; each must advance strictly along the order.
    let forward: Vec<usize> = (0..n)
        .map(|k| (first + k) % n)
        .take_while(|&k| k != last)
        .chain(std::iter::once(last))
        .collect();
    let backward: Vec<usize> = (0..n)
        .map(|k| (first + n - k) % n)
        .take_while(|&k| k != last)
        .chain(std::iter::once(last))
        .collect();
    if forward.len() + backward.len() != n + 2
        || forward
            .windows(2)
            .any(|w| cmp(w[0], w[1]) != Ordering::Less)
        || backward
            .windows(2)
            .any(|w| cmp(w[0], w[1]) != Ordering::Less)
    {
        return None;
    }
    // Merge the two chains (without their shared ends) into one sweep order.
    const BOTH: u8 = 2;
    let mut sweep: Vec<(usize, u8)> = Vec::with_capacity(n);
    sweep.push((first, BOTH));
    let (a, b) = (
        &forward[1..forward.len() - 1],
        &backward[1..backward.len() - 1],
    );
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && cmp(a[i], b[j]) == Ordering::Less) {
            sweep.push((a[i], 0));
            i += 1;
        } else {
            sweep.push((b[j], 1));
            j += 1;
        }
    }
    sweep.push((last, BOTH));
    let orient_at = |a: usize, b: usize, c: usize| orient(pts[a], pts[b], pts[c]);
    let mut tris: Vec<[u32; 3]> = Vec::with_capacity(n - 2);
    let mut emit = |a: usize, b: usize, c: usize| -> Option<()> {
        let o = orient_at(a, b, c);
        let t = if o > 0.0 {
            [a, b, c]
        } else if o < 0.0 {
            [a, c, b]
        } else {
            return None;
        };
        tris.push(t.map(|k| ring[k]));
        Some(())
    };
    let mut stack: Vec<(usize, u8)> = vec![sweep[0], sweep[1]];
    for &u in &sweep[2..n - 1] {
        let top = *stack.last()?;
        if u.1 != top.1 {
            // On the other chain: u sees every vertex on the stack.
            for w in stack.windows(2) {
                emit(w[0].0, w[1].0, u.0)?;
            }
            stack.clear();
            stack.push(top);
            stack.push(u);
        } else {
            // On the same chain: cut off the corners that turn towards the material.
            let mut popped = stack.pop()?;
            while let Some(&s) = stack.last() {
                let o = orient_at(s.0, popped.0, u.0);
                if !(if u.1 == 0 { o > 0.0 } else { o < 0.0 }) {
                    break;
                }
                emit(s.0, popped.0, u.0)?;
                popped = stack.pop()?;
            }
            stack.push(popped);
            stack.push(u);
        }
    }
    for w in stack.windows(2) {
        emit(w[0].0, w[1].0, last)?;
    }
    (tris.len() == n - 2).then_some(tris)
}

/// Puts back ring vertices that ear clipping dropped (exactly collinear with their kept
/// neighbours): each run of dropped vertices between kept vertices a and b lies on the
/// triangle edge a -> b, whose triangle is replaced by a fan through them.
fn restore_dropped<'r>(
    points: &[[f64; 2]],
    rings: impl Iterator<Item = &'r Vec<u32>>,
    tris: &mut Vec<[u32; 3]>,
) -> Option<()> {
    let mut used: HashMap<u32, ()> = HashMap::with_capacity(tris.len() * 2);
    for t in tris.iter() {
        for &i in t {
            used.insert(i, ());
        }
    }
    let mut runs: Vec<(u32, Vec<u32>, u32)> = Vec::new();
    for r in rings {
        let n = r.len();
        let start = (0..n).find(|&k| used.contains_key(&r[k]))?;
        let mut k = start;
        loop {
            let a = r[k];
            let mut dropped = Vec::new();
            let mut j = (k + 1) % n;
            while !used.contains_key(&r[j]) {
                dropped.push(r[j]);
                j = (j + 1) % n;
            }
            if !dropped.is_empty() {
                runs.push((a, dropped, r[j]));
            }
            k = j;
            if k == start {
                break;
            }
        }
    }
    if runs.is_empty() {
        return Some(());
    }
    let mut tri_of: HashMap<(u32, u32), usize> = HashMap::with_capacity(tris.len() * 3);
    let index = |tri_of: &mut HashMap<(u32, u32), usize>, i: usize, t: &[u32; 3]| {
        for k in 0..3 {
            tri_of.insert((t[k], t[(k + 1) % 3]), i);
        }
    };
    for (i, t) in tris.iter().enumerate() {
        index(&mut tri_of, i, t);
    }
    // Runs are handled one at a time: a triangle with two dropped runs on its edges is fanned
    // for the first, and the fan triangle on the second edge is fanned again.
    for (a, dropped, b) in runs {
        let &i = tri_of.get(&(a, b))?;
        let t = tris[i];
        let c = t.into_iter().find(|&v| v != a && v != b)?;
        let chain: Vec<u32> = std::iter::once(a)
            .chain(dropped)
            .chain(std::iter::once(b))
            .collect();
        for (k, w) in chain.windows(2).enumerate() {
            let [p, q, r] = [w[0], w[1], c].map(|v| points[v as usize]);
            if orient(p, q, r) <= 0.0 {
                return None;
            }
            let fan = [w[0], w[1], c];
            let slot = if k == 0 {
                tris[i] = fan;
                i
            } else {
                tris.push(fan);
                tris.len() - 1
            };
            index(&mut tri_of, slot, &fan);
        }
    }
    Some(())
}

/// Chains directed segments into closed loops (at a vertex where several loops touch, the
/// first unused outgoing segment is taken; the loops' union is the same either way).
pub fn chain_loops(segments: &[[u32; 2]]) -> Vec<Vec<u32>> {
    // Outgoing segments of each vertex, as a compressed table (vertices are 0..n).
    let n = segments
        .iter()
        .map(|s| s[0].max(s[1]) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut start = vec![0u32; n + 1];
    for s in segments {
        start[s[0] as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut outgoing = vec![0u32; segments.len()];
    for (k, s) in segments.iter().enumerate() {
        outgoing[fill[s[0] as usize] as usize] = k as u32;
        fill[s[0] as usize] += 1;
    }
    let mut used = vec![false; segments.len()];
    let mut loops = Vec::new();
    for first in 0..segments.len() {
        if used[first] {
            continue;
        }
        let mut ring = Vec::new();
        let mut k = first;
        loop {
            used[k] = true;
            ring.push(segments[k][0]);
            let v = segments[k][1] as usize;
            let next = outgoing[start[v] as usize..start[v + 1] as usize]
                .iter()
                .map(|&j| j as usize)
                .find(|&j| !used[j]);
            match next {
                Some(j) => k = j,
                None => break,
            }
        }
        loops.push(ring);
    }
    loops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_with_many_holes_is_triangulated_whole() {
        // A square of 5n mm with n x n square holes of 2 mm on a 5 mm pitch, every other one
        // turned by 45° (ear clipping took quadratic time on such faces): without added
        // points, n vertices and h holes make n + 2h - 2 triangles, 4 + 4n² + 2n² - 2 =
        // 6n² + 2, over 25n² - 4n² mm². n = 20 (400 holes) is ear-clipped, n = 40 (1,600)
        // goes to the Delaunay path.
        for n in [20usize, 40] {
            let side = 5.0 * n as f64;
            let mut points = vec![[0.0, 0.0], [side, 0.0], [side, side], [0.0, side]];
            let mut rings = vec![vec![0, 1, 2, 3]];
            for i in 0..n {
                for j in 0..n {
                    let c = [2.5 + 5.0 * i as f64, 2.5 + 5.0 * j as f64];
                    let turn = if (i + j) % 2 == 0 { 45f64 } else { 0.0 }.to_radians();
                    let start = points.len() as u32;
                    for k in 0..4 {
                        let a = turn + std::f64::consts::FRAC_PI_4
                            - k as f64 * std::f64::consts::FRAC_PI_2;
                        points.push([c[0] + 2f64.sqrt() * a.cos(), c[1] + 2f64.sqrt() * a.sin()]);
                    }
                    rings.push((start..start + 4).collect());
                }
            }
            let tris = triangulate_rings(&points, &rings).unwrap();
            assert_eq!(tris.len(), 6 * n * n + 2, "{n}");
            let area = 21.0 * (n * n) as f64;
            assert!((area_of(&points, &tris) - area).abs() < 1e-6 * area, "{n}");
        }
    }

    fn area_of(points: &[[f64; 2]], tris: &[[u32; 3]]) -> f64 {
        tris.iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| points[i as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) * 0.5
            })
            .sum()
    }

    /// Outer 10x10 square with an extra collinear point on each side (0..8), 2x2 hole (8..12).
    fn square_with_hole() -> Vec<[f64; 2]> {
        vec![
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
        ]
    }

    #[test]
    fn square_with_hole_and_collinear_points_keeps_every_vertex() {
        let points = square_with_hole();
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
    fn ring_fast_path_keeps_collinear_points_and_handles_holes() {
        // The same square with collinear side points and a hole, and a separate triangle.
        let mut points = square_with_hole();
        points.extend([[20.0, 0.0], [22.0, 0.0], [22.0, 2.0]]);
        let rings = vec![
            (0..8).collect::<Vec<u32>>(),
            vec![8, 9, 10, 11],
            vec![12, 13, 14],
        ];
        let fast = ear_clip_rings(&points, &rings).unwrap();
        let segs = ring_segments(&rings);
        assert!(conforms(&points, &segs, &fast));
        assert!((area_of(&points, &fast) - 98.0).abs() < 1e-12);
        let tris = triangulate_rings(&points, &rings).unwrap();
        assert_eq!(tris.len(), fast.len());
        // A ring touching itself at a point goes through the fallback and is still right.
        let bow = vec![
            [0.0, 0.0],
            [2.0, 0.0],
            [1.0, 1.0],
            [2.0, 2.0],
            [0.0, 2.0],
            [1.0, 1.0],
        ];
        let tris = triangulate_rings(&bow, &[vec![0, 1, 2, 3, 4, 5]]);
        if let Ok(t) = tris {
            assert!((area_of(&bow, &t) - 2.0).abs() < 1e-12);
        }
    }

    #[test]
    fn monotone_rings_are_swept_and_others_refused() {
        // A wavy strip (the footprint of a sine rib) with collinear points at its square ends.
        let wave = |x: f64| 1.5 * (x / 6.0).sin();
        let xs: Vec<f64> = (0..=200).map(|i| i as f64 * 0.5).collect();
        let mut points: Vec<[f64; 2]> = xs.iter().map(|&x| [x, wave(x) - 0.75]).collect();
        points.push([100.0, wave(100.0)]); // collinear with its neighbours
        points.extend(xs.iter().rev().map(|&x| [x, wave(x) + 0.75]));
        points.push([0.0, wave(0.0)]);
        let ring: Vec<u32> = (0..points.len() as u32).collect();
        let tris = triangulate_monotone(&points, &ring).expect("a strip is monotone");
        assert_eq!(tris.len(), ring.len() - 2);
        let segs = ring_segments(std::slice::from_ref(&ring));
        assert!(conforms(&points, &segs, &tris));
        assert!((area_of(&points, &tris) - signed_area(&points, &segs)).abs() < 1e-9);
        // The same strip rotated: the axis is found, not assumed.
        let (c, s) = (0.6f64, 0.8f64);
        let turned: Vec<[f64; 2]> = points
            .iter()
            .map(|p| [c * p[0] - s * p[1] + 7.0, s * p[0] + c * p[1] - 3.0])
            .collect();
        let tris = triangulate_monotone(&turned, &ring).unwrap();
        assert!(conforms(&turned, &segs, &tris));
        // A five-pointed star is monotone along no axis.
        let star: Vec<[f64; 2]> = (0..10)
            .map(|k| {
                let r = if k % 2 == 0 { 10.0 } else { 4.0 };
                let a = (90.0 + 36.0 * k as f64).to_radians();
                [r * a.cos(), r * a.sin()]
            })
            .collect();
        assert!(triangulate_monotone(&star, &(0..10).collect::<Vec<u32>>()).is_none());
        let u = vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 3.0],
            [1.0, 3.0],
            [1.0, 7.0],
            [10.0, 7.0],
            [10.0, 10.0],
            [0.0, 10.0],
        ];
        // Rings are right whichever way they are triangulated.
        let tris = triangulate_rings(&u, &[(0..8).collect()]).unwrap();
        assert!((area_of(&u, &tris) - (100.0 - 36.0)).abs() < 1e-12);
    }

    #[test]
    fn dropped_collinear_points_are_fanned_back_in() {
        // A square triangulated without its two collinear side points 1 and 3.
        let points = vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [2.0, 2.0],
            [0.0, 2.0],
        ];
        let ring = vec![0u32, 1, 2, 3, 4, 5];
        let mut tris = vec![[0, 2, 4], [0, 4, 5]];
        restore_dropped(&points, std::iter::once(&ring), &mut tris).unwrap();
        assert_eq!(tris.len(), 4);
        assert!(conforms(&points, &ring_segments(&[ring]), &tris));
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
