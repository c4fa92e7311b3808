//! Pores and pins in 3D, built exactly from the 2D layout.
//!
//! The baseplate's face in the cut plane (the plate's top face and the interface, facing along
//! the normal) and the molded region's face in the plane (the interface, facing against it)
//! are each re-triangulated with the pores as holes, keeping every boundary vertex, so they
//! still meet the rest of their meshes edge to edge. Each pore becomes, in the baseplate, a
//! blind hole of the given depth (walls facing into the void, a floor facing up) and, in the
//! molded region, a pin filling it exactly (the same walls reversed, a bottom facing down).
//! Both meshes compute every pore vertex from the same 2D point by the same expression, so
//! pores and pins coincide bit for bit, and the volume the baseplate loses is the volume the
//! molded region gains: the sum stays the part's volume.
//!
//! An exact construction rather than a mesh boolean (boolmesh and friends): the pores are
//! prisms on a plane face, the case booleans find hardest (coplanar faces everywhere), and
//! building them directly costs a triangulation of the face and a few triangles per pore edge.

use hashbrown::HashMap;
use nalgebra::{Point3, Vector3};

use crate::mesh::Mesh;
use crate::mesh::check::edge_counts;
use crate::mesh::polygon::{PolygonError, chain_loops, triangulate_rings};
use crate::mesh::section::Plane;

/// Why pores could not be added.
#[derive(Debug, thiserror::Error)]
pub enum PoreError {
    #[error("the {0} has no face in the cut plane to put pores into")]
    NoFace(&'static str),
    #[error("the {0}'s face in the cut plane cannot be triangulated with the pores: {1}")]
    Face(&'static str, PolygonError),
    #[error(
        "the {half} is not closed after adding the pores ({boundary} open, {non_manifold} non-manifold edges)"
    )]
    Open {
        half: &'static str,
        boundary: usize,
        non_manifold: usize,
    },
}

/// The plane's 2D frame: a point and two unit axes with u × v = the plane normal.
#[derive(Debug, Clone, Copy)]
pub struct PlaneFrame {
    pub plane: Plane,
    pub origin: Point3<f64>,
    pub u: Vector3<f64>,
    pub v: Vector3<f64>,
}

impl PlaneFrame {
    /// The frame [`Plane::basis`] gives, with the origin at the plane's point nearest the world
    /// origin (the frame the split's footprint loops are in).
    pub fn of(plane: Plane) -> Self {
        let (u, v) = plane.basis();
        PlaneFrame {
            plane,
            origin: plane.project(&Point3::origin()),
            u,
            v,
        }
    }

    fn to_2d(self, p: &Point3<f64>) -> [f64; 2] {
        let d = p - self.origin;
        [d.dot(&self.u), d.dot(&self.v)]
    }

    /// The 3D point of 2D `q`, `below` mm behind the plane.
    fn to_3d(self, q: [f64; 2], below: f64) -> Point3<f64> {
        self.origin + self.u * q[0] + self.v * q[1] - self.plane.axis.into_inner() * below
    }
}

/// Re-triangulates the face of `mesh` lying in the plane and facing `facing` (+1 along the
/// normal, -1 against it) with `pores` (counter-clockwise 2D rings) as holes, and adds a prism
/// of depth `depth_mm` behind the plane at each pore: a blind hole for the face looking along
/// the normal (the baseplate), a pin for the one looking against it (the molded region).
#[allow(clippy::too_many_arguments)]
fn punch(
    mesh: &Mesh,
    frame: &PlaneFrame,
    facing: f64,
    pores: &[Vec<[f64; 2]>],
    depth_mm: f64,
    profile: PoreProfile,
    snap_mm: f64,
    half: &'static str,
) -> Result<Mesh, PoreError> {
    let (face, rest) = face_in_plane(mesh, frame, facing, snap_mm, half)?;
    let mut flat = face_outline(mesh, frame, facing, &face);
    let mut vertices = mesh.vertices.clone();
    let prisms = pore_prisms(&mut vertices, &mut flat, frame, pores, depth_mm, profile);
    let tris =
        triangulate_rings(&flat.points, &flat.rings).map_err(|e| PoreError::Face(half, e))?;
    let mut triangles = rest;
    for t in tris {
        triangles.push(facing_along(t.map(|i| flat.ids[i as usize]), facing));
    }
    pore_walls_and_floors(&mut triangles, pores, &prisms, facing, half)?;
    let out = crate::mesh::check::submesh(&vertices, triangles);
    let e = edge_counts(out.vertices.len(), &out.triangles);
    if !e.is_closed_and_oriented() {
        return Err(PoreError::Open {
            half,
            boundary: e.boundary,
            non_manifold: e.non_manifold + e.inconsistent,
        });
    }
    Ok(out)
}

