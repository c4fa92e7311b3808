//! Overlapping shells: closed shells of one file that intersect each other, or lie inside
//! another body's material, and their merge into one solid by a boolean union.
//!
//! Mesh modellers and some CAD exports write a plate and its ribs as separate closed shells,
//! the ribs sunk into the plate instead of joined to it. Each shell is closed, so the file
//! passes the edge checks, but the volume counts the overlap twice and the split takes the
//! ribs for other bodies. Here such shells are found and united:
//!
//! 1. Shells whose bounding boxes overlap are paired by a sweep along x; only the triangles
//!    inside the overlap of their shell's box with another shell's box go on.
//! 2. Those triangles go into one bounding volume hierarchy, which is traversed against itself;
//!    triangle pairs of different shells are tested with exact orientation predicates
//!    (Shewchuk's, from the `robust` crate), touching counting as intersecting.
//! 3. Each group of intersecting shells is united with boolmesh (a pure-Rust port of
//!    Manifold's boolean, which keeps the result closed and oriented).
//! 4. Among the shells that are left, none touching another, a shell is nested when its box
//!    lies inside another's; the winding number of the others at one of its vertices tells a
//!    void inside a body (kept), a body inside a void (kept) from a body inside a body's
//!    material or a void inside material that another body fills (both dropped: the union
//!    has no such surface).
//!
//! A file of one shell never gets here, so a single-shell part pays nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};

use nalgebra::Point3;
use rayon::prelude::*;
use robust::{Coord, Coord3D, orient2d, orient3d};

use super::check::{shell_bounds, shell_labels, shell_volumes, submesh};
use super::{Aabb, Mesh};

/// What [`merge_overlapping`] did to a mesh of closed, oriented shells.
#[derive(Debug, Clone)]
pub struct Merged {
    pub mesh: Mesh,
    /// Shells that intersect (or touch) another shell.
    pub intersecting: usize,
    /// Solids the intersecting shells became (one per group of shells joined by contact).
    pub solids: usize,
    /// Shells inside another body's material (or voids inside material a nested body fills),
    /// dropped because the union has no surface there.
    pub nested_dropped: usize,
    pub volume_before_mm3: f64,
    pub volume_after_mm3: f64,
}

impl Merged {
    /// Shells involved: intersecting ones and nested ones.
    pub fn overlapping(&self) -> usize {
        self.intersecting + self.nested_dropped
    }

    pub fn warning(&self) -> String {
        let mut what = Vec::new();
        if self.intersecting > 0 {
            what.push(format!(
                "{} shells overlap; merged into {} with a boolean union",
                self.intersecting,
                if self.solids == 1 {
                    "one solid".to_string()
                } else {
                    format!("{} solids", self.solids)
                }
            ));
        }
        if self.nested_dropped > 0 {
            what.push(format!(
                "{} shells lie inside another body's material and were dropped",
                self.nested_dropped
            ));
        }
        format!(
            "{}, volume {:.1} mm³ instead of {:.1} mm³",
            what.join("; "),
            self.volume_after_mm3,
            self.volume_before_mm3
        )
    }
}

/// Why overlapping shells could not be merged.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionError {
    /// Shells that intersect another.
    pub intersecting: usize,
    pub reason: String,
}

impl std::fmt::Display for UnionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} shells overlap and could not be merged into one solid: {}; unite them in CAD or a mesh tool first",
            self.intersecting, self.reason
        )
    }
}

