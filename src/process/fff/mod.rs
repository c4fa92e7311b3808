//! FFF (fused filament) build time and extruded volume from the part's own layer sections.
//!
//! The part is sliced at every layer's mid-height in one pass over the triangles. Each layer
//! gives its contour (exact, from the mesh: loops, their segments and corners) and a raster
//! of its section. From the raster come what a slicer decides by polygon offsets and
//! booleans: how long the inner perimeters are (bands of the section eroded step by step),
//! where the infill region is, and which of it must be solid because a layer within
//! `top_solid_layers` above or `bottom_solid_layers` below has no material there (top,
//! bottom, bridges over air or over sparse infill). Each feature's path length then goes
//! through a motion model of the printer: a trapezoidal speed profile per move with the
//! classic jerk junction speeds, the same planner PrusaSlicer's G-code time estimate runs;
//! perimeters on the real contour segments and corners, infill on a zig-zag of lines of the
//! section's mean chord length. Travels, retractions, Z hops, the cooling slowdown of short
//! layers and the volumetric limit of the hot end complete the layer time. Equations and
//! sources: docs/method.md, "FFF build time".

mod contour;
mod layers;
mod motion;
mod paths;
mod pieces;
mod profile;
mod raster;
mod regions;
mod travel;

use nalgebra::{Unit, Vector3};
use rayon::prelude::*;

use crate::mesh::Mesh;
use crate::mesh::section::Plane;
use crate::models::FffPrinter;
use contour::contour;
use layers::Segment;
pub use motion::trapezoid_s;
use motion::{Move, loop_time_s, zigzag_time_s};
use paths::{Bucket, Job, Path};
use pieces::{euler_number, infill_regions, pieces};
use profile::{BRIDGE_EXTRA_SPACING_MM, Feature, Profile, bridge_area, cross_section};
use raster::{MAX_RASTER_BITS, Raster, popcount, span_mask};
use regions::{BRIDGE, CLASSES, SOLID, SPARSE, TOP};
use travel::{retract_and_hop_s, z_move_s};

/// What the user chooses for a print (the CLI's --layer-mm --nozzle-mm --perimeters --infill).
#[derive(Debug, Clone, PartialEq)]
pub struct FffSettings {
    pub layer_mm: f64,
    pub nozzle_mm: f64,
    pub perimeters: u32,
    /// Sparse infill density, 0..1.
    pub infill_fraction: f64,
}

impl FffSettings {
    /// The printer's own profile.
    pub fn for_printer(p: &FffPrinter) -> Self {
        FffSettings {
            layer_mm: p.layer_height_mm,
            nozzle_mm: p.nozzle_mm,
            perimeters: p.perimeters,
            infill_fraction: p.infill_fraction,
        }
    }
}

impl Default for FffSettings {
    /// 0.4 mm nozzle, 0.2 mm layers, 2 perimeters, 20 % infill: the embedded desktop printer.
    fn default() -> Self {
        FffSettings::for_printer(&crate::models::default_printer())
    }
}

/// Estimated build: total time, its breakdown and the material.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FffEstimate {
    pub time_s: f64,
    pub extruded_mm3: f64,
    pub layers: usize,
    /// Perimeter loops (external, inner, small), first layer included.
    pub perimeters_s: f64,
    /// Sparse infill.
    pub infill_s: f64,
    /// Solid infill: bottom, internal solid, top surfaces, bridges.
    pub solid_s: f64,
    /// Travel moves in the plane.
    pub travel_s: f64,
    /// Retractions, Z hops and layer changes.
    pub overhead_s: f64,
    /// Time added by slowing short layers down for cooling.
    pub cooling_slowdown_s: f64,
    /// Path lengths (mm) of perimeters, sparse infill and solid infill.
    pub perimeter_mm: f64,
    pub sparse_infill_mm: f64,
    pub solid_infill_mm: f64,
    /// Retracted travels (each with a Z hop).
    pub retractions: usize,
    /// Raster cell used for the layer regions (mm).
    pub raster_cell_mm: f64,
}

/// Time and length of one layer's features.
#[derive(Debug, Clone, Copy, Default)]
struct LayerTime {
    perimeters_s: f64,
    infill_s: f64,
    solid_s: f64,
    travel_s: f64,
    overhead_s: f64,
    cooling_s: f64,
    perimeter_mm: f64,
    sparse_mm: f64,
    solid_mm: f64,
    extruded_mm3: f64,
    retractions: usize,
}