/// Triangle `t` as given for a face looking along the normal (`facing` > 0), turned for one
/// looking against it: the one place the two halves' triangles differ.
fn facing_along(t: [u32; 3], facing: f64) -> [u32; 3] {
    if facing > 0.0 { t } else { [t[0], t[2], t[1]] }
}

/// The triangles of a mesh in the cut plane (the face), and all the others.
type FaceAndRest = (Vec<[u32; 3]>, Vec<[u32; 3]>);

/// The triangles of `mesh` lying in the plane (within `snap_mm`): the face the pores go into,
/// and the rest of the mesh; an error when the face has no area facing `facing`. A step of
/// its own: which triangles count as the face is the one judgement the construction makes.
fn face_in_plane(
    mesh: &Mesh,
    frame: &PlaneFrame,
    facing: f64,
    snap_mm: f64,
    half: &'static str,
) -> Result<FaceAndRest, PoreError> {
    let n = frame.plane.axis.into_inner();
    let on_plane: Vec<bool> = mesh
        .vertices
        .iter()
        .map(|p| frame.plane.distance(p).abs() <= snap_mm)
        .collect();
    // Every triangle lying in the plane is part of the face: a closed half on one side of
    // the plane can only have its faces in the plane looking out of that side. Their computed
    // normals are not asked: a sliver (three nearly collinear corners, as CAD exports and
    // rounding to f32 leave) can point either way, and leaving it out would leave its long
    // edge as a boundary running through the face (found on a turned, scaled sample).
    let (face, rest): (Vec<[u32; 3]>, Vec<[u32; 3]>) = mesh
        .triangles
        .iter()
        .partition(|t| t.iter().all(|&i| on_plane[i as usize]));
    let area: f64 = face
        .iter()
        .map(|t| {
            let [a, b, c] = mesh.corners(t);
            (b - a).cross(&(c - a)).dot(&n) * facing
        })
        .sum();
    if area.is_nan() || area <= 0.0 {
        return Err(PoreError::NoFace(half));
    }
    if face.is_empty() {
        return Err(PoreError::NoFace(half));
    }
    Ok((face, rest))
}

/// The face in the plane's 2D frame, ready to triangulate: its points, the mesh vertex each
/// stands for (`ids`, parallel to `points`) and its rings of point indices.
struct FlatFace {
    points: Vec<[f64; 2]>,
    ids: Vec<u32>,
    rings: Vec<Vec<u32>>,
}

/// The boundary of `face` (its directed edges whose twin is not in the face, in sorted order)
/// chained into counter-clockwise rings of 2D points, seen from the tip of the normal.
fn face_outline(mesh: &Mesh, frame: &PlaneFrame, facing: f64, face: &[[u32; 3]]) -> FlatFace {
    let edges: hashbrown::HashSet<(u32, u32)> = face
        .iter()
        .flat_map(|t| (0..3).map(move |k| (t[k], t[(k + 1) % 3])))
        .collect();
    let mut boundary: Vec<(u32, u32)> = edges
        .iter()
        .filter(|&&(a, b)| !edges.contains(&(b, a)))
        .copied()
        .collect();
    boundary.sort_unstable();
    let mut points: Vec<[f64; 2]> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    let mut local_of: HashMap<u32, u32> = HashMap::new();
    let mut local = |v: u32, points: &mut Vec<[f64; 2]>, ids: &mut Vec<u32>| -> u32 {
        *local_of.entry(v).or_insert_with(|| {
            points.push(frame.to_2d(&mesh.vertices[v as usize]));
            ids.push(v);
            (points.len() - 1) as u32
        })
    };
    // Seen from the tip of the normal, the boundary of a face looking along it runs
    // counter-clockwise around it; of a face looking against it, clockwise: turn those.
    let segments: Vec<[u32; 2]> = boundary
        .iter()
        .map(|&(a, b)| {
            let (la, lb) = (
                local(a, &mut points, &mut ids),
                local(b, &mut points, &mut ids),
            );
            if facing > 0.0 { [la, lb] } else { [lb, la] }
        })
        .collect();
    let rings = chain_loops(&segments);
    FlatFace { points, ids, rings }
}

