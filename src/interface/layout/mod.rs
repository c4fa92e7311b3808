//! Pore patterns in 2D: where the pores of the porous interface go inside the rib footprint.
//!
//! The footprint comes as closed loops in the split plane's 2D coordinates (counter-clockwise
//! around material, clockwise around holes). Pores are laid on a lattice (square grid of square
//! pores, or staggered rows of round pores), turned by the pattern angle and shifted by the
//! phase. The rule for the edge of the footprint: a pore is kept only if it lies wholly inside
//! the footprint and at least the margin away from its boundary; any other pore is dropped,
//! never clipped, so no sliver below the printable minimum can appear.
//!
//! Thin ribs are the normal case: a lattice laid over a 2 mm rib places a pore only where a
//! lattice point happens to fall near the rib's middle. A thin footprint piece (twice its area
//! over its perimeter under two lattice pitches) also gets a single row of round pores along
//! its middle, sized to it, and keeps whichever of the two holds more pores: the pore diameter
//! is the piece's largest inscribed width less the margins (at most the requested pore size),
//! and pores are placed greedily along the piece, one pitch apart. A piece too narrow even for
//! that (narrower than the printable minimum plus two margins) is reported by number, with its
//! width and what to change.
//!
//! One file per stage: [`pieces`] groups the loops into pieces and tests a pore against a
//! piece's edges, [`lattice`] lays the grid, hex or slots lattice over a piece, [`row`] the
//! single row over a thin one, [`shapes`] makes the pore outlines both use, and [`geometry`]
//! holds the distance and neighbourhood queries under them; this file holds the types, the
//! budget bound and [`lay_out`], which takes the better of lattice and row per piece. Cut by
//! stage rather than by pattern: the three patterns share one lattice sweep and one single-row
//! pass, and differ in a line or two of each.

mod geometry;
mod lattice;
mod pieces;
mod row;
mod shapes;

use serde::Serialize;

use crate::mesh::polygon::ring_perimeter;
use lattice::lattice;
use pieces::{grouped, pieces};
use row::single_row;
#[cfg(test)]
use {
    geometry::{principal_axis, segment_distance},
    row::Taken,
    shapes::pore,
};

/// The lattice of the pores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    /// Square pores on a square grid.
    Grid,
    /// Round pores in staggered (hexagonal) rows.
    Hex,
    /// Slots (grooves) across the rib: along thin ribs each slot spans the rib less the
    /// margins, turned across the rib where it lies; elsewhere rows of slots three pores long.
    Slots,
}

/// Length of a lattice slot in pore widths (on wide footprint pieces).
pub(super) const SLOT_ASPECT: f64 = 3.0;

/// What to lay out. Lengths in mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutParams {
    pub pattern: Pattern,
    /// Pore width (side of a square pore, diameter of a round one).
    pub pore_mm: f64,
    /// Wall (strut) between neighbouring pores.
    pub wall_mm: f64,
    /// Least distance from a pore to the footprint's edge.
    pub margin_mm: f64,
    /// Turn of the lattice, counter-clockwise from the plane's first axis.
    pub angle_deg: f64,
    /// Shift of the lattice along its own axes.
    pub phase_mm: [f64; 2],
    /// Smallest pore the printer can make (the single-row fallback goes no smaller).
    pub min_pore_mm: f64,
    /// Segments of a round pore's outline.
    pub round_segments: usize,
}

/// One pore: its centre and its outline (counter-clockwise), mm in the plane.
#[derive(Debug, Clone, Serialize)]
pub struct Pore {
    pub center_mm: [f64; 2],
    pub outline_mm: Vec<[f64; 2]>,
    pub area_mm2: f64,
}

/// The pores and what the layout knows about them.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub pores: Vec<Pore>,
    pub footprint_area_mm2: f64,
    pub pore_area_mm2: f64,
    /// Pore area over footprint area.
    pub area_fraction: f64,
    /// Footprint pieces that got a single row of pores sized to them.
    pub single_row_pieces: usize,
    /// What could not be done, and what to change.
    pub notes: Vec<String>,
    /// Pore positions tried (lattice points inside the footprint and single-row candidates):
    /// the layout's work, which follows the footprint's area over the pitch squared.
    pub points_tried: usize,
}

pub(super) type Ring = Vec<[f64; 2]>;

/// An upper estimate of a layout, counted from the footprint before any pore is laid out: the
/// pores, and the outline vertices they have together (what the 3D pores and pins cost).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutBound {
    pub pores: f64,
    pub outline_vertices: f64,
}

