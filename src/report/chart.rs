//! The cost-versus-volume chart as SVG: cost per part of each route over the annual volume
//! (both axes logarithmic), each line labelled at its end with its figure at the user's
//! volume, the break-even points marked and labelled clear of the lines and of each other,
//! the user's volume drawn with the cheapest route there; CO2 per part the same way below,
//! and cost per part against the number of personalised variants at the user's volume
//! (one panel drawing each, so the variants panel has the same labels and collision pass). Hand-written SVG: the
//! chart is a few lines and labels, and a plotting crate would add fonts and a backend for
//! no gain.

use std::fmt::Write;

use crate::mesh::threemf::xml_escape;
use crate::process::compare::{Metric, Route};
use crate::process::{BreakEvens, Comparison};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 600.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 70.0;

pub(crate) fn colour(r: Route) -> &'static str {
    match r {
        Route::Am => "#d62728",
        Route::Im => "#1f77b4",
        Route::Hybrid => "#2ca02c",
    }
}

pub(crate) fn label(r: Route) -> &'static str {
    match r {
        Route::Am => "AM (printed)",
        Route::Im => "IM (molded)",
        Route::Hybrid => "Hybrid",
    }
}

/// A count in a short readable form: 950, 12k, 1.5M.
pub fn short_count(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        format!("{:.0}", v)
    }
}