/// Each pore's rings of 3D vertices down its profile (the top ring in the plane, then the
/// neck's if it flares, then the floor's), and the floor's 2D outline.
struct PorePrisms {
    levels: Vec<Vec<Vec<u32>>>,
    floors: Vec<Vec<[f64; 2]>>,
}

/// Adds every pore's vertices: its rings down the profile to `vertices`, and its top ring,
/// clockwise (a hole), to the flat face, on those new vertices. The prisms' triangles come
/// after the face is triangulated ([`pore_walls_and_floors`]).
fn pore_prisms(
    vertices: &mut Vec<Point3<f64>>,
    flat: &mut FlatFace,
    frame: &PlaneFrame,
    pores: &[Vec<[f64; 2]>],
    depth_mm: f64,
    profile: PoreProfile,
) -> PorePrisms {
    // Pore rings, clockwise (holes), on new vertices in the plane; below them the rings of
    // the profile: straight down to the depth, or down to the neck and out to the flared
    // bottom ring.
    let mut levels: Vec<Vec<Vec<u32>>> = Vec::with_capacity(pores.len());
    let mut floors: Vec<Vec<[f64; 2]>> = Vec::with_capacity(pores.len());
    for pore in pores {
        let mut ring = Vec::with_capacity(pore.len());
        let floor = if profile.flare_mm > 0.0 {
            offset_convex(pore, profile.flare_mm)
        } else {
            pore.clone()
        };
        let mut rings_3d: Vec<(Vec<[f64; 2]>, f64)> = vec![(pore.clone(), 0.0)];
        if profile.flare_mm > 0.0 {
            rings_3d.push((pore.clone(), profile.neck_mm));
        }
        rings_3d.push((floor.clone(), depth_mm));
        let mut ids_3d = Vec::with_capacity(rings_3d.len());
        for (r, below) in &rings_3d {
            let mut level = Vec::with_capacity(r.len());
            for &q in r {
                vertices.push(frame.to_3d(q, *below));
                level.push((vertices.len() - 1) as u32);
            }
            ids_3d.push(level);
        }
        for &q in pore {
            flat.points.push(q);
            ring.push((flat.points.len() - 1) as u32);
        }
        flat.ids.extend(&ids_3d[0]);
        ring.reverse();
        flat.rings.push(ring);
        levels.push(ids_3d);
        floors.push(floor);
    }
    PorePrisms { levels, floors }
}

/// The pores' walls (a band of quads between each pair of successive rings) and floors (the
/// floor ring triangulated), facing into the void for a hole and out of the pin for a pin.
fn pore_walls_and_floors(
    triangles: &mut Vec<[u32; 3]>,
    pores: &[Vec<[f64; 2]>],
    prisms: &PorePrisms,
    facing: f64,
    half: &'static str,
) -> Result<(), PoreError> {
    for (pore, (level, floor)) in pores.iter().zip(prisms.levels.iter().zip(&prisms.floors)) {
        let k = pore.len();
        for pair in level.windows(2) {
            let (top, bottom) = (&pair[0], &pair[1]);
            for i in 0..k {
                let j = (i + 1) % k;
                // For a counter-clockwise ring, (t_i, t_j, b_j), (t_i, b_j, b_i) face into the
                // prism: right for a hole's walls (towards the void); a pin's face out of it.
                // The flared walls are planar too: the offset keeps every edge parallel.
                let quad = [[top[i], top[j], bottom[j]], [top[i], bottom[j], bottom[i]]];
                for q in quad {
                    triangles.push(facing_along(q, facing));
                }
            }
        }
        // The floor of a hole faces along the normal, the end of a pin against it.
        let bottom = &level[level.len() - 1];
        let tris = triangulate_rings(floor, &[(0..k as u32).collect()])
            .map_err(|e| PoreError::Face(half, e))?;
        for t in tris {
            triangles.push(facing_along(t.map(|i| bottom[i as usize]), facing));
        }
    }
    Ok(())
}

