//! Variant families: do the personalised variants of one product take the same molded ribs,
//! which ones break that, and what does the family cost by each route (docs/family.md)?
//!
//! Every member is split as `split` splits it; its molded region (before the lattice) is put
//! into a canonical frame on its split plane and registered onto the family's reference
//! ([`register`]); the symmetric surface distance ([`distance`]) decides which members share
//! a mold ([`grouping`]); each mold's reference lays out the one pore lattice of its mold, and
//! each member's plate is checked to carry it ([`plate`]); the routes are costed over the
//! members' volumes ([`costing`]). Sits beside `plan`: imports `plan` and what is below it.

pub mod costing;
pub mod distance;
pub mod grouping;
pub mod plate;
pub mod register;
pub mod sample;

use std::path::PathBuf;
use std::time::Instant;

use nalgebra::{Isometry3, Point3, Vector3};
use rayon::prelude::*;
use serde::Serialize;

use crate::interface::LatticeRequest;
use crate::mesh::Mesh;
use crate::models::ModelSet;
use crate::plan::{self, EstimateOptions, Prepared, SplitJob};
use grouping::{Candidate, Deviation, Difference};

/// Surface samples of each molded region for the distance, by default.
pub const DEFAULT_SAMPLES: usize = 20_000;

/// One member of a family as given: its file, how it is split, its volume.
#[derive(Debug, Clone)]
pub struct MemberSpec<'a> {
    /// The name in the report (the manifest's cell, or the path in the folder).
    pub name: String,
    pub path: PathBuf,
    pub job: SplitJob<'a>,
    /// Parts a year of this member; `None`: its share of the family's volume.
    pub annual_volume: Option<f64>,
    /// Why the member cannot be used before it is read (a manifest row's bad cell).
    pub error: Option<String>,
}

/// How the family is evaluated.
#[derive(Debug, Clone)]
pub struct FamilyOptions<'a> {
    pub models: &'a ModelSet,
    /// Members within this distance (mm) of a mold's reference share its mold.
    pub tolerance_mm: f64,
    pub samples: usize,
    /// The estimate's options; `annual_volume` is the family's, split evenly among the
    /// members without one of their own.
    pub estimate: EstimateOptions,
    /// The family's lattice (the same layout for every member of a mold); `None`: plain.
    pub lattice: Option<LatticeRequest>,
    /// Skip the costing (registration and grouping alone, as the benchmark times them).
    pub cost: bool,
}

/// A member that could be split.
pub struct Split {
    pub prepared: Prepared,
    /// Its molded region's canonical shape.
    pub shape: register::Shape,
}

impl Split {
    pub fn split(&self) -> &crate::split::Split {
        self.prepared
            .split
            .as_ref()
            .expect("family members are kept only with a split")
    }
}

/// A member's row in the report.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    pub file: String,
    pub status: &'static str,
    pub error: Option<String>,
    pub mold: Option<usize>,
    /// Against the family's reference (mold 0's): the largest and the 95th percentile of the
    /// sampled symmetric surface distance (mm).
    pub deviation_mm: Option<f64>,
    pub deviation_p95_mm: Option<f64>,
    /// Where it deviates most from the family's reference, in the member's own coordinates.
    pub worst_at_mm: Option<[f64; 3]>,
    /// The same place in the common frame (mold 0's: the split plane at z = 0).
    pub worst_at_common_mm: Option<[f64; 3]>,
    pub differs: Option<Difference>,
    /// Member minus reference at the worst place (mm, common frame).
    pub change_mm: Option<[f64; 3]>,
    /// Against its own mold's reference (0 for the reference).
    pub mold_deviation_mm: Option<f64>,
    pub registration_fit_mm: Option<f64>,
    pub molded_volume_mm3: Option<f64>,
    pub baseplate_volume_mm3: Option<f64>,
    pub plate_thickness_mm: Option<f64>,
    pub annual_volume: Option<f64>,
    /// From the member's coordinates to its mold's common frame: a 4 x 4 matrix, rows.
    pub to_common: Option<[[f64; 4]; 4]>,
    #[serde(flatten)]
    pub plate: Option<plate::PlateCheck>,
    #[serde(flatten)]
    pub cost: Option<costing::MemberCost>,
    pub warnings: Vec<String>,
}

