//! Finding the plate: its normal, its two faces, and how sure we are.
//!
//! A plate with ribs is, along the right axis, a slab of constant cross-section (the plate's
//! outline) with less material on one or both sides of it (the rib footprint). So:
//! 1. candidate axes are the facet directions of largest area (facets grouped by direction;
//!    directions under 2% of the largest are not tried): the plate's faces usually lead;
//! 2. along each axis, the flat facets (within 0.5° of perpendicular) mark the levels where the
//!    section can jump; the exact section area (see `mesh::section`) is taken in the middle of
//!    every interval between the significant levels;
//! 3. the plate is the run of intervals whose section is within 3% of the largest one; it must be
//!    thin compared with its width, and have material beyond it (the ribs) whose section is at
//!    most 80% of the plate's;
//! 4. among the axes that pass, the one with the largest plate section wins.
//!
//! A block or a sphere has no material beyond its largest slab, and is refused with that reason.

use hashbrown::HashMap;
use nalgebra::{Point3, Unit, Vector3};
use rayon::prelude::*;
use serde::Serialize;

use crate::mesh::section::{Plane, section_areas_with};
use crate::mesh::{Aabb, Mesh};

/// Facets within this angle of perpendicular to the axis count as flat.
const FLAT_DEG: f64 = 0.5;
/// Sections within this fraction of the largest belong to the plate (in the middle of an
/// interval between flat levels)...
const PLATE_SECTION_TOLERANCE: f64 = 0.03;
/// ...and within this fraction just inside its faces, where chamfers, countersinks and
/// fillets of real plates change the section a little.
const PLATE_EDGE_TOLERANCE: f64 = 0.15;
/// The rib side's section may be at most this fraction of the plate's.
const MAX_FOOTPRINT_FRACTION: f64 = 0.8;
/// The plate may be at most this thick relative to the square root of its area.
const MAX_THICKNESS_RATIO: f64 = 0.35;
/// Rib material on a side counts when its volume is at least this fraction of the part's.
const MIN_RIB_VOLUME_FRACTION: f64 = 1e-3;
/// How many of the largest planes are tried as axes.
const CANDIDATE_PLANES: usize = 8;
/// Planes smaller than this fraction of the largest are not tried: a plate has a flat face of
/// its own size, and a part's largest plane is at most a few times larger than that.
const MIN_CANDIDATE_FRACTION: f64 = 0.02;
/// How many flat levels (largest first) bound the probing intervals.
const MAX_LEVELS: usize = 64;

/// What plate detection found along one axis.
#[derive(Debug, Clone, Serialize)]
pub struct PlateFinding {
    /// Unit normal of the plate, pointing from the plate into its (main) rib region.
    pub axis: [f64; 3],
    /// Lowest and highest point of the part along the axis (mm).
    pub lowest_mm: f64,
    pub highest_mm: f64,
    /// The plate's face on the far side from the ribs, and on the rib side (mm along the axis).
    pub bottom_mm: f64,
    pub top_mm: f64,
    /// Section area inside the plate (its outline) and just beyond each face (mm²).
    pub plate_section_mm2: f64,
    pub rib_side_section_mm2: f64,
    pub other_side_section_mm2: f64,
    /// Smallest over largest section within the plate (1 for a perfectly flat slab).
    pub flatness: f64,
    /// Approximate rib volume beyond each face (mm³), from the probed sections.
    pub rib_side_volume_mm3: f64,
    pub other_side_volume_mm3: f64,
}

impl PlateFinding {
    pub fn thickness_mm(&self) -> f64 {
        self.top_mm - self.bottom_mm
    }
    pub fn axis(&self) -> Unit<Vector3<f64>> {
        Unit::new_normalize(Vector3::from(self.axis))
    }
    /// Both sides of the plate carry ribs.
    pub fn double_sided(&self) -> bool {
        self.other_side_volume_mm3 > 0.0
    }
}

/// Why an axis was not taken, kept for the report.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedAxis {
    pub axis: [f64; 3],
    pub reason: String,
}