/// Finds the shells of `mesh` (closed and oriented, labelled by `labels`) that overlap and
/// merges them. `Ok(None)` when no shell overlaps another: the mesh is right as it is.
pub fn merge_overlapping(
    mesh: &Mesh,
    labels: &[u32],
    shells: usize,
) -> Result<Option<Merged>, UnionError> {
    if shells < 2 {
        return Ok(None);
    }
    let origin = mesh.bounds().map(|b| b.center()).unwrap_or_default();
    let vols = shell_volumes(mesh, labels, shells, &origin);
    let boxes = shell_bounds(mesh, labels, shells);

    // Groups of intersecting shells.
    let mut groups = UnionFind::new(shells);
    for (a, b) in intersecting_shells(mesh, labels, &boxes) {
        groups.union(a, b);
    }
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); shells];
    for s in 0..shells as u32 {
        members[groups.find(s) as usize].push(s);
    }
    let clusters: Vec<&Vec<u32>> = members.iter().filter(|m| m.len() > 1).collect();
    let intersecting: usize = clusters.iter().map(|c| c.len()).sum();

    let merged = if clusters.is_empty() {
        None
    } else {
        if let Some(c) = clusters
            .iter()
            .find(|c| c.iter().any(|&s| vols[s as usize] < 0.0))
        {
            return Err(UnionError {
                intersecting,
                reason: format!(
                    "a void (an inward-facing shell) intersects {} other shells",
                    c.len() - 1
                ),
            });
        }
        let in_cluster: Vec<bool> = (0..shells as u32)
            .map(|s| members[groups.find(s) as usize].len() > 1)
            .collect();
        let mut by_shell: Vec<Vec<[u32; 3]>> = vec![Vec::new(); shells];
        let mut kept = Vec::new();
        for (t, &s) in mesh.triangles.iter().zip(labels) {
            if in_cluster[s as usize] {
                by_shell[s as usize].push(*t);
            } else {
                kept.push(*t);
            }
        }
        let mut out = submesh(&mesh.vertices, kept);
        for cluster in &clusters {
            let parts: Vec<Mesh> = cluster
                .iter()
                .map(|&s| submesh(&mesh.vertices, std::mem::take(&mut by_shell[s as usize])))
                .collect();
            let united = union_all(&parts).map_err(|reason| UnionError {
                intersecting,
                reason,
            })?;
            out.append(&united);
        }
        Some(out)
    };

    // Nested shells, on the merged mesh when there was a merge.
    let nested = match &merged {
        Some(m) => {
            let (l, n) = shell_labels(m.vertices.len(), &m.triangles);
            let v = shell_volumes(m, &l, n, &origin);
            let b = shell_bounds(m, &l, n);
            let drop = redundant_nested(m, &l, n, &v, &b);
            (drop, l)
        }
        None => (
            redundant_nested(mesh, labels, shells, &vols, &boxes),
            labels.to_vec(),
        ),
    };
    let (drop, labels_now) = nested;
    let nested_dropped = drop.iter().filter(|&&d| d).count();
    if merged.is_none() && nested_dropped == 0 {
        return Ok(None);
    }
    let base = merged.unwrap_or_else(|| mesh.clone());
    let mesh_after = if nested_dropped > 0 {
        let kept: Vec<[u32; 3]> = base
            .triangles
            .iter()
            .zip(&labels_now)
            .filter(|(_, s)| !drop[**s as usize])
            .map(|(t, _)| *t)
            .collect();
        submesh(&base.vertices, kept)
    } else {
        base
    };
    Ok(Some(Merged {
        volume_before_mm3: mesh.signed_volume_mm3(),
        volume_after_mm3: mesh_after.signed_volume_mm3(),
        mesh: mesh_after,
        intersecting,
        solids: clusters.len(),
        nested_dropped,
    }))
}

/// Pairs of shells (a < b) that have at least one pair of intersecting or touching triangles.
pub fn intersecting_shells(mesh: &Mesh, labels: &[u32], boxes: &[Aabb]) -> Vec<(u32, u32)> {
    let shells = boxes.len();
    // Sweep along x: each shell against those whose box starts before its box ends.
    let mut order: Vec<u32> = (0..shells as u32).collect();
    order.sort_by(|&a, &b| boxes[a as usize].min.x.total_cmp(&boxes[b as usize].min.x));
    // The hull of the overlaps of each shell's box with the others' boxes.
    let mut region: Vec<Option<Aabb>> = vec![None; shells];
    let mut pairs = 0usize;
    for (i, &a) in order.iter().enumerate() {
        let ba = &boxes[a as usize];
        for &b in &order[i + 1..] {
            let bb = &boxes[b as usize];
            if bb.min.x > ba.max.x {
                break;
            }
            if let Some(o) = overlap(ba, bb) {
                pairs += 1;
                for s in [a, b] {
                    let r = region[s as usize].get_or_insert(o);
                    *r = hull(r, &o);
                }
            }
        }
    }
    if pairs == 0 {
        return Vec::new();
    }
    // The triangles that may meet another shell.
    let candidates: Vec<u32> = (0..mesh.triangles.len() as u32)
        .into_par_iter()
        .filter(|&t| {
            region[labels[t as usize] as usize]
                .is_some_and(|r| overlap(&r, &triangle_box(mesh, t)).is_some())
        })
        .collect();
    let bvh = TriangleBvh::new(mesh, labels, candidates);
    let mut found = UnionFind::new(shells);
    let mut result = Vec::new();
    bvh.self_pairs(|ta, tb| {
        let (sa, sb) = (labels[ta as usize], labels[tb as usize]);
        if sa == sb || found.find(sa) == found.find(sb) {
            return;
        }
        if triangles_meet(
            &mesh.corners(&mesh.triangles[ta as usize]),
            &mesh.corners(&mesh.triangles[tb as usize]),
        ) {
            found.union(sa, sb);
            result.push((sa.min(sb), sa.max(sb)));
        }
    });
    result
}

