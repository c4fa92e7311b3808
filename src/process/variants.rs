//! The routes against the number of personalised variants, at the user's annual volume: pure
//! IM carries a cavity set (or an exchangeable insert) and a changeover a year for every
//! variant, the hybrid route's rib mold serves them all with one set, and AM prints each
//! part as it comes. Every point is costed by [`compare::route`] with `variants` set to the
//! point's count, so it is what `estimate --variants N` reports for that count
//! (docs/method.md, "Cost against variants").

use serde::Serialize;

use super::BreakEvens;
use super::compare::{self, Route, RouteInputs, RouteModels, RouteSeries};
use super::molding::VariantTooling;

/// Decades of variants the sweep covers at least (1 to 1,000): beyond the catalogues of
/// personalised products the hybrid route is meant for, and far enough for pure IM's tooling
/// to overtake its piece cost.
const MIN_DECADES: i32 = 3;
/// Points a decade before rounding to whole variant counts (as the volume sweep's default).
const POINTS_PER_DECADE: u32 = 10;

/// Cost per part of each route at one annual volume over a range of variant counts.
#[derive(Debug, Clone, Serialize)]
pub struct VariantSweep {
    /// The annual volume every point is costed at (the user's).
    pub annual_volume: f64,
    /// Whole variant counts, ascending, from 1 to a power of ten (at least 1,000 and at
    /// least the user's count, which is always one of them).
    pub variants: Vec<u32>,
    /// Cost per part of each route at each count; `None` where the route is not available.
    pub cost_per_part: RouteSeries,
    /// Tooling bought over the amortization period, the same way.
    pub tooling_cost: RouteSeries,
    /// How pure IM tools the variants at each count (full cavity sets or exchangeable
    /// inserts, the cheaper), `None` where IM is not available.
    pub im_variant_tooling: Vec<Option<VariantTooling>>,
    /// The fewest variants at which the cheaper of two routes has changed from the one
    /// cheaper at a single variant (a whole count, exact: found by bisection over the
    /// counts); `None` where the order does not change in the range.
    pub break_even_variants: BreakEvens,
}

/// The variant counts of the sweep: about ten a decade, rounded to whole counts, from 1 up to
/// the power of ten at or above both 1,000 and `user` (`user` included).
pub fn variant_counts(user: u32) -> Vec<u32> {
    let top = (f64::from(user.max(1)).log10().ceil() as i32).max(MIN_DECADES);
    let steps = top as u32 * POINTS_PER_DECADE;
    let mut counts: Vec<u32> = (0..=steps)
        .map(|i| {
            10f64
                .powf(f64::from(i) / f64::from(POINTS_PER_DECADE))
                .round() as u32
        })
        .chain([user.max(1)])
        .collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// The routes of `inputs` at `annual_volume` over [`variant_counts`] of `inputs.variants`.
pub fn variant_sweep(inputs: &RouteInputs, m: &RouteModels, annual_volume: f64) -> VariantSweep {
    let counts = variant_counts(inputs.variants);
    let at = |n: u32, r: Route| {
        let with_n = RouteInputs {
            variants: n,
            ..inputs.clone()
        };
        compare::route(r, &with_n, m, annual_volume).ok()
    };
    let runs: Vec<[Option<compare::RouteCost>; 3]> = counts
        .iter()
        .map(|&n| Route::ALL.map(|r| at(n, r)))
        .collect();
    let series = |f: &dyn Fn(&compare::RouteCost) -> f64| {
        let of = |i: usize| runs.iter().map(|rs| rs[i].as_ref().map(f)).collect();
        RouteSeries {
            am: of(0),
            im: of(1),
            hybrid: of(2),
        }
    };
    let cost_per_part = series(&|r| r.cost_per_part);
    let cost_of = |r: Route, n: u32| at(n, r).map(|c| c.cost_per_part);
    let be = |a: Route, b: Route| {
        break_even_variants(&counts, cost_per_part.of(a), cost_per_part.of(b), |n| {
            Some(cost_of(a, n)? - cost_of(b, n)?)
        })
    };
    let break_even_variants = BreakEvens {
        am_im: be(Route::Am, Route::Im),
        am_hybrid: be(Route::Am, Route::Hybrid),
        hybrid_im: be(Route::Hybrid, Route::Im),
    };
    VariantSweep {
        annual_volume,
        im_variant_tooling: runs
            .iter()
            .map(|rs| {
                rs[1]
                    .as_ref()
                    .and_then(|c| c.molding.as_ref())
                    .map(|p| p.tool.variant_tooling)
            })
            .collect(),
        tooling_cost: series(&|r| r.tooling_cost),
        cost_per_part,
        break_even_variants,
        variants: counts,
    }
}

/// The fewest variants at which `a - b` has changed sign from its sign at the first count:
/// the first change along the sweep (`a`, `b` its costs at `counts`), then bisection over
/// the whole counts between the two points with `diff` (a - b at a count). `None` where the
/// sign does not change.
fn break_even_variants(
    counts: &[u32],
    a: &[Option<f64>],
    b: &[Option<f64>],
    diff: impl Fn(u32) -> Option<f64>,
) -> Option<f64> {
    let d = |i: usize| Some(a[i]? - b[i]?);
    for i in 1..counts.len() {
        let (Some(d0), Some(d1)) = (d(i - 1), d(i)) else {
            continue;
        };
        if d0 == 0.0 {
            return Some(f64::from(counts[i - 1]));
        }
        if d1 == 0.0 || d0.signum() != d1.signum() {
            // Invariant: the sign at `lo` is d0's, at `hi` it is not (or the difference is 0).
            let (mut lo, mut hi) = (counts[i - 1], counts[i]);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                match diff(mid) {
                    Some(x) if x != 0.0 && x.signum() == d0.signum() => lo = mid,
                    Some(_) => hi = mid,
                    None => break,
                }
            }
            return Some(f64::from(hi));
        }
    }
    None
}

