//! The mold's opening direction: which faces it releases, which it hides (undercuts, grouped
//! into features that each need a side action, or that none reaches), and the draft of the
//! faces it releases.
//!
//! A face of the molded region is released by the mold half it faces: one facing along the
//! pull (n · pull > 0) by the half that opens along it, one facing against it by the other
//! half (for the hybrid route the insert's side), a side wall (n · pull = 0) by either. It is
//! hidden when a ray from it in its release direction meets the part: the steel that forms it
//! would be trapped (a cross hole, a snap hook, the underside of a plate standing on posts). A
//! side wall is hidden only when both ways are blocked. Hidden faces sharing edges form a
//! feature; a feature is released by a side action moving across the pull when rays from its
//! faces along one direction of the plane across the pull are free for as far as the feature
//! reaches along it (the slide's travel) and no face leans against that direction. A feature
//! no single direction releases is enclosed: the route cannot mold it.
//!
//! Every test is one ray per sample through the hierarchy of [`crate::split::bvh`] (a few
//! samples on a large face, one on a small one): n log n for the whole region; the rays of a
//! million triangles run on every core.

use glam::Vec3A;
use hashbrown::HashMap;
use nalgebra::{Point3, Unit, Vector3};
use obvhs::ray::Ray;
use rayon::prelude::*;

use super::{DfmInput, FaceClass, Finding, Kind, RouteOf, Severity, fmt_mm};
use crate::mesh::Mesh;
use crate::models::Dfm;
use crate::split::Split;
use crate::split::bvh::Bvh;

/// |n · pull| below this is a side wall (tested both ways): about 0.06°, or the material's
/// least draft where that is more. A face within the least draft of the pull is short of draft
/// (reported so) whichever way it leans: a tessellated hole's facets lean a few tenths of a
/// degree either way, and judging each by its sign made every second facet an undercut with
/// a side action of its own (the angle block of the real models: ten).
const SIDE_WALL_COS: f64 = 1e-3;
/// A side action may not move into a face: n · dir at least this (float noise of facets
/// parallel to it).
const SLIDE_LEAN: f64 = -1e-5;
/// Directions across the pull a side action is tried along.
const SLIDE_DIRECTIONS: usize = 8;
/// Draft patches reported one by one, the largest first; the rest are summed.
const DRAFT_PATCHES_LISTED: usize = 5;

/// The triangles to cast rays at, in f32 as the hierarchy wants them.
struct Scene {
    vertices: Vec<Vec3A>,
    triangles: Vec<[u32; 3]>,
}

impl Scene {
    fn of(meshes: &[&Mesh]) -> Scene {
        let mut vertices = Vec::new();
        let mut triangles = Vec::new();
        for m in meshes {
            let base = vertices.len() as u32;
            vertices.extend(
                m.vertices
                    .iter()
                    .map(|p| Vec3A::new(p.x as f32, p.y as f32, p.z as f32)),
            );
            triangles.extend(m.triangles.iter().map(|t| t.map(|i| i + base)));
        }
        Scene {
            vertices,
            triangles,
        }
    }
}

/// A face's geometry: unit normal, area, and sample points with their share of the area.
struct Face {
    normal: Vector3<f64>,
    area: f64,
    centroid: Point3<f64>,
}

fn face(mesh: &Mesh, t: &[u32; 3]) -> Face {
    let [a, b, c] = mesh.corners(t);
    let cross = (b - a).cross(&(c - a));
    let len = cross.norm();
    Face {
        normal: if len > 0.0 {
            cross / len
        } else {
            Vector3::zeros()
        },
        area: 0.5 * len,
        centroid: Point3::from((a.coords + b.coords + c.coords) / 3.0),
    }
}

/// A patch of faces: each face's geometry, their area and their area-weighted centroid.
fn patch(mesh: &Mesh, faces: &[u32]) -> (Vec<Face>, f64, Vector3<f64>) {
    let geo: Vec<Face> = faces
        .iter()
        .map(|&f| face(mesh, &mesh.triangles[f as usize]))
        .collect();
    let area: f64 = geo.iter().map(|g| g.area).sum();
    let centroid = geo
        .iter()
        .fold(Vector3::zeros(), |acc, g| acc + g.centroid.coords * g.area)
        / area.max(1e-300);
    (geo, area, centroid)
}

