//! Pore layouts on the footprints of the bundled samples, as the split finds them.

use hybridplan::interface::pores::offset_convex;
use hybridplan::interface::{
    LayoutParams, Pattern, PlaneFrame, PoreProfile, add_pores_and_pins,
    add_profiled_pores_and_pins, lay_out,
};
use hybridplan::mesh::check::edge_counts;
use hybridplan::mesh::section::Plane;
use hybridplan::samples;
use hybridplan::split::{SplitOptions, split};
use nalgebra::{Point3, Unit, Vector3};

fn params(pattern: Pattern) -> LayoutParams {
    LayoutParams {
        pattern,
        pore_mm: 1.0,
        wall_mm: 0.8,
        margin_mm: 0.4,
        angle_deg: 0.0,
        phase_mm: [0.0, 0.0],
        min_pore_mm: 0.8,
        round_segments: 16,
    }
}

/// Least distance between two convex outlines (by their vertices and edges).
fn gap(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    let inside = |p: [f64; 2], poly: &[[f64; 2]]| {
        (0..poly.len()).all(|k| {
            let (u, v) = (poly[k], poly[(k + 1) % poly.len()]);
            (v[0] - u[0]) * (p[1] - u[1]) - (v[1] - u[1]) * (p[0] - u[0]) >= 0.0
        })
    };
    if a.iter().any(|&p| inside(p, b)) || b.iter().any(|&p| inside(p, a)) {
        return 0.0;
    }
    let mut best = f64::INFINITY;
    for &p in a {
        for k in 0..b.len() {
            best = best.min(dist(p, b[k], b[(k + 1) % b.len()]));
        }
    }
    for &p in b {
        for k in 0..a.len() {
            best = best.min(dist(p, a[k], a[(k + 1) % a.len()]));
        }
    }
    best
}

/// Distance from a point to a segment.
fn dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    ((a[0] + t * dx - p[0]).powi(2) + (a[1] + t * dy - p[1]).powi(2)).sqrt()
}

#[test]
fn every_sample_footprint_gets_pores_inside_its_margin_or_a_reason() {
    for part in samples::all()
        .iter()
        .filter(|p| p.plate_thickness_mm.is_some())
    {
        let s = split(&part.mesh(), &SplitOptions::default()).unwrap();
        for pattern in [Pattern::Grid, Pattern::Hex, Pattern::Slots] {
            let p = params(pattern);
            let l = lay_out(&s.footprint.loops_mm, &p);
            assert!(
                !l.pores.is_empty() || !l.notes.is_empty(),
                "{}: no pores and no reason",
                part.name
            );
            // Every pore vertex at least the margin from every footprint edge (brute force,
            // independent of the layout's own grid).
            for pore in &l.pores {
                for q in &pore.outline_mm {
                    for lp in &s.footprint.loops_mm {
                        for k in 0..lp.len() {
                            let d = dist(*q, lp[k], lp[(k + 1) % lp.len()]);
                            assert!(
                                d >= p.margin_mm - 1e-9,
                                "{}: pore vertex {d} from the edge",
                                part.name
                            );
                        }
                    }
                }
            }
            assert!(l.area_fraction > 0.0 || l.pores.is_empty());
            // Pores apart: no two outlines closer than most of a wall (checked only for pores
            // whose centres are near, as no pore is longer than the rib is wide).
            for (k, a) in l.pores.iter().enumerate() {
                for b in &l.pores[k + 1..] {
                    let d = ((a.center_mm[0] - b.center_mm[0]).powi(2)
                        + (a.center_mm[1] - b.center_mm[1]).powi(2))
                    .sqrt();
                    if d < 8.0 {
                        assert!(
                            gap(&a.outline_mm, &b.outline_mm) >= 0.9 * p.wall_mm,
                            "{}: pores overlap",
                            part.name
                        );
                    }
                }
            }
            assert!(
                (l.footprint_area_mm2 - s.facts.footprint_area_mm2).abs()
                    < 1e-6 * s.facts.footprint_area_mm2.max(1.0)
                    || part.name == "double_sided"
            );
            match part.name {
                // 2 mm ribs: too thin for the lattice, a single row each.
                "ribbed_plate" | "curved_ribs" => {
                    assert!(l.single_row_pieces >= 4, "{}: {:?}", part.name, l.notes);
                    assert!(l.pores.len() > 100, "{}: {}", part.name, l.pores.len());
                }
                // 1.2 mm fins cannot hold a 0.8 mm pore with 0.4 mm margins.
                "heat_sink" => {
                    assert!(l.pores.is_empty());
                    assert!(
                        l.notes.iter().any(|n| n.contains("too narrow")),
                        "{:?}",
                        l.notes
                    );
                }
                _ => {}
            }
        }
    }
}