/// Estimates the FFF build of `mesh` printed with `build_axis` up.
pub fn estimate_fff(
    mesh: &Mesh,
    build_axis: &Unit<Vector3<f64>>,
    settings: &FffSettings,
    printer: &FffPrinter,
) -> FffEstimate {
    let prof = Profile::new(settings, printer);
    let axis = *build_axis;
    let (e1, e2) = Plane {
        axis,
        offset_mm: 0.0,
    }
    .basis();
    let a = axis.into_inner();
    let heights: Vec<f64> = mesh.vertices.par_iter().map(|v| a.dot(&v.coords)).collect();
    let uv: Vec<[f64; 2]> = mesh
        .vertices
        .par_iter()
        .map(|v| [e1.dot(&v.coords), e2.dot(&v.coords)])
        .collect();
    // Extent over the vertices that triangles use: (lowest, highest, [u0, v0, u1, v1]).
    let empty = || {
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
        )
    };
    let (lo, hi, bb) = mesh
        .triangles
        .par_iter()
        .fold(empty, |(lo, hi, bb), t| {
            let mut r = (lo, hi, bb);
            for &i in t {
                let (h, p) = (heights[i as usize], uv[i as usize]);
                r.0 = r.0.min(h);
                r.1 = r.1.max(h);
                r.2 = [
                    r.2[0].min(p[0]),
                    r.2[1].min(p[1]),
                    r.2[2].max(p[0]),
                    r.2[3].max(p[1]),
                ];
            }
            r
        })
        .reduce(empty, |x, y| {
            (
                x.0.min(y.0),
                x.1.max(y.1),
                [
                    x.2[0].min(y.2[0]),
                    x.2[1].min(y.2[1]),
                    x.2[2].max(y.2[2]),
                    x.2[3].max(y.2[3]),
                ],
            )
        });
    let sliceable = hi > lo && prof.h > 0.0;
    if !sliceable {
        return FffEstimate::default();
    }
    // Whole layers of (almost) the nominal height, sliced at their mid-heights.
    let n = ((hi - lo) / prof.h).round().max(1.0) as usize;
    let dz = (hi - lo) / n as f64;
    let level = |k: usize| lo + (k as f64 + 0.5) * dz;

    // --- one pass over the triangles: the contour segments of every layer -----------------
    // A segment is stored as its two edge keys only (16 bytes; tall walls of a large mesh
    // cross tens of millions of layer planes); its points are recomputed per layer. Each
    // chunk of triangles keeps its segments grouped by layer, in triangle order (neighbours
    // in a loop are then usually near each other in memory).
    let edge_point = |key: u64, z: f64| {
        let (x, y) = ((key >> 32) as usize, (key & 0xffff_ffff) as usize);
        let f = (heights[x] - z) / (heights[x] - heights[y]);
        [
            uv[x][0] + (uv[y][0] - uv[x][0]) * f,
            uv[x][1] + (uv[y][1] - uv[x][1]) * f,
        ]
    };
    let chunks: Vec<(Vec<[u64; 2]>, Vec<u32>)> = mesh
        .triangles
        .par_chunks(crate::mesh::SUM_CHUNK)
        .map(|chunk| {
            let mut tagged: Vec<(u32, [u64; 2])> = Vec::new();
            for t in chunk {
                let h = t.map(|i| heights[i as usize]);
                let (tlo, thi) = (h[0].min(h[1]).min(h[2]), h[0].max(h[1]).max(h[2]));
                // Levels in (tlo, thi]: a vertex exactly on a level counts as above it.
                let mut k = (((tlo - lo) / dz - 0.5).floor().max(0.0)) as usize;
                while k < n && level(k) <= tlo {
                    k += 1;
                }
                while k < n && level(k) <= thi {
                    let z = level(k);
                    // The segment runs from the edge the winding takes from above the level to
                    // below it, to the edge it takes back up: with outward normals that leaves
                    // the material on the left. Read from the topology, not from the segment's
                    // direction, so a segment of zero length (a vertex on the level, common in
                    // finely tessellated exports) is oriented like its neighbours and the
                    // layer's loops stay closed.
                    let (mut down, mut up) = (None, None);
                    for e in 0..3 {
                        let j = (e + 1) % 3;
                        let (above_e, above_j) = (h[e] >= z, h[j] >= z);
                        if above_e != above_j {
                            // Keyed from the lower vertex index: both triangles of the edge
                            // get the same key, and the same point from it.
                            let key = ((t[e].min(t[j]) as u64) << 32) | t[e].max(t[j]) as u64;
                            if above_e {
                                down = Some(key);
                            } else {
                                up = Some(key);
                            }
                        }
                    }
                    if let (Some(from), Some(to)) = (down, up) {
                        let keys = [from, to];
                        tagged.push((k as u32, keys));
                    }
                    k += 1;
                }
            }
            tagged.sort_by_key(|(k, _)| *k);
            let mut offsets = vec![0u32; n + 1];
            for (k, _) in &tagged {
                offsets[*k as usize + 1] += 1;
            }
            for k in 0..n {
                offsets[k + 1] += offsets[k];
            }
            (tagged.into_iter().map(|(_, keys)| keys).collect(), offsets)
        })
        .collect();
    let layer_segments = |k: usize| -> Vec<Segment> {
        let z = level(k);
        chunks
            .iter()
            .flat_map(|(keys, offsets)| &keys[offsets[k] as usize..offsets[k + 1] as usize])
            .map(|&[from_key, to_key]| Segment {
                from: edge_point(from_key, z),
                to: edge_point(to_key, z),
                from_key,
                to_key,
            })
            .collect()
    };

    // --- the raster: half a line spacing, coarser only for very large parts ---------------
    let extent = [bb[2] - bb[0], bb[3] - bb[1]];
    let fine = prof.s / 2.0;
    let cell = fine.max((extent[0] * extent[1] * n as f64 / MAX_RASTER_BITS).sqrt());
    let raster = {
        let cols = (extent[0] / cell).ceil() as usize + 2;
        let rows = (extent[1] / cell).ceil() as usize + 2;
        Raster {
            cols,
            rows,
            words: cols.div_ceil(64),
            origin: [bb[0] - cell, bb[1] - cell],
            cell,
        }
    };
    let inside: Vec<Vec<u64>> = (0..n)
        .into_par_iter()
        .map(|k| raster.fill(&layer_segments(k)))
        .collect();
    // Erosion depth m holds the cells whose centres lie about (m + ½) cells from the edge.
    let cell_mm2 = cell * cell;
    let depth_at = |d_mm: f64| ((d_mm / cell) - 0.5).ceil().max(0.0) as usize;
    // The infill region reaches into the innermost perimeter by the infill overlap.
    let infill_depth = depth_at(prof.walls as f64 * prof.s - prof.infill_overlap_mm);
    let deepest = infill_depth.max(depth_at(prof.walls as f64 * prof.s));
    // Per layer: the infill region, and the number of cells at each erosion depth.
    let (fill, depth_counts): (Vec<Vec<u64>>, Vec<Vec<u64>>) = (0..n)
        .into_par_iter()
        .map(|k| {
            let mut eroded = inside[k].clone();
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
        .unzip();
    // Solid where a layer within top_solid_layers above or bottom_solid_layers below has no
    // infill there: no material (beyond the part counts as none: the top, and the bed), or
    // its perimeters, so that sloped walls get a shell as thick as the vertical ones
    // (PrusaSlicer's ensure_vertical_shell_thickness).
    let solid: Vec<Vec<u64>> = (0..n)
        .into_par_iter()
        .map(|k| {
            let mut covered = vec![u64::MAX; raster.len()];
            let window = (k + 1..=k + prof.top_layers)
                .map(Some)
                .chain((1..=prof.bottom_layers).map(|d| k.checked_sub(d)));
            for j in window {
                match j.and_then(|j| fill.get(j)) {
                    Some(m) => covered.iter_mut().zip(m).for_each(|(c, b)| *c &= b),
                    None => covered.fill(0),
                }
            }
            fill[k].iter().zip(&covered).map(|(f, c)| f & !c).collect()
        })
        .collect();

    // --- per layer: regions, paths, times -------------------------------------------------
    let layer_times: Vec<LayerTime> = (0..n)
        .into_par_iter()
        .map(|k| {
            let segs = &layer_segments(k);
            if segs.is_empty() {
                return LayerTime::default();
            }
            let first = k == 0;
            let feat = |f: Feature| if first { prof.first_layer(f) } else { f };
            let cont = contour(segs);
            let eroded = &fill[k];
            let counts = &depth_counts[k];
            let count_at = |m: usize| counts.get(m).copied().unwrap_or(0) as f64;
            // Perimeter k occupies the band [k s, (k+1) s) from the edge; its length is the
            // band's area over s, relative to the outermost band (whose length is the exact
            // contour length).
            let band = |w: u32| {
                count_at(depth_at(w as f64 * prof.s)) - count_at(depth_at((w + 1) as f64 * prof.s))
            };
            let outer_band = band(0).max(1.0);
            // Infill region, its classes and its connected regions.
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
            // What survives erosion one step past the innermost perimeter's inner edge: a
            // region without such a cell is a sliver no wider than about one line, which the
            // perimeters next to it fill (PrusaSlicer 2.5's Arachne perimeters widen to
            // close such gaps).
            let mut core = raster.erode(eroded, infill_depth % 2 == 1);
            for m in infill_depth + 1..=deepest {
                core = raster.erode(&core, m % 2 == 1);
            }
            let (regions, region_runs) = infill_regions(&raster, eroded, &core, &classes);
            let h = prof.h;
            let mut lt = LayerTime::default();
            let mut jobs: Vec<Job> = Vec::new();

            // Perimeters: the external loop on the contour, inner loops scaled by band length.
            for lp in &cont.loops {
                let len: f64 = lp
                    .iter()
                    .map(|&i| {
                        let s = &segs[i as usize];
                        (s.to[0] - s.from[0]).hypot(s.to[1] - s.from[1])
                    })
                    .sum();
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
                        feature: feat(f),
                        bucket: Bucket::Perimeters,
                        nominal_mm: len * ratio,
                        adjustable: wall > 0,
                    });
                    lt.perimeter_mm += len * ratio;
                }
            }
            let width = if first { prof.w_first } else { prof.w };
            lt.extruded_mm3 += lt.perimeter_mm * cross_section(width, h);

            // Infill, region by region: lines of the region's mean chord (Cauchy: π A / P
            // over all directions). Regions smaller than solid_infill_below_area are solid.
            // Solid: internal solid, top surface, bridges; the first layer is all solid.
            let s_solid = if first { prof.s_first } else { prof.s };
            let sqrt2 = std::f64::consts::SQRT_2;
            let bridge_spacing = prof.bridge_w + BRIDGE_EXTRA_SPACING_MM;
            let mut kinds_present = [false; CLASSES];
            let (mut solid_mm, mut top_mm, mut bridge_mm, mut sparse_mm) = (0.0, 0.0, 0.0, 0.0);
            // Which kind each class of cells of each region is printed as (none: a sliver).
            let mut printed_as = vec![[None; CLASSES]; regions.len()];
            for (r, kinds) in regions.iter().zip(printed_as.iter_mut()) {
                if r.core_cells == 0 {
                    continue;
                }
                *kinds = [Some(SPARSE), Some(SOLID), Some(TOP), Some(BRIDGE)];
                let area_mm2 = r.cells.iter().sum::<u64>() as f64 * cell_mm2;
                let chord = std::f64::consts::PI * area_mm2 / r.boundary_mm(cell).max(cell);
                let mut mm2 = r.cells.map(|c| c as f64 * cell_mm2);
                if area_mm2 < printer.solid_infill_below_area_mm2 {
                    mm2[SOLID] += mm2[SPARSE];
                    mm2[SPARSE] = 0.0;
                    kinds[SPARSE] = Some(SOLID);
                }
                // A top or bridge patch smaller than one line across the region is no surface
                // of its own: it goes with the internal solid infill around it.
                for kind in [TOP, BRIDGE] {
                    if mm2[kind] > 0.0 && mm2[kind] < prof.s * chord {
                        mm2[SOLID] += mm2[kind];
                        mm2[kind] = 0.0;
                        kinds[kind] = Some(SOLID);
                    }
                }
                for (kind, present) in kinds_present.iter_mut().enumerate() {
                    *present |= mm2[kind] > 0.0;
                }
                let mut zigzag = |len: f64, link: f64, f: Feature, bucket: Bucket| {
                    if len > 0.0 {
                        jobs.push(Job {
                            path: Path::Zigzag { len, chord, link },
                            feature: feat(f),
                            bucket,
                            nominal_mm: len * (1.0 + link / chord.max(1e-3)),
                            adjustable: true,
                        });
                    }
                };
                let solid_len = mm2[SOLID] / s_solid;
                let top_len = mm2[TOP] / prof.s_top;
                let bridge_len = mm2[BRIDGE] / bridge_spacing;
                zigzag(solid_len, s_solid * sqrt2, prof.solid, Bucket::Solid);
                zigzag(top_len, prof.s_top * sqrt2, prof.top, Bucket::Solid);
                zigzag(
                    bridge_len,
                    bridge_spacing * sqrt2,
                    prof.bridge,
                    Bucket::Solid,
                );
                solid_mm += solid_len;
                top_mm += top_len;
                bridge_mm += bridge_len;
                // Sparse: lines in two directions (grid), each direction 2 s / density apart;
                // the ends of both directions alternate along the edge, so a link spans half
                // the spacing of one direction, at 45° to the edge.
                if prof.infill > 0.0 && mm2[SPARSE] > 0.0 {
                    let len = mm2[SPARSE] * prof.infill / prof.s;
                    zigzag(
                        len,
                        prof.s / prof.infill * sqrt2,
                        prof.sparse,
                        Bucket::Sparse,
                    );
                    sparse_mm += len;
                }
            }
            lt.solid_mm = solid_mm + top_mm + bridge_mm;
            lt.sparse_mm = sparse_mm;
            lt.extruded_mm3 += solid_mm * cross_section(width, h)
                + top_mm * cross_section(prof.w_top, h)
                + bridge_mm * bridge_area(prof.bridge_w)
                + sparse_mm * cross_section(prof.w, h);

            let job_s = |job: &Job, cap: f64| {
                let cap = if job.adjustable { cap } else { f64::INFINITY };
                let f = Feature {
                    speed_mm_s: job.feature.speed_mm_s.min(cap),
                    ..job.feature
                };
                match job.path {
                    Path::Loop(lp, ratio) => loop_time_s(&prof.planner, segs, lp, f) * ratio,
                    Path::Zigzag { len, chord, link } => {
                        zigzag_time_s(&prof.planner, len, chord, link, f)
                    }
                }
            };
            for job in &jobs {
                let t = job_s(job, f64::INFINITY);
                match job.bucket {
                    Bucket::Perimeters => lt.perimeters_s += t,
                    Bucket::Sparse => lt.infill_s += t,
                    Bucket::Solid => lt.solid_s += t,
                }
            }

            // Travels (PrusaSlicer retracts every travel of retract_before_travel or more, and
            // only those): one retracted travel into each loop and into each infill path;
            // short unretracted hops (one line apart) between the perimeters of a loop.
            // Infill paths per printed kind: a piece with holes cannot be filled in one
            // zig-zag, around each hole the lines split into branches (pieces + holes).
            let mut infill_travels = 0;
            for (kind, _) in kinds_present.iter().enumerate().filter(|(_, p)| **p) {
                // The cells printed as this kind, and their pieces and holes.
                let mut mask = vec![0u64; raster.len()];
                for run in &region_runs {
                    let base = run.row * raster.words;
                    for (class, to) in printed_as[run.region].iter().enumerate() {
                        if *to != Some(kind) {
                            continue;
                        }
                        for k in run.start / 64..run.end.div_ceil(64) {
                            mask[base + k] |= classes[base + k][class]
                                & core[base + k]
                                & span_mask(k, run.start, run.end);
                        }
                    }
                }
                let inner = raster.erode(&mask, false);
                let small = (printer.solid_infill_below_area_mm2 / cell_mm2).ceil() as u64;
                let (all, printed, small_pieces) = pieces(&raster, &mask, &inner, small);
                let holes = (all as i64 - euler_number(&raster, &mask)).max(0) as usize;
                // Sparse grid infill is two sets of lines, one per direction, each its own
                // path; a piece smaller than solid_infill_below_area is solid, one set.
                infill_travels += if kind == SPARSE {
                    2 * (printed - small_pieces + holes) + small_pieces
                } else {
                    printed + holes
                };
            }
            // The layer change travels straight to the first loop.
            let retracted = cont.joined.max(1) + infill_travels;
            let short_hops = cont.joined * (prof.walls as usize).saturating_sub(1);
            let span = (extent[0] * extent[1] / retracted as f64).sqrt() * 0.5;
            let hop = |len: f64| {
                let mv = Move {
                    len,
                    dir: [std::f64::consts::FRAC_1_SQRT_2; 2],
                    speed: prof.travel.speed_mm_s,
                    accel: prof.travel.accel_mm_s2,
                };
                prof.planner.time_s(&[mv])
            };
            lt.travel_s += retracted as f64 * hop(span) + short_hops as f64 * hop(prof.s);
            lt.retractions = retracted;
            lt.overhead_s += retracted as f64 * retract_and_hop_s(printer) + z_move_s(printer, dz);

            // Cooling (PrusaSlicer's CoolingBuffer): when the layer's nominal time (every
            // move's length over its feed rate, no acceleration) is below the threshold, the
            // fastest extrusions are slowed to a common cap, no lower than the minimum print
            // speed, until it is reached; travels, retractions and the external perimeter
            // keep their speed (PrusaSlicer 2.5 prints the outer surface at its own speed: in
            // its G-code the external perimeters of short layers run at 25 mm/s nominal
            // while the infill drops to the cap).
            let nominal_other_s = (retracted as f64 * span + short_hops as f64 * prof.s)
                / prof.travel.speed_mm_s
                + retracted as f64
                    * (2.0 * printer.retract_length_mm / printer.retract_speed_mm_s
                        + 2.0 * printer.retract_lift_mm / printer.max_speed_z_mm_s)
                + dz / printer.max_speed_z_mm_s;
            let nominal_s = |cap: f64| {
                jobs.iter()
                    .map(|j| {
                        let v = j.feature.speed_mm_s;
                        j.nominal_mm / if j.adjustable { v.min(cap) } else { v }
                    })
                    .sum::<f64>()
            };
            let target_s = printer.slowdown_below_layer_time_s - nominal_other_s;
            if !jobs.is_empty() && nominal_s(f64::INFINITY) < target_s {
                let slowest = printer.min_print_speed_mm_s;
                let fastest = jobs
                    .iter()
                    .map(|j| j.feature.speed_mm_s)
                    .fold(slowest, f64::max);
                let cap = if nominal_s(slowest) <= target_s {
                    slowest
                } else {
                    // nominal_s falls as the cap rises: bisect for the cap that meets the target.
                    let (mut lo_v, mut hi_v) = (slowest, fastest);
                    for _ in 0..60 {
                        let mid = 0.5 * (lo_v + hi_v);
                        if nominal_s(mid) > target_s {
                            lo_v = mid;
                        } else {
                            hi_v = mid;
                        }
                    }
                    hi_v
                };
                let capped: f64 = jobs.iter().map(|j| job_s(j, cap)).sum();
                lt.cooling_s = (capped - (lt.perimeters_s + lt.infill_s + lt.solid_s)).max(0.0);
            }
            lt
        })
        .collect();

    let mut est = FffEstimate {
        layers: n,
        raster_cell_mm: cell,
        ..FffEstimate::default()
    };
    for lt in &layer_times {
        est.perimeters_s += lt.perimeters_s;
        est.infill_s += lt.infill_s;
        est.solid_s += lt.solid_s;
        est.travel_s += lt.travel_s;
        est.overhead_s += lt.overhead_s;
        est.cooling_slowdown_s += lt.cooling_s;
        est.perimeter_mm += lt.perimeter_mm;
        est.sparse_infill_mm += lt.sparse_mm;
        est.solid_infill_mm += lt.solid_mm;
        est.extruded_mm3 += lt.extruded_mm3;
        est.retractions += lt.retractions;
    }
    est.time_s = est.perimeters_s
        + est.infill_s
        + est.solid_s
        + est.travel_s
        + est.overhead_s
        + est.cooling_slowdown_s;
    est
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;
    use std::f64::consts::{FRAC_PI_4, PI, SQRT_2};

    /// The desktop printer with every corner a full stop (jerk 0), no retraction or Z hop and
    /// no cooling slowdown, so that a box can be timed by hand.
    fn hand_printer() -> FffPrinter {
        let mut p = crate::models::default_printer();
        p.max_jerk_xy_mm_s = 0.0;
        p.max_jerk_z_mm_s = 0.0;
        p.retract_length_mm = 0.0;
        p.retract_lift_mm = 0.0;
        p.wipe = false;
        p.slowdown_below_layer_time_s = 0.0;
        p
    }

    /// One move from rest to rest: the trapezoid ℓ/v + v/a when the move is long enough to
    /// reach v (ℓ ≥ v²/a), else the triangle 2 √(ℓ/a).
    fn stop_to_stop_s(len: f64, v: f64, a: f64) -> f64 {
        if len >= v * v / a {
            len / v + v / a
        } else {
            2.0 * (len / a).sqrt()
        }
    }

    #[test]
    fn box_time_by_hand() {
        // A 20 x 20 x 4 mm box, 0.2 mm layers: 20 layers of 0.2 mm, sliced at 0.1, 0.3, ...
        let mesh = cuboid([0.0, 0.0, 0.0], [20.0, 20.0, 4.0]);
        let p = hand_printer();
        let est = estimate_fff(&mesh, &Vector3::z_axis(), &FffSettings::for_printer(&p), &p);
        assert_eq!(est.layers, 20);

        // Line spacing s = w − h (1 − π/4) = 0.45 − 0.2 · 0.214602 = 0.407080 mm (first layer
        // 0.42 − 0.042920 = 0.377080, top 0.4 − 0.042920 = 0.357080, bridges 0.4 + 0.05).
        let h = 0.2;
        let s = 0.45 - h * (1.0 - FRAC_PI_4);
        let s_first = 0.42 - h * (1.0 - FRAC_PI_4);
        let s_top = 0.40 - h * (1.0 - FRAC_PI_4);
        let s_bridge = 0.45;
        // Raster cell c = s/2 = 0.203540 mm; cell centres at (i − ½) c from the box's edge:
        // 20 mm hold ceil(20/c − ½) = ceil(97.76) = 98 of them per side.
        let c = s / 2.0;
        let m = (20.0 / c - 0.5).ceil();
        assert_eq!(m, 98.0);
        // Erosion takes one cell off each side per step. Perimeter bands: depths 0-1 (first
        // perimeter, [0, s)) and 2-3 (second, [s, 2s)): 98² − 94² and 94² − 90² cells, so the
        // inner loop is 184/192 of the contour. The infill region reaches 25 % of a width
        // (0.1125 mm) into the inner perimeter: 2s − 0.1125 = 0.701660 mm = 3.447 cells,
        // ceil(3.447 − ½) = 3 steps: a square of 92 cells, 18.7257 mm, 350.66 mm².
        let inner_ratio = (94.0 * 94.0 - 90.0 * 90.0) / (98.0 * 98.0 - 94.0 * 94.0);
        let side = 92.0 * c;
        let area = side * side;
        // Its mean chord π A / P, with P the staircase boundary 4 · 92 cells times π/4: the side.
        let chord = side;

        // Speeds and accelerations: external perimeter 25 mm/s and inner 45 mm/s at 800 mm/s²;
        // infill 80 (solid 80, top 40, bridge 25) at min(1250, machine X/Y 1000) = 1000 mm/s²;
        // first layer everything at 20 mm/s and 800 mm/s²; travel 180 mm/s at 1000 mm/s².
        // With jerk 0 every corner is a stop, so each side of the square is one move (its two
        // collinear pieces join at full speed) and every infill line and link is one move.
        let loop_s = |v: f64, a: f64| 4.0 * stop_to_stop_s(20.0, v, a);
        // Infill of `len` mm: len / chord lines, each with a link along the edge (line
        // spacing · √2, the lines run at 45°).
        let zigzag_s = |len: f64, link: f64, v: f64, a: f64| {
            len / chord * (stop_to_stop_s(chord, v, a) + stop_to_stop_s(link, v, a))
        };
        // Layer 0: perimeters and solid bottom at first-layer speed.
        let first = loop_s(20.0, 800.0) * (1.0 + inner_ratio);
        let first_fill = zigzag_s(area / s_first, s_first * SQRT_2, 20.0, 800.0);
        // Layers 1-19: the same perimeters.
        let perimeters = loop_s(25.0, 800.0) + loop_s(45.0, 800.0) * inner_ratio;
        // Layers 1-3 solid (bottom: within 4 layers of the bed), 4-14 sparse (covered by
        // layers within 5 above and 4 below), 15 a bridge over sparse infill, 16-18 solid,
        // 19 the top surface.
        let solid = zigzag_s(area / s, s * SQRT_2, 80.0, 1000.0);
        let bridge = zigzag_s(area / s_bridge, s_bridge * SQRT_2, 25.0, 1000.0);
        let top = zigzag_s(area / s_top, s_top * SQRT_2, 40.0, 1000.0);
        // Sparse grid, 20 %: area · 0.2 / s of lines, links half a direction's spacing
        // 2s/0.2 along the edge: s/0.2 · √2.
        let sparse = zigzag_s(area * 0.2 / s, s / 0.2 * SQRT_2, 80.0, 1000.0);
        // Travels per layer: into the loop (the layer change goes straight there) and into
        // each infill path, retracted, each half the mean spacing of that many points on the
        // 20 x 20 mm part; and one short hop of s between the two perimeters. Solid layers
        // (0-3, 15-19): one infill path, 2 travels of ½ √(400/2) = 7.07 mm. Sparse layers
        // (4-14): the grid's two directions are two paths, 3 travels of ½ √(400/3) = 5.77 mm.
        let hop = |n: f64| n * stop_to_stop_s(0.5 * (400.0 / n).sqrt(), 180.0, 1000.0);
        let short_hop = stop_to_stop_s(s, 180.0, 1000.0);
        let travel_solid = hop(2.0) + short_hop;
        let travel_sparse = hop(3.0) + short_hop;
        // Layer change: 0.2 mm of Z at ≤ 12 mm/s and 200 mm/s²; no retraction, no hop.
        let z = stop_to_stop_s(0.2, 12.0, 200.0);

        let perimeters_s = first + 19.0 * perimeters;
        let solid_s = first_fill + 6.0 * solid + bridge + top;
        let infill_s = 11.0 * sparse;
        let travel_s = 9.0 * travel_solid + 11.0 * travel_sparse;
        let overhead_s = 20.0 * z;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1.0);
        assert!(
            close(est.perimeters_s, perimeters_s),
            "{} {perimeters_s}",
            est.perimeters_s
        );
        assert!(close(est.solid_s, solid_s), "{} {solid_s}", est.solid_s);
        assert!(close(est.infill_s, infill_s), "{} {infill_s}", est.infill_s);
        assert!(close(est.travel_s, travel_s), "{} {travel_s}", est.travel_s);
        assert!(
            close(est.overhead_s, overhead_s),
            "{} {overhead_s}",
            est.overhead_s
        );
        assert_eq!(est.cooling_slowdown_s, 0.0);
        let total = perimeters_s + solid_s + infill_s + travel_s + overhead_s;
        assert!(close(est.time_s, total), "{} {total}", est.time_s);

        // Extruded volume: line length × (w − h) h + π h²/4 per kind (bridges: π (0.4)²/4).
        let section = |w: f64| (w - h) * h + PI * h * h / 4.0;
        let loop_mm = 80.0 * (1.0 + inner_ratio);
        let volume = loop_mm * section(0.42)
            + 19.0 * loop_mm * section(0.45)
            + area / s_first * section(0.42)
            + 6.0 * area / s * section(0.45)
            + area / s_bridge * PI * 0.4 * 0.4 / 4.0
            + area / s_top * section(0.40)
            + 11.0 * area * 0.2 / s * section(0.45);
        assert!(
            close(est.extruded_mm3, volume),
            "{} {volume}",
            est.extruded_mm3
        );
    }

    #[test]
    fn upside_down_and_rotated_boxes_take_as_long() {
        let p = crate::models::default_printer();
        let settings = FffSettings::for_printer(&p);
        let mesh = cuboid([0.0, 0.0, 0.0], [30.0, 20.0, 10.0]);
        let up = estimate_fff(&mesh, &Vector3::z_axis(), &settings, &p);
        let down = estimate_fff(&mesh, &-Vector3::z_axis(), &settings, &p);
        assert_eq!((up.layers, down.layers), (50, 50));
        assert!(
            (up.time_s / down.time_s - 1.0).abs() < 0.01,
            "{} {}",
            up.time_s,
            down.time_s
        );
        // Lying on its 30 x 10 side (build axis y): 20 mm tall, 100 layers.
        let side = estimate_fff(&mesh, &Vector3::y_axis(), &settings, &p);
        assert_eq!(side.layers, 100);
        // Rotated in space together with its build axis: the same print.
        let rot = nalgebra::Rotation3::from_euler_angles(0.4, -0.7, 1.9);
        let mut turned = mesh.clone();
        turned.map_vertices(|v| rot * v);
        let axis = Unit::new_normalize(rot * Vector3::z());
        let t = estimate_fff(&turned, &axis, &settings, &p);
        assert_eq!(t.layers, 50);
        assert!(
            (t.time_s / up.time_s - 1.0).abs() < 0.03,
            "{} {}",
            t.time_s,
            up.time_s
        );
    }

    #[test]
    fn more_infill_and_more_perimeters_take_longer() {
        let p = crate::models::default_printer();
        let mesh = crate::samples::ribbed_plate().mesh();
        let base = FffSettings::for_printer(&p);
        let t = |s: &FffSettings| estimate_fff(&mesh, &Vector3::z_axis(), s, &p);
        let e0 = t(&base);
        // 3 mm plate + 12 mm ribs = 15 mm: 75 layers.
        assert_eq!(e0.layers, 75);
        let denser = t(&FffSettings {
            infill_fraction: 0.4,
            ..base.clone()
        });
        assert!(denser.infill_s > 1.5 * e0.infill_s && denser.time_s > e0.time_s);
        assert!(denser.extruded_mm3 > e0.extruded_mm3);
        let walls = t(&FffSettings {
            perimeters: 3,
            ..base.clone()
        });
        assert!(walls.perimeters_s > e0.perimeters_s);
        let coarse = t(&FffSettings {
            layer_mm: 0.3,
            ..base.clone()
        });
        assert_eq!(coarse.layers, 50);
        assert!(coarse.time_s < e0.time_s);
        // The extruded volume is about the part's volume (43200 mm³) less the sparse
        // infill's voids: between 60 % and 105 % of it.
        let v = mesh.signed_volume_mm3();
        assert!(
            e0.extruded_mm3 > 0.6 * v && e0.extruded_mm3 < 1.05 * v,
            "{}",
            e0.extruded_mm3
        );
    }

    #[test]
    fn empty_and_flat_meshes_take_no_time() {
        let p = crate::models::default_printer();
        let s = FffSettings::for_printer(&p);
        let e = estimate_fff(&Mesh::default(), &Vector3::z_axis(), &s, &p);
        assert_eq!((e.time_s, e.layers), (0.0, 0));
        let flat = cuboid([0.0, 0.0, 0.0], [10.0, 10.0, 0.0]);
        assert_eq!(estimate_fff(&flat, &Vector3::z_axis(), &s, &p).time_s, 0.0);
    }
}