/// Unites closed, oriented meshes with boolmesh.
fn union_all(parts: &[Mesh]) -> Result<Mesh, String> {
    use boolmesh::prelude::{Manifold, OpType, compute_boolean};
    let to_manifold = |m: &Mesh| -> Result<Manifold, String> {
        let pos: Vec<f64> = m.vertices.iter().flat_map(|p| [p.x, p.y, p.z]).collect();
        let idx: Vec<usize> = m.triangles.iter().flatten().map(|&i| i as usize).collect();
        Manifold::new(&pos, &idx)
    };
    // boolmesh reports bad input as errors, but an unforeseen configuration must not take
    // the whole run down: a panic inside it becomes this part's error.
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<Mesh, String> {
        // United in pairs, level by level: a group of k shells costs log k passes over its
        // triangles, where adding one shell after another to a growing result would cost k.
        let mut level = parts
            .iter()
            .map(to_manifold)
            .collect::<Result<Vec<_>, _>>()?;
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len().div_ceil(2));
            let mut it = level.into_iter();
            while let Some(a) = it.next() {
                next.push(match it.next() {
                    Some(b) => compute_boolean(&a, &b, OpType::Add)?,
                    None => a,
                });
            }
            level = next;
        }
        let acc = level.pop().expect("a group has shells");
        let vertices = acc.ps.iter().map(|p| Point3::new(p.x, p.y, p.z)).collect();
        let triangles = acc
            .hs
            .chunks_exact(3)
            .filter(|h| h.iter().all(|h| h.tail != usize::MAX))
            .map(|h| [h[0].tail as u32, h[1].tail as u32, h[2].tail as u32])
            .collect();
        Ok(Mesh::new(vertices, triangles))
    }))
    .map_err(|_| "the boolean union failed unexpectedly".to_string())??;
    let edges = super::check::edge_counts(result.vertices.len(), &result.triangles);
    if result.triangles.is_empty() || !edges.is_closed_and_oriented() {
        return Err(format!(
            "the boolean union is not a closed solid ({} boundary, {} non-manifold, {} inconsistent edges)",
            edges.boundary, edges.non_manifold, edges.inconsistent
        ));
    }
    Ok(result)
}

/// Which shells to drop because the union of all shells has no surface there: a body inside
/// another body's material, a void inside material that a nested body fills. Shells must not
/// touch each other.
///
/// A shell can only be nested when its box lies inside another shell's box. For each such
/// shell, the winding number of all the other shells at one of its vertices is counted along
/// one ray through a hierarchy over all triangles (so a part with thousands of voids costs
/// n log n, not voids x n).
fn redundant_nested(
    mesh: &Mesh,
    labels: &[u32],
    shells: usize,
    vols: &[f64],
    boxes: &[Aabb],
) -> Vec<bool> {
    let inside = |inner: &Aabb, outer: &Aabb| {
        (0..3).all(|k| outer.min[k] <= inner.min[k] && inner.max[k] <= outer.max[k])
    };
    // Shells whose box lies in another's, found by a sweep along x.
    let mut order: Vec<u32> = (0..shells as u32).collect();
    order.sort_by(|&a, &b| boxes[a as usize].min.x.total_cmp(&boxes[b as usize].min.x));
    let mut nested = vec![false; shells];
    for (i, &a) in order.iter().enumerate() {
        for &b in &order[i + 1..] {
            let (ba, bb) = (&boxes[a as usize], &boxes[b as usize]);
            if bb.min.x > ba.max.x {
                break;
            }
            if inside(bb, ba) {
                nested[b as usize] = true;
            }
            if inside(ba, bb) {
                nested[a as usize] = true;
            }
        }
    }
    if !nested.contains(&true) {
        return nested;
    }
    let mut probe = vec![u32::MAX; shells];
    for (t, &s) in mesh.triangles.iter().zip(labels) {
        if probe[s as usize] == u32::MAX {
            probe[s as usize] = t[0];
        }
    }
    let all = mesh.bounds().expect("shells have triangles");
    let candidates: Vec<u32> = (0..shells as u32).filter(|&s| nested[s as usize]).collect();
    // Only triangles near the rays go into the hierarchy: with one void, a thin column.
    let d = all.diagonal().max(1e-9);
    let mut column: Option<Aabb> = None;
    for &s in &candidates {
        let p = mesh.vertices[probe[s as usize] as usize];
        let b = Aabb {
            min: Point3::new(p.x - TILT * d, p.y - TILT * d, p.z),
            max: Point3::new(p.x + TILT * d, p.y + TILT * d, all.max.z + RISE * d),
        };
        column = Some(column.map_or(b, |c| hull(&c, &b)));
    }
    let column = column.expect("a nested shell");
    let near: Vec<u32> = (0..mesh.triangles.len() as u32)
        .into_par_iter()
        .filter(|&t| overlap(&column, &triangle_box(mesh, t)).is_some())
        .collect();
    let bvh = TriangleBvh::new(mesh, labels, near);
    let around: Vec<(u32, i64)> = candidates
        .par_iter()
        .map(|&s| {
            let p = mesh.vertices[probe[s as usize] as usize];
            (s, winding_of_others(mesh, labels, &bvh, &all, s, &p))
        })
        .collect();
    let mut drop = vec![false; shells];
    for (s, w) in around {
        drop[s as usize] = if vols[s as usize] > 0.0 {
            w >= 1
        } else {
            w >= 2
        };
    }
    drop
}