/// Sample points of triangle `t`: the centroids of its k² sub-triangles, k from 1 to 4 with
/// the face's size against `cell_mm`, so a large face is judged by its area, not one point.
fn samples(mesh: &Mesh, t: &[u32; 3], area: f64, cell_mm: f64) -> Vec<Point3<f64>> {
    let [a, b, c] = mesh.corners(t);
    let k = ((area / (cell_mm * cell_mm)).sqrt().ceil() as usize).clamp(1, 4);
    if k == 1 {
        return vec![Point3::from((a.coords + b.coords + c.coords) / 3.0)];
    }
    let (ab, ac) = ((b - a) / k as f64, (c - a) / k as f64);
    let mut out = Vec::with_capacity(k * k);
    for i in 0..k {
        for j in 0..k - i {
            let (fi, fj) = (i as f64, j as f64);
            // The upright sub-triangle at (i, j), and the inverted one beside it.
            out.push(a + ab * (fi + 1.0 / 3.0) + ac * (fj + 1.0 / 3.0));
            if i + j + 1 < k {
                out.push(a + ab * (fi + 2.0 / 3.0) + ac * (fj + 2.0 / 3.0));
            }
        }
    }
    out
}

fn v3(v: &Vector3<f64>) -> Vec3A {
    Vec3A::new(v.x as f32, v.y as f32, v.z as f32)
}

fn p3(p: &Point3<f64>) -> Vec3A {
    Vec3A::new(p.x as f32, p.y as f32, p.z as f32)
}

/// Whether a ray from `origin` along `dir` meets the scene within `max_mm`.
fn blocked(bvh: &Bvh, origin: Vec3A, dir: Vec3A, max_mm: f32) -> bool {
    bvh.occluded(&Ray::new(origin, dir, 0.0, max_mm))
}

/// A group of hidden faces and what releases it.
#[derive(Debug, Clone)]
pub struct Feature {
    pub faces: Vec<u32>,
    pub area_mm2: f64,
    pub centroid_mm: [f64; 3],
    /// The direction a side action releases it along, or `None`: enclosed.
    pub slide: Option<[f64; 3]>,
    /// Smaller than the model's least feature: not given a side action of its own.
    pub minor: bool,
}

/// A connected patch of released faces with too little draft.
#[derive(Debug, Clone)]
pub struct DraftPatch {
    pub area_mm2: f64,
    pub centroid_mm: [f64; 3],
    pub least_draft_deg: f64,
}

/// The analysis of one region along one pull.
pub struct Analysis {
    pub classes: Vec<FaceClass>,
    pub features: Vec<Feature>,
    pub draft_patches: Vec<DraftPatch>,
    pub surface_mm2: f64,
}

impl Analysis {
    pub fn enclosed(&self) -> usize {
        self.features
            .iter()
            .filter(|f| !f.minor && f.slide.is_none())
            .count()
    }
    pub fn side_actions(&self) -> u32 {
        self.features
            .iter()
            .filter(|f| !f.minor && f.slide.is_some())
            .count() as u32
    }
    pub fn undercut_area_mm2(&self) -> f64 {
        self.features.iter().fold(0.0, |a, f| a + f.area_mm2)
    }
    pub fn draft_area_mm2(&self) -> f64 {
        self.draft_patches.iter().fold(0.0, |a, p| a + p.area_mm2)
    }
}

/// Groups the faces `members` by shared edges (union-find over an edge map: linear).
fn components(mesh: &Mesh, members: &[u32]) -> Vec<Vec<u32>> {
    let mut parent: Vec<u32> = (0..members.len() as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let p = parent[x as usize];
            parent[x as usize] = parent[p as usize];
            x = p;
        }
        x
    }
    let mut edges: HashMap<(u32, u32), u32> = HashMap::with_capacity(members.len() * 3);
    for (k, &f) in members.iter().enumerate() {
        let t = mesh.triangles[f as usize];
        for e in 0..3 {
            let (a, b) = (t[e], t[(e + 1) % 3]);
            let key = (a.min(b), a.max(b));
            match edges.get(&key) {
                Some(&other) => {
                    let (ra, rb) = (find(&mut parent, k as u32), find(&mut parent, other));
                    if ra != rb {
                        parent[ra as usize] = rb;
                    }
                }
                None => {
                    edges.insert(key, k as u32);
                }
            }
        }
    }
    let mut groups: HashMap<u32, Vec<u32>> = HashMap::new();
    for (k, &f) in members.iter().enumerate() {
        let r = find(&mut parent, k as u32);
        groups.entry(r).or_default().push(f);
    }
    let mut out: Vec<Vec<u32>> = groups.into_values().collect();
    out.sort_by_key(|g| g[0]);
    out
}

