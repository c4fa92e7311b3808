//! Split a part into the printed baseplate and the overmolded rib region.
//!
//! [`split`] finds the plate ([`detect`]) unless told where to cut, cuts the part there
//! ([`cut`]), and measures what later stages need: volumes, the footprint where the two meet,
//! the rib bodies, the projected area along the mold opening direction and the wall thickness.

pub(crate) mod bvh;
pub mod cut;
pub mod detect;
pub mod thickness;

use std::borrow::Cow;

use nalgebra::{Point3, Unit, Vector3};
use rayon::prelude::*;
use serde::Serialize;

use crate::mesh::Mesh;
use crate::mesh::check::shell_labels;
use crate::mesh::section::Plane;
pub use cut::{Cap, CutError, CutHalves};
pub use detect::{Detection, PlateFinding};
pub use thickness::WallThickness;

/// Vertices within this fraction of the part's diagonal of a cut plane count as on it.
pub const SNAP_FRACTION: f64 = 1e-6;

/// Which rib region(s) to cut off when the plate carries ribs on both faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The larger rib region (or the one the given normal points to).
    #[default]
    Main,
    /// The rib region on the other face.
    Other,
    /// Both: the baseplate is the plate alone, the molded region both rib regions.
    Both,
}

/// Where to cut, when not found automatically.
#[derive(Debug, Clone, Copy, Default)]
pub struct SplitOptions {
    /// Mold opening direction: the ribs are on the side it points to. Detected if `None`.
    pub normal: Option<Vector3<f64>>,
    /// Cut this far (mm) along the normal from the part's lowest point.
    pub height_mm: Option<f64>,
    /// Cut by this plane (point, normal); the molded region is on the normal's side.
    pub plane: Option<(Point3<f64>, Vector3<f64>)>,
    pub side: Side,
}

/// Why a part could not be split.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("{0}")]
    NotSolid(String),
    /// No plate along any axis tried: the reasons, the options that cut anyway, and the axis
    /// tried first (the part's largest section), by which a part without a plate is placed.
    #[error("no plate found: {reasons}; {advice}")]
    NoPlate {
        reasons: String,
        advice: String,
        first_axis: Option<[f64; 3]>,
    },
    #[error("nothing to mold: {0}")]
    NothingToMold(String),
    #[error("invalid {what}: {why}")]
    BadOption { what: &'static str, why: String },
    #[error("cut failed: {0}")]
    Cut(#[from] CutError),
}

/// A cut plane: a point on it and its unit normal, pointing into the molded region.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SplitPlane {
    pub point_mm: [f64; 3],
    pub normal: [f64; 3],
}

/// The section where the baseplate and the molded region meet, in the cut plane.
#[derive(Debug, Clone, Serialize)]
pub struct Footprint {
    pub area_mm2: f64,
    /// Closed loops in the plane's 2D coordinates (mm): counter-clockwise around material.
    pub loops_mm: Vec<Vec<[f64; 2]>>,
    /// The plane's 2D axes in 3D (u, v), with u × v = the plane normal; origin is the plane point
    /// nearest to the world origin.
    pub u_axis: [f64; 3],
    pub v_axis: [f64; 3],
    pub origin_mm: [f64; 3],
}

/// What the split knows about itself. Lengths mm, areas mm², volumes mm³.
#[derive(Debug, Clone, Serialize)]
pub struct SplitFacts {
    pub plane_point_mm: [f64; 3],
    pub plane_normal: [f64; 3],
    /// The second cut, when both faces' ribs are cut off.
    pub second_plane: Option<SplitPlane>,
    pub side: Side,
    /// Found by detection (true) or given by the user (false).
    pub detected: bool,
    pub plate_thickness_mm: f64,
    pub footprint_area_mm2: f64,
    pub part_volume_mm3: f64,
    pub baseplate_volume_mm3: f64,
    pub molded_volume_mm3: f64,
    pub rib_bodies: usize,
    pub baseplate_bbox_min_mm: [f64; 3],
    pub baseplate_bbox_max_mm: [f64; 3],
    pub molded_bbox_min_mm: [f64; 3],
    pub molded_bbox_max_mm: [f64; 3],
    /// Area of the molded region projected along the plane normal (mold opening direction).
    pub projected_area_mm2: f64,
    /// Height of the molded region along the normal, from the cut plane.
    pub molded_height_mm: f64,
    pub max_wall_thickness_mm: Option<f64>,
    pub wall_thickness: Option<WallThickness>,
    pub plate: Option<PlateFinding>,
    /// Other separate bodies in the file, left out of the split (their volumes).
    pub other_bodies_mm3: Vec<f64>,
    pub warnings: Vec<String>,
}

