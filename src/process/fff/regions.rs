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
    /// Per layer: the first layer of its run of consecutive layers with the same section
    /// (a prism's straight stretch), whose erosion they share.
    section_of: Vec<usize>,
    /// Per run's first layer (empty for the others): the infill region, and the number of
    /// cells at each erosion depth.
    fill: Vec<Vec<u64>>,
    depth_counts: Vec<Vec<u64>>,
    /// The infill cells that must be solid.
    pub(super) solid: Vec<Vec<u64>>,
    /// Per layer: the first layer of its run of consecutive layers with the same solid cells.
    solid_of: Vec<usize>,
    pub(super) depths: Depths,
}

/// What a layer's infill is worked out from, as runs of equal masks: the layer's section,
/// the sections above and below, its solid cells and those below, and whether it is the
/// first layer. Layers with the same key have the same infill, bit for bit.
pub(super) type InfillKey = (bool, usize, usize, usize, usize, usize);

impl Masks {
    /// The masks of the layers whose sections are `inside`.
    pub(super) fn new(raster: &Raster, inside: Vec<Vec<u64>>, prof: &Profile) -> Masks {
        let depths = Depths::new(raster, prof);
        let section_of = runs_of(&inside);
        let (fill, depth_counts) = erode_layers(raster, &inside, &section_of, depths);
        let fills: Vec<&[u64]> = section_of.iter().map(|&j| &fill[j][..]).collect();
        let solid = solid_masks(raster, &fills, prof.top_layers, prof.bottom_layers);
        let solid_of = runs_of(&solid);
        Masks {
            inside,
            section_of,
            fill,
            depth_counts,
            solid,
            solid_of,
            depths,
        }
    }

    /// The infill region of layer `k`.
    pub(super) fn fill(&self, k: usize) -> &[u64] {
        &self.fill[self.section_of[k]]
    }

    /// The number of cells of layer `k` at each erosion depth.
    pub(super) fn depth_counts(&self, k: usize) -> &[u64] {
        &self.depth_counts[self.section_of[k]]
    }

    /// The key of layer `k`'s infill: every mask `classes` and `core` read, as the first
    /// layer of its run of equal masks (none: `usize::MAX`).
    pub(super) fn infill_key(&self, k: usize) -> InfillKey {
        let none = usize::MAX;
        let section = |j: Option<usize>| j.and_then(|j| self.section_of.get(j)).copied();
        let below = k.checked_sub(1);
        (
            k == 0,
            self.section_of[k],
            section(Some(k + 1)).unwrap_or(none),
            section(below).unwrap_or(none),
            self.solid_of[k],
            below.map_or(none, |j| self.solid_of[j]),
        )
    }

    /// The class of every infill cell of layer `k`, as bit words per class.
    pub(super) fn classes(&self, k: usize) -> Vec<[u64; CLASSES]> {
        let (inside, solid) = (&self.inside, &self.solid);
        let first = k == 0;
        let eroded = self.fill(k);
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
        let mut core = raster.erode(self.fill(k), infill % 2 == 1);
        for m in infill + 1..=deepest {
            core = raster.erode(&core, m % 2 == 1);
        }
        core
    }
}

/// Per layer of `masks`: the first layer of its run of consecutive equal masks.
fn runs_of(masks: &[Vec<u64>]) -> Vec<usize> {
    let same: Vec<bool> = (0..masks.len())
        .into_par_iter()
        .map(|k| k > 0 && masks[k] == masks[k - 1])
        .collect();
    let mut first = Vec::with_capacity(masks.len());
    for (k, &s) in same.iter().enumerate() {
        let start = if s { first[k - 1] } else { k };
        first.push(start);
    }
    first
}

/// Per run's first layer (`section_of`; empty for the others): the infill region, and the
/// number of cells at each erosion depth.
fn erode_layers(
    raster: &Raster,
    inside: &[Vec<u64>],
    section_of: &[usize],
    depths: Depths,
) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
    let Depths {
        infill: infill_depth,
        deepest,
    } = depths;
    inside
        .par_iter()
        .enumerate()
        .map(|(k, section)| {
            if section_of[k] != k {
                return (Vec::new(), Vec::new());
            }
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
    fill: &[&[u64]],
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
                    Some(m) => covered.iter_mut().zip(m.iter()).for_each(|(c, b)| *c &= b),
                    None => covered.fill(0),
                }
            }
            fill[k].iter().zip(&covered).map(|(f, c)| f & !c).collect()
        })
        .collect()
}
