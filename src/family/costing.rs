//! The family's routes: pure AM prints every member; pure IM molds every distinct member in
//! one tool with a cavity set each (through `process::compare`'s variants, so that whatever
//! the IM route does for variants applies); the hybrid route has one rib mold per group and
//! prints every member's own baseplate.
//!
//! Each member is estimated as `estimate` estimates it, at its own volume, with its mold's
//! lattice in its baseplate; the family's cost per part is the volume-weighted mean of its
//! members' costs, each route costed at the volume its tooling is shared over: AM at the
//! member's own volume (no tooling), IM at the family's (one tool), the hybrid route at its
//! mold's group's (one rib mold per group, holding every plate of the group).

use nalgebra::{Isometry3, Point3, Vector3};
use rayon::prelude::*;
use serde::Serialize;

use super::plate::Lattices;
use super::{FamilyOptions, MemberRow, MemberSpec, MoldRow, Split};
use crate::models::{Economics, Material};
use crate::plan::{self, EstimateOptions};
use crate::process::compare::{self, Route, RouteCost, RouteInputs, RouteModels};
use crate::process::molding::MoldedShape;
use crate::process::{BreakEvens, Comparison, Routes};

/// A member's own figures.
#[derive(Debug, Clone, Serialize)]
pub struct MemberCost {
    pub baseplate_print_time_s: Option<f64>,
    /// The baseplate's share of the hybrid cost per part (print, material, labour, energy,
    /// overhead; the molding left out).
    pub baseplate_cost_per_part: Option<f64>,
    /// The rib mold's share of the hybrid cost per part (molding, tooling, overhead): the
    /// same for every member of a mold.
    pub hybrid_molding_cost_per_part: Option<f64>,
    pub am_print_time_s: Option<f64>,
    /// This member's cost per part by each route, in the family's set-up.
    pub am_cost_per_part: Option<f64>,
    pub im_cost_per_part: Option<f64>,
    pub hybrid_cost_per_part: Option<f64>,
}

/// The family's routes.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyCosts {
    pub currency: String,
    pub annual_volume: f64,
    /// Distinct whole parts (the cavity sets of pure IM).
    pub distinct_parts: usize,
    /// Rib molds of the hybrid route.
    pub rib_molds: usize,
    pub routes: Routes,
    pub break_even_volumes: BreakEvens,
    pub best_route: Option<Route>,
    /// The sweep and the routes as `estimate` reports them, for the chart.
    #[serde(skip)]
    pub comparison: Comparison,
}

/// One member ready to be costed.
struct Costed<'a> {
    weight: f64,
    inputs: RouteInputs<'a>,
    mold: usize,
    estimate: plan::Estimate,
}

/// Extents of `mesh` (moved by `t`) along u, v and n.
fn extents(mesh: &crate::mesh::Mesh, t: &Isometry3<f64>, axes: [Vector3<f64>; 3]) -> [f64; 3] {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in &mesh.vertices {
        let q: Point3<f64> = t * p;
        for k in 0..3 {
            let d = axes[k].dot(&q.coords);
            lo[k] = lo[k].min(d);
            hi[k] = hi[k].max(d);
        }
    }
    std::array::from_fn(|k| if hi[k] >= lo[k] { hi[k] - lo[k] } else { 0.0 })
}