impl VariantSweep {
    /// Takes `route` out: no costs, no break-evens with it.
    pub fn withdraw(&mut self, route: Route) {
        let clear = |s: &mut RouteSeries| match route {
            Route::Am => s.am.iter_mut().for_each(|c| *c = None),
            Route::Im => s.im.iter_mut().for_each(|c| *c = None),
            Route::Hybrid => s.hybrid.iter_mut().for_each(|c| *c = None),
        };
        clear(&mut self.cost_per_part);
        clear(&mut self.tooling_cost);
        let be = &mut self.break_even_variants;
        match route {
            Route::Am => {
                be.am_im = None;
                be.am_hybrid = None;
            }
            Route::Im => {
                self.im_variant_tooling.iter_mut().for_each(|t| *t = None);
                be.am_im = None;
                be.hybrid_im = None;
            }
            Route::Hybrid => {
                be.am_hybrid = None;
                be.hybrid_im = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_whole_log_spaced_and_hold_the_users() {
        let c = variant_counts(1);
        // 10^(i/10) rounded: 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, ...
        assert_eq!(&c[..12], &[1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25]);
        assert_eq!(*c.last().unwrap(), 1000);
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        // 7 is no point of its own: it is added; 4,500 raises the top to 10,000.
        assert!(variant_counts(7).contains(&7));
        let big = variant_counts(4500);
        assert!(big.contains(&4500));
        assert_eq!(*big.last().unwrap(), 10_000);
        assert_eq!(
            *variant_counts(1_000_000_000).last().unwrap(),
            1_000_000_000
        );
    }

    #[test]
    fn break_even_is_the_first_count_past_the_turn() {
        // a - b = n - 37.5: negative up to 37, positive from 38.
        let counts = [1u32, 10, 100];
        let a: Vec<Option<f64>> = counts.iter().map(|&n| Some(f64::from(n))).collect();
        let b = vec![Some(37.5); 3];
        let diff = |n: u32| Some(f64::from(n) - 37.5);
        assert_eq!(break_even_variants(&counts, &a, &b, diff), Some(38.0));
        // Equal at 40: the turn is at 40 itself.
        let b40 = vec![Some(40.0); 3];
        let diff40 = |n: u32| Some(f64::from(n) - 40.0);
        assert_eq!(break_even_variants(&counts, &a, &b40, diff40), Some(40.0));
        // Never crossing.
        let b0 = vec![Some(0.5); 3];
        assert_eq!(break_even_variants(&counts, &a, &b0, |_| Some(1.0)), None);
    }
}
