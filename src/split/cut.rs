//! The planar cut: a closed mesh and a plane in, two closed, consistently oriented halves out,
//! sharing their seam vertices exactly, with the cap triangulated from the section.
//!
//! Robustness comes from classifying every vertex once, with a snap distance: a vertex within
//! `snap_mm` of the plane *is on it* for every triangle that uses it. So a plane through the
//! plate's top face leaves those facets whole (no slivers), and a plane through a vertex or along
//! an edge makes no new vertex there. A facet lying in the plane goes to the half it bounds: the
//! one behind its outward normal. Edges that really cross the plane get one new vertex each,
//! shared by the two triangles on that edge. The cap is then the region enclosed by the lower
//! half's open edges, triangulated by a constrained Delaunay triangulation that keeps every seam
//! vertex; the upper half gets the same triangles reversed. Volumes add up by construction: the
//! halves are the original triangles, subdivided, plus one cap counted once each way.

use hashbrown::{HashMap, HashSet};
use nalgebra::Point3;
use rayon::prelude::*;

use crate::mesh::Mesh;
use crate::mesh::check::{edge_counts, submesh_of};
use crate::mesh::polygon::{PolygonError, chain_loops, triangulate_rings};
use crate::mesh::section::Plane;

/// Why a cut failed. Each is a defect of the input (or, for `OpenHalf`, of this code): the
/// caller should report it with the file name.
#[derive(Debug, thiserror::Error)]
pub enum CutError {
    #[error("the section is not a valid polygon ({0}); the part may self-intersect at the cut")]
    Section(#[from] PolygonError),
    #[error(
        "the {half} half is not closed after the cut ({boundary} open, {non_manifold} non-manifold, {inconsistent} inconsistent edges)"
    )]
    OpenHalf {
        half: &'static str,
        boundary: usize,
        non_manifold: usize,
        inconsistent: usize,
    },
}

/// The section where the two halves meet, in the plane's 2D coordinates (see
/// [`Plane::basis`]) and as triangles.
#[derive(Debug, Clone, Default)]
pub struct Cap {
    /// 2D coordinates (mm) of the seam vertices in the plane.
    pub points_mm: Vec<[f64; 2]>,
    /// Closed loops (indices into `points_mm`), counter-clockwise around material seen from the
    /// tip of the axis, clockwise around holes.
    pub loops: Vec<Vec<u32>>,
    /// Counter-clockwise triangles (indices into `points_mm`).
    pub triangles: Vec<[u32; 3]>,
    /// Area of the section (mm²).
    pub area_mm2: f64,
}

/// The two halves of a cut, each closed and oriented outward, and the cap between them.
#[derive(Debug, Clone)]
pub struct CutHalves {
    /// Behind the plane (negative side of the axis).
    pub below: Mesh,
    /// In front of the plane (the side the axis points to).
    pub above: Mesh,
    pub cap: Cap,
}

/// Cuts a closed, oriented mesh by `plane`; vertices within `snap_mm` of it count as on it.
pub fn cut(mesh: &Mesh, plane: &Plane, snap_mm: f64) -> Result<CutHalves, CutError> {
    let side = classify_vertices(mesh, plane, snap_mm);
    let [mut below_tris, mut above_tris, crossing] = sort_triangles(mesh, plane, &side);
    let base = mesh.vertices.len();
    let (added, on_plane) = split_crossing(
        mesh,
        plane,
        &side,
        &crossing,
        &mut below_tris,
        &mut above_tris,
    );
    let seam = seam_edges(&below_tris, &above_tris, &on_plane);

    let vertex = |v: u32| -> Point3<f64> {
        let v = v as usize;
        if v < base {
            mesh.vertices[v]
        } else {
            added[v - base]
        }
    };
    let (cap, seam_ids) = build_cap(base + added.len(), vertex, plane, &seam)?;
    for t in &cap.triangles {
        let g = t.map(|i| seam_ids[i as usize]);
        below_tris.push(g);
        above_tris.push([g[0], g[2], g[1]]);
    }

    // Both halves are built and checked side by side.
    let build = |name: &'static str, tris: Vec<[u32; 3]>| -> Result<Mesh, CutError> {
        let m = submesh_of(&[&mesh.vertices, &added], tris);
        let e = edge_counts(m.vertices.len(), &m.triangles);
        if !e.is_closed_and_oriented() {
            return Err(CutError::OpenHalf {
                half: name,
                boundary: e.boundary,
                non_manifold: e.non_manifold,
                inconsistent: e.inconsistent,
            });
        }
        Ok(m)
    };
    let (below, above) = rayon::join(|| build("lower", below_tris), || build("upper", above_tris));
    let (below, above) = (below?, above?);
    Ok(CutHalves { below, above, cap })
}