/// Costs the family; returns its routes and each member's figures (`None` for error rows,
/// an error for a member that could not be estimated).
#[allow(clippy::too_many_arguments)]
pub fn cost_family(
    splits: &mut [Option<Split>],
    lattices: &Lattices,
    molds: &[MoldRow],
    to_common: &[Option<Isometry3<f64>>],
    specs: &[MemberSpec],
    rows: &[MemberRow],
    opts: &FamilyOptions,
) -> (FamilyCosts, Vec<Option<Result<MemberCost, String>>>) {
    let models = opts.models;
    let estimates = estimate_members(splits, lattices, specs, rows, opts);
    let printed = models
        .materials
        .get(&specs_material(specs).printed)
        .map(|m| m.1);
    let molded = models
        .materials
        .get(&specs_material(specs).molded)
        .map(|m| m.1);
    let total: f64 = rows
        .iter()
        .filter(|r| r.status == "ok")
        .filter_map(|r| r.annual_volume)
        .sum();
    let distinct = distinct_parts(splits, molds, to_common, opts.tolerance_mm);
    let rib_shapes = rib_shapes(molds, &estimates, splits, to_common);
    let (costed, mut per_member) = costed_members(
        estimates,
        rows,
        &rib_shapes,
        (printed, molded),
        distinct,
        total,
        opts,
    );
    let group_share: Vec<f64> = (0..molds.len())
        .map(|g| {
            costed
                .iter()
                .filter(|c| c.mold == g)
                .map(|c| c.weight)
                .sum()
        })
        .collect();
    let rm = RouteModels {
        molding: &models.molding,
        economics: &models.economics,
    };
    let family = Family {
        members: &costed,
        group_share: &group_share,
        models: rm,
    };
    let volume = total.max(1.0);
    let routes = Routes::of(|r| family.route(r, volume));
    member_figures(
        &mut per_member,
        &family,
        volume,
        models.economics.overhead_fraction,
    );
    let comparison = family_comparison(&family, &routes, volume, &models.economics);
    (
        FamilyCosts {
            currency: models.economics.currency.clone(),
            annual_volume: volume,
            distinct_parts: distinct,
            rib_molds: molds.len(),
            routes,
            break_even_volumes: comparison.break_even_volumes,
            best_route: comparison.best_route,
            comparison,
        },
        per_member,
    )
}

/// Each member with its mold's lattice, measured and estimated at its own volume (`None` for
/// error rows).
fn estimate_members(
    splits: &mut [Option<Split>],
    lattices: &Lattices,
    specs: &[MemberSpec],
    rows: &[MemberRow],
    opts: &FamilyOptions,
) -> Vec<Option<Result<plan::Estimate, String>>> {
    splits
        .par_iter_mut()
        .enumerate()
        .map(|(i, s)| {
            let s = s.as_mut()?;
            let p = &mut s.prepared;
            if let (Ok(sp), Some(b), Some(m)) = (
                p.split.as_mut(),
                lattices.baseplates[i].as_ref(),
                lattices.molded[i].as_ref(),
            ) {
                sp.baseplate = b.clone();
                sp.molded = m.clone();
                sp.facts.baseplate_volume_mm3 = sp.baseplate.signed_volume_mm3();
                sp.facts.molded_volume_mm3 = sp.molded.signed_volume_mm3();
                sp.measure_wall_thickness(specs[i].job.thickness_samples.max(1));
                if let Some(r) = &lattices.reports[i] {
                    p.lattice = Some(r.clone());
                    if let Some(b) = r.bond {
                        p.bond = b;
                    }
                }
            }
            let o = EstimateOptions {
                annual_volume: rows[i].annual_volume.unwrap_or(1.0),
                variants: 1,
                ..opts.estimate.clone()
            };
            // The moldability and insert checks, as `estimate` runs them: the insert's infill
            // that survives the cavity pressure is what the baseplate prints with.
            let insert = plan::insert_print(specs[i].job.models, &o.printer, &o.fff);
            if let Err(why) = plan::run_dfm(p, &specs[i].job, insert) {
                return Some(Err(why));
            }
            Some(plan::estimate(p, &specs[i].job, &o))
        })
        .collect()
}

/// Each mold's rib shape: its reference's, as large and as deep as the largest plate of its
/// group (the mold holds each of them), measured along the reference's own axes; `None` for
/// a mold whose reference has no estimate.
fn rib_shapes(
    molds: &[MoldRow],
    estimates: &[Option<Result<plan::Estimate, String>>],
    splits: &[Option<Split>],
    to_common: &[Option<Isometry3<f64>>],
) -> Vec<Option<MoldedShape>> {
    let mut rib_shapes: Vec<Option<MoldedShape>> = Vec::new();
    for mold in molds {
        let r = mold.reference;
        let (Some(Some(Ok(e))), Some(_)) = (estimates.get(r), splits[r].as_ref()) else {
            rib_shapes.push(None);
            continue;
        };
        // The axes `estimate` sized the reference's mold along (the part's own edges).
        let axes = e.mold_axes;
        let ref_from_common = to_common[r].expect("grouped").inverse();
        let mut size = [0.0f64; 3];
        for &i in &mold.members {
            let (Some(s), Some(t)) = (splits[i].as_ref(), to_common[i]) else {
                continue;
            };
            let e = extents(&s.prepared.part, &(ref_from_common * t), axes);
            for k in 0..3 {
                size[k] = size[k].max(e[k]);
            }
        }
        rib_shapes.push(Some(MoldedShape {
            length_mm: size[0],
            width_mm: size[1],
            depth_mm: size[2],
            ..e.rib_shape
        }));
    }
    rib_shapes
}

