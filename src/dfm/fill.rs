//! Filling: the flow length from a gate to the farthest point of each rib body against the
//! material's flow length to wall thickness ratio.
//!
//! The gate is the centroid of the body's top (its faces facing the pull within the top
//! twentieth of its height), on the mold's opening side where a gate on the insert's side is
//! impossible. The flow length to a point is its distance across the pull plus its drop along
//! it (the melt runs along the top, then down the rib): an estimate, not a filling
//! simulation. Each rib body needs a gate of its own (the melt does not cross the insert).

use nalgebra::{Unit, Vector3};

use super::{DfmInput, Finding, Kind, RouteOf, Severity, fmt_mm};
use crate::mesh::Mesh;
use crate::mesh::check::shell_labels;
use crate::split::Split;

pub struct Fill {
    pub findings: Vec<Finding>,
    pub gate_mm: Option<[f64; 3]>,
    pub flow_length_mm: Option<f64>,
    pub gates_needed: Option<u32>,
}

/// Per body: gate, flow length, vertices.
struct Body {
    gate: Vector3<f64>,
    flow_mm: f64,
    size: usize,
}

/// The fill check of the hybrid route: each rib body's flow length from its gate against
/// the molded material's flow length to wall thickness ratio, and the gates that takes.
pub fn check(input: &DfmInput, split: &Split, n: &Unit<Vector3<f64>>) -> Fill {
    let n = n.into_inner();
    let bodies = rib_bodies(&split.molded, &n);
    let wall = split
        .facts
        .wall_thickness
        .as_ref()
        .map(|w| w.p50_mm)
        .unwrap_or(split.facts.plate_thickness_mm)
        .max(1e-6);
    let limit = input.limits.limits(input.molded_name).flow_length_ratio;
    let mut findings = Vec::new();
    let Some(worst) = bodies.iter().max_by(|a, b| a.flow_mm.total_cmp(&b.flow_mm)) else {
        return Fill {
            findings,
            gate_mm: None,
            flow_length_mm: None,
            gates_needed: None,
        };
    };
    let largest = bodies.iter().max_by_key(|b| b.size).unwrap_or(worst);
    let gates: u32 = bodies
        .iter()
        .map(|b| ((b.flow_mm / wall / limit).ceil() as u32).max(1))
        .sum();
    findings.push(flow_finding(input, worst, largest, wall, limit, gates));
    if bodies.len() > 1 {
        findings.push(Finding::new(
            Kind::Fill,
            Severity::Info,
            RouteOf::Hybrid,
            format!(
                "{} separate rib bodies: one gate each (or a runner over the insert), {gates} gates in all",
                bodies.len()
            ),
            Some(bodies.len() as f64),
            None,
            "bodies",
            None,
        ));
    }
    Fill {
        findings,
        gate_mm: Some(largest.gate.into()),
        flow_length_mm: Some(worst.flow_mm),
        gates_needed: Some(gates),
    }
}

/// The molded region's rib bodies (its shells), each with its gate (the centroid of its top,
/// [`body_gates`]) and its flow length (the farthest of its vertices from the gate: across
/// the pull `n`, then down along it). Shells without a vertex are left out.
fn rib_bodies(m: &Mesh, n: &Vector3<f64>) -> Vec<Body> {
    let (gates, vlabel) = body_gates(m, n);
    let mut bodies: Vec<Body> = gates
        .into_iter()
        .map(|gate| Body {
            gate,
            flow_mm: 0.0,
            size: 0,
        })
        .collect();
    for (i, p) in m.vertices.iter().enumerate() {
        let s = vlabel[i];
        if s == u32::MAX {
            continue;
        }
        let b = &mut bodies[s as usize];
        let d = p.coords - b.gate;
        let along = d.dot(n);
        let flow = (d - n * along).norm() + along.abs();
        b.flow_mm = b.flow_mm.max(flow);
        b.size += 1;
    }
    bodies.retain(|b| b.size > 0);
    bodies
}

