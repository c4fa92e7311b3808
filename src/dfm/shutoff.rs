//! Shut-off on the insert: the mold closes on the printed plate's face around the rib
//! footprint, so a land of plate face (the model's width) must surround the footprint. Where
//! the footprint comes nearer than that to the plate's edge or to a hole, the mold must shut
//! off on the printed side wall or the hole, which is neither flat nor held to a tolerance.
//!
//! The plate's outline at the cut plane comes from the whole part: its edges in the plane whose
//! other face goes down into the plate (the plate's top edge, a hole's rim; a rib's foot goes
//! up and is not one), and where a wall passes through the plane (a rib flush with the plate's
//! side) the line it cuts there. The footprint's loops are walked at a quarter of the land and
//! each point's distance to the outline found through a grid of cells one land wide: linear.

use hashbrown::{HashMap, HashSet};
use nalgebra::{Unit, Vector3};

use super::{DfmInput, Finding, Kind, RouteOf, Severity};
use crate::split::Split;

type Seg = [[f64; 2]; 2];

fn point_segment(p: [f64; 2], s: &Seg) -> f64 {
    let (a, b) = (s[0], s[1]);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    (x * x + y * y).sqrt()
}

/// The plate's outline at the plane, in the footprint's 2D frame.
fn outline(input: &DfmInput, split: &Split, n: &Vector3<f64>) -> Vec<Seg> {
    let part = input.part;
    let f = &split.footprint;
    let (o, u, v) = (
        Vector3::from(f.origin_mm),
        Vector3::from(f.u_axis),
        Vector3::from(f.v_axis),
    );
    let to2 = |p: &Vector3<f64>| [(p - o).dot(&u), (p - o).dot(&v)];
    let h0 = n.dot(&Vector3::from(split.facts.plane_point_mm));
    let tol = part.bounds().map_or(1e-6, |b| 1e-5 * b.diagonal());
    let height = |i: u32| n.dot(&part.vertices[i as usize].coords) - h0;
    let mut segs = Vec::new();
    // Edges in the plane and whether one of their faces goes below it.
    let mut edges: HashMap<(u32, u32), bool> = HashMap::new();
    for t in &part.triangles {
        let h = t.map(height);
        let below = h.iter().any(|&x| x < -tol);
        let above = h.iter().any(|&x| x > tol);
        if below && above {
            // A wall through the plane: the line it cuts there.
            let mut pts = Vec::with_capacity(2);
            for e in 0..3 {
                let (a, b) = (t[e], t[(e + 1) % 3]);
                let (ha, hb) = (h[e], h[(e + 1) % 3]);
                if (ha < 0.0) != (hb < 0.0) {
                    let s = ha / (ha - hb);
                    let pa = part.vertices[a as usize].coords;
                    let pb = part.vertices[b as usize].coords;
                    pts.push(to2(&(pa + (pb - pa) * s)));
                }
            }
            if pts.len() == 2 {
                segs.push([pts[0], pts[1]]);
            }
        }
        for e in 0..3 {
            let (a, b) = (t[e], t[(e + 1) % 3]);
            if h[e].abs() <= tol && h[(e + 1) % 3].abs() <= tol {
                let key = (a.min(b), a.max(b));
                let entry = edges.entry(key).or_insert(false);
                *entry |= below;
            }
        }
    }
    for ((a, b), down) in edges {
        if down {
            segs.push([
                to2(&part.vertices[a as usize].coords),
                to2(&part.vertices[b as usize].coords),
            ]);
        }
    }
    segs
}

/// Sample points of the grid's segments and of the footprint's walk, at most: the cells and
/// the walk's step grow with the part so that a part read in the wrong unit (a thousand times
/// larger) costs no more than this, not the square of its size.
const GRID_SAMPLES: f64 = 2_000_000.0;
const WALK_POINTS: f64 = 500_000.0;