/// A member's figures before they are costed: every one empty.
const NOT_COSTED: MemberCost = MemberCost {
    baseplate_print_time_s: None,
    baseplate_cost_per_part: None,
    hybrid_molding_cost_per_part: None,
    am_print_time_s: None,
    am_cost_per_part: None,
    im_cost_per_part: None,
    hybrid_cost_per_part: None,
};

/// A member's figures: `None` for an error row, the error where its estimate failed.
type MemberSlot = Option<Result<MemberCost, String>>;

/// A material of the models, or why it is not there.
type MaterialOf<'a> = Result<&'a Material, String>;

/// The members ready to be costed (each with its weight in the family's volume `total`, its
/// mold's rib shape and the family's distinct parts as IM's variants), and each member's
/// slot for its figures: empty where it is to be costed, the error where its estimate
/// failed, `None` for error rows (and for all when a material is not in the models).
fn costed_members<'a>(
    estimates: Vec<Option<Result<plan::Estimate, String>>>,
    rows: &[MemberRow],
    rib_shapes: &[Option<MoldedShape>],
    materials: (MaterialOf<'a>, MaterialOf<'a>),
    distinct: usize,
    total: f64,
    opts: &FamilyOptions,
) -> (Vec<Costed<'a>>, Vec<MemberSlot>) {
    let mut per_member: Vec<MemberSlot> = vec![None; estimates.len()];
    let mut costed: Vec<Costed> = Vec::new();
    let (Ok(printed), Ok(molded)) = materials else {
        return (costed, per_member);
    };
    for (i, e) in estimates.into_iter().enumerate() {
        let Some(e) = e else { continue };
        let e = match e {
            Ok(e) => e,
            Err(why) => {
                per_member[i] = Some(Err(format!("estimate: {why}")));
                continue;
            }
        };
        let Some(mold) = rows[i].mold else { continue };
        let inputs = RouteInputs {
            am_part: e.am_run.clone(),
            am_baseplate: e.baseplate_run.clone(),
            part_shape: e.part_shape,
            rib_shape: rib_shapes[mold].unwrap_or(e.rib_shape),
            printed,
            molded,
            variants: distinct.max(1) as u32,
            inserts: opts.estimate.inserts,
            fleet: opts.estimate.fleet,
            fleet_printers: opts.estimate.fleet_printers,
        };
        costed.push(Costed {
            weight: rows[i].annual_volume.unwrap_or(0.0) / total.max(1.0),
            inputs,
            mold,
            estimate: e,
        });
        per_member[i] = Some(Ok(NOT_COSTED));
    }
    (costed, per_member)
}

/// Each costed member's own figures in the family's set-up at family volume `volume` (the
/// slots of `per_member` that hold figures, in the order of `family.members`).
fn member_figures(
    per_member: &mut [MemberSlot],
    family: &Family,
    volume: f64,
    overhead_fraction: f64,
) {
    let mut k = 0;
    for slot in per_member.iter_mut() {
        let Some(Ok(mc)) = slot else { continue };
        let c = &family.members[k];
        k += 1;
        let one = |r: Route| family.member_route(c, r, volume).ok();
        let hybrid = one(Route::Hybrid);
        mc.baseplate_print_time_s = c.estimate.baseplate_print_time_s;
        mc.am_print_time_s = c.estimate.am_print_time_s;
        mc.am_cost_per_part = one(Route::Am).map(|r| r.cost_per_part);
        mc.im_cost_per_part = one(Route::Im).map(|r| r.cost_per_part);
        let molding = hybrid.as_ref().and_then(|r| {
            let m = r.molding.as_ref()?;
            Some(m.direct_cost() * (1.0 + overhead_fraction))
        });
        mc.hybrid_molding_cost_per_part = molding;
        mc.baseplate_cost_per_part = hybrid
            .as_ref()
            .zip(molding)
            .map(|(r, m)| r.cost_per_part - m);
        mc.hybrid_cost_per_part = hybrid.map(|r| r.cost_per_part);
    }
}

