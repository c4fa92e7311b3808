//! Which assumption moves the verdict most: each input that decides the comparison (labour,
//! machine rates, mold cost, material prices, print time, volume) is changed by a factor
//! (±25 % by default) with everything else held, and the break-even volumes and the cheapest
//! route at the user's volume are computed again (docs/method.md, "Sensitivity").
//!
//! A one-at-a-time study, as cost-model sensitivity analyses in the AM literature present
//! them (a tornado chart of the inputs against the output's change); it does not capture
//! interactions, which is why it reports each input's effect on its own and says so.

use serde::Serialize;

use super::compare::{PrintRun, Route, RouteInputs, RouteModels};
use super::{BreakEvens, Comparison, compare_routes};
use crate::models::{Economics, Material, Molding};

/// An input the study changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// Operator time of printing: per build (set-up, unpacking) and per part (removal,
    /// depowdering), of the whole part and of the baseplate.
    AmHandling,
    /// The labour rate of every route (`labour_rate_per_h`).
    LabourRate,
    /// The printers' hourly rate (the whole part and the baseplate).
    PrinterRate,
    /// Every molding machine class's hourly rate.
    MoldingMachineRate,
    /// The mold's cost: every money term of the tooling model.
    MoldCost,
    /// The printed material's price (filament or powder).
    PrintedMaterialPrice,
    /// The molded material's price (granulate).
    MoldedMaterialPrice,
    /// The print time of the whole part and of the baseplate.
    PrintTime,
    /// The annual volume (moves the cheapest route only: break-evens do not depend on it).
    AnnualVolume,
}

impl Input {
    pub const ALL: [Input; 9] = [
        Input::AmHandling,
        Input::LabourRate,
        Input::PrinterRate,
        Input::MoldingMachineRate,
        Input::MoldCost,
        Input::PrintedMaterialPrice,
        Input::MoldedMaterialPrice,
        Input::PrintTime,
        Input::AnnualVolume,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Input::AmHandling => "AM handling time",
            Input::LabourRate => "labour rate",
            Input::PrinterRate => "printer hourly rate",
            Input::MoldingMachineRate => "molding machine rate",
            Input::MoldCost => "mold cost",
            Input::PrintedMaterialPrice => "printed material price",
            Input::MoldedMaterialPrice => "molded material price",
            Input::PrintTime => "print time",
            Input::AnnualVolume => "annual volume",
        }
    }
}

/// The comparison's verdict: what the study watches.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Verdict {
    pub break_even_volumes: BreakEvens,
    pub best_route: Option<Route>,
}

impl Verdict {
    fn of(c: &Comparison) -> Self {
        Verdict {
            break_even_volumes: c.break_even_volumes,
            best_route: c.best_route,
        }
    }
}

/// One input changed down and up.
#[derive(Debug, Clone, Serialize)]
pub struct SensitivityRow {
    pub input: Input,
    pub label: &'static str,
    /// The verdict with the input times `1 - change` and `1 + change`.
    pub low: Verdict,
    pub high: Verdict,
    /// The largest move of a break-even volume, as a factor (1.4 = 40 % up or down, whichever
    /// is larger); infinite where a break-even appears or disappears in the sweep's range.
    pub largest_break_even_factor: f64,
    /// Whether the cheapest route at the user's volume changes at either end.
    pub best_route_changes: bool,
}

/// The whole study.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// The relative change applied to each input (0.25 = ±25 %).
    pub change: f64,
    pub base: Verdict,
    /// Sorted by effect: rows that change the cheapest route first, then by the largest move
    /// of a break-even.
    pub rows: Vec<SensitivityRow>,
}

/// The models and inputs of one perturbed comparison, owned so they can be changed.
struct Perturbed {
    am_part: Result<PrintRun, String>,
    am_baseplate: Result<PrintRun, String>,
    molded: Material,
    molding: Molding,
    economics: Economics,
    volume: f64,
}

/// Scales every money term of the tooling model by `f`, so the mold's cost scales by `f`
/// whatever its size (the test below checks it on a tool).
pub fn scale_tool_cost(molding: &mut Molding, f: f64) {
    let t = &mut molding.tooling;
    t.mold_base_fixed *= f;
    t.mold_base_area_coeff *= f;
    t.toolmaker_rate_per_h *= f;
    t.aluminium.material_per_cm3 *= f;
    t.steel.material_per_cm3 *= f;
    t.quick_change.frame_cost *= f;
}

