//! Pore layouts on the footprints of the bundled samples, as the split finds them.

use hybridplan::interface::{LayoutParams, Pattern, lay_out};
use hybridplan::samples;
use hybridplan::split::{SplitOptions, split};

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
        for pattern in [Pattern::Grid, Pattern::Hex] {
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
