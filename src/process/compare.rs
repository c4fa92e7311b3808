//! The three routes side by side: pure additive (AM), pure injection molding (IM) and the
//! hybrid (printed baseplate, overmolded ribs); cost per part and its parts, time, energy and
//! CO2 at a volume, the sweep over volumes, the break-even volumes and the cheapest route
//! (docs/method.md, "Routes side by side").

use serde::Serialize;

use super::molding::{self, InsertHandling, MoldedShape, MoldingJob, MoldingPlan};
use super::powder::{self, PowderBuild, PowderError, PowderEstimate};
use crate::models::{Economics, FffPrinter, Material, Molding};

/// One printed part as the AM model sees it: machine time, material, labour and energy per
/// part in one build, and the printer's rates. Money in the economics model's currency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PrintRun {
    /// Machine time per part (a share of a build for powder-bed printers), without the
    /// per-build machine time of `build_overhead_s`.
    pub time_per_part_s: f64,
    /// Material used per part (extruded filament, or part plus refreshed powder).
    pub material_mm3_per_part: f64,
    pub price_per_kg: f64,
    pub hourly_rate: f64,
    /// Electric power over `time_per_part_s`.
    pub power_kw: f64,
    /// From the order to the first part off the printer (one part, or one build).
    pub first_part_s: f64,
    /// Parts in one build (1 for FFF: one part a print).
    pub parts_per_build: f64,
    /// Machine time once per build besides `time_per_part_s` (the FFF heat-up).
    pub build_overhead_s: f64,
    /// Energy once per build: the FFF heat-up, the powder-bed job energy.
    pub energy_kwh_per_build: f64,
    /// Operator time once per build (set-up, unpacking) ...
    pub labour_min_per_build: f64,
    /// ... and per part (removal, depowdering).
    pub labour_min_per_part: f64,
    /// Consumables per part: MJF agents, print heads and the like.
    pub consumables_per_part: f64,
    /// For a powder-bed printer, the part and the printer, so that the build is filled by the
    /// volume ([`PrintRun::at_volume`]); `None` for FFF.
    #[serde(skip)]
    pub powder: Option<PowderBuild>,
}

impl PrintRun {
    /// One part a print on an FFF printer: the slicer's print time and extruded volume, plus
    /// the printer's heat-up (machine time and energy) and operator times per print.
    pub fn fff(
        print_time_s: f64,
        extruded_mm3: f64,
        price_per_kg: f64,
        printer: &FffPrinter,
    ) -> PrintRun {
        PrintRun {
            time_per_part_s: print_time_s,
            material_mm3_per_part: extruded_mm3,
            price_per_kg,
            hourly_rate: printer.hourly_rate_eur_h,
            power_kw: printer.power_kw,
            first_part_s: printer.heatup_s + print_time_s,
            parts_per_build: 1.0,
            build_overhead_s: printer.heatup_s,
            energy_kwh_per_build: printer.heatup_power_kw * printer.heatup_s / 3600.0,
            labour_min_per_build: printer.setup_min_per_build,
            labour_min_per_part: printer.removal_min_per_part,
            consumables_per_part: 0.0,
            powder: None,
        }
    }

    /// The powder-bed build of `build` at `annual_volume`: as many parts as one build period
    /// orders (at most a full build), and the estimate of that build.
    pub fn powder(
        build: PowderBuild,
        price_per_kg: f64,
        annual_volume: f64,
        econ: &Economics,
    ) -> Result<(PrintRun, PowderEstimate), PowderError> {
        let full =
            powder::estimate_powder(build.part_volume_mm3, build.part_bbox_mm, &build.printer)?;
        let n = powder::parts_per_build(annual_volume, econ, full.parts_per_build);
        let e = if n == full.parts_per_build {
            full
        } else {
            powder::estimate_powder_build(
                build.part_volume_mm3,
                build.part_bbox_mm,
                &build.printer,
                n,
            )?
        };
        let p = &build.printer;
        let run = PrintRun {
            time_per_part_s: e.time_per_part_s,
            material_mm3_per_part: e.powder_used_mm3_per_part,
            price_per_kg,
            hourly_rate: p.hourly_rate_eur_h,
            power_kw: p.power_kw,
            first_part_s: e.build_time_s + e.cooldown_s,
            parts_per_build: e.parts_per_build as f64,
            build_overhead_s: 0.0,
            energy_kwh_per_build: p.job_energy_kwh,
            labour_min_per_build: p.setup_min_per_build + p.unpack_min_per_build,
            labour_min_per_part: e.depowder_min_per_part,
            consumables_per_part: e.consumables_eur_per_part,
            powder: None,
        };
        Ok((
            PrintRun {
                powder: Some(build),
                ..run
            },
            e,
        ))
    }