/// The outcome of detection: the plate, if any, and what else was tried.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub plate: Option<PlateFinding>,
    pub rejected: Vec<RejectedAxis>,
    /// The largest plane of the part (its area and normal), for the message when no plate is found.
    pub largest_plane_mm2: f64,
    pub largest_plane_normal: [f64; 3],
}

/// The mesh with what every axis tried needs of it.
pub struct Facets<'a> {
    pub mesh: &'a Mesh,
    pub diagonal_mm: f64,
    /// Size of the axis-aligned bounding box (mm).
    pub box_size_mm: Vector3<f64>,
}

impl<'a> Facets<'a> {
    pub fn new(mesh: &'a Mesh) -> Self {
        Self::with_bounds(mesh, mesh.bounds())
    }

    /// [`Facets::new`] with the mesh's bounds (see [`Mesh::bounds`]) already known.
    pub fn with_bounds(mesh: &'a Mesh, bounds: Option<Aabb>) -> Self {
        let box_size_mm = bounds.map(|b| b.size()).unwrap_or_default();
        let diagonal_mm = if mesh.triangles.is_empty() {
            1.0
        } else {
            box_size_mm.norm().max(1e-12)
        };
        Facets {
            mesh,
            diagonal_mm,
            box_size_mm,
        }
    }

    /// An upper bound of the area of any section of the part across `axis` (mm²): a section
    /// lies inside the section of the bounding box, whose area is at most the box's shadow
    /// along the axis, Ly Lz |ax| + Lx Lz |ay| + Lx Ly |az|.
    pub fn section_bound_mm2(&self, axis: &Vector3<f64>) -> f64 {
        let s = &self.box_size_mm;
        s.y * s.z * axis.x.abs() + s.x * s.z * axis.y.abs() + s.x * s.y * axis.z.abs()
    }

    /// Unit normal and area of facet `k` (zero normal for a facet without area). Computed
    /// when needed rather than stored: it is a cross product, cheaper than fetching 32 bytes
    /// per facet from memory that had to be filled first.
    #[inline]
    pub fn normal_and_area(&self, k: usize) -> (Vector3<f64>, f64) {
        let [a, b, c] = self.mesh.corners(&self.mesh.triangles[k]);
        let n2 = (b - a).cross(&(c - a));
        let len = n2.norm();
        if len > 0.0 {
            (n2 / len, len * 0.5)
        } else {
            (Vector3::zeros(), 0.0)
        }
    }
}

/// The facet directions of largest total area, largest first, one per axis (a normal and its
/// opposite are the same axis), with that area.
///
/// Facets are grouped by direction (unit normal rounded to 10⁻³, its sign turned to one
/// hemisphere), not by plane: a plate's faces all share one direction, and grouping by
/// direction needs far fewer groups than by plane on parts with many small walls (on the
/// benchmark plate, a few thousand against 400,000), which made this step five times faster.
pub fn largest_planes(facets: &Facets, count: usize) -> Vec<(Unit<Vector3<f64>>, f64)> {
    let mesh = facets.mesh;
    type Groups = HashMap<[i64; 3], (Vector3<f64>, f64)>;
    // Fixed chunks merged in order, and ties broken by the key: the same axes in the same
    // order on every run.
    let partials: Vec<Groups> = (0..mesh.triangles.len())
        .collect::<Vec<usize>>()
        .par_chunks(crate::mesh::SUM_CHUNK)
        .map(|chunk| {
            let mut groups = Groups::new();
            for &k in chunk {
                let (n, area) = facets.normal_and_area(k);
                if area == 0.0 {
                    continue;
                }
                let mut key = [
                    (n.x * 1e3).round() as i64,
                    (n.y * 1e3).round() as i64,
                    (n.z * 1e3).round() as i64,
                ];
                let mut n = n;
                if key.iter().find(|&&c| c != 0).is_some_and(|&c| c < 0) {
                    key = key.map(|c| -c);
                    n = -n;
                }
                let g = groups.entry(key).or_insert((Vector3::zeros(), 0.0));
                g.0 += n * area; // area-weighted normal
                g.1 += area;
            }
            groups
        })
        .collect();
    let mut groups = Groups::new();
    for part in partials {
        for (k, v) in part {
            let g = groups.entry(k).or_insert((Vector3::zeros(), 0.0));
            g.0 += v.0;
            g.1 += v.1;
        }
    }
    type Keyed = ([i64; 3], (Vector3<f64>, f64));
    let mut planes: Vec<Keyed> = groups.into_iter().collect();
    planes.sort_by(|p, q| q.1.1.total_cmp(&p.1.1).then(p.0.cmp(&q.0)));
    let planes = planes.into_iter().map(|(_, v)| v);
    let mut axes: Vec<(Unit<Vector3<f64>>, f64)> = Vec::new();
    for (n, area) in planes {
        // Planes as large as the last one taken are all taken: which of several equal planes
        // made the cut must not decide the result.
        if axes.len() >= count && axes.last().is_some_and(|l| area < l.1 * (1.0 - 1e-9)) {
            break;
        }
        let n = Unit::new_normalize(n);
        if axes
            .iter()
            .any(|(m, _)| n.dot(m).abs() > (1.0f64).to_radians().cos())
        {
            continue;
        }
        axes.push((n, area));
    }
    axes
}