fn perturb(input: Input, f: f64, base: &Perturbed) -> Perturbed {
    let mut p = Perturbed {
        am_part: base.am_part.clone(),
        am_baseplate: base.am_baseplate.clone(),
        molded: base.molded.clone(),
        molding: base.molding.clone(),
        economics: base.economics.clone(),
        volume: base.volume,
    };
    let runs = |p: &mut Perturbed, g: &dyn Fn(&mut PrintRun)| {
        for r in [&mut p.am_part, &mut p.am_baseplate].into_iter().flatten() {
            g(r);
        }
    };
    match input {
        Input::AmHandling => runs(&mut p, &|r| {
            r.labour_min_per_build *= f;
            r.labour_min_per_part *= f;
        }),
        Input::LabourRate => p.economics.labour_rate_per_h *= f,
        Input::PrinterRate => runs(&mut p, &|r| r.hourly_rate *= f),
        Input::MoldingMachineRate => {
            for m in &mut p.molding.machines {
                m.hourly_rate *= f;
            }
        }
        Input::MoldCost => scale_tool_cost(&mut p.molding, f),
        Input::PrintedMaterialPrice => runs(&mut p, &|r| r.price_per_kg *= f),
        Input::MoldedMaterialPrice => p.molded.price_per_kg *= f,
        Input::PrintTime => runs(&mut p, &|r| r.time_per_part_s *= f),
        Input::AnnualVolume => p.volume *= f,
    }
    p
}

fn verdict(p: &Perturbed, inputs: &RouteInputs, withdrawn: &[(Route, String)]) -> Verdict {
    let changed = RouteInputs {
        am_part: p.am_part.clone(),
        am_baseplate: p.am_baseplate.clone(),
        molded: &p.molded,
        ..inputs.clone()
    };
    let models = RouteModels {
        molding: &p.molding,
        economics: &p.economics,
    };
    let mut c = compare_routes(&changed, &models, p.volume);
    for (route, reason) in withdrawn {
        c.withdraw(*route, reason.clone());
    }
    Verdict::of(&c)
}

/// The factor by which break-even `x` moved from `base`: 1 where both are absent, infinite
/// where one of them is.
fn moved(base: Option<f64>, x: Option<f64>) -> f64 {
    match (base, x) {
        (None, None) => 1.0,
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => (a / b).max(b / a),
        _ => f64::INFINITY,
    }
}

fn largest_move(base: &BreakEvens, x: &BreakEvens) -> f64 {
    [
        moved(base.am_im, x.am_im),
        moved(base.am_hybrid, x.am_hybrid),
        moved(base.hybrid_im, x.hybrid_im),
    ]
    .into_iter()
    .fold(1.0, f64::max)
}

/// Studies how far the verdict of `base` (the comparison of `inputs` under `models` at
/// `annual_volume`, with the routes of `withdrawn` taken out as the moldability checks do)
/// moves when each input changes by `change` (0.25 = ±25 %).
pub fn sensitivity(
    inputs: &RouteInputs,
    models: &RouteModels,
    annual_volume: f64,
    base: &Comparison,
    withdrawn: &[(Route, String)],
    change: f64,
) -> Sensitivity {
    let start = Perturbed {
        am_part: inputs.am_part.clone(),
        am_baseplate: inputs.am_baseplate.clone(),
        molded: inputs.molded.clone(),
        molding: models.molding.clone(),
        economics: models.economics.clone(),
        volume: annual_volume,
    };
    let base = Verdict::of(base);
    let mut rows: Vec<SensitivityRow> = Input::ALL
        .iter()
        .map(|&input| {
            let low = verdict(&perturb(input, 1.0 - change, &start), inputs, withdrawn);
            let high = verdict(&perturb(input, 1.0 + change, &start), inputs, withdrawn);
            SensitivityRow {
                input,
                label: input.name(),
                largest_break_even_factor: largest_move(
                    &base.break_even_volumes,
                    &low.break_even_volumes,
                )
                .max(largest_move(
                    &base.break_even_volumes,
                    &high.break_even_volumes,
                )),
                best_route_changes: low.best_route != base.best_route
                    || high.best_route != base.best_route,
                low,
                high,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.best_route_changes.cmp(&a.best_route_changes).then(
            b.largest_break_even_factor
                .total_cmp(&a.largest_break_even_factor),
        )
    });
    Sensitivity { change, base, rows }
}