    /// This run at `annual_volume`: a powder-bed build refilled with the parts of one build
    /// period; an FFF print as it is.
    ///
    /// The run's own rates, price, operator times and job energy are kept, and its build time
    /// scales the new build's, so that a run changed by a caller (the sensitivity study scales
    /// rates and times) stays changed at every volume; only what the fill changes is new.
    pub fn at_volume(&self, annual_volume: f64, econ: &Economics) -> PrintRun {
        let Some(build) = &self.powder else {
            return self.clone();
        };
        let of = |n: usize| {
            powder::estimate_powder_build(
                build.part_volume_mm3,
                build.part_bbox_mm,
                &build.printer,
                n,
            )
        };
        // The same part and printer packed before; should the packing refuse now, the run
        // as it was serves.
        let Ok(full) = of(usize::MAX) else {
            return self.clone();
        };
        let n = powder::parts_per_build(annual_volume, econ, full.parts_per_build);
        if n as f64 == self.parts_per_build {
            return self.clone();
        }
        let (Ok(own), Ok(e)) = (of(self.parts_per_build as usize), of(n)) else {
            return self.clone();
        };
        let time_scale = self.time_per_part_s / own.time_per_part_s;
        let time_scale = if time_scale.is_finite() && time_scale > 0.0 {
            time_scale
        } else {
            1.0
        };
        PrintRun {
            time_per_part_s: e.time_per_part_s * time_scale,
            material_mm3_per_part: e.powder_used_mm3_per_part,
            first_part_s: e.build_time_s * time_scale + e.cooldown_s,
            parts_per_build: e.parts_per_build as f64,
            consumables_per_part: e.consumables_eur_per_part,
            ..self.clone()
        }
    }

    /// Machine time per part, the per-build time shared by the build's parts included.
    pub fn machine_s_per_part(&self) -> f64 {
        self.time_per_part_s + self.build_overhead_s / self.parts_per_build.max(1.0)
    }
}

/// Cost, time, energy and footprint of one route at one volume, per good part.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteCost {
    pub cost_per_part: f64,
    pub material_cost: f64,
    /// AM consumables besides the material (MJF agents, print heads); 0 for molding.
    pub consumables_cost: f64,
    pub machine_cost: f64,
    pub labour_cost: f64,
    pub energy_cost: f64,
    pub tooling_cost_per_part: f64,
    pub changeover_cost_per_part: f64,
    pub overhead_cost: f64,
    /// Tooling bought over the amortization period (every tool worn out included).
    pub tooling_cost: f64,
    /// The machine cycle: one print, or one molding cycle (all cavities).
    pub cycle_time_s: f64,
    pub parts_per_hour_per_machine: f64,
    /// Good parts a machine makes in the working hours of a year.
    pub parts_per_year_per_machine: f64,
    /// Machines (printers for AM, molding machines otherwise) the annual volume needs.
    pub machines_needed: f64,
    /// The fleet's machines of the route's own kind: printers for AM, molding machines for
    /// IM and hybrid (the user's `--fleet`, or the machines needed).
    pub fleet_machines: f64,
    /// The printers of the fleet (AM: its machines; hybrid: the baseplate printers, the
    /// user's `--fleet-printers` or the printers needed); `None` for IM.
    pub fleet_printers: Option<f64>,
    /// The molding machines of the fleet (IM and hybrid); `None` for AM.
    pub fleet_molding_machines: Option<f64>,
    /// Good parts the fleet makes in a year: the smaller of its steps' capacities (for the
    /// hybrid route, the printers' good inserts and the molding machines' good parts).
    pub fleet_parts_per_year: f64,
    /// Which step of the fleet limits its output ("printers" or "molding machines").
    pub fleet_bottleneck: &'static str,
    /// Printers the hybrid route needs for its baseplates.
    pub printers_needed: Option<f64>,
    /// Good baseplates one printer makes in the working hours of a year (hybrid).
    pub inserts_per_year_per_printer: Option<f64>,
    pub lead_time_h: f64,
    /// Electricity at the machines per part, plus the tool's embodied energy (IM, hybrid).
    pub energy_kwh_per_part: f64,
    /// CO2 per part: electricity, material, and the tool's embodied CO2 (IM, hybrid).
    pub co2_kg_per_part: f64,
    /// Of those, the mold's embodied share, amortised like its cost (0 for AM).
    pub tooling_energy_kwh_per_part: f64,
    pub tooling_co2_kg_per_part: f64,
    /// The molding set-up, for IM and hybrid.
    pub molding: Option<MoldingPlan>,
}

