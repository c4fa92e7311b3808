//! The FFF build time is a function of the solid, not of its tessellation: CAD tools export
//! fine meshes of coarse solids, and every cost built on the print time (AM, hybrid,
//! break-evens, best route) follows it. Each sample is estimated coarse and re-tessellated by
//! midpoint subdivision (every triangle into four, the same solid to 1e-9), and a cylinder of
//! 512 segments coarse and finely tessellated as CAD tools write it.

use hybridplan::mesh::Mesh;
use hybridplan::models::default_printer;
use hybridplan::process::fff::{FffEstimate, FffSettings, estimate_fff};
use hybridplan::samples::{self, Layer, circle, extrude_layers};
use nalgebra::Vector3;

fn estimate(mesh: &Mesh) -> FffEstimate {
    let printer = default_printer();
    estimate_fff(
        mesh,
        &Vector3::z_axis(),
        &FffSettings::for_printer(&printer),
        &printer,
    )
}

fn subdivided(mesh: &Mesh, times: usize) -> Mesh {
    (0..times).fold(mesh.clone(), |m, _| m.subdivided())
}

/// Relative difference of `fine` from `coarse`.
fn rel(fine: f64, coarse: f64) -> f64 {
    (fine - coarse).abs() / coarse
}

#[test]
fn subdivision_keeps_the_solid() {
    // The helper itself: 4x the triangles each time, the same volume and area, still closed.
    let part = samples::ribbed_plate();
    let coarse = part.mesh();
    let fine = subdivided(&coarse, 2);
    assert_eq!(fine.triangles.len(), 16 * coarse.triangles.len());
    assert!(rel(fine.signed_volume_mm3(), part.volume_mm3()) < 1e-9);
    assert!(rel(fine.area_mm2(), coarse.area_mm2()) < 1e-9);
    let counts = hybridplan::mesh::check::edge_counts(fine.vertices.len(), &fine.triangles);
    assert_eq!(
        (counts.boundary, counts.non_manifold, counts.inconsistent),
        (0, 0, 0)
    );
}

#[test]
fn every_sample_keeps_its_print_time_when_subdivided() {
    for part in samples::all() {
        let coarse = part.mesh();
        let base = estimate(&coarse);
        assert!(base.time_s > 0.0, "{}", part.name);
        for times in [2, 4] {
            let fine = subdivided(&coarse, times);
            let e = estimate(&fine);
            // Before the fix, the ribbed plate took 1.4x at 48k and 4x at 770k triangles;
            // the contour, the regions and the paths are now the solid's.
            assert!(
                rel(e.time_s, base.time_s) < 0.01,
                "{} subdivided {times}x ({} triangles): {:.0} s against {:.0} s coarse",
                part.name,
                fine.triangles.len(),
                e.time_s,
                base.time_s
            );
            assert!(
                rel(e.extruded_mm3, base.extruded_mm3) < 0.01,
                "{}",
                part.name
            );
            assert_eq!(e.retractions, base.retractions, "{}", part.name);
        }
    }
}

#[test]
fn a_cylinder_of_512_segments_prints_alike_coarse_and_fine() {
    // Coarse: one band of 512 wall quads and fan-like caps. Fine: the same solid in 10 rows of
    // wall (as CAD tools write it), and the coarse one subdivided three times.
    let ring = circle(30.0, 30.0, 20.0, 512);
    let coarse = extrude_layers(&[Layer {
        z0: 0.0,
        z1: 10.0,
        rings: vec![ring.clone()],
    }])
    .unwrap();
    let rows: Vec<Layer> = (0..10)
        .map(|k| Layer {
            z0: k as f64,
            z1: k as f64 + 1.0,
            rings: vec![ring.clone()],
        })
        .collect();
    let stacked = extrude_layers(&rows).unwrap();
    assert!(stacked.triangles.len() > coarse.triangles.len());
    let base = estimate(&coarse);
    for (what, fine) in [
        ("10 rows", stacked),
        ("subdivided 3x", subdivided(&coarse, 3)),
    ] {
        assert!(rel(fine.signed_volume_mm3(), coarse.signed_volume_mm3()) < 1e-9);
        let e = estimate(&fine);
        assert!(
            rel(e.time_s, base.time_s) < 0.01,
            "{what} ({} triangles): {:.0} s against {:.0} s coarse",
            fine.triangles.len(),
            e.time_s,
            base.time_s
        );
    }
}
