//! Walls and ribs of the molded region against the material's molding limits: the thinnest
//! walls (fill), the thickest (voids, sink, long cooling) and where they are, the rib's height
//! to its thickness, and how the ribs stand on the insert.

use glam::Vec3A;
use nalgebra::{Unit, Vector3};
use obvhs::ray::Ray;
use rayon::prelude::*;

use super::{DfmInput, Finding, Kind, RouteOf, Severity, fmt_mm};
use crate::mesh::Mesh;
use crate::split::Split;
use crate::split::bvh::Bvh;

/// Faces probed for the thickest section, at most (evenly spread over the triangle list).
const PROBES: usize = 4000;

/// The thickest section of `mesh` found by the probes: its thickness (mm) and its middle.
/// A probe casts a ray inward from a face's centroid to the opposite wall; the section there
/// is the smaller of that length and the diameter of the largest ball at its middle (so a
/// ray along a rib's length does not count as a thick wall).
pub fn thickest_section(mesh: &Mesh) -> Option<(f64, [f64; 3])> {
    let vertices: Vec<Vec3A> = mesh
        .vertices
        .iter()
        .map(|p| Vec3A::new(p.x as f32, p.y as f32, p.z as f32))
        .collect();
    let bvh = Bvh::build(&vertices, &mesh.triangles)?;
    let diag = mesh.bounds()?.diagonal();
    let eps = 1e-5 * diag;
    let stride = (mesh.triangles.len() / PROBES).max(1);
    (0..mesh.triangles.len())
        .into_par_iter()
        .step_by(stride)
        .filter_map(|i| {
            let [a, b, c] = mesh.corners(&mesh.triangles[i]);
            let cross = (b - a).cross(&(c - a));
            let len = cross.norm();
            if len <= 0.0 {
                return None;
            }
            let inward = -cross / len;
            let centroid = (a.coords + b.coords + c.coords) / 3.0;
            let o = centroid + inward * eps;
            let f = |v: &Vector3<f64>| Vec3A::new(v.x as f32, v.y as f32, v.z as f32);
            let (hit, d) = bvh.cast(Ray::new(f(&o), f(&inward), 0.0, f32::INFINITY))?;
            // The ray must leave the solid through the wall it meets (that face looks along
            // the ray); one that slipped through an edge and met the next body is dropped.
            let [ha, hb, hc] = mesh.corners(&mesh.triangles[hit as usize]);
            if (hb - ha).cross(&(hc - ha)).dot(&inward) <= 0.0 {
                return None;
            }
            let d = d as f64;
            let mid = o + inward * (0.5 * d);
            let ball = 2.0 * bvh.nearest_distance(f(&mid), d as f32) as f64;
            Some((d.min(ball), mid.into()))
        })
        .max_by(|x, y| x.0.total_cmp(&y.0))
}

pub fn check(input: &DfmInput, split: &Split, _n: &Unit<Vector3<f64>>) -> Vec<Finding> {
    let mut out = Vec::new();
    let lim = input.limits.limits(input.molded_name);
    let f = &split.facts;
    let hybrid = RouteOf::Hybrid;
    if let Some(w) = &f.wall_thickness {
        // The median, not the low percentiles: samples near edges and corners measure thin
        // walls that are not there.
        if w.p50_mm < lim.min_wall_mm {
            out.push(Finding::new(
                Kind::Wall,
                Severity::Warning,
                hybrid,
                format!(
                    "the median wall {:.2} mm is under {} mm, the least {} fills",
                    w.p50_mm, lim.min_wall_mm, input.molded_name
                ),
                Some(w.p50_mm),
                Some(lim.min_wall_mm),
                "mm",
                None,
            ));
        }
        let thick = thickest_section(&split.molded);
        let cool = |t: f64| {
            input
                .molded
                .cooling_time_to_s(t, input.molded.ejection_temp_c)
        };
        if let Some((t, at)) = thick {
            let sev = if t > lim.max_wall_mm {
                Severity::Warning
            } else {
                Severity::Info
            };
            out.push(Finding::new(
                Kind::Wall,
                sev,
                hybrid,
                format!(
                    "thickest section {t:.2} mm at {} (the most for {} is {} mm): it cools in {:.1} s against {:.1} s at the median wall {:.2} mm{}",
                    fmt_mm(&at),
                    input.molded_name,
                    lim.max_wall_mm,
                    cool(t),
                    cool(w.p50_mm),
                    w.p50_mm,
                    if sev == Severity::Warning {
                        ": core it out (voids, sink, a long cycle)"
                    } else {
                        ""
                    }
                ),
                Some(t),
                Some(lim.max_wall_mm),
                "mm",
                Some(at),
            ));
        }
        let ratio = f.molded_height_mm / w.p50_mm.max(1e-9);
        let max_ratio = input.limits.ribs.max_height_to_thickness;
        // A percent of slack: the sampled median of a drawn 2 mm rib is 1.999 mm.
        let over = ratio > 1.01 * max_ratio;
        out.push(Finding::new(
            Kind::Rib,
            if over {
                Severity::Warning
            } else {
                Severity::Info
            },
            hybrid,
            format!(
                "rib height {:.2} mm over its {:.2} mm thickness: {ratio:.1} (at most {max_ratio}){}",
                f.molded_height_mm,
                w.p50_mm,
                if over {
                    ": a deep narrow slot in the mold, hard to fill, vent and eject"
                } else {
                    ""
                }
            ),
            Some(ratio),
            Some(max_ratio),
            "",
            None,
        ));
    }
    // The rib-to-insert junction: the molded region stands on its footprint; where it
    // spreads far beyond it (a T-profile, a deck on posts) the melt's pressure and the
    // part's loads act on a small bonded area.
    if f.projected_area_mm2 > 0.0 {
        let share = f.footprint_area_mm2 / f.projected_area_mm2;
        out.push(Finding::new(
            Kind::Rib,
            if share < 0.5 {
                Severity::Warning
            } else {
                Severity::Info
            },
            hybrid,
            format!(
                "rib-to-insert junction: the molded region stands on {:.1} mm2 of insert, {:.0} % of its projected {:.1} mm2",
                f.footprint_area_mm2,
                100.0 * share,
                f.projected_area_mm2
            ),
            Some(share),
            Some(0.5),
            "",
            None,
        ));
    }
    out
}
