//! The molded region seen along the pull, its faces coloured by what the dfm stage found:
//! released (grey), short of draft (orange), undercut with a side action (red), enclosed
//! (purple); the gate as a ring. Drawn lowest first, so what the mold sees is on top; then
//! the undercut and enclosed faces once more over everything, outlined: they are hidden from
//! the pull by definition, so drawn only in their place they would never be seen (a cross
//! hole under a rib's top).

use std::fmt::Write;

use nalgebra::Vector3;

use crate::dfm::{DfmReport, FaceClass};
use crate::split::Split;

/// Triangles drawn at most: beyond, only the flagged faces (a picture of a million grey
/// triangles says nothing and weighs a hundred megabytes).
const MAX_TRIANGLES: usize = 200_000;

const UNDERCUT: &str = "#d1242f";
const ENCLOSED: &str = "#8250df";

fn colour(c: FaceClass) -> Option<&'static str> {
    match c {
        FaceClass::Insert => None,
        FaceClass::Ok => Some("#c9d1d9"),
        FaceClass::Draft => Some("#f0883e"),
        FaceClass::Undercut => Some(UNDERCUT),
        FaceClass::Enclosed => Some(ENCLOSED),
    }
}

/// The SVG, or `None` when the report has no face classes for this split.
pub fn dfm_svg(title: &str, split: &Split, d: &DfmReport) -> Option<String> {
    let m = &split.molded;
    if d.molded_faces.len() != m.triangles.len() || m.triangles.is_empty() {
        return None;
    }
    let f = &split.footprint;
    let (u, v, n) = (
        Vector3::from(f.u_axis),
        Vector3::from(f.v_axis),
        Vector3::from(split.facts.plane_normal),
    );
    let flagged_only = m.triangles.len() > MAX_TRIANGLES;
    let mut tris: Vec<(f64, [[f64; 2]; 3], &str)> = m
        .triangles
        .iter()
        .zip(&d.molded_faces)
        .filter_map(|(t, &c)| {
            let col = colour(c)?;
            if flagged_only && c == FaceClass::Ok {
                return None;
            }
            let p = m.corners(t);
            let h = p.iter().map(|q| q.coords.dot(&n)).sum::<f64>() / 3.0;
            Some((h, p.map(|q| [q.coords.dot(&u), q.coords.dot(&v)]), col))
        })
        .collect();
    tris.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &m.vertices {
        let q = [p.coords.dot(&u), p.coords.dot(&v)];
        for k in 0..2 {
            lo[k] = lo[k].min(q[k]);
            hi[k] = hi[k].max(q[k]);
        }
    }
    let (w_mm, h_mm) = ((hi[0] - lo[0]).max(1e-9), (hi[1] - lo[1]).max(1e-9));
    let width = 800.0;
    let scale = (width - 40.0) / w_mm;
    let height = h_mm * scale + 90.0;
    // SVG's y runs down; the plane's v up.
    let x = |p: [f64; 2]| 20.0 + (p[0] - lo[0]) * scale;
    let y = |p: [f64; 2]| 20.0 + (hi[1] - p[1]) * scale;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (_, p, col) in &tris {
        let _ = writeln!(
            s,
            r#"<polygon points="{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" fill="{col}" stroke="{col}" stroke-width="0.3"/>"#,
            x(p[0]),
            y(p[0]),
            x(p[1]),
            y(p[1]),
            x(p[2]),
            y(p[2])
        );
    }
    for (_, p, col) in tris
        .iter()
        .filter(|(_, _, col)| *col == UNDERCUT || *col == ENCLOSED)
    {
        let _ = writeln!(
            s,
            r#"<polygon points="{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" fill="{col}" fill-opacity="0.85" stroke="black" stroke-width="0.4"/>"#,
            x(p[0]),
            y(p[0]),
            x(p[1]),
            y(p[1]),
            x(p[2]),
            y(p[2])
        );
    }
    if let Some(g) = d.gate_mm {
        let g = Vector3::from(g);
        let q = [g.dot(&u), g.dot(&v)];
        let _ = writeln!(
            s,
            r#"<circle cx="{:.2}" cy="{:.2}" r="6" fill="none" stroke="black" stroke-width="2"/>"#,
            x(q),
            y(q)
        );
    }
    let base = h_mm * scale + 45.0;
    let _ = writeln!(
        s,
        r#"<text x="20" y="{base:.0}" font-family="sans-serif" font-size="14">{} seen along the pull ({:.3}, {:.3}, {:.3}){}; hidden faces drawn over what hides them</text>"#,
        xml(title),
        n.x,
        n.y,
        n.z,
        if flagged_only {
            ", flagged faces only"
        } else {
            ""
        }
    );
    for (k, (label, col)) in [
        ("released", "#c9d1d9"),
        ("draft short", "#f0883e"),
        ("undercut: side action", UNDERCUT),
        ("enclosed", ENCLOSED),
    ]
    .iter()
    .enumerate()
    {
        let lx = 20.0 + 190.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{lx:.0}" y="{:.0}" width="14" height="14" fill="{col}"/><text x="{:.0}" y="{:.0}" font-family="sans-serif" font-size="13">{label}</text>"#,
            base + 12.0,
            lx + 20.0,
            base + 24.0
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}

fn xml(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
