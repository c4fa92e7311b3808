//! Injection molding: cooling and cycle time, clamp force, machine class, cavity count and
//! tooling cost (docs/method.md, "Injection molding"). Used for the pure-IM route (the whole
//! part) and for the overmolding step of the hybrid route (the rib region on a printed insert).

use serde::Serialize;

use crate::models::molding::{MoldingMachine, ToolMaterial};
use crate::models::{Economics, Material, Molding};

/// What molding needs to know of the molded shape. Lengths mm, areas mm², volume mm³.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MoldedShape {
    /// Volume injected per part.
    pub volume_mm3: f64,
    /// Area projected along the mold opening direction (sets the clamp force).
    pub projected_area_mm2: f64,
    /// The wall that governs cooling.
    pub wall_mm: f64,
    /// Extents across the opening direction (mold plate size) and along it (mold depth).
    pub length_mm: f64,
    pub width_mm: f64,
    pub depth_mm: f64,
    /// Surfaces the mold maker machines (see `mesh::check::surface_patches`).
    pub surface_patches: usize,
    /// Side actions (slides, lifters) per cavity for its undercuts (the dfm stage).
    pub side_actions: u32,
}

/// Cooling time of a wall of thickness `wall_mm` from melt to ejection temperature (the plate
/// equation, [`Material::cooling_time_to_s`]).
pub fn cooling_time_s(wall_mm: f64, m: &Material) -> f64 {
    m.cooling_time_to_s(wall_mm, m.ejection_temp_c)
}

/// Clamp force (kN) that holds `cavities` cavities of `projected_area_mm2` each shut against
/// the material's mean cavity pressure: F = n · A · p (mm² · MPa = N).
pub fn clamp_force_kn(projected_area_mm2: f64, m: &Material, cavities: u32) -> f64 {
    projected_area_mm2 * m.cavity_pressure_mpa * cavities as f64 / 1000.0
}

/// The parts of one molding cycle (s).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Cycle {
    pub fill_s: f64,
    /// Holding pressure until the gate freezes; runs within the cooling time.
    pub hold_s: f64,
    pub cooling_s: f64,
    /// Mold open, eject, close: the machine's dry cycle and part removal.
    pub reset_s: f64,
    /// Placing the printed inserts into the open mold (overmolding only).
    pub insert_s: f64,
    pub total_s: f64,
}

/// Which mold material a tool is made of.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ToolMetal {
    Aluminium,
    Steel,
}

/// How a pure-molding tool carries personalised variants.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VariantTooling {
    /// One mold base with a full machined cavity set per variant (cavities, their
    /// customisation and the plates' pockets, cooling lines and ejector holes for each).
    FullCavitySets,
    /// A quick-change (MUD-style) master frame carrying ejection and cooling, and one
    /// exchangeable insert per variant.
    ExchangeableInserts,
}

/// A mold: its cost, how long it lasts and its embodied impact.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Tool {
    pub metal: ToolMetal,
    pub cavities: u32,
    /// The standard mold base bought (0 with exchangeable inserts: the frame replaces it).
    pub mold_base_cost: f64,
    /// Machining of one set of cavities (one variant), without its customisation.
    pub cavity_set_cost: f64,
    /// Sets of cavities: one per variant for pure IM, one for the hybrid rib mold.
    pub cavity_sets: u32,
    pub metal_cost: f64,
    /// Feed system, cooling, ejection and finish of every set and of the base (Kazmer).
    pub customization_cost: f64,
    /// Full cavity sets or exchangeable inserts, whichever made the cheaper plan.
    pub variant_tooling: VariantTooling,
    /// The quick-change master frame (exchangeable inserts only; else 0).
    pub frame_cost: f64,
    /// What each variant's set or insert costs, its customisation included.
    pub cost_per_variant: f64,
    /// One tool: base (or frame), all cavity sets with their customisation, and metal.
    pub tool_cost: f64,
    /// Tools worn out over the amortization period (the volume over the tool life).
    pub tools_needed: f64,
    pub lead_time_days: f64,
    /// Mold change and first-off approval per variant and year (h).
    pub changeover_h_per_variant: f64,
    /// The mold's plates in its metal (kg).
    pub mass_kg: f64,
    /// Toolmaker's machining and finishing hours (the labour in the tool cost).
    pub toolmaking_h: f64,
    /// Embodied energy (kWh) and CO2 (kg) of one tool: its metal, cradle to gate, and the
    /// electricity of its machining.
    pub embodied_energy_kwh: f64,
    pub embodied_co2_kg: f64,
    /// Side actions of the tool (per cavity times cavities) and their cost, a term of
    /// `tool_cost` of its own (docs/method.md, "Side actions").
    pub side_actions: u32,
    pub side_action_cost: f64,
}