/// Two unit vectors across `pull`.
fn across(pull: &Vector3<f64>) -> (Vector3<f64>, Vector3<f64>) {
    let helper = if pull.x.abs() < 0.9 {
        Vector3::x()
    } else {
        Vector3::y()
    };
    let e1 = pull.cross(&helper).normalize();
    (e1, pull.cross(&e1))
}

/// The principal directions across the pull of a feature's area-weighted normals (projected
/// across the pull): for a hole's wall the axis is the one of least weight (the walls' normals
/// are square to it), for a pocket or counterbore whose floor faces along the axis it is the
/// one of most, so both are tried. None where the normals favour no direction.
fn feature_axes(
    geo: &[Face],
    pull: &Vector3<f64>,
    e1: &Vector3<f64>,
    e2: &Vector3<f64>,
) -> Vec<Vector3<f64>> {
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for g in geo {
        let m = g.normal - pull * g.normal.dot(pull);
        let (x, y) = (m.dot(e1), m.dot(e2));
        sxx += g.area * x * x;
        sxy += g.area * x * y;
        syy += g.area * y * y;
    }
    let trace = sxx + syy;
    let gap = ((sxx - syy).powi(2) + 4.0 * sxy * sxy).sqrt();
    if trace <= 0.0 || gap < 0.1 * trace {
        return Vec::new();
    }
    // The major axis is at half the angle of (sxx - syy, 2 sxy), the minor square to it.
    let major = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let minor = major + std::f64::consts::FRAC_PI_2;
    [major, minor]
        .iter()
        .map(|a| e1 * a.cos() + e2 * a.sin())
        .collect()
}

/// Analyses the faces of `region` along `pull` against the triangles of `obstacles` (the
/// region itself among them); faces for which `by_insert` holds are formed by the insert.
pub fn analyse(
    region: &Mesh,
    obstacles: &[&Mesh],
    pull: &Unit<Vector3<f64>>,
    by_insert: &(dyn Fn(&Point3<f64>) -> bool + Sync),
    min_draft_deg: f64,
    limits: &Dfm,
) -> Analysis {
    let scene = Scene::of(obstacles);
    let diag = obstacles
        .iter()
        .filter_map(|m| m.bounds())
        .map(|b| b.diagonal())
        .fold(0.0, f64::max)
        .max(1e-6);
    let Some(bvh) = Bvh::build(&scene.vertices, &scene.triangles) else {
        return Analysis {
            classes: vec![FaceClass::Ok; region.triangles.len()],
            features: Vec::new(),
            draft_patches: Vec::new(),
            surface_mm2: 0.0,
        };
    };
    let rays = Rays {
        region,
        bvh,
        pull: pull.into_inner(),
        eps_mm: 1e-4 * diag,
        cell_mm: diag / 50.0,
        diag_mm: diag,
    };
    let classes = classify(&rays, by_insert, min_draft_deg);
    // Summed in triangle order, not by rayon's `sum`, whose order of additions follows how
    // the threads shared the work: the surface sets the feature threshold, and a last-bit
    // change could flip a tie between two slide directions from run to run.
    let surface_mm2: f64 = region
        .triangles
        .iter()
        .zip(&classes)
        .filter(|(_, c)| **c != FaceClass::Insert)
        .map(|(t, _)| face(region, t).area)
        .sum();
    let undercut_members = of_class(&classes, FaceClass::Undercut);
    let draft_members = of_class(&classes, FaceClass::Draft);
    let min_area = limits.pull.min_feature_area_fraction * surface_mm2;
    let features = undercut_features(&rays, &undercut_members, min_area, limits);
    let mut classes = classes;
    for f in features.iter().filter(|f| !f.minor && f.slide.is_none()) {
        for &t in &f.faces {
            classes[t as usize] = FaceClass::Enclosed;
        }
    }
    Analysis {
        classes,
        features,
        draft_patches: draft_patches(region, &draft_members, &rays.pull),
        surface_mm2,
    }
}

