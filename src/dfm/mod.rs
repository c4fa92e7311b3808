//! Moldability and insert checks: can the molded region be molded onto this printed insert?
//!
//! The stage after the split, fed by the split's meshes and plane and by the models
//! (`models/dfm.toml`, the materials, the printer's insert settings). One file per check:
//! [`pull`] (undercuts along the mold opening direction and draft, the same rays), [`walls`]
//! (walls, ribs, thick sections), [`fill`] (flow length from a gate), [`shutoff`] (the land
//! the mold closes on around the rib footprint) and [`insert`] (the insert's heat and
//! pressure). The findings are data: `plan` uses the errors (a route with one is not chosen)
//! and the side actions (the tool's cost and lead time) and the infill that survives (the
//! baseplate's print); `report` and `batch` list them. Imports `mesh`, `models` and the
//! split's types only.

pub mod fill;
pub mod insert;
pub mod pull;
pub mod shutoff;
pub mod walls;

use nalgebra::{Unit, Vector3};
use serde::Serialize;

use crate::mesh::Mesh;
use crate::models::{Dfm, Material, Materials};
use crate::split::{Split, WallThickness};

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Undercut,
    Draft,
    Wall,
    Rib,
    Fill,
    Shutoff,
    InsertHeat,
    InsertPressure,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Undercut => "undercut",
            Kind::Draft => "draft",
            Kind::Wall => "wall",
            Kind::Rib => "rib",
            Kind::Fill => "fill",
            Kind::Shutoff => "shutoff",
            Kind::InsertHeat => "insert_heat",
            Kind::InsertPressure => "insert_pressure",
        }
    }
}

/// How bad: `error`, the route cannot be made as planned; `warning`; `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which route a finding concerns: the hybrid route's molded region on its insert, or the
/// whole part molded (pure IM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteOf {
    Hybrid,
    Im,
}

/// One finding: what, how bad, the figure and its limit (units in `unit`), where (mm, the
/// part's frame) and how much surface it covers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub route: RouteOf,
    pub message: String,
    pub value: Option<f64>,
    pub limit: Option<f64>,
    pub unit: &'static str,
    pub where_mm: Option<[f64; 3]>,
    pub area_mm2: Option<f64>,
}

impl Finding {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        kind: Kind,
        severity: Severity,
        route: RouteOf,
        message: String,
        value: Option<f64>,
        limit: Option<f64>,
        unit: &'static str,
        where_mm: Option<[f64; 3]>,
    ) -> Self {
        Finding {
            kind,
            severity,
            route,
            message,
            value,
            limit,
            unit,
            where_mm,
            area_mm2: None,
        }
    }

    pub(crate) fn with_area(mut self, area_mm2: f64) -> Self {
        self.area_mm2 = Some(area_mm2);
        self
    }
}

/// How the printed insert is made: the infill the printer would use (0..1) and the solid
/// skin on its top face (mm); `solid` for powder-bed printers, which print it solid.
#[derive(Debug, Clone, Copy)]
pub struct InsertPrint {
    pub infill_fraction: f64,
    pub skin_mm: f64,
    pub solid: bool,
}

/// Everything the checks read.
pub struct DfmInput<'a> {
    /// The whole part as loaded (the pure-IM checks).
    pub part: &'a Mesh,
    /// The split, or `None` for a part without one (only the pure-IM checks run).
    pub split: Option<&'a Split>,
    /// The whole part's wall thickness, for a part without a split.
    pub part_wall: Option<&'a WallThickness>,
    /// The axis a part without a split is molded along (its largest section).
    pub whole_axis: [f64; 3],
    pub molded_name: &'a str,
    pub molded: &'a Material,
    pub printed_name: &'a str,
    pub printed: &'a Material,
    pub materials: &'a Materials,
    pub limits: &'a Dfm,
    pub insert: InsertPrint,
}

/// What each face of the molded region is, for the picture along the pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceClass {
    /// Against the insert (formed by it, not by the mold).
    Insert,
    Ok,
    /// Releases along the pull but with less than the minimum draft.
    Draft,
    /// Hidden from the pull: formed by a side action.
    Undercut,
    /// Hidden from the pull, and no side action reaches it.
    Enclosed,
}

