//! `report.html` of a batch folder: the catalog on one self-contained page (see
//! `crate::report::html`): the counts, parts by cheapest route, a chart of every part's route
//! costs, the table of parts with status, cheapest route and key figures, the slowest parts
//! and the errors with their reasons. Written from the stored rows at the end of `batch` and
//! of `merge`, so it always shows what the result files hold.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::store::{RunRecord, StoredRow, Timing};
use super::summary::Summary;
use crate::fsutil::{WriteError, write_atomic};
use crate::process::compare::Route;
use crate::report::catalog_chart::{self, PartCosts};
use crate::report::chart::short_count;
use crate::report::html::{self, Col, esc, num, route_named, route_tag, route_tag_short, td};

pub const REPORT_HTML: &str = "report.html";

/// Table rows at most (the page of a 100,000-part catalog would not open); results.csv has
/// them all.
const MAX_TABLE_ROWS: usize = 2000;
/// Error rows listed at most in the errors section.
const MAX_ERRORS: usize = 500;

/// Writes `dir/report.html` (atomically) for `rows` with their `timings` and the `summary`.
pub fn write_report(
    dir: &Path,
    rows: &BTreeMap<usize, StoredRow>,
    timings: &BTreeMap<usize, Timing>,
    summary: &Summary,
) -> Result<(), WriteError> {
    // The record only heads the page: a folder without one still gets its report.
    let record = RunRecord::read(dir).ok().flatten();
    let page = catalog_page(rows, timings, summary, record.as_ref());
    write_atomic(&dir.join(REPORT_HTML), |w| {
        std::io::Write::write_all(w, page.as_bytes())
    })
}

/// A row's figures as the JSON line holds them.
struct Part {
    index: usize,
    file: String,
    v: Value,
}

impl Part {
    fn f(&self, key: &str) -> Option<f64> {
        self.v.get(key).and_then(Value::as_f64)
    }
    fn s(&self, key: &str) -> Option<&str> {
        self.v.get(key).and_then(Value::as_str)
    }
    fn ok(&self) -> bool {
        self.s("status") == Some("ok")
    }
    fn best(&self) -> Option<Route> {
        self.s("best_route").and_then(route_named)
    }
    fn costs(&self) -> [Option<f64>; 3] {
        [
            "cost_per_part_am",
            "cost_per_part_im",
            "cost_per_part_hybrid",
        ]
        .map(|k| self.f(k))
    }
}

/// The whole page.
pub fn catalog_page(
    rows: &BTreeMap<usize, StoredRow>,
    timings: &BTreeMap<usize, Timing>,
    summary: &Summary,
    record: Option<&RunRecord>,
) -> String {
    let parts: Vec<Part> = rows
        .values()
        .map(|r| Part {
            index: r.index,
            file: r.file.clone(),
            v: serde_json::from_str(&r.json).unwrap_or(Value::Null),
        })
        .collect();
    // Money in one currency unless rows differ (a user's economics model per row is not an
    // option today, but the column exists).
    let mut currencies: Vec<&str> = parts.iter().filter_map(|p| p.s("currency")).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let currency = match currencies.as_slice() {
        [one] => one.to_string(),
        [] => "EUR".to_string(),
        _ => "mixed currencies, see results.csv".to_string(),
    };
    let mut b = header(summary, record);
    b.push_str(&routes_section(summary, &parts));
    b.push_str(&chart_section(&parts, &currency));
    b.push_str(&table_section(&parts, timings, &currency));
    b.push_str(&slowest_section(summary));
    b.push_str(&errors_section(&parts));
    let title = record.map_or("catalog".to_string(), |r| r.catalog.clone());
    html::page(&format!("{title}: hybridplan catalog report"), &b)
}

fn header(summary: &Summary, record: Option<&RunRecord>) -> String {
    let mut s = String::from("<header><h1>Catalog report</h1>");
    if let Some(r) = record {
        let _ = write!(
            s,
            "<p class=\"sub\">{} · {} entries · hybridplan {}{}</p>",
            esc(&r.catalog),
            r.entries,
            esc(&r.hybridplan),
            r.shard
                .map(|sh| format!(" · shard {sh}"))
                .unwrap_or_default()
        );
    }
    let _ = write!(
        s,
        "<p class=\"verdict\">{} parts: <span class=\"ok\">{} ok</span>, <span class=\"{}\">{} errors</span>{}.",
        summary.parts,
        summary.ok,
        if summary.errors > 0 { "error" } else { "ok" },
        summary.errors,
        if summary.missing > 0 {
            format!(", {} not done yet", summary.missing)
        } else {
            String::new()
        }
    );
    if let Some(run) = &summary.run {
        let _ = write!(
            s,
            " This run evaluated {} in {:.1} s ({:.2} parts/s on {} jobs){}.",
            run.evaluated,
            run.elapsed_s,
            run.parts_per_s,
            run.jobs,
            if run.stopped_early {
                ", stopped at the first error (--fail-fast)"
            } else {
                ""
            }
        );
    }
    s.push_str("</p></header>\n");
    s
}