#[test]
fn pores_and_pins_on_every_sample_keep_both_halves_closed_and_the_volume() {
    for part in samples::all()
        .iter()
        .filter(|p| p.plate_thickness_mm.is_some())
    {
        let s = split(&part.mesh(), &SplitOptions::default()).unwrap();
        let n = Unit::new_normalize(Vector3::from(s.facts.plane_normal));
        let plane = Plane::through(&Point3::from(s.facts.plane_point_mm), n);
        let frame = PlaneFrame::of(plane);
        for pattern in [Pattern::Grid, Pattern::Hex, Pattern::Slots] {
            let l = lay_out(&s.footprint.loops_mm, &params(pattern));
            if l.pores.is_empty() {
                continue;
            }
            let rings: Vec<Vec<[f64; 2]>> = l.pores.iter().map(|p| p.outline_mm.clone()).collect();
            let depth = (s.facts.plate_thickness_mm - 1.0).min(1.2);
            let (b, m) = add_pores_and_pins(&s.baseplate, &s.molded, &frame, &rings, depth, 1e-6)
                .unwrap_or_else(|e| panic!("{} {:?}: {e}", part.name, pattern));
            for half in [&b, &m] {
                assert!(
                    edge_counts(half.vertices.len(), &half.triangles).is_closed_and_oriented(),
                    "{}",
                    part.name
                );
            }
            let moved = l.pore_area_mm2 * depth;
            let (vb, vm) = (b.signed_volume_mm3(), m.signed_volume_mm3());
            assert!(
                (vb - (s.facts.baseplate_volume_mm3 - moved)).abs() < 1e-6 * vb,
                "{}",
                part.name
            );
            assert!(
                (vm - (s.facts.molded_volume_mm3 + moved)).abs() < 1e-6 * vm,
                "{}",
                part.name
            );
            let total = s.facts.part_volume_mm3;
            assert!(((vb + vm - total) / total).abs() < 1e-9, "{}", part.name);
        }
    }
}

use proptest::prelude::*;