/// The findings and the figures the plan uses.
#[derive(Debug, Clone, Serialize)]
pub struct DfmReport {
    pub findings: Vec<Finding>,
    /// The hybrid mold's opening direction (the split normal).
    pub pull_direction: Option<[f64; 3]>,
    /// Side actions the rib mold needs per cavity.
    pub hybrid_side_actions: u32,
    /// The pure-IM parting direction chosen from the candidate axes, and its side actions.
    pub im_parting_axis: [f64; 3],
    pub im_side_actions: u32,
    /// The gate chosen for the molded region (the centroid of its top), per rib body the
    /// worst flow length.
    pub gate_mm: Option<[f64; 3]>,
    pub flow_length_mm: Option<f64>,
    pub gates_needed: Option<u32>,
    /// The contact temperature of melt on insert (°C).
    pub insert_contact_temp_c: Option<f64>,
    /// The infill the hybrid route prints the baseplate with (percent): the printer's, or
    /// more where the cavity pressure would crush it.
    pub insert_infill_percent: Option<f64>,
    /// Per triangle of the molded region (before `Split::molded` is rewritten nothing changes
    /// it): what it is, for the picture.
    #[serde(skip)]
    pub molded_faces: Vec<FaceClass>,
}

impl DfmReport {
    /// The findings of `severity` for `route`.
    pub fn of(&self, route: RouteOf, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| f.route == route && f.severity == severity)
    }

    /// Why `route` cannot be made as planned (its errors joined), or `None`.
    pub fn blocking_reason(&self, route: RouteOf) -> Option<String> {
        let errors: Vec<&str> = self
            .of(route, Severity::Error)
            .map(|f| f.message.as_str())
            .collect();
        (!errors.is_empty()).then(|| format!("dfm: {}", errors.join("; ")))
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The kinds found (errors and warnings), each once, in the order of [`Kind`].
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<Kind> = self
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| f.kind)
            .collect();
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        kinds.into_iter().map(Kind::name).collect()
    }
}

/// Runs every check.
pub fn check(input: &DfmInput) -> DfmReport {
    let mut findings = Vec::new();
    let mut report = DfmReport {
        findings: Vec::new(),
        pull_direction: None,
        hybrid_side_actions: 0,
        im_parting_axis: input.whole_axis,
        im_side_actions: 0,
        gate_mm: None,
        flow_length_mm: None,
        gates_needed: None,
        insert_contact_temp_c: None,
        insert_infill_percent: None,
        molded_faces: Vec::new(),
    };
    let mat = input.limits.limits(input.molded_name);
    if let Some(split) = input.split {
        let n = Unit::new_normalize(Vector3::from(split.facts.plane_normal));
        report.pull_direction = Some(n.into_inner().into());
        let hybrid = pull::hybrid(split, n, input.limits, mat.min_draft_deg);
        report.hybrid_side_actions = hybrid.side_actions;
        findings.extend(hybrid.findings);
        report.molded_faces = hybrid.classes;
        findings.extend(walls::check(input, split, &n));
        let fill = fill::check(input, split, &n);
        report.gate_mm = fill.gate_mm;
        report.flow_length_mm = fill.flow_length_mm;
        report.gates_needed = fill.gates_needed;
        findings.extend(fill.findings);
        findings.extend(shutoff::check(input, split, &n));
        let heat = insert::heat(input);
        report.insert_contact_temp_c = heat.contact_temp_c;
        findings.extend(heat.findings);
        let pressure = insert::pressure(input, split);
        report.insert_infill_percent = pressure.infill_percent;
        findings.extend(pressure.findings);
    }
    let im = pull::im(input, mat.min_draft_deg);
    report.im_parting_axis = im.axis;
    report.im_side_actions = im.side_actions;
    findings.extend(im.findings);
    findings.sort_by_key(|f| (f.severity, f.kind as u8));
    report.findings = findings;
    report
}

/// `v` in a message: three significant figures at most, no trailing noise.
pub(crate) fn fmt_mm(p: &[f64; 3]) -> String {
    format!("({:.1}, {:.1}, {:.1}) mm", p[0], p[1], p[2])
}
