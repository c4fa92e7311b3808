//! Connected pieces of a raster mask (runs joined row to row by a union-find): the infill
//! regions of a layer with their cells per class and boundary, and the pieces and holes of
//! the cells printed as one kind.

use hashbrown::HashMap;

use super::raster::{Raster, count_span, count_span_by, runs};
use super::regions::CLASSES;

/// A connected piece of a layer's infill region: its cells per class and its boundary.
pub(super) struct Region {
    pub(super) cells: [u64; CLASSES],
    /// Cell edges between the region and the rest (Manhattan boundary, in cells).
    pub(super) boundary_edges: u64,
    /// Cells that survive one more erosion step.
    pub(super) core_cells: u64,
}

impl Region {
    /// Boundary length: a staircase overestimates a line of random direction by 4/π on
    /// average (Cauchy-Crofton), so the edge count is scaled back.
    pub(super) fn boundary_mm(&self, cell: f64) -> f64 {
        self.boundary_edges as f64 * cell * std::f64::consts::FRAC_PI_4
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The 4-connected regions of `fill` (runs joined row to row by a union-find), with their
/// cells per class and boundary length.
pub(super) fn infill_regions(
    raster: &Raster,
    fill: &[u64],
    core: &[u64],
    classes: &[[u64; CLASSES]],
) -> (Vec<Region>, Vec<Run>) {
    let w = raster.words;
    let mut parent: Vec<usize> = Vec::new();
    // Every run: (row, start, end); its id is its index.
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    let mut prev: Vec<(usize, usize, usize)> = Vec::new(); // previous row: (start, end, id)
    for r in 0..raster.rows {
        let row = &fill[r * w..(r + 1) * w];
        let mut cur = Vec::new();
        let mut j = 0;
        for (s0, e0) in runs(row) {
            let id = parent.len();
            parent.push(id);
            while j < prev.len() && prev[j].1 <= s0 {
                j += 1;
            }
            let mut q = j;
            while q < prev.len() && prev[q].0 < e0 {
                let (a, b) = (find(&mut parent, prev[q].2), find(&mut parent, id));
                if a != b {
                    parent[a] = b;
                }
                q += 1;
            }
            cur.push((s0, e0, id));
            all.push((r, s0, e0));
        }
        prev = cur;
    }
    let mut index: HashMap<usize, usize> = HashMap::new();
    let mut regions: Vec<Region> = Vec::new();
    let mut labelled: Vec<Run> = Vec::with_capacity(all.len());
    let empty = vec![0u64; w];
    for (id, &(r, s0, e0)) in all.iter().enumerate() {
        let root = find(&mut parent, id);
        let slot = *index.entry(root).or_insert_with(|| {
            regions.push(Region {
                cells: [0; CLASSES],
                boundary_edges: 0,
                core_cells: 0,
            });
            regions.len() - 1
        });
        labelled.push(Run {
            row: r,
            start: s0,
            end: e0,
            region: slot,
        });
        let reg = &mut regions[slot];
        let class_row = &classes[r * w..(r + 1) * w];
        for (c, count) in reg.cells.iter_mut().enumerate() {
            *count += count_span_by(|k| class_row[k][c], s0, e0);
        }
        let up = if r > 0 {
            &fill[(r - 1) * w..r * w]
        } else {
            &empty[..]
        };
        let down = if r + 1 < raster.rows {
            &fill[(r + 1) * w..(r + 2) * w]
        } else {
            &empty[..]
        };
        reg.core_cells += count_span(&core[r * w..(r + 1) * w], s0, e0);
        let len = (e0 - s0) as u64;
        reg.boundary_edges += 2 + (len - count_span(up, s0, e0)) + (len - count_span(down, s0, e0));
    }
    (regions, labelled)
}

/// A run of set cells of one raster row, columns [start, end), and the region it belongs to.
pub(super) struct Run {
    pub(super) row: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) region: usize,
}

/// The 4-connected pieces of `bits`: how many there are in all, how many hold a cell of
/// `core`, and how many of those have fewer than `small` cells.
pub(super) fn pieces(
    raster: &Raster,
    bits: &[u64],
    core: &[u64],
    small: u64,
) -> (usize, usize, usize) {
    let w = raster.words;
    let mut parent: Vec<usize> = Vec::new();
    let mut cored: Vec<bool> = Vec::new();
    let mut cells: Vec<u64> = Vec::new();
    let mut prev: Vec<(usize, usize, usize)> = Vec::new();
    for r in 0..raster.rows {
        let row = &bits[r * w..(r + 1) * w];
        let mut cur = Vec::new();
        let mut j = 0;
        for (s0, e0) in runs(row) {
            let id = parent.len();
            parent.push(id);
            cored.push(count_span(&core[r * w..(r + 1) * w], s0, e0) > 0);
            cells.push((e0 - s0) as u64);
            while j < prev.len() && prev[j].1 <= s0 {
                j += 1;
            }
            let mut q = j;
            while q < prev.len() && prev[q].0 < e0 {
                let (a, b) = (find(&mut parent, prev[q].2), find(&mut parent, id));
                if a != b {
                    parent[a] = b;
                    cored[b] |= cored[a];
                    cells[b] += cells[a];
                }
                q += 1;
            }
            cur.push((s0, e0, id));
        }
        prev = cur;
    }
    let (mut all, mut with_core, mut small_with_core) = (0, 0, 0);
    for i in 0..parent.len() {
        if parent[i] == i {
            all += 1;
            with_core += cored[i] as usize;
            small_with_core += (cored[i] && cells[i] < small) as usize;
        }
    }
    (all, with_core, small_with_core)
}

/// Euler number (connected pieces less holes) of a 4-connected raster region, from its
/// 2 x 2 cell patterns (Gray's bit quads, 1971): (Q1 − Q3 + 2 Q_D) / 4.
pub(super) fn euler_number(raster: &Raster, bits: &[u64]) -> i64 {
    let w = raster.words;
    let (mut q1, mut q3, mut qd) = (0i64, 0i64, 0i64);
    for r in 0..raster.rows.saturating_sub(1) {
        let (top, bottom) = (&bits[r * w..(r + 1) * w], &bits[(r + 1) * w..(r + 2) * w]);
        let next =
            |row: &[u64], k: usize| (row[k] >> 1) | if k + 1 < w { row[k + 1] << 63 } else { 0 };
        for k in 0..w {
            let (a, b, c, d) = (top[k], next(top, k), bottom[k], next(bottom, k));
            if (a | b | c | d) == 0 {
                continue;
            }
            let odd = a ^ b ^ c ^ d;
            let three_or_more = (a & b & (c | d)) | (c & d & (a | b));
            let three = three_or_more & !(a & b & c & d);
            q1 += (odd & !three).count_ones() as i64;
            q3 += three.count_ones() as i64;
            qd += ((a & d & !b & !c) | (b & c & !a & !d)).count_ones() as i64;
        }
    }
    (q1 - q3 + 2 * qd) / 4
}

#[cfg(test)]
mod tests {
    use super::super::raster::tests::{ring, square};
    use super::*;