/// How the printed inserts are placed for overmolding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InsertHandling {
    Manual,
    Robot,
}

/// The cheapest molding set-up at a volume, with its costs per part.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MoldingPlan {
    pub cavities: u32,
    pub machine_clamp_kn: f64,
    pub clamp_force_kn: f64,
    pub shot_volume_cm3: f64,
    pub cycle: Cycle,
    pub tool: Tool,
    pub machines_needed: f64,
    pub parts_per_hour_per_machine: f64,
    /// Per good part (scrap included), currency of the economics model.
    pub material_cost: f64,
    pub machine_cost: f64,
    pub labour_cost: f64,
    pub energy_cost: f64,
    pub tooling_cost_per_part: f64,
    pub changeover_cost_per_part: f64,
    /// Electricity at the machine per good part (the energy cost's base).
    pub energy_kwh: f64,
    /// CO2 per good part: electricity, polymer and the tool's share.
    pub co2_kg: f64,
    /// The tool's embodied energy and CO2 per part, amortised like its cost (every tool worn
    /// out over the period, over the period's parts).
    pub tooling_energy_kwh: f64,
    pub tooling_co2_kg: f64,
    pub mass_g: f64,
}

impl MoldingPlan {
    /// Direct cost per part (before overhead).
    pub fn direct_cost(&self) -> f64 {
        self.material_cost
            + self.machine_cost
            + self.labour_cost
            + self.energy_cost
            + self.tooling_cost_per_part
            + self.changeover_cost_per_part
    }
}

/// What a molding job is: the shape, its material, the annual volume, how many distinct
/// cavity sets (variants) the tool carries and whether printed inserts are placed.
#[derive(Debug, Clone, Copy)]
pub struct MoldingJob<'a> {
    pub shape: &'a MoldedShape,
    pub material: &'a Material,
    pub annual_volume: f64,
    pub cavity_sets: u32,
    pub inserts: Option<InsertHandling>,
}

/// Why a part cannot be molded with the machines of the model.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MoldingError(pub String);

/// The smallest machine class that closes `clamp_kn`, shoots `shot_cm3` and opens twice the
/// mold depth.
pub fn machine_for(
    molding: &Molding,
    clamp_kn: f64,
    shot_cm3: f64,
    depth_mm: f64,
) -> Option<&MoldingMachine> {
    molding.machines.iter().find(|m| {
        m.clamp_kn >= clamp_kn && m.max_shot_cm3 >= shot_cm3 && m.max_stroke_mm >= 2.0 * depth_mm
    })
}

/// The cycle of `cavities` cavities of `shape` on `machine`.
pub fn cycle(
    job: &MoldingJob,
    molding: &Molding,
    machine: &MoldingMachine,
    cavities: u32,
) -> Cycle {
    let p = &molding.process;
    let shot_m3 = job.shape.volume_mm3 * cavities as f64 * 1e-9;
    // Fill: the screw's hydraulic work p·V delivered by the drive; the factor 2 allows for the
    // drive's efficiency and the pressure ramp (Boothroyd, Dewhurst, Knight).
    let fill_s = 2.0 * shot_m3 * p.injection_pressure_mpa * 1e6 / (machine.drive_power_kw * 1e3);
    let cooling_s = cooling_time_s(job.shape.wall_mm, job.material);
    let hold_s = p.gate_thickness_fraction.powi(2) * cooling_s;
    let reset_s = machine.dry_cycle_s + p.eject_s;
    let insert_s = match job.inserts {
        None => 0.0,
        Some(InsertHandling::Manual) => p.insert_placing_manual_s * cavities as f64,
        Some(InsertHandling::Robot) => p.insert_placing_robot_s * cavities as f64,
    };
    Cycle {
        fill_s,
        hold_s,
        cooling_s,
        reset_s,
        insert_s,
        total_s: fill_s + cooling_s + reset_s + insert_s,
    }
}