/// The result: both meshes (in the part's own position, mm), the footprint and the facts.
#[derive(Debug, Clone)]
pub struct Split {
    pub baseplate: Mesh,
    pub molded: Mesh,
    pub footprint: Footprint,
    pub facts: SplitFacts,
}

impl Split {
    /// Measures the molded region's wall thickness from `samples` surface points (see
    /// [`thickness`]) and records it in the facts. Kept out of [`split`] so that callers can
    /// run it while the meshes are being written.
    pub fn measure_wall_thickness(&mut self, samples: usize) {
        let wall = thickness::wall_thickness(&self.molded, samples);
        self.set_wall_thickness(wall);
    }

    /// Records a wall thickness measured elsewhere (see [`Split::measure_wall_thickness`]).
    pub fn set_wall_thickness(&mut self, wall: Option<WallThickness>) {
        self.facts.max_wall_thickness_mm = wall.as_ref().map(|w| w.max_mm);
        self.facts.wall_thickness = wall;
    }
}

fn unit(v: Vector3<f64>, what: &'static str) -> Result<Unit<Vector3<f64>>, SplitError> {
    if !v.iter().all(|c| c.is_finite()) || v.norm() < 1e-12 {
        return Err(SplitError::BadOption {
            what,
            why: "the normal must be a non-zero, finite vector".into(),
        });
    }
    Ok(Unit::new_normalize(v))
}

/// Keeps the body (a positive shell with the cavities inside it) of largest volume; returns it
/// and the volumes of the other bodies.
fn main_body(mesh: &Mesh) -> (Cow<'_, Mesh>, Vec<f64>) {
    let (labels, shells) = shell_labels(mesh.vertices.len(), &mesh.triangles);
    if shells <= 1 {
        return (Cow::Borrowed(mesh), Vec::new());
    }
    let mut parts: Vec<Mesh> = vec![Mesh::new(mesh.vertices.clone(), Vec::new()); shells];
    for (t, &s) in mesh.triangles.iter().zip(&labels) {
        parts[s as usize].triangles.push(*t);
    }
    let vols: Vec<f64> = parts.iter().map(|p| p.signed_volume_mm3()).collect();
    let boxes: Vec<_> = parts.iter().map(|p| p.bounds()).collect();
    // A cavity (negative shell) belongs to the smallest positive shell whose box holds it.
    let contains = |o: usize, s: usize| match (boxes[o], boxes[s]) {
        (Some(a), Some(b)) => (0..3).all(|k| a.min[k] <= b.min[k] && a.max[k] >= b.max[k]),
        _ => false,
    };
    let mut owner: Vec<usize> = (0..shells).collect();
    for s in 0..shells {
        if vols[s] < 0.0
            && let Some(o) = (0..shells)
                .filter(|&o| vols[o] > 0.0 && contains(o, s))
                .min_by(|&a, &b| vols[a].total_cmp(&vols[b]))
        {
            owner[s] = o;
        }
    }
    let body_volume = |b: usize| -> f64 {
        (0..shells)
            .filter(|&s| owner[s] == b)
            .map(|s| vols[s])
            .sum()
    };
    let bodies: Vec<usize> = (0..shells)
        .filter(|&s| owner[s] == s && vols[s] > 0.0)
        .collect();
    let Some(&best) = bodies
        .iter()
        .max_by(|&&a, &&b| body_volume(a).total_cmp(&body_volume(b)))
    else {
        return (Cow::Borrowed(mesh), Vec::new());
    };
    let mut out = Mesh::new(mesh.vertices.clone(), Vec::new());
    for (t, &s) in mesh.triangles.iter().zip(&labels) {
        if owner[s as usize] == best {
            out.triangles.push(*t);
        }
    }
    crate::mesh::check::compact_vertices(&mut out);
    let others: Vec<f64> = bodies
        .iter()
        .filter(|&&b| b != best)
        .map(|&b| body_volume(b))
        .collect();
    (Cow::Owned(out), others)
}