/// Looks for a plate along `axis` (either direction); `Err` says why there is none.
pub fn plate_along(facets: &Facets, axis: Unit<Vector3<f64>>) -> Result<PlateFinding, String> {
    let mesh = facets.mesh;
    let a = axis.into_inner();
    let vertex_heights: Vec<f64> = mesh.vertices.par_iter().map(|v| a.dot(&v.coords)).collect();
    let (lowest, highest) = vertex_heights
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &h| {
            (lo.min(h), hi.max(h))
        });
    let height = highest - lowest;
    if height.is_nan() || height <= 0.0 {
        return Err("the part is flat along this axis".into());
    }
    let level_tol = 1e-5 * facets.diagonal_mm;
    let levels = flat_levels(facets, &a, &vertex_heights, level_tol);
    let bounds = interval_bounds(&levels, lowest, highest, level_tol);
    let sections = Sections::probe(facets, axis, &vertex_heights, &bounds);
    let slab = plate_slab(&sections)?;
    let (above, below) = rib_volumes(&sections, &bounds, &slab)?;
    let (first, last, amax) = (slab.first, slab.last, slab.amax);
    let (low, mid, high) = (&sections.low, &sections.mid, &sections.high);
    let (bottom, top) = (bounds[first], bounds[last + 1]);
    let thickness = top - bottom;
    if thickness > MAX_THICKNESS_RATIO * amax.sqrt() {
        return Err(format!(
            "the slab of largest section ({amax:.3} mm²) is {thickness:.3} mm thick, more than {MAX_THICKNESS_RATIO} x the side of a square of that section ({:.3} mm): too thick for a plate that size",
            amax.sqrt()
        ));
    }
    // Just beyond each face against just inside it: the step down from plate to ribs.
    let next_above = if last + 1 < mid.len() {
        low[last + 1]
    } else {
        0.0
    };
    let next_below = if first > 0 { high[first - 1] } else { 0.0 };
    for (side_volume, outside, inside) in [
        (above, next_above, high[last]),
        (below, next_below, low[first]),
    ] {
        if side_volume > 0.0 && outside > MAX_FOOTPRINT_FRACTION * inside {
            return Err(format!(
                "the section just beyond the slab ({outside:.1} mm²) is more than {:.0}% of the section just inside it ({inside:.1} mm²): no ribs standing on a plate",
                MAX_FOOTPRINT_FRACTION * 100.0
            ));
        }
    }
    // Each side's section counts only where that side has ribs. Found along `a`, then turned
    // towards the main (larger) rib region: that side always has ribs (both sides without
    // were refused above), so its section is kept either way.
    let finding = PlateFinding {
        axis: a.into(),
        lowest_mm: lowest,
        highest_mm: highest,
        bottom_mm: bottom,
        top_mm: top,
        plate_section_mm2: amax,
        rib_side_section_mm2: if above > 0.0 { next_above } else { 0.0 },
        other_side_section_mm2: if below > 0.0 { next_below } else { 0.0 },
        flatness: slab.flatness,
        rib_side_volume_mm3: above,
        other_side_volume_mm3: below,
    };
    Ok(if above >= below {
        finding
    } else {
        flip_sides(finding)
    })
}

