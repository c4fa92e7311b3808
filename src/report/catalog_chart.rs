//! The chart of a catalog for its HTML report: one row per part, the cost per part of each
//! route on a logarithmic axis, the cheapest ringed. Read along a row it says how far apart
//! the routes are for that part; down the rows, which parts go which way. Hand-written SVG,
//! like the cost chart.

use std::fmt::Write;

use super::chart::{colour, label};
use crate::mesh::threemf::xml_escape;
use crate::process::compare::Route;

/// Rows drawn at most: past them the chart would be taller than any page; the table lists
/// every part.
pub const MAX_ROWS: usize = 60;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 280.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 92.0;
const ROW: f64 = 22.0;
const BOTTOM: f64 = 56.0;

/// One part of the chart: its name and the cost per part of AM, IM and hybrid (`None`: not
/// available), the cheapest route.
pub struct PartCosts {
    pub label: String,
    pub costs: [Option<f64>; 3],
    pub best: Option<Route>,
}

/// The chart of `parts` (the first [`MAX_ROWS`]), costs in `currency`; `title` heads it.
pub fn catalog_chart_svg(title: &str, parts: &[PartCosts], currency: &str) -> String {
    let shown = &parts[..parts.len().min(MAX_ROWS)];
    let values: Vec<f64> = shown
        .iter()
        .flat_map(|p| p.costs.iter().flatten().copied())
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (d0, d1) = if lo.is_finite() {
        let d0 = lo.log10().floor();
        (d0, hi.log10().ceil().max(d0 + 1.0))
    } else {
        (0.0, 1.0)
    };
    let pw = WIDTH - LEFT - RIGHT;
    let height = TOP + ROW * shown.len().max(1) as f64 + BOTTOM;
    let x = |v: f64| LEFT + (v.log10() - d0) / (d1 - d0) * pw;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13" role="img" aria-label="{}">
<rect width="100%" height="100%" fill="white"/>
<text x="20" y="28" font-size="18" font-weight="bold">{}</text>"##,
        xml_escape(title),
        xml_escape(title)
    );
    legend(&mut s);
    let bottom = TOP + ROW * shown.len().max(1) as f64;
    for d in (d0 as i64)..=(d1 as i64) {
        let v = 10f64.powi(d as i32);
        let xv = x(v);
        let _ = writeln!(
            s,
            r##"<line x1="{xv:.1}" y1="{TOP}" x2="{xv:.1}" y2="{bottom:.1}" stroke="#e5e5e5"/><text x="{xv:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
            bottom + 18.0,
            xml_escape(&super::chart::money(v, currency).replace(".00", ""))
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">Cost per part ({}, logarithmic)</text>"##,
        LEFT + pw / 2.0,
        bottom + 42.0,
        xml_escape(currency)
    );
    for (k, p) in shown.iter().enumerate() {
        row(&mut s, TOP + ROW * (k as f64 + 0.5), p, &x);
    }
    s.push_str("</svg>\n");
    s
}

fn legend(s: &mut String) {
    for (k, r) in Route::ALL.into_iter().enumerate() {
        let lx = 20.0 + 150.0 * k as f64;
        let _ = writeln!(
            s,
            r##"<circle cx="{:.0}" cy="58" r="5" fill="{}"/><text x="{:.0}" y="62">{}</text>"##,
            lx + 5.0,
            colour(r),
            lx + 16.0,
            label(r)
        );
    }
    let _ = writeln!(
        s,
        r##"<circle cx="475" cy="58" r="7.5" fill="none" stroke="#000" stroke-width="2"/><text x="489" y="62">cheapest at the part's volume</text>"##
    );
}

/// One part's row, centred at `y`.
fn row(s: &mut String, y: f64, p: &PartCosts, x: &dyn Fn(f64) -> f64) {
    let name: String = if p.label.chars().count() > 38 {
        let tail: String = p
            .label
            .chars()
            .rev()
            .take(37)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        p.label.clone()
    };
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#f0f0f0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#1f2328">{}</text>"##,
        WIDTH - RIGHT,
        LEFT - 10.0,
        y + 4.5,
        xml_escape(&name)
    );
    let xs: Vec<(Route, f64)> = Route::ALL
        .into_iter()
        .zip(p.costs)
        .filter_map(|(r, c)| c.filter(|v| v.is_finite() && *v > 0.0).map(|v| (r, x(v))))
        .collect();
    if xs.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{:.1}" fill="#777">no route available</text>"##,
            LEFT + 8.0,
            y + 4.5
        );
        return;
    }
    let (a, b) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, v)| {
            (a.min(*v), b.max(*v))
        });
    let _ = writeln!(
        s,
        r##"<line x1="{a:.1}" y1="{y:.1}" x2="{b:.1}" y2="{y:.1}" stroke="#9aa4ad" stroke-width="2"/>"##
    );
    for (r, xv) in &xs {
        if p.best == Some(*r) {
            let _ = writeln!(
                s,
                r##"<circle cx="{xv:.1}" cy="{y:.1}" r="7.5" fill="none" stroke="#000" stroke-width="2"/>"##
            );
        }
        let _ = writeln!(
            s,
            r##"<circle cx="{xv:.1}" cy="{y:.1}" r="5" fill="{}"/>"##,
            colour(*r)
        );
    }
}
