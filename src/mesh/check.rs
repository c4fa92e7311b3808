//! Topology and geometry checks of a welded mesh, and the two repairs that are safe to do
//! without asking: dropping triangles that collapsed to an edge or a point, and turning shells
//! whose normals all point inward.

use rayon::prelude::*;
use serde::Serialize;

use super::format::MeshFormat;
use super::units::{Units, mean_wall_mm, units_warning};
use super::{Aabb, Mesh};

/// What the checks found. Lengths in mm, areas in mm², volumes in mm³.
#[derive(Debug, Clone, Serialize)]
pub struct MeshReport {
    pub format: Option<MeshFormat>,
    pub units: Units,
    pub triangles: usize,
    pub vertices: usize,
    pub bbox_min_mm: [f64; 3],
    pub bbox_max_mm: [f64; 3],
    pub size_mm: [f64; 3],
    pub area_mm2: f64,
    pub volume_mm3: f64,
    /// Connected pieces (vertex-connected).
    pub shells: usize,
    /// Edges used by one triangle only: holes in the surface.
    pub boundary_edges: usize,
    /// Edges used by more than two triangles.
    pub non_manifold_edges: usize,
    /// Edges shared by two triangles that run them in the same direction (one of the two is
    /// wound the wrong way).
    pub inconsistent_edges: usize,
    /// Triangles that used a vertex twice (after welding) and were dropped.
    pub degenerate_dropped: usize,
    /// Triangles with three distinct vertices but no area (slivers); kept, because dropping
    /// one would open the surface.
    pub zero_area_triangles: usize,
    /// Shells that were turned inside out and have been flipped.
    pub shells_flipped: usize,
    /// Shells that intersected another shell or lay inside another body's material, merged
    /// into one solid with a boolean union (see [`super::shells`]); the other figures are the
    /// merged mesh's.
    pub overlapping_shells: usize,
    /// Why overlapping shells could not be merged, when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap_error: Option<String>,
    /// Every edge shared by exactly two triangles.
    pub watertight: bool,
    /// Every edge runs in opposite directions in its two triangles.
    pub oriented: bool,
    pub warnings: Vec<String>,
}

/// A mesh together with its report. `mesh` is the repaired one.
#[derive(Debug, Clone)]
pub struct CheckedMesh {
    pub mesh: Mesh,
    pub report: MeshReport,
}

impl MeshReport {
    /// Why later stages (split, lattice, estimates) cannot use this mesh, if they cannot.
    pub fn solid_problem(&self) -> Option<String> {
        if let Some(e) = &self.overlap_error {
            return Some(e.clone());
        }
        let mut why = Vec::new();
        if self.boundary_edges > 0 {
            why.push(format!(
                "it is open ({} boundary edges)",
                self.boundary_edges
            ));
        }
        if self.non_manifold_edges > 0 {
            why.push(format!(
                "it is non-manifold ({} edges shared by more than two triangles)",
                self.non_manifold_edges
            ));
        }
        if self.inconsistent_edges > 0 {
            why.push(format!(
                "its triangles are not consistently oriented ({} edges)",
                self.inconsistent_edges
            ));
        }
        if why.is_empty() && self.volume_mm3 <= 0.0 {
            why.push("it encloses no volume".into());
        }
        if why.is_empty() {
            None
        } else {
            Some(format!(
                "not a closed solid: {}; repair it in CAD or a mesh tool first",
                why.join(", ")
            ))
        }
    }
}

impl CheckedMesh {
    /// The mesh if it is a closed, oriented solid; otherwise the reason it is not.
    pub fn require_solid(&self) -> Result<&Mesh, String> {
        match self.report.solid_problem() {
            None => Ok(&self.mesh),
            Some(why) => Err(why),
        }
    }
}

/// Per-edge topology counts of a mesh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EdgeCounts {
    pub boundary: usize,
    pub non_manifold: usize,
    pub inconsistent: usize,
}

impl EdgeCounts {
    pub fn is_closed_and_oriented(&self) -> bool {
        *self == EdgeCounts::default()
    }
}

