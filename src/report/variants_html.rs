//! The plan page's section on personalised variants: the chart of cost per part against the
//! number of variants at the planned volume, where the cheaper route changes, and a table of
//! the sweep at each decade and at the planned count (built with `super::html`'s helpers).

use super::chart::{self, short_count};
use super::fmt_money;
use super::html::{Col, esc, inline_svg, num, route_label, table, td};
use crate::process::Comparison;
use crate::process::compare::{Route, cheapest};
use crate::process::molding::VariantTooling;

/// The section, or nothing where the comparison has no variant sweep.
pub fn variants_section(c: &Comparison, currency: &str, stem: &str) -> String {
    let (Some(vs), Some(svg)) = (
        &c.variant_sweep,
        chart::variants_chart_svg(stem, c, currency),
    ) else {
        return String::new();
    };
    let mut turns = Vec::new();
    let be = &vs.break_even_variants;
    for (n, a, b) in [
        (be.am_im, Route::Am, Route::Im),
        (be.am_hybrid, Route::Am, Route::Hybrid),
        (be.hybrid_im, Route::Hybrid, Route::Im),
    ] {
        let Some(n) = n else { continue };
        // Which of the two is cheaper at one variant: the other one is from `n` on.
        let first = |r: Route| vs.cost_per_part.of(r).first().copied().flatten();
        let (Some(ca), Some(cb)) = (first(a), first(b)) else {
            continue;
        };
        let (was, now) = if ca < cb { (a, b) } else { (b, a) };
        turns.push(format!(
            "{} is cheaper than {} from {} variants on",
            route_label(now),
            route_label(was),
            short_count(n)
        ));
    }
    let turns = if turns.is_empty() {
        format!(
            "The cheaper of any two routes stays the same from 1 to {} variants.",
            short_count(f64::from(vs.variants.last().copied().unwrap_or(1)))
        )
    } else {
        format!("{}.", turns.join("; "))
    };
    // Rows: every decade of the sweep and the planned count.
    let rows: Vec<String> = vs
        .variants
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n == c.variants || is_decade(n))
        .map(|(i, &n)| {
            let cost = |r: Route| vs.cost_per_part.of(r)[i];
            let cells: String = Route::ALL
                .iter()
                .map(|&r| num(&cost(r).map(fmt_money).unwrap_or_else(|| "n/a".into())))
                .collect();
            let tooled = match vs.im_variant_tooling[i] {
                Some(VariantTooling::FullCavitySets) => "full cavity sets",
                Some(VariantTooling::ExchangeableInserts) => "exchangeable inserts",
                None => "–",
            };
            let best = cheapest(&Route::ALL.map(|r| (r, cost(r))))
                .map(route_label)
                .unwrap_or("none");
            let mine = if n == c.variants { " (planned)" } else { "" };
            format!(
                "{}{cells}{}{}",
                num(&format!("{n}{mine}")),
                td(tooled),
                td(best)
            )
        })
        .collect();
    let head = [
        Col("variants", true),
        Col(route_label(Route::Am), true),
        Col(route_label(Route::Im), true),
        Col(route_label(Route::Hybrid), true),
        Col("IM tools the variants as", false),
        Col("cheapest", false),
    ];
    format!(
        "<section id=\"variants\"><h2>Cost against variants</h2><p>Each route's cost per part at {} parts/year for 1 to {} personalised variants (designs): pure IM needs a cavity set or an exchangeable insert and a changeover a year for every variant, the hybrid route's rib mold serves all of them with one set, AM prints each part as it comes. {}</p><figure>{}<figcaption>Cost per part against the number of variants at the planned volume, both axes logarithmic; the rings mark where the cheaper route changes, the dashed line the {} variant(s) planned for. The same panel is the third of {}.report.svg and .png.</figcaption></figure><p>Cost per part ({}) at each decade and at the planned count:</p>{}</section>\n",
        short_count(vs.annual_volume),
        short_count(f64::from(vs.variants.last().copied().unwrap_or(1))),
        esc(&turns),
        inline_svg(&svg, &chart::variants_heading(stem)),
        c.variants,
        esc(stem),
        esc(currency),
        table("variants", &head, &rows)
    )
}

/// 1, 10, 100, ...
fn is_decade(n: u32) -> bool {
    let mut k = n;
    while k >= 10 && k.is_multiple_of(10) {
        k /= 10;
    }
    k == 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn decades() {
        let d: Vec<u32> = (1..=1000).filter(|&n| super::is_decade(n)).collect();
        assert_eq!(d, [1, 10, 100, 1000]);
    }
}