/// What every ray test of one analysis shares: the region whose faces are tested, the
/// hierarchy of the obstacles, the pull, and the lengths derived from the obstacles' size.
struct Rays<'a> {
    region: &'a Mesh,
    bvh: Bvh<'a>,
    /// The pull, unit.
    pull: Vector3<f64>,
    /// How far a ray starts off its face, so that it does not meet the face itself.
    eps_mm: f64,
    /// The sample cell: a face larger than its square gets more than one sample.
    cell_mm: f64,
    /// The largest diagonal of the obstacles' bounding boxes.
    diag_mm: f64,
}

/// The indices of the faces of class `c`, ascending.
fn of_class(classes: &[FaceClass], c: FaceClass) -> Vec<u32> {
    classes
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == c)
        .map(|(i, _)| i as u32)
        .collect()
}

/// Each face of the region classed by its release along the pull: formed by the insert
/// (`by_insert`, or no area), an undercut (most of its samples hidden), short of the least
/// draft, or fine. Enclosed undercuts are told apart later, from their features.
fn classify(
    rays: &Rays,
    by_insert: &(dyn Fn(&Point3<f64>) -> bool + Sync),
    min_draft_deg: f64,
) -> Vec<FaceClass> {
    let (region, n, bvh) = (rays.region, rays.pull, &rays.bvh);
    let sin_min = min_draft_deg.to_radians().sin();
    let side_cos = SIDE_WALL_COS.max(sin_min);
    let side_lean_cos = (1.0 - side_cos * side_cos).sqrt();
    let up = v3(&n);
    let far = f32::INFINITY;
    region
        .triangles
        .par_iter()
        .map(|t| {
            let f = face(region, t);
            if f.area <= 0.0 || by_insert(&f.centroid) {
                return FaceClass::Insert;
            }
            let d = f.normal.dot(&n);
            let pts = samples(region, t, f.area, rays.cell_mm);
            let off = f.normal * rays.eps_mm;
            let hidden = pts
                .iter()
                .filter(|p| {
                    let o = p3(&(*p + off));
                    if d.abs() < side_cos {
                        // A wall within the draft tolerance is tested both ways along rays
                        // that lean away from it by the tolerance, so that its own lean (a
                        // tessellated hole's facets lean a few tenths of a degree either way,
                        // and the rim overhangs by as much) does not trap it: that is its
                        // draft, reported as such. A wall between a tunnel's floor and
                        // ceiling is blocked either way all the same.
                        let away = (f.normal - n * d).normalize() * side_cos;
                        let up_dir = n * side_lean_cos + away;
                        let down_dir = -n * side_lean_cos + away;
                        blocked(bvh, o, v3(&up_dir), far) && blocked(bvh, o, v3(&down_dir), far)
                    } else {
                        blocked(bvh, o, if d > 0.0 { up } else { -up }, far)
                    }
                })
                .count();
            if 2 * hidden > pts.len() {
                FaceClass::Undercut
            } else if d.abs() < sin_min {
                FaceClass::Draft
            } else {
                FaceClass::Ok
            }
        })
        .collect()
}

/// The directions a side action may travel along: [`SLIDE_DIRECTIONS`] evenly round the
/// plane across the pull (spanned by `e1`, `e2`, from `e1` on).
fn slide_directions(e1: &Vector3<f64>, e2: &Vector3<f64>) -> Vec<Vector3<f64>> {
    (0..SLIDE_DIRECTIONS)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / SLIDE_DIRECTIONS as f64;
            e1 * a.cos() + e2 * a.sin()
        })
        .collect()
}

/// The undercut faces `members` grouped into features (faces sharing edges), the largest
/// first, each with the slide that releases it if one does; features under `min_area_mm2`
/// are minor and get no slide.
fn undercut_features(
    rays: &Rays,
    members: &[u32],
    min_area_mm2: f64,
    limits: &Dfm,
) -> Vec<Feature> {
    let region = rays.region;
    let (e1, e2) = across(&rays.pull);
    let across_pull = AcrossPull {
        directions: slide_directions(&e1, &e2),
        e1,
        e2,
    };
    let mut features: Vec<Feature> = components(region, members)
        .into_iter()
        .map(|faces| {
            let (geo, area, centroid) = patch(region, &faces);
            // Below the least feature no side action is given, so none is looked for (a
            // counter's 430 small hidden areas cost twelve ray sweeps each).
            let minor = area < min_area_mm2;
            let slide = if minor {
                None
            } else {
                best_slide(rays, limits, &across_pull, &faces, &geo, area)
            };
            Feature {
                faces,
                area_mm2: area,
                centroid_mm: centroid.into(),
                slide,
                minor,
            }
        })
        .collect();
    features.sort_by(|a, b| b.area_mm2.total_cmp(&a.area_mm2));
    features
}

