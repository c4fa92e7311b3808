//! The plane geometry the layout measures with: point in ring, segment distances, the
//! boundary segments bucketed for nearest-edge queries, points bucketed for neighbourhood
//! queries, and the principal axis of a cloud of points.

use hashbrown::HashMap;

use super::Ring;

pub(super) fn inside_ring(r: &Ring, p: [f64; 2]) -> bool {
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

pub(super) fn segment_distance(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> f64 {
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
pub(super) struct SegmentGrid {
    origin: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    buckets: Vec<Vec<u32>>,
    pub(super) segments: Vec<([f64; 2], [f64; 2])>,
}

impl SegmentGrid {
    pub(super) fn new(segments: Vec<([f64; 2], [f64; 2])>, bbox: [f64; 4]) -> Self {
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
    pub(super) fn near(&self, b: [f64; 4]) -> Vec<u32> {
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
    pub(super) fn distance(&self, p: [f64; 2]) -> f64 {
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
pub(super) struct PointBuckets {
    cell: f64,
    cells: HashMap<(i64, i64), Vec<[f64; 2]>>,
}

impl PointBuckets {
    pub(super) fn new(points: impl Iterator<Item = [f64; 2]>, cell: f64) -> Self {
        let mut cells: HashMap<(i64, i64), Vec<[f64; 2]>> = HashMap::new();
        for q in points {
            cells
                .entry(((q[0] / cell).floor() as i64, (q[1] / cell).floor() as i64))
                .or_default()
                .push(q);
        }
        PointBuckets { cell, cells }
    }

    pub(super) fn within(&self, c: [f64; 2], r: f64) -> Vec<[f64; 2]> {
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
pub(super) fn local_axis(points: &PointBuckets, c: [f64; 2], r: f64) -> Option<[f64; 2]> {
    let near = points.within(c, r);
    if near.len() < 3 {
        return None;
    }
    Some(principal_axis(near.iter(), near.len() as f64))
}

/// Least distance between two polygons' outlines.
pub(super) fn polygon_gap(a: &Ring, b: &Ring) -> f64 {
    let (n, m) = (a.len(), b.len());
    (0..n)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .map(|(i, j)| segment_distance(a[i], a[(i + 1) % n], b[j], b[(j + 1) % m]))
        .fold(f64::INFINITY, f64::min)
}

/// Unit principal axis of `n` points (the direction of their largest spread), from their
/// mean and second moments.
pub(super) fn principal_axis<'a>(
    points: impl Iterator<Item = &'a [f64; 2]> + Clone,
    n: f64,
) -> [f64; 2] {
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
