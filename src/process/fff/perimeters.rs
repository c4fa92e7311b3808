//! The perimeters of a layer: the external loop on the exact contour, the inner loops scaled
//! by the length of their bands of the eroded section.

use super::motion::Move;
use super::paths::{Bucket, Job, Path};
use super::profile::Profile;
use super::raster::Raster;

/// Adds the perimeter jobs of a layer whose contour loops are `traces` (each one's length and
/// moves) and with cells `counts` at each erosion depth to `jobs`; returns their length (mm).
pub(super) fn perimeter_jobs<'a>(
    traces: &'a [(f64, Vec<Move>)],
    counts: &[u64],
    raster: &Raster,
    prof: &Profile,
    first: bool,
    jobs: &mut Vec<Job<'a>>,
) -> f64 {
    let count_at = |m: usize| counts.get(m).copied().unwrap_or(0) as f64;
    // Perimeter k occupies the band [k s, (k+1) s) from the edge; its length is the band's
    // area over s, relative to the outermost band (whose length is the exact contour length).
    let band = |w: u32| {
        count_at(raster.depth_at(w as f64 * prof.s))
            - count_at(raster.depth_at((w + 1) as f64 * prof.s))
    };
    let outer_band = band(0).max(1.0);
    let mut perimeter_mm = 0.0;
    for (len, lp) in traces {
        let len = *len;
        let small = len <= prof.small_loop_mm;
        for wall in 0..prof.walls {
            let ratio = if wall == 0 {
                1.0
            } else {
                band(wall) / outer_band
            };
            if ratio <= 0.0 {
                continue;
            }
            let f = if small {
                prof.small
            } else if wall == 0 {
                prof.external
            } else {
                prof.perimeter
            };
            jobs.push(Job {
                path: Path::Loop(lp, ratio),
                feature: prof.on_layer(f, first),
                bucket: Bucket::Perimeters,
                nominal_mm: len * ratio,
                adjustable: wall > 0,
            });
            perimeter_mm += len * ratio;
        }
    }
    perimeter_mm
}