/// The plane across the pull: two unit axes in it, and the fixed directions a slide is
/// tried along ([`slide_directions`]).
struct AcrossPull {
    directions: Vec<Vector3<f64>>,
    e1: Vector3<f64>,
    e2: Vector3<f64>,
}

/// The best direction for a slide to release a feature (`faces`, their geometry, their
/// area): the most area released, if at least the model's share. Tried: the fixed
/// directions, and the feature's own principal directions both ways.
fn best_slide(
    rays: &Rays,
    limits: &Dfm,
    across_pull: &AcrossPull,
    faces: &[u32],
    geo: &[Face],
    area: f64,
) -> Option<[f64; 3]> {
    let allowed = (1.0 - limits.pull.side_action_release_fraction) * area;
    // Besides the fixed directions, the feature's own principal directions both ways: a
    // hole drilled square to a slanted face runs between them, and only a core pull
    // along it releases it (the angle block of the real models: holes 15 degrees off y).
    let mut tried = across_pull.directions.clone();
    for axis in feature_axes(geo, &rays.pull, &across_pull.e1, &across_pull.e2) {
        tried.extend([axis, -axis]);
    }
    let best = tried
        .iter()
        .map(|d| (released_mm2(rays, faces, geo, d, allowed), d))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    best.filter(|(r, _)| *r >= limits.pull.side_action_release_fraction * area)
        .map(|(_, d)| [d.x, d.y, d.z])
}

/// The area of the feature (`faces`, their geometry) a slide along `dir` releases: a
/// slide travels as far as the feature reaches along it, and a little more. The faces are
/// taken in chunks (each in parallel) and a direction is given up as soon as more than
/// `allowed_mm2` is blocked, so an enclosed feature costs little more than its first chunks.
fn released_mm2(
    rays: &Rays,
    faces: &[u32],
    geo: &[Face],
    dir: &Vector3<f64>,
    allowed_mm2: f64,
) -> f64 {
    let region = rays.region;
    let margin = 0.01 * rays.diag_mm;
    let reach = faces
        .iter()
        .flat_map(|&f| region.corners(&region.triangles[f as usize]))
        .map(|p| p.coords.dot(dir))
        .fold(f64::NEG_INFINITY, f64::max);
    let mut free = 0.0;
    let mut lost = 0.0;
    for (chunk, geo_chunk) in faces.chunks(2048).zip(geo.chunks(2048)) {
        let (f_area, l_area) = chunk
            .par_iter()
            .zip(geo_chunk)
            .map(|(&f, g)| {
                if g.normal.dot(dir) < SLIDE_LEAN {
                    return (0.0, g.area);
                }
                let pts = samples(region, &region.triangles[f as usize], g.area, rays.cell_mm);
                let share = g.area / pts.len() as f64;
                let ok = pts
                    .iter()
                    .filter(|p| {
                        let o = *p + g.normal * rays.eps_mm;
                        let travel = (reach - o.coords.dot(dir) + margin) as f32;
                        !blocked(&rays.bvh, p3(&o), v3(dir), travel.max(0.0))
                    })
                    .count() as f64
                    * share;
                (ok, g.area - ok)
            })
            // Collected in face order and added in that order: a rayon `reduce` adds in the
            // order the threads happened to share the work, which made the released area, and
            // with it the chosen slide of two symmetric ones, differ from run to run.
            .collect::<Vec<(f64, f64)>>()
            .into_iter()
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        free += f_area;
        lost += l_area;
        if lost > allowed_mm2 {
            break;
        }
    }
    free
}

/// The faces short of draft (`members`) grouped into patches (faces sharing edges), the
/// largest first, each with the least draft among its faces (degrees off the pull `n`).
fn draft_patches(region: &Mesh, members: &[u32], n: &Vector3<f64>) -> Vec<DraftPatch> {
    let mut draft_patches: Vec<DraftPatch> = components(region, members)
        .into_iter()
        .map(|faces| {
            let (geo, area, centroid) = patch(region, &faces);
            let least = geo
                .iter()
                .map(|g| g.normal.dot(n).abs().min(1.0).asin().to_degrees())
                .fold(f64::INFINITY, f64::min);
            DraftPatch {
                area_mm2: area,
                centroid_mm: centroid.into(),
                least_draft_deg: least,
            }
        })
        .collect();
    draft_patches.sort_by(|a, b| b.area_mm2.total_cmp(&a.area_mm2));
    draft_patches
}

