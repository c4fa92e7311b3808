//! One lattice per mold, and whether every member's plate carries its mold's molded region.
//!
//! The pins are part of the rib mold, so a mold has one pore layout: its reference's
//! footprint, laid out in the reference's interface frame. Each member gets the same layout
//! through its registration (the reference's frame carried into the member's pose), cut into
//! its own baseplate, with one pore depth for the mold (the default depth of its thinnest
//! plate, or the user's). A member's plate carries the mold when the reference's footprint
//! and the shut-off land around it (the plate face the mold closes on) lie inside the member's
//! plate face, and its lattice can be built.

use nalgebra::{Isometry3, Point3, Vector3};
use rayon::prelude::*;
use serde::Serialize;

use super::{FamilyOptions, MemberSpec, MoldRow, Split};
use crate::interface::{
    self, InterfaceFrame, LatticeBuilt, LatticeReport, MaterialPair, PrintAndMold,
};
use crate::mesh::Mesh;
use crate::models;

/// A member's plate against its mold.
#[derive(Debug, Clone, Serialize)]
pub struct PlateCheck {
    /// The mold's rib footprint lies inside the member's plate face.
    pub footprint_inside_plate: bool,
    /// And so does the shut-off land around it.
    pub shut_off_land_inside_plate: bool,
    /// The mold's pore layout and depth could be built into the member's baseplate.
    pub lattice_fits: bool,
    /// Pores of the mold's lattice (0: plain interface).
    pub pores: usize,
    pub pore_depth_mm: Option<f64>,
    /// What does not fit, with a place (member's coordinates, mm).
    pub plate_problems: Vec<String>,
}

/// The lattices of a family and the plate checks.
pub struct Lattices {
    pub checks: Vec<Option<PlateCheck>>,
    /// Each mold's molded region with its pins, in the mold's common frame.
    pub mold_meshes: Vec<Mesh>,
    /// Each mold's lattice report.
    pub mold_reports: Vec<Option<LatticeReport>>,
    /// Each member's baseplate and molded region with its mold's lattice, own coordinates
    /// (the split's when the lattice could not be built).
    pub baseplates: Vec<Option<Mesh>>,
    pub molded: Vec<Option<Mesh>>,
    pub reports: Vec<Option<LatticeReport>>,
}

/// The diagonal of a member's bounding box (1 mm for an empty part), which its snap
/// distance scales with.
fn part_diagonal_mm(s: &Split) -> f64 {
    s.prepared
        .part
        .bounds()
        .map(|b| b.diagonal())
        .unwrap_or(1.0)
}

/// The interface frame of a split member (the split's footprint frame), as `plan` builds it.
fn own_frame(s: &Split) -> InterfaceFrame {
    let sp = s.split();
    let f = &sp.footprint;
    let diag = part_diagonal_mm(s);
    InterfaceFrame {
        normal: Vector3::from(sp.facts.plane_normal),
        origin_mm: Point3::from(f.origin_mm),
        u: Vector3::from(f.u_axis),
        v: Vector3::from(f.v_axis),
        snap_mm: crate::split::SNAP_FRACTION * diag,
    }
}

/// Builds each mold's lattice on its reference and on every member, and checks the plates.
pub fn family_lattices(
    splits: &[Option<Split>],
    molds: &[MoldRow],
    to_common: &[Option<Isometry3<f64>>],
    specs: &[MemberSpec],
    opts: &FamilyOptions,
) -> Lattices {
    let n = splits.len();
    let mut out = Lattices {
        checks: vec![None; n],
        mold_meshes: Vec::new(),
        mold_reports: Vec::new(),
        baseplates: vec![None; n],
        molded: vec![None; n],
        reports: vec![None; n],
    };
    let printer = models::default_printer();
    // The moldability check's land: one value for a part and for a family.
    let land_mm = opts.models.dfm.shutoff.land_mm;
    for mold in molds {
        let r = mold.reference;
        let Some(rs) = &splits[r] else { continue };
        let plan = MoldPlan {
            reference: r,
            frame: own_frame(rs),
            loops: &rs.split().footprint.loops_mm,
            ref_to_common: to_common[r].expect("the reference is grouped"),
            request: mold_request(mold, splits, opts.lattice, &printer),
            printer: &printer,
            land_mm,
        };
        let built: Vec<MemberBuilt> = mold
            .members
            .par_iter()
            .filter_map(|&i| {
                let s = splits[i].as_ref()?;
                Some(member_lattice(&plan, i, s, to_common[i]?, &specs[i]))
            })
            .collect();
        collect_mold(&mut out, rs, &plan, built, splits);
    }
    out
}