impl MemberRow {
    fn error(file: String, error: String) -> Self {
        MemberRow {
            file,
            status: "error",
            error: Some(error),
            mold: None,
            deviation_mm: None,
            deviation_p95_mm: None,
            worst_at_mm: None,
            worst_at_common_mm: None,
            differs: None,
            change_mm: None,
            mold_deviation_mm: None,
            registration_fit_mm: None,
            molded_volume_mm3: None,
            baseplate_volume_mm3: None,
            plate_thickness_mm: None,
            annual_volume: None,
            to_common: None,
            plate: None,
            cost: None,
            warnings: Vec::new(),
        }
    }
}

/// One rib mold.
#[derive(Debug, Clone, Serialize)]
pub struct MoldRow {
    pub id: usize,
    /// Member indices (in the family's order).
    pub members: Vec<usize>,
    /// The member whose molded region the mold is made from.
    pub reference: usize,
    pub reference_file: String,
    pub molded_volume_mm3: f64,
    /// The largest deviation of a member from the reference (mm).
    pub max_deviation_mm: f64,
    pub annual_volume: f64,
}

/// Wall-clock seconds of the stages.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    pub split_s: f64,
    pub registration_and_grouping_s: f64,
    pub lattice_and_costing_s: f64,
}

/// The family evaluated.
#[derive(Serialize)]
pub struct Family {
    pub tolerance_mm: f64,
    pub samples: usize,
    pub members: Vec<MemberRow>,
    pub molds: Vec<MoldRow>,
    #[serde(flatten)]
    pub costs: Option<costing::FamilyCosts>,
    pub timings: Timings,
    /// The members split (the same order as `members`; `None` for an error row).
    #[serde(skip)]
    pub splits: Vec<Option<Split>>,
    /// Each mold's molded region with its pins, in the mold's common frame.
    #[serde(skip)]
    pub mold_meshes: Vec<Mesh>,
    /// Each member's baseplate with its mold's lattice, in its own coordinates.
    #[serde(skip)]
    pub baseplates: Vec<Option<Mesh>>,
}

fn matrix_rows(t: &Isometry3<f64>) -> [[f64; 4]; 4] {
    let m = t.to_homogeneous();
    std::array::from_fn(|r| std::array::from_fn(|c| m[(r, c)]))
}

/// Splits one member and puts its molded region into its canonical frame.
fn split_member(spec: &MemberSpec, samples: usize) -> Result<Split, String> {
    if let Some(e) = &spec.error {
        return Err(e.clone());
    }
    let mut job = spec.job.clone();
    // Registration compares the molded regions as designed; the family's lattice is laid
    // out afterwards, one layout per mold.
    job.lattice = None;
    let prepared = plan::prepare(&spec.path, &job).map_err(|e| e.to_string())?;
    let s = prepared
        .split
        .as_ref()
        .map_err(|why| format!("{}: cannot be split: {why}", spec.path.display()))?;
    let shape = register::shape(
        &s.molded,
        &Vector3::from(s.facts.plane_normal),
        &Point3::from(s.facts.plane_point_mm),
        samples,
    )
    .ok_or_else(|| format!("{}: the molded region has no surface", spec.path.display()))?;
    Ok(Split { prepared, shape })
}