/// How far the rays of [`winding_of_others`] lean (at most, in x and y) and rise above the
/// part, as fractions of the part's diagonal.
const TILT: f64 = 1e-4;
const RISE: f64 = 0.01;

/// The winding number at `p` of every shell but `own`: the signed crossings of a ray from
/// `p` upward out of the part, +1 where it leaves a shell through an outward face, decided
/// with exact predicates. A ray that grazes an edge or a vertex is tried again slightly
/// tilted; should every tilt graze, the solid angles of all other triangles decide.
fn winding_of_others(
    mesh: &Mesh,
    labels: &[u32],
    bvh: &TriangleBvh,
    all: &Aabb,
    own: u32,
    p: &Point3<f64>,
) -> i64 {
    let d = all.diagonal().max(1e-9);
    'tilt: for (fx, fy) in [(0.37, 0.61), (-0.53, 0.29), (0.71, -0.43), (-0.19, -0.83)] {
        let q = Point3::new(
            p.x + TILT * d * fx,
            p.y + TILT * d * fy,
            all.max.z + RISE * d,
        );
        let reach = Aabb {
            min: p.inf(&q),
            max: p.sup(&q),
        };
        let mut w = 0i64;
        let mut grazed = false;
        bvh.overlapping(&reach, |t| {
            if grazed || labels[t as usize] == own {
                return;
            }
            let tri = mesh.corners(&mesh.triangles[t as usize]);
            let o = |x: &Point3<f64>| {
                orient3d(c3(&tri[0]), c3(&tri[1]), c3(&tri[2]), c3(x)).signum_or_zero()
            };
            let (sp, sq) = (o(p), o(&q));
            // p is on no other shell and q beyond the part, so neither end on a triangle
            // counts: a ray that only touches a triangle's plane at an end misses it.
            if sp * sq >= 0 {
                return;
            }
            let s: [i8; 3] = std::array::from_fn(|k| {
                orient3d(c3(p), c3(&q), c3(&tri[k]), c3(&tri[(k + 1) % 3])).signum_or_zero()
            });
            if s.contains(&1) && s.contains(&-1) {
                return;
            }
            if s.contains(&0) {
                grazed = true;
                return;
            }
            w += sp as i64;
        });
        if grazed {
            continue 'tilt;
        }
        return w;
    }
    let others: Vec<u32> = (0..mesh.triangles.len() as u32)
        .filter(|&t| labels[t as usize] != own)
        .collect();
    winding_number(mesh, &others, p)
}

/// The winding number of the closed shell made of `tris` at `p` (not on it): the sum of the
/// triangles' signed solid angles over 4π (Van Oosterom and Strackee 1983), +1 inside an
/// outward-facing shell, -1 inside a void, 0 outside.
fn winding_number(mesh: &Mesh, tris: &[u32], p: &Point3<f64>) -> i64 {
    let omega = super::par_sum(tris, |&t| {
        let [a, b, c] = mesh.corners(&mesh.triangles[t as usize]);
        let (a, b, c) = (a - p, b - p, c - p);
        let (la, lb, lc) = (a.norm(), b.norm(), c.norm());
        let num = a.dot(&b.cross(&c));
        let den = la * lb * lc + a.dot(&b) * lc + a.dot(&c) * lb + b.dot(&c) * la;
        2.0 * num.atan2(den)
    });
    (omega / (4.0 * std::f64::consts::PI)).round() as i64
}

fn overlap(a: &Aabb, b: &Aabb) -> Option<Aabb> {
    let min = a.min.sup(&b.min);
    let max = a.max.inf(&b.max);
    (min.x <= max.x && min.y <= max.y && min.z <= max.z).then_some(Aabb { min, max })
}

fn hull(a: &Aabb, b: &Aabb) -> Aabb {
    Aabb {
        min: a.min.inf(&b.min),
        max: a.max.sup(&b.max),
    }
}

fn triangle_box(mesh: &Mesh, t: u32) -> Aabb {
    let [a, b, c] = mesh.corners(&mesh.triangles[t as usize]);
    Aabb {
        min: a.inf(&b).inf(&c),
        max: a.sup(&b).sup(&c),
    }
}

#[inline]
fn c3(p: &Point3<f64>) -> Coord3D<f64> {
    Coord3D {
        x: p.x,
        y: p.y,
        z: p.z,
    }
}

