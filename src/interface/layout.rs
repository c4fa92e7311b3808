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

use hashbrown::HashMap;
use serde::Serialize;

use crate::mesh::polygon::{bbox2, ring_area, ring_perimeter};

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
const SLOT_ASPECT: f64 = 3.0;

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

type Ring = Vec<[f64; 2]>;

fn inside_ring(r: &Ring, p: [f64; 2]) -> bool {
    let mut odd = false;
    let n = r.len();
    for k in 0..n {
        let (a, b) = (r[k], r[(k + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
        {
            odd = !odd;
        }
    }
    odd
}

fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    closest_on_segment(p, a, b).1
}

/// The point of segment a-b nearest to `p`, and its distance.
fn closest_on_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> ([f64; 2], f64) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let q = [a[0] + t * dx, a[1] + t * dy];
    (q, ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt())
}

fn segments_cross(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    // Segments on one line (edges of pores in one column of a turned lattice) have
    // orientations that are rounding noise of either sign: apart along the line, their boxes
    // are apart too, and they do not cross.
    if a[0].max(b[0]) < c[0].min(d[0])
        || c[0].max(d[0]) < a[0].min(b[0])
        || a[1].max(b[1]) < c[1].min(d[1])
        || c[1].max(d[1]) < a[1].min(b[1])
    {
        return false;
    }
    let o = |p: [f64; 2], q: [f64; 2], r: [f64; 2]| {
        (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    };
    let (d1, d2, d3, d4) = (o(a, b, c), o(a, b, d), o(c, d, a), o(c, d, b));
    (d1 > 0.0) != (d2 > 0.0) && (d3 > 0.0) != (d4 > 0.0)
}

fn segment_distance(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> f64 {
    if segments_cross(a, b, c, d) {
        return 0.0;
    }
    point_segment_distance(a, c, d)
        .min(point_segment_distance(b, c, d))
        .min(point_segment_distance(c, a, b))
        .min(point_segment_distance(d, a, b))
}

/// The boundary segments of a piece bucketed in a uniform grid, for distance queries that
/// look at the nearby segments only.
struct SegmentGrid {
    origin: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    buckets: Vec<Vec<u32>>,
    segments: Vec<([f64; 2], [f64; 2])>,
}

impl SegmentGrid {
    fn new(segments: Vec<([f64; 2], [f64; 2])>, bbox: [f64; 4]) -> Self {
        let (w, h) = ((bbox[2] - bbox[0]).max(1e-9), (bbox[3] - bbox[1]).max(1e-9));
        // About one segment per cell on average, at most 512 cells a side.
        let cell = ((w * h) / segments.len().max(1) as f64)
            .sqrt()
            .max(w.max(h) / 512.0);
        let nx = ((w / cell).ceil() as usize).max(1);
        let ny = ((h / cell).ceil() as usize).max(1);
        let mut grid = SegmentGrid {
            origin: [bbox[0], bbox[1]],
            cell,
            nx,
            ny,
            buckets: vec![Vec::new(); nx * ny],
            segments,
        };
        for (k, &(a, b)) in grid.segments.iter().enumerate() {
            let (i0, j0) = grid.cell_of([a[0].min(b[0]), a[1].min(b[1])]);
            let (i1, j1) = grid.cell_of([a[0].max(b[0]), a[1].max(b[1])]);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    grid.buckets[j * nx + i].push(k as u32);
                }
            }
        }
        grid
    }

    fn cell_of(&self, p: [f64; 2]) -> (usize, usize) {
        let i = ((p[0] - self.origin[0]) / self.cell)
            .floor()
            .clamp(0.0, (self.nx - 1) as f64);
        let j = ((p[1] - self.origin[1]) / self.cell)
            .floor()
            .clamp(0.0, (self.ny - 1) as f64);
        (i as usize, j as usize)
    }

    /// Segments whose cells meet the box [x0, y0, x1, y1] (each once).
    fn near(&self, b: [f64; 4]) -> Vec<u32> {
        let (i0, j0) = self.cell_of([b[0], b[1]]);
        let (i1, j1) = self.cell_of([b[2], b[3]]);
        let mut out: Vec<u32> = (j0..=j1)
            .flat_map(|j| {
                (i0..=i1).flat_map(move |i| self.buckets[j * self.nx + i].iter().copied())
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Distance from `p` to the nearest segment.
    fn distance(&self, p: [f64; 2]) -> f64 {
        self.nearest(p).1
    }

    /// The nearest boundary point to `p` and its distance: rings of cells outwards until the
    /// next ring cannot hold anything nearer.
    fn nearest(&self, p: [f64; 2]) -> ([f64; 2], f64) {
        let (ci, cj) = self.cell_of(p);
        let mut best = ([f64::NAN; 2], f64::INFINITY);
        let reach = self.nx.max(self.ny);
        for r in 0..=reach {
            let (i0, i1) = (ci.saturating_sub(r), (ci + r).min(self.nx - 1));
            let (j0, j1) = (cj.saturating_sub(r), (cj + r).min(self.ny - 1));
            for j in j0..=j1 {
                for i in i0..=i1 {
                    if i != i0 && i != i1 && j != j0 && j != j1 {
                        continue; // inside the ring: done in an earlier round
                    }
                    for &k in &self.buckets[j * self.nx + i] {
                        let (a, b) = self.segments[k as usize];
                        let (q, d) = closest_on_segment(p, a, b);
                        if d < best.1 {
                            best = (q, d);
                        }
                    }
                }
            }
            // Everything not yet seen is at least r cells away from p's cell.
            if best.1 <= r as f64 * self.cell {
                break;
            }
        }
        best
    }
}

/// Points bucketed in square cells, for "all points within r" queries.
struct PointBuckets {
    cell: f64,
    cells: HashMap<(i64, i64), Vec<[f64; 2]>>,
}

impl PointBuckets {
    fn new(points: impl Iterator<Item = [f64; 2]>, cell: f64) -> Self {
        let mut cells: HashMap<(i64, i64), Vec<[f64; 2]>> = HashMap::new();
        for q in points {
            cells
                .entry(((q[0] / cell).floor() as i64, (q[1] / cell).floor() as i64))
                .or_default()
                .push(q);
        }
        PointBuckets { cell, cells }
    }

    fn within(&self, c: [f64; 2], r: f64) -> Vec<[f64; 2]> {
        let k = (r / self.cell).ceil() as i64;
        let (ci, cj) = (
            (c[0] / self.cell).floor() as i64,
            (c[1] / self.cell).floor() as i64,
        );
        let mut out = Vec::new();
        for i in ci - k..=ci + k {
            for j in cj - k..=cj + k {
                if let Some(list) = self.cells.get(&(i, j)) {
                    out.extend(
                        list.iter()
                            .filter(|q| (q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2) <= r * r),
                    );
                }
            }
        }
        out
    }
}

/// Unit principal axis of the points around `c` within `r` (None with fewer than three).
fn local_axis(points: &PointBuckets, c: [f64; 2], r: f64) -> Option<[f64; 2]> {
    let near = points.within(c, r);
    if near.len() < 3 {
        return None;
    }
    Some(principal_axis(near.iter(), near.len() as f64))
}

/// Least distance between two polygons' outlines.
fn polygon_gap(a: &Ring, b: &Ring) -> f64 {
    let (n, m) = (a.len(), b.len());
    (0..n)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .map(|(i, j)| segment_distance(a[i], a[(i + 1) % n], b[j], b[(j + 1) % m]))
        .fold(f64::INFINITY, f64::min)
}

/// A footprint piece: an outer ring with the holes inside it.
struct Piece {
    rings: Vec<Ring>,
    area_mm2: f64,
    bbox: [f64; 4],
    grid: SegmentGrid,
}

impl Piece {
    fn contains(&self, p: [f64; 2]) -> bool {
        self.rings.iter().filter(|r| inside_ring(r, p)).count() % 2 == 1
    }

    /// Distance from `p` to the nearest edge.
    fn clearance(&self, p: [f64; 2]) -> f64 {
        self.grid.distance(p)
    }

    /// Is the (convex) pore wholly inside, at least `margin` from every edge? (The layout
    /// knows its centres are inside and asks [`Piece::clear`] alone.)
    #[cfg(test)]
    fn holds(&self, pore: &Ring, center: [f64; 2], margin: f64) -> bool {
        self.contains(center) && self.clear(pore, margin)
    }

    /// With its centre inside the piece: is the (convex) pore at least `margin` from every
    /// edge, and holds no edge inside it? Looks at the boundary segments near the pore only,
    /// so its cost does not grow with the piece: a pore whose centre is inside and that no
    /// boundary comes near or into lies wholly inside.
    fn clear(&self, pore: &Ring, margin: f64) -> bool {
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
fn pieces(loops: &[Ring]) -> Vec<Piece> {
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
fn grouped(loops: &[Ring]) -> Vec<(Vec<Ring>, f64)> {
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

/// A rectangle `along_u` by `along_v` centred at `center`, sides along the unit vectors u and
/// v (v a quarter turn counter-clockwise from u), counter-clockwise.
fn rectangle(center: [f64; 2], along_u: f64, along_v: f64, u: [f64; 2], v: [f64; 2]) -> Ring {
    let (h, k) = (along_u / 2.0, along_v / 2.0);
    [(-h, -k), (h, -k), (h, k), (-h, k)]
        .iter()
        .map(|&(a, b)| {
            [
                center[0] + a * u[0] + b * v[0],
                center[1] + a * u[1] + b * v[1],
            ]
        })
        .collect()
}

fn round(center: [f64; 2], diameter: f64, segments: usize) -> Ring {
    // The polygon's edges stay outside the circle's inscribed polygon: vertices on the circle.
    let r = diameter / 2.0;
    (0..segments)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / segments as f64;
            [center[0] + r * a.cos(), center[1] + r * a.sin()]
        })
        .collect()
}

/// A pore of this outline; its centre is the mean of its vertices (the centre of the
/// symmetric shapes used here).
fn pore(outline: Ring) -> Pore {
    let n = outline.len() as f64;
    let center_mm = outline
        .iter()
        .fold([0.0, 0.0], |c, q| [c[0] + q[0] / n, c[1] + q[1] / n]);
    let area_mm2 = ring_area(&outline);
    Pore {
        center_mm,
        outline_mm: outline,
        area_mm2,
    }
}

/// Lattice pores inside `piece`, and the number of lattice points tried.
fn lattice(piece: &Piece, p: &LayoutParams) -> (Vec<Pore>, usize) {
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

/// Candidate centres of a single row, at most, per piece (about 0.7 s of clearance queries;
/// every sample's pieces hold fewer, so none is laid out more coarsely than before).
const MAX_ROW_CANDIDATES: f64 = 4e5;

/// A single row of round pores along a thin piece, sized to it; `Err` gives the piece's width
/// when it is too narrow for any printable pore.
fn single_row(piece: &Piece, p: &LayoutParams, tried: &mut usize) -> Result<Vec<Pore>, f64> {
    let candidates = row_candidates(piece, p);
    *tried += candidates.len();
    let best = candidates.iter().map(|c| c.1).fold(0.0, f64::max);
    // 2% below the widest pore that fits, so that a row of centres, not a single line of
    // grid points, can hold it.
    let d = (0.98 * 2.0 * (best - p.margin_mm)).min(p.pore_mm);
    if d < p.min_pore_mm {
        return Err(2.0 * best);
    }
    let needed = d / 2.0 + p.margin_mm;
    let mut feasible: Vec<([f64; 2], f64)> = candidates
        .into_iter()
        .filter(|c| c.1 >= needed - 1e-12)
        .collect();
    // Along the piece: by the principal axis of the feasible centres.
    let axis = principal_axis(feasible.iter().map(|c| &c.0), feasible.len() as f64);
    feasible.sort_by(|a, b| {
        let ka = a.0[0] * axis[0] + a.0[1] * axis[1];
        let kb = b.0[0] * axis[0] + b.0[1] * axis[1];
        ka.total_cmp(&kb).then(b.1.total_cmp(&a.1))
    });
    let row = Row {
        d,
        pitch: d + p.wall_mm,
        widest_clearance: best,
        axis,
    };
    Ok(place_row(piece, p, &row, feasible))
}

/// Candidate centres of a single row on a fine grid inside the piece, each with its
/// clearance (which tells the local half-width).
fn row_candidates(piece: &Piece, p: &LayoutParams) -> Vec<([f64; 2], f64)> {
    // The step is a tenth of the smallest pore, so the best candidate is within 7% of that
    // pore of the true middle; coarser only for a piece that would hold more than
    // MAX_ROW_CANDIDATES of them (by its own area: candidates lie inside it). Each costs a
    // clearance query: bounding by the bounding box at 4 million took 34 s on the ribbed
    // plate read in centimetres (found by the fuzz bench).
    let step = (p.min_pore_mm / 10.0).max((piece.area_mm2.abs() / MAX_ROW_CANDIDATES).sqrt());
    let mut candidates: Vec<([f64; 2], f64)> = Vec::new();
    let mut y = piece.bbox[1] + step / 2.0;
    while y < piece.bbox[3] {
        // Where this row is inside the piece (even-odd crossings).
        let mut xs: Vec<f64> = piece
            .rings
            .iter()
            .flat_map(|r| (0..r.len()).map(move |k| (r[k], r[(k + 1) % r.len()])))
            .filter(|(a, b)| (a[1] > y) != (b[1] > y))
            .map(|(a, b)| a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]))
            .collect();
        xs.sort_by(f64::total_cmp);
        for span in xs.chunks_exact(2) {
            let mut x = piece.bbox[0] + ((span[0] - piece.bbox[0]) / step).ceil() * step;
            while x < span[1] {
                let c = [x, y];
                candidates.push((c, piece.clearance(c)));
                x += step;
            }
        }
        y += step;
    }
    candidates
}

/// Unit principal axis of `n` points (the direction of their largest spread), from their
/// mean and second moments.
fn principal_axis<'a>(points: impl Iterator<Item = &'a [f64; 2]> + Clone, n: f64) -> [f64; 2] {
    let (mx, my) = points
        .clone()
        .fold((0.0, 0.0), |(x, y), q| (x + q[0] / n, y + q[1] / n));
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for q in points {
        let (dx, dy) = (q[0] - mx, q[1] - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let theta = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    [theta.cos(), theta.sin()]
}

/// A single row's sizes: the pores' diameter (slots' width) `d`, the pitch between their
/// centres, the widest clearance in the piece (how far a slot can reach) and the piece's
/// principal axis (the fallback direction along it).
struct Row {
    d: f64,
    pitch: f64,
    widest_clearance: f64,
    axis: [f64; 2],
}

/// The pores of a single row, taken greedily from the `feasible` centres in their order (along
/// the piece): a centre a pitch from every pore taken, its pore (round, or a slot across the
/// rib) clear of the piece's edges and, for slots, a wall from every slot near it.
fn place_row(
    piece: &Piece,
    p: &LayoutParams,
    row: &Row,
    feasible: Vec<([f64; 2], f64)>,
) -> Vec<Pore> {
    let pitch = row.pitch;
    // The feasible centres bucketed, for the local direction of the piece at a slot; one
    // centre per quarter-pitch cell is plenty for a direction, and keeps each query to a few
    // hundred points however fine the candidate grid.
    let mut seen: hashbrown::HashSet<(i64, i64)> = hashbrown::HashSet::new();
    let quarter = pitch / 4.0;
    let centres = PointBuckets::new(
        feasible.iter().map(|f| f.0).filter(|c| {
            seen.insert((
                (c[0] / quarter).floor() as i64,
                (c[1] / quarter).floor() as i64,
            ))
        }),
        pitch,
    );
    // Slots are longer than the pitch: the cells around a slot that another slot reaching
    // it can have its centre in.
    let reach = ((2.0 * row.widest_clearance + p.wall_mm) / pitch).ceil() as i64 + 1;
    let mut taken = Taken::new(pitch);
    for (c, clearance) in feasible {
        let key = taken.cell(c);
        if !taken.a_pitch_from_all(c, key) {
            continue;
        }
        let outline = match p.pattern {
            Pattern::Slots => slot_across(piece, p, row, &centres, c, clearance),
            _ => round(c, row.d, p.round_segments),
        };
        // Slots are longer than the pitch and fan out along a curving rib: keep them a wall
        // apart from every slot that could reach them, not only their centres.
        let apart =
            p.pattern != Pattern::Slots || taken.a_wall_from_all(&outline, key, reach, p.wall_mm);
        // `c` is a candidate inside the piece (it lies in a span of its row).
        if apart && piece.clear(&outline, p.margin_mm) {
            taken.push(pore(outline), key);
        }
    }
    taken.pores
}

/// The slot of a single row at candidate centre `c` (its clearance `clearance`): across the
/// rib, square to the rib's local direction (the principal axis of the feasible `centres`
/// within two pitches), moved across to the rib's middle, and spanning the rib's width there
/// less the margins (2% kept back, as for pores).
fn slot_across(
    piece: &Piece,
    p: &LayoutParams,
    row: &Row,
    centres: &PointBuckets,
    c: [f64; 2],
    clearance: f64,
) -> Ring {
    let along = local_axis(centres, c, 2.0 * row.pitch).unwrap_or(row.axis);
    let across = [-along[1], along[0]];
    // Moved across to the middle of the rib (the most clearance on that line).
    let (mid, clear) = (-20..=20)
        .map(|k| {
            let t = clearance * k as f64 / 20.0;
            let q = [c[0] + t * across[0], c[1] + t * across[1]];
            (
                q,
                if piece.contains(q) {
                    piece.clearance(q)
                } else {
                    0.0
                },
            )
        })
        .fold(
            (c, clearance),
            |best, x| if x.1 > best.1 { x } else { best },
        );
    let length = 0.98 * 2.0 * (clear - p.margin_mm);
    rectangle(mid, row.d, length.max(row.d), along, across)
}

/// The pores a single row has taken, bucketed by pitch-sized cells: a new one looks at the
/// cells around it (a piece can be a network, like a rib grid, so "the last few" is not
/// enough).
struct Taken {
    pitch: f64,
    pores: Vec<Pore>,
    cells: HashMap<(i64, i64), Vec<usize>>,
}

impl Taken {
    fn new(pitch: f64) -> Self {
        Taken {
            pitch,
            pores: Vec::new(),
            cells: HashMap::new(),
        }
    }

    /// The cell of point `c`.
    fn cell(&self, c: [f64; 2]) -> (i64, i64) {
        (
            (c[0] / self.pitch).floor() as i64,
            (c[1] / self.pitch).floor() as i64,
        )
    }

    /// The pores taken in the cells up to `reach` cells from `(i, j)` either way.
    fn around(&self, (i, j): (i64, i64), reach: i64) -> impl Iterator<Item = &Pore> {
        (-reach..=reach)
            .flat_map(move |di| (-reach..=reach).map(move |dj| (i + di, j + dj)))
            .filter_map(|key| self.cells.get(&key))
            .flatten()
            .map(|&q| &self.pores[q])
    }

    /// Whether `c` (in cell `key`) is at least a pitch from the centre of every pore taken
    /// (those of the 3 x 3 cells around it are the only ones that can be nearer).
    fn a_pitch_from_all(&self, c: [f64; 2], key: (i64, i64)) -> bool {
        self.around(key, 1).all(|q| {
            let o = q.center_mm;
            ((o[0] - c[0]).powi(2) + (o[1] - c[1]).powi(2)).sqrt() >= self.pitch
        })
    }

    /// Whether `outline` (centred in cell `key`) is at least `wall_mm` from the outline of
    /// every pore taken within `reach` cells.
    fn a_wall_from_all(&self, outline: &Ring, key: (i64, i64), reach: i64, wall_mm: f64) -> bool {
        self.around(key, reach)
            .all(|q| polygon_gap(&q.outline_mm, outline) >= wall_mm)
    }

    fn push(&mut self, pore: Pore, key: (i64, i64)) {
        self.pores.push(pore);
        self.cells
            .entry(key)
            .or_default()
            .push(self.pores.len() - 1);
    }
}

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