/// The levels along the axis (heights `vertex_heights`) where the section can jump: the
/// heights of the flat facets (within [`FLAT_DEG`] of perpendicular), those within
/// `level_tol` of each other merged (area-weighted), the ones under 1 % of the largest
/// dropped, at most [`MAX_LEVELS`] of them, largest first, as (height, area).
fn flat_levels(
    facets: &Facets,
    a: &Vector3<f64>,
    vertex_heights: &[f64],
    level_tol: f64,
) -> Vec<(f64, f64)> {
    let mesh = facets.mesh;
    let cos_flat = FLAT_DEG.to_radians().cos();
    let mut flats: Vec<(f64, f64)> = (0..mesh.triangles.len())
        .into_par_iter()
        .filter_map(|k| {
            let (n, area) = facets.normal_and_area(k);
            (area > 0.0 && n.dot(a).abs() >= cos_flat).then(|| {
                let t = mesh.triangles[k];
                let h = t.map(|i| vertex_heights[i as usize]);
                ((h[0] + h[1] + h[2]) / 3.0, area)
            })
        })
        .collect();
    flats.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut levels: Vec<(f64, f64)> = Vec::new(); // (height, area)
    for (h, area) in flats {
        match levels.last_mut() {
            Some((lh, la)) if h - *lh <= level_tol => {
                *lh = (*lh * *la + h * area) / (*la + area);
                *la += area;
            }
            _ => levels.push((h, area)),
        }
    }
    let largest = levels.iter().map(|l| l.1).fold(0.0, f64::max);
    levels.retain(|l| l.1 >= 0.01 * largest);
    levels.sort_by(|x, y| y.1.total_cmp(&x.1));
    levels.truncate(MAX_LEVELS);
    levels
}

/// The bounds of the probing intervals, ascending: the part's lowest and highest point and
/// the `levels` (height, area) strictly between them (farther than `level_tol`).
fn interval_bounds(levels: &[(f64, f64)], lowest: f64, highest: f64, level_tol: f64) -> Vec<f64> {
    let mut bounds: Vec<f64> = levels
        .iter()
        .map(|l| l.0)
        .filter(|&h| h - lowest > level_tol && highest - h > level_tol)
        .collect();
    bounds.push(lowest);
    bounds.push(highest);
    bounds.sort_by(f64::total_cmp);
    bounds
}

/// The exact sections of every interval between successive bounds (mm²): just above its
/// lower bound, in its middle and just below its upper bound. A flat slab has the same
/// section at all three; a sloped wall does not, and would otherwise pass for a plate.
struct Sections {
    low: Vec<f64>,
    mid: Vec<f64>,
    high: Vec<f64>,
}

impl Sections {
    /// The sections of the mesh across `axis` in the intervals of `bounds`.
    fn probe(
        facets: &Facets,
        axis: Unit<Vector3<f64>>,
        vertex_heights: &[f64],
        bounds: &[f64],
    ) -> Self {
        let probes: Vec<f64> = bounds
            .windows(2)
            .flat_map(|w| {
                let eps = (0.02 * (w[1] - w[0])).min(1e-3 * facets.diagonal_mm);
                [w[0] + eps, 0.5 * (w[0] + w[1]), w[1] - eps]
            })
            .collect();
        let probed = section_areas_with(facets.mesh, axis, vertex_heights, &probes);
        let (low, mid, high): (Vec<f64>, Vec<f64>, Vec<f64>) =
            probed.chunks_exact(3).map(|c| (c[0], c[1], c[2])).fold(
                (Vec::new(), Vec::new(), Vec::new()),
                |(mut l, mut m, mut h), (a, b, c)| {
                    l.push(a);
                    m.push(b);
                    h.push(c);
                    (l, m, h)
                },
            );
        Sections { low, mid, high }
    }

