//! The bit raster of a layer's section: filling it from the contour, eroding it, and the
//! bit-row helpers the region stages count with.

use super::layers::Segment;

/// Largest number of raster cells over all layers (bits of one layer mask set); the cell is
/// enlarged for parts that would need more, which keeps memory at ~3 × 32 MB.
pub(super) const MAX_RASTER_BITS: f64 = (1u64 << 28) as f64;

/// Bit rows of one layer's region on the common raster.
pub(super) struct Raster {
    pub(super) cols: usize,
    pub(super) rows: usize,
    pub(super) words: usize,
    pub(super) origin: [f64; 2],
    pub(super) cell: f64,
}

impl Raster {
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