/// A unit direction to two decimals, with no "-0.00" (a component that rounds to zero is 0).
fn fmt_direction(d: &[f64; 3]) -> String {
    let c = d.map(|x| (x * 100.0).round() / 100.0 + 0.0);
    format!("({:.2}, {:.2}, {:.2})", c[0], c[1], c[2])
}

/// The findings of an analysis for `route`.
fn findings(a: &Analysis, route: RouteOf, min_draft_deg: f64, what: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut minor = (0usize, 0.0f64);
    for f in &a.features {
        if f.minor {
            minor.0 += 1;
            minor.1 += f.area_mm2;
            continue;
        }
        out.push(match f.slide {
            Some(d) => Finding::new(
                Kind::Undercut,
                Severity::Warning,
                route,
                format!(
                    "{what}: {:.1} mm2 of faces hidden from the pull at {}: one side action along {}, added to the tool",
                    f.area_mm2,
                    fmt_mm(&f.centroid_mm),
                    fmt_direction(&d)
                ),
                Some(f.area_mm2),
                None,
                "mm2",
                Some(f.centroid_mm),
            ),
            None => Finding::new(
                Kind::Undercut,
                Severity::Error,
                route,
                format!(
                    "{what}: {:.1} mm2 of faces hidden from the pull at {} that no side action reaches (enclosed{}): the mold cannot open",
                    f.area_mm2,
                    fmt_mm(&f.centroid_mm),
                    if route == RouteOf::Hybrid {
                        " between the insert and the molded region"
                    } else {
                        ""
                    }
                ),
                Some(f.area_mm2),
                None,
                "mm2",
                Some(f.centroid_mm),
            ),
        }
        .with_area(f.area_mm2));
    }
    if minor.0 > 0 {
        out.push(
            Finding::new(
                Kind::Undercut,
                Severity::Info,
                route,
                format!(
                    "{what}: {} small hidden areas ({:.2} mm2 in all) below the least feature: no side action given",
                    minor.0, minor.1
                ),
                Some(minor.1),
                None,
                "mm2",
                None,
            )
            .with_area(minor.1),
        );
    }
    let min_area = 0.0;
    for p in a
        .draft_patches
        .iter()
        .filter(|p| p.area_mm2 > min_area)
        .take(DRAFT_PATCHES_LISTED)
    {
        out.push(
            Finding::new(
                Kind::Draft,
                Severity::Warning,
                route,
                format!(
                    "{what}: {:.1} mm2 of faces at {} with {:.2} deg of draft, below the material's {min_draft_deg} deg",
                    p.area_mm2,
                    fmt_mm(&p.centroid_mm),
                    p.least_draft_deg
                ),
                Some(p.least_draft_deg),
                Some(min_draft_deg),
                "deg",
                Some(p.centroid_mm),
            )
            .with_area(p.area_mm2),
        );
    }
    if a.draft_patches.len() > DRAFT_PATCHES_LISTED {
        let rest = &a.draft_patches[DRAFT_PATCHES_LISTED..];
        let area: f64 = rest.iter().map(|p| p.area_mm2).sum();
        out.push(
            Finding::new(
                Kind::Draft,
                Severity::Info,
                route,
                format!(
                    "{what}: {} more patches below {min_draft_deg} deg of draft, {area:.1} mm2 in all",
                    rest.len()
                ),
                Some(area),
                None,
                "mm2",
                None,
            )
            .with_area(area),
        );
    }
    out
}

/// The hybrid route: the molded region on its insert along the split normal.
pub struct Hybrid {
    pub findings: Vec<Finding>,
    pub side_actions: u32,
    pub classes: Vec<FaceClass>,
}

/// The heights (along `n`) of the insert's slab: faces of the molded region within it are
/// formed by the insert (the cut face, the pins in the pores).
fn insert_slab(split: &Split, n: &Vector3<f64>, tol: f64) -> (f64, f64) {
    let h0 = n.dot(&Vector3::from(split.facts.plane_point_mm));
    match &split.facts.second_plane {
        Some(p) => {
            let h1 = n.dot(&Vector3::from(p.point_mm));
            (h0.min(h1) - tol, h0.max(h1) + tol)
        }
        None => (f64::NEG_INFINITY, h0 + tol),
    }
}

