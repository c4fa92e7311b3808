//! The part drawn as SVG by a small software renderer, for the HTML report: the baseplate and
//! the molded region seen along the pull (top view) and from a corner (isometric view).
//!
//! Orthographic projection, back faces culled, flat shading (a light from over the viewer's
//! shoulder; in the top view, where every face that shows points at the viewer, darker the
//! deeper it lies below its body's top, so the pores' floors show under the translucent
//! molded region), triangles drawn back to front (the painter's algorithm). A depth buffer
//! at twice the picture's resolution decides both what is drawn (the triangles that show at
//! some sample; the hidden ones are left out) and in what order: each triangle before those
//! in front of it wherever they overlap, which a sort of the centroids gets wrong for a
//! long triangle (a plate's top) against the small ones beside it.
//!
//! Bounding the work: at most [`MAX_DRAWN`] triangles that show, a view. Meshes with more are
//! decimated by vertex clustering (the vertices of each cell of a grid merged into their mean,
//! the triangles that collapse dropped: the surface stays closed, only its detail goes), the
//! cell grown until the view fits; the caption says so. A triangle costs about 30 bytes
//! (integer coordinates in tenths of a pixel, relative after the first corner; one style class
//! per shade, and a run of one shade shares a `<path>`), so a view stays under about 700 kB
//! however large the part (a million-triangle box: 0.3 MB from the top, 0.65 MB isometric,
//! under a second each; see the test).

use std::fmt::Write;

use hashbrown::HashMap;
use nalgebra::{Point3, Vector3};

use crate::mesh::Mesh;

/// Triangles drawn at most in one view (those that show: facing the viewer, not hidden).
pub const MAX_DRAWN: usize = 24_000;

/// Picture size (px): the width, and the most height a view takes.
const WIDTH_PX: f64 = 720.0;
const MAX_HEIGHT_PX: f64 = 460.0;
const MARGIN_PX: f64 = 12.0;

/// One body to draw: a mesh in its colour; `top_opacity` is how opaque it is in the top view
/// (the molded region is translucent there, so the interface under it shows).
pub struct Body<'a> {
    pub mesh: &'a Mesh,
    pub rgb: [u8; 3],
    pub top_opacity: f64,
}

/// The part's frame: `n` the pull direction (toward the viewer of the top view), `u` and `v`
/// across it, right-handed (`u × v = n`).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub u: Vector3<f64>,
    pub v: Vector3<f64>,
    pub n: Vector3<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View {
    /// Along the pull: `u` right, `v` up.
    Top,
    /// From the corner (+u, −v, +n): `u + v` right, the pull up the page.
    Iso,
}

/// A rendered view: the SVG and what the caption should say of the drawing.
pub struct Rendered {
    pub svg: String,
    /// Triangles of the bodies, and those drawn (front-facing, after any decimation).
    pub triangles: usize,
    pub drawn: usize,
    /// The clustering cell (mm) when the meshes were decimated.
    pub cell_mm: Option<f64>,
}

/// The screen axes of a view: right, up, toward the viewer.
fn axes(f: &Frame, view: View) -> [Vector3<f64>; 3] {
    match view {
        View::Top => [f.u, f.v, f.n],
        View::Iso => [
            (f.u + f.v) / 2f64.sqrt(),
            (-f.u + f.v + 2.0 * f.n) / 6f64.sqrt(),
            (f.u - f.v + f.n) / 3f64.sqrt(),
        ],
    }
}

/// What is drawn at one opacity: the triangles, in painting order once ordered.
type Layer = (f64, Vec<Flat>);

/// A triangle on screen: its corners (px, y down) with their depths (larger is nearer), and
/// its fill.
#[derive(Clone, Copy)]
struct Flat {
    p: [[f64; 2]; 3],
    d: [f64; 3],
    rgb: [u8; 3],
}

impl Flat {
    /// The centroid's depth, the sort key.
    fn depth(&self) -> f64 {
        (self.d[0] + self.d[1] + self.d[2]) / 3.0
    }
}