/// Evaluates a family: every member split, registered, grouped into molds, its plate checked
/// and (with `opts.cost`) the routes costed. A member that cannot be read or split is an
/// error row; the others go on.
pub fn evaluate(specs: &[MemberSpec], opts: &FamilyOptions) -> Family {
    let t0 = Instant::now();
    let splits: Vec<Result<Split, String>> = specs
        .par_iter()
        .map(|s| split_member(s, opts.samples))
        .collect();
    let split_s = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let ok: Vec<usize> = (0..splits.len()).filter(|&i| splits[i].is_ok()).collect();
    let candidates: Vec<Option<Candidate>> = splits
        .iter()
        .map(|s| {
            s.as_ref().ok().map(|s| Candidate {
                shape: &s.shape,
                molded_volume_mm3: s.split().facts.molded_volume_mm3,
                molded_area_mm2: s.split().molded.area_mm2(),
            })
        })
        .collect();
    let grouped = group(&candidates, &ok, opts.tolerance_mm);
    let registration_s = t1.elapsed().as_secs_f64();

    let share = volume_share(specs, &ok, opts.estimate.annual_volume);
    let volume_of = |i: usize| specs[i].annual_volume.unwrap_or(share);
    let mut members: Vec<MemberRow> = splits
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Err(e) => MemberRow::error(specs[i].name.clone(), e.clone()),
            Ok(s) => member_row(
                &specs[i].name,
                s,
                &grouped,
                i,
                volume_of(i),
                opts.tolerance_mm,
            ),
        })
        .collect();
    let molds = mold_rows(&grouped, specs, &members, volume_of);

    let mut splits: Vec<Option<Split>> = splits.into_iter().map(Result::ok).collect();
    let t2 = Instant::now();
    let transforms = grouped.transforms();
    let lattices = plate::family_lattices(&splits, &molds, &transforms, specs, opts);
    for (i, row) in members.iter_mut().enumerate() {
        if let Some(check) = &lattices.checks[i] {
            row.plate = Some(check.clone());
        }
    }
    let costs = opts.cost.then(|| {
        costing::cost_family(
            &mut splits,
            &lattices,
            &molds,
            &transforms,
            specs,
            &members,
            opts,
        )
    });
    let costs = costs.map(|(family, per_member)| {
        for (i, c) in per_member.into_iter().enumerate() {
            match c {
                Some(Ok(c)) => members[i].cost = Some(c),
                Some(Err(e)) => members[i].warnings.push(e),
                None => {}
            }
        }
        family
    });
    Family {
        tolerance_mm: opts.tolerance_mm,
        samples: opts.samples,
        members,
        molds,
        costs,
        timings: Timings {
            split_s,
            registration_and_grouping_s: registration_s,
            lattice_and_costing_s: t2.elapsed().as_secs_f64(),
        },
        splits,
        mold_meshes: lattices.mold_meshes,
        baseplates: lattices.baseplates,
    }
}

/// The volume of each split member without one of its own: the rest of the family's
/// `annual_volume` after the members' own, split evenly among the others (at least 1).
fn volume_share(specs: &[MemberSpec], ok: &[usize], annual_volume: f64) -> f64 {
    let own: f64 = ok.iter().filter_map(|&i| specs[i].annual_volume).sum();
    let without = ok
        .iter()
        .filter(|&&i| specs[i].annual_volume.is_none())
        .count();
    ((annual_volume - own) / without.max(1) as f64).max(1.0)
}

/// The row of split member `i` (named `file`, at `annual_volume`): its deviation from the
/// family's reference and from its mold's, where it differs most (only beyond
/// `tolerance_mm`), and its split's volumes.
fn member_row(
    file: &str,
    s: &Split,
    grouped: &Grouped,
    i: usize,
    annual_volume: f64,
    tolerance_mm: f64,
) -> MemberRow {
    let f = &s.split().facts;
    let fam = grouped.family_deviation[i].as_ref().expect("measured");
    let (mold, own_dev) = grouped.mold_of[i].as_ref().expect("grouped");
    let from_common = fam.member_to_common.inverse();
    let worst_member = from_common * fam.worst_common;
    let differs = fam.max_mm > tolerance_mm;
    MemberRow {
        file: file.to_string(),
        status: "ok",
        error: None,
        mold: Some(*mold),
        deviation_mm: Some(fam.max_mm),
        deviation_p95_mm: Some(fam.p95_mm),
        worst_at_mm: differs.then(|| worst_member.coords.into()),
        worst_at_common_mm: differs.then(|| fam.worst_common.coords.into()),
        differs: Some(fam.difference),
        change_mm: differs.then_some(fam.change_mm),
        mold_deviation_mm: Some(own_dev.max_mm),
        registration_fit_mm: Some(own_dev.fit_mm),
        molded_volume_mm3: Some(f.molded_volume_mm3),
        baseplate_volume_mm3: Some(f.baseplate_volume_mm3),
        plate_thickness_mm: Some(f.plate_thickness_mm),
        annual_volume: Some(annual_volume),
        to_common: Some(matrix_rows(&own_dev.member_to_common)),
        plate: None,
        cost: None,
        warnings: f.warnings.clone(),
    }
}