/// Everything the routes need to know of a part.
#[derive(Debug, Clone)]
pub struct RouteInputs<'a> {
    /// The whole part printed (pure AM), in the printed material, or why it cannot be.
    pub am_part: Result<PrintRun, String>,
    /// The baseplate printed (hybrid), with its pores, or why there is none (the reason
    /// becomes the hybrid route's).
    pub am_baseplate: Result<PrintRun, String>,
    /// The whole part molded (pure IM).
    pub part_shape: MoldedShape,
    /// The rib region molded onto the baseplate (hybrid).
    pub rib_shape: MoldedShape,
    pub printed: &'a Material,
    pub molded: &'a Material,
    pub variants: u32,
    pub inserts: InsertHandling,
    /// Machines of each route the user has: printers for AM, molding machines for IM and
    /// hybrid (`None`: as many as the volume needs).
    pub fleet: Option<u32>,
    /// The hybrid route's baseplate printers the user has (`None`: as many as the volume
    /// needs).
    pub fleet_printers: Option<u32>,
}

/// The models the routes use.
#[derive(Debug, Clone, Copy)]
pub struct RouteModels<'a> {
    pub molding: &'a Molding,
    pub economics: &'a Economics,
}

/// Which route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Am,
    Im,
    Hybrid,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Am, Route::Im, Route::Hybrid];

    pub fn name(self) -> &'static str {
        match self {
            Route::Am => "am",
            Route::Im => "im",
            Route::Hybrid => "hybrid",
        }
    }
}

/// The cost of printing one good part by `run` in `material`, before overhead, with the good
/// fraction `good` (parts kept per part printed).
struct PrintCost {
    material: f64,
    consumables: f64,
    machine: f64,
    labour: f64,
    energy_kwh: f64,
    co2_kg: f64,
}

impl PrintCost {
    fn direct(&self, econ: &Economics) -> f64 {
        self.material
            + self.consumables
            + self.machine
            + self.labour
            + self.energy_kwh * econ.electricity_price_per_kwh
    }
}

fn print_cost(run: &PrintRun, material: &Material, econ: &Economics, good: f64) -> PrintCost {
    let mass_kg = run.material_mm3_per_part * 1e-6 * material.density_g_cm3;
    // The per-build terms (heat-up or job energy, set-up and unpacking) are shared by the
    // build's parts (activity-based costing: Ruffo et al. 2006; Baumers et al. 2016).
    let per_build = run.parts_per_build.max(1.0);
    let energy_kwh =
        (run.power_kw * run.time_per_part_s / 3600.0 + run.energy_kwh_per_build / per_build) / good;
    let labour_min = run.labour_min_per_build / per_build + run.labour_min_per_part;
    PrintCost {
        material: mass_kg * run.price_per_kg / good,
        consumables: run.consumables_per_part / good,
        machine: run.hourly_rate * run.machine_s_per_part() / 3600.0 / good,
        labour: labour_min / 60.0 * econ.labour_rate_per_h / good,
        energy_kwh,
        co2_kg: energy_kwh * econ.grid_co2_kg_per_kwh + mass_kg / good * material.co2_kg_per_kg,
    }
}