/// How many parts each route is cheapest for, with a bar of the share.
fn routes_section(summary: &Summary, parts: &[Part]) -> String {
    let ok = summary.ok.max(1) as f64;
    let none = parts
        .iter()
        .filter(|p| p.ok() && p.best().is_none())
        .count();
    let mut rows: Vec<String> = Route::ALL
        .into_iter()
        .map(|r| {
            let n = summary.best_route.get(r.name()).copied().unwrap_or(0);
            let share = 100.0 * n as f64 / ok;
            format!(
                "<td>{}</td>{}{}<td><span class=\"bar\" style=\"width:{:.1}px;background:{}\"></span></td>",
                route_tag(r),
                num(&n.to_string()),
                num(&format!("{share:.0}")),
                2.4 * share,
                crate::report::chart::colour(r)
            )
        })
        .collect();
    if none > 0 {
        rows.push(format!(
            "{}{}{}<td></td>",
            td("no route available"),
            num(&none.to_string()),
            num(&format!("{:.0}", 100.0 * none as f64 / ok))
        ));
    }
    let head = [
        Col("cheapest route", false),
        Col("parts", true),
        Col("share of the ok parts (%)", true),
        Col("", false),
    ];
    format!(
        "<section id=\"routes\"><h2>Parts by cheapest route</h2><p>The route with the lowest cost per part at each part's own annual volume.</p>{}</section>\n",
        html::table("counts", &head, &rows)
    )
}

fn chart_section(parts: &[Part], currency: &str) -> String {
    let points: Vec<PartCosts> = parts
        .iter()
        .filter(|p| p.ok())
        .map(|p| PartCosts {
            label: p.file.clone(),
            costs: p.costs(),
            best: p.best(),
        })
        .collect();
    if points.is_empty() {
        return String::new();
    }
    let more = if points.len() > catalog_chart::MAX_ROWS {
        format!(
            " The first {} of the {} ok parts, in catalog order; the table lists them all.",
            catalog_chart::MAX_ROWS,
            points.len()
        )
    } else {
        String::new()
    };
    let title = "Cost per part of each route, per part";
    format!(
        "<section id=\"chart\"><h2>Catalog chart</h2><figure>{}<figcaption>Each row a part, each dot a route's cost per part at the part's volume; the ring marks the cheapest.{}</figcaption></figure></section>\n",
        catalog_chart::catalog_chart_svg(title, &points, currency),
        esc(&more)
    )
}

/// One part a row in catalog order: the cheapest route (or "error"), the routes' costs, the
/// cheapest route's tooling and cycle, and the key figures; an error row's reason across the
/// figure columns. Narrow columns, every unit in the head once, so that the table fits the
/// page's 1040 px and an A4 page printed: the status is the cheapest-route cell, and the
/// annual volume is a column only when the rows' volumes differ (a manifest's overrides).
fn table_section(parts: &[Part], timings: &BTreeMap<usize, Timing>, currency: &str) -> String {
    let mut volumes: Vec<f64> = parts.iter().filter_map(|p| p.f("annual_volume")).collect();
    volumes.sort_by(f64::total_cmp);
    volumes.dedup();
    let one_volume = match volumes.as_slice() {
        [v] => Some(*v),
        _ => None,
    };
    let cost = |k: &str| format!("{k} ({currency}/part)");
    let (am, im, hy) = (cost("AM"), cost("IM"), cost("Hybrid"));
    let tooling = format!("tooling, cheapest ({currency})");
    let mut head = vec![
        Col("#", true),
        Col("file", false),
        Col("cheapest", false),
        Col(&am, true),
        Col(&im, true),
        Col(&hy, true),
        Col(&tooling, true),
        Col("cycle, cheapest (s)", true),
        Col("AM = IM (parts/yr)", true),
        Col("Hybrid = IM (parts/yr)", true),
    ];
    if one_volume.is_none() {
        head.push(Col("volume (parts/yr)", true));
    }
    head.extend([
        Col("part (cm3)", true),
        Col("dfm err. / warn.", true),
        Col("time (s)", true),
    ]);
    let money = |v: Option<f64>| {
        v.map(crate::report::fmt_money)
            .unwrap_or_else(|| "n/a".into())
    };
    let count = |v: Option<f64>| v.map(short_count).unwrap_or_else(|| "none".into());
    let rows: Vec<String> = parts
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|p| {
            let time = timings
                .get(&p.index)
                .map(|t| format!("{:.2}", t.seconds))
                .unwrap_or_default();
            let lead = format!(
                "{}<td class=\"file\">{}</td>",
                num(&p.index.to_string()),
                esc(&p.file)
            );
            if !p.ok() {
                return format!(
                    "{lead}<td class=\"error\">error</td><td colspan=\"{}\" class=\"why\">{}</td>{}",
                    head.len() - 4,
                    esc(p.s("error").unwrap_or("")),
                    num(&time)
                );
            }
            let [a, i, h] = p.costs();
            let best = p.best();
            // The cheapest route's own figures; AM has no tooling (0).
            let of_best = |figure: &str, unit: &str| {
                best.and_then(|r| p.f(&format!("{figure}_{}{unit}", r.name())))
            };
            let best_tooling = match best {
                Some(Route::Am) => Some(0.0),
                _ => of_best("tooling_cost", ""),
            };
            let mut cells = vec![
                td_html(&best.map(route_tag_short).unwrap_or_else(|| "none".into())),
                num(&money(a)),
                num(&money(i)),
                num(&money(h)),
                num(&best_tooling.map(|v| format!("{v:.0}")).unwrap_or_default()),
                num(&of_best("cycle_time", "_s").map(three_digits).unwrap_or_default()),
                num(&count(p.f("break_even_am_im"))),
                num(&count(p.f("break_even_hybrid_im"))),
            ];
            if one_volume.is_none() {
                cells.push(num(&count(p.f("annual_volume"))));
            }
            cells.extend([
                num(&p
                    .f("part_volume_mm3")
                    .map(|v| three_digits(v / 1000.0))
                    .unwrap_or_default()),
                num(&format!(
                    "{} / {}",
                    p.f("dfm_errors").unwrap_or(0.0),
                    p.f("dfm_warnings").unwrap_or(0.0)
                )),
                num(&time),
            ]);
            format!("{lead}{}", cells.concat())
        })
        .collect();
    let more = if parts.len() > MAX_TABLE_ROWS {
        format!(
            "<p class=\"note\">The first {MAX_TABLE_ROWS} of {} rows; results.csv holds them all.</p>",
            parts.len()
        )
    } else {
        String::new()
    };
    let volume = one_volume
        .map(|v| format!("Every part at {} parts a year. ", short_count(v)))
        .unwrap_or_default();
    format!(
        "<section id=\"parts\" class=\"long\"><h2>Parts</h2><p>{volume}In catalog order; \"n/a\" for a route the part cannot take (no plate: no hybrid route), \"none\" for a break-even: the routes do not cross in the volumes swept; tooling and cycle are the cheapest route's (AM: one print, no tooling; IM and hybrid: one molding cycle of all cavities). All figures, with energy, CO2, lead times and cavities, are in results.csv and results.jsonl.</p>{}{more}</section>\n",
        html::table("catalog", &head, &rows)
    )
}