/// What [`lay_out`] can place in `loops` at most, from each piece's area and outline alone: a
/// lattice piece holds about its area over the lattice cell (pitch x row spacing); a thin piece
/// (see [`lay_out`]) at most a row along half its perimeter at the smallest single-row pitch
/// (the smallest printable pore plus a wall), if that is more. In `f64`, as a footprint in the
/// wrong unit can ask for more pores than any integer holds.
pub fn bound(loops: &[Vec<[f64; 2]>], params: &LayoutParams) -> LayoutBound {
    let pitch = params.pore_mm + params.wall_mm;
    let (cell_mm2, lattice_vertices) = match params.pattern {
        Pattern::Grid => (pitch * pitch, 4.0),
        Pattern::Hex => (
            pitch * pitch * 3f64.sqrt() / 2.0,
            params.round_segments as f64,
        ),
        Pattern::Slots => (pitch * (SLOT_ASPECT * params.pore_mm + params.wall_mm), 4.0),
    };
    let row_pitch = params.min_pore_mm + params.wall_mm;
    let mut out = LayoutBound {
        pores: 0.0,
        outline_vertices: 0.0,
    };
    for (rings, area_mm2) in grouped(loops) {
        let perimeter: f64 = rings.iter().map(|r| ring_perimeter(r)).sum();
        let lattice = area_mm2 / cell_mm2;
        let thin =
            2.0 * area_mm2 / perimeter.max(1e-12) < 2.0 * (params.pore_mm + 2.0 * params.margin_mm);
        let row = if thin {
            perimeter / 2.0 / row_pitch
        } else {
            0.0
        };
        if row > lattice {
            out.pores += row;
            out.outline_vertices += row * params.round_segments as f64;
        } else {
            out.pores += lattice;
            out.outline_vertices += lattice * lattice_vertices;
        }
    }
    out
}

