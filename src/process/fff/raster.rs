//! The bit raster of a layer's section: filling it from the contour, eroding it, and the
//! bit-row helpers the region stages count with.

use super::layers::Segment;

/// Largest number of raster cells over all layers (bits of one layer mask set); the cell is
/// enlarged for parts that would need more, which keeps memory at ~3 × 32 MB.
const MAX_RASTER_BITS: f64 = (1u64 << 28) as f64;

/// Bit rows of one layer's region on the common raster.
pub(super) struct Raster {
    pub(super) cols: usize,
    pub(super) rows: usize,
    pub(super) words: usize,
    pub(super) origin: [f64; 2],
    pub(super) cell: f64,
}

impl Raster {
    /// The raster common to all `layers` layers over `bounds` ([u0, v0, u1, v1]), a cell
    /// beyond them on every side: cells of `fine_mm`, larger only where the layers would
    /// need more than MAX_RASTER_BITS of them.
    pub(super) fn covering(bounds: [f64; 4], fine_mm: f64, layers: usize) -> Raster {
        let bb = bounds;
        let extent = [bb[2] - bb[0], bb[3] - bb[1]];
        let cell = fine_mm.max((extent[0] * extent[1] * layers as f64 / MAX_RASTER_BITS).sqrt());
        let cols = (extent[0] / cell).ceil() as usize + 2;
        let rows = (extent[1] / cell).ceil() as usize + 2;
        Raster {
            cols,
            rows,
            words: cols.div_ceil(64),
            origin: [bb[0] - cell, bb[1] - cell],
            cell,
        }
    }

    /// Erosion steps that reach `d_mm` into the region: depth m holds the cells whose
    /// centres lie about (m + ½) cells from the edge.
    pub(super) fn depth_at(&self, d_mm: f64) -> usize {
        ((d_mm / self.cell) - 0.5).ceil().max(0.0) as usize
    }

    /// The area of one cell (mm²).
    pub(super) fn cell_mm2(&self) -> f64 {
        self.cell * self.cell
    }

    pub(super) fn len(&self) -> usize {
        self.rows * self.words
    }

    /// Fills the region enclosed by `segments` (non-zero winding, so that touching or
    /// overlapping bodies are one region): cells whose centres lie inside.
    pub(super) fn fill(&self, segments: &[Segment]) -> Vec<u64> {
        let mut bits = vec![0u64; self.len()];
        // (row, x, winding step)
        let mut hits: Vec<(u32, f64, i32)> = Vec::new();
        let c = self.cell;
        for s in segments {
            let (a, b) = (s.from, s.to);
            if a[1] == b[1] {
                continue;
            }
            let (lo, hi) = if a[1] < b[1] { (a, b) } else { (b, a) };
            // Material on the left: a segment going down (-y) enters the region from the left.
            let step = if b[1] < a[1] { 1 } else { -1 };
            let r0 = ((lo[1] - self.origin[1]) / c - 0.5).ceil().max(0.0) as usize;
            let r1 = (((hi[1] - self.origin[1]) / c - 0.5).ceil().max(0.0) as usize).min(self.rows);
            for r in r0..r1 {
                let y = self.origin[1] + (r as f64 + 0.5) * c;
                let t = (y - lo[1]) / (hi[1] - lo[1]);
                hits.push((r as u32, lo[0] + (hi[0] - lo[0]) * t, step));
            }
        }
        hits.sort_unstable_by(|p, q| p.0.cmp(&q.0).then(p.1.total_cmp(&q.1)));
        let mut i = 0;
        while i < hits.len() {
            let row = hits[i].0 as usize;
            let mut winding = 0;
            let mut start = 0.0;
            while i < hits.len() && hits[i].0 as usize == row {
                let (_, x, step) = hits[i];
                let was_inside = winding > 0;
                winding += step;
                if !was_inside && winding > 0 {
                    start = x;
                } else if was_inside && winding <= 0 {
                    self.set_span(&mut bits, row, start, x);
                }
                i += 1;
            }
        }
        bits
    }

    /// Sets the cells of `row` whose centres lie in [x0, x1).
    fn set_span(&self, bits: &mut [u64], row: usize, x0: f64, x1: f64) {
        let c = self.cell;
        let c0 = ((x0 - self.origin[0]) / c - 0.5).ceil().max(0.0) as usize;
        let c1 = (((x1 - self.origin[0]) / c - 0.5).ceil().max(0.0) as usize).min(self.cols);
        let base = row * self.words;
        for col in c0..c1 {
            bits[base + col / 64] |= 1u64 << (col % 64);
        }
    }

    /// One erosion step: a cell stays when its 4 neighbours (`diagonal`: all 8) are set.
    /// Alternating the two approximates erosion by a disc (an octagon).
    pub(super) fn erode(&self, bits: &[u64], diagonal: bool) -> Vec<u64> {
        let w = self.words;
        let mut out = vec![0u64; bits.len()];
        let row = |r: usize| &bits[r * w..(r + 1) * w];
        // Cells whose left and right neighbours are set, and the cell itself.
        let horizontal = |src: &[u64], k: usize| {
            let left = (src[k] << 1) | if k > 0 { src[k - 1] >> 63 } else { 0 };
            let right = (src[k] >> 1) | if k + 1 < w { src[k + 1] << 63 } else { 0 };
            src[k] & left & right
        };
        for r in 1..self.rows.saturating_sub(1) {
            let (up, mid, down) = (row(r - 1), row(r), row(r + 1));
            for k in 0..w {
                let mut v = horizontal(mid, k) & up[k] & down[k];
                if diagonal {
                    v &= horizontal(up, k) & horizontal(down, k);
                }
                out[r * w + k] = v;
            }
        }
        out
    }
}