/// What every member of one mold is built and checked with: its reference's interface frame,
/// footprint and pose in the common frame, the mold's one lattice request, the printer and
/// the shut-off land.
struct MoldPlan<'a> {
    reference: usize,
    frame: InterfaceFrame,
    loops: &'a [Vec<[f64; 2]>],
    ref_to_common: Isometry3<f64>,
    request: Option<interface::LatticeRequest>,
    printer: &'a models::Printer,
    land_mm: f64,
}

/// A member's lattice (in its own coordinates; `None` without a request) and its plate check.
type MemberBuilt = (usize, Result<Option<LatticeBuilt>, String>, PlateCheck);

/// The mold's lattice request with one pore depth for the mold: the user's, or the default
/// of its thinnest plate.
fn mold_request(
    mold: &MoldRow,
    splits: &[Option<Split>],
    lattice: Option<interface::LatticeRequest>,
    printer: &models::Printer,
) -> Option<interface::LatticeRequest> {
    lattice.map(|mut q| {
        if q.depth_mm.is_none() {
            let thinnest = mold
                .members
                .iter()
                .filter_map(|&i| splits[i].as_ref())
                .map(|s| s.split().facts.plate_thickness_mm)
                .fold(f64::INFINITY, f64::min);
            q.depth_mm = interface::default_depth_mm(printer, thinnest);
        }
        q
    })
}

/// Member `i`'s lattice, built in the reference's pose and moved back, and its plate checked
/// against the mold's footprint and land.
fn member_lattice(
    plan: &MoldPlan,
    i: usize,
    s: &Split,
    member_to_common: Isometry3<f64>,
    spec: &MemberSpec,
) -> MemberBuilt {
    let r = plan.reference;
    // The member in the reference's pose: the reference's layout, rings and frame apply to it
    // bit for bit (a layout decides ties at the footprint's edges, and the same decision must
    // hold for every member), and the result goes back.
    let to_ref = plan.ref_to_common.inverse() * member_to_common;
    let back = to_ref.inverse();
    let diag = part_diagonal_mm(s);
    let frame = InterfaceFrame {
        snap_mm: crate::split::SNAP_FRACTION * diag,
        ..plan.frame
    };
    let sp = s.split();
    let moved_mesh = |m: &Mesh| {
        let mut m = m.clone();
        if i != r {
            m.map_vertices(|p| to_ref * p);
        }
        m
    };
    let (baseplate, molded) = (moved_mesh(&sp.baseplate), moved_mesh(&sp.molded));
    let lattice = match &plan.request {
        None => Ok(None),
        Some(q) => build(
            (&baseplate, &molded, sp.facts.plate_thickness_mm),
            &frame,
            plan.loops,
            q,
            plan.printer,
            spec.job.models,
            &spec.job.materials,
        )
        .map(|b| {
            Some(if i == r {
                b
            } else {
                let mut b = b;
                b.baseplate.map_vertices(|p| back * p);
                b.molded.map_vertices(|p| back * p);
                b
            })
        }),
    };
    let mut check = check_plate(&baseplate, &frame, plan.loops, plan.land_mm, &back);
    match &lattice {
        Ok(Some(b)) => {
            check.pores = b.report.pores;
            check.pore_depth_mm = (b.report.pores > 0).then_some(b.report.depth_mm);
        }
        Ok(None) => {}
        Err(e) => {
            check.lattice_fits = false;
            check
                .plate_problems
                .push(format!("the mold's lattice: {e}"));
        }
    }
    (i, lattice, check)
}