/// The pure AM route at `annual_volume`.
pub fn am(run: &PrintRun, inputs: &RouteInputs, m: &RouteModels, annual_volume: f64) -> RouteCost {
    let econ = m.economics;
    let good = 1.0 - econ.scrap_am;
    // A powder-bed build holds the parts of one build period at this volume.
    let run = &run.at_volume(annual_volume, econ);
    let p = print_cost(run, inputs.printed, econ, good);
    let energy_cost = p.energy_kwh * econ.electricity_price_per_kwh;
    let direct = p.direct(econ);
    let per_hour = 3600.0 / run.machine_s_per_part();
    RouteCost {
        cost_per_part: direct * (1.0 + econ.overhead_fraction),
        material_cost: p.material,
        consumables_cost: p.consumables,
        machine_cost: p.machine,
        labour_cost: p.labour,
        energy_cost,
        tooling_cost_per_part: 0.0,
        changeover_cost_per_part: 0.0,
        overhead_cost: direct * econ.overhead_fraction,
        tooling_cost: 0.0,
        cycle_time_s: run.machine_s_per_part(),
        parts_per_hour_per_machine: per_hour,
        parts_per_year_per_machine: per_hour * good * econ.working_hours_per_year,
        machines_needed: machines(annual_volume, per_hour * good, econ),
        fleet_machines: 0.0,
        fleet_printers: None,
        fleet_molding_machines: None,
        fleet_parts_per_year: 0.0,
        fleet_bottleneck: "printers",
        printers_needed: None,
        inserts_per_year_per_printer: None,
        lead_time_h: run.first_part_s / 3600.0,
        energy_kwh_per_part: p.energy_kwh,
        co2_kg_per_part: p.co2_kg,
        tooling_energy_kwh_per_part: 0.0,
        tooling_co2_kg_per_part: 0.0,
        molding: None,
    }
}

fn machines(annual_volume: f64, good_per_hour: f64, econ: &Economics) -> f64 {
    (annual_volume / (good_per_hour * econ.working_hours_per_year))
        .ceil()
        .max(1.0)
}

fn from_molding(plan: MoldingPlan, econ: &Economics) -> RouteCost {
    let direct = plan.direct_cost();
    RouteCost {
        cost_per_part: direct * (1.0 + econ.overhead_fraction),
        material_cost: plan.material_cost,
        consumables_cost: 0.0,
        machine_cost: plan.machine_cost,
        labour_cost: plan.labour_cost,
        energy_cost: plan.energy_cost,
        tooling_cost_per_part: plan.tooling_cost_per_part,
        changeover_cost_per_part: plan.changeover_cost_per_part,
        overhead_cost: direct * econ.overhead_fraction,
        tooling_cost: plan.tool.tool_cost * plan.tool.tools_needed,
        cycle_time_s: plan.cycle.total_s,
        parts_per_hour_per_machine: plan.parts_per_hour_per_machine,
        parts_per_year_per_machine: plan.parts_per_hour_per_machine
            * (1.0 - econ.scrap_im)
            * econ.working_hours_per_year,
        machines_needed: plan.machines_needed,
        fleet_machines: 0.0,
        fleet_printers: None,
        fleet_molding_machines: None,
        fleet_parts_per_year: 0.0,
        fleet_bottleneck: "molding machines",
        printers_needed: None,
        inserts_per_year_per_printer: None,
        lead_time_h: plan.tool.lead_time_days * 24.0 + plan.cycle.total_s / 3600.0,
        energy_kwh_per_part: plan.energy_kwh + plan.tooling_energy_kwh,
        co2_kg_per_part: plan.co2_kg,
        tooling_energy_kwh_per_part: plan.tooling_energy_kwh,
        tooling_co2_kg_per_part: plan.tooling_co2_kg,
        molding: Some(plan),
    }
}

/// The pure IM route: the whole part, one set of cavities (full, or an exchangeable insert)
/// per personalised variant.
pub fn im(
    inputs: &RouteInputs,
    m: &RouteModels,
    annual_volume: f64,
) -> Result<RouteCost, molding::MoldingError> {
    let job = MoldingJob {
        shape: &inputs.part_shape,
        material: inputs.molded,
        annual_volume,
        cavity_sets: inputs.variants.max(1),
        inserts: None,
    };
    let plan = molding::plan(&job, m.molding, m.economics)?;
    Ok(from_molding(plan, m.economics))
}