    /// The volume of the intervals `range` between `bounds` (mm³), by Simpson's rule over
    /// each (exact for sections varying linearly or quadratically).
    fn volume_of(&self, bounds: &[f64], range: std::ops::Range<usize>) -> f64 {
        let (low, mid, high) = (&self.low, &self.mid, &self.high);
        range
            .map(|i| (low[i] + 4.0 * mid[i] + high[i]) / 6.0 * (bounds[i + 1] - bounds[i]))
            .sum::<f64>()
    }
}

/// The plate's run of intervals, `first` to `last`: its largest section `amax`, and the
/// smallest section in it over `amax` (1 for a perfectly flat slab).
struct Slab {
    first: usize,
    last: usize,
    amax: f64,
    flatness: f64,
}

/// The run of intervals around the largest middle section whose sections are within
/// [`PLATE_SECTION_TOLERANCE`] of it (and, just inside the bounds, within
/// [`PLATE_EDGE_TOLERANCE`]); `Err` when there is no material or the largest slab itself is
/// sloped.
fn plate_slab(sections: &Sections) -> Result<Slab, String> {
    let (low, mid, high) = (&sections.low, &sections.mid, &sections.high);
    let (imax, &amax) = mid
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(y.1))
        .ok_or("no section")?;
    if amax.is_nan() || amax <= 0.0 {
        return Err("no material found along this axis".into());
    }
    let floor = (1.0 - PLATE_SECTION_TOLERANCE) * amax;
    let edge_floor = (1.0 - PLATE_EDGE_TOLERANCE) * amax;
    let in_plate = |i: usize| mid[i] >= floor && low[i] >= edge_floor && high[i] >= edge_floor;
    if !in_plate(imax) {
        let (a, b) = (low[imax].min(high[imax]), low[imax].max(high[imax]));
        // As many decimals as it takes to show the two ends apart.
        let decimals = (-(b - a).max(1e-9).log10()).ceil().clamp(1.0, 6.0) as usize;
        return Err(format!(
            "the largest section ({amax:.1} mm²) changes by {:.2} % across its slab ({:.decimals$} to {:.decimals$} mm²), more than a plate's {:.0} %: sloped walls, not a plate",
            100.0 * (b - a) / amax,
            low[imax],
            high[imax],
            100.0 * PLATE_EDGE_TOLERANCE
        ));
    }
    let mut first = imax;
    while first > 0 && in_plate(first - 1) {
        first -= 1;
    }
    let mut last = imax;
    while last + 1 < mid.len() && in_plate(last + 1) {
        last += 1;
    }
    let flatness = (first..=last)
        .flat_map(|i| [low[i], mid[i], high[i]])
        .fold(f64::INFINITY, f64::min)
        / amax;
    Ok(Slab {
        first,
        last,
        amax,
        flatness,
    })
}

/// The rib volume above and below the slab (mm³), each zero under
/// [`MIN_RIB_VOLUME_FRACTION`] of the part's; `Err` when neither side has ribs.
fn rib_volumes(sections: &Sections, bounds: &[f64], slab: &Slab) -> Result<(f64, f64), String> {
    let n = sections.mid.len();
    let total = sections.volume_of(bounds, 0..n);
    let above = sections.volume_of(bounds, slab.last + 1..n);
    let below = sections.volume_of(bounds, 0..slab.first);
    let min_rib = MIN_RIB_VOLUME_FRACTION * total;
    let (above, below) = (
        if above >= min_rib { above } else { 0.0 },
        if below >= min_rib { below } else { 0.0 },
    );
    if above == 0.0 && below == 0.0 {
        return Err(format!(
            "its largest section ({:.1} mm²) runs through the whole part: a solid without ribs",
            slab.amax
        ));
    }
    Ok((above, below))
}