/// The tool for `cavities` cavities in `metal`, carrying `job.cavity_sets` full cavity sets.
pub fn tool(
    job: &MoldingJob,
    molding: &Molding,
    econ: &Economics,
    cavities: u32,
    metal: ToolMetal,
) -> Tool {
    build_tool(
        job,
        molding,
        econ,
        cavities,
        metal,
        VariantTooling::FullCavitySets,
    )
}

/// The mold plate across the opening direction (mm): the cavities side by side in a
/// near-square grid, a margin of plate around them.
fn plate_mm(s: &MoldedShape, molding: &Molding, cavities: u32) -> (f64, f64) {
    let margin = molding.tooling.plate_margin_mm;
    let rows = (cavities as f64).sqrt().ceil();
    let cols = (cavities as f64 / rows).ceil();
    (
        cols * s.length_mm + 2.0 * margin,
        rows * s.width_mm + 2.0 * margin,
    )
}

/// The tool for `cavities` cavities in `metal` carrying `job.cavity_sets` variants the way
/// `variants` says; `None` for exchangeable inserts where the job has one variant or the
/// cavities do not fit the quick-change frame's insert.
///
/// Mold base and cavities after Boothroyd, Dewhurst and Knight (2011, ch. 8), customisation
/// after Kazmer (2007, §3.3.3): `C = C_base + C_cav + f_cav · C_cav + f_base · C_base +
/// metal` for one variant. A full cavity set per variant repeats `C_cav (1 + f_cav) +
/// f_base · C_base` (its plates are machined for it); an exchangeable insert repeats
/// `fraction · C_cav (1 + f_cav)` in a frame bought once that stands for the base and its
/// customisation.
pub fn tool_for(
    job: &MoldingJob,
    molding: &Molding,
    econ: &Economics,
    cavities: u32,
    metal: ToolMetal,
    variants: VariantTooling,
) -> Option<Tool> {
    if variants == VariantTooling::ExchangeableInserts {
        let q = &molding.tooling.quick_change;
        let (l, w) = plate_mm(job.shape, molding, cavities);
        let fits = l.max(w) <= q.max_insert_length_mm.max(q.max_insert_width_mm)
            && l.min(w) <= q.max_insert_length_mm.min(q.max_insert_width_mm);
        if job.cavity_sets <= 1 || !fits {
            return None;
        }
    }
    Some(build_tool(job, molding, econ, cavities, metal, variants))
}

