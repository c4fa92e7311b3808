//! The infill region of each layer and the class of each of its cells: the section eroded
//! past the perimeters, and which of it must be solid (top, bottom, bridges, vertical shells).

use rayon::prelude::*;

use super::profile::Profile;
use super::raster::{Raster, popcount};

/// Classes of infill cells: sparse, internal solid, top surface, bridge.
pub(super) const CLASSES: usize = 4;
pub(super) const SPARSE: usize = 0;
pub(super) const SOLID: usize = 1;
pub(super) const TOP: usize = 2;
pub(super) const BRIDGE: usize = 3;

/// How far the erosion goes, in steps of one cell.
#[derive(Debug, Clone, Copy)]
pub(super) struct Depths {
    /// The infill region's edge.
    pub(super) infill: usize,
    /// The innermost perimeter's inner edge, or the infill's if that is deeper.
    pub(super) deepest: usize,
}

impl Depths {
    pub(super) fn new(raster: &Raster, prof: &Profile) -> Depths {
        // The infill region reaches into the innermost perimeter by the infill overlap.
        let infill = raster.depth_at(prof.walls as f64 * prof.s - prof.infill_overlap_mm);
        let deepest = infill.max(raster.depth_at(prof.walls as f64 * prof.s));
        Depths { infill, deepest }
    }
}

/// Every layer's masks on the common raster.
pub(super) struct Masks {
    /// The section.
    pub(super) inside: Vec<Vec<u64>>,
    /// The infill region.
    pub(super) fill: Vec<Vec<u64>>,
    /// The number of cells at each erosion depth.
    pub(super) depth_counts: Vec<Vec<u64>>,
    /// The infill cells that must be solid.
    pub(super) solid: Vec<Vec<u64>>,
    pub(super) depths: Depths,
}

impl Masks {
    /// The masks of the layers whose sections are `inside`.
    pub(super) fn new(raster: &Raster, inside: Vec<Vec<u64>>, prof: &Profile) -> Masks {
        let depths = Depths::new(raster, prof);
        let (fill, depth_counts) = erode_layers(raster, &inside, depths);
        let solid = solid_masks(raster, &fill, prof.top_layers, prof.bottom_layers);
        Masks {
            inside,
            fill,
            depth_counts,
            solid,
            depths,
        }
    }

    /// The class of every infill cell of layer `k`, as bit words per class.
    pub(super) fn classes(&self, k: usize) -> Vec<[u64; CLASSES]> {
        let (inside, solid) = (&self.inside, &self.solid);
        let first = k == 0;
        let eroded = &self.fill[k];
        let above = inside.get(k + 1);
        let below = k.checked_sub(1).map(|j| (&inside[j], &solid[j]));
        let mut classes = vec![[0u64; CLASSES]; eroded.len()];
        for (i, &f) in eroded.iter().enumerate() {
            if f == 0 {
                continue;
            }
            let sol = f & solid[k][i];
            let top = sol & !above.map_or(0, |m| m[i]);
            let bridge = match below {
                Some((ins, sd)) if !first => sol & !top & (!ins[i] | (ins[i] & !sd[i])),
                _ => 0,
            };
            classes[i] = [f & !sol, sol & !top & !bridge, top, bridge];
        }
        classes
    }

    /// What survives erosion one step past the innermost perimeter's inner edge: a region
    /// without such a cell is a sliver no wider than about one line, which the perimeters
    /// next to it fill (PrusaSlicer 2.5's Arachne perimeters widen to close such gaps).
    pub(super) fn core(&self, raster: &Raster, k: usize) -> Vec<u64> {
        let Depths { infill, deepest } = self.depths;
        let mut core = raster.erode(&self.fill[k], infill % 2 == 1);
        for m in infill + 1..=deepest {
            core = raster.erode(&core, m % 2 == 1);
        }
        core
    }
}

/// Per layer: the infill region, and the number of cells at each erosion depth.
fn erode_layers(
    raster: &Raster,
    inside: &[Vec<u64>],
    depths: Depths,
) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
    let Depths {
        infill: infill_depth,
        deepest,
    } = depths;
    inside
        .par_iter()
        .map(|section| {
            let mut eroded = section.clone();
            let mut counts = vec![popcount(&eroded)];
            let mut fill = if infill_depth == 0 {
                Some(eroded.clone())
            } else {
                None
            };
            for m in 0..deepest {
                eroded = raster.erode(&eroded, m % 2 == 1);
                counts.push(popcount(&eroded));
                if m + 1 == infill_depth {
                    fill = Some(eroded.clone());
                }
            }
            (fill.unwrap_or(eroded), counts)
        })
        .unzip()
}

/// Solid where a layer within `top_layers` above or `bottom_layers` below has no infill
/// there: no material (beyond the part counts as none: the top, and the bed), or its
/// perimeters, so that sloped walls get a shell as thick as the vertical ones (PrusaSlicer's
/// ensure_vertical_shell_thickness).
fn solid_masks(
    raster: &Raster,
    fill: &[Vec<u64>],
    top_layers: usize,
    bottom_layers: usize,
) -> Vec<Vec<u64>> {
    (0..fill.len())
        .into_par_iter()
        .map(|k| {
            let mut covered = vec![u64::MAX; raster.len()];
            let window = (k + 1..=k + top_layers)
                .map(Some)
                .chain((1..=bottom_layers).map(|d| k.checked_sub(d)));
            for j in window {
                match j.and_then(|j| fill.get(j)) {
                    Some(m) => covered.iter_mut().zip(m).for_each(|(c, b)| *c &= b),
                    None => covered.fill(0),
                }
            }
            fill[k].iter().zip(&covered).map(|(f, c)| f & !c).collect()
        })
        .collect()
}
