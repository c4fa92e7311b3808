//! Self-contained HTML pages: `STEM.report.html` of `plan` here, and the building blocks the
//! catalog page of `batch` uses (`crate::batch::report`). One file each, with its CSS inline
//! and its pictures as inline SVG: no script, no font, style sheet or image to fetch, so it
//! reads the same offline, mailed, or printed to PDF. Every text that comes from the user
//! (file names, materials, printers, messages naming them) is escaped.

use std::fmt::Write;
use std::path::Path;

use super::figures;
use super::table::Table;
use super::view::{self, Body, Frame, View};
use super::{short_count, trim_years};
use crate::mesh::threemf::xml_escape;
use crate::plan::{Planned, Prepared};
use crate::process::Comparison;
use crate::process::compare::Route;

/// Baseplate (printed) and molded region colours of the part views.
const BASEPLATE_RGB: [u8; 3] = [0x8c, 0xa7, 0xc4];
const MOLDED_RGB: [u8; 3] = [0xe0, 0x8a, 0x2e];
/// The molded region's opacity in the top view: the pores under it show through.
const MOLDED_TOP_OPACITY: f64 = 0.42;

/// The style sheet of every page: light, print-friendly (no dark backgrounds, sections kept
/// whole on a page where they fit, colours kept when printed), numbers right-aligned in
/// tabular figures.
const CSS: &str = r#"
:root { color-scheme: light; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 14px;
  line-height: 1.45; color: #1f2328; background: #fff; max-width: 1040px; margin: 0 auto;
  padding: 20px 28px 40px; }