/// The family's routes as `estimate` reports a part's: at family volume `volume`, the
/// cheapest, the sweep over volumes and the break-even volumes of cost and of CO2.
fn family_comparison(
    family: &Family,
    routes: &Routes,
    volume: f64,
    economics: &Economics,
) -> Comparison {
    let volumes = compare::sweep_volumes(economics);
    let cost = |r: Route, v: f64| family.route(r, v).ok().map(|c| c.cost_per_part);
    let sweep = compare::sweep_with(volumes.clone(), |r, v| family.route(r, v).ok());
    let be = |a: Route, b: Route| break_even(&volumes, |v| Some(cost(a, v)? - cost(b, v)?));
    let break_even_volumes = BreakEvens {
        am_im: be(Route::Am, Route::Im),
        am_hybrid: be(Route::Am, Route::Hybrid),
        hybrid_im: be(Route::Hybrid, Route::Im),
    };
    let co2 = |r: Route, v: f64| family.route(r, v).ok().map(|c| c.co2_kg_per_part);
    let co2_be = |a: Route, b: Route| break_even(&volumes, |v| Some(co2(a, v)? - co2(b, v)?));
    let co2_break_even_volumes = BreakEvens {
        am_im: co2_be(Route::Am, Route::Im),
        am_hybrid: co2_be(Route::Am, Route::Hybrid),
        hybrid_im: co2_be(Route::Hybrid, Route::Im),
    };
    let years = economics.amortization_years;
    let total = |b: &BreakEvens| BreakEvens {
        am_im: b.am_im.map(|v| v * years),
        am_hybrid: b.am_hybrid.map(|v| v * years),
        hybrid_im: b.hybrid_im.map(|v| v * years),
    };
    let costs: Vec<(Route, Option<f64>)> = Route::ALL
        .iter()
        .map(|&r| (r, routes.get(r).cost().map(|c| c.cost_per_part)))
        .collect();
    let best_route = compare::cheapest(&costs);
    Comparison {
        annual_volume: volume,
        variants: family.members.len() as u32,
        routes: routes.clone(),
        break_even_volumes,
        amortization_years: years,
        break_even_total_quantities: total(&break_even_volumes),
        co2_break_even_volumes,
        co2_break_even_total_quantities: total(&co2_break_even_volumes),
        best_route,
        sweep,
        // The family's variants are its members: no sweep over them.
        variant_sweep: None,
    }
}

/// The materials of the family (the first member's job: the command gives one for all).
fn specs_material(specs: &[MemberSpec]) -> crate::plan::MaterialChoice {
    specs
        .first()
        .map(|s| s.job.materials.clone())
        .unwrap_or_default()
}

/// The family's members for the route functions.
struct Family<'a> {
    members: &'a [Costed<'a>],
    group_share: &'a [f64],
    models: RouteModels<'a>,
}

impl Family<'_> {
    /// One member's route at family volume `v`, at the volume its tooling is shared over.
    fn member_route(&self, c: &Costed, r: Route, v: f64) -> Result<RouteCost, String> {
        let at = match r {
            Route::Am => c.weight * v,
            Route::Im => v,
            Route::Hybrid => self.group_share[c.mold] * v,
        };
        compare::route(r, &c.inputs, &self.models, at.max(1e-9))
    }

    /// The family's route at volume `v`: the members' costs per part weighted by their
    /// volumes; the tooling bought is one IM tool (its members' mean) or each rib mold once.
    fn route(&self, r: Route, v: f64) -> Result<RouteCost, String> {
        let mut out: Option<RouteCost> = None;
        let mut tooling = 0.0;
        let mut counted = vec![false; self.group_share.len()];
        for c in self.members {
            let m = self
                .member_route(c, r, v)
                .map_err(|why| format!("{}: {why}", r.name()))?;
            match r {
                Route::Am => {}
                Route::Im => tooling += c.weight * m.tooling_cost,
                Route::Hybrid => {
                    if !counted[c.mold] {
                        counted[c.mold] = true;
                        tooling += m.tooling_cost;
                    }
                }
            }
            let w = c.weight;
            out = Some(match out {
                None => scaled(&m, w),
                Some(mut acc) => {
                    add_scaled(&mut acc, &m, w);
                    acc
                }
            });
        }
        let mut out = out.ok_or("no member could be costed")?;
        out.tooling_cost = tooling;
        Ok(out)
    }
}

