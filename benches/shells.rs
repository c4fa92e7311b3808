//! The cost of finding overlapping shells (`mesh::shells`), against the triangles:
//! a plate alone (one shell: the check skips the search), the plate with four ribs sunk
//! 2 mm into it as separate shells (search, then the boolean union), and the plate with a
//! void inside, and with 400 small voids (search by boxes, then one ray per nested shell
//! through a hierarchy of all triangles). Each mesh is
//! the same solid midpoint-subdivided deeper (4 x the triangles per level).
//!
//!     cargo bench --bench shells        (`LEVELS=N`: deepest plate level, default 8)

use std::time::Instant;

use hybridplan::mesh::check::{check_and_repair, shell_labels};
use hybridplan::mesh::shells::{intersecting_shells, merge_overlapping};
use hybridplan::mesh::{Aabb, Mesh, Units};

fn cuboid(min: [f64; 3], max: [f64; 3]) -> Mesh {
    Mesh::cuboid(min, max)
}

fn subdivided(mut m: Mesh, levels: usize) -> Mesh {
    for _ in 0..levels {
        m = m.subdivided();
    }
    m
}

fn boxes(m: &Mesh, labels: &[u32], shells: usize) -> Vec<Aabb> {
    let mut out: Vec<Option<Aabb>> = vec![None; shells];
    for (t, &s) in m.triangles.iter().zip(labels) {
        for p in m.corners(t) {
            let b = out[s as usize].get_or_insert(Aabb { min: p, max: p });
            b.min = b.min.inf(&p);
            b.max = b.max.sup(&p);
        }
    }
    out.into_iter().map(Option::unwrap).collect()
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let deepest: usize = std::env::var("LEVELS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    println!(
        "{:>5} {:>10} {:>12} | {:>10} {:>13} {:>12} | {:>10} {:>12} | {:>10} {:>12}",
        "level",
        "plate tris",
        "check 1 ms",
        "ribs tris",
        "detect ms",
        "merge ms",
        "void tris",
        "merge ms",
        "400v tris",
        "merge ms"
    );
    for level in deepest.saturating_sub(3)..=deepest {
        let plate = subdivided(cuboid([0.0; 3], [120.0, 80.0, 6.0]), level);
        let n1 = plate.triangles.len();
        let t = Instant::now();
        let c = check_and_repair(plate.clone(), Units::Mm);
        let check_ms = ms(t);
        assert_eq!(c.report.shells, 1);

        let mut ribbed = plate.clone();
        for y in [25.0, 52.0] {
            ribbed.append(&subdivided(
                cuboid([10.0, y, 4.0], [110.0, y + 3.0, 26.0]),
                level - 2,
            ));
        }
        for x in [40.0, 77.0] {
            ribbed.append(&subdivided(
                cuboid([x, 10.0, 4.0], [x + 3.0, 70.0, 26.0]),
                level - 2,
            ));
        }
        let (labels, shells) = shell_labels(ribbed.vertices.len(), &ribbed.triangles);
        let b = boxes(&ribbed, &labels, shells);
        let t = Instant::now();
        let pairs = intersecting_shells(&ribbed, &labels, &b);
        let detect_ms = ms(t);
        assert_eq!(pairs.len(), 4);
        let t = Instant::now();
        let merged = merge_overlapping(&ribbed, &labels, shells).expect("union");
        let merge_ms = ms(t);
        assert_eq!(merged.map(|m| m.intersecting), Some(5));

        let mut hollow = plate.clone();
        let mut void = subdivided(cuboid([10.0, 10.0, 2.0], [110.0, 70.0, 4.0]), level - 2);
        void.flip();
        hollow.append(&void);
        let (labels, shells) = shell_labels(hollow.vertices.len(), &hollow.triangles);
        let t = Instant::now();
        let none = merge_overlapping(&hollow, &labels, shells).expect("no union");
        let void_ms = ms(t);
        assert!(none.is_none());
        // 400 small voids (a 20 x 20 grid of 2 mm cubes): one ray each.
        let mut porous = plate.clone();
        for i in 0..20 {
            for j in 0..20 {
                let (x, y) = (5.0 + 5.5 * i as f64, 5.0 + 3.5 * j as f64);
                let mut v = cuboid([x, y, 2.0], [x + 2.0, y + 2.0, 4.0]);
                v.flip();
                porous.append(&v);
            }
        }
        let (labels, shells) = shell_labels(porous.vertices.len(), &porous.triangles);
        let t = Instant::now();
        let none = merge_overlapping(&porous, &labels, shells).expect("no union");
        let voids_ms = ms(t);
        assert!(none.is_none());
        println!(
            "{level:>5} {n1:>10} {check_ms:>12.1} | {:>10} {detect_ms:>13.1} {merge_ms:>12.1} | {:>10} {void_ms:>12.1} | {:>10} {voids_ms:>12.1}",
            ribbed.triangles.len(),
            hollow.triangles.len(),
            porous.triangles.len()
        );
    }
}