/// Whether two triangles (closed point sets) share a point, decided with exact predicates.
pub fn triangles_meet(t: &[Point3<f64>; 3], u: &[Point3<f64>; 3]) -> bool {
    let side = |plane: &[Point3<f64>; 3], p: &Point3<f64>| {
        orient3d(c3(&plane[0]), c3(&plane[1]), c3(&plane[2]), c3(p)).signum_or_zero()
    };
    let su = u.map(|p| side(t, &p));
    if su.iter().all(|&s| s > 0) || su.iter().all(|&s| s < 0) {
        return false;
    }
    let st = t.map(|p| side(u, &p));
    if st.iter().all(|&s| s > 0) || st.iter().all(|&s| s < 0) {
        return false;
    }
    if su.iter().all(|&s| s == 0) {
        let drop = dominant_axis(t);
        return triangles_meet_2d(&t.map(|p| project(&p, drop)), &u.map(|p| project(&p, drop)));
    }
    // Two triangles in different planes meet exactly when an edge of one meets the other:
    // their common part is a segment whose ends lie on edges.
    (0..3).any(|k| segment_meets_triangle(&t[k], &t[(k + 1) % 3], st[k], st[(k + 1) % 3], u))
        || (0..3).any(|k| segment_meets_triangle(&u[k], &u[(k + 1) % 3], su[k], su[(k + 1) % 3], t))
}

trait SignumOrZero {
    fn signum_or_zero(self) -> i8;
}

impl SignumOrZero for f64 {
    fn signum_or_zero(self) -> i8 {
        if self > 0.0 {
            1
        } else if self < 0.0 {
            -1
        } else {
            0
        }
    }
}

/// Whether segment pq meets triangle `tri`; `sp`, `sq` are the sides of p and q of its plane.
fn segment_meets_triangle(
    p: &Point3<f64>,
    q: &Point3<f64>,
    sp: i8,
    sq: i8,
    tri: &[Point3<f64>; 3],
) -> bool {
    if sp * sq > 0 {
        return false;
    }
    if sp == 0 && sq == 0 {
        // The segment lies in the triangle's plane.
        let drop = dominant_axis(tri);
        let t2 = tri.map(|v| project(&v, drop));
        let (p2, q2) = (project(p, drop), project(q, drop));
        return point_in_triangle_2d(&p2, &t2)
            || (0..3).any(|k| segments_meet_2d(&p2, &q2, &t2[k], &t2[(k + 1) % 3]));
    }
    // The segment crosses the plane once; the crossing is inside the triangle when the line
    // pq passes every edge on the same side (or on it).
    let s: [i8; 3] = std::array::from_fn(|k| {
        orient3d(c3(p), c3(q), c3(&tri[k]), c3(&tri[(k + 1) % 3])).signum_or_zero()
    });
    !(s.contains(&1) && s.contains(&-1))
}

/// The coordinate to drop when projecting the triangle's plane to 2D (the normal's largest
/// component; projection by dropping a coordinate is exact).
fn dominant_axis(t: &[Point3<f64>; 3]) -> usize {
    let n = (t[1] - t[0]).cross(&(t[2] - t[0])).abs();
    if n.x >= n.y && n.x >= n.z {
        0
    } else if n.y >= n.z {
        1
    } else {
        2
    }
}

fn project(p: &Point3<f64>, drop: usize) -> Coord<f64> {
    match drop {
        0 => Coord { x: p.y, y: p.z },
        1 => Coord { x: p.z, y: p.x },
        _ => Coord { x: p.x, y: p.y },
    }
}

fn o2(a: &Coord<f64>, b: &Coord<f64>, c: &Coord<f64>) -> i8 {
    orient2d(*a, *b, *c).signum_or_zero()
}

fn point_in_triangle_2d(p: &Coord<f64>, t: &[Coord<f64>; 3]) -> bool {
    let s: [i8; 3] = std::array::from_fn(|k| o2(&t[k], &t[(k + 1) % 3], p));
    !(s.contains(&1) && s.contains(&-1))
}

fn segments_meet_2d(a: &Coord<f64>, b: &Coord<f64>, c: &Coord<f64>, d: &Coord<f64>) -> bool {
    let (d1, d2) = (o2(a, b, c), o2(a, b, d));
    let (d3, d4) = (o2(c, d, a), o2(c, d, b));
    if d1 * d2 < 0 && d3 * d4 < 0 {
        return true;
    }
    let on = |p: &Coord<f64>, q: &Coord<f64>, r: &Coord<f64>| {
        p.x.min(q.x) <= r.x && r.x <= p.x.max(q.x) && p.y.min(q.y) <= r.y && r.y <= p.y.max(q.y)
    };
    (d1 == 0 && on(a, b, c))
        || (d2 == 0 && on(a, b, d))
        || (d3 == 0 && on(c, d, a))
        || (d4 == 0 && on(c, d, b))
}