fn trim(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}").trim_end_matches(".0").to_string()
    } else {
        format!("{x:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

pub(crate) fn money(v: f64, currency: &str) -> String {
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        _ => "",
    };
    let n = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if symbol.is_empty() {
        format!("{n} {currency}")
    } else {
        format!("{symbol}{n}")
    }
}

/// A decade of money for the axis: €0.01, €1, €10, €1k, €1M.
fn axis_money(v: f64, currency: &str) -> String {
    if v >= 1000.0 {
        money(1.0, currency).replace("1.00", &short_count(v))
    } else {
        money(v, currency)
            .replace(".00", "")
            .replace("0.100", "0.1")
    }
}

/// What one panel of the chart plots: a figure per part of each route along a logarithmic x
/// axis (annual volume, or variants), the user's place on it and the break-evens.
struct Panel<'a> {
    heading: String,
    /// The grey line under the heading.
    subtitle: String,
    /// The x values, ascending, and each route's figure there ([`Route::ALL`] order).
    xs: &'a [f64],
    series: [&'a [Option<f64>]; 3],
    x_title: &'a str,
    /// A decade of the y axis as written.
    axis: &'a dyn Fn(f64) -> String,
    /// A value at a line's end as written.
    value: &'a dyn Fn(f64) -> String,
    y_title: String,
    /// The user's x, the text at its dashed line, and each route's figure there.
    user_x: f64,
    user_text: String,
    at_user: [Option<f64>; 3],
    break_evens: BreakEvens,
    /// Where two routes meet, as written after "AM = IM ": "at 42k/yr", "at 38 variants".
    break_even_text: &'a dyn Fn(f64) -> String,
}

/// A mass of CO2 for the axis and the line ends: 0.01 kg, 1 kg, 1.5 t.
fn kg(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} t", trim(v / 1000.0))
    } else if v >= 1.0 {
        format!("{} kg", trim(v))
    } else {
        let t = format!("{v:.4}");
        format!("{} kg", t.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn svg_head(s: &mut String, height: f64) {
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>"##
    );
}

/// The chart of `c` for the part `title`, costs in `currency`: cost per part above, CO2 per
/// part below, each with its break-even volumes, and (where `c` has a variant sweep) cost
/// per part against the number of variants below them.
pub fn cost_chart_svg(title: &str, c: &Comparison, currency: &str) -> String {
    let panels = 2.0 + f64::from(u8::from(c.variant_sweep.is_some()));
    let mut s = String::new();
    svg_head(&mut s, panels * HEIGHT);
    volume_panels(&mut s, title, c, currency);
    variants_panel(&mut s, 2.0 * HEIGHT, title, c, currency);
    s.push_str("</svg>\n");
    s
}

/// The chart of `c` against annual volume alone: cost per part above, CO2 per part below.
pub fn volume_chart_svg(title: &str, c: &Comparison, currency: &str) -> String {
    let mut s = String::new();
    svg_head(&mut s, 2.0 * HEIGHT);
    volume_panels(&mut s, title, c, currency);
    s.push_str("</svg>\n");
    s
}

/// The chart of `c` against the number of variants alone; `None` without a variant sweep.
pub fn variants_chart_svg(title: &str, c: &Comparison, currency: &str) -> Option<String> {
    c.variant_sweep.as_ref()?;
    let mut s = String::new();
    svg_head(&mut s, HEIGHT);
    variants_panel(&mut s, 0.0, title, c, currency);
    s.push_str("</svg>\n");
    Some(s)
}

/// The heading of the variants panel, as the chart writes it.
pub fn variants_heading(title: &str) -> String {
    format!("Cost per part vs personalised variants: {title}")
}

/// Each route's figure at the user's volume and variants, by `metric`.
fn at_user(c: &Comparison, metric: Metric) -> [Option<f64>; 3] {
    Route::ALL.map(|r| {
        c.routes.get(r).cost().map(|rc| match metric {
            Metric::Cost => rc.cost_per_part,
            Metric::Co2 => rc.co2_kg_per_part,
        })
    })
}

fn cheapest_text(c: &Comparison) -> String {
    c.best_route
        .map(|r| format!(": {} is cheapest", label(r)))
        .unwrap_or_default()
}

/// The cost and the CO2 panel against annual volume.
fn volume_panels(s: &mut String, title: &str, c: &Comparison, currency: &str) {
    let axis_cost = |v: f64| axis_money(v, currency);
    let value_cost = |v: f64| money(v, currency);
    let per_year = |v: f64| format!("at {}/yr", short_count(v));
    let sweep = &c.sweep;
    let subtitle = format!(
        "{} variant(s); logarithmic axes; rings: break-evens (a year, tooling over {} years); right: values at your volume",
        c.variants, c.amortization_years
    );
    let user = |best: String| format!("your volume {}{best}", short_count(c.annual_volume));
    panel(
        s,
        0.0,
        &Panel {
            heading: format!("Cost per part vs annual volume: {title}"),
            subtitle: subtitle.clone(),
            xs: &sweep.volumes,
            series: Route::ALL.map(|r| sweep.values(Metric::Cost, r)),
            x_title: "Annual volume (parts per year)",
            axis: &axis_cost,
            value: &value_cost,
            y_title: format!("Cost per part ({currency})"),
            user_x: c.annual_volume,
            user_text: user(cheapest_text(c)),
            at_user: at_user(c, Metric::Cost),
            break_evens: c.break_even_volumes,
            break_even_text: &per_year,
        },
    );
    // The route of least CO2 per part at the user's volume.
    let least = Route::ALL
        .iter()
        .filter_map(|&r| c.routes.get(r).cost().map(|rc| (r, rc.co2_kg_per_part)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| format!(": {} emits least", label(r)))
        .unwrap_or_default();
    panel(
        s,
        HEIGHT,
        &Panel {
            heading: format!("CO2 per part vs annual volume: {title}"),
            subtitle,
            xs: &sweep.volumes,
            series: Route::ALL.map(|r| sweep.values(Metric::Co2, r)),
            x_title: "Annual volume (parts per year)",
            axis: &kg,
            value: &kg,
            y_title: "CO2 per part (kg)".into(),
            user_x: c.annual_volume,
            user_text: user(least),
            at_user: at_user(c, Metric::Co2),
            break_evens: c.co2_break_even_volumes,
            break_even_text: &per_year,
        },
    );
}

/// The cost panel against the number of variants, `top` px down; nothing without a sweep.
fn variants_panel(s: &mut String, top: f64, title: &str, c: &Comparison, currency: &str) {
    let Some(vs) = &c.variant_sweep else {
        return;
    };
    let axis_cost = |v: f64| axis_money(v, currency);
    let value_cost = |v: f64| money(v, currency);
    let variants = |n: f64| {
        format!(
            "at {} variant{}",
            short_count(n),
            if n == 1.0 { "" } else { "s" }
        )
    };
    let xs: Vec<f64> = vs.variants.iter().map(|&n| f64::from(n)).collect();
    panel(
        s,
        top,
        &Panel {
            heading: variants_heading(title),
            subtitle: format!(
                "at {} parts/year; logarithmic axes; rings: where the cheaper route changes; right: values at your {} variant(s)",
                short_count(vs.annual_volume),
                c.variants
            ),
            xs: &xs,
            series: Route::ALL.map(|r| vs.cost_per_part.of(r)),
            x_title: "Personalised variants (designs made each year)",
            axis: &axis_cost,
            value: &value_cost,
            y_title: format!("Cost per part ({currency})"),
            user_x: f64::from(c.variants),
            user_text: format!(
                "your variants {}{}",
                short_count(f64::from(c.variants)),
                cheapest_text(c)
            ),
            at_user: at_user(c, Metric::Cost),
            break_evens: vs.break_even_variants,
            break_even_text: &variants,
        },
    );
}

/// One panel, `top` px down the chart: the frame, the user's place, the lines with their end
/// labels, the break-evens.
fn panel(s: &mut String, top: f64, p: &Panel) {
    let _ = writeln!(s, r##"<g transform="translate(0 {top})">"##);
    let axes = Axes::of(p);
    frame(s, p, &axes);
    let (ends, mut segments) = lines(s, p, &axes);
    let ends = end_labels(s, p, &axes, ends);
    break_evens(s, p, &axes, &ends, &mut segments);
    s.push_str("</g>\n");
}

/// The route's series in `p`.
fn series_of<'a>(p: &Panel<'a>, r: Route) -> &'a [Option<f64>] {
    match r {
        Route::Am => p.series[0],
        Route::Im => p.series[1],
        Route::Hybrid => p.series[2],
    }
}

/// A panel's logarithmic axes: the decades shown (x from `v0` to `v1`, y from `y0` to `y1`,
/// as base-10 exponents), the plot's size in px, and where the user's dashed line stands.
struct Axes {
    v0: f64,
    v1: f64,
    y0: f64,
    y1: f64,
    pw: f64,
    ph: f64,
    /// The user's x in px, clamped into the plot.
    xu: f64,
}

impl Axes {
    /// The axes of `p`: x over its first to last value, y over whole decades holding every
    /// positive finite figure (at least one decade; 1 to 10 with none).
    fn of(p: &Panel) -> Self {
        let xs = p.xs;
        let costs: Vec<f64> = Route::ALL
            .iter()
            .flat_map(|&r| series_of(p, r).iter().flatten().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let (lo, hi) = costs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let (y0, y1) = if lo.is_finite() {
            (
                lo.log10().floor(),
                hi.log10().ceil().max(lo.log10().floor() + 1.0),
            )
        } else {
            (0.0, 1.0)
        };
        let (v0, v1) = (
            xs.first().copied().unwrap_or(1.0).log10(),
            xs.last().copied().unwrap_or(10.0).log10(),
        );
        let mut axes = Axes {
            v0,
            v1,
            y0,
            y1,
            pw: WIDTH - LEFT - RIGHT,
            ph: HEIGHT - TOP - BOTTOM,
            xu: 0.0,
        };
        axes.xu = axes.x(p.user_x.clamp(10f64.powf(v0), 10f64.powf(v1)));
        axes
    }

    /// The px of x value `v`.
    fn x(&self, v: f64) -> f64 {
        LEFT + (v.log10() - self.v0) / (self.v1 - self.v0).max(1e-9) * self.pw
    }

    /// The px of figure `cost`.
    fn y(&self, cost: f64) -> f64 {
        TOP + (self.y1 - cost.max(1e-300).log10()) / (self.y1 - self.y0) * self.ph
    }
}

/// The heading, the grid of decades with their labels, the plot's box and the axis titles,
/// and the user's dashed line with its text.
fn frame(s: &mut String, p: &Panel, axes: &Axes) {
    let Axes {
        v0,
        v1,
        y0,
        y1,
        pw,
        ph,
        xu,
    } = *axes;
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="28" font-size="18" font-weight="bold">{}</text>
<text x="{LEFT}" y="50" fill="#555">{}</text>"##,
        xml_escape(&p.heading),
        xml_escape(&p.subtitle)
    );
    // Grid and axes.
    for d in (v0.ceil() as i64)..=(v1.floor() as i64) {
        let v = 10f64.powi(d as i32);
        let xv = axes.x(v);
        let _ = writeln!(
            s,
            r##"<line x1="{xv:.1}" y1="{TOP}" x2="{xv:.1}" y2="{:.1}" stroke="#e5e5e5"/><text x="{xv:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
            TOP + ph,
            TOP + ph + 20.0,
            short_count(v)
        );
    }
    for d in (y0 as i64)..=(y1 as i64) {
        let cv = 10f64.powi(d as i32);
        let yv = axes.y(cv);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yv:.1}" x2="{:.1}" y2="{yv:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">{}</text>"##,
            LEFT + pw,
            LEFT - 8.0,
            yv + 4.0,
            xml_escape(&(p.axis)(cv))
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>
<text transform="translate(22 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
        LEFT + pw / 2.0,
        HEIGHT - 18.0,
        xml_escape(p.x_title),
        TOP + ph / 2.0,
        xml_escape(&p.y_title)
    );
    // The user's place.
    let _ = writeln!(
        s,
        r##"<line x1="{xu:.1}" y1="{TOP}" x2="{xu:.1}" y2="{:.1}" stroke="#555" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
        TOP + ph,
        xu + 5.0,
        TOP + 16.0,
        xml_escape(&p.user_text)
    );
}

/// A line's label at the right end: its px height, the route, its figure at the user's place.
type End = (f64, Route, f64);

/// Each route's line, and its figure at the user's place marked where the dashed line crosses
/// it. Returns the lines' label ends (at each line's last point, before they are spread) and
/// the segments drawn (the lines and the dashed line), which labels must keep clear of.
fn lines(s: &mut String, p: &Panel, axes: &Axes) -> (Vec<End>, Vec<[f64; 4]>) {
    let (xu, ph) = (axes.xu, axes.ph);
    let mut ends: Vec<End> = Vec::new();
    let mut segments: Vec<[f64; 4]> = Vec::new();
    for (k, r) in Route::ALL.into_iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            p.xs.iter()
                .zip(series_of(p, r))
                .filter_map(|(&v, c)| c.filter(|c| *c > 0.0).map(|c| (axes.x(v), axes.y(c))))
                .collect();
        if pts.is_empty() {
            continue;
        }
        segments.extend(pts.windows(2).map(|w| [w[0].0, w[0].1, w[1].0, w[1].1]));
        let text: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"##,
            text.join(" "),
            colour(r)
        );
        let last_y = pts.last().map(|q| q.1);
        if let (Some(v), Some(ly)) = (p.at_user[k].filter(|v| v.is_finite() && *v > 0.0), last_y) {
            let _ = writeln!(
                s,
                r##"<circle cx="{xu:.1}" cy="{:.1}" r="3.5" fill="{}"/>"##,
                axes.y(v),
                colour(r)
            );
            ends.push((ly, r, v));
        }
    }
    // The user's line: labels keep clear of it too.
    segments.push([xu, TOP, xu, TOP + ph]);
    (ends, segments)
}