/// The hybrid route: the baseplate printed per part (inserts lost to insert or molding scrap
/// are paid for), placed in a rib-only mold that serves every variant and overmolded.
pub fn hybrid(
    run: &PrintRun,
    inputs: &RouteInputs,
    m: &RouteModels,
    annual_volume: f64,
) -> Result<RouteCost, molding::MoldingError> {
    let econ = m.economics;
    let job = MoldingJob {
        shape: &inputs.rib_shape,
        material: inputs.molded,
        annual_volume,
        cavity_sets: 1,
        inserts: Some(inputs.inserts),
    };
    let plan = molding::plan(&job, m.molding, econ)?;
    let good_insert = (1.0 - econ.scrap_insert) * (1.0 - econ.scrap_im);
    // Baseplates printed on a powder-bed printer fill its builds by this volume.
    let run = &run.at_volume(annual_volume, econ);
    let p = print_cost(run, inputs.printed, econ, good_insert);
    let mut r = from_molding(plan, econ);
    let print_energy_cost = p.energy_kwh * econ.electricity_price_per_kwh;
    let print_direct = p.direct(econ);
    r.material_cost += p.material;
    r.consumables_cost += p.consumables;
    r.machine_cost += p.machine;
    r.labour_cost += p.labour;
    r.energy_cost += print_energy_cost;
    r.overhead_cost += print_direct * econ.overhead_fraction;
    r.cost_per_part += print_direct * (1.0 + econ.overhead_fraction);
    r.energy_kwh_per_part += p.energy_kwh;
    r.co2_kg_per_part += p.co2_kg;
    let inserts_per_hour = 3600.0 / run.machine_s_per_part() * good_insert;
    r.printers_needed = Some(machines(annual_volume, inserts_per_hour, econ));
    r.inserts_per_year_per_printer = Some(inserts_per_hour * econ.working_hours_per_year);
    // The rib mold and the first baseplate are made side by side.
    let tool_h = r.lead_time_h - r.cycle_time_s / 3600.0;
    r.lead_time_h = tool_h.max(run.first_part_s / 3600.0) + r.cycle_time_s / 3600.0;
    Ok(r)
}

/// A route's cost, or why it is not available for this part.
pub fn route(
    route: Route,
    inputs: &RouteInputs,
    m: &RouteModels,
    annual_volume: f64,
) -> Result<RouteCost, String> {
    let mut r = match route {
        Route::Am => {
            let run = inputs.am_part.as_ref().map_err(|why| why.clone())?;
            Ok(am(run, inputs, m, annual_volume))
        }
        Route::Im => im(inputs, m, annual_volume).map_err(|e| e.to_string()),
        Route::Hybrid => {
            let run = inputs.am_baseplate.as_ref().map_err(|why| why.clone())?;
            hybrid(run, inputs, m, annual_volume).map_err(|e| e.to_string())
        }
    }?;
    // The fleet makes what its slowest step lets through: every step's machines times their
    // yearly output, the smallest of them.
    r.fleet_machines = inputs.fleet.map(f64::from).unwrap_or(r.machines_needed);
    let own = r.fleet_machines * r.parts_per_year_per_machine;
    r.fleet_parts_per_year = own;
    match route {
        Route::Am => r.fleet_printers = Some(r.fleet_machines),
        Route::Im => r.fleet_molding_machines = Some(r.fleet_machines),
        Route::Hybrid => {
            r.fleet_molding_machines = Some(r.fleet_machines);
            let printers = inputs
                .fleet_printers
                .map(f64::from)
                .or(r.printers_needed)
                .unwrap_or(1.0);
            r.fleet_printers = Some(printers);
            let inserts = printers * r.inserts_per_year_per_printer.unwrap_or(0.0);
            if inserts < own {
                r.fleet_parts_per_year = inserts;
                r.fleet_bottleneck = "printers";
            }
        }
    }
    Ok(r)
}

/// The cost per part of each route over a sweep of annual volumes, and its energy and CO2.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    pub volumes: Vec<f64>,
    /// Per route, in [`Route::ALL`] order; `None` where the route is not available.
    pub am: Vec<Option<f64>>,
    pub im: Vec<Option<f64>>,
    pub hybrid: Vec<Option<f64>>,
    /// Energy (kWh) per part of each route at the same volumes.
    pub energy_kwh: RouteSeries,
    /// CO2 (kg) per part of each route at the same volumes.
    pub co2_kg: RouteSeries,
}

/// One figure per volume of the sweep for each route.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RouteSeries {
    pub am: Vec<Option<f64>>,
    pub im: Vec<Option<f64>>,
    pub hybrid: Vec<Option<f64>>,
}

impl RouteSeries {
    pub fn of(&self, r: Route) -> &[Option<f64>] {
        match r {
            Route::Am => &self.am,
            Route::Im => &self.im,
            Route::Hybrid => &self.hybrid,
        }
    }
}

/// What two routes are compared by: their cost or their CO2 per part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Cost,
    Co2,
}

impl Metric {
    fn of(self, r: &RouteCost) -> f64 {
        match self {
            Metric::Cost => r.cost_per_part,
            Metric::Co2 => r.co2_kg_per_part,
        }
    }
}