/// Files a mold's members into `out`: each member's meshes (its lattice's, or its split's
/// where none was built), report and check, and the mold's molded region (its reference's,
/// in the common frame) and report.
fn collect_mold(
    out: &mut Lattices,
    rs: &Split,
    plan: &MoldPlan,
    built: Vec<MemberBuilt>,
    splits: &[Option<Split>],
) {
    let mut mold_mesh = rs.split().molded.clone();
    let mut mold_report = None;
    for (i, lattice, check) in built {
        let s = splits[i].as_ref().expect("built for a split member");
        let (b, m, rep) = match lattice {
            Ok(Some(b)) => (b.baseplate, b.molded, Some(b.report)),
            _ => (s.split().baseplate.clone(), s.split().molded.clone(), None),
        };
        if i == plan.reference {
            mold_mesh = m.clone();
            mold_report = rep.clone();
        }
        out.baseplates[i] = Some(b);
        out.molded[i] = Some(m);
        out.reports[i] = rep;
        out.checks[i] = Some(check);
    }
    mold_mesh.map_vertices(|p| plan.ref_to_common * p);
    out.mold_meshes.push(mold_mesh);
    out.mold_reports.push(mold_report);
}

/// The lattice of `request` laid out on `loops` in `frame`, built into a member's baseplate
/// and molded region (of a plate `plate_thickness_mm` thick).
fn build(
    (plate_mesh, molded_mesh, plate_thickness_mm): (&Mesh, &Mesh, f64),
    frame: &InterfaceFrame,
    loops: &[Vec<[f64; 2]>],
    request: &interface::LatticeRequest,
    printer: &models::Printer,
    models: &models::ModelSet,
    materials: &crate::plan::MaterialChoice,
) -> Result<LatticeBuilt, String> {
    let pair = MaterialPair::of(models, &materials.printed, &materials.molded)?;
    interface::build_lattice(
        plate_mesh,
        molded_mesh,
        frame,
        loops,
        plate_thickness_mm,
        &PrintAndMold {
            printer,
            pair: &pair,
        },
        request,
    )
    .map_err(|e| e.to_string())
}

/// The plate face of a baseplate: its triangles in the interface plane facing the molded
/// side, in the frame's 2D coordinates, bucketed in a grid for point queries.
struct Face {
    triangles: Vec<[[f64; 2]; 3]>,
    grid: Vec<Vec<u32>>,
    min: [f64; 2],
    cell: f64,
    cols: usize,
    rows: usize,
}