/// Counts boundary, non-manifold and inconsistently oriented edges in linear time.
///
/// Builds the outgoing-edge lists of every vertex (a counting sort of the 3T directed edges by
/// their start vertex), then looks at each undirected edge {a, b} once: how often a->b occurs
/// and how often b->a. Vertices have a handful of edges, so the scans are short; the vertex
/// loop runs in parallel.
pub fn edge_counts(vertex_count: usize, triangles: &[[u32; 3]]) -> EdgeCounts {
    let n = vertex_count;
    // start[a] ends up as the first slot of a's list: it is first the end of the list (a
    // prefix sum of the counts) and counts down while the list is filled from its back, so
    // no second array of fill positions is needed.
    let mut start = vec![0u32; n + 1];
    for t in triangles {
        for &a in t {
            start[a as usize] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut targets = vec![0u32; triangles.len() * 3];
    for t in triangles.iter().rev() {
        for k in (0..3).rev() {
            let (a, b) = (t[k] as usize, t[(k + 1) % 3]);
            start[a] -= 1;
            targets[start[a] as usize] = b;
        }
    }
    let out = |a: usize| &targets[start[a] as usize..start[a + 1] as usize];
    (0..n)
        .into_par_iter()
        .fold(EdgeCounts::default, |mut acc, a| {
            let list = out(a);
            for (k, &b) in list.iter().enumerate() {
                // Handle each undirected edge at its first a->b occurrence in a's list, and
                // from the smaller end when both directions exist.
                if list[..k].contains(&b) {
                    continue;
                }
                let forward = list.iter().filter(|&&x| x == b).count();
                let backward = out(b as usize).iter().filter(|&&x| x as usize == a).count();
                if backward > 0 && (b as usize) < a {
                    continue;
                }
                match (forward, backward) {
                    (1, 1) => {}
                    (1, 0) | (0, 1) => acc.boundary += 1,
                    (2, 0) | (0, 2) => acc.inconsistent += 1,
                    _ => acc.non_manifold += 1,
                }
            }
            acc
        })
        .reduce(EdgeCounts::default, |a, b| EdgeCounts {
            boundary: a.boundary + b.boundary,
            non_manifold: a.non_manifold + b.non_manifold,
            inconsistent: a.inconsistent + b.inconsistent,
        })
}

/// Labels each triangle with its shell (connected by shared vertices); returns the labels
/// (0..shells) and the number of shells.
pub fn shell_labels(vertex_count: usize, triangles: &[[u32; 3]]) -> (Vec<u32>, usize) {
    let mut parent: Vec<u32> = (0..vertex_count as u32).collect();
    // Each corner joined to the first through the roots as they are after the previous
    // union. (The loop had kept the first corner's root from before the first union: when
    // that root was hung under the second corner's, the third union re-hung it and cut the
    // second corner's set off.) The labels are numbered by first appearance below, so which
    // root a set keeps does not matter.
    for t in triangles {
        union(&mut parent, t[0], t[1]);
        union(&mut parent, t[0], t[2]);
    }
    let mut label_of_root = vec![u32::MAX; vertex_count];
    let mut shells = 0u32;
    let labels = triangles
        .iter()
        .map(|t| {
            let r = find(&mut parent, t[0]) as usize;
            if label_of_root[r] == u32::MAX {
                label_of_root[r] = shells;
                shells += 1;
            }
            label_of_root[r]
        })
        .collect();
    (labels, shells as usize)
}

/// Signed volume (mm³) of each shell, relative to `origin` for accuracy.
pub(super) fn shell_volumes(
    mesh: &Mesh,
    labels: &[u32],
    shells: usize,
    origin: &nalgebra::Point3<f64>,
) -> Vec<f64> {
    let mut six = vec![0.0f64; shells];
    for (t, &s) in mesh.triangles.iter().zip(labels) {
        let [a, b, c] = mesh.corners(t);
        six[s as usize] += (a - origin).dot(&(b - origin).cross(&(c - origin)));
    }
    six.into_iter().map(|v| v / 6.0).collect()
}

pub(super) fn shell_bounds(mesh: &Mesh, labels: &[u32], shells: usize) -> Vec<Aabb> {
    let mut out: Vec<Option<Aabb>> = vec![None; shells];
    for (t, &s) in mesh.triangles.iter().zip(labels) {
        for p in mesh.corners(t) {
            let bb = out[s as usize].get_or_insert(Aabb { min: p, max: p });
            bb.min = bb.min.inf(&p);
            bb.max = bb.max.sup(&p);
        }
    }
    out.into_iter()
        .map(|b| b.expect("every shell has a triangle"))
        .collect()
}

/// Checks a welded mesh (mm) and applies the safe repairs. Never fails: what is wrong ends up
/// in the report, and [`MeshReport::solid_problem`] tells later stages whether to refuse it.
pub fn check_and_repair(mut mesh: Mesh, units: Units) -> CheckedMesh {
    let mut warnings = Vec::new();
    let degenerate_dropped = drop_degenerate(&mut mesh, &mut warnings);

    let bb = mesh.bounds();
    let diag = bb.map(|b| b.diagonal()).unwrap_or(0.0);
    let mut edges = edge_counts(mesh.vertices.len(), &mesh.triangles);
    let (labels, mut shells) = shell_labels(mesh.vertices.len(), &mesh.triangles);
    let watertight = edges.boundary == 0 && edges.non_manifold == 0;
    let oriented = edges.inconsistent == 0;

    let mut volume_mm3 = mesh.signed_volume_mm3();
    let mut shells_flipped = 0;
    let mut overlapping_shells = 0;
    let mut overlap_error = None;
    if watertight && oriented {
        let origin = bb.map(|b| b.center()).unwrap_or_default();
        shells_flipped = flip_inside_out(
            &mut mesh,
            &labels,
            shells,
            &origin,
            &mut volume_mm3,
            &mut warnings,
        );
        // Closed shells that overlap: one solid by a boolean union (a file of one shell skips
        // this). Flipping comes first, so every shell faces the way it means.
        if shells > 1 {
            match super::shells::merge_overlapping(&mesh, &labels, shells) {
                Ok(None) => {}
                Ok(Some(merged)) => {
                    warnings.push(merged.warning());
                    overlapping_shells = merged.overlapping();
                    mesh = merged.mesh;
                    edges = edge_counts(mesh.vertices.len(), &mesh.triangles);
                    shells = shell_labels(mesh.vertices.len(), &mesh.triangles).1;
                    volume_mm3 = mesh.signed_volume_mm3();
                }
                Err(e) => {
                    overlapping_shells = e.intersecting;
                    warnings.push(e.to_string());
                    overlap_error = Some(e.to_string());
                }
            }
        }
    }

    let zero_area_triangles = count_slivers(&mesh, diag, &mut warnings);
    edge_warnings(&edges, &mut warnings);

    let (min, max) = bb.map(|b| (b.min, b.max)).unwrap_or_default();
    let size = max - min;
    let area_mm2 = mesh.area_mm2();
    if let Some(w) = units_warning(size.max(), mean_wall_mm(volume_mm3, area_mm2), units) {
        warnings.push(w);
    }
    let report = MeshReport {
        format: None,
        units,
        triangles: mesh.triangles.len(),
        vertices: mesh.vertices.len(),
        bbox_min_mm: min.coords.into(),
        bbox_max_mm: max.coords.into(),
        size_mm: size.into(),
        area_mm2,
        volume_mm3,
        shells,
        boundary_edges: edges.boundary,
        non_manifold_edges: edges.non_manifold,
        inconsistent_edges: edges.inconsistent,
        degenerate_dropped,
        zero_area_triangles,
        shells_flipped,
        overlapping_shells,
        overlap_error,
        watertight,
        oriented,
        warnings,
    };
    CheckedMesh { mesh, report }
}

/// Drops the triangles that use a vertex twice (collapsed to an edge or a point) and the
/// vertices no triangle uses any more; how many triangles were dropped.
fn drop_degenerate(mesh: &mut Mesh, warnings: &mut Vec<String>) -> usize {
    let before = mesh.triangles.len();
    mesh.triangles
        .retain(|t| t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
    let dropped = before - mesh.triangles.len();
    if dropped > 0 {
        warnings.push(format!(
            "dropped {dropped} degenerate triangles (a corner used twice)"
        ));
    }
    compact_vertices(mesh);
    dropped
}

/// Turns the shells of a closed, oriented mesh that are inside out; how many were turned.
/// `volume_mm3` is the mesh's signed volume, updated when shells turn.
///
/// A closed, oriented shell with negative volume is either a cavity inside another shell
/// (correct as it is) or a body exported inside out. We take it for a cavity when a positive
/// shell's bounding box contains it.
fn flip_inside_out(
    mesh: &mut Mesh,
    labels: &[u32],
    shells: usize,
    origin: &nalgebra::Point3<f64>,
    volume_mm3: &mut f64,
    warnings: &mut Vec<String>,
) -> usize {
    if shells == 1 {
        // A NaN volume turns nothing.
        if volume_mm3.is_nan() || *volume_mm3 >= 0.0 {
            return 0;
        }
        mesh.flip();
        *volume_mm3 = -*volume_mm3;
        warnings.push("all normals pointed inward; the mesh was flipped".to_string());
        return 1;
    }
    if shells == 0 {
        return 0;
    }
    let vols = shell_volumes(mesh, labels, shells, origin);
    let boxes = shell_bounds(mesh, labels, shells);
    let inside_positive = |s: usize| {
        (0..shells).any(|o| {
            o != s
                && vols[o] > 0.0
                && boxes[o]
                    .min
                    .iter()
                    .zip(boxes[s].min.iter())
                    .all(|(a, b)| a <= b)
                && boxes[o]
                    .max
                    .iter()
                    .zip(boxes[s].max.iter())
                    .all(|(a, b)| a >= b)
        })
    };
    let flip: Vec<bool> = (0..shells)
        .map(|s| vols[s] < 0.0 && !inside_positive(s))
        .collect();
    let flipped = flip.iter().filter(|&&f| f).count();
    if flipped > 0 {
        for (t, &s) in mesh.triangles.iter_mut().zip(labels) {
            if flip[s as usize] {
                t.swap(1, 2);
            }
        }
        warnings.push(if flipped == shells {
            "all normals pointed inward; the mesh was flipped".to_string()
        } else {
            format!("{flipped} of {shells} shells were inside out and were flipped")
        });
        *volume_mm3 = mesh.signed_volume_mm3();
    }
    flipped
}

/// Counts the triangles with (almost) no area, with a warning when there are any. A triangle
/// is a sliver when its area is below 1e-12 of the part's diagonal squared, which is far below
/// what f32 coordinates can resolve on a part of that size.
fn count_slivers(mesh: &Mesh, diag: f64, warnings: &mut Vec<String>) -> usize {
    let sliver_area2 = (1e-12 * diag * diag) * 2.0;
    let slivers = mesh
        .triangles
        .par_iter()
        .filter(|t| {
            let [a, b, c] = mesh.corners(t);
            (b - a).cross(&(c - a)).norm() <= sliver_area2
        })
        .count();
    if slivers > 0 {
        warnings.push(format!(
            "{slivers} triangles have (almost) no area; kept so the surface stays closed"
        ));
    }
    slivers
}

/// The warnings for open, non-manifold and inconsistently oriented edges.
fn edge_warnings(edges: &EdgeCounts, warnings: &mut Vec<String>) {
    if edges.boundary > 0 {
        warnings.push(format!("open mesh: {} boundary edges", edges.boundary));
    }
    if edges.non_manifold > 0 {
        warnings.push(format!(
            "non-manifold: {} edges shared by more than two triangles",
            edges.non_manifold
        ));
    }
    if edges.inconsistent > 0 {
        warnings.push(format!(
            "inconsistent orientation: {} edges run the same way in both triangles",
            edges.inconsistent
        ));
    }
}

/// The mesh made of `triangles` over the shared `vertices`, keeping only the vertices it uses
/// (in their order) and renumbering the triangles; the shared array is not copied whole.
pub fn submesh(vertices: &[nalgebra::Point3<f64>], triangles: Vec<[u32; 3]>) -> Mesh {
    submesh_of(&[vertices], triangles)
}

/// [`submesh`] over vertices kept in several arrays, numbered one after the other (a mesh's
/// own vertices and those a cut added, without copying the first into a longer array).
pub fn submesh_of(parts: &[&[nalgebra::Point3<f64>]], mut triangles: Vec<[u32; 3]>) -> Mesh {
    let count: usize = parts.iter().map(|p| p.len()).sum();
    let mut remap = vec![u32::MAX; count];
    for t in &triangles {
        for &i in t {
            remap[i as usize] = 0;
        }
    }
    let mut kept = Vec::new();
    let vertices = parts.iter().flat_map(|p| p.iter());
    for (slot, p) in remap.iter_mut().zip(vertices) {
        if *slot == 0 {
            *slot = kept.len() as u32;
            kept.push(*p);
        }
    }
    for t in &mut triangles {
        *t = t.map(|i| remap[i as usize]);
    }
    Mesh::new(kept, triangles)
}

/// Removes vertices no triangle uses, keeping the order of the others.
pub fn compact_vertices(mesh: &mut Mesh) {
    let mut used = vec![false; mesh.vertices.len()];
    for t in &mesh.triangles {
        for &i in t {
            used[i as usize] = true;
        }
    }
    if used.iter().all(|&u| u) {
        return;
    }
    let mut remap = vec![u32::MAX; mesh.vertices.len()];
    let mut next = 0u32;
    let mut kept = Vec::with_capacity(mesh.vertices.len());
    for (i, p) in mesh.vertices.iter().enumerate() {
        if used[i] {
            remap[i] = next;
            next += 1;
            kept.push(*p);
        }
    }
    mesh.vertices = kept;
    for t in &mut mesh.triangles {
        *t = t.map(|i| remap[i as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first corner's root is the largest of the three: joined to the second corner, then
    /// to the third, it must keep the second's set (vertex 3, shared with the second
    /// triangle) in its shell. The old loop counted two shells here.
    #[test]
    fn a_triangle_joins_all_three_corner_sets() {
        let (labels, shells) = shell_labels(9, &[[5, 3, 1], [3, 7, 8]]);
        assert_eq!(shells, 1);
        assert_eq!(labels, vec![0, 0]);
    }
    use crate::mesh::test_shapes::cuboid;

    #[test]
    fn closed_cube_is_watertight_and_oriented() {
        let c = check_and_repair(cuboid([0.0; 3], [2.0, 3.0, 4.0]), Units::Mm);
        assert!(c.report.watertight && c.report.oriented);
        assert_eq!(c.report.shells, 1);
        assert_eq!(c.report.boundary_edges, 0);
        assert!((c.report.volume_mm3 - 24.0).abs() < 1e-12);
        assert!(c.report.solid_problem().is_none());
    }

    #[test]
    fn open_box_reports_its_hole_edges() {
        let mut m = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        m.triangles.truncate(10); // remove the two x = max triangles: a square hole of 4 edges
        let c = check_and_repair(m, Units::Mm);
        assert_eq!(c.report.boundary_edges, 4);
        assert!(!c.report.watertight);
        assert!(
            c.report
                .solid_problem()
                .unwrap()
                .contains("open (4 boundary edges)")
        );
    }

    #[test]
    fn one_flipped_triangle_gives_three_inconsistent_edges() {
        let mut m = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        m.triangles[0].swap(1, 2);
        let c = check_and_repair(m, Units::Mm);
        assert!(c.report.watertight);
        assert_eq!(c.report.inconsistent_edges, 3);
        assert!(!c.report.oriented);
    }

    #[test]
    fn inverted_cube_is_flipped_but_a_cavity_is_kept() {
        let mut m = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        m.flip();
        let c = check_and_repair(m, Units::Mm);
        assert_eq!(c.report.shells_flipped, 1);
        assert!((c.report.volume_mm3 - 1.0).abs() < 1e-12);

        let mut outer = cuboid([0.0; 3], [10.0, 10.0, 10.0]);
        let mut cavity = cuboid([4.0; 3], [6.0, 6.0, 6.0]);
        cavity.flip();
        outer.append(&cavity);
        let c = check_and_repair(outer, Units::Mm);
        assert_eq!(c.report.shells, 2);
        assert_eq!(c.report.shells_flipped, 0);
        assert!((c.report.volume_mm3 - (1000.0 - 8.0)).abs() < 1e-9);
    }

    #[test]
    fn non_manifold_edge_and_degenerate_triangle() {
        // Two cubes sharing one edge: that edge has four triangles.
        let mut m = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        let other = cuboid([1.0, 1.0, 0.0], [2.0, 2.0, 1.0]);
        m.append(&other);
        // weld the shared corners (1,1,z) by exact position
        let mut w = crate::mesh::weld::ExactWelder::with_corner_hint(64);
        let idx: Vec<u32> = m
            .vertices
            .iter()
            .map(|p| w.index([p.x as f32, p.y as f32, p.z as f32]))
            .collect();
        for t in &mut m.triangles {
            *t = t.map(|i| idx[i as usize]);
        }
        m.vertices = w
            .vertices
            .iter()
            .map(|p| nalgebra::Point3::new(p[0] as f64, p[1] as f64, p[2] as f64))
            .collect();
        m.triangles.push([0, 0, 1]);
        let c = check_and_repair(m, Units::Mm);
        assert_eq!(c.report.degenerate_dropped, 1);
        assert_eq!(c.report.non_manifold_edges, 1);
        assert_eq!(c.report.boundary_edges, 0);
        assert_eq!(c.report.shells, 1);
    }
}

/// Number of surface patches: groups of edge-connected triangles whose normals turn by less
/// than `crease_deg` across each shared edge (a flat face, a cylinder, a fillet is one patch).
/// Tooling models count these as the surfaces a mold maker has to machine. n log n (one sort
/// of the edges) and a union-find.
///
/// A sliver (a triangle whose height is below [`SLIVER_HEIGHT_FRACTION`] of the mesh's
/// diagonal) has no reliable normal: its corners are nearly collinear, and f32 coordinates of a
/// turned part move them by more than its height, so its normal points anywhere. Such
/// triangles come out of CAD exports and of the split's cut of a finely tessellated part. A
/// sliver is no surface to machine: slivers are joined to each other, each run of them to a
/// neighbour, and the neighbours of a run are joined to each other across it where their own
/// normals are within the crease, as if the run were not there. Without this, a tessellated
/// and turned copy of a part counted 107 patches where the part has 28.
pub fn surface_patches(mesh: &Mesh, crease_deg: f64) -> usize {
    use rayon::slice::ParallelSliceMut;
    let n = mesh.triangles.len();
    if n == 0 {
        return 0;
    }
    let min_height_mm = mesh
        .bounds()
        .map_or(0.0, |b| b.diagonal() * SLIVER_HEIGHT_FRACTION);
    // The unit normal, or None for a sliver.
    let normals: Vec<Option<nalgebra::Vector3<f64>>> = mesh
        .triangles
        .iter()
        .map(|t| {
            let [a, b, c] = mesh.corners(t);
            let cross = (b - a).cross(&(c - a));
            let longest = (b - a).norm().max((c - b).norm()).max((a - c).norm());
            // Height over the longest side = |cross| / longest.
            (cross.norm() > min_height_mm * longest)
                .then(|| cross.try_normalize(0.0))
                .flatten()
        })
        .collect();
    let mut edges: Vec<(u64, u32)> = Vec::with_capacity(3 * n);
    for (i, t) in mesh.triangles.iter().enumerate() {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            let key = ((a.min(b) as u64) << 32) | a.max(b) as u64;
            edges.push((key, i as u32));
        }
    }
    edges.par_sort_unstable();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let cos_limit = crease_deg.to_radians().cos();
    // (a sliver, its neighbour with a normal) across a manifold edge.
    let mut sliver_sides: Vec<(u32, u32)> = Vec::new();
    for run in edges.chunk_by(|a, b| a.0 == b.0) {
        // Only a manifold edge (two triangles) joins patches.
        let [(_, a), (_, b)] = run else { continue };
        match (normals[*a as usize], normals[*b as usize]) {
            (Some(na), Some(nb)) if na.dot(&nb) >= cos_limit => union(&mut parent, *a, *b),
            (Some(_), Some(_)) => {}
            (None, None) => union(&mut parent, *a, *b),
            (None, Some(_)) => sliver_sides.push((*a, *b)),
            (Some(_), None) => sliver_sides.push((*b, *a)),
        }
    }
    // Each run of slivers: its neighbours, grouped.
    for side in &mut sliver_sides {
        side.0 = find(&mut parent, side.0);
    }
    sliver_sides.sort_unstable();
    for run in sliver_sides.chunk_by(|a, b| a.0 == b.0) {
        // One neighbour per patch already met across the run, at most MAX_REPS of them, so a
        // run bordered by many triangles costs a bounded amount per neighbour.
        const MAX_REPS: usize = 32;
        let mut reps: Vec<(u32, nalgebra::Vector3<f64>)> = Vec::new();
        for &(_, t) in run {
            let Some(nt) = normals[t as usize] else {
                continue;
            };
            match reps.iter().find(|(_, nr)| nr.dot(&nt) >= cos_limit) {
                Some(&(r, _)) => union(&mut parent, r, t),
                None if reps.len() < MAX_REPS => reps.push((t, nt)),
                None => {}
            }
        }
        if let Some(&(first, _)) = reps.first() {
            union(&mut parent, run[0].0, first);
        }
    }
    (0..n as u32).filter(|&i| find(&mut parent, i) == i).count()
}

/// Height below which a triangle counts as a sliver in [`surface_patches`], as a fraction of
/// the mesh's bounding diagonal: 1e-5 is about 100 times f32's relative resolution (6e-8), so
/// the corners' rounding cannot turn a triangle above it by more than about a degree, and far
/// below any feature a mold maker machines (1.5 micrometres on a 150 mm part).
pub const SLIVER_HEIGHT_FRACTION: f64 = 1e-5;

fn find(p: &mut [u32], mut x: u32) -> u32 {
    while p[x as usize] != x {
        p[x as usize] = p[p[x as usize] as usize];
        x = p[x as usize];
    }
    x
}

fn union(p: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(p, a), find(p, b));
    if ra != rb {
        p[ra as usize] = rb;
    }
}

#[cfg(test)]
mod patch_tests {
    use super::*;

    #[test]
    fn a_box_has_six_patches() {
        let m = crate::mesh::test_shapes::cuboid([0.0; 3], [1.0, 2.0, 3.0]);
        assert_eq!(surface_patches(&m, 30.0), 6);
        // Every face turns by 90 degrees: a crease above that merges them all.
        assert_eq!(surface_patches(&m, 91.0), 1);
    }

    /// A face's edge split at its midpoint (a T-junction) and closed with a sliver, as a
    /// CAD export or the split's cut leaves them: the sliver's normal is noise, and it must
    /// neither count as a patch of its own nor keep the two faces it touches apart or joined.
    #[test]
    fn slivers_are_no_patches() {
        for lift_mm in [0.0, 1e-9, -1e-9] {
            let mut m = crate::mesh::test_shapes::cuboid([0.0; 3], [1.0, 2.0, 3.0]);
            let t = m.triangles[0];
            let [a, b, c] = [t[0], t[1], t[2]];
            let (pa, pb) = (m.vertices[a as usize], m.vertices[b as usize]);
            let mut mid = nalgebra::center(&pa, &pb);
            mid.z += lift_mm;
            m.vertices.push(mid);
            let mid = (m.vertices.len() - 1) as u32;
            m.triangles[0] = [a, mid, c];
            m.triangles.push([mid, b, c]);
            m.triangles.push([b, mid, a]);
            assert_eq!(surface_patches(&m, 30.0), 6, "lift {lift_mm}");
        }
    }

    /// Tessellated finely, turned and moved far from the origin, stored in f32 as an STL
    /// holds it: still six faces.
    #[test]
    fn a_fine_turned_box_has_six_patches() {
        let mut m = crate::mesh::test_shapes::cuboid([0.0; 3], [100.0, 70.0, 13.0]);
        for _ in 0..4 {
            m = m.subdivided();
        }
        let r = nalgebra::Rotation3::from_axis_angle(
            &nalgebra::Unit::new_normalize(nalgebra::Vector3::new(1.0, 2.0, 3.0)),
            37f64.to_radians(),
        );
        m.map_vertices(|p| {
            let q = r * p + nalgebra::Vector3::new(300.0, -200.0, 50.0);
            q.map(|x| x as f32 as f64)
        });
        assert_eq!(surface_patches(&m, 30.0), 6);
    }
}
