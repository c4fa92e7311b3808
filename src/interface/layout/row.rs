//! The single row of a thin footprint piece: round pores (or slots across the rib) sized to
//! the piece's width and placed greedily along its middle, one pitch apart.

use hashbrown::HashMap;

use super::geometry::{PointBuckets, local_axis, polygon_gap, principal_axis};
use super::pieces::Piece;
use super::shapes::{pore, rectangle, round};
use super::{LayoutParams, Pattern, Pore, Ring};

/// Candidate centres of a single row, at most, per piece (about 0.7 s of clearance queries;
/// every sample's pieces hold fewer, so none is laid out more coarsely than before).
const MAX_ROW_CANDIDATES: f64 = 4e5;

/// A single row of round pores along a thin piece, sized to it; `Err` gives the piece's width
/// when it is too narrow for any printable pore.
pub(super) fn single_row(
    piece: &Piece,
    p: &LayoutParams,
    tried: &mut usize,
) -> Result<Vec<Pore>, f64> {
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
pub(super) struct Taken {
    pitch: f64,
    pores: Vec<Pore>,
    cells: HashMap<(i64, i64), Vec<usize>>,
}

impl Taken {
    pub(super) fn new(pitch: f64) -> Self {
        Taken {
            pitch,
            pores: Vec::new(),
            cells: HashMap::new(),
        }
    }

    /// The cell of point `c`.
    pub(super) fn cell(&self, c: [f64; 2]) -> (i64, i64) {
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
    pub(super) fn a_pitch_from_all(&self, c: [f64; 2], key: (i64, i64)) -> bool {
        self.around(key, 1).all(|q| {
            let o = q.center_mm;
            ((o[0] - c[0]).powi(2) + (o[1] - c[1]).powi(2)).sqrt() >= self.pitch
        })
    }

    /// Whether `outline` (centred in cell `key`) is at least `wall_mm` from the outline of
    /// every pore taken within `reach` cells.
    pub(super) fn a_wall_from_all(
        &self,
        outline: &Ring,
        key: (i64, i64),
        reach: i64,
        wall_mm: f64,
    ) -> bool {
        self.around(key, reach)
            .all(|q| polygon_gap(&q.outline_mm, outline) >= wall_mm)
    }

    pub(super) fn push(&mut self, pore: Pore, key: (i64, i64)) {
        self.pores.push(pore);
        self.cells
            .entry(key)
            .or_default()
            .push(self.pores.len() - 1);
    }
}