fn build_tool(
    job: &MoldingJob,
    molding: &Molding,
    econ: &Economics,
    cavities: u32,
    metal: ToolMetal,
    variants: VariantTooling,
) -> Tool {
    let t = &molding.tooling;
    let tm: &ToolMaterial = match metal {
        ToolMetal::Aluminium => &t.aluminium,
        ToolMetal::Steel => &t.steel,
    };
    let s = job.shape;
    let (plate_length_mm, plate_width_mm) = plate_mm(s, molding, cavities);
    let plate_area_cm2 = plate_length_mm * plate_width_mm / 100.0;
    let plate_height_cm = (s.depth_mm + t.plate_height_allowance_mm) / 10.0;
    let base = t.mold_base_fixed
        + t.mold_base_area_coeff
            * plate_area_cm2
            * plate_height_cm.powf(t.mold_base_height_exponent);
    let projected_cm2 = s.projected_area_mm2 / 100.0;
    let hours_one = t.cavity_hours_fixed
        + t.cavity_hours_area_coeff * projected_cm2.powf(t.cavity_hours_area_exponent)
        + t.complexity_hours_coeff * (0.1 * s.surface_patches as f64).powf(t.complexity_exponent);
    let cavity_set_cost = hours_one
        * tm.machining_factor
        * t.toolmaker_rate_per_h
        * (cavities as f64).powf(t.multi_cavity_exponent);
    let metal_cost = tm.material_per_cm3 * plate_area_cm2 * plate_height_cm;
    let c = &t.customization;
    let sets = job.cavity_sets.max(1) as f64;
    let cavity_custom = c.cavity_factor() * cavity_set_cost;
    let base_custom = c.base_factor() * base;
    let (mold_base_cost, frame_cost, cost_per_variant, customization_cost, changeover_h) =
        match variants {
            VariantTooling::FullCavitySets => (
                base,
                0.0,
                cavity_set_cost + cavity_custom + base_custom,
                sets * (cavity_custom + base_custom),
                econ.changeover_h_per_variant,
            ),
            VariantTooling::ExchangeableInserts => {
                let q = &t.quick_change;
                (
                    0.0,
                    q.frame_cost,
                    q.insert_cost_fraction * (cavity_set_cost + cavity_custom),
                    sets * q.insert_cost_fraction * cavity_custom,
                    q.changeover_h_per_variant,
                )
            }
        };
    // Every cavity of every set needs its own slides.
    let side_actions = s.side_actions * cavities * job.cavity_sets;
    let side_action_cost = side_actions as f64 * t.side_action_cost;
    let tool_cost =
        mold_base_cost + frame_cost + sets * cost_per_variant + metal_cost + side_action_cost;
    // The toolmaker's hours: everything in the tool but what is bought (base, frame, metal).
    let toolmaking_h = sets * cost_per_variant / t.toolmaker_rate_per_h;
    let mass_kg = plate_area_cm2 * plate_height_cm * tm.density_g_cm3 / 1000.0;
    let machining_kwh = toolmaking_h * t.toolmaking_energy.machine_power_kw;
    let shots = job.annual_volume * econ.amortization_years / cavities as f64;
    Tool {
        metal,
        cavities,
        mold_base_cost,
        cavity_set_cost,
        cavity_sets: job.cavity_sets,
        metal_cost,
        customization_cost,
        variant_tooling: variants,
        frame_cost,
        cost_per_variant,
        tool_cost,
        tools_needed: (shots / tm.tool_life_shots).ceil().max(1.0),
        lead_time_days: tm.lead_time_days + s.side_actions as f64 * t.side_action_lead_time_days,
        changeover_h_per_variant: changeover_h,
        mass_kg,
        toolmaking_h,
        embodied_energy_kwh: mass_kg * tm.embodied_energy_mj_per_kg / 3.6 + machining_kwh,
        embodied_co2_kg: mass_kg * tm.embodied_co2_kg_per_kg
            + machining_kwh * econ.grid_co2_kg_per_kwh,
        side_actions,
        side_action_cost,
    }
}