/// The molds' rows: each mold's reference and members, its largest deviation and the volume
/// of its members.
fn mold_rows(
    grouped: &Grouped,
    specs: &[MemberSpec],
    members: &[MemberRow],
    volume_of: impl Fn(usize) -> f64,
) -> Vec<MoldRow> {
    grouped
        .molds
        .iter()
        .enumerate()
        .map(|(id, (reference, list))| MoldRow {
            id,
            members: list.clone(),
            reference: *reference,
            reference_file: specs[*reference].name.clone(),
            molded_volume_mm3: members[*reference].molded_volume_mm3.unwrap_or(0.0),
            max_deviation_mm: list
                .iter()
                .filter_map(|&i| grouped.mold_of[i].as_ref().map(|(_, d)| d.max_mm))
                .fold(0.0, f64::max),
            annual_volume: list.iter().map(|&i| volume_of(i)).sum(),
        })
        .collect()
}

/// The members grouped into molds.
pub struct Grouped {
    /// Every member against the family's reference (mold 0's).
    pub family_deviation: Vec<Option<Deviation>>,
    /// Every member's mold and its deviation from that mold's reference.
    pub mold_of: Vec<Option<(usize, Deviation)>>,
    /// Each mold's reference and members.
    pub molds: Vec<(usize, Vec<usize>)>,
}

impl Grouped {
    /// Each member's transform into its mold's common frame.
    pub fn transforms(&self) -> Vec<Option<Isometry3<f64>>> {
        self.mold_of
            .iter()
            .map(|m| m.as_ref().map(|(_, d)| d.member_to_common))
            .collect()
    }
}

/// Groups the members `ok` into molds: the reference most of the rest agree with, every one
/// of the rest measured against it, those within `tolerance_mm` in its mold; again for those
/// left.
pub fn group(candidates: &[Option<Candidate>], ok: &[usize], tolerance_mm: f64) -> Grouped {
    let n = candidates.len();
    let mut family_deviation: Vec<Option<Deviation>> = (0..n).map(|_| None).collect();
    let mut mold_of: Vec<Option<(usize, Deviation)>> = (0..n).map(|_| None).collect();
    let mut molds = Vec::new();
    let mut left: Vec<usize> = ok.to_vec();
    while !left.is_empty() {
        let reference = grouping::pick_reference(candidates, &left);
        let id = molds.len();
        let shape = |i: usize| {
            candidates[i]
                .as_ref()
                .expect("only members with a shape are grouped")
                .shape
        };
        let rshape = shape(reference);
        let measured: Vec<(usize, Deviation)> = left
            .iter()
            .map(|&i| {
                (
                    i,
                    grouping::measure(shape(i), rshape, tolerance_mm, i == reference),
                )
            })
            .collect();
        let mut members = Vec::new();
        let mut rest = Vec::new();
        for (i, d) in measured {
            if id == 0 {
                family_deviation[i] = Some(d.clone());
            }
            if d.max_mm <= tolerance_mm {
                members.push(i);
                mold_of[i] = Some((id, d));
            } else {
                rest.push(i);
            }
        }
        molds.push((reference, members));
        left = rest;
    }
    Grouped {
        family_deviation,
        mold_of,
        molds,
    }
}