/// Renders `bodies` in `view`, titled `title` (plain text; escaped here), as SVG for inlining
/// in HTML (no XML namespace: the page names no address). `id` prefixes the SVG's style
/// classes, unique on the page.
pub fn render(bodies: &[Body], frame: &Frame, view: View, title: &str, id: &str) -> Rendered {
    let ax = axes(frame, view);
    let triangles = bodies.iter().map(|b| b.mesh.triangles.len()).sum();
    let fit = Fit::of(bodies, &ax);
    let (layers, drawn, cell_mm) = visible_layers(bodies, &ax, view, &fit);
    // One style class per colour: a run of one colour is one path, and the runs are short
    // (the depth order interleaves the shades), so a class is shorter than two attributes.
    let mut palette: Vec<[u8; 3]> = layers
        .iter()
        .flat_map(|(_, l)| l.iter().map(|f| f.rgb))
        .collect();
    palette.sort_unstable();
    palette.dedup();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg width="{:.0}" height="{:.0}" viewBox="0 0 {:.0} {:.0}" role="img"><title>{}</title><style>"#,
        fit.width,
        fit.height,
        fit.width * 10.0,
        fit.height * 10.0,
        crate::mesh::threemf::xml_escape(title)
    );
    for (k, c) in palette.iter().enumerate() {
        let hex = format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
        let _ = write!(svg, ".{id}{k}{{fill:{hex};stroke:{hex}}}");
    }
    svg.push_str(r#"</style><rect width="100%" height="100%" fill="white"/>"#);
    for (opacity, flats) in layers {
        // Each triangle is stroked in its own colour so that no hairline seam shows between
        // neighbours; a translucent layer's opacity applies to the group as a whole.
        let _ = write!(svg, r#"<g stroke-width="10" stroke-linejoin="round""#);
        if opacity < 1.0 {
            let _ = write!(svg, r#" opacity="{opacity:.2}""#);
        }
        svg.push('>');
        paths(&mut svg, &flats, &palette, id);
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    Rendered {
        svg,
        triangles,
        drawn,
        cell_mm,
    }
}

/// The layers to draw (opacity, triangles) holding only the triangles that show, the count
/// of those, and the clustering cell when the meshes had to be decimated to fit
/// [`MAX_DRAWN`].
fn visible_layers(
    bodies: &[Body],
    ax: &[Vector3<f64>; 3],
    view: View,
    fit: &Fit,
) -> (Vec<Layer>, usize, Option<f64>) {
    let mut cell_mm: Option<f64> = None;
    let mut tries = 0;
    loop {
        let clustered: Vec<Option<Mesh>> = bodies
            .iter()
            .map(|b| cell_mm.map(|c| cluster(b.mesh, c)))
            .collect();
        let meshes: Vec<&Mesh> = bodies
            .iter()
            .zip(&clustered)
            .map(|(b, c)| c.as_ref().unwrap_or(b.mesh))
            .collect();
        let (layers, covered_px) = layers_of(bodies, &meshes, ax, view, fit);
        let drawn: usize = layers.iter().map(|(_, l)| l.len()).sum();
        tries += 1;
        // Sixteen growths make the cell 200 times the first: no real mesh gets there; drawn
        // coarsest rather than not at all.
        if drawn <= MAX_DRAWN || tries > 16 {
            let layers = layers
                .into_iter()
                .map(|(o, l)| (o, painter_order(l, fit)))
                .collect();
            return (layers, drawn, cell_mm);
        }
        // About two triangles a cell of the surface that shows at the cell that gives the
        // budget; fine detail (pores) collapses first, so start at half of it and grow the
        // cell until the view fits: the finest grid that does, within a factor 1.4.
        cell_mm = Some(match cell_mm {
            None => (covered_px / MAX_DRAWN as f64).sqrt().max(0.5) / fit.scale,
            Some(c) => c * 1.4,
        });
    }
}

/// The shaded triangles of the meshes that show, in layers: the opaque bodies in one, each
/// translucent one (in the top view) in its own over them; and the pixels they cover.
fn layers_of(
    bodies: &[Body],
    meshes: &[&Mesh],
    ax: &[Vector3<f64>; 3],
    view: View,
    fit: &Fit,
) -> (Vec<Layer>, f64) {
    let mut layers: Vec<Layer> = Vec::new();
    for (body, mesh) in bodies.iter().zip(meshes) {
        let flats = shade(mesh, body, ax, view, fit);
        let opacity = if view == View::Top {
            body.top_opacity
        } else {
            1.0
        };
        match layers.iter_mut().find(|(o, _)| *o >= 1.0 && opacity >= 1.0) {
            Some((_, l)) => l.extend(flats),
            None => layers.push((opacity, flats)),
        }
    }
    layers.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut covered_px = 0.0;
    let layers = layers
        .into_iter()
        .map(|(o, l)| {
            let (shown, px) = visible(l, fit);
            covered_px += px;
            (o, shown)
        })
        .collect();
    (layers, covered_px)
}

/// Samples per pixel along each axis of the depth buffer.
const SAMPLES: f64 = 2.0;

/// The depth buffer of `flats`: a z-buffer at [`SAMPLES`] times the picture's resolution,
/// holding at each sample the nearest triangle's index.
struct Buffer {
    w: usize,
    h: usize,
    owner: Vec<u32>,
}

impl Buffer {
    fn of(flats: &[Flat], fit: &Fit) -> Buffer {
        let w = (fit.width * SAMPLES).ceil() as usize;
        let h = (fit.height * SAMPLES).ceil() as usize;
        let mut depth = vec![f64::NEG_INFINITY; w * h];
        let mut owner = vec![u32::MAX; w * h];
        for (k, f) in flats.iter().enumerate() {
            raster(f, w, h, |i, d| {
                if d > depth[i] {
                    depth[i] = d;
                    owner[i] = k as u32;
                }
            });
        }
        Buffer { w, h, owner }
    }
}

/// Calls `at(sample, depth)` for each sample of a `w` × `h` buffer whose centre `f` covers.
fn raster(f: &Flat, w: usize, h: usize, mut at: impl FnMut(usize, f64)) {
    let edge = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| {
        (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    };
    let p = f.p.map(|q| [q[0] * SAMPLES, q[1] * SAMPLES]);
    let area = edge(p[0], p[1], p[2]);
    if area.abs() < 1e-12 {
        return;
    }
    let span = |i: usize, n: usize| {
        let lo = p.iter().map(|q| q[i]).fold(f64::INFINITY, f64::min);
        let hi = p.iter().map(|q| q[i]).fold(f64::NEG_INFINITY, f64::max);
        let a = (lo - 0.5).ceil().max(0.0) as usize;
        let b = ((hi - 0.5).floor().max(-1.0) + 1.0).min(n as f64) as usize;
        a..b
    };
    for y in span(1, h) {
        for x in span(0, w) {
            let c = [x as f64 + 0.5, y as f64 + 0.5];
            let b0 = edge(p[1], p[2], c) / area;
            let b1 = edge(p[2], p[0], c) / area;
            let b2 = 1.0 - b0 - b1;
            if b0 >= -1e-9 && b1 >= -1e-9 && b2 >= -1e-9 {
                at(y * w + x, b0 * f.d[0] + b1 * f.d[1] + b2 * f.d[2]);
            }
        }
    }
}

/// The triangles that own at least one sample of the depth buffer, and the pixels covered:
/// the others are hidden behind nearer faces (pores' walls under a rib, the inside of a
/// pocket) or smaller than a sample, and drawing them would only weigh.
fn visible(flats: Vec<Flat>, fit: &Fit) -> (Vec<Flat>, f64) {
    let buffer = Buffer::of(&flats, fit);
    let mut shown = vec![false; flats.len()];
    let mut covered = 0usize;
    for &o in &buffer.owner {
        if let Some(s) = shown.get_mut(o as usize) {
            *s = true;
            covered += 1;
        }
    }
    let flats = flats
        .into_iter()
        .zip(shown)
        .filter_map(|(f, s)| s.then_some(f))
        .collect();
    (flats, covered as f64 / (SAMPLES * SAMPLES))
}

/// `flats` (all visible) in an order that paints them right: a triangle before every
/// triangle that is in front of it at some sample (the depth buffer says which), ties and
/// the unconstrained by depth, far first. A sort of the centroids alone draws a long sliver
/// of a plate's top over the rib before its far end. A cycle (faces that overlap each other
/// in turn) is broken at its farthest triangle.
fn painter_order(flats: Vec<Flat>, fit: &Fit) -> Vec<Flat> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let buffer = Buffer::of(&flats, fit);
    let mut after: hashbrown::HashSet<(u32, u32)> = hashbrown::HashSet::new();
    for (k, f) in flats.iter().enumerate() {
        raster(f, buffer.w, buffer.h, |i, _| {
            let o = buffer.owner[i];
            if o != k as u32 && o != u32::MAX {
                after.insert((k as u32, o));
            }
        });
    }
    let n = flats.len();
    let mut next: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut waiting = vec![0usize; n];
    for &(a, b) in &after {
        next[a as usize].push(b);
        waiting[b as usize] += 1;
    }
    // Depth as an integer key that orders like `f64::total_cmp`.
    let key = |k: usize| {
        let b = flats[k].depth().to_bits() as i64;
        b ^ ((((b >> 63) as u64) >> 1) as i64)
    };
    let mut ready: BinaryHeap<Reverse<(i64, usize)>> = (0..n)
        .filter(|&k| waiting[k] == 0)
        .map(|k| Reverse((key(k), k)))
        .collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let k = match ready.pop() {
            Some(Reverse((_, k))) => k,
            // A cycle: its farthest triangle first.
            None => match (0..n).filter(|&k| !done[k]).min_by_key(|&k| key(k)) {
                Some(k) => k,
                None => break,
            },
        };
        if done[k] {
            continue;
        }
        done[k] = true;
        order.push(k);
        for &m in &next[k] {
            let m = m as usize;
            waiting[m] = waiting[m].saturating_sub(1);
            if waiting[m] == 0 && !done[m] {
                ready.push(Reverse((key(m), m)));
            }
        }
    }
    let mut flats: Vec<Option<Flat>> = flats.into_iter().map(Some).collect();
    order.into_iter().filter_map(|k| flats[k].take()).collect()
}

/// How the bodies' projection fits the picture: scale (px per mm) and the offsets.
struct Fit {
    scale: f64,
    /// Where the projection's left edge is drawn (px): centred when the height limits it.
    x0: f64,
    min: [f64; 2],
    max_y: f64,
    width: f64,
    height: f64,
}

impl Fit {
    fn of(bodies: &[Body], ax: &[Vector3<f64>; 3]) -> Fit {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in bodies.iter().flat_map(|b| &b.mesh.vertices) {
            for k in 0..2 {
                let c = p.coords.dot(&ax[k]);
                lo[k] = lo[k].min(c);
                hi[k] = hi[k].max(c);
            }
        }
        if !lo[0].is_finite() {
            (lo, hi) = ([0.0; 2], [1.0; 2]);
        }
        let span = [(hi[0] - lo[0]).max(1e-6), (hi[1] - lo[1]).max(1e-6)];
        let inner = WIDTH_PX - 2.0 * MARGIN_PX;
        let scale = (inner / span[0]).min((MAX_HEIGHT_PX - 2.0 * MARGIN_PX) / span[1]);
        Fit {
            scale,
            x0: (WIDTH_PX - span[0] * scale) / 2.0,
            min: lo,
            max_y: hi[1],
            width: WIDTH_PX,
            height: (span[1] * scale + 2.0 * MARGIN_PX).ceil(),
        }
    }

    /// A point's place in the picture (px; y down).
    fn place(&self, p: &Point3<f64>, ax: &[Vector3<f64>; 3]) -> [f64; 2] {
        [
            self.x0 + (p.coords.dot(&ax[0]) - self.min[0]) * self.scale,
            MARGIN_PX + (self.max_y - p.coords.dot(&ax[1])) * self.scale,
        ]
    }
}

/// The front-facing triangles of `mesh` on screen, shaded.
fn shade(mesh: &Mesh, body: &Body, ax: &[Vector3<f64>; 3], view: View, fit: &Fit) -> Vec<Flat> {
    let toward = ax[2];
    // The light: from above and to the left of the viewer.
    let light = (toward + 0.55 * ax[1] - 0.35 * ax[0]).normalize();
    let (top, bottom) = mesh
        .vertices
        .iter()
        .map(|p| p.coords.dot(&toward))
        .fold((f64::NEG_INFINITY, f64::INFINITY), |(a, b), d| {
            (a.max(d), b.min(d))
        });
    let range = (top - bottom).max(1e-9);
    mesh.triangles
        .iter()
        .filter_map(|t| {
            let c = mesh.corners(t);
            let normal = (c[1] - c[0]).cross(&(c[2] - c[0]));
            let len = normal.norm();
            if len.is_nan() || len <= 0.0 || normal.dot(&toward) <= 1e-9 * len {
                return None;
            }
            let d = c.map(|q| q.coords.dot(&toward));
            let depth = (d[0] + d[1] + d[2]) / 3.0;
            let lambert = (normal / len).dot(&light).max(0.0);
            let brightness = match view {
                // Every face seen from the top faces the viewer: its depth below the body's top
                // tells the pores' floors from the face around them (the square root makes a
                // shallow recess show).
                View::Top => 1.0 - 0.55 * ((top - depth) / range).clamp(0.0, 1.0).sqrt(),
                View::Iso => 0.5 + 0.5 * lambert,
            };
            Some(Flat {
                p: c.map(|q| fit.place(&q, ax)),
                d,
                rgb: tint(body.rgb, brightness),
            })
        })
        .collect()
}

/// `rgb` at `brightness` (0..1), in 24 steps, so that neighbouring faces of one shade share
/// a path.
fn tint(rgb: [u8; 3], brightness: f64) -> [u8; 3] {
    let b = (brightness.clamp(0.0, 1.0) * 24.0).round() / 24.0;
    rgb.map(|c| (f64::from(c) * b).round() as u8)
}

/// Writes `flats` (sorted) as paths, one per run of one colour (its class in `palette`);
/// coordinates in tenths of a pixel, each triangle's second and third corner relative to the
/// one before.
fn paths(svg: &mut String, flats: &[Flat], palette: &[[u8; 3]], id: &str) {
    let mut k = 0;
    while k < flats.len() {
        let rgb = flats[k].rgb;
        let class = palette.binary_search(&rgb).unwrap_or(0);
        let _ = write!(svg, r#"<path class="{id}{class}" d=""#);
        while k < flats.len() && flats[k].rgb == rgb {
            let p = flats[k].p.map(|q| q.map(|c| (c * 10.0).round() as i64));
            let _ = write!(
                svg,
                "M{} {}l{} {}l{} {}z",
                p[0][0],
                p[0][1],
                p[1][0] - p[0][0],
                p[1][1] - p[0][1],
                p[2][0] - p[1][0],
                p[2][1] - p[1][1]
            );
            k += 1;
        }
        svg.push_str("\"/>");
    }
}

/// Vertex clustering: the vertices in each `cell_mm` cube merged into their mean, triangles
/// with two corners in one cell dropped.
pub fn cluster(mesh: &Mesh, cell_mm: f64) -> Mesh {
    let mut cells: HashMap<[i64; 3], u32> = HashMap::new();
    let mut sums: Vec<(Vector3<f64>, f64)> = Vec::new();
    let ids: Vec<u32> = mesh
        .vertices
        .iter()
        .map(|p| {
            let key = [p.x, p.y, p.z].map(|c| (c / cell_mm).floor() as i64);
            let id = *cells.entry(key).or_insert_with(|| {
                sums.push((Vector3::zeros(), 0.0));
                (sums.len() - 1) as u32
            });
            let s = &mut sums[id as usize];
            s.0 += p.coords;
            s.1 += 1.0;
            id
        })
        .collect();
    let vertices = sums.iter().map(|(s, n)| Point3::from(s / *n)).collect();
    let triangles = mesh
        .triangles
        .iter()
        .map(|t| t.map(|i| ids[i as usize]))
        .filter(|t| t[0] != t[1] && t[1] != t[2] && t[2] != t[0])
        .collect();
    Mesh::new(vertices, triangles)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box `n` × `n` cells a face: 12·n² triangles, outward.
    fn fine_box(n: usize, size_mm: f64) -> Mesh {
        let mut m = Mesh::default();
        let corners = |a: usize, b: usize, f: &dyn Fn(f64, f64) -> Point3<f64>| {
            let s = size_mm / n as f64;
            f(a as f64 * s, b as f64 * s)
        };
        // Each face as a map from (a, b) to a point; its orientation fixed below.
        let faces: [&dyn Fn(f64, f64) -> Point3<f64>; 6] = [
            &|a, b| Point3::new(a, b, 0.0),
            &|a, b| Point3::new(a, b, size_mm),
            &|a, b| Point3::new(a, 0.0, b),
            &|a, b| Point3::new(a, size_mm, b),
            &|a, b| Point3::new(0.0, a, b),
            &|a, b| Point3::new(size_mm, a, b),
        ];
        let centre = Point3::new(size_mm / 2.0, size_mm / 2.0, size_mm / 2.0);
        for f in faces {
            let base = m.vertices.len() as u32;
            for a in 0..=n {
                for b in 0..=n {
                    m.vertices.push(corners(a, b, f));
                }
            }
            let id = |a: usize, b: usize| base + (a * (n + 1) + b) as u32;
            for a in 0..n {
                for b in 0..n {
                    for mut t in [
                        [id(a, b), id(a + 1, b), id(a + 1, b + 1)],
                        [id(a, b), id(a + 1, b + 1), id(a, b + 1)],
                    ] {
                        let c = m.corners(&t);
                        let normal = (c[1] - c[0]).cross(&(c[2] - c[0]));
                        if normal.dot(&(c[0] - centre)) < 0.0 {
                            t.swap(1, 2);
                        }
                        m.triangles.push(t);
                    }
                }
            }
        }
        m
    }

    fn frame() -> Frame {
        Frame {
            u: Vector3::x(),
            v: Vector3::y(),
            n: Vector3::z(),
        }
    }

    #[test]
    fn a_million_triangles_draw_small_and_a_small_mesh_whole() {
        let big = fine_box(290, 100.0);
        assert!(big.triangles.len() > 1_000_000);
        let bodies = [Body {
            mesh: &big,
            rgb: [120, 140, 160],
            top_opacity: 1.0,
        }];
        for view in [View::Top, View::Iso] {
            let t0 = std::time::Instant::now();
            let r = render(&bodies, &frame(), view, "big <&>", "b");
            assert!(r.cell_mm.is_some() && r.drawn <= MAX_DRAWN, "{}", r.drawn);
            assert!(r.svg.len() < 900_000, "{view:?}: {} bytes", r.svg.len());
            assert!(r.svg.contains("<title>big &lt;&amp;&gt;</title>"));
            assert!(t0.elapsed().as_secs_f64() < 30.0, "{:?}", t0.elapsed());
        }
        let small = fine_box(4, 10.0);
        let bodies = [Body {
            mesh: &small,
            rgb: [120, 140, 160],
            top_opacity: 1.0,
        }];
        let r = render(&bodies, &frame(), View::Iso, "small", "s");
        // Three faces of the box show, 32 triangles each; nothing is merged.
        assert_eq!((r.cell_mm, r.drawn), (None, 96));
        let r = render(&bodies, &frame(), View::Top, "small", "s");
        assert_eq!(r.drawn, 32);
    }
}
