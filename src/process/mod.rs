//! Process models: how long a part takes and what it costs by each route (additive, molding,
//! hybrid), from the geometry the split measured and the data in `models/`. Imports `mesh`
//! and `models` only.

pub mod compare;
pub mod fff;
pub mod molding;
pub mod powder;
pub mod sensitivity;
pub mod variants;

use serde::Serialize;

use compare::{Metric, Route, RouteCost, RouteInputs, RouteModels, Sweep};

/// A route at the user's volume: its costs, or why it cannot make this part.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RouteResult {
    Available(Box<RouteCost>),
    Unavailable { available: bool, reason: String },
}

impl RouteResult {
    pub fn cost(&self) -> Option<&RouteCost> {
        match self {
            RouteResult::Available(c) => Some(c),
            RouteResult::Unavailable { .. } => None,
        }
    }
}

/// The three routes at one volume.
#[derive(Debug, Clone, Serialize)]
pub struct Routes {
    pub am: RouteResult,
    pub im: RouteResult,
    pub hybrid: RouteResult,
}

impl Routes {
    /// The three routes, each costed by `cost` or unavailable with its reason.
    pub fn of(cost: impl Fn(Route) -> Result<RouteCost, String>) -> Routes {
        let at = |r: Route| match cost(r) {
            Ok(c) => RouteResult::Available(Box::new(c)),
            Err(reason) => RouteResult::Unavailable {
                available: false,
                reason,
            },
        };
        Routes {
            am: at(Route::Am),
            im: at(Route::Im),
            hybrid: at(Route::Hybrid),
        }
    }

    pub fn get(&self, r: Route) -> &RouteResult {
        match r {
            Route::Am => &self.am,
            Route::Im => &self.im,
            Route::Hybrid => &self.hybrid,
        }
    }
}

/// Break-even annual volumes of each pair of routes; `None` where the costs do not cross in
/// the sweep's range.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BreakEvens {
    pub am_im: Option<f64>,
    pub am_hybrid: Option<f64>,
    pub hybrid_im: Option<f64>,
}

impl BreakEvens {
    /// The same volumes times `years`: the total quantity made over the amortization period.
    pub fn times(&self, years: f64) -> BreakEvens {
        BreakEvens {
            am_im: self.am_im.map(|v| v * years),
            am_hybrid: self.am_hybrid.map(|v| v * years),
            hybrid_im: self.hybrid_im.map(|v| v * years),
        }
    }
}

/// The comparison at the user's volume and across the sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub annual_volume: f64,
    pub variants: u32,
    pub routes: Routes,
    /// Parts a year, each year of the amortization period (tooling is paid off over
    /// `amortization_years` of the annual volume).
    pub break_even_volumes: BreakEvens,
    /// The years the tooling (and its embodied CO2) is spread over.
    pub amortization_years: f64,
    /// The break-even volumes times the years: the total quantity over the period.
    pub break_even_total_quantities: BreakEvens,
    /// Parts a year at which the routes' CO2 per part is the same (the environmental
    /// break-even), over the same period.
    pub co2_break_even_volumes: BreakEvens,
    pub co2_break_even_total_quantities: BreakEvens,
    /// The cheapest route at the user's volume.
    pub best_route: Option<Route>,
    pub sweep: Sweep,
    /// Cost per part of each route against the number of variants at `annual_volume`
    /// ([`variants::variant_sweep`]); `None` where it was not computed (a family's
    /// comparison, whose variants are its members).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_sweep: Option<variants::VariantSweep>,
}

/// Compares the routes for `inputs` at `annual_volume` and over the sweep.
pub fn compare_routes(
    inputs: &RouteInputs,
    models: &RouteModels,
    annual_volume: f64,
) -> Comparison {
    let routes = Routes::of(|r| compare::route(r, inputs, models, annual_volume));
    let sweep = compare::sweep(inputs, models);
    let variant_sweep = variants::variant_sweep(inputs, models, annual_volume);
    let be = |a, b| compare::break_even(a, b, &sweep, inputs, models);
    let co2 = |a, b| compare::break_even_by(Metric::Co2, a, b, &sweep, inputs, models);
    let years = models.economics.amortization_years;
    let break_even_volumes = BreakEvens {
        am_im: be(Route::Am, Route::Im),
        am_hybrid: be(Route::Am, Route::Hybrid),
        hybrid_im: be(Route::Hybrid, Route::Im),
    };
    let co2_break_even_volumes = BreakEvens {
        am_im: co2(Route::Am, Route::Im),
        am_hybrid: co2(Route::Am, Route::Hybrid),
        hybrid_im: co2(Route::Hybrid, Route::Im),
    };
    let costs: Vec<(Route, Option<f64>)> = Route::ALL
        .iter()
        .map(|&r| (r, routes.get(r).cost().map(|c| c.cost_per_part)))
        .collect();
    Comparison {
        annual_volume,
        variants: inputs.variants,
        best_route: compare::cheapest(&costs),
        break_even_volumes,
        amortization_years: years,
        break_even_total_quantities: break_even_volumes.times(years),
        co2_break_even_volumes,
        co2_break_even_total_quantities: co2_break_even_volumes.times(years),
        routes,
        sweep,
        variant_sweep: Some(variant_sweep),
    }
}

impl Comparison {
    /// Takes `route` out of the comparison: unavailable with `reason` (a check found that it
    /// cannot make the part as planned), no costs in the sweep, no break-evens with it, and
    /// the cheapest route chosen among the others.
    pub fn withdraw(&mut self, route: Route, reason: String) {
        let gone = RouteResult::Unavailable {
            available: false,
            reason,
        };
        let be = &mut self.break_even_volumes;
        match route {
            Route::Am => {
                self.routes.am = gone;
                self.sweep.am.iter_mut().for_each(|c| *c = None);
                be.am_im = None;
                be.am_hybrid = None;
            }
            Route::Im => {
                self.routes.im = gone;
                self.sweep.im.iter_mut().for_each(|c| *c = None);
                be.am_im = None;
                be.hybrid_im = None;
            }
            Route::Hybrid => {
                self.routes.hybrid = gone;
                self.sweep.hybrid.iter_mut().for_each(|c| *c = None);
                be.am_hybrid = None;
                be.hybrid_im = None;
            }
        }
        if let Some(v) = &mut self.variant_sweep {
            v.withdraw(route);
        }
        let costs: Vec<(Route, Option<f64>)> = Route::ALL
            .iter()
            .map(|&r| (r, self.routes.get(r).cost().map(|c| c.cost_per_part)))
            .collect();
        self.best_route = compare::cheapest(&costs);
    }
}