/// Set cells of `row` in the columns [s, e).
pub(super) fn count_span(row: &[u64], s: usize, e: usize) -> u64 {
    count_span_by(|k| row[k], s, e)
}

/// Set cells in the columns [s, e) of the row whose word `k` is `word(k)`.
pub(super) fn count_span_by(word: impl Fn(usize) -> u64, s: usize, e: usize) -> u64 {
    let mut n = 0u64;
    let mut col = s;
    while col < e {
        let k = col / 64;
        let lo = col % 64;
        let hi = (e - k * 64).min(64);
        let mask = if hi - lo == 64 {
            u64::MAX
        } else {
            ((1u64 << (hi - lo)) - 1) << lo
        };
        n += (word(k) & mask).count_ones() as u64;
        col = k * 64 + hi;
    }
    n
}

/// Runs of set cells of one row: [start, end) columns.
pub(super) fn runs(row: &[u64]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (k, &w) in row.iter().enumerate() {
        // Whole words that continue the current state need no bit walk.
        if (w == 0 && start.is_none()) || (w == u64::MAX && start.is_some()) {
            continue;
        }
        for b in 0..64 {
            let on = (w >> b) & 1 == 1;
            match (on, start) {
                (true, None) => start = Some(k * 64 + b),
                (false, Some(s0)) => {
                    out.push((s0, k * 64 + b));
                    start = None;
                }
                _ => {}
            }
        }
    }
    if let Some(s0) = start {
        out.push((s0, row.len() * 64));
    }
    out
}

/// Bits of the columns [s, e) within word `k`.
pub(super) fn span_mask(k: usize, s: usize, e: usize) -> u64 {
    let lo = s.max(k * 64) - k * 64;
    let hi = e.min((k + 1) * 64) - k * 64;
    if hi <= lo {
        0
    } else if hi - lo == 64 {
        u64::MAX
    } else {
        ((1u64 << (hi - lo)) - 1) << lo
    }
}

pub(super) fn popcount(bits: &[u64]) -> u64 {
    bits.iter().map(|w| w.count_ones() as u64).sum()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The closed loop through `points` (counter-clockwise: material inside), keyed by index.
    pub(in super::super) fn ring(points: &[[f64; 2]], first_key: u64) -> Vec<Segment> {
        let n = points.len() as u64;
        (0..n)
            .map(|i| Segment {
                from: points[i as usize],
                to: points[((i + 1) % n) as usize],
                from_key: first_key + i,
                to_key: first_key + (i + 1) % n,
            })
            .collect()
    }

    /// The square [lo, hi]², counter-clockwise.
    pub(in super::super) fn square(lo: f64, hi: f64) -> [[f64; 2]; 4] {
        [[lo, lo], [hi, lo], [hi, hi], [lo, hi]]
    }

    #[test]
    fn a_square_fills_and_erodes_cell_by_cell() {
        // 10 x 10 mm at 1 mm cells: 10 + 2 columns and rows, the first centre at -0.5 mm.
        let raster = Raster::covering([0.0, 0.0, 10.0, 10.0], 1.0, 1);
        assert_eq!((raster.cols, raster.rows, raster.words), (12, 12, 1));
        assert_eq!(raster.origin, [-1.0, -1.0]);
        // Centres 0.5 ... 9.5 lie inside: 10 x 10 cells.
        let bits = raster.fill(&ring(&square(0.0, 10.0), 0));
        assert_eq!(popcount(&bits), 100);
        // A step takes one cell off every side: 8², then 6² (the diagonal step too).
        let once = raster.erode(&bits, false);
        assert_eq!(popcount(&once), 64);
        assert_eq!(popcount(&raster.erode(&once, true)), 36);
        // A 3 x 3 block keeps only its centre.
        let block = raster.fill(&ring(&square(0.0, 3.0), 0));
        assert_eq!(popcount(&raster.erode(&block, true)), 1);
        // Depth of 2 mm: the centres (m + ½) cells in, ceil(2 − ½) = 2 steps.
        assert_eq!(raster.depth_at(2.0), 2);
        assert_eq!(raster.depth_at(0.2), 0);
    }

    #[test]
    fn runs_and_spans_count_bits() {
        // Bits 3..6 and 62..66 over two words.
        let row = [0b111000 | (0b11 << 62), 0b11];
        assert_eq!(runs(&row), vec![(3, 6), (62, 66)]);
        assert_eq!(count_span(&row, 0, 128), 7);
        assert_eq!(count_span(&row, 4, 63), 3);
        assert_eq!(span_mask(1, 62, 66), 0b11);
        assert_eq!(span_mask(0, 0, 64), u64::MAX);
    }
}