/// A random plate with random parallel ribs (widths 1.5 to 5 mm), turned at random.
fn random_part() -> impl Strategy<Value = (samples::SamplePart, [f64; 3], f64, f64, Pattern)> {
    (
        50.0f64..140.0,
        40.0f64..90.0,
        2.5f64..6.0,
        prop::collection::vec((1.5f64..5.0, 4.0f64..15.0, prop::bool::ANY), 1..5),
        (-3.2f64..3.2, -3.2f64..3.2, -3.2f64..3.2),
        0.6f64..1.6,
        -90.0f64..90.0,
        0u8..3,
    )
        .prop_map(|(w, d, t, ribs, rot, pore, angle, which)| {
            let pitch = d / (ribs.len() as f64 + 1.0);
            let rings = ribs
                .iter()
                .enumerate()
                .map(|(k, &(rw, _, flush))| {
                    let y = pitch * (k as f64 + 1.0);
                    let h = rw.min(pitch * 0.7) / 2.0;
                    let x0 = if flush { 0.0 } else { 3.0 };
                    samples::rect(x0, y - h, w - 3.0, y + h)
                })
                .collect();
            let height = ribs.iter().map(|r| r.1).fold(0.0, f64::max);
            let part = samples::SamplePart {
                name: "random",
                description: "proptest part",
                layers: vec![
                    samples::Layer {
                        z0: 0.0,
                        z1: t,
                        rings: vec![samples::rect(0.0, 0.0, w, d)],
                    },
                    samples::Layer {
                        z0: t,
                        z1: t + height,
                        rings,
                    },
                ],
                plate_thickness_mm: Some(t),
                split_height_mm: Some(t),
            };
            let pattern = [Pattern::Grid, Pattern::Hex, Pattern::Slots][which as usize];
            (part, [rot.0, rot.1, rot.2], pore, angle, pattern)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    #[test]
    fn random_parts_and_lattices_keep_the_invariants((part, rot, pore, angle, pattern) in random_part()) {
        let mut mesh = part.mesh();
        let r = nalgebra::Rotation3::from_euler_angles(rot[0], rot[1], rot[2]);
        mesh.map_vertices(|p| r * p);
        let s = split(&mesh, &SplitOptions::default()).unwrap();
        let p = LayoutParams { pore_mm: pore, angle_deg: angle, ..params(pattern) };
        let l = lay_out(&s.footprint.loops_mm, &p);
        // Every pore vertex the margin away from every footprint edge.
        for q in l.pores.iter().flat_map(|p| &p.outline_mm) {
            for lp in &s.footprint.loops_mm {
                for k in 0..lp.len() {
                    prop_assert!(dist(*q, lp[k], lp[(k + 1) % lp.len()]) >= p.margin_mm - 1e-9);
                }
            }
        }
        if l.pores.is_empty() {
            prop_assert!(!l.notes.is_empty());
            return Ok(());
        }
        let n = Unit::new_normalize(Vector3::from(s.facts.plane_normal));
        let frame = PlaneFrame::of(Plane::through(&Point3::from(s.facts.plane_point_mm), n));
        let rings: Vec<Vec<[f64; 2]>> = l.pores.iter().map(|p| p.outline_mm.clone()).collect();
        let depth = (s.facts.plate_thickness_mm - 1.0).min(1.2);
        let (b, m) = add_pores_and_pins(&s.baseplate, &s.molded, &frame, &rings, depth, 1e-6).unwrap();
        prop_assert!(edge_counts(b.vertices.len(), &b.triangles).is_closed_and_oriented());
        prop_assert!(edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented());
        let moved = l.pore_area_mm2 * depth;
        let (vb, vm) = (b.signed_volume_mm3(), m.signed_volume_mm3());
        prop_assert!((vb - (s.facts.baseplate_volume_mm3 - moved)).abs() < 1e-6 * vb);
        prop_assert!(((vb + vm - s.facts.part_volume_mm3) / s.facts.part_volume_mm3).abs() < 1e-9);

        // Dovetails: laid out with the flare added to walls and margin, the flared floors
        // stay the margin inside the footprint and apart by a wall, both halves closed, the
        // volume kept, the pins bigger than straight ones of the same neck.
        let profile = PoreProfile { neck_mm: 0.4, flare_mm: depth - 0.4 };
        let dp = LayoutParams {
            wall_mm: p.wall_mm + 2.0 * profile.flare_mm / (std::f64::consts::PI / p.round_segments as f64).cos(),
            margin_mm: p.margin_mm + profile.flare_mm * std::f64::consts::SQRT_2,
            ..p
        };
        let l = lay_out(&s.footprint.loops_mm, &dp);
        if l.pores.is_empty() {
            return Ok(());
        }
        let rings: Vec<Vec<[f64; 2]>> = l.pores.iter().map(|p| p.outline_mm.clone()).collect();
        for r in &rings {
            for q in offset_convex(r, profile.flare_mm) {
                for lp in &s.footprint.loops_mm {
                    for k in 0..lp.len() {
                        prop_assert!(dist(q, lp[k], lp[(k + 1) % lp.len()]) >= p.margin_mm - 1e-6);
                    }
                }
            }
        }
        let (b, m) = add_profiled_pores_and_pins(&s.baseplate, &s.molded, &frame, &rings, depth, profile, 1e-6).unwrap();
        prop_assert!(edge_counts(b.vertices.len(), &b.triangles).is_closed_and_oriented());
        prop_assert!(edge_counts(m.vertices.len(), &m.triangles).is_closed_and_oriented());
        let (vb, vm) = (b.signed_volume_mm3(), m.signed_volume_mm3());
        prop_assert!(s.facts.baseplate_volume_mm3 - vb > l.pore_area_mm2 * depth);
        prop_assert!(((vb + vm - s.facts.part_volume_mm3) / s.facts.part_volume_mm3).abs() < 1e-9);
    }
}