    #[test]
    fn a_square_ring_is_one_piece_with_one_hole() {
        let raster = Raster::covering([0.0, 0.0, 10.0, 10.0], 1.0, 1);
        // The 10 x 10 mm square less the 4 x 4 mm hole (clockwise) in its middle.
        let mut hole = square(3.0, 7.0);
        hole.reverse();
        let mut segs = ring(&square(0.0, 10.0), 0);
        segs.extend(ring(&hole, 10));
        let bits = raster.fill(&segs);
        // Pieces less holes: 1 − 1.
        assert_eq!(euler_number(&raster, &bits), 0);
        // One piece of 100 − 16 = 84 cells, holding a core cell, under 85 cells.
        assert_eq!(pieces(&raster, &bits, &bits, 85), (1, 1, 1));
        assert_eq!(pieces(&raster, &bits, &bits, 84), (1, 1, 0));
        // Two squares apart: two pieces, no hole; only the one holding a core cell counts.
        let mut two = ring(&square(0.0, 3.0), 0);
        two.extend(ring(&square(5.0, 9.0), 10));
        let bits = raster.fill(&two);
        let core = raster.fill(&ring(&square(5.0, 9.0), 10));
        assert_eq!(euler_number(&raster, &bits), 2);
        assert_eq!(pieces(&raster, &bits, &core, 1), (2, 1, 0));
    }

    #[test]
    fn a_region_counts_its_cells_and_boundary() {
        let raster = Raster::covering([0.0, 0.0, 10.0, 10.0], 1.0, 1);
        let bits = raster.fill(&ring(&square(0.0, 10.0), 0));
        let core = raster.erode(&bits, false);
        // Every cell sparse.
        let classes: Vec<[u64; CLASSES]> = bits.iter().map(|&b| [b, 0, 0, 0]).collect();
        let (regions, runs) = infill_regions(&raster, &bits, &core, &classes);
        assert_eq!((regions.len(), runs.len()), (1, 10));
        let r = &regions[0];
        assert_eq!(r.cells, [100, 0, 0, 0]);
        assert_eq!(r.core_cells, 64);
        // 4 sides of 10 cell edges; a staircase's length times π/4: 40 · π/4 mm.
        assert_eq!(r.boundary_edges, 40);
        assert!((r.boundary_mm(1.0) - 10.0 * std::f64::consts::PI).abs() < 1e-12);
    }
}
