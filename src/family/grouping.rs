//! Members into molds: the reference most members agree with, every other member measured
//! against it, the members within the tolerance sharing its mold, the rest grouped again by
//! the same rule.

use nalgebra::{Isometry3, Point3};
use serde::Serialize;

use super::distance::{self, Symmetric};
use super::register::{self, Shape};

/// What a grouped member needs to be measured: its canonical shape and the signature by which
/// references are chosen.
pub struct Candidate<'a> {
    pub shape: &'a Shape,
    pub molded_volume_mm3: f64,
    pub molded_area_mm2: f64,
}

/// Two molded regions whose volume and area agree within this fraction are taken to agree
/// when the reference is chosen (the distance decides afterwards): a rib 0.3 mm taller
/// changes a region's volume by a few tenths of a percent, float noise by 1e-12.
const SIGNATURE_AGREEMENT: f64 = 1e-4;

fn agree(a: &Candidate, b: &Candidate) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= SIGNATURE_AGREEMENT * x.abs().max(y.abs());
    close(a.molded_volume_mm3, b.molded_volume_mm3) && close(a.molded_area_mm2, b.molded_area_mm2)
}

/// Of the members `among` (indices into `all`), the one most others agree with; ties go to
/// the first.
pub fn pick_reference(all: &[Option<Candidate>], among: &[usize]) -> usize {
    let mut best = (among[0], 0usize);
    for &i in among {
        let n = among
            .iter()
            .filter(|&&j| match (&all[i], &all[j]) {
                (Some(a), Some(b)) => agree(a, b),
                _ => false,
            })
            .count();
        if n > best.1 {
            best = (i, n);
        }
    }
    best.0
}

/// What differs most between a member and its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    /// Within the tolerance.
    None,
    /// A surface higher or lower along the mold opening direction.
    Height,
    /// A surface moved across it.
    Position,
    /// Material of the member where the reference has none near.
    ExtraFeature,
    /// Material of the reference that the member lacks.
    MissingFeature,
}

/// A member against a reference, in the reference's canonical frame.
#[derive(Debug, Clone)]
pub struct Deviation {
    /// From the member's coordinates to the reference's canonical frame.
    pub member_to_common: Isometry3<f64>,
    pub max_mm: f64,
    pub p95_mm: f64,
    /// Where it deviates most: on the member's surface (or the reference's, when the
    /// reference's surface is farther from the member), in the common frame.
    pub worst_common: Point3<f64>,
    pub difference: Difference,
    /// The change there, member minus reference (mm): up (height) or across (position).
    pub change_mm: [f64; 3],
    /// ICP's fit: mean distance of the best 90 % of the samples (mm).
    pub fit_mm: f64,
}

/// Measures `member` against `reference` (which is `member` itself for the reference).
pub fn measure(member: &Shape, reference: &Shape, tolerance_mm: f64, same: bool) -> Deviation {
    if same {
        return Deviation {
            member_to_common: reference.to_canonical,
            max_mm: 0.0,
            p95_mm: 0.0,
            worst_common: Point3::origin(),
            difference: Difference::None,
            change_mm: [0.0; 3],
            fit_mm: 0.0,
        };
    }
    let r = register::register(member, reference);
    let to_ref = r.member_to_reference;
    let member_samples: Vec<Point3<f64>> = member.samples.iter().map(|p| to_ref * p).collect();
    // The member's surface is kept in its own canonical frame: the reference's samples go
    // there and their closest points come back.
    let back = to_ref.inverse();
    let ref_in_member: Vec<Point3<f64>> = reference.samples.iter().map(|p| back * p).collect();
    let mut sym = distance::symmetric(
        &member_samples,
        &reference.surface,
        &ref_in_member,
        &member.surface,
    )
    .expect("both shapes have samples");
    for s in sym.samples.iter_mut().filter(|s| !s.on_member) {
        s.at = to_ref * s.at;
        s.closest = to_ref * s.closest;
    }
    sym.worst.at = if sym.worst.on_member {
        sym.worst.at
    } else {
        to_ref * sym.worst.at
    };
    sym.worst.closest = if sym.worst.on_member {
        sym.worst.closest
    } else {
        to_ref * sym.worst.closest
    };
    let (difference, change, worst) = describe(&sym, tolerance_mm);
    Deviation {
        member_to_common: to_ref * member.to_canonical,
        max_mm: sym.max_mm,
        p95_mm: sym.p95_mm,
        worst_common: worst,
        difference,
        change_mm: change,
        fit_mm: r.fit_mm,
    }
}

/// What differs at the worst sample: a feature one side has alone when the other side's
/// surface near the worst point's counterpart is matched, otherwise a height change when the
/// change is mostly along z, a position change when mostly across it.
fn describe(sym: &Symmetric, tolerance_mm: f64) -> (Difference, [f64; 3], Point3<f64>) {
    let w = sym.worst;
    if w.distance_mm <= tolerance_mm {
        return (Difference::None, [0.0; 3], w.at);
    }
    // Member minus reference.
    let change = if w.on_member {
        w.at - w.closest
    } else {
        w.closest - w.at
    };
    // The samples of the other side near the counterpart of the worst point.
    let radius = w.distance_mm.max(1.0);
    let near_matched = sym
        .samples
        .iter()
        .filter(|s| s.on_member != w.on_member && (s.at - w.closest).norm() <= radius)
        .all(|s| s.distance_mm <= tolerance_mm);
    let any_near = sym
        .samples
        .iter()
        .any(|s| s.on_member != w.on_member && (s.at - w.closest).norm() <= radius);
    let difference = if any_near && near_matched {
        if w.on_member {
            Difference::ExtraFeature
        } else {
            Difference::MissingFeature
        }
    } else if change.z.abs() >= change.xy().norm() {
        Difference::Height
    } else {
        Difference::Position
    };
    (difference, [change.x, change.y, change.z], w.at)
}