pub fn check(input: &DfmInput, split: &Split, n: &Unit<Vector3<f64>>) -> Vec<Finding> {
    let land = input.limits.shutoff.land_mm;
    let segs = outline(input, split, n);
    let seg_len = |s: &Seg| ((s[1][0] - s[0][0]).powi(2) + (s[1][1] - s[0][1]).powi(2)).sqrt();
    let total_len: f64 = segs.iter().map(seg_len).sum();
    // Each segment is entered in the cells of points along it, half a cell apart: a point of
    // the segment is then within a quarter cell of one entered, so a query that looks two
    // cells each way finds every segment within three quarters of a cell, exactly. (A
    // segment's bounding box of cells would grow with its length squared.)
    let cell_mm = (2.0 * land).max(2.0 * total_len / GRID_SAMPLES);
    let reach_mm = 0.75 * cell_mm;
    let cell = |x: f64| (x / cell_mm).floor() as i64;
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for (k, s) in segs.iter().enumerate() {
        let pieces = (seg_len(s) / (0.5 * cell_mm)).ceil().min(GRID_SAMPLES) as usize;
        let mut last = None;
        for j in 0..=pieces {
            let t = if pieces == 0 {
                0.0
            } else {
                j as f64 / pieces as f64
            };
            let c = (
                cell(s[0][0] + (s[1][0] - s[0][0]) * t),
                cell(s[0][1] + (s[1][1] - s[0][1]) * t),
            );
            if last != Some(c) {
                grid.entry(c).or_default().push(k as u32);
                last = Some(c);
            }
        }
    }
    let perimeter_mm: f64 = split
        .footprint
        .loops_mm
        .iter()
        .map(|ring| {
            (0..ring.len())
                .map(|i| seg_len(&[ring[i], ring[(i + 1) % ring.len()]]))
                .sum::<f64>()
        })
        .sum();
    let step = (land / 4.0).max(perimeter_mm / WALK_POINTS);
    let mut narrow_mm = 0.0;
    let mut least = (f64::INFINITY, [0.0, 0.0]);
    let mut seen: HashSet<u32> = HashSet::new();
    for ring in &split.footprint.loops_mm {
        for i in 0..ring.len() {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            let len = seg_len(&[a, b]);
            let k = ((len / step).ceil() as usize).max(1);
            for j in 0..k {
                let t = (j as f64 + 0.5) / k as f64;
                let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                seen.clear();
                let mut d = f64::INFINITY;
                for cx in cell(p[0]) - 2..=cell(p[0]) + 2 {
                    for cy in cell(p[1]) - 2..=cell(p[1]) + 2 {
                        for &s in grid.get(&(cx, cy)).into_iter().flatten() {
                            if seen.insert(s) {
                                d = d.min(point_segment(p, &segs[s as usize]));
                            }
                        }
                    }
                }
                if d < land {
                    narrow_mm += len / k as f64;
                }
                if d < least.0 {
                    least = (d, p);
                }
            }
        }
    }
    let f = &split.footprint;
    let to3 = |p: [f64; 2]| -> [f64; 3] {
        let v = Vector3::from(f.origin_mm)
            + Vector3::from(f.u_axis) * p[0]
            + Vector3::from(f.v_axis) * p[1];
        v.into()
    };
    let mut out = Vec::new();
    if narrow_mm > 0.0 {
        out.push(Finding::new(
            Kind::Shutoff,
            Severity::Warning,
            RouteOf::Hybrid,
            format!(
                "{narrow_mm:.1} mm of the rib footprint's edge has less than the {land} mm land to shut off on (least {:.2} mm at {}): a rib runs to the plate's edge or a hole; the mold must seal on the printed side wall",
                least.0,
                super::fmt_mm(&to3(least.1))
            ),
            Some(least.0),
            Some(land),
            "mm",
            Some(to3(least.1)),
        ));
    } else if !split.footprint.loops_mm.is_empty() {
        // A distance beyond the grid's reach is not exact (it depends on where the cells
        // fall), so the land is reported as at least the reach there.
        let at_least = least.0.min(reach_mm);
        out.push(Finding::new(
            Kind::Shutoff,
            Severity::Info,
            RouteOf::Hybrid,
            format!(
                "the plate's face surrounds the footprint with at least {at_least:.2} mm of land (the mold needs {land} mm)"
            ),
            Some(at_least),
            Some(land),
            "mm",
            None,
        ));
    }
    out
}