/// Costs per part of one set-up (cavities, machine, tool).
fn cost_plan(
    job: &MoldingJob,
    molding: &Molding,
    econ: &Economics,
    machine: &MoldingMachine,
    cavities: u32,
    tool: Tool,
) -> MoldingPlan {
    let c = cycle(job, molding, machine, cavities);
    let n = cavities as f64;
    let good = 1.0 - econ.scrap_im;
    let hours_per_part = c.total_s / 3600.0 / n / good;
    let mass_kg = job.shape.volume_mm3 * 1e-6 * job.material.density_g_cm3;
    let material_cost = mass_kg * job.material.price_per_kg / good;
    let robot = if job.inserts == Some(InsertHandling::Robot) {
        econ.robot_rate_per_h
    } else {
        0.0
    };
    let machine_cost = hours_per_part * (machine.hourly_rate + robot);
    // Manual insert placing ties an operator to the machine; otherwise one tends several.
    let operator_share = if job.inserts == Some(InsertHandling::Manual) {
        1.0
    } else {
        econ.im_operator_share
    };
    let labour_cost = hours_per_part * operator_share * econ.labour_rate_per_h;
    // Energy: the machine's fixed load over the cycle plus the material's plasticating energy
    // (Thiriez and Gutowski's split).
    let energy_kwh = molding.energy.base_power_fraction * machine.drive_power_kw * hours_per_part
        + job.material.processing_energy_kwh_per_kg * mass_kg / good;
    let energy_cost = energy_kwh * econ.electricity_price_per_kwh;
    let period_parts = job.annual_volume * econ.amortization_years;
    let tooling_cost_per_part =
        econ.tooling_per_part(tool.tool_cost * tool.tools_needed, job.annual_volume);
    let changeover_cost_per_part = job.cavity_sets as f64
        * tool.changeover_h_per_variant
        * (machine.hourly_rate + econ.labour_rate_per_h)
        / job.annual_volume;
    // The tool's embodied impact is spread like its cost: every tool the period wears out,
    // over the period's parts; so it falls with volume where the process's does not.
    let tooling_energy_kwh = tool.embodied_energy_kwh * tool.tools_needed / period_parts;
    let tooling_co2_kg = tool.embodied_co2_kg * tool.tools_needed / period_parts;
    let co2_kg = energy_kwh * econ.grid_co2_kg_per_kwh
        + mass_kg / good * job.material.co2_kg_per_kg
        + tooling_co2_kg;
    let parts_per_hour = 3600.0 * n / c.total_s;
    MoldingPlan {
        cavities,
        machine_clamp_kn: machine.clamp_kn,
        clamp_force_kn: clamp_force_kn(job.shape.projected_area_mm2, job.material, cavities),
        shot_volume_cm3: job.shape.volume_mm3 * n / 1000.0,
        cycle: c,
        tool,
        machines_needed: (job.annual_volume
            / (parts_per_hour * good * econ.working_hours_per_year))
            .ceil()
            .max(1.0),
        parts_per_hour_per_machine: parts_per_hour,
        material_cost,
        machine_cost,
        labour_cost,
        energy_cost,
        tooling_cost_per_part,
        changeover_cost_per_part,
        energy_kwh,
        co2_kg,
        tooling_energy_kwh,
        tooling_co2_kg,
        mass_g: mass_kg * 1000.0,
    }
}

/// The cheapest set-up for the job: every cavity count of the model that a machine class can
/// run, in aluminium and in steel, and for several variants with full cavity sets or with
/// exchangeable inserts; ties go to fewer cavities and to full cavity sets.
pub fn plan(
    job: &MoldingJob,
    molding: &Molding,
    econ: &Economics,
) -> Result<MoldingPlan, MoldingError> {
    let mut best: Option<MoldingPlan> = None;
    for &n in &molding.tooling.cavity_counts {
        let force = clamp_force_kn(job.shape.projected_area_mm2, job.material, n);
        let shot = job.shape.volume_mm3 * n as f64 / 1000.0;
        let Some(machine) = machine_for(molding, force, shot, job.shape.depth_mm) else {
            continue;
        };
        for metal in [ToolMetal::Aluminium, ToolMetal::Steel] {
            for variants in [
                VariantTooling::FullCavitySets,
                VariantTooling::ExchangeableInserts,
            ] {
                let Some(tool) = tool_for(job, molding, econ, n, metal, variants) else {
                    continue;
                };
                let p = cost_plan(job, molding, econ, machine, n, tool);
                if best
                    .as_ref()
                    .is_none_or(|b| p.direct_cost() < b.direct_cost() - 1e-12)
                {
                    best = Some(p);
                }
            }
        }
    }
    best.ok_or_else(|| {
        let force = clamp_force_kn(job.shape.projected_area_mm2, job.material, 1);
        let largest = molding.machines.last().map(|m| m.clamp_kn).unwrap_or(0.0);
        MoldingError(format!(
            "no machine class of the molding model can mold it: it needs {force:.0} kN of clamp force and {:.0} cm³ of shot (largest class: {largest:.0} kN)",
            job.shape.volume_mm3 / 1000.0
        ))
    })
}