/// The prism of the footprint (counter-clockwise outer loops, clockwise holes, in the frame's
/// 2D coordinates) from the plane down to `depth_mm` behind it: the zone under the interface,
/// as a closed mesh of its own.
pub fn footprint_prism(
    frame: &PlaneFrame,
    loops: &[Vec<[f64; 2]>],
    depth_mm: f64,
) -> Result<Mesh, PoreError> {
    let mut points: Vec<[f64; 2]> = Vec::new();
    let mut rings: Vec<Vec<u32>> = Vec::new();
    for l in loops {
        rings.push((points.len() as u32..(points.len() + l.len()) as u32).collect());
        points.extend(l);
    }
    let n = points.len() as u32;
    let mut vertices: Vec<Point3<f64>> = points.iter().map(|&q| frame.to_3d(q, 0.0)).collect();
    vertices.extend(points.iter().map(|&q| frame.to_3d(q, depth_mm)));
    let face =
        triangulate_rings(&points, &rings).map_err(|e| PoreError::Face("interface zone", e))?;
    let mut triangles: Vec<[u32; 3]> = Vec::new();
    for t in &face {
        triangles.push(*t); // top, facing along the normal
        triangles.push([t[0] + n, t[2] + n, t[1] + n]); // bottom, facing against it
    }
    for r in &rings {
        for k in 0..r.len() {
            let (i, j) = (r[k], r[(k + 1) % r.len()]);
            // Outward for a counter-clockwise ring (and, run the other way, for a hole).
            triangles.push([i, j + n, j]);
            triangles.push([i, i + n, j + n]);
        }
    }
    let m = Mesh::new(vertices, triangles);
    let e = edge_counts(m.vertices.len(), &m.triangles);
    if !e.is_closed_and_oriented() {
        return Err(PoreError::Open {
            half: "interface zone",
            boundary: e.boundary,
            non_manifold: e.non_manifold + e.inconsistent,
        });
    }
    Ok(m)
}

/// The section of a pore down its depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoreProfile {
    /// Depth of the straight neck under the interface before the flare starts.
    pub neck_mm: f64,
    /// How far the pore's outline moves outward from the neck to the floor (0: straight).
    pub flare_mm: f64,
}

impl PoreProfile {
    pub const STRAIGHT: PoreProfile = PoreProfile {
        neck_mm: 0.0,
        flare_mm: 0.0,
    };
}

/// A convex counter-clockwise ring moved outward by `d` (every edge parallel to itself, the
/// corners mitred): the exact offset of a convex polygon.
pub fn offset_convex(ring: &[[f64; 2]], d: f64) -> Vec<[f64; 2]> {
    let n = ring.len();
    let normal = |a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l = (dx * dx + dy * dy).sqrt().max(1e-300);
        [dy / l, -dx / l]
    };
    (0..n)
        .map(|i| {
            let (p, q, r) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            let (n1, n2) = (normal(p, q), normal(q, r));
            let k = d / (1.0 + n1[0] * n2[0] + n1[1] * n2[1]);
            [q[0] + k * (n1[0] + n2[0]), q[1] + k * (n1[1] + n2[1])]
        })
        .collect()
}

