//! The project's own sample parts: plates with ribs and friends, built as stacks of extruded
//! 2D regions ("layers") and written as one closed union mesh each, with their closed-form
//! volume (sum of layer area x layer height, areas by the shoelace formula of the very
//! polygons the mesh is made of).
//!
//! `cargo run --release --example make_samples` writes them to `samples/`; tests and benches
//! build them in memory from the same code.

use hashbrown::HashMap;
use nalgebra::Point3;

use crate::mesh::Mesh;
use crate::mesh::polygon::{PolygonError, triangulate_sets};

/// A closed 2D ring: outer boundaries counter-clockwise, holes clockwise (seen from +z).
pub type Ring = Vec<[f64; 2]>;

/// A prism: the region bounded by `rings` extruded from `z0` to `z1` (mm).
#[derive(Debug, Clone)]
pub struct Layer {
    pub z0: f64,
    pub z1: f64,
    pub rings: Vec<Ring>,
}

impl Layer {
    pub fn area_mm2(&self) -> f64 {
        self.rings.iter().map(|r| ring_area(r)).sum()
    }
    pub fn volume_mm3(&self) -> f64 {
        self.area_mm2() * (self.z1 - self.z0)
    }
}

pub use crate::mesh::polygon::ring_area;

/// Axis-aligned rectangle, counter-clockwise.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Ring {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

/// Circle of `n` segments, counter-clockwise.
pub fn circle(cx: f64, cy: f64, r: f64, n: usize) -> Ring {
    (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            [cx + r * a.cos(), cy + r * a.sin()]
        })
        .collect()
}

/// The same ring run the other way (an outer boundary becomes a hole).
pub fn reversed(mut r: Ring) -> Ring {
    r.reverse();
    r
}

/// A strip of width `t` along the polyline `path` (offset by the local normal on both
/// sides), counter-clockwise. The path must bend gently compared with `t`.
pub fn strip(path: &[[f64; 2]], t: f64) -> Ring {
    let n = path.len();
    let normal = |k: usize| {
        let (a, b) = (path[k.saturating_sub(1)], path[(k + 1).min(n - 1)]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l = (dx * dx + dy * dy).sqrt();
        [-dy / l, dx / l]
    };
    let h = t / 2.0;
    let right: Vec<[f64; 2]> = (0..n)
        .map(|k| {
            let m = normal(k);
            [path[k][0] - h * m[0], path[k][1] - h * m[1]]
        })
        .collect();
    let left: Vec<[f64; 2]> = (0..n)
        .rev()
        .map(|k| {
            let m = normal(k);
            [path[k][0] + h * m[0], path[k][1] + h * m[1]]
        })
        .collect();
    right.into_iter().chain(left).collect()
}

/// Is `p` on the open segment a-b (within a relative tolerance that only catches points the
/// construction put there)?
fn on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 || p == a || p == b {
        return false;
    }
    let cross = dx * (p[1] - a[1]) - dy * (p[0] - a[0]);
    let along = dx * (p[0] - a[0]) + dy * (p[1] - a[1]);
    cross.abs() <= 1e-9 * len2 && along > 0.0 && along < len2
}

/// Inserts into `ring` every point of `others` that lies on one of its segments, so that two
/// regions sharing part of a boundary share the vertices along it. Returns whether it changed.
fn insert_points_on(ring: &mut Ring, others: &[[f64; 2]]) -> bool {
    let mut out: Ring = Vec::with_capacity(ring.len());
    let mut changed = false;
    for k in 0..ring.len() {
        let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
        out.push(a);
        let mut on: Vec<[f64; 2]> = others
            .iter()
            .copied()
            .filter(|&p| on_segment(a, b, p))
            .collect();
        on.sort_by(|p, q| {
            let d = |x: &[f64; 2]| (x[0] - a[0]).powi(2) + (x[1] - a[1]).powi(2);
            d(p).total_cmp(&d(q))
        });
        on.dedup();
        changed |= !on.is_empty();
        out.extend(on);
    }
    *ring = out;
    changed
}