/// Lays out the pores in the footprint given as loops (mm, in the split plane).
pub fn lay_out(loops: &[Vec<[f64; 2]>], params: &LayoutParams) -> Layout {
    let mut pores = Vec::new();
    let mut notes = Vec::new();
    let mut single_row_pieces = 0;
    let mut too_narrow: Vec<(usize, f64)> = Vec::new();
    let pieces = pieces(loops);
    let footprint_area_mm2: f64 = pieces.iter().map(|p| p.area_mm2).sum();
    let mut points_tried = 0;
    for (k, piece) in pieces.iter().enumerate() {
        let (found, tried) = lattice(piece, params);
        points_tried += tried;
        // A thin piece (twice its area over its perimeter, which is its width for a strip,
        // under two lattice pitches) may hold more pores in one row along its middle than the
        // lattice happens to place: the better of the two is taken.
        let perimeter: f64 = piece.rings.iter().map(|r| ring_perimeter(r)).sum();
        let thin = 2.0 * piece.area_mm2 / perimeter.max(1e-12)
            < 2.0 * (params.pore_mm + 2.0 * params.margin_mm);
        if !thin && !found.is_empty() {
            pores.extend(found);
            continue;
        }
        match single_row(piece, params, &mut points_tried) {
            Ok(row) if row.len() > found.len() => {
                single_row_pieces += 1;
                pores.extend(row);
            }
            Ok(_) | Err(_) if !found.is_empty() => pores.extend(found),
            Ok(_) => notes.push(format!(
                "footprint piece {k} ({:.1} mm²) got no pore: lower --margin-mm or --pore-mm",
                piece.area_mm2
            )),
            Err(width) => {
                too_narrow.push((k, width));
            }
        }
    }
    if !too_narrow.is_empty() {
        let widest = too_narrow.iter().map(|t| t.1).fold(0.0, f64::max);
        notes.push(format!(
            "{} footprint piece(s) (numbers {}) at most {widest:.2} mm wide are too narrow for any printable pore: one needs {:.2} mm (printable minimum {:.2} + 2 x margin {:.2}); lower --margin-mm",
            too_narrow.len(),
            too_narrow
                .iter()
                .map(|t| t.0.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            params.min_pore_mm + 2.0 * params.margin_mm,
            params.min_pore_mm,
            params.margin_mm
        ));
    }
    if single_row_pieces > 0 {
        notes.push(format!(
            "{single_row_pieces} footprint piece(s) too thin for the {:?} lattice got a single row of round pores sized to them",
            params.pattern
        ));
    }
    // + 0.0: an empty f64 sum is -0.0.
    let pore_area_mm2 = pores.iter().map(|p| p.area_mm2).sum::<f64>() + 0.0;
    Layout {
        pores,
        footprint_area_mm2,
        pore_area_mm2,
        area_fraction: if footprint_area_mm2 > 0.0 {
            pore_area_mm2 / footprint_area_mm2
        } else {
            0.0
        },
        single_row_pieces,
        notes,
        points_tried,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pattern: Pattern) -> LayoutParams {
        LayoutParams {
            pattern,
            pore_mm: 1.0,
            wall_mm: 1.0,
            margin_mm: 0.5,
            angle_deg: 0.0,
            phase_mm: [0.0, 0.0],
            min_pore_mm: 0.8,
            round_segments: 16,
        }
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Ring {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn principal_axis_and_the_pitch_and_wall_checks_of_a_row_by_hand() {
        // Points on the diagonal: mean (1, 1), sxx = sxy = syy = 2, so the axis is at half of
        // atan2(4, 0) = 45°.
        let diagonal = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
        let a = principal_axis(diagonal.iter(), 3.0);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (a[0] - h).abs() < 1e-12 && (a[1] - h).abs() < 1e-12,
            "{a:?}"
        );
        // A row of pitch 2 with a unit square pore taken at (0.5, 0.5) (cell (0, 0)): a centre
        // 1.5 away is too near, one 2.5 away is clear; a second square 0.4 from
        // the first is within a wall of 0.5, one 0.6 away is not.
        let mut taken = Taken::new(2.0);
        taken.push(pore(rect(0.0, 0.0, 1.0, 1.0)), taken.cell([0.5, 0.5]));
        assert_eq!(taken.cell([2.5, 0.5]), (1, 0));
        assert!(!taken.a_pitch_from_all([2.0, 0.5], (1, 0)));
        assert!(taken.a_pitch_from_all([3.0, 0.5], (1, 0)));
        assert!(!taken.a_wall_from_all(&rect(1.4, 0.0, 2.4, 1.0), (0, 0), 1, 0.5));
        assert!(taken.a_wall_from_all(&rect(1.6, 0.0, 2.6, 1.0), (1, 0), 1, 0.5));
    }

    /// Every pore inside the footprint, at least the margin from its edges, and pores apart by
    /// at least the wall.
    fn assert_valid(loops: &[Ring], layout: &Layout, p: &LayoutParams) {
        for (k, a) in layout.pores.iter().enumerate() {
            for b in &layout.pores[k + 1..] {
                let n = a.outline_mm.len();
                let m = b.outline_mm.len();
                let gap = (0..n)
                    .flat_map(|i| (0..m).map(move |j| (i, j)))
                    .map(|(i, j)| {
                        segment_distance(
                            a.outline_mm[i],
                            a.outline_mm[(i + 1) % n],
                            b.outline_mm[j],
                            b.outline_mm[(j + 1) % m],
                        )
                    })
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    gap >= p.wall_mm * 0.9,
                    "pores {:?} and {:?} only {gap} apart",
                    a.center_mm,
                    b.center_mm
                );
            }
        }
        let pieces = pieces(loops);
        for pore in &layout.pores {
            assert!(
                pieces.iter().any(|pc| pc.holds(
                    &pore.outline_mm,
                    pore.center_mm,
                    p.margin_mm - 1e-9
                )),
                "pore at {:?} breaks the margin",
                pore.center_mm
            );
        }
    }

    #[test]
    fn square_grid_in_a_rectangle_matches_the_count_by_hand() {
        // 20 x 10 mm, margin 0.5: pore centres need x in [1, 19], y in [1, 9] (half pore 0.5
        // + margin 0.5); pitch 2 from 0: x = 2..18 (9), y = 2..8 (4) -> 36 pores.
        let loops = vec![rect(0.0, 0.0, 20.0, 10.0)];
        let p = params(Pattern::Grid);
        let l = lay_out(&loops, &p);
        assert_eq!(l.pores.len(), 36);
        assert!((l.pore_area_mm2 - 36.0).abs() < 1e-9);
        assert!((l.area_fraction - 36.0 / 200.0).abs() < 1e-12);
        assert_valid(&loops, &l, &p);
        // Shifted by half a pitch: x = 1..19 (10), y = 1..9 (5) -> 50 pores.
        let shifted = LayoutParams {
            phase_mm: [1.0, 1.0],
            ..p
        };
        assert_eq!(lay_out(&loops, &shifted).pores.len(), 50);
    }

    /// A `w` x `h` rectangle centred on the origin, turned by `deg` degrees.
    fn turned_rect(w: f64, h: f64, deg: f64) -> Ring {
        let (s, c) = deg.to_radians().sin_cos();
        [(-w, -h), (w, -h), (w, h), (-w, h)]
            .iter()
            .map(|&(x, y)| [0.5 * (x * c - y * s), 0.5 * (x * s + y * c)])
            .collect()
    }

    #[test]
    fn the_points_tried_follow_the_area_not_the_bounding_box_at_any_angle() {
        // A 200 x 20 mm piece (4000 mm²) on a 2 mm pitch: about 4000 / 4 = 1000 lattice
        // points fall inside, give or take a row along the edges (perimeter 440 / pitch 2 /
        // 2 = 110). Turned by 45 degrees the piece's bounding box is 156 x 156 mm, whose
        // 6,050 lattice points the layout used to try one by one.
        let p = params(Pattern::Grid);
        for deg in [0.0, 45.0] {
            for lattice_deg in [0.0, 45.0] {
                let piece = turned_rect(200.0, 20.0, deg);
                let turned = LayoutParams {
                    angle_deg: lattice_deg,
                    ..p
                };
                let l = lay_out(std::slice::from_ref(&piece), &turned);
                assert!(
                    (890..=1110).contains(&l.points_tried),
                    "piece {deg}°, lattice {lattice_deg}°: {} points tried",
                    l.points_tried
                );
                // Square pores of 1 mm with 0.5 mm margins: centres at least 1 mm inside
                // (1.21 mm for a pore turned by 45° against the edges), so 9 of the 10 rows
                // and 99 of the 100 columns when aligned: 891 pores.
                if deg == lattice_deg {
                    assert_eq!(l.pores.len(), 891, "{deg}°");
                } else {
                    assert!(
                        l.pores.len() > 700,
                        "{deg}/{lattice_deg}: {}",
                        l.pores.len()
                    );
                }
                assert_valid(std::slice::from_ref(&piece), &l, &turned);
            }
        }
        // Four times the area (400 x 40 mm): four times the points, within the edge rows.
        let big = turned_rect(400.0, 40.0, 45.0);
        let l = lay_out(std::slice::from_ref(&big), &p);
        assert!(
            (3780..=4220).contains(&l.points_tried),
            "{}",
            l.points_tried
        );
    }

    #[test]
    fn the_bound_counts_area_over_the_cell_and_rows_on_thin_pieces() {
        let p = params(Pattern::Grid);
        // 200 x 20 mm on a 2 x 2 mm cell: 1000 pores of 4 vertices.
        let b = bound(&[turned_rect(200.0, 20.0, 30.0)], &p);
        assert!((b.pores - 1000.0).abs() < 1e-6, "{b:?}");
        assert!((b.outline_vertices - 4000.0).abs() < 1e-6, "{b:?}");
        // Hex rows: cell 2 x 2·√3/2 = 3.464 mm², round pores of 16 vertices.
        let b = bound(&[turned_rect(200.0, 20.0, 30.0)], &params(Pattern::Hex));
        assert!((b.pores - 4000.0 / 12f64.sqrt()).abs() < 1e-6, "{b:?}");
        // A 200 x 2 mm rib is thin (2·area / perimeter = 1.98 < 2 x (1 + 2 x 0.5) = 4): a
        // row along half its perimeter (202 mm) at the smallest pitch (0.8 + 1 mm): 112.2.
        let b = bound(&[turned_rect(200.0, 2.0, 0.0)], &p);
        assert!((b.pores - 202.0 / 1.8).abs() < 1e-6, "{b:?}");
        assert!(
            (b.outline_vertices - 16.0 * 202.0 / 1.8).abs() < 1e-6,
            "{b:?}"
        );
    }

    #[test]
    fn hex_rows_are_staggered_and_a_hole_is_respected() {
        let mut loops = vec![rect(0.0, 0.0, 30.0, 30.0)];
        let mut hole = rect(10.0, 10.0, 20.0, 20.0);
        hole.reverse();
        loops.push(hole);
        let p = params(Pattern::Hex);
        let l = lay_out(&loops, &p);
        assert!(l.pores.len() > 100, "{}", l.pores.len());
        assert_valid(&loops, &l, &p);
        assert!(l.pores.iter().all(|q| {
            let c = q.center_mm;
            // Centres at least radius + margin = 1 mm outside the hole (up to rounding).
            let (lo, hi) = (9.0 + 1e-9, 21.0 - 1e-9);
            !(c[0] > lo && c[0] < hi && c[1] > lo && c[1] < hi)
        }));
        // Rows 2 * sqrt(3)/2 apart, every other row shifted by 1.
        let mut ys: Vec<f64> = l.pores.iter().map(|q| q.center_mm[1]).collect();
        ys.sort_by(f64::total_cmp);
        ys.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        assert!((ys[1] - ys[0] - 3f64.sqrt()).abs() < 1e-9);
    }

    /// A rib `width` mm wide and 60 mm long, turned by 30 degrees about the origin.
    fn turned_rib(width: f64) -> Ring {
        let a = 30f64.to_radians();
        let (c, s) = (a.cos(), a.sin());
        let h = width / 2.0;
        [(0.0, -h), (60.0, -h), (60.0, h), (0.0, h)]
            .iter()
            .map(|&(x, y)| [x * c - y * s, x * s + y * c])
            .collect()
    }

    #[test]
    fn slots_lie_across_a_turned_rib_and_in_rows_on_a_wide_piece() {
        // A 3 mm rib, 60 mm long, turned by 30 degrees: slots 1 mm wide across it, each as
        // long as the rib is wide less the margins (about 2 mm), one pitch (2 mm) apart.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let rib = turned_rib(3.0);
        let p = params(Pattern::Slots);
        let l = lay_out(std::slice::from_ref(&rib), &p);
        assert!(
            l.pores.len() >= 26 && l.pores.len() <= 30,
            "{}",
            l.pores.len()
        );
        assert_valid(std::slice::from_ref(&rib), &l, &p);
        for slot in &l.pores {
            // Away from the rib's ends (where the end wall shortens a slot)...
            let x = slot.center_mm[0] * c + slot.center_mm[1] * s;
            if !(2.5..=57.5).contains(&x) {
                continue;
            }
            // ...the long side lies across the rib: along (-sin, cos) of the turn.
            let (p0, p1, p2) = (slot.outline_mm[0], slot.outline_mm[1], slot.outline_mm[2]);
            let (e1, e2) = (
                [p1[0] - p0[0], p1[1] - p0[1]],
                [p2[0] - p1[0], p2[1] - p1[1]],
            );
            let long = if e1[0].hypot(e1[1]) > e2[0].hypot(e2[1]) {
                e1
            } else {
                e2
            };
            let len = long[0].hypot(long[1]);
            assert!((len - 0.98 * 2.0 * (1.5 - 0.5)).abs() < 0.1, "{len}");
            assert!(
                ((long[0] * -s + long[1] * c) / len).abs() > 0.99,
                "slot not across the rib"
            );
        }
        // A wide piece: rows of slots 3 pores long, pitch 2 along and 3 + 1 across.
        let wide = rect(0.0, 0.0, 20.0, 20.0);
        let l = lay_out(std::slice::from_ref(&wide), &p);
        assert_valid(&[wide], &l, &p);
        assert!(l.pores.iter().all(|q| (q.area_mm2 - 3.0).abs() < 1e-9));
        assert!(l.pores.len() >= 30, "{}", l.pores.len());
    }

    #[test]
    fn thin_ribs_get_a_single_row_and_too_thin_ones_a_reason() {
        // A 2 mm rib, 60 mm long, turned by 30 degrees: no room for the 1 mm lattice with
        // 0.5 mm margins on a 2 mm pitch in general, but a row of about 0.9 mm pores fits.
        let rib = turned_rib(2.0);
        let p = LayoutParams {
            pore_mm: 1.5,
            ..params(Pattern::Grid)
        };
        let l = lay_out(std::slice::from_ref(&rib), &p);
        assert_eq!(l.single_row_pieces, 1);
        // Pore ~0.9 mm, pitch ~1.9 mm along 60 mm less the end margins: about 30 pores.
        assert!(
            l.pores.len() >= 25 && l.pores.len() <= 32,
            "{}",
            l.pores.len()
        );
        assert_valid(std::slice::from_ref(&rib), &l, &p);
        assert!(l.notes.iter().any(|n| n.contains("single row")));
        // A 1.2 mm rib cannot hold a 0.8 mm pore with 0.5 mm margins.
        let narrow = rect(0.0, 0.0, 40.0, 1.2);
        let l = lay_out(&[narrow], &p);
        assert!(l.pores.is_empty());
        assert!(
            l.notes.iter().any(|n| n.contains("too narrow")),
            "{:?}",
            l.notes
        );
    }
}