/// Splits a closed, oriented part (mm) into baseplate and molded region.
pub fn split(part: &Mesh, opts: &SplitOptions) -> Result<Split, SplitError> {
    let mut warnings = Vec::new();
    // Finding the bodies is a sequential union-find; the part's bounds, which are the main
    // body's when there is one body, are taken beside it.
    let ((mesh, other_bodies_mm3), part_bounds) = rayon::join(|| main_body(part), || part.bounds());
    if !other_bodies_mm3.is_empty() {
        warnings.push(format!(
            "the file holds {} bodies; split the largest ({:.1} mm³) and left out the others ({})",
            other_bodies_mm3.len() + 1,
            mesh.signed_volume_mm3(),
            other_bodies_mm3
                .iter()
                .map(|v| format!("{v:.1} mm³"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let bounds = match &mesh {
        Cow::Borrowed(_) => part_bounds,
        Cow::Owned(body) => body.bounds(),
    }
    .ok_or_else(|| SplitError::NotSolid("the part has no triangles".into()))?;
    let snap = SNAP_FRACTION * bounds.diagonal();
    let body = Body {
        mesh: &mesh,
        bounds,
        one_of_several: !other_bodies_mm3.is_empty(),
    };
    let chosen = choose_planes(&body, opts, &mut warnings)?;
    let (baseplate, molded, caps) = cut_along(&mesh, &chosen, snap)?;
    let footprint = footprint_of(&caps);
    let primary_plane = &caps[0].0;
    let m = measure(&mesh, &baseplate, &molded, primary_plane);
    let axis = primary_plane.axis.into_inner();
    let point = detect::plane_point_near(Some(bounds), primary_plane);
    let facts = SplitFacts {
        plane_point_mm: point.coords.into(),
        // + 0.0 turns -0.0 into 0.0 for the reports.
        plane_normal: axis.map(|c| c + 0.0).into(),
        second_plane: caps.get(1).map(|(p, _)| SplitPlane {
            point_mm: detect::plane_point_near(Some(bounds), p).coords.into(),
            normal: p.axis.into_inner().into(),
        }),
        side: opts.side,
        detected: chosen.detected,
        plate_thickness_mm: chosen.thickness_mm,
        footprint_area_mm2: footprint.area_mm2,
        part_volume_mm3: m.volumes_mm3[0],
        baseplate_volume_mm3: m.volumes_mm3[1],
        molded_volume_mm3: m.volumes_mm3[2],
        rib_bodies: m.rib_bodies,
        baseplate_bbox_min_mm: m.baseplate_bbox_mm.0,
        baseplate_bbox_max_mm: m.baseplate_bbox_mm.1,
        molded_bbox_min_mm: m.molded_bbox_mm.0,
        molded_bbox_max_mm: m.molded_bbox_mm.1,
        projected_area_mm2: m.projected_area_mm2,
        molded_height_mm: m.molded_height_mm,
        max_wall_thickness_mm: None,
        wall_thickness: None,
        plate: chosen.plate,
        other_bodies_mm3,
        warnings,
    };
    Ok(Split {
        baseplate,
        molded,
        footprint,
        facts,
    })
}

/// The body that is split, its bounds, and whether the file held others beside it.
struct Body<'a> {
    mesh: &'a Mesh,
    bounds: crate::mesh::Aabb,
    one_of_several: bool,
}

/// Where the part is cut: the plane (and a second one for `--side both`), the plate's
/// thickness, and whether the plate was found (with what was found) or the cut was given.
struct ChosenPlanes {
    primary: Plane,
    second: Option<Plane>,
    thickness_mm: f64,
    detected: bool,
    plate: Option<PlateFinding>,
}

/// Where to cut: a user plane, a user height, or the detected plate (along a user normal).
fn choose_planes(
    body: &Body,
    opts: &SplitOptions,
    warnings: &mut Vec<String>,
) -> Result<ChosenPlanes, SplitError> {
    let given_normal = opts.normal.map(|n| unit(n, "--normal")).transpose()?;
    if let Some((p, n)) = opts.plane {
        let n = unit(n, "--plane")?;
        let plane = Plane::through(&p, n);
        let lowest = lowest_along(body.mesh, n);
        return Ok(ChosenPlanes {
            primary: plane,
            second: None,
            thickness_mm: plane.offset_mm - lowest,
            detected: false,
            plate: None,
        });
    }
    if let Some(h) = opts.height_mm {
        return plane_at_height(body, h, given_normal, warnings);
    }
    detected_planes(body, given_normal, opts.side, warnings)
}

/// `--height H`: the plane H above the body's lowest point, along the given normal, or the
/// detected plate's, or (without a plate) the axis the detection tried first.
fn plane_at_height(
    body: &Body,
    h: f64,
    given_normal: Option<Unit<Vector3<f64>>>,
    warnings: &mut Vec<String>,
) -> Result<ChosenPlanes, SplitError> {
    let mesh = body.mesh;
    let n = match given_normal {
        Some(n) => n,
        None => {
            // Along the detected plate's normal; without a plate, along the axis the
            // detection tried first (the largest section), so that --height alone
            // always cuts, as the refusal without a plate suggests.
            let d = detect::detect(mesh, None);
            let (n, what) = match (&d.plate, d.rejected.first()) {
                (Some(p), _) => (p.axis(), "the detected plate normal"),
                (None, Some(r)) => (
                    Unit::new_normalize(Vector3::from(r.axis)),
                    "the axis of the part's largest section (no plate was found)",
                ),
                (None, None) => {
                    return Err(SplitError::BadOption {
                        what: "--height",
                        why: "it is measured along a normal, and the part has no section along any axis: give --plane".into(),
                    });
                }
            };
            warnings.push(format!(
                "--height without --normal: measured along {what} ({:.4}, {:.4}, {:.4})",
                n.x, n.y, n.z
            ));
            n
        }
    };
    let lowest = lowest_along(mesh, n);
    let highest = -lowest_along(mesh, Unit::new_unchecked(-n.into_inner()));
    if !(h > 0.0 && lowest + h < highest) {
        let which = if body.one_of_several {
            "the largest body (the one that is split)"
        } else {
            "the part"
        };
        return Err(SplitError::BadOption {
            what: "--height",
            why: format!(
                "{h} mm is outside {which}, which spans {:.3} mm along the normal",
                highest - lowest
            ),
        });
    }
    Ok(ChosenPlanes {
        primary: Plane {
            axis: n,
            offset_mm: lowest + h,
        },
        second: None,
        thickness_mm: h,
        detected: false,
        plate: None,
    })
}

/// The detected plate's face (or faces, for `--side both`), or why there is no plate with
/// the options that would cut the part anyway.
fn detected_planes(
    body: &Body,
    given_normal: Option<Unit<Vector3<f64>>>,
    side: Side,
    warnings: &mut Vec<String>,
) -> Result<ChosenPlanes, SplitError> {
    let d = detect::detect_in(
        &detect::Facets::with_bounds(body.mesh, Some(body.bounds)),
        given_normal,
    );
    let Some(p) = d.plate.clone() else {
        return Err(no_plate(&d, given_normal));
    };
    if p.rib_side_volume_mm3 == 0.0 {
        return Err(SplitError::NothingToMold(
            "there are no ribs on the side the normal points to".into(),
        ));
    }
    let axis = p.axis();
    let top = Plane {
        axis,
        offset_mm: p.top_mm,
    };
    // The other face, seen from the other side: its normal points into the other ribs.
    let bottom = Plane {
        axis: Unit::new_unchecked(-axis.into_inner()),
        offset_mm: -p.bottom_mm,
    };
    if p.double_sided() {
        warnings.push(format!(
            "ribs on both faces of the plate (about {:.0} and {:.0} mm³); cutting {}",
            p.rib_side_volume_mm3,
            p.other_side_volume_mm3,
            match side {
                Side::Main => "the larger region (use --side other|both for the rest)",
                Side::Other => "the smaller region (--side other)",
                Side::Both => "both (--side both)",
            }
        ));
    }
    let (primary, second) = match (side, p.double_sided()) {
        (Side::Main, _) | (_, false) => (top, None),
        (Side::Other, true) => (bottom, None),
        (Side::Both, true) => (top, Some(bottom)),
    };
    if side != Side::Main && !p.double_sided() {
        warnings.push(format!(
            "--side {side:?} asked for, but the plate has ribs on one face only"
        ));
    }
    Ok(ChosenPlanes {
        primary,
        second,
        thickness_mm: p.thickness_mm(),
        detected: true,
        plate: Some(p),
    })
}

/// The refusal of a part without a plate: the first axes tried and why each failed, and the
/// options that cut this part when given alone (each is honoured by itself).
fn no_plate(d: &detect::Detection, given_normal: Option<Unit<Vector3<f64>>>) -> SplitError {
    let reasons: Vec<String> = d
        .rejected
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "along ({:.3}, {:.3}, {:.3}) {}",
                r.axis[0], r.axis[1], r.axis[2], r.reason
            )
        })
        .collect();
    let advice = match (given_normal, d.rejected.first()) {
        (Some(_), _) => "give --height MM (the cut's distance from the part's lowest point along that normal) or --plane PX,PY,PZ,NX,NY,NZ to cut anyway".to_string(),
        (None, Some(r)) => format!(
            "give --height MM (the cut's distance from the part's lowest point along ({:.3}, {:.3}, {:.3}), the first axis tried), --normal with --height, or --plane PX,PY,PZ,NX,NY,NZ to cut anyway",
            r.axis[0], r.axis[1], r.axis[2]
        ),
        (None, None) => "give --plane PX,PY,PZ,NX,NY,NZ to cut anyway".to_string(),
    };
    SplitError::NoPlate {
        reasons: reasons.join("; "),
        advice,
        first_axis: d.rejected.first().map(|r| r.axis),
    }
}

/// A cut plane and the cap the cut left on it.
type PlaneCap = (Plane, cut::Cap);

/// The baseplate, the molded region and each cut plane with its cap: one cut, or for
/// `--side both` the baseplate cut again along the second plane (its ribs join the molded
/// region). Either side empty is an error.
fn cut_along(
    mesh: &Mesh,
    chosen: &ChosenPlanes,
    snap: f64,
) -> Result<(Mesh, Mesh, Vec<PlaneCap>), SplitError> {
    let first = cut::cut(mesh, &chosen.primary, snap)?;
    let (baseplate, molded, caps) = match chosen.second {
        None => (first.below, first.above, vec![(chosen.primary, first.cap)]),
        Some(plane2) => {
            let again = cut::cut(&first.below, &plane2, snap)?;
            let mut molded = first.above;
            molded.append(&again.above);
            (
                again.below,
                molded,
                vec![(chosen.primary, first.cap), (plane2, again.cap)],
            )
        }
    };
    if molded.triangles.is_empty() {
        return Err(SplitError::NothingToMold(
            "no material on the molded side of the plane".into(),
        ));
    }
    if baseplate.triangles.is_empty() {
        return Err(SplitError::NothingToMold(
            "no material on the baseplate side of the plane".into(),
        ));
    }
    Ok((baseplate, molded, caps))
}

/// The rib footprint: the caps' area, and the first cap's loops in its plane's basis.
fn footprint_of(caps: &[PlaneCap]) -> Footprint {
    let (primary_plane, primary_cap) = &caps[0];
    let (u, v) = primary_plane.basis();
    let origin = primary_plane.project(&Point3::origin());
    Footprint {
        area_mm2: caps.iter().map(|c| c.1.area_mm2).sum(),
        loops_mm: primary_cap
            .loops
            .iter()
            .map(|l| {
                l.iter()
                    .map(|&i| primary_cap.points_mm[i as usize])
                    .collect()
            })
            .collect(),
        u_axis: u.into(),
        v_axis: v.into(),
        origin_mm: origin.coords.into(),
    }
}

/// What the split's facts measure of its two meshes.
struct Measured {
    rib_bodies: usize,
    projected_area_mm2: f64,
    molded_height_mm: f64,
    baseplate_bbox_mm: ([f64; 3], [f64; 3]),
    molded_bbox_mm: ([f64; 3], [f64; 3]),
    /// The part's, the baseplate's and the molded region's.
    volumes_mm3: [f64; 3],
}

fn measure(mesh: &Mesh, baseplate: &Mesh, molded: &Mesh, plane: &Plane) -> Measured {
    let axis = plane.axis.into_inner();
    let bb = |m: &Mesh| -> ([f64; 3], [f64; 3]) {
        m.bounds()
            .map(|b| (b.min.coords.into(), b.max.coords.into()))
            .unwrap_or(([0.0; 3], [0.0; 3]))
    };
    // Counting the rib bodies is a sequential union-find: the measurements, each parallel
    // inside, run beside it.
    let ((_, rib_bodies), (projected_area_mm2, molded_height_mm, volumes_mm3)) = rayon::join(
        || shell_labels(molded.vertices.len(), &molded.triangles),
        || {
            let projected_area_mm2 = projected_area(molded, &axis);
            // A maximum does not depend on the order of combining: parallel, deterministic.
            let molded_height_mm = molded
                .vertices
                .par_iter()
                .map(|p| plane.distance(p))
                .reduce(|| 0.0, f64::max);
            let volumes = [
                mesh.signed_volume_mm3(),
                baseplate.signed_volume_mm3(),
                molded.signed_volume_mm3(),
            ];
            (projected_area_mm2, molded_height_mm, volumes)
        },
    );
    Measured {
        rib_bodies,
        projected_area_mm2,
        molded_height_mm,
        baseplate_bbox_mm: bb(baseplate),
        molded_bbox_mm: bb(molded),
        volumes_mm3,
    }
}

fn lowest_along(mesh: &Mesh, n: Unit<Vector3<f64>>) -> f64 {
    mesh.triangles
        .iter()
        .flatten()
        .map(|&i| n.dot(&mesh.vertices[i as usize].coords))
        .fold(f64::INFINITY, f64::min)
}

/// Area of `mesh` projected along `axis`: the sum of the projected areas of the facets facing
/// along the axis. For a region without undercuts along the axis (every line parallel to it
/// crosses the surface at most twice), which a molded region must be to leave the mold, this
/// is exactly the area of its shadow; with undercuts it counts the overlapping parts twice.
pub fn projected_area(mesh: &Mesh, axis: &Vector3<f64>) -> f64 {
    crate::mesh::par_sum(&mesh.triangles, |t| {
        let [a, b, c] = mesh.corners(t);
        ((b - a).cross(&(c - a)).dot(axis) * 0.5).max(0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::check::edge_counts;
    use crate::samples;
    use nalgebra::Rotation3;

    fn closed(m: &Mesh) -> bool {
        edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented()
    }

    #[test]
    fn ribbed_plate_facts_match_the_drawing() {
        let mut s = split(&samples::ribbed_plate().mesh(), &SplitOptions::default()).unwrap();
        s.measure_wall_thickness(3000);
        let f = &s.facts;
        assert!((f.plate_thickness_mm - 3.0).abs() < 1e-9);
        assert!((f.baseplate_volume_mm3 - 28_800.0).abs() < 1e-6);
        assert!((f.molded_volume_mm3 - 14_400.0).abs() < 1e-6);
        assert!((f.footprint_area_mm2 - 1_200.0).abs() < 1e-6);
        assert!((f.projected_area_mm2 - 1_200.0).abs() < 1e-6);
        assert!((f.molded_height_mm - 12.0).abs() < 1e-9);
        assert_eq!(f.rib_bodies, 5);
        assert_eq!(s.footprint.loops_mm.len(), 5);
        assert!((f.plane_normal[2] - 1.0).abs() < 1e-12);
        let w = f.wall_thickness.as_ref().unwrap();
        assert!((w.p95_mm - 2.0).abs() < 0.02 && w.max_mm < 2.2, "{w:?}");
        assert!(closed(&s.baseplate) && closed(&s.molded));
    }

    #[test]
    fn both_sides_and_the_other_side() {
        let part = samples::double_sided().mesh();
        let total = part.signed_volume_mm3();
        let both = split(
            &part,
            &SplitOptions {
                side: Side::Both,
                ..Default::default()
            },
        )
        .unwrap();
        assert!((both.facts.baseplate_volume_mm3 - 24_000.0).abs() < 1e-6);
        assert!((both.facts.molded_volume_mm3 - 7_800.0).abs() < 1e-6);
        assert_eq!(both.facts.rib_bodies, 5);
        assert!(both.facts.second_plane.is_some());
        let other = split(
            &part,
            &SplitOptions {
                side: Side::Other,
                ..Default::default()
            },
        )
        .unwrap();
        assert!((other.facts.molded_volume_mm3 - 2_400.0).abs() < 1e-6);
        assert!(
            (other.facts.baseplate_volume_mm3 + other.facts.molded_volume_mm3 - total).abs() < 1e-6
        );
        assert!(other.facts.plane_normal[2] < -0.999);
    }

    #[test]
    fn overrides_height_plane_and_refusals() {
        let mut part = samples::ribbed_plate().mesh();
        let rot = Rotation3::from_euler_angles(0.4, 1.0, -0.2);
        part.map_vertices(|p| rot * p);
        let n = rot * Vector3::z();
        let s = split(
            &part,
            &SplitOptions {
                normal: Some(n),
                height_mm: Some(9.0),
                ..Default::default()
            },
        )
        .unwrap();
        // Below 9 mm: the plate and 6 mm of each rib.
        assert!((s.facts.baseplate_volume_mm3 - (28_800.0 + 5.0 * 240.0 * 6.0)).abs() < 1e-6);
        let p = rot * Point3::new(0.0, 0.0, 3.0);
        let s = split(
            &part,
            &SplitOptions {
                plane: Some((p, n)),
                ..Default::default()
            },
        )
        .unwrap();
        assert!((s.facts.molded_volume_mm3 - 14_400.0).abs() < 1e-6);
        assert!((s.facts.plate_thickness_mm - 3.0).abs() < 1e-9);

        let e = split(&samples::block().mesh(), &SplitOptions::default()).unwrap_err();
        assert!(matches!(e, SplitError::NoPlate { .. }), "{e}");
        let e = split(
            &part,
            &SplitOptions {
                normal: Some(-n),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, SplitError::NothingToMold(_)), "{e}");
        let e = split(
            &part,
            &SplitOptions {
                normal: Some(n),
                height_mm: Some(100.0),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("--height"), "{e}");
    }

    #[test]
    fn several_bodies_split_the_largest() {
        let mut part = samples::ribbed_plate().mesh();
        let block = samples::block().mesh();
        let mut far = block.clone();
        far.map_vertices(|p| p + Vector3::new(300.0, 0.0, 0.0));
        part.append(&far);
        let s = split(&part, &SplitOptions::default()).unwrap();
        assert_eq!(s.facts.other_bodies_mm3.len(), 1);
        assert!((s.facts.other_bodies_mm3[0] - 24_000.0).abs() < 1e-6);
        assert!((s.facts.part_volume_mm3 - 43_200.0).abs() < 1e-6);
        assert!(s.facts.warnings.iter().any(|w| w.contains("2 bodies")));
    }
}