fn triangles_meet_2d(t: &[Coord<f64>; 3], u: &[Coord<f64>; 3]) -> bool {
    (0..3).any(|i| (0..3).any(|j| segments_meet_2d(&t[i], &t[(i + 1) % 3], &u[j], &u[(j + 1) % 3])))
        || point_in_triangle_2d(&t[0], u)
        || point_in_triangle_2d(&u[0], t)
}

/// Union-find over shells, joining towards the smaller root.
struct UnionFind(Vec<u32>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi as usize] = lo;
        }
    }
}

/// Triangles per leaf, at most.
const LEAF: usize = 4;
/// Marks a node whose triangles come from more than one shell.
const MIXED: u32 = u32::MAX;

/// A node of [`TriangleBvh`]: internal nodes have their left child right after them and the
/// right child at `right`; leaves hold `count` triangles from `first` on.
struct Node {
    bounds: Aabb,
    /// The shell of all its triangles, or [`MIXED`].
    shell: u32,
    first: u32,
    count: u32,
    right: u32,
}

/// A bounding volume hierarchy (median splits on the longest axis, f64 boxes) over some of a
/// mesh's triangles, for finding the pairs of triangles whose boxes overlap.
struct TriangleBvh {
    nodes: Vec<Node>,
    tris: Vec<u32>,
}

impl TriangleBvh {
    fn new(mesh: &Mesh, labels: &[u32], mut tris: Vec<u32>) -> Self {
        let boxes: Vec<Aabb> = tris.par_iter().map(|&t| triangle_box(mesh, t)).collect();
        // Work on indices into `boxes`, then map back to triangles.
        let mut idx: Vec<u32> = (0..tris.len() as u32).collect();
        let mut nodes = Vec::with_capacity(2 * tris.len() / LEAF + 1);
        if !idx.is_empty() {
            let shell_of = |i: u32| labels[tris[i as usize] as usize];
            build(&mut nodes, &boxes, &shell_of, &mut idx, 0);
        }
        tris = idx.iter().map(|&i| tris[i as usize]).collect();
        TriangleBvh { nodes, tris }
    }

    /// Calls `f` on every triangle whose box overlaps `b`.
    fn overlapping(&self, b: &Aabb, mut f: impl FnMut(u32)) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![0u32];
        while let Some(n) = stack.pop() {
            let node = &self.nodes[n as usize];
            if overlap(&node.bounds, b).is_none() {
                continue;
            }
            if node.count > 0 {
                for &t in &self.tris[node.first as usize..(node.first + node.count) as usize] {
                    f(t);
                }
            } else {
                stack.extend([n + 1, node.right]);
            }
        }
    }

    /// Calls `f` on every pair of distinct triangles whose boxes overlap and whose shells may
    /// differ (pairs inside one single-shell subtree are skipped).
    fn self_pairs(&self, mut f: impl FnMut(u32, u32)) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![(0u32, 0u32)];
        while let Some((a, b)) = stack.pop() {
            let (na, nb) = (&self.nodes[a as usize], &self.nodes[b as usize]);
            if na.shell != MIXED && na.shell == nb.shell {
                continue;
            }
            if a == b {
                if na.count > 0 {
                    let leaf = &self.tris[na.first as usize..(na.first + na.count) as usize];
                    for (i, &x) in leaf.iter().enumerate() {
                        for &y in &leaf[i + 1..] {
                            f(x, y);
                        }
                    }
                } else {
                    let (l, r) = (a + 1, na.right);
                    stack.extend([(l, l), (r, r), (l, r)]);
                }
                continue;
            }
            if overlap(&na.bounds, &nb.bounds).is_none() {
                continue;
            }
            match (na.count > 0, nb.count > 0) {
                (true, true) => {
                    for &x in &self.tris[na.first as usize..(na.first + na.count) as usize] {
                        for &y in &self.tris[nb.first as usize..(nb.first + nb.count) as usize] {
                            f(x, y);
                        }
                    }
                }
                // Descend into the internal node (the larger when both are).
                (false, true) => stack.extend([(a + 1, b), (na.right, b)]),
                (true, false) => stack.extend([(a, b + 1), (a, nb.right)]),
                (false, false) => {
                    if na.bounds.diagonal() >= nb.bounds.diagonal() {
                        stack.extend([(a + 1, b), (na.right, b)]);
                    } else {
                        stack.extend([(a, b + 1), (a, nb.right)]);
                    }
                }
            }
        }
    }
}