h1 { font-size: 26px; margin: 0 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 3px; border-bottom: 2px solid #d0d7de;
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 15px; margin: 16px 0 6px; break-after: avoid; }
p { margin: 6px 0; }
.sub { color: #57606a; overflow-wrap: anywhere; }
section { break-inside: avoid; page-break-inside: avoid; }
section.long { break-inside: auto; page-break-inside: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e1e4e8; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.file { overflow-wrap: anywhere; min-width: 10em; max-width: 300px; }
td.why { color: #8a1c1c; overflow-wrap: anywhere; }
tbody th { background: none; font-weight: 600; white-space: nowrap; }
tr.sub td, tr.sub th { color: #57606a; font-weight: normal; }
tr.sub th { padding-left: 22px; }
td.best, th.best { background: #e7f5ea; font-weight: 700; }
.facts th { background: none; font-weight: 600; white-space: nowrap; }
.verdict { border-left: 5px solid #2ca02c; background: #f3f9f4; padding: 8px 14px; margin: 12px 0;
  font-size: 15px; }
.note { color: #57606a; font-size: 12.5px; }
.tag { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 700;
  color: #fff; white-space: nowrap; }
.ok { color: #1a7f37; font-weight: 600; } .error { color: #b42318; font-weight: 600; }
.sev-error { color: #b42318; font-weight: 600; } .sev-warning { color: #9a6700; font-weight: 600; }
.sev-info { color: #57606a; }
.swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #6e7781;
  vertical-align: -1px; margin: 0 4px 0 10px; }
.views { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 14px; }
figure { margin: 8px 0 12px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #d0d7de; }
figcaption { font-size: 12.5px; color: #57606a; margin-top: 4px; }
ul { margin: 4px 0; padding-left: 22px; }
.bar { display: inline-block; height: 11px; vertical-align: -1px; }
table.catalog { font-size: 12px; }
table.catalog th { vertical-align: bottom; font-size: 11.5px; }
table.catalog th, table.catalog td { padding: 3px 5px; }
table.catalog td.file { min-width: 8em; max-width: 220px; }
footer { margin-top: 34px; color: #57606a; font-size: 12px; border-top: 1px solid #d0d7de; padding-top: 6px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .views { display: block; }
  figure svg { max-height: 235mm; width: auto; }
  h2 { margin-top: 18px; }
  table.catalog { font-size: 8pt; }
  table.catalog th { font-size: 7.5pt; }
}
"#;

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    xml_escape(s)
}

/// A whole page: `title` (plain text) and `body` (HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"hybridplan {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}<footer>Made by hybridplan {} (no network, no script: this file is the whole report).</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        env!("CARGO_PKG_VERSION")
    )
}

/// An SVG written as a file (the chart, the dfm picture) inline: without its XML namespace
/// attribute, which HTML does not need (so the page names no address at all), labelled
/// `label` for screen readers.
pub fn inline_svg(svg: &str, label: &str) -> String {
    let body = svg
        .trim()
        .replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1);
    body.replacen(
        "<svg ",
        &format!(r#"<svg role="img" aria-label="{}" "#, esc(label)),
        1,
    )
}

/// A header cell: text (plain) and whether the column holds numbers.
pub struct Col<'a>(pub &'a str, pub bool);

/// A table: `cols` as the head, `rows` of cells already in HTML (`<td>` included, so a cell can
/// carry its class or span).
pub fn table(class: &str, cols: &[Col], rows: &[String]) -> String {
    let mut s = format!("<table class=\"{class}\"><thead><tr>");
    for Col(name, num) in cols {
        let _ = write!(
            s,
            "<th{}>{}</th>",
            if *num { " class=\"num\"" } else { "" },
            esc(name)
        );
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        let _ = writeln!(s, "<tr>{r}</tr>");
    }
    s.push_str("</tbody></table>\n");
    s
}

/// A numeric cell.
pub fn num(v: &str) -> String {
    format!("<td class=\"num\">{}</td>", esc(v))
}

/// A text cell (escaped).
pub fn td(v: &str) -> String {
    format!("<td>{}</td>", esc(v))
}

/// A table of facts: a name (plain text) and a value (plain text) a row.
pub fn facts(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<table class=\"facts\"><tbody>\n");
    for (k, v) in rows {
        let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    s.push_str("</tbody></table>\n");
    s
}

/// A route's name as the pages write it, and as a coloured tag.
pub fn route_label(r: Route) -> &'static str {
    super::chart::label(r)
}

pub fn route_tag(r: Route) -> String {
    format!(
        "<span class=\"tag\" style=\"background:{}\">{}</span>",
        super::chart::colour(r),
        route_label(r)
    )
}

/// A route's tag with its short name (AM, IM, Hybrid), for narrow columns.
pub fn route_tag_short(r: Route) -> String {
    let name = match r {
        Route::Am => "AM",
        Route::Im => "IM",
        Route::Hybrid => "Hybrid",
    };
    format!(
        "<span class=\"tag\" style=\"background:{}\">{name}</span>",
        super::chart::colour(r)
    )
}

/// The route of a name in the JSON and CSV outputs (`am`, `im`, `hybrid`).
pub fn route_named(name: &str) -> Option<Route> {
    Route::ALL.into_iter().find(|r| r.name() == name)
}

/// The plan page of a part: its views, the split, the interface, the routes, break-evens, the
/// chart, the moldability findings, warnings and the other files. `chart_svg` and `dfm_svg`
/// are the files' pictures; `files` the outputs beside this page (label, path).
pub fn plan_page(
    file: &Path,
    planned: &Planned,
    chart_svg: &str,
    dfm_svg: Option<&str>,
    files: &[(&str, &Path)],
) -> String {
    let stem = crate::plan::stem_of(file);
    let p = &planned.prepared;
    let e = &planned.estimate;
    let c = &e.comparison;
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header><h1>{}</h1><p class=\"sub\">{} · {} parts/year, {} variant(s) · {} ribs on a {} baseplate · printer {}</p>",
        esc(&stem),
        esc(&file.display().to_string()),
        short_count(c.annual_volume),
        c.variants,
        esc(&e.material),
        esc(&e.baseplate_material),
        esc(&e.printer)
    );
    b.push_str(&verdict(c, &e.currency));
    b.push_str("</header>\n");
    b.push_str(&part_section(p, &stem));
    b.push_str(&split_section(p));
    b.push_str(&interface_section(p));
    b.push_str(&routes_section(planned));
    b.push_str(&break_even_section(c));
    let _ = writeln!(
        b,
        "<section id=\"chart\"><h2>Cost and CO2 against volume</h2><figure>{}<figcaption>Cost (above) and CO2 (below) per part of each route over the annual volume, both axes logarithmic; the dots are the break-even volumes, the dashed line the volume planned for. The same panels are the first two of {}.report.svg and .png.</figcaption></figure></section>",
        inline_svg(
            chart_svg,
            &format!("Cost per part vs annual volume: {stem}")
        ),
        esc(&stem)
    );
    b.push_str(&super::variants_html::variants_section(
        c,
        &e.currency,
        &stem,
    ));
    if let Some(s) = &e.sensitivity {
        b.push_str(&sensitivity_section(s));
    }
    b.push_str(&dfm_section(p, dfm_svg, &stem));
    b.push_str(&warnings_section(p, &e.warnings));
    b.push_str(&files_section(files));
    page(&format!("{stem}: hybridplan report"), &b)
}

/// The one-line answer: the cheapest route at the planned volume.
fn verdict(c: &Comparison, currency: &str) -> String {
    match c
        .best_route
        .and_then(|r| c.routes.get(r).cost().map(|rc| (r, rc)))
    {
        Some((r, rc)) => format!(
            "<p class=\"verdict\">Cheapest at {} parts/year: {} at {} per part.</p>\n",
            short_count(c.annual_volume),
            route_tag(r),
            esc(&super::chart::money(rc.cost_per_part, currency))
        ),
        None => {
            "<p class=\"verdict\">No route can make this part as planned (see the routes).</p>\n"
                .into()
        }
    }
}

/// The part seen along the pull (pores visible through the molded region) and from a corner.
fn part_section(p: &Prepared, stem: &str) -> String {
    let (bodies, frame, legend) = match &p.split {
        Ok(s) => {
            let f = &s.footprint;
            let mut frame = Frame {
                u: f.u_axis.into(),
                v: f.v_axis.into(),
                n: s.facts.plane_normal.into(),
            };
            // The views look from the molded side, whichever way the normal points.
            let mean = |m: &crate::mesh::Mesh| {
                m.vertices
                    .iter()
                    .map(|q| q.coords.dot(&frame.n))
                    .sum::<f64>()
                    / m.vertices.len().max(1) as f64
            };
            if mean(&s.molded) < mean(&s.baseplate) {
                frame.n = -frame.n;
                frame.v = -frame.v;
            }
            let bodies = vec![
                Body {
                    mesh: &s.baseplate,
                    rgb: BASEPLATE_RGB,
                    top_opacity: 1.0,
                },
                Body {
                    mesh: &s.molded,
                    rgb: MOLDED_RGB,
                    top_opacity: MOLDED_TOP_OPACITY,
                },
            ];
            let legend = format!(
                "{}baseplate (printed){}molded region (overmolded)",
                swatch(BASEPLATE_RGB),
                swatch(MOLDED_RGB)
            );
            (bodies, frame, legend)
        }
        Err(_) => {
            let n = nalgebra::Vector3::from(p.whole_axis).normalize();
            let (u, v) = crate::mesh::section::Plane {
                axis: nalgebra::Unit::new_unchecked(n),
                offset_mm: 0.0,
            }
            .basis();
            let bodies = vec![Body {
                mesh: &p.part,
                rgb: BASEPLATE_RGB,
                top_opacity: 1.0,
            }];
            let legend = format!("{}the whole part (no split)", swatch(BASEPLATE_RGB));
            (bodies, Frame { u, v, n }, legend)
        }
    };
    let pores = p.lattice.as_ref().map_or(0, |l| l.pores);
    let top = view::render(
        &bodies,
        &frame,
        View::Top,
        &format!("{stem} along the pull"),
        "vt",
    );
    let iso = view::render(
        &bodies,
        &frame,
        View::Iso,
        &format!("{stem}, isometric"),
        "vi",
    );
    let top_note = if p.split.is_ok() && pores > 0 {
        format!(
            "; the molded region translucent: the {pores} darker spots under it are the pores of the interface"
        )
    } else if p.split.is_ok() {
        "; the molded region translucent".into()
    } else {
        String::new()
    };
    let n = frame.n;
    format!(
        "<section id=\"part\"><h2>Part</h2><p>{legend}</p><div class=\"views\"><figure>{}<figcaption>Top view, along the pull ({:.3}, {:.3}, {:.3}){top_note}. {}</figcaption></figure><figure>{}<figcaption>Isometric view from the corner (+u, −v, +pull). {}</figcaption></figure></div></section>\n",
        top.svg,
        n.x,
        n.y,
        n.z,
        drawing_note(&top),
        iso.svg,
        drawing_note(&iso)
    )
}

fn swatch(rgb: [u8; 3]) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:#{:02x}{:02x}{:02x}\"></span>",
        rgb[0], rgb[1], rgb[2]
    )
}

/// What the caption says of a view's drawing: its triangles, and the decimation if any.
fn drawing_note(r: &view::Rendered) -> String {
    match r.cell_mm {
        None => format!(
            "{} of the {} triangles show (the others face away or are hidden).",
            r.drawn, r.triangles
        ),
        Some(cell) => format!(
            "Simplified for the page: vertices merged on a {cell:.2} mm grid, {} triangles drawn of the {} of the meshes.",
            r.drawn, r.triangles
        ),
    }
}

fn split_section(p: &Prepared) -> String {
    format!(
        "<section id=\"split\"><h2>Split</h2>{}</section>\n",
        Table::facts(figures::split_facts(p)).html("facts")
    )
}

fn interface_section(p: &Prepared) -> String {
    format!(
        "<section id=\"interface\"><h2>Interface and bond</h2>{}<p class=\"note\">The bond figures are estimates of the model (docs/method.md), not test results.</p></section>\n",
        Table::facts(figures::interface_facts(p)).html("facts")
    )
}

/// Why each route that is not available is not, as a list (empty when all are).
pub fn unavailable_notes(routes: &crate::process::Routes) -> String {
    let items: String = figures::unavailable_reasons(routes)
        .into_iter()
        .map(|(r, reason)| {
            format!(
                "<li>{} not available: {}</li>",
                route_label(r),
                esc(&reason)
            )
        })
        .collect();
    if items.is_empty() {
        items
    } else {
        format!("<ul>{items}</ul>")
    }
}

fn routes_section(planned: &Planned) -> String {
    let e = &planned.estimate;
    let c = &e.comparison;
    let notes = unavailable_notes(&c.routes);
    format!(
        "<section id=\"routes\"><h2>Routes</h2><p>AM prints the whole part, IM molds the whole part, Hybrid prints the baseplate and overmolds the ribs onto it; at {} parts/year, {} variant(s), tooling paid off over {} years. The print time is one print of the whole part (AM) or of the baseplate (Hybrid).</p>{}{notes}</section>\n",
        short_count(c.annual_volume),
        c.variants,
        trim_years(c.amortization_years),
        figures::routes_table(e).html("routes")
    )
}

fn break_even_section(c: &Comparison) -> String {
    format!(
        "<section id=\"break-evens\"><h2>Break-evens</h2><p>The annual volumes at which two routes cost (or emit) the same per part, tooling paid off over {} years; the totals are the quantity over that period. \"none\": the two do not cross between {} and {} a year.</p>{}</section>\n",
        trim_years(c.amortization_years),
        short_count(c.sweep.volumes.first().copied().unwrap_or(1.0)),
        short_count(c.sweep.volumes.last().copied().unwrap_or(1.0)),
        figures::break_even_table(c).html("break-evens")
    )
}

fn sensitivity_section(s: &crate::process::sensitivity::Sensitivity) -> String {
    format!(
        "<section id=\"sensitivity\"><h2>Sensitivity</h2><p>Each input {:.0} % lower / higher, the others held; most effect first.</p>{}</section>\n",
        s.change * 100.0,
        figures::sensitivity_table(s).html("sensitivity")
    )
}

/// The moldability findings, and the dfm picture when it is small enough to inline (it has a
/// polygon per molded triangle, up to 200,000: beyond 512 kB the page names the file instead,
/// so that the page of a million-triangle part stays under 2 MB).
fn dfm_section(p: &Prepared, dfm_svg: Option<&str>, stem: &str) -> String {
    use crate::dfm::{RouteOf, Severity};
    const MAX_INLINE_BYTES: usize = 512 << 10;
    let Some(d) = &p.dfm else {
        return String::new();
    };
    let rows: Vec<String> = d
        .findings
        .iter()
        .map(|f| {
            let sev = f.severity.name();
            let route = match f.route {
                RouteOf::Hybrid => "Hybrid",
                RouteOf::Im => "IM",
            };
            format!(
                "<td class=\"sev-{sev}\">{sev}</td>{}{}<td>{}</td>",
                td(f.kind.name()),
                td(route),
                esc(&f.message)
            )
        })
        .collect();
    let head = [
        Col("severity", false),
        Col("check", false),
        Col("route", false),
        Col("finding", false),
    ];
    let picture = match dfm_svg {
        Some(svg) if svg.len() <= MAX_INLINE_BYTES => format!(
            "<figure>{}<figcaption>The molded region along the pull, its faces coloured by the checks; the ring is the gate.</figcaption></figure>",
            inline_svg(svg, &format!("{stem}: moldability"))
        ),
        Some(_) => format!(
            "<p class=\"note\">The moldability picture is too large to inline: see {}.dfm.svg.</p>",
            esc(stem)
        ),
        None => String::new(),
    };
    format!(
        "<section id=\"dfm\" class=\"long\"><h2>Moldability</h2><p>{} errors, {} warnings, {} notes; side actions: Hybrid {}, IM {}.</p>{}{picture}</section>\n",
        d.count(Severity::Error),
        d.count(Severity::Warning),
        d.count(Severity::Info),
        d.hybrid_side_actions,
        d.im_side_actions,
        table("dfm", &head, &rows)
    )
}

fn warnings_section(p: &Prepared, estimate_warnings: &[String]) -> String {
    let items: Vec<String> = super::split_warnings(p)
        .chain(estimate_warnings)
        .map(|w| format!("<li>{}</li>", esc(w)))
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(
        "<section id=\"warnings\"><h2>Warnings</h2><ul>{}</ul></section>\n",
        items.concat()
    )
}

fn files_section(files: &[(&str, &Path)]) -> String {
    let rows: Vec<String> = files
        .iter()
        .map(|(k, path)| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{}<td class=\"file\">{}</td>", td(k), esc(&name))
        })
        .collect();
    format!(
        "<section id=\"files\"><h2>Files</h2><p>Beside this page in the output folder:</p>{}</section>\n",
        table("files", &[Col("what", false), Col("file", false)], &rows)
    )
}