/// The lines' end labels, nudged apart top to bottom so that none overlaps the one above
/// (16 px apart at least); returns them where they were drawn.
fn end_labels(s: &mut String, p: &Panel, axes: &Axes, mut ends: Vec<End>) -> Vec<End> {
    ends.sort_by(|a, b| a.0.total_cmp(&b.0));
    for i in 1..ends.len() {
        if ends[i].0 < ends[i - 1].0 + 16.0 {
            ends[i].0 = ends[i - 1].0 + 16.0;
        }
    }
    for (ly, r, last) in &ends {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="{}" font-weight="bold">{} {}</text>"##,
            LEFT + axes.pw + 8.0,
            ly + 4.0,
            colour(*r),
            label(*r),
            xml_escape(&(p.value)(*last))
        );
    }
    ends
}

/// Break-even points, each labelled next to its marker; a label that would overlap one
/// already placed (the end labels, the user's text, earlier break-evens) moves up or down
/// (with a leader line) until it is clear of them and of `segments`.
fn break_evens(s: &mut String, p: &Panel, axes: &Axes, ends: &[End], segments: &mut Vec<[f64; 4]>) {
    let (xu, pw, ph) = (axes.xu, axes.pw, axes.ph);
    let be = &p.break_evens;
    let mut placed: Vec<[f64; 4]> = ends
        .iter()
        .map(|(ly, _, _)| [LEFT + pw + 8.0, ly - 10.0, WIDTH, ly + 4.0])
        .collect();
    placed.push([xu + 5.0, TOP + 4.0, xu + 400.0, TOP + 20.0]);
    let mut points: Vec<(f64, Route, Route)> = [
        (be.am_im, Route::Am, Route::Im),
        (be.am_hybrid, Route::Am, Route::Hybrid),
        (be.hybrid_im, Route::Hybrid, Route::Im),
    ]
    .into_iter()
    .filter_map(|(v, a, b)| v.map(|v| (v, a, b)))
    .collect();
    points.sort_by(|p, q| p.0.total_cmp(&q.0));
    for (v, a, b) in points {
        // The figure there, from the series (linear in log-log between the neighbouring
        // points).
        let Some(cost) = interpolate(p.xs, series_of(p, a), v) else {
            continue;
        };
        let (px, py) = (axes.x(v), axes.y(cost));
        let text = format!(
            "{} = {} {}",
            short_name(a),
            short_name(b),
            (p.break_even_text)(v)
        );
        // About 7 px a character at 12 px.
        let w = 7.0 * text.chars().count() as f64;
        let (lx, ly) = place_label(
            px,
            py,
            w,
            &placed,
            segments,
            [LEFT, TOP, LEFT + pw, TOP + ph],
        );
        placed.push([lx, ly - 12.0, lx + w, ly + 3.0]);
        if let Some(l) = leader(px, py, lx, ly, w) {
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#777" stroke-width="1"/>"##,
                l[0], l[1], l[2], l[3]
            );
            // Later labels keep off this leader as off the lines.
            segments.push(l);
        }
        let _ = writeln!(
            s,
            r##"<circle cx="{px:.1}" cy="{py:.1}" r="5" fill="white" stroke="#000" stroke-width="2"/><text x="{lx:.1}" y="{ly:.1}" font-size="12" fill="#000" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"##,
            text
        );
    }
}