/// Log-spaced annual volumes from the economics model's sweep range.
pub fn sweep_volumes(econ: &Economics) -> Vec<f64> {
    let (lo, hi) = (econ.sweep_min_volume.log10(), econ.sweep_max_volume.log10());
    let steps = ((hi - lo) * econ.sweep_points_per_decade as f64)
        .ceil()
        .max(1.0) as usize;
    (0..=steps)
        .map(|i| 10f64.powf(lo + (hi - lo) * i as f64 / steps as f64))
        .collect()
}

fn value(
    metric: Metric,
    route_: Route,
    inputs: &RouteInputs,
    m: &RouteModels,
    v: f64,
) -> Option<f64> {
    route(route_, inputs, m, v).ok().map(|r| metric.of(&r))
}

/// Costs, energy and CO2 of every route over the sweep.
pub fn sweep(inputs: &RouteInputs, m: &RouteModels) -> Sweep {
    sweep_with(sweep_volumes(m.economics), |r, v| {
        route(r, inputs, m, v).ok()
    })
}

/// The sweep over `volumes` of the routes `at` costs (`None` where a route is not
/// available): each route is costed once a volume, and every series is read off that.
pub fn sweep_with(volumes: Vec<f64>, at: impl Fn(Route, f64) -> Option<RouteCost>) -> Sweep {
    let runs: Vec<[Option<RouteCost>; 3]> = volumes
        .iter()
        .map(|&v| Route::ALL.map(|r| at(r, v)))
        .collect();
    let series = |f: &dyn Fn(&RouteCost) -> f64| {
        let of = |i: usize| runs.iter().map(|rs| rs[i].as_ref().map(f)).collect();
        RouteSeries {
            am: of(0),
            im: of(1),
            hybrid: of(2),
        }
    };
    let cost = series(&|r| r.cost_per_part);
    Sweep {
        am: cost.am,
        im: cost.im,
        hybrid: cost.hybrid,
        energy_kwh: series(&|r| r.energy_kwh_per_part),
        co2_kg: series(&|r| r.co2_kg_per_part),
        volumes,
    }
}

impl Sweep {
    pub fn costs(&self, r: Route) -> &[Option<f64>] {
        match r {
            Route::Am => &self.am,
            Route::Im => &self.im,
            Route::Hybrid => &self.hybrid,
        }
    }

    /// The figures of `metric` for route `r` along the sweep.
    pub fn values(&self, metric: Metric, r: Route) -> &[Option<f64>] {
        match metric {
            Metric::Cost => self.costs(r),
            Metric::Co2 => self.co2_kg.of(r),
        }
    }
}

/// The lowest annual volume in the sweep's range at which routes `a` and `b` cost the same
/// per part: the first change of sign of their difference along the sweep, refined by
/// bisection in log volume. `None` where they do not cross in the range.
pub fn break_even(
    a: Route,
    b: Route,
    sweep: &Sweep,
    inputs: &RouteInputs,
    m: &RouteModels,
) -> Option<f64> {
    break_even_by(Metric::Cost, a, b, sweep, inputs, m)
}

/// [`break_even`] by `metric`: by CO2, the volume at which the two routes emit the same per
/// part (the environmental break-even).
pub fn break_even_by(
    metric: Metric,
    a: Route,
    b: Route,
    sweep: &Sweep,
    inputs: &RouteInputs,
    m: &RouteModels,
) -> Option<f64> {
    let diff = |i: usize| -> Option<f64> {
        Some(sweep.values(metric, a)[i]? - sweep.values(metric, b)[i]?)
    };
    for i in 1..sweep.volumes.len() {
        let (Some(d0), Some(d1)) = (diff(i - 1), diff(i)) else {
            continue;
        };
        if d0 == 0.0 {
            return Some(sweep.volumes[i - 1]);
        }
        if d0.signum() != d1.signum() {
            let (mut lo, mut hi) = (sweep.volumes[i - 1].ln(), sweep.volumes[i].ln());
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                let v = mid.exp();
                let d = match (
                    value(metric, a, inputs, m, v),
                    value(metric, b, inputs, m, v),
                ) {
                    (Some(x), Some(y)) => x - y,
                    _ => break,
                };
                if d.signum() == d0.signum() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Some((0.5 * (lo + hi)).exp());
        }
    }
    None
}

/// The cheapest available route among `costs` (in [`Route::ALL`] order).
pub fn cheapest(costs: &[(Route, Option<f64>)]) -> Option<Route> {
    costs
        .iter()
        .filter_map(|&(r, c)| c.map(|c| (r, c)))
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(r, _)| r)
}