/// Finds the plate by itself (see the module comment), or along `axis` when one is given.
pub fn detect(mesh: &Mesh, axis: Option<Unit<Vector3<f64>>>) -> Detection {
    detect_in(&Facets::new(mesh), axis)
}

/// [`detect`] on a mesh whose [`Facets`] are already made.
pub fn detect_in(facets: &Facets, axis: Option<Unit<Vector3<f64>>>) -> Detection {
    let planes = largest_planes(facets, CANDIDATE_PLANES);
    let (largest_plane_mm2, largest_plane_normal) = planes
        .first()
        .map(|(n, a)| (*a, (*n).into_inner().into()))
        .unwrap_or((0.0, [0.0; 3]));
    let axes: Vec<Unit<Vector3<f64>>> = match axis {
        Some(a) => vec![a],
        None => planes
            .iter()
            .filter(|p| p.1 >= MIN_CANDIDATE_FRACTION * largest_plane_mm2)
            .map(|p| p.0)
            .collect(),
    };
    // The axes are tried one after the other, the one whose sections can be largest first
    // (each try is parallel inside). An axis whose section bound (see
    // [`Facets::section_bound_mm2`]) is below the largest plate found so far cannot hold the
    // chosen plate and is not tried: on a ribbed plate the plate's own axis comes first and
    // rules out all the others, which were most of this step's time.
    let bounds: Vec<f64> = axes.iter().map(|a| facets.section_bound_mm2(a)).collect();
    let mut order: Vec<usize> = (0..axes.len()).collect();
    order.sort_by(|&i, &j| bounds[j].total_cmp(&bounds[i]).then(i.cmp(&j)));
    let mut tried: Vec<Option<Result<PlateFinding, String>>> = vec![None; axes.len()];
    let mut largest_found = 0.0f64;
    for i in order {
        // Margin for rounding: the probed section and the bound are both sums of products.
        if bounds[i] * (1.0 + 1e-9) < largest_found {
            tried[i] = Some(Err(format!(
                "no section across it can exceed {:.1} mm², less than the plate found along another axis",
                bounds[i]
            )));
            continue;
        }
        let r = plate_along(facets, axes[i]);
        if let Ok(f) = &r {
            largest_found = largest_found.max(f.plate_section_mm2);
        }
        tried[i] = Some(r);
    }
    let mut plate: Option<PlateFinding> = None;
    let mut rejected = Vec::new();
    for (&a, r) in axes.iter().zip(tried) {
        let r = r.expect("every axis is tried or ruled out");
        match r {
            Ok(f) => {
                // With a given axis, its direction says which side the ribs are on.
                let f = match axis {
                    Some(given) if given.dot(&f.axis()) < 0.0 => flip_sides(f),
                    _ => f,
                };
                if plate
                    .as_ref()
                    .is_none_or(|p| f.plate_section_mm2 > p.plate_section_mm2)
                {
                    if let Some(old) = plate.replace(f) {
                        rejected.push(RejectedAxis {
                            axis: old.axis,
                            reason: format!(
                                "a plate of {:.1} mm², smaller than the chosen one",
                                old.plate_section_mm2
                            ),
                        });
                    }
                } else {
                    rejected.push(RejectedAxis {
                        axis: f.axis,
                        reason: format!(
                            "a plate of {:.1} mm², smaller than the chosen one",
                            f.plate_section_mm2
                        ),
                    });
                }
            }
            Err(reason) => rejected.push(RejectedAxis {
                axis: a.into_inner().into(),
                reason,
            }),
        }
    }
    // A detected axis is the mean direction of facet normals, which on a finely tessellated
    // export is biased by the float noise of its tiny facets (4e-6 rad on a 213 k-triangle
    // plate turned and moved 300 mm from the origin: the plate face then straddled the cut's
    // snap distance and the cut failed). The plane fitted through the vertices of the rib-side
    // face is exact to their rounding over the plate's width; the plate is found again along it.
    if axis.is_none()
        && let Some(p) = &plate
        && let Some(refined) = fitted_face_axis(facets, p)
        && let Ok(f) = plate_along(facets, refined)
        && (f.plate_section_mm2 - p.plate_section_mm2).abs() <= 1e-3 * p.plate_section_mm2
    {
        let f = if Vector3::from(f.axis).dot(&Vector3::from(p.axis)) < 0.0 {
            flip_sides(f)
        } else {
            f
        };
        plate = Some(f);
    }
    Detection {
        plate,
        rejected,
        largest_plane_mm2,
        largest_plane_normal,
    }
}