/// The leader line from a marker at (`px`, `py`) to its label at (`lx`, `ly`), `w` px wide;
/// `None` where the label sits in its first place, just above and right of the marker. The
/// leader ends at the label's nearest side, so it never crosses its own text.
fn leader(px: f64, py: f64, lx: f64, ly: f64, w: f64) -> Option<[f64; 4]> {
    if (ly - (py - 10.0)).abs() <= 1.0 && (lx - (px + 8.0)).abs() <= 1.0 {
        return None;
    }
    let (ex, ey) = if lx >= px {
        (lx - 2.0, ly - 4.0)
    } else if lx + w <= px {
        (lx + w + 2.0, ly - 4.0)
    } else if ly < py {
        (px, ly + 3.0)
    } else {
        (px, ly - 13.0)
    };
    Some([px, py, ex, ey])
}

/// Where a label `w` px wide goes for a marker at (`px`, `py`): the first of a ring of places
/// around the marker, then farther rings, whose box (12 px of text) overlaps neither a label
/// already `placed` nor a line's segment, whose leader crosses no placed label, and which
/// stays inside `area`; right of the marker and just above it if nothing is clear (a label
/// may then cross a line, never vanish).
fn place_label(
    px: f64,
    py: f64,
    w: f64,
    placed: &[[f64; 4]],
    segments: &[[f64; 4]],
    area: [f64; 4],
) -> (f64, f64) {
    let fallback = ((px + 8.0).min(area[2] - w), py - 10.0);
    for ring in 1..=8 {
        let d = 14.0 * ring as f64;
        // Right and left of the marker, above and below it, then straight above and below.
        let places = [
            (px + 8.0, py - d + 4.0),
            (px + 8.0, py + d),
            (px - 8.0 - w, py - d + 4.0),
            (px - 8.0 - w, py + d),
            (px - w / 2.0, py - d - 4.0),
            (px - w / 2.0, py + d + 12.0),
        ];
        for (lx, ly) in places {
            let r = [lx - 2.0, ly - 12.0, lx + w + 2.0, ly + 3.0];
            let inside = r[0] >= area[0] && r[2] <= area[2] && r[1] >= area[1] && r[3] <= area[3];
            let clear = !placed
                .iter()
                .any(|q| r[0] < q[2] && q[0] < r[2] && r[1] < q[3] && q[1] < r[3])
                && !segments.iter().any(|sg| segment_meets_box(sg, &r))
                && leader(px, py, lx, ly, w)
                    .is_none_or(|l| !placed.iter().any(|q| segment_meets_box(&l, q)));
            if inside && clear {
                return (lx, ly);
            }
        }
    }
    fallback
}