/// Each vertex's side of the plane: 0 within `snap_mm` of it, else 1 in front, -1 behind.
fn classify_vertices(mesh: &Mesh, plane: &Plane, snap_mm: f64) -> Vec<i8> {
    mesh.vertices
        .par_iter()
        .map(|p| {
            let d = plane.distance(p);
            if d.abs() <= snap_mm {
                0
            } else if d > 0.0 {
                1
            } else {
                -1
            }
        })
        .collect()
}

/// The triangles wholly behind the plane, wholly in front of it, and those that cross it.
/// The first two (the vast majority) are sorted in parallel; the crossing ones are few and are
/// split one by one afterwards.
fn sort_triangles(mesh: &Mesh, plane: &Plane, side: &[i8]) -> [Vec<[u32; 3]>; 3] {
    let axis = plane.axis.into_inner();
    let kinds: Vec<u8> = mesh
        .triangles
        .par_iter()
        .map(|t| {
            let s = t.map(|i| side[i as usize]);
            let has_pos = s.contains(&1);
            let has_neg = s.contains(&-1);
            match (has_neg, has_pos) {
                (true, true) => 2,
                (true, false) => 0,
                (false, true) => 1,
                (false, false) => {
                    // In the plane: it bounds the half behind its outward normal.
                    let [a, b, c] = mesh.corners(t);
                    if (b - a).cross(&(c - a)).dot(&axis) >= 0.0 {
                        0
                    } else {
                        1
                    }
                }
            }
        })
        .collect();
    let mut counts = [0usize; 3];
    for &k in &kinds {
        counts[k as usize] += 1;
    }
    let mut lists = counts.map(Vec::with_capacity);
    for (t, &k) in mesh.triangles.iter().zip(&kinds) {
        lists[k as usize].push(*t);
    }
    lists
}

/// Splits the triangles that cross the plane into the two halves' lists. Vertices made where
/// edges cross the plane are numbered after the mesh's own; returns them, and for every vertex
/// (the mesh's and the new ones) whether it lies on the plane.
fn split_crossing(
    mesh: &Mesh,
    plane: &Plane,
    side: &[i8],
    crossing: &[[u32; 3]],
    below_tris: &mut Vec<[u32; 3]>,
    above_tris: &mut Vec<[u32; 3]>,
) -> (Vec<Point3<f64>>, Vec<bool>) {
    let base = mesh.vertices.len();
    let mut added: Vec<Point3<f64>> = Vec::new();
    let mut on_plane: Vec<bool> = side.iter().map(|&s| s == 0).collect();
    let mut crossing_vertex: HashMap<(u32, u32), u32> = HashMap::new();
    for t in crossing {
        let mut up: Vec<u32> = Vec::with_capacity(4);
        let mut down: Vec<u32> = Vec::with_capacity(4);
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            let (sa, sb) = (side[a as usize], side[b as usize]);
            if sa >= 0 {
                up.push(a);
            }
            if sa <= 0 {
                down.push(a);
            }
            if sa * sb < 0 {
                let key = (a.min(b), a.max(b));
                let x = *crossing_vertex.entry(key).or_insert_with(|| {
                    // Always from the lower index, so both triangles on the edge get the very
                    // same point.
                    let (p, q) = (mesh.vertices[key.0 as usize], mesh.vertices[key.1 as usize]);
                    let (dp, dq) = (plane.distance(&p), plane.distance(&q));
                    added.push(p + (q - p) * (dp / (dp - dq)));
                    on_plane.push(true);
                    (base + added.len() - 1) as u32
                });
                up.push(x);
                down.push(x);
            }
        }
        for (poly, out) in [(&up, &mut *above_tris), (&down, &mut *below_tris)] {
            for k in 1..poly.len().saturating_sub(1) {
                out.push([poly[0], poly[k], poly[k + 1]]);
            }
        }
    }
    (added, on_plane)
}

/// The seam: the lower half's open edges, which all lie in the plane and bound the section,
/// directed as in the lower half, sorted. They are the in-plane edges of one half whose twin
/// lies in the other half; whichever half has fewer in-plane edges is searched (for a plate,
/// usually the ribs' side).
fn seam_edges(
    below_tris: &[[u32; 3]],
    above_tris: &[[u32; 3]],
    on_plane: &[bool],
) -> Vec<(u32, u32)> {
    let in_plane = |tris: &[[u32; 3]]| -> Vec<(u32, u32)> {
        tris.par_iter()
            .flat_map_iter(|t| (0..3).map(move |k| (t[k], t[(k + 1) % 3])))
            .filter(|&(a, b)| on_plane[a as usize] && on_plane[b as usize])
            .collect()
    };
    let (below_edges, above_edges) = rayon::join(|| in_plane(below_tris), || in_plane(above_tris));
    let (edges, reverse) = if above_edges.len() < below_edges.len() {
        (above_edges, true)
    } else {
        (below_edges, false)
    };
    let set: HashSet<(u32, u32)> = edges.iter().copied().collect();
    let mut seam: Vec<(u32, u32)> = edges
        .into_iter()
        .filter(|&(a, b)| !set.contains(&(b, a)))
        .map(|(a, b)| if reverse { (b, a) } else { (a, b) })
        .collect();
    seam.sort_unstable();
    seam.dedup();
    seam
}

