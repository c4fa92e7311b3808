//! The lattice layout of a footprint piece: grid, hex or slots, turned by the pattern angle,
//! shifted by the phase, swept row by row where the rows run inside the piece.

use super::pieces::Piece;
use super::shapes::{pore, rectangle, round};
use super::{LayoutParams, Pattern, Pore, SLOT_ASPECT};

/// Lattice pores inside `piece`, and the number of lattice points tried.
pub(super) fn lattice(piece: &Piece, p: &LayoutParams) -> (Vec<Pore>, usize) {
    let a = p.angle_deg.to_radians();
    let (u, v) = ([a.cos(), a.sin()], [-a.sin(), a.cos()]);
    let pitch = p.pore_mm + p.wall_mm;
    let (row, shift) = match p.pattern {
        Pattern::Grid => (pitch, 0.0),
        Pattern::Hex => (pitch * 3f64.sqrt() / 2.0, pitch / 2.0),
        Pattern::Slots => (SLOT_ASPECT * p.pore_mm + p.wall_mm, 0.0),
    };
    let along = |q: [f64; 2], d: [f64; 2]| q[0] * d[0] + q[1] * d[1];
    // The piece's extent across the rows, in lattice coordinates.
    let (t0, t1) = [
        [piece.bbox[0], piece.bbox[1]],
        [piece.bbox[2], piece.bbox[1]],
        [piece.bbox[2], piece.bbox[3]],
        [piece.bbox[0], piece.bbox[3]],
    ]
    .iter()
    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
        (lo.min(along(c, v)), hi.max(along(c, v)))
    });
    // The boundary in lattice coordinates, swept row by row: each row's lattice points are
    // tried only where the row runs inside the piece (even-odd crossings), so the points tried
    // follow the piece's area, not its bounding box, and a point tried is inside by
    // construction (a turned lattice over a thin diagonal rib tried the whole box before).
    let mut edges: Vec<([f64; 2], [f64; 2])> = piece
        .grid
        .segments
        .iter()
        .map(|&(a, b)| ([along(a, u), along(a, v)], [along(b, u), along(b, v)]))
        .collect();
    edges.sort_by(|x, y| x.0[1].min(x.1[1]).total_cmp(&y.0[1].min(y.1[1])));
    let mut next_edge = 0;
    let mut active: Vec<([f64; 2], [f64; 2])> = Vec::new();
    let mut crossings: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    let mut tried = 0usize;
    let j0 = ((t0 - p.phase_mm[1]) / row).floor() as i64 - 1;
    let j1 = ((t1 - p.phase_mm[1]) / row).ceil() as i64 + 1;
    for j in j0..=j1 {
        let t = p.phase_mm[1] + j as f64 * row;
        while next_edge < edges.len() && edges[next_edge].0[1].min(edges[next_edge].1[1]) <= t {
            active.push(edges[next_edge]);
            next_edge += 1;
        }
        active.retain(|e| e.0[1].max(e.1[1]) >= t);
        crossings.clear();
        crossings.extend(
            active
                .iter()
                .filter(|(a, b)| (a[1] > t) != (b[1] > t))
                .map(|(a, b)| a[0] + (t - a[1]) / (b[1] - a[1]) * (b[0] - a[0])),
        );
        crossings.sort_by(f64::total_cmp);
        let offset = if j.rem_euclid(2) == 1 { shift } else { 0.0 };
        for span in crossings.chunks_exact(2) {
            let i0 = ((span[0] - p.phase_mm[0] - offset) / pitch).ceil() as i64;
            let i1 = ((span[1] - p.phase_mm[0] - offset) / pitch).floor() as i64;
            for i in i0..=i1 {
                let s = p.phase_mm[0] + offset + i as f64 * pitch;
                if !(s > span[0] && s < span[1]) {
                    continue; // on the boundary: no room for a margin
                }
                tried += 1;
                let c = [s * u[0] + t * v[0], s * u[1] + t * v[1]];
                let outline = match p.pattern {
                    Pattern::Grid => rectangle(c, p.pore_mm, p.pore_mm, u, v),
                    Pattern::Hex => round(c, p.pore_mm, p.round_segments),
                    Pattern::Slots => rectangle(c, p.pore_mm, SLOT_ASPECT * p.pore_mm, u, v),
                };
                if piece.clear(&outline, p.margin_mm) {
                    out.push(pore(outline));
                }
            }
        }
    }
    (out, tried)
}