/// The normal of the least-squares plane through the vertices of the flat facets of the
/// plate's rib-side face (within the level tolerance of `top_mm`), turned like the plate's
/// axis; `None` where the face has too few vertices or no clear plane.
fn fitted_face_axis(facets: &Facets, p: &PlateFinding) -> Option<Unit<Vector3<f64>>> {
    let mesh = facets.mesh;
    let a = Vector3::from(p.axis);
    let cos_flat = FLAT_DEG.to_radians().cos();
    let level_tol = 1e-5 * facets.diagonal_mm;
    let mut used = vec![false; mesh.vertices.len()];
    for (k, t) in mesh.triangles.iter().enumerate() {
        let (n, area) = facets.normal_and_area(k);
        if area <= 0.0 || n.dot(&a) < cos_flat {
            continue;
        }
        let h = t.map(|i| a.dot(&mesh.vertices[i as usize].coords));
        if ((h[0] + h[1] + h[2]) / 3.0 - p.top_mm).abs() <= level_tol {
            for &i in t {
                used[i as usize] = true;
            }
        }
    }
    let pts: Vec<Vector3<f64>> = mesh
        .vertices
        .iter()
        .zip(&used)
        .filter(|(_, u)| **u)
        .map(|(v, _)| v.coords)
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let centre = pts.iter().sum::<Vector3<f64>>() / pts.len() as f64;
    let cov = pts.iter().fold(nalgebra::Matrix3::zeros(), |m, q| {
        let d = q - centre;
        m + d * d.transpose()
    });
    let eig = nalgebra::SymmetricEigen::new(cov);
    let (mut small, mut second) = (0, 1);
    for i in 0..3 {
        if eig.eigenvalues[i] < eig.eigenvalues[small] {
            small = i;
        }
    }
    for i in 0..3 {
        if i != small && (second == small || eig.eigenvalues[i] < eig.eigenvalues[second]) {
            second = i;
        }
    }
    // A face spread in two directions and flat in the third; else keep the detected axis.
    // (NaN compares false: no refinement.)
    let flat = eig.eigenvalues[small] < 1e-6 * eig.eigenvalues[second];
    if !flat {
        return None;
    }
    let n: Vector3<f64> = eig.eigenvectors.column(small).into();
    let n = if n.dot(&a) < 0.0 { -n } else { n };
    // Only a refinement: a fitted plane far from the detected axis is not this face.
    (n.dot(&a) >= cos_flat).then(|| Unit::new_normalize(n))
}

/// The same plate seen with the axis reversed: its other side becomes the rib side.
fn flip_sides(f: PlateFinding) -> PlateFinding {
    PlateFinding {
        axis: [-f.axis[0], -f.axis[1], -f.axis[2]],
        lowest_mm: -f.highest_mm,
        highest_mm: -f.lowest_mm,
        bottom_mm: -f.top_mm,
        top_mm: -f.bottom_mm,
        plate_section_mm2: f.plate_section_mm2,
        rib_side_section_mm2: f.other_side_section_mm2,
        other_side_section_mm2: f.rib_side_section_mm2,
        flatness: f.flatness,
        rib_side_volume_mm3: f.other_side_volume_mm3,
        other_side_volume_mm3: f.rib_side_volume_mm3,
    }
}