impl Face {
    fn new(baseplate: &Mesh, frame: &InterfaceFrame) -> Self {
        let n = frame.normal.normalize();
        let tol = frame.snap_mm.max(1e-6);
        let to2 = |p: &Point3<f64>| {
            let d = p - frame.origin_mm;
            [d.dot(&frame.u), d.dot(&frame.v)]
        };
        let triangles: Vec<[[f64; 2]; 3]> = baseplate
            .triangles
            .iter()
            .filter_map(|t| {
                let c = baseplate.corners(t);
                let on = c.iter().all(|p| (p - frame.origin_mm).dot(&n).abs() <= tol);
                let up = (c[1] - c[0]).cross(&(c[2] - c[0])).dot(&n) > 0.0;
                (on && up).then(|| c.map(|p| to2(&p)))
            })
            .collect();
        let pts = triangles.iter().flatten();
        let b = crate::mesh::polygon::bbox2(pts);
        let (w, h) = ((b[2] - b[0]).max(1e-9), (b[3] - b[1]).max(1e-9));
        let cell = ((w * h) / triangles.len().max(1) as f64).sqrt().max(1e-6) * 2.0;
        let cols = ((w / cell).ceil() as usize).clamp(1, 2048);
        let rows = ((h / cell).ceil() as usize).clamp(1, 2048);
        let cell = (w / cols as f64).max(h / rows as f64);
        let mut grid = vec![Vec::new(); cols * rows];
        let min = [b[0], b[1]];
        for (k, t) in triangles.iter().enumerate() {
            let tb = crate::mesh::polygon::bbox2(t.iter());
            let c0 = (((tb[0] - min[0]) / cell).floor().max(0.0) as usize).min(cols - 1);
            let c1 = (((tb[2] - min[0]) / cell).floor().max(0.0) as usize).min(cols - 1);
            let r0 = (((tb[1] - min[1]) / cell).floor().max(0.0) as usize).min(rows - 1);
            let r1 = (((tb[3] - min[1]) / cell).floor().max(0.0) as usize).min(rows - 1);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    grid[r * cols + c].push(k as u32);
                }
            }
        }
        Face {
            triangles,
            grid,
            min,
            cell,
            cols,
            rows,
        }
    }

    /// Is `p` on the face (within `eps` mm of it)?
    fn contains(&self, p: [f64; 2], eps: f64) -> bool {
        let c = ((p[0] - self.min[0]) / self.cell).floor();
        let r = ((p[1] - self.min[1]) / self.cell).floor();
        // The cells around p too, so that a point just outside a cell's triangles within eps
        // still finds them.
        for dr in -1..=1 {
            for dc in -1..=1 {
                let (rr, cc) = (r + dr as f64, c + dc as f64);
                if rr < 0.0 || cc < 0.0 || rr >= self.rows as f64 || cc >= self.cols as f64 {
                    continue;
                }
                let cell = &self.grid[rr as usize * self.cols + cc as usize];
                if cell
                    .iter()
                    .any(|&k| in_triangle(p, &self.triangles[k as usize], eps))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// Is `p` inside the triangle or within `eps` of it?
fn in_triangle(p: [f64; 2], t: &[[f64; 2]; 3], eps: f64) -> bool {
    let mut inside = true;
    for k in 0..3 {
        let (a, b) = (t[k], t[(k + 1) % 3]);
        let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
        let len = ex.hypot(ey);
        if len == 0.0 {
            continue;
        }
        // Signed distance to the edge's line, positive inside (counter-clockwise triangle).
        let d = (ex * (p[1] - a[1]) - ey * (p[0] - a[0])) / len;
        if d < -eps {
            inside = false;
            break;
        }
    }
    inside
}

/// Checks that the footprint `loops` (2D in `frame`) and the land of `land_mm` around it lie
/// inside the member's plate face.
/// Places are reported moved by `back` (into the member's coordinates).
fn check_plate(
    baseplate: &Mesh,
    frame: &InterfaceFrame,
    loops: &[Vec<[f64; 2]>],
    land_mm: f64,
    back: &Isometry3<f64>,
) -> PlateCheck {
    let face = Face::new(baseplate, frame);
    let eps = frame.snap_mm.max(1e-6) * 10.0;
    let to3 = |p: [f64; 2]| back * (frame.origin_mm + frame.u * p[0] + frame.v * p[1]);
    let mut problems = Vec::new();
    let mut footprint_in = true;
    let mut land_in = true;
    let dirs: Vec<[f64; 2]> = (0..8)
        .map(|k| {
            let a = std::f64::consts::FRAC_PI_4 * k as f64;
            [a.cos(), a.sin()]
        })
        .collect();
    for ring in loops {
        for k in 0..ring.len() {
            let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
            for q in [a, [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]] {
                if !face.contains(q, eps) {
                    if footprint_in {
                        let p = to3(q);
                        problems.push(format!(
                            "the rib footprint leaves the plate face at ({:.2}, {:.2}, {:.2})",
                            p.x, p.y, p.z
                        ));
                    }
                    footprint_in = false;
                }
                if land_mm > 0.0 {
                    for d in &dirs {
                        let l = [q[0] + land_mm * d[0], q[1] + land_mm * d[1]];
                        if !face.contains(l, eps) {
                            if land_in && footprint_in {
                                let p = to3(l);
                                problems.push(format!(
                                    "the {land_mm} mm shut-off land leaves the plate face at ({:.2}, {:.2}, {:.2})",
                                    p.x, p.y, p.z
                                ));
                            }
                            land_in = false;
                        }
                    }
                }
            }
        }
    }
    PlateCheck {
        footprint_inside_plate: footprint_in,
        shut_off_land_inside_plate: land_in,
        lattice_fits: true,
        pores: 0,
        pore_depth_mm: None,
        plate_problems: problems,
    }
}