/// Whether the segment (x0, y0)–(x1, y1) meets the box [x0, y0, x1, y1] (Liang–Barsky
/// clipping of the segment against the box).
fn segment_meets_box(sg: &[f64; 4], b: &[f64; 4]) -> bool {
    let (dx, dy) = (sg[2] - sg[0], sg[3] - sg[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, sg[0] - b[0]),
        (dx, b[2] - sg[0]),
        (-dy, sg[1] - b[1]),
        (dy, b[3] - sg[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

fn short_name(r: Route) -> &'static str {
    match r {
        Route::Am => "AM",
        Route::Im => "IM",
        Route::Hybrid => "Hybrid",
    }
}

/// The value of `ys` at `v` on the log-log polyline through (`xs`, `ys`).
fn interpolate(xs: &[f64], ys: &[Option<f64>], v: f64) -> Option<f64> {
    let i = xs.iter().position(|&x| x >= v)?;
    if i == 0 {
        return ys[0];
    }
    let (x0, x1) = (xs[i - 1].ln(), xs[i].ln());
    let (y0, y1) = (ys[i - 1]?.ln(), ys[i]?.ln());
    let t = (v.ln() - x0) / (x1 - x0);
    Some((y0 + t * (y1 - y0)).exp())
}

/// The chart's fonts: DejaVu Sans, regular and bold, embedded in the binary (the `dejavu`
/// crate), and no system fonts, so the PNG has its text on a machine without fonts and is the
/// same picture on every machine. Parsed once per process.
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> =
        std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_font_data(dejavu::sans::regular().to_vec());
            db.load_font_data(dejavu::sans::bold().to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            std::sync::Arc::new(db)
        })
        .clone()
}

/// The first text of `group` (at any depth) that was laid out to no glyph at all: text that
/// would be missing from the picture.
fn unrendered_text(group: &resvg::usvg::Group) -> Option<String> {
    use resvg::usvg::Node;
    group.children().iter().find_map(|node| match node {
        Node::Group(g) => unrendered_text(g),
        Node::Text(t) => {
            let text: String = t.chunks().iter().map(|c| c.text()).collect();
            (!text.trim().is_empty() && t.flattened().children().is_empty()).then_some(text)
        }
        _ => None,
    })
}

/// Renders an SVG (the chart) to PNG at `scale` (resvg) with the embedded fonts. Text that
/// lays out to no glyph (no font for it) is an error, never a picture without its labels.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let opt = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| format!("chart SVG: {e}"))?;
    if let Some(text) = unrendered_text(tree.root()) {
        return Err(format!(
            "chart PNG: no font renders the text {text:?} (the embedded DejaVu Sans lacks its glyphs)"
        ));
    }
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("chart size")?;
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("chart size for PNG")?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("chart PNG: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_span_whole_decades_and_place_values_by_hand() {
        // Figures from 0.5 to 30 (the negative and the NaN left out) over volumes 1 to 1000.
        let xs = [1.0, 10.0, 100.0, 1000.0];
        let am = [Some(30.0), Some(3.0), None, Some(0.5)];
        let im = [None; 4];
        let hybrid = [Some(-1.0), Some(f64::NAN), Some(2.0), Some(1.0)];
        let text = |v: f64| format!("{v}");
        let mut p = Panel {
            heading: String::new(),
            subtitle: String::new(),
            xs: &xs,
            series: [&am, &im, &hybrid],
            x_title: "",
            axis: &text,
            value: &text,
            y_title: String::new(),
            user_x: 5000.0,
            user_text: String::new(),
            at_user: [None; 3],
            break_evens: BreakEvens {
                am_im: None,
                am_hybrid: None,
                hybrid_im: None,
            },
            break_even_text: &text,
        };
        let a = Axes::of(&p);
        // y from 10^-1 (below 0.5) to 10^2 (above 30); x from 10^0 to 10^3.
        assert_eq!((a.y0, a.y1), (-1.0, 2.0));
        assert!(a.v0.abs() < 1e-12 && (a.v1 - 3.0).abs() < 1e-12);
        // The plot: 960 - 90 - 200 = 670 px wide, 600 - 70 - 70 = 460 high.
        assert_eq!((a.pw, a.ph), (670.0, 460.0));
        // 10 is a third of the way along: 90 + 670 / 3 = 313.33 px.
        assert!((a.x(10.0) - 313.333_333_333).abs() < 1e-6, "{}", a.x(10.0));
        // 1 is two of the three decades down from the top: 70 + 460 x 2 / 3 = 376.67 px.
        assert!((a.y(1.0) - 376.666_666_667).abs() < 1e-6, "{}", a.y(1.0));
        // The user's 5000 lies past the last volume: the dashed line at the right edge.
        assert!((a.xu - 760.0).abs() < 1e-9, "{}", a.xu);
        // No positive figure at all: one decade, 1 to 10.
        let none = [None; 4];
        p.series = [&none, &none, &none];
        let a = Axes::of(&p);
        assert_eq!((a.y0, a.y1), (0.0, 1.0));
    }

    /// Dark pixels of a PNG (RGBA, any alpha).
    fn dark_pixels(png: &[u8]) -> usize {
        let p = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
        p.pixels()
            .iter()
            .filter(|c| c.alpha() > 128 && u16::from(c.red()) + u16::from(c.green()) < 200)
            .count()
    }

    #[test]
    fn text_renders_from_the_embedded_font() {
        // No system font is loaded: whatever text shows comes from the embedded DejaVu Sans,
        // under the family the chart names and under a family no machine has.
        for family in [
            "DejaVu Sans, Helvetica, Arial, sans-serif",
            "NoSuchFont, sans-serif",
        ] {
            let svg = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/><text x="5" y="28" font-family="{family}" font-size="20">Break-even 42k</text></svg>"#
            );
            let png = svg_to_png(&svg, 1.0).unwrap();
            // 13 glyphs of 20 px text cover a few hundred dark pixels; no text, none.
            assert!(dark_pixels(&png) > 200, "{family}: {}", dark_pixels(&png));
        }
        let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/></svg>"#;
        assert_eq!(dark_pixels(&svg_to_png(blank, 1.0).unwrap()), 0);
    }

    #[test]
    fn counts_and_escapes() {
        assert_eq!(short_count(950.0), "950");
        assert_eq!(short_count(12_000.0), "12k");
        assert_eq!(short_count(1_500_000.0), "1.5M");
        assert_eq!(short_count(42_500.0), "42.5k");
        let xs = [1.0, 10.0, 100.0];
        let ys = [Some(100.0), Some(10.0), Some(1.0)];
        assert!(
            (interpolate(&xs, &ys, 31.622776601683793).unwrap() - 3.1622776601683795).abs() < 1e-9
        );
    }
}