/// A point of the plane `axis · x = offset` near the middle of the part.
pub fn plane_point(mesh: &Mesh, plane: &Plane) -> Point3<f64> {
    plane_point_near(mesh.bounds(), plane)
}

/// [`plane_point`] with the part's bounds already known.
pub fn plane_point_near(bounds: Option<Aabb>, plane: &Plane) -> Point3<f64> {
    let c = bounds.map(|b| b.center()).unwrap_or_else(Point3::origin);
    plane.project(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;
    use nalgebra::Rotation3;

    #[test]
    fn slab_and_rib_volumes_from_sections_by_hand() {
        // Four intervals, each of constant section: 50 mm² from 0 to 1, 100 from 1 to 3, 98
        // from 3 to 4 (within 3 % of 100: still the plate), 20 from 4 to 10.
        let bounds = [0.0, 1.0, 3.0, 4.0, 10.0];
        let areas = vec![50.0, 100.0, 98.0, 20.0];
        let s = Sections {
            low: areas.clone(),
            mid: areas.clone(),
            high: areas,
        };
        let slab = plate_slab(&s).unwrap();
        assert_eq!((slab.first, slab.last, slab.amax), (1, 2, 100.0));
        assert!((slab.flatness - 0.98).abs() < 1e-12);
        // Simpson's rule of a constant section is section x length: 50 x 1 below the plate,
        // 20 x 6 above it.
        let (above, below) = rib_volumes(&s, &bounds, &slab).unwrap();
        assert!((above - 120.0).abs() < 1e-9, "{above}");
        assert!((below - 50.0).abs() < 1e-9, "{below}");
        // A largest slab whose section falls from 100 to 80 mm² across it is a sloped wall.
        let sloped = Sections {
            low: vec![100.0],
            mid: vec![100.0],
            high: vec![80.0],
        };
        let e = plate_slab(&sloped).err().unwrap();
        assert!(e.contains("changes by 20.00 %"), "{e}");
        // Nothing beyond the slab: a solid, no ribs.
        let solid = Sections {
            low: vec![100.0],
            mid: vec![100.0],
            high: vec![100.0],
        };
        let slab = plate_slab(&solid).unwrap();
        let e = rib_volumes(&solid, &[0.0, 5.0], &slab).err().unwrap();
        assert!(e.contains("a solid without ribs"), "{e}");
    }

    #[test]
    fn finds_every_sample_plate_and_refuses_the_block() {
        for part in samples::all() {
            let mesh = part.mesh();
            let d = detect(&mesh, None);
            match part.plate_thickness_mm {
                Some(t) => {
                    let p = d
                        .plate
                        .as_ref()
                        .unwrap_or_else(|| panic!("{}: {:?}", part.name, d));
                    assert!(
                        (p.thickness_mm() - t).abs() < 0.01 * t,
                        "{}: {} vs {t}",
                        part.name,
                        p.thickness_mm()
                    );
                    let split = part.split_height_mm.unwrap();
                    assert!(
                        (p.top_mm - p.lowest_mm - split).abs() < 1e-9,
                        "{}",
                        part.name
                    );
                }
                None => assert!(d.plate.is_none(), "{}: {:?}", part.name, d.plate),
            }
        }
    }

    #[test]
    fn finds_the_plate_of_a_rotated_part_and_honours_a_given_axis() {
        let mut mesh = samples::heat_sink().mesh();
        let rot = Rotation3::from_euler_angles(2.1, -0.4, 0.9);
        mesh.map_vertices(|p| rot * p);
        let p = detect(&mesh, None).plate.unwrap();
        assert!((p.thickness_mm() - 5.0).abs() < 0.05);
        let z = rot * Vector3::z();
        assert!(p.axis().dot(&z) > 0.999_999);
        // Giving the opposite axis makes the (rib-less) other side the "rib side".
        let given = Unit::new_normalize(-z);
        let q = detect(&mesh, Some(given)).plate.unwrap();
        assert!(q.axis().dot(&given) > 0.999_999);
        assert_eq!(q.rib_side_volume_mm3, 0.0);
    }
}
