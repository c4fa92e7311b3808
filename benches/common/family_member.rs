//! The family bench's member `k`, shared with `tests/split_pose.rs` (which includes this file
//! with `#[path]`) so that the test splits exactly the part the bench found failing: a plate
//! of a size and hole that vary with `k`, four ribs 12 mm tall and 2 mm thick, rib 1 0.3 mm
//! taller when `taller`. [`plate_with_ribs`] builds such members; `tests/html_report.rs`
//! builds its family with it too.

#![allow(dead_code)]

use hybridplan::mesh::Mesh;
use hybridplan::samples::{Layer, Ring, circle, extrude_layers, rect, reversed};

pub fn member(k: usize, taller: bool) -> Mesh {
    let (w, h) = (95.0 + (k % 7) as f64 * 3.0, 60.0 + (k % 5) as f64 * 4.0);
    let hole = circle(
        w - 6.0 - (k % 3) as f64 * 2.0,
        5.0 + (k % 4) as f64,
        2.0,
        32,
    );
    plate_with_ribs(
        vec![rect(0.0, 0.0, w, h), reversed(hole)],
        vec![
            rect(10.0, 14.0, 80.0, 16.0),
            rect(10.0, 29.0, 70.0, 31.0),
            rect(20.0, 44.0, 80.0, 46.0),
            rect(44.0, 18.0, 46.0, 27.0),
        ],
        15.0,
        taller.then(|| (rect(10.0, 29.0, 70.0, 31.0), 15.3)),
    )
}

/// A 3 mm plate of `plate` (its outline and reversed holes) carrying `ribs` from its top face
/// up to `rib_top_mm`, and with `taller` one rib (its ring) going on up to the height given,
/// a layer of its own.
pub fn plate_with_ribs(
    plate: Vec<Ring>,
    ribs: Vec<Ring>,
    rib_top_mm: f64,
    taller: Option<(Ring, f64)>,
) -> Mesh {
    let mut layers = vec![
        Layer {
            z0: 0.0,
            z1: 3.0,
            rings: plate,
        },
        Layer {
            z0: 3.0,
            z1: rib_top_mm,
            rings: ribs,
        },
    ];
    if let Some((rib, top_mm)) = taller {
        layers.push(Layer {
            z0: rib_top_mm,
            z1: top_mm,
            rings: vec![rib],
        });
    }
    extrude_layers(&layers).expect("valid layers")
}