/// Builds the subtree over `idx` (indices into `boxes`, reordered in place; `offset` is where
/// `idx` starts in the whole array) and returns its node index.
fn build(
    nodes: &mut Vec<Node>,
    boxes: &[Aabb],
    shell_of: &impl Fn(u32) -> u32,
    idx: &mut [u32],
    offset: u32,
) -> u32 {
    let mut bounds = boxes[idx[0] as usize];
    let first_shell = shell_of(idx[0]);
    let mut shell = first_shell;
    let mut cmin = boxes[idx[0] as usize].center();
    let mut cmax = cmin;
    for &i in idx.iter() {
        let b = &boxes[i as usize];
        bounds = hull(&bounds, b);
        cmin = cmin.inf(&b.center());
        cmax = cmax.sup(&b.center());
        if shell_of(i) != first_shell {
            shell = MIXED;
        }
    }
    let me = nodes.len() as u32;
    nodes.push(Node {
        bounds,
        shell,
        first: offset,
        count: idx.len() as u32,
        right: 0,
    });
    if idx.len() <= LEAF {
        return me;
    }
    let ext = cmax - cmin;
    let axis = if ext.x >= ext.y && ext.x >= ext.z {
        0
    } else if ext.y >= ext.z {
        1
    } else {
        2
    };
    let mid = idx.len() / 2;
    idx.select_nth_unstable_by(mid, |&a, &b| {
        boxes[a as usize].center()[axis].total_cmp(&boxes[b as usize].center()[axis])
    });
    let (left, right) = idx.split_at_mut(mid);
    build(nodes, boxes, shell_of, left, offset);
    let r = build(nodes, boxes, shell_of, right, offset + mid as u32);
    let node = &mut nodes[me as usize];
    node.count = 0;
    node.right = r;
    me
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;

    fn p(x: f64, y: f64, z: f64) -> Point3<f64> {
        Point3::new(x, y, z)
    }

    #[test]
    fn triangle_pairs() {
        let t = [p(0.0, 0.0, 0.0), p(2.0, 0.0, 0.0), p(0.0, 2.0, 0.0)];
        // Piercing through the middle.
        assert!(triangles_meet(
            &t,
            &[p(0.5, 0.5, -1.0), p(0.5, 0.5, 1.0), p(0.6, 0.4, 1.0)]
        ));
        // Above, parallel.
        assert!(!triangles_meet(
            &t,
            &[p(0.0, 0.0, 1.0), p(2.0, 0.0, 1.0), p(0.0, 2.0, 1.0)]
        ));
        // Crossing the plane beside the triangle (x + y > 2).
        assert!(!triangles_meet(
            &t,
            &[p(1.5, 1.5, -1.0), p(1.5, 1.5, 1.0), p(3.0, 3.0, 0.0)]
        ));
        // Touching at a vertex from above.
        assert!(triangles_meet(
            &t,
            &[p(1.0, 1.0, 0.0), p(1.0, 1.0, 1.0), p(2.0, 2.0, 1.0)]
        ));
        // Coplanar, overlapping and apart.
        assert!(triangles_meet(
            &t,
            &[p(0.5, 0.5, 0.0), p(3.0, 0.5, 0.0), p(0.5, 3.0, 0.0)]
        ));
        assert!(!triangles_meet(
            &t,
            &[p(1.5, 1.5, 0.0), p(3.0, 1.5, 0.0), p(1.5, 3.0, 0.0)]
        ));
        // Coplanar, one inside the other without crossing edges.
        assert!(triangles_meet(
            &t,
            &[p(0.1, 0.1, 0.0), p(0.5, 0.1, 0.0), p(0.1, 0.5, 0.0)]
        ));
    }

    use crate::mesh::Units;
    use crate::mesh::check::{check_and_repair, edge_counts};

    fn closed(m: &Mesh) -> bool {
        edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented()
    }

    /// A 100 x 60 x 5 plate and three 4 x 40 ribs standing from z = 3 to 20, each its own
    /// shell, sunk 2 mm into the plate.
    fn plate_and_sunk_ribs() -> Mesh {
        let mut m = cuboid([0.0; 3], [100.0, 60.0, 5.0]);
        for x in [20.0, 48.0, 76.0] {
            m.append(&cuboid([x, 10.0, 3.0], [x + 4.0, 50.0, 20.0]));
        }
        m
    }

    #[test]
    fn sunk_ribs_are_united_with_the_plate() {
        let c = check_and_repair(plate_and_sunk_ribs(), Units::Mm);
        // Plate 100 * 60 * 5 = 30000, ribs 3 * 4 * 40 * 17 = 8160 as given; above the plate
        // 3 * 4 * 40 * 15 = 7200.
        assert_eq!(c.report.overlapping_shells, 4);
        assert_eq!(c.report.shells, 1);
        assert!(
            (c.report.volume_mm3 - 37200.0).abs() < 1e-6,
            "{}",
            c.report.volume_mm3
        );
        assert!(closed(&c.mesh));
        assert!(c.report.solid_problem().is_none());
        let w = c.report.warnings.join("\n");
        assert!(
            w.contains("4 shells overlap; merged into one solid with a boolean union, volume 37200.0 mm³ instead of 38160.0 mm³"),
            "{w}"
        );
    }

    #[test]
    fn twenty_ribs_are_united_in_pairs() {
        let mut m = cuboid([0.0; 3], [200.0, 20.0, 5.0]);
        for i in 0..20 {
            let x = 5.0 + 10.0 * i as f64;
            m.append(&cuboid([x, 5.0, 3.0], [x + 4.0, 15.0, 13.0]));
        }
        let c = check_and_repair(m, Units::Mm);
        // Plate 200 * 20 * 5 = 20000, above it 20 ribs of 4 * 10 * 8 = 320: 26400.
        assert_eq!(c.report.overlapping_shells, 21);
        assert_eq!(c.report.shells, 1);
        assert!(
            (c.report.volume_mm3 - 26400.0).abs() < 1e-6,
            "{}",
            c.report.volume_mm3
        );
        assert!(closed(&c.mesh));
    }

    #[test]
    fn a_rib_flush_with_the_plate_sides_is_united() {
        // Its y = 0 and y = 60 faces lie in the plate's: coplanar contact.
        let mut m = cuboid([0.0; 3], [100.0, 60.0, 5.0]);
        m.append(&cuboid([40.0, 0.0, 3.0], [44.0, 60.0, 20.0]));
        let c = check_and_repair(m, Units::Mm);
        // 30000 + 4 * 60 * 15 = 33600.
        assert_eq!(c.report.shells, 1);
        assert!(
            (c.report.volume_mm3 - 33600.0).abs() < 1e-6,
            "{}",
            c.report.volume_mm3
        );
        assert!(closed(&c.mesh));
    }

    #[test]
    fn disjoint_shells_and_a_void_stay_as_they_are() {
        let mut m = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        m.append(&cuboid([20.0, 0.0, 0.0], [30.0, 10.0, 10.0]));
        let c = check_and_repair(m.clone(), Units::Mm);
        assert_eq!(c.report.shells, 2);
        assert_eq!(c.report.overlapping_shells, 0);
        assert_eq!(c.mesh, m);

        let mut outer = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        let mut void = cuboid([4.0; 3], [6.0, 6.0, 6.0]);
        void.flip();
        outer.append(&void);
        let c = check_and_repair(outer.clone(), Units::Mm);
        assert_eq!(c.report.shells, 2);
        assert_eq!(c.report.overlapping_shells, 0);
        assert_eq!(c.mesh, outer);
        assert!((c.report.volume_mm3 - 992.0).abs() < 1e-9);
    }

    #[test]
    fn a_body_inside_a_body_is_dropped_but_not_one_inside_a_void() {
        let mut m = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        m.append(&cuboid([4.0; 3], [6.0, 6.0, 6.0]));
        let c = check_and_repair(m, Units::Mm);
        // 1000 + 8 counted before, 1000 after.
        assert_eq!(c.report.shells, 1);
        assert_eq!(c.report.overlapping_shells, 1);
        assert!((c.report.volume_mm3 - 1000.0).abs() < 1e-9);
        assert!(c.report.warnings.join(" ").contains(
            "1 shells lie inside another body's material and were dropped, volume 1000.0 mm³ instead of 1008.0 mm³"
        ));

        // A ball in a hollow box: box 1000 - void 6^3 = 784, plus the 2^3 body = 792.
        let mut m = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        let mut void = cuboid([2.0; 3], [8.0, 8.0, 8.0]);
        void.flip();
        m.append(&void);
        m.append(&cuboid([4.0; 3], [6.0, 6.0, 6.0]));
        let c = check_and_repair(m.clone(), Units::Mm);
        assert_eq!(c.report.shells, 3);
        assert_eq!(c.report.overlapping_shells, 0);
        assert!((c.report.volume_mm3 - 792.0).abs() < 1e-9);
    }

    #[test]
    fn a_void_crossing_another_shell_is_a_clear_error() {
        let mut m = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        let mut void = cuboid([2.0; 3], [8.0, 8.0, 8.0]);
        void.flip();
        m.append(&void);
        // A rib through the void's wall.
        m.append(&cuboid([1.0, 4.0, 4.0], [5.0, 6.0, 6.0]));
        let c = check_and_repair(m, Units::Mm);
        let why = c.report.solid_problem().expect("refused");
        assert!(
            why.contains("could not be merged") && why.contains("void"),
            "{why}"
        );
    }

    #[test]
    fn winding_numbers_of_a_box() {
        let m = cuboid([0.0; 3], [2.0, 2.0, 2.0]);
        let all: Vec<u32> = (0..12).collect();
        assert_eq!(winding_number(&m, &all, &p(1.0, 1.0, 1.0)), 1);
        assert_eq!(winding_number(&m, &all, &p(3.0, 1.0, 1.0)), 0);
        let mut f = m.clone();
        f.flip();
        assert_eq!(winding_number(&f, &all, &p(0.5, 1.5, 1.0)), -1);
    }
}
