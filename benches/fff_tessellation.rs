//! FFF build time against tessellation: each part, and copies of it midpoint-subdivided
//! 1 to N times (4^k triangles per original one, the same solid), estimated one after the
//! other in one run; prints the time and the estimate's own cost as ratios to the coarse
//! file's, so that a figure which follows the triangles rather than the solid shows.
//!
//!     cargo bench --bench fff_tessellation [-- FILE.stl ...]   (default: the samples)
//!
//! `LEVELS=N` sets the deepest subdivision (default 4: 256 x the triangles).

use std::path::PathBuf;
use std::time::Instant;

use hybridplan::mesh::{LoadOptions, load};
use hybridplan::models::default_printer;
use hybridplan::process::fff::{FffSettings, estimate_fff};
use nalgebra::Vector3;

fn main() {
    let package = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        for name in [
            "ribbed_plate",
            "grid_plate",
            "rounded_plate",
            "curved_ribs",
            "block",
        ] {
            files.push(package.join("samples").join(format!("{name}.stl")));
        }
    }
    let levels: usize = std::env::var("LEVELS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let printer = default_printer();
    let settings = FffSettings::for_printer(&printer);
    println!(
        "| part | subdivisions | triangles | print time s | time ratio | retractions | estimate ms | cost ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for f in files {
        let mut mesh = match load(&f, &LoadOptions::default()) {
            Ok(m) => m.mesh,
            Err(e) => {
                eprintln!("skipped: {e}");
                continue;
            }
        };
        let name = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut coarse: Option<(f64, f64)> = None;
        for level in 0..=levels {
            if level > 0 {
                mesh = mesh.subdivided();
            }
            let t0 = Instant::now();
            let est = estimate_fff(&mesh, &Vector3::z_axis(), &settings, &printer);
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            let (t_ref, ms_ref) = *coarse.get_or_insert((est.time_s, ms));
            println!(
                "| {name} | {level} | {} | {:.0} | {:.4} | {} | {ms:.0} | {:.2} |",
                mesh.triangles.len(),
                est.time_s,
                est.time_s / t_ref,
                est.retractions,
                ms / ms_ref
            );
        }
    }
}