/// Builds the closed union mesh of a stack of layers. Consecutive layers must touch
/// (`z1` of one is `z0` of the next) and their regions' boundaries may touch or overlap along
/// segments but must not cross. Vertices are shared exactly between walls and faces, so the
/// result is watertight and consistently oriented by construction.
pub fn extrude_layers(layers: &[Layer]) -> Result<Mesh, PolygonError> {
    let mut layers = layers.to_vec();
    // Share vertices along boundaries that neighbouring layers have in common.
    for _ in 0..4 {
        let mut changed = false;
        for i in 0..layers.len().saturating_sub(1) {
            for (lo, hi) in [(i, i + 1), (i + 1, i)] {
                let pts: Vec<[f64; 2]> = layers[hi].rings.iter().flatten().copied().collect();
                for r in &mut layers[lo].rings {
                    changed |= insert_points_on(r, &pts);
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut vertex_of: HashMap<[u64; 3], u32> = HashMap::new();
    let mut vertices: Vec<Point3<f64>> = Vec::new();
    let mut vid = |p: [f64; 2], z: f64| -> u32 {
        let key = [
            (p[0] + 0.0).to_bits(),
            (p[1] + 0.0).to_bits(),
            (z + 0.0).to_bits(),
        ];
        *vertex_of.entry(key).or_insert_with(|| {
            vertices.push(Point3::new(p[0], p[1], z));
            (vertices.len() - 1) as u32
        })
    };
    let mut triangles: Vec<[u32; 3]> = Vec::new();

    // Walls.
    for l in &layers {
        for r in &l.rings {
            for k in 0..r.len() {
                let (a, b) = (r[k], r[(k + 1) % r.len()]);
                let (a0, b0, b1, a1) = (vid(a, l.z0), vid(b, l.z0), vid(b, l.z1), vid(a, l.z1));
                triangles.push([a0, b0, b1]);
                triangles.push([a0, b1, a1]);
            }
        }
    }

    // Horizontal faces: at each level, the region where the layer below and the layer above
    // differ. Material below only: the face looks up; material above only: it looks down.
    let empty: Vec<Ring> = Vec::new();
    let mut levels: Vec<(f64, &Vec<Ring>, &Vec<Ring>)> = Vec::new();
    if let (Some(first), Some(last)) = (layers.first(), layers.last()) {
        levels.push((first.z0, &empty, &first.rings));
        for w in layers.windows(2) {
            levels.push((w[0].z1, &w[0].rings, &w[1].rings));
        }
        levels.push((last.z1, &last.rings, &empty));
    }
    for (z, below, above) in levels {
        let points: Vec<[f64; 2]> = below
            .iter()
            .chain(above.iter())
            .flatten()
            .copied()
            .collect();
        let mut segments = [Vec::new(), Vec::new()];
        let mut start = 0u32;
        for (k, rings) in [below, above].into_iter().enumerate() {
            for r in rings {
                let n = r.len() as u32;
                segments[k].extend((0..n).map(|i| [start + i, start + (i + 1) % n]));
                start += n;
            }
        }
        for (t, mask) in triangulate_sets(&points, &[&segments[0], &segments[1]])? {
            let [a, b, c] = t.map(|i| vid(points[i as usize], z));
            match mask {
                0b01 => triangles.push([a, b, c]), // material below only: faces up
                0b10 => triangles.push([a, c, b]), // material above only: faces down
                _ => {}                            // material on both sides: no face
            }
        }
    }
    Ok(Mesh::new(vertices, triangles))
}

/// A sample part: its layers, what it is, and the facts the tests check against.
#[derive(Debug, Clone)]
pub struct SamplePart {
    pub name: &'static str,
    pub description: &'static str,
    pub layers: Vec<Layer>,
    /// Thickness of the plate to be printed (None: the part is not a plate with ribs).
    pub plate_thickness_mm: Option<f64>,
    /// Height of the plate's rib-side face above the part's lowest point.
    pub split_height_mm: Option<f64>,
}

impl SamplePart {
    pub fn mesh(&self) -> Mesh {
        extrude_layers(&self.layers).expect("sample layers are valid polygons")
    }
    /// Closed-form volume: sum over layers of shoelace area times height.
    pub fn volume_mm3(&self) -> f64 {
        self.layers.iter().map(Layer::volume_mm3).sum()
    }
}

fn layer(z0: f64, z1: f64, rings: Vec<Ring>) -> Layer {
    Layer { z0, z1, rings }
}

/// 120 x 80 x 3 mm plate with five parallel ribs 2 mm thick and 12 mm tall, running the full
/// length of the plate (their ends flush with its short edges).
pub fn ribbed_plate() -> SamplePart {
    let ribs = [10.0, 25.0, 40.0, 55.0, 70.0]
        .iter()
        .map(|&y| rect(0.0, y - 1.0, 120.0, y + 1.0))
        .collect();
    SamplePart {
        name: "ribbed_plate",
        description: "120x80x3 plate, 5 parallel ribs 2 mm thick 12 mm tall, flush with the plate ends",
        layers: vec![
            layer(0.0, 3.0, vec![rect(0.0, 0.0, 120.0, 80.0)]),
            layer(3.0, 15.0, ribs),
        ],
        plate_thickness_mm: Some(3.0),
        split_height_mm: Some(3.0),
    }
}

/// 120 x 80 x 3 mm plate with a crossed rib grid (7 x 5 bars, 2 mm thick, 12 mm tall) inset
/// 5 mm from the plate edge: one region with 24 rectangular cells as holes.
pub fn grid_plate() -> SamplePart {
    let (x0, y0, w, h, t) = (5.0, 5.0, 110.0, 70.0, 2.0);
    let (nx, ny) = (6, 4);
    let (px, py) = ((w - t) / nx as f64, (h - t) / ny as f64);
    let mut grid = vec![rect(x0, y0, x0 + w, y0 + h)];
    for i in 0..nx {
        for j in 0..ny {
            let cx0 = x0 + px * i as f64 + t;
            let cy0 = y0 + py * j as f64 + t;
            grid.push(reversed(rect(
                cx0,
                cy0,
                x0 + px * (i + 1) as f64,
                y0 + py * (j + 1) as f64,
            )));
        }
    }
    SamplePart {
        name: "grid_plate",
        description: "120x80x3 plate with a crossed rib grid (7x5 bars, 2 mm thick, 12 mm tall), inset 5 mm",
        layers: vec![
            layer(0.0, 3.0, vec![rect(0.0, 0.0, 120.0, 80.0)]),
            layer(3.0, 15.0, grid),
        ],
        plate_thickness_mm: Some(3.0),
        split_height_mm: Some(3.0),
    }
}

/// Free-form outline (superellipse |x/65|^4 + |y/42|^4 = 1), 3 mm thick, with five ribs whose
/// ends follow the outline 3 mm inside it.
pub fn rounded_plate() -> SamplePart {
    let (a, b, n) = (65.0, 42.0, 256);
    let outline: Ring = (0..n)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / n as f64;
            let (c, s) = (t.cos(), t.sin());
            [
                a * c.signum() * c.abs().sqrt(),
                b * s.signum() * s.abs().sqrt(),
            ]
        })
        .collect();
    let x_max = |y: f64| a * (1.0 - (y / b).powi(4)).max(0.0).powf(0.25);
    let ribs = [-24.0, -12.0, 0.0, 12.0, 24.0]
        .iter()
        .map(|&y: &f64| {
            let x = x_max(y.abs() + 1.0) - 3.0;
            rect(-x, y - 1.0, x, y + 1.0)
        })
        .collect();
    SamplePart {
        name: "rounded_plate",
        description: "free-form (superellipse) 130x84x3 plate, 5 ribs 2 mm thick 10 mm tall ending 3 mm inside the outline",
        layers: vec![layer(0.0, 3.0, vec![outline]), layer(3.0, 13.0, ribs)],
        plate_thickness_mm: Some(3.0),
        split_height_mm: Some(3.0),
    }
}

/// 120 x 80 x 3 mm plate with four wavy ribs (sine paths, amplitude 6 mm, wavelength 60 mm),
/// 2 mm thick and 12 mm tall.
pub fn curved_ribs() -> SamplePart {
    let ribs = [16.0, 32.0, 48.0, 64.0]
        .iter()
        .map(|&yc| {
            let path: Vec<[f64; 2]> = (0..=104)
                .map(|k| {
                    let x = 8.0 + k as f64;
                    [x, yc + 6.0 * (std::f64::consts::TAU * x / 60.0).sin()]
                })
                .collect();
            strip(&path, 2.0)
        })
        .collect();
    SamplePart {
        name: "curved_ribs",
        description: "120x80x3 plate, 4 sine-shaped ribs 2 mm thick 12 mm tall",
        layers: vec![
            layer(0.0, 3.0, vec![rect(0.0, 0.0, 120.0, 80.0)]),
            layer(3.0, 15.0, ribs),
        ],
        plate_thickness_mm: Some(3.0),
        split_height_mm: Some(3.0),
    }
}

/// Heat-sink-like part: 60 x 50 x 5 mm base with 15 fins 1.2 mm thick and 30 mm tall at a
/// 4 mm pitch, running the full depth of the base.
pub fn heat_sink() -> SamplePart {
    let fins = (0..15)
        .map(|i| {
            let x = 2.0 + 4.0 * i as f64;
            rect(x - 0.6, 0.0, x + 0.6, 50.0)
        })
        .collect();
    SamplePart {
        name: "heat_sink",
        description: "60x50x5 base with 15 fins 1.2 mm thick 30 mm tall at 4 mm pitch",
        layers: vec![
            layer(0.0, 5.0, vec![rect(0.0, 0.0, 60.0, 50.0)]),
            layer(5.0, 35.0, fins),
        ],
        plate_thickness_mm: Some(5.0),
        split_height_mm: Some(5.0),
    }
}

/// 100 x 70 x 3 mm plate with four mounting holes through it, a boss around each hole and two
/// free-standing ribs.
pub fn bossed_plate() -> SamplePart {
    let centres = [(10.0, 10.0), (90.0, 10.0), (10.0, 60.0), (90.0, 60.0)];
    let hole = |&(x, y): &(f64, f64)| reversed(circle(x, y, 2.0, 32));
    let mut plate = vec![rect(0.0, 0.0, 100.0, 70.0)];
    plate.extend(centres.iter().map(hole));
    let mut top = vec![rect(20.0, 24.0, 80.0, 26.0), rect(20.0, 44.0, 80.0, 46.0)];
    for c in &centres {
        top.push(circle(c.0, c.1, 5.0, 32));
        top.push(hole(c));
    }
    SamplePart {
        name: "bossed_plate",
        description: "100x70x3 plate with 4 through holes, bosses (r 5 mm, 10 mm tall) around them and 2 ribs",
        layers: vec![layer(0.0, 3.0, plate), layer(3.0, 13.0, top)],
        plate_thickness_mm: Some(3.0),
        split_height_mm: Some(3.0),
    }
}

/// 100 x 60 mm plate, 4 mm thick, with three ribs on top (10 mm) and two cross ribs under it
/// (8 mm): ribs on both faces.
pub fn double_sided() -> SamplePart {
    let top = [15.0, 30.0, 45.0]
        .iter()
        .map(|&y| rect(5.0, y - 1.0, 95.0, y + 1.0))
        .collect();
    let bottom = [30.0, 70.0]
        .iter()
        .map(|&x| rect(x - 1.5, 5.0, x + 1.5, 55.0))
        .collect();
    SamplePart {
        name: "double_sided",
        description: "100x60x4 plate with 3 ribs on top (10 mm) and 2 ribs underneath (8 mm)",
        layers: vec![
            layer(0.0, 8.0, bottom),
            layer(8.0, 12.0, vec![rect(0.0, 0.0, 100.0, 60.0)]),
            layer(12.0, 22.0, top),
        ],
        plate_thickness_mm: Some(4.0),
        split_height_mm: Some(12.0),
    }
}

/// A solid 40 x 30 x 20 mm block: not a plate, nothing to split.
pub fn block() -> SamplePart {
    SamplePart {
        name: "block",
        description: "solid 40x30x20 block: not a plate",
        layers: vec![layer(0.0, 20.0, vec![rect(0.0, 0.0, 40.0, 30.0)])],
        plate_thickness_mm: None,
        split_height_mm: None,
    }
}

/// A large plate for benchmarks: `ribs` sine-shaped ribs, each sampled at `points` points
/// along its path, on a plate sized to hold them: 8 x `ribs` x `points` + 12 triangles.
pub fn wavy_plate(ribs: usize, points: usize) -> SamplePart {
    let pitch = 6.0;
    let width = pitch * (ribs as f64 + 1.0);
    let length = 200.0;
    let ribs = (1..=ribs)
        .map(|k| {
            let yc = pitch * k as f64;
            let path: Vec<[f64; 2]> = (0..points)
                .map(|i| {
                    let x = 5.0 + (length - 10.0) * i as f64 / (points - 1) as f64;
                    [x, yc + 1.5 * (std::f64::consts::TAU * x / 40.0).sin()]
                })
                .collect();
            strip(&path, 1.5)
        })
        .collect();
    SamplePart {
        name: "wavy_plate",
        description: "benchmark plate with many finely sampled sine ribs",
        layers: vec![
            layer(0.0, 3.0, vec![rect(0.0, 0.0, length, width)]),
            layer(3.0, 15.0, ribs),
        ],
        plate_thickness_mm: Some(3.0),
        split_height_mm: Some(3.0),
    }
}

/// Every sample part, in catalog order.
pub fn all() -> Vec<SamplePart> {
    vec![
        ribbed_plate(),
        grid_plate(),
        rounded_plate(),
        curved_ribs(),
        heat_sink(),
        bossed_plate(),
        double_sided(),
        block(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::Units;
    use crate::mesh::check::check_and_repair;

    #[test]
    fn every_sample_is_a_closed_solid_of_its_closed_form_volume() {
        for s in all() {
            let c = check_and_repair(s.mesh(), Units::Mm);
            let r = &c.report;
            assert!(
                r.watertight && r.oriented && r.boundary_edges == 0 && r.non_manifold_edges == 0,
                "{}: {:?}",
                s.name,
                r
            );
            assert_eq!(r.shells, 1, "{}", s.name);
            let v = s.volume_mm3();
            assert!(
                ((r.volume_mm3 - v) / v).abs() < 1e-9,
                "{}: mesh {} vs closed form {}",
                s.name,
                r.volume_mm3,
                v
            );
            assert_eq!(r.shells_flipped, 0, "{}", s.name);
        }
    }

    #[test]
    fn rectangular_samples_match_hand_calculations() {
        // ribbed plate: 120*80*3 plate + 5 ribs of 120*2*12
        assert!((ribbed_plate().volume_mm3() - (28_800.0 + 14_400.0)).abs() < 1e-6);
        // grid: 7 bars 2x70 + 5 bars 110x2 - 35 crossings 2x2 = 1940 mm^2, 12 mm tall
        assert!((grid_plate().volume_mm3() - (28_800.0 + 1_940.0 * 12.0)).abs() < 1e-6);
        // heat sink: 60*50*5 + 15 fins 1.2*50*30
        assert!((heat_sink().volume_mm3() - (15_000.0 + 27_000.0)).abs() < 1e-6);
        // double sided: 2 bottom ribs 3*50*8, plate 100*60*4, 3 top ribs 90*2*10
        assert!((double_sided().volume_mm3() - (2400.0 + 24_000.0 + 5_400.0)).abs() < 1e-6);
        assert!((block().volume_mm3() - 24_000.0).abs() < 1e-9);
    }
}