/// Each shell's gate: the area-weighted centroid of its top (its faces facing along `n`
/// within about 45°, their centroids in the top twentieth of the shell's height; the
/// origin for a shell without one), and each vertex's shell (`u32::MAX` for a vertex of no
/// triangle).
fn body_gates(m: &Mesh, n: &Vector3<f64>) -> (Vec<Vector3<f64>>, Vec<u32>) {
    let (labels, count) = shell_labels(m.vertices.len(), &m.triangles);
    let mut hmax = vec![f64::NEG_INFINITY; count];
    let mut hmin = vec![f64::INFINITY; count];
    let mut vlabel = vec![u32::MAX; m.vertices.len()];
    for (t, &s) in m.triangles.iter().zip(&labels) {
        for &i in t {
            let h = n.dot(&m.vertices[i as usize].coords);
            hmax[s as usize] = hmax[s as usize].max(h);
            hmin[s as usize] = hmin[s as usize].min(h);
            vlabel[i as usize] = s;
        }
    }
    let mut top = vec![(Vector3::zeros(), 0.0f64); count];
    for (t, &s) in m.triangles.iter().zip(&labels) {
        let [a, b, c] = m.corners(t);
        let cross = (b - a).cross(&(c - a));
        let s = s as usize;
        let centroid = (a.coords + b.coords + c.coords) / 3.0;
        let near_top = n.dot(&centroid) >= hmax[s] - 0.05 * (hmax[s] - hmin[s]);
        if near_top && cross.norm() > 0.0 && cross.normalize().dot(n) > 0.7 {
            let area = 0.5 * cross.norm();
            top[s].0 += centroid * area;
            top[s].1 += area;
        }
    }
    let gates = top
        .iter()
        .map(|&(weighted, area)| {
            if area > 0.0 {
                weighted / area
            } else {
                Vector3::zeros()
            }
        })
        .collect();
    (gates, vlabel)
}

/// The finding on the longest flow (`worst`, over the `wall` thickness, against the
/// material's `limit` ratio): a warning with the `gates` it needs beyond the limit, else the
/// gate of the `largest` body and the ratio as information.
fn flow_finding(
    input: &DfmInput,
    worst: &Body,
    largest: &Body,
    wall: f64,
    limit: f64,
    gates: u32,
) -> Finding {
    let ratio = worst.flow_mm / wall;
    let gate: [f64; 3] = worst.gate.into();
    if ratio > limit {
        Finding::new(
            Kind::Fill,
            Severity::Warning,
            RouteOf::Hybrid,
            format!(
                "flow length {:.1} mm from the gate at {} over the {wall:.2} mm wall is {ratio:.0}:1, beyond {}'s {limit:.0}:1: it needs {gates} gates (or thicker walls)",
                worst.flow_mm,
                fmt_mm(&gate),
                input.molded_name
            ),
            Some(ratio),
            Some(limit),
            "",
            Some(gate),
        )
    } else {
        Finding::new(
            Kind::Fill,
            Severity::Info,
            RouteOf::Hybrid,
            format!(
                "gate at {} (the top's centroid): flow length {:.1} mm over the {wall:.2} mm wall, {ratio:.0}:1 within {}'s {limit:.0}:1",
                fmt_mm(&largest.gate.into()),
                worst.flow_mm,
                input.molded_name
            ),
            Some(ratio),
            Some(limit),
            "",
            Some(largest.gate.into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_body_gated_at_its_top_with_its_farthest_flow() {
        // Two boxes, pull +z: 10 x 20 x 5 and, apart, 4 x 4 x 2.
        let mut m = Mesh::cuboid([0.0, 0.0, 0.0], [10.0, 20.0, 5.0]);
        m.append(&Mesh::cuboid([30.0, 0.0, 0.0], [34.0, 4.0, 2.0]));
        let mut bodies = rib_bodies(&m, &Vector3::z());
        bodies.sort_by(|a, b| b.size.cmp(&a.size).then(b.flow_mm.total_cmp(&a.flow_mm)));
        assert_eq!(bodies.len(), 2);
        // The gates: the tops' centres. The farthest points: the bottom corners, across
        // by half the top's diagonal, then down the height.
        let big = &bodies[0];
        assert!((big.gate - Vector3::new(5.0, 10.0, 5.0)).norm() < 1e-12);
        let expected = (5.0f64 * 5.0 + 10.0 * 10.0).sqrt() + 5.0; // 16.1803
        assert!((big.flow_mm - expected).abs() < 1e-9, "{}", big.flow_mm);
        let small = &bodies[1];
        assert!((small.gate - Vector3::new(32.0, 2.0, 2.0)).norm() < 1e-12);
        let expected = (2.0f64 * 2.0 + 2.0 * 2.0).sqrt() + 2.0; // 4.8284
        assert!((small.flow_mm - expected).abs() < 1e-9, "{}", small.flow_mm);
        assert_eq!((big.size, small.size), (8, 8));
    }
}
