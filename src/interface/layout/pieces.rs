//! Footprint pieces: the loops grouped into outer rings with their holes, each with its
//! boundary segments bucketed, and the tests a pore must pass to lie inside one with the margin.

use super::Ring;
use super::geometry::{SegmentGrid, inside_ring, segment_distance};
use crate::mesh::polygon::{bbox2, ring_area};

/// A footprint piece: an outer ring with the holes inside it.
pub(super) struct Piece {
    pub(super) rings: Vec<Ring>,
    pub(super) area_mm2: f64,
    pub(super) bbox: [f64; 4],
    pub(super) grid: SegmentGrid,
}

impl Piece {
    pub(super) fn contains(&self, p: [f64; 2]) -> bool {
        self.rings.iter().filter(|r| inside_ring(r, p)).count() % 2 == 1
    }

    /// Distance from `p` to the nearest edge.
    pub(super) fn clearance(&self, p: [f64; 2]) -> f64 {
        self.grid.distance(p)
    }

    /// Is the (convex) pore wholly inside, at least `margin` from every edge? (The layout
    /// knows its centres are inside and asks [`Piece::clear`] alone.)
    #[cfg(test)]
    pub(super) fn holds(&self, pore: &Ring, center: [f64; 2], margin: f64) -> bool {
        self.contains(center) && self.clear(pore, margin)
    }

    /// With its centre inside the piece: is the (convex) pore at least `margin` from every
    /// edge, and holds no edge inside it? Looks at the boundary segments near the pore only,
    /// so its cost does not grow with the piece: a pore whose centre is inside and that no
    /// boundary comes near or into lies wholly inside.
    pub(super) fn clear(&self, pore: &Ring, margin: f64) -> bool {
        let b = bbox2(pore);
        let n = pore.len();
        for k in self
            .grid
            .near([b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin])
        {
            let (a, bb) = self.grid.segments[k as usize];
            for e in 0..n {
                if segment_distance(pore[e], pore[(e + 1) % n], a, bb) < margin {
                    return false;
                }
            }
            // A whole hole inside the pore comes near none of its edges.
            if inside_ring(pore, a) {
                return false;
            }
        }
        true
    }
}

/// Groups loops into pieces: each counter-clockwise ring with the clockwise rings inside it.
pub(super) fn pieces(loops: &[Ring]) -> Vec<Piece> {
    grouped(loops)
        .into_iter()
        .map(|(rings, area_mm2)| {
            let bbox = bbox2(&rings[0]);
            let segments = rings
                .iter()
                .flat_map(|r| (0..r.len()).map(move |k| (r[k], r[(k + 1) % r.len()])))
                .collect();
            let grid = SegmentGrid::new(segments, bbox);
            Piece {
                rings,
                area_mm2,
                bbox,
                grid,
            }
        })
        .collect()
}

/// The loops grouped as pieces (outer ring first, then its holes), with each piece's area.
pub(super) fn grouped(loops: &[Ring]) -> Vec<(Vec<Ring>, f64)> {
    let areas: Vec<f64> = loops.iter().map(|r| ring_area(r)).collect();
    let mut out: Vec<(usize, Vec<usize>)> = (0..loops.len())
        .filter(|&k| areas[k] > 0.0 && loops[k].len() >= 3)
        .map(|k| (k, Vec::new()))
        .collect();
    for h in (0..loops.len()).filter(|&k| areas[k] < 0.0 && loops[k].len() >= 3) {
        let (p, q) = (loops[h][0], loops[h][1]);
        let probe = [0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1])];
        if let Some(owner) = out
            .iter_mut()
            .filter(|(o, _)| inside_ring(&loops[*o], probe))
            .min_by(|a, b| areas[a.0].total_cmp(&areas[b.0]))
        {
            owner.1.push(h);
        }
    }
    out.into_iter()
        .map(|(o, holes)| {
            let rings: Vec<Ring> = std::iter::once(o)
                .chain(holes)
                .map(|k| loops[k].clone())
                .collect();
            let area_mm2 = rings.iter().map(|r| ring_area(r)).sum();
            (rings, area_mm2)
        })
        .collect()
}