/// Triangulates the section bounded by the seam edges (directed as in the lower half, i.e.
/// clockwise around material seen from the tip of the axis) and assembles its loops. Also
/// returns, for each cap point, the index of its vertex (of `vertex_count`, each at `vertex`).
fn build_cap(
    vertex_count: usize,
    vertex: impl Fn(u32) -> Point3<f64>,
    plane: &Plane,
    seam: &[(u32, u32)],
) -> Result<(Cap, Vec<u32>), CutError> {
    if seam.is_empty() {
        return Ok((Cap::default(), Vec::new()));
    }
    let (e1, e2) = plane.basis();
    let origin = plane.project(&Point3::origin());
    // Seam vertices numbered 0.. in order of first appearance (a dense table, not a hash map:
    // a section can have hundreds of thousands of points).
    let mut local_of: Vec<u32> = vec![u32::MAX; vertex_count];
    let mut points: Vec<[f64; 2]> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    let mut local = |v: u32| -> u32 {
        let slot = &mut local_of[v as usize];
        if *slot == u32::MAX {
            let d = vertex(v) - origin;
            points.push([d.dot(&e1), d.dot(&e2)]);
            ids.push(v);
            *slot = (points.len() - 1) as u32;
        }
        *slot
    };
    // Reverse the lower half's edges: the cap runs counter-clockwise around material.
    let segments: Vec<[u32; 2]> = seam.iter().map(|&(a, b)| [local(b), local(a)]).collect();
    let loops = chain_loops(&segments);
    let triangles = triangulate_rings(&points, &loops)?;
    let area_mm2 = triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| points[i as usize]);
            0.5 * ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]))
        })
        .sum();
    let cap = Cap {
        loops,
        points_mm: points,
        triangles,
        area_mm2,
    };
    Ok((cap, ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;
    use nalgebra::{Rotation3, Unit, Vector3};

    fn volume(m: &Mesh) -> f64 {
        m.signed_volume_mm3()
    }

    #[test]
    fn cube_cut_through_the_middle_and_through_vertices() {
        let m = cuboid([0.0; 3], [2.0, 2.0, 2.0]);
        for z in [1.0, 0.5, 1e-3] {
            let plane = Plane::through(&Point3::new(0.0, 0.0, z), Vector3::z_axis());
            let h = cut(&m, &plane, 1e-9).unwrap();
            assert!((volume(&h.below) - 4.0 * z).abs() < 1e-12, "z {z}");
            assert!((volume(&h.above) - 4.0 * (2.0 - z)).abs() < 1e-12, "z {z}");
            assert!((h.cap.area_mm2 - 4.0).abs() < 1e-12);
            assert_eq!(h.cap.loops.len(), 1);
        }
        // A diagonal plane through two opposite edges of the cube (through vertices only).
        let n = Unit::new_normalize(Vector3::new(1.0, 0.0, -1.0));
        let h = cut(&m, &Plane::through(&Point3::origin(), n), 1e-9).unwrap();
        assert!((volume(&h.below) - 4.0).abs() < 1e-12);
        assert!((volume(&h.above) - 4.0).abs() < 1e-12);
        assert!((h.cap.area_mm2 - 2.0 * 8f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn plane_through_a_face_leaves_one_side_empty() {
        let m = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        let top = Plane::through(&Point3::new(0.0, 0.0, 1.0), Vector3::z_axis());
        let h = cut(&m, &top, 1e-9).unwrap();
        assert_eq!(h.above.triangles.len(), 0);
        assert!((volume(&h.below) - 1.0).abs() < 1e-12);
        assert_eq!(h.cap.area_mm2, 0.0);
    }

    #[test]
    fn ribbed_plate_rotated_cut_at_the_plate_top() {
        let part = crate::samples::ribbed_plate();
        let mut m = part.mesh();
        let rot = Rotation3::from_euler_angles(0.7, 0.2, -1.3);
        m.map_vertices(|p| rot * p);
        let axis = Unit::new_normalize(rot * Vector3::z());
        let plane = Plane::through(&(rot * Point3::new(0.0, 0.0, 3.0)), axis);
        let h = cut(&m, &plane, 1e-6).unwrap();
        assert!((volume(&h.below) - 28_800.0).abs() < 1e-7);
        assert!((volume(&h.above) - 14_400.0).abs() < 1e-7);
        assert!((h.cap.area_mm2 - 5.0 * 240.0).abs() < 1e-8);
        assert_eq!(h.cap.loops.len(), 5);
        // No new vertices: the plane runs through existing ones only.
        assert_eq!(
            h.below.vertices.len() + h.above.vertices.len(),
            m.vertices.len() + h.cap.points_mm.len()
        );
    }
}