/// `c` with its per-part figures times `w` (the rest as they are).
fn scaled(c: &RouteCost, w: f64) -> RouteCost {
    let mut s = c.clone();
    for (dst, src) in per_part_mut(&mut s).into_iter().zip(per_part(c)) {
        *dst = src * w;
    }
    s
}

fn add_scaled(acc: &mut RouteCost, c: &RouteCost, w: f64) {
    for (dst, src) in per_part_mut(acc).into_iter().zip(per_part(c)) {
        *dst += src * w;
    }
}

fn per_part(c: &RouteCost) -> [f64; 10] {
    [
        c.cost_per_part,
        c.material_cost,
        c.machine_cost,
        c.labour_cost,
        c.energy_cost,
        c.tooling_cost_per_part,
        c.changeover_cost_per_part,
        c.overhead_cost,
        c.energy_kwh_per_part,
        c.co2_kg_per_part,
    ]
}

fn per_part_mut(c: &mut RouteCost) -> [&mut f64; 10] {
    [
        &mut c.cost_per_part,
        &mut c.material_cost,
        &mut c.machine_cost,
        &mut c.labour_cost,
        &mut c.energy_cost,
        &mut c.tooling_cost_per_part,
        &mut c.changeover_cost_per_part,
        &mut c.overhead_cost,
        &mut c.energy_kwh_per_part,
        &mut c.co2_kg_per_part,
    ]
}

/// The lowest volume of the sweep's range where `diff` changes sign, refined by bisection in
/// log volume (as `compare::break_even`).
fn break_even(volumes: &[f64], diff: impl Fn(f64) -> Option<f64>) -> Option<f64> {
    let d: Vec<Option<f64>> = volumes.iter().map(|&v| diff(v)).collect();
    for i in 1..volumes.len() {
        let (Some(d0), Some(d1)) = (d[i - 1], d[i]) else {
            continue;
        };
        if d0 == 0.0 {
            return Some(volumes[i - 1]);
        }
        if d0.signum() != d1.signum() {
            let (mut lo, mut hi) = (volumes[i - 1].ln(), volumes[i].ln());
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                let Some(x) = diff(mid.exp()) else { break };
                if x.signum() == d0.signum() {
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

/// Distinct whole parts: members of one mold whose baseplates agree (volume and area within
/// 0.01 %, bounding box in the mold's frame within the tolerance) are one part to pure IM.
fn distinct_parts(
    splits: &[Option<Split>],
    molds: &[MoldRow],
    to_common: &[Option<Isometry3<f64>>],
    tolerance_mm: f64,
) -> usize {
    let mut count = 0;
    for mold in molds {
        let mut seen: Vec<(f64, f64, [f64; 6])> = Vec::new();
        for &i in &mold.members {
            let (Some(s), Some(t)) = (splits[i].as_ref(), to_common[i]) else {
                continue;
            };
            let b = &s.split().baseplate;
            let (vol, area) = (b.signed_volume_mm3(), b.area_mm2());
            let e = extents(b, &t, [Vector3::x(), Vector3::y(), Vector3::z()]);
            let mut lo = [f64::INFINITY; 3];
            for p in &b.vertices {
                let q = t * p;
                for k in 0..3 {
                    lo[k] = lo[k].min(q[k]);
                }
            }
            let bbox = [
                lo[0],
                lo[1],
                lo[2],
                lo[0] + e[0],
                lo[1] + e[1],
                lo[2] + e[2],
            ];
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-4 * x.abs().max(y.abs());
            let same = seen.iter().any(|(v, a, bb)| {
                close(*v, vol)
                    && close(*a, area)
                    && bb
                        .iter()
                        .zip(&bbox)
                        .all(|(x, y)| (x - y).abs() <= tolerance_mm)
            });
            if !same {
                seen.push((vol, area, bbox));
                count += 1;
            }
        }
    }
    count
}