pub fn hybrid(split: &Split, n: Unit<Vector3<f64>>, limits: &Dfm, min_draft_deg: f64) -> Hybrid {
    let diag = split
        .molded
        .bounds()
        .map(|b| b.diagonal())
        .unwrap_or(1.0)
        .max(
            split
                .baseplate
                .bounds()
                .map(|b| b.diagonal())
                .unwrap_or(1.0),
        );
    let (lo, hi) = insert_slab(split, &n, 1e-4 * diag);
    let nn = n.into_inner();
    let by_insert = move |p: &Point3<f64>| {
        let h = nn.dot(&p.coords);
        h >= lo && h <= hi
    };
    let a = analyse(
        &split.molded,
        &[&split.molded, &split.baseplate],
        &n,
        &by_insert,
        min_draft_deg,
        limits,
    );
    Hybrid {
        findings: findings(&a, RouteOf::Hybrid, min_draft_deg, "molded region"),
        side_actions: a.side_actions(),
        classes: a.classes,
    }
}

/// The pure-IM route: the whole part, along the best of the candidate axes.
pub struct Im {
    pub findings: Vec<Finding>,
    pub side_actions: u32,
    pub axis: [f64; 3],
}

/// Whether axis `a` is none of `axes` (either way, within about 2.6°).
fn distinct_axis(axes: &[Vector3<f64>], a: &Vector3<f64>) -> bool {
    axes.iter()
        .all(|b| b.normalize().dot(&a.normalize()).abs() < 0.999)
}

/// Parting axes tried for the pure-IM route, the first (the detected plate's normal) among them.
const PARTING_CANDIDATES: usize = 4;
/// A flat face cluster is a candidate when it holds at least this share of the surface.
const FLAT_SHARE: f64 = 0.05;
/// Facet normals within this angle (deg) of a cluster's axis join it.
const FLAT_CLUSTER_DEG: f64 = 3.0;
/// Clusters kept while binning; later facets join one of them or are dropped.
const FLAT_CLUSTERS_KEPT: usize = 64;

/// Candidate parting axes that turn with the part, never the file's x, y and z (which a part
/// exported turned would make other axes, and another verdict): the normals of the largest
/// flat regions (a face square to the pull is where a mold parts; an angle block's slanted
/// face, whose holes run square to it), most surface first; where they give fewer than three,
/// the principal axes of the surface's second moment fill up.
fn parting_candidates(part: &Mesh) -> Vec<Vector3<f64>> {
    // Facets binned by their axis (n and -n alike), 0.02 a component, the largest bins first
    // merged into clusters within FLAT_CLUSTER_DEG of each other.
    let canonical = |n: Vector3<f64>| {
        let k = (0..3)
            .max_by(|&i, &j| n[i].abs().total_cmp(&n[j].abs()))
            .unwrap_or(0);
        if n[k] < 0.0 { -n } else { n }
    };
    let mut bins: HashMap<[i32; 3], (Vector3<f64>, f64)> = HashMap::new();
    let mut total = 0.0;
    let mut moment = nalgebra::Matrix3::<f64>::zeros();
    let mut first_moment = Vector3::zeros();
    for t in &part.triangles {
        let f = face(part, t);
        if f.area <= 0.0 {
            continue;
        }
        total += f.area;
        first_moment += f.centroid.coords * f.area;
        moment += f.centroid.coords * f.centroid.coords.transpose() * f.area;
        let n = canonical(f.normal);
        let key = [0, 1, 2].map(|i| (n[i] / 0.02).round() as i32);
        let e = bins.entry(key).or_insert((Vector3::zeros(), 0.0));
        e.0 += n * f.area;
        e.1 += f.area;
    }
    if total <= 0.0 {
        return Vec::new();
    }
    let mut bins: Vec<(Vector3<f64>, f64)> = bins.into_values().collect();
    bins.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.x.total_cmp(&b.0.x)));
    let cos = FLAT_CLUSTER_DEG.to_radians().cos();
    let mut clusters: Vec<(Vector3<f64>, f64)> = Vec::new();
    for (sum, area) in bins {
        let axis = sum.normalize();
        let near = clusters
            .iter()
            .position(|(c, _)| c.normalize().dot(&axis).abs() >= cos);
        match near {
            // The cluster keeps its largest bin's axis (a flat face's exact normal); the bins
            // merged into it add their area only, not their tilt.
            Some(k) => clusters[k].1 += area,
            None if clusters.len() < FLAT_CLUSTERS_KEPT => clusters.push((sum, area)),
            None => {}
        }
    }
    clusters.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Clusters are FLAT_CLUSTER_DEG apart by their making, so these axes are distinct.
    let mut out: Vec<Vector3<f64>> = clusters
        .iter()
        .filter(|(_, area)| *area >= FLAT_SHARE * total)
        .map(|(sum, _)| sum.normalize())
        .collect();
    // Where the flat regions give fewer than three axes (a bunny, a screw's head), the
    // surface's principal axes, the one of least spread first, fill up to three. Not beside
    // three flat axes: a box's two equal moments make any axis between them principal, and
    // one turned 18 degrees "wins" by drafting two sides.
    if out.len() >= 3 {
        return out;
    }
    let mean = first_moment / total;
    let cov = moment / total - mean * mean.transpose();
    let eigen = nalgebra::SymmetricEigen::new(cov);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&i, &j| eigen.eigenvalues[i].total_cmp(&eigen.eigenvalues[j]));
    for &i in &order {
        let a = canonical(eigen.eigenvectors.column(i).into_owned());
        if out.len() < 3 && distinct_axis(&out, &a) {
            out.push(a);
        }
    }
    out
}

