//! The family bench's member `k`, shared with `tests/split_pose.rs` (which includes this file
//! with `#[path]`) so that the test splits exactly the part the bench found failing: a plate
//! of a size and hole that vary with `k`, four ribs 12 mm tall and 2 mm thick, rib 1 0.3 mm
//! taller when `taller`.

use hybridplan::mesh::Mesh;
use hybridplan::samples::{Layer, circle, extrude_layers, rect, reversed};

pub fn member(k: usize, taller: bool) -> Mesh {
    let (w, h) = (95.0 + (k % 7) as f64 * 3.0, 60.0 + (k % 5) as f64 * 4.0);
    let hole = circle(
        w - 6.0 - (k % 3) as f64 * 2.0,
        5.0 + (k % 4) as f64,
        2.0,
        32,
    );
    let mut layers = vec![
        Layer {
            z0: 0.0,
            z1: 3.0,
            rings: vec![rect(0.0, 0.0, w, h), reversed(hole)],
        },
        Layer {
            z0: 3.0,
            z1: 15.0,
            rings: vec![
                rect(10.0, 14.0, 80.0, 16.0),
                rect(10.0, 29.0, 70.0, 31.0),
                rect(20.0, 44.0, 80.0, 46.0),
                rect(44.0, 18.0, 46.0, 27.0),
            ],
        },
    ];
    if taller {
        layers.push(Layer {
            z0: 15.0,
            z1: 15.3,
            rings: vec![rect(10.0, 29.0, 70.0, 31.0)],
        });
    }
    extrude_layers(&layers).expect("valid layers")
}