/// Adds blind pores of `depth_mm` to the baseplate and matching pins to the molded region.
/// `pores` are counter-clockwise rings in the frame's 2D coordinates, inside the interface
/// and clear of its edges (see [`super::layout`]); the depth must leave material under them.
pub fn add_pores_and_pins(
    baseplate: &Mesh,
    molded: &Mesh,
    frame: &PlaneFrame,
    pores: &[Vec<[f64; 2]>],
    depth_mm: f64,
    snap_mm: f64,
) -> Result<(Mesh, Mesh), PoreError> {
    add_profiled_pores_and_pins(
        baseplate,
        molded,
        frame,
        pores,
        depth_mm,
        PoreProfile::STRAIGHT,
        snap_mm,
    )
}

/// [`add_pores_and_pins`] with a pore profile: straight, or a dovetail that flares out
/// below a straight neck (the pores must then be convex, as every layout pattern's are).
pub fn add_profiled_pores_and_pins(
    baseplate: &Mesh,
    molded: &Mesh,
    frame: &PlaneFrame,
    pores: &[Vec<[f64; 2]>],
    depth_mm: f64,
    profile: PoreProfile,
    snap_mm: f64,
) -> Result<(Mesh, Mesh), PoreError> {
    let (b, m) = rayon::join(
        || {
            punch(
                baseplate,
                frame,
                1.0,
                pores,
                depth_mm,
                profile,
                snap_mm,
                "baseplate",
            )
        },
        || {
            punch(
                molded,
                frame,
                -1.0,
                pores,
                depth_mm,
                profile,
                snap_mm,
                "molded region",
            )
        },
    );
    Ok((b?, m?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interface::layout::{LayoutParams, Pattern, lay_out};

    #[test]
    fn pores_and_pins_coincide_and_keep_the_volume() {
        // The ribbed plate cut at its top by hand (the split itself sits above this module).
        let part = crate::samples::grid_plate().mesh();
        let plane = Plane {
            axis: Vector3::z_axis(),
            offset_mm: 3.0,
        };
        let halves = crate::mesh::check::check_and_repair(part.clone(), Default::default());
        assert!(halves.report.watertight);
        let (below, above) = cut_by_hand(&part, &plane);
        let frame = PlaneFrame::of(plane);
        // The interface: the rib grid's footprint, as loops in the frame.
        let layout = lay_out(
            &grid_footprint(),
            &LayoutParams {
                pattern: Pattern::Grid,
                pore_mm: 1.0,
                wall_mm: 0.8,
                margin_mm: 0.4,
                angle_deg: 0.0,
                phase_mm: [0.0, 0.0],
                min_pore_mm: 0.8,
                round_segments: 12,
            },
        );
        assert!(layout.pores.len() > 500);
        let rings: Vec<Vec<[f64; 2]>> = layout.pores.iter().map(|p| p.outline_mm.clone()).collect();
        let depth = 1.2;
        let (b, m) = add_pores_and_pins(&below, &above, &frame, &rings, depth, 1e-9).unwrap();
        let removed = layout.pore_area_mm2 * depth;
        assert!((b.signed_volume_mm3() - (28_800.0 - removed)).abs() < 1e-6);
        assert!((m.signed_volume_mm3() - (23_280.0 + removed)).abs() < 1e-6);
        // Every pin vertex is a pore vertex of the baseplate, bit for bit.
        let key = |p: &Point3<f64>| [p.x.to_bits(), p.y.to_bits(), p.z.to_bits()];
        let base: hashbrown::HashSet<_> = b.vertices.iter().map(key).collect();
        let pins = m.vertices.iter().filter(|p| p.z < 3.0 - 1e-9);
        let mut count = 0;
        for p in pins {
            assert!(base.contains(&key(p)));
            count += 1;
        }
        assert_eq!(count, rings.iter().map(|r| r.len()).sum::<usize>());
    }

    #[test]
    fn dovetail_pores_keep_the_volume_and_match_the_frustum() {
        let plane = Plane {
            axis: Vector3::z_axis(),
            offset_mm: 3.0,
        };
        let frame = PlaneFrame::of(plane);
        let (below, above) = cut_by_hand(&crate::samples::grid_plate().mesh(), &plane);
        // One square pore 1 x 1 mm in a wide part of the rib grid's footprint (the outer rim
        // is 5 mm wide at x in [20, 25]), neck 0.4 mm, flared by 0.6 mm to the floor at 1.0.
        let c = frame.to_2d(&Point3::new(22.5, 40.0, 3.0));
        let sq = vec![
            [c[0] - 0.5, c[1] - 0.5],
            [c[0] + 0.5, c[1] - 0.5],
            [c[0] + 0.5, c[1] + 0.5],
            [c[0] - 0.5, c[1] + 0.5],
        ];
        let area = crate::mesh::polygon::ring_area(&sq);
        let sq = if area < 0.0 {
            sq.into_iter().rev().collect()
        } else {
            sq
        };
        let profile = PoreProfile {
            neck_mm: 0.4,
            flare_mm: 0.6,
        };
        let (b, m) =
            add_profiled_pores_and_pins(&below, &above, &frame, &[sq], 1.0, profile, 1e-9).unwrap();
        // Neck 1 x 1 x 0.4 = 0.4 mm3; the flare is a frustum of squares 1 and 2.2 mm over
        // 0.6 mm: h/3 (A0 + A1 + sqrt(A0 A1)) = 0.2 (1 + 4.84 + 2.2) = 1.608 mm3.
        let pin = 0.4 + 0.2 * (1.0 + 4.84 + 2.2);
        assert!((b.signed_volume_mm3() - (28_800.0 - pin)).abs() < 1e-9);
        assert!((m.signed_volume_mm3() - (23_280.0 + pin)).abs() < 1e-9);
        assert!((b.signed_volume_mm3() + m.signed_volume_mm3() - 52_080.0).abs() < 1e-9);
        // The offset of a square is the square 2 * 0.6 mm wider.
        let o = offset_convex(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], 0.6);
        assert!((o[0][0] + 0.6).abs() < 1e-12 && (o[2][1] - 1.6).abs() < 1e-12);
    }

    #[test]
    fn the_footprint_prism_is_closed_with_area_times_depth() {
        let frame = PlaneFrame::of(Plane {
            axis: Vector3::z_axis(),
            offset_mm: 3.0,
        });
        let zone = footprint_prism(&frame, &grid_footprint(), 1.2).unwrap();
        // The rib grid's footprint: 1940 mm² (see samples), 1.2 mm below the plane.
        assert!((zone.signed_volume_mm3() - 1940.0 * 1.2).abs() < 1e-9);
        let b = zone.bounds().unwrap();
        assert!((b.max.z - 3.0).abs() < 1e-12 && (b.min.z - 1.8).abs() < 1e-12);
    }

    /// The grid plate's rib footprint in the plane frame of z = 3 (whose u, v are the world's
    /// x, y up to sign): the sample's grid region with its 24 cells as holes.
    fn grid_footprint() -> Vec<Vec<[f64; 2]>> {
        let frame = PlaneFrame::of(Plane {
            axis: Vector3::z_axis(),
            offset_mm: 3.0,
        });
        let part = crate::samples::grid_plate();
        part.layers[1]
            .rings
            .iter()
            .map(|r| {
                let mut ring: Vec<[f64; 2]> = r
                    .iter()
                    .map(|q| frame.to_2d(&Point3::new(q[0], q[1], 3.0)))
                    .collect();
                // Keep outer rings counter-clockwise in the frame.
                let area: f64 = (0..ring.len())
                    .map(|k| {
                        let (p, q) = (ring[k], ring[(k + 1) % ring.len()]);
                        p[0] * q[1] - q[0] * p[1]
                    })
                    .sum();
                let outer = crate::samples::ring_area(r) > 0.0;
                if (area > 0.0) != outer {
                    ring.reverse();
                }
                ring
            })
            .collect()
    }

    /// A plate-top cut of an extruded sample without the split module: the layers below and
    /// above z = 3 built as separate closed meshes share the footprint face.
    fn cut_by_hand(_part: &Mesh, _plane: &Plane) -> (Mesh, Mesh) {
        let s = crate::samples::grid_plate();
        let below = crate::samples::extrude_layers(&s.layers[..1]).unwrap();
        let above = crate::samples::extrude_layers(&s.layers[1..]).unwrap();
        (below, above)
    }
}