pub fn im(input: &DfmInput, min_draft_deg: f64) -> Im {
    let first = match input.split {
        Some(s) => Vector3::from(s.facts.plane_normal),
        None => Vector3::from(input.whole_axis),
    };
    let mut axes: Vec<Vector3<f64>> = Vec::new();
    let mut candidates = vec![first];
    candidates.extend(parting_candidates(input.part));
    for a in candidates {
        if axes.len() >= PARTING_CANDIDATES {
            break;
        }
        if a.norm() > 0.0 && distinct_axis(&axes, &a) {
            axes.push(a.normalize());
        }
    }
    let never = |_: &Point3<f64>| false;
    let results: Vec<(Vector3<f64>, Analysis)> = axes
        .iter()
        .map(|a| {
            let axis = Unit::new_normalize(*a);
            (
                *a,
                analyse(
                    input.part,
                    &[input.part],
                    &axis,
                    &never,
                    min_draft_deg,
                    input.limits,
                ),
            )
        })
        .collect();
    // The axis with the fewest enclosed features, then side actions, then hidden area, then
    // area short of draft; ties to the earlier candidate (the split normal first).
    let best = results
        .iter()
        .min_by(|(_, x), (_, y)| {
            (x.enclosed(), x.side_actions())
                .cmp(&(y.enclosed(), y.side_actions()))
                .then(x.undercut_area_mm2().total_cmp(&y.undercut_area_mm2()))
                .then(x.draft_area_mm2().total_cmp(&y.draft_area_mm2()))
        })
        .expect("at least the first axis is a candidate");
    let (axis, a) = best;
    let mut out = findings(a, RouteOf::Im, min_draft_deg, "whole part");
    out.push(Finding::new(
        Kind::Undercut,
        Severity::Info,
        RouteOf::Im,
        format!(
            "whole part: parting along ({:.3}, {:.3}, {:.3}), the best of {} candidate axes: {} side actions, {:.1} mm2 hidden",
            axis.x,
            axis.y,
            axis.z,
            results.len(),
            a.side_actions(),
            a.undercut_area_mm2()
        ),
        Some(a.side_actions() as f64),
        None,
        "side actions",
        None,
    ));
    Im {
        findings: out,
        side_actions: a.side_actions(),
        axis: [axis.x, axis.y, axis.z],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_the_triangle_evenly() {
        let m = Mesh::new(
            vec![
                Point3::new(0.0, 0.0, 0.0),
                Point3::new(3.0, 0.0, 0.0),
                Point3::new(0.0, 3.0, 0.0),
            ],
            vec![[0, 1, 2]],
        );
        let s = samples(&m, &m.triangles[0], 4.5, 1.0);
        // k = 3: nine sub-triangles, their centroids average to the triangle's.
        assert_eq!(s.len(), 9);
        let mean = s.iter().fold(Vector3::zeros(), |a, p| a + p.coords) / 9.0;
        assert!((mean - Vector3::new(1.0, 1.0, 0.0)).norm() < 1e-12);
    }
}