/// A cell of HTML already made (a route's tag).
fn td_html(inner: &str) -> String {
    format!("<td>{inner}</td>")
}

fn slowest_section(summary: &Summary) -> String {
    if summary.slowest.is_empty() {
        return String::new();
    }
    let rows: Vec<String> = summary
        .slowest
        .iter()
        .map(|t| {
            format!(
                "{}<td class=\"file\">{}</td>{}",
                num(&t.index.to_string()),
                esc(&t.file),
                num(&format!("{:.3}", t.seconds))
            )
        })
        .collect();
    let head = [Col("#", true), Col("file", false), Col("time (s)", true)];
    format!(
        "<section id=\"slowest\"><h2>Slowest parts</h2>{}</section>\n",
        html::table("slowest", &head, &rows)
    )
}

fn errors_section(parts: &[Part]) -> String {
    let errors: Vec<&Part> = parts.iter().filter(|p| !p.ok()).collect();
    if errors.is_empty() {
        return "<section id=\"errors\"><h2>Errors</h2><p>None: every part was evaluated.</p></section>\n".into();
    }
    let rows: Vec<String> = errors
        .iter()
        .take(MAX_ERRORS)
        .map(|p| {
            format!(
                "{}<td class=\"file\">{}</td><td class=\"why\">{}</td>",
                num(&p.index.to_string()),
                esc(&p.file),
                esc(p.s("error").unwrap_or(""))
            )
        })
        .collect();
    let more = if errors.len() > MAX_ERRORS {
        format!(
            "<p class=\"note\">The first {MAX_ERRORS} of {} errors; results.csv holds them all.</p>",
            errors.len()
        )
    } else {
        String::new()
    };
    let head = [Col("#", true), Col("file", false), Col("reason", false)];
    format!(
        "<section id=\"errors\" class=\"long\"><h2>Errors</h2><p>{} could not be evaluated:</p>{}{more}</section>\n",
        if errors.len() == 1 {
            "1 part".to_string()
        } else {
            format!("{} parts", errors.len())
        },
        html::table("errors", &head, &rows)
    )
}

/// A figure to three significant digits, without exponent down to 0.0001 (a part read in the
/// wrong unit is 1e-3 or 1e-9 of its volume: "0.00" would hide which).
fn three_digits(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if magnitude < -4 {
        return format!("{v:.2e}");
    }
    format!("{v:.*}", (2 - magnitude).max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::three_digits;

    #[test]
    fn three_significant_digits() {
        assert_eq!(three_digits(43.2), "43.2");
        assert_eq!(three_digits(888.806), "889");
        assert_eq!(three_digits(0.0079412), "0.00794");
        assert_eq!(three_digits(2.6e-8), "2.60e-8");
        assert_eq!(three_digits(12345.0), "12345");
    }
}
