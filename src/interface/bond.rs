//! Will the melt fill the pores, and what load does the interface carry? Estimates from the
//! molded material's flow and strength and the adhesion of the pair (docs/method.md,
//! "Interface fill and bond"). They are estimates, not a substitute for a pull-off test.

use serde::Serialize;

use crate::models::Material;

use super::MaterialPair;

/// The shape of the channels the melt flows into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Square, round or hexagonal pores: a tube with the pore width as hydraulic diameter.
    Tube,
    /// Slots and the gaps of open infill: a slit as wide as the gap.
    Slit,
}

/// The fill check of one pore size.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Fill {
    /// Time for the melt in the channel to cool to its no-flow temperature against walls at the
    /// mold temperature.
    pub freeze_time_s: f64,
    /// How far the melt flows into the channel, driven by the cavity pressure, before it freezes.
    pub flow_length_mm: f64,
    /// The depth filled: the pore depth, or the flow length where that is shorter.
    pub fill_depth_mm: f64,
}

/// How deep the melt of `molded` fills a channel `width_mm` wide and `depth_mm` deep.
///
/// Freezing: the plate equation to the no-flow temperature across the channel width, walls at
/// the mold temperature (conservative: a printed polymer insert is a poor conductor, so the
/// real contact temperature is higher). Flow: Newtonian, isothermal, pressure-driven flow
/// into a dead-end channel; with the mean velocity of Hagen–Poiseuille flow the front advances
/// as L·dL/dt = d²·Δp/(32·η) in a tube of diameter d (L = d·√(Δp·t/(16·η))) and as
/// L·dL/dt = h²·Δp/(12·η) in a slit of gap h (L = h·√(Δp·t/(6·η))).
pub fn fill(width_mm: f64, depth_mm: f64, channel: Channel, molded: &Material) -> Fill {
    let freeze_time_s = molded.cooling_time_to_s(width_mm, molded.no_flow_temp_c);
    let dp_pa = molded.cavity_pressure_mpa * 1e6;
    let k = match channel {
        Channel::Tube => 16.0,
        Channel::Slit => 6.0,
    };
    let flow_length_mm =
        width_mm * (dp_pa * freeze_time_s / (k * molded.melt_viscosity_pa_s)).sqrt();
    Fill {
        freeze_time_s,
        flow_length_mm,
        fill_depth_mm: depth_mm.min(flow_length_mm),
    }
}

/// The interface's geometry as far as the bond is concerned (mm, mm²).
#[derive(Debug, Clone, Copy)]
pub struct BondGeometry {
    /// The contact area: the footprint.
    pub interface_area_mm2: f64,
    /// Cross-section of molded material reaching into the baseplate (pins, or the open part of
    /// an infill zone).
    pub pin_area_mm2: f64,
    /// Side walls of the pins, to the filled depth.
    pub pin_side_area_mm2: f64,
    /// Filled depth over pore depth (1 when the melt fills the pores).
    pub filled_fraction: f64,
    /// Undercut (dovetail) pins: the printed wall around the necks that must shear for a pin
    /// to pull out (neck perimeter × neck depth); 0 for straight pins.
    pub ledge_area_mm2: f64,
}

/// Load capacity of the interface (N), with the lattice and without it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Bond {
    pub adhesion_mpa: f64,
    /// The melt's contact temperature on the insert the adhesion holds at, where known.
    pub interface_temp_c: Option<f64>,
    pub molded_shear_strength_mpa: f64,
    pub bond_shear_n: f64,
    pub bond_shear_plain_n: f64,
    pub bond_pull_n: f64,
    pub bond_pull_plain_n: f64,
    /// bond_shear_n / bond_shear_plain_n.
    pub shear_ratio: f64,
}

/// Shear and pull-off capacity of the interface.
///
/// Plain: the whole contact area at the adhesion strength of the pair, in shear and in
/// pull-off. Shear with the lattice: the weakest path runs along the interface plane, through
/// the pins (molded material in shear, by the von Mises shear strength, in proportion to how
/// far they are filled) and along the remaining contact (adhesion):
/// F = A_pin·τ_molded·f_fill + (A − A_pin)·τ_adh.
/// Pull-off: adhesion over the contact plus what holds the pins in: for straight pins their
/// side walls' adhesion, for undercut pins the printed neck wall they must shear through,
/// whichever is more; at most the pins' own tensile strength:
/// F = A·τ_adh + min(A_pin·σ_molded, max(A_side·τ_adh, A_ledge·τ_printed)).
pub fn bond(g: &BondGeometry, pair: &MaterialPair, adhesion_mpa: f64) -> Bond {
    let molded = pair.molded;
    let tau_m = molded.shear_strength_mpa();
    let a = g.interface_area_mm2;
    let pins = g.pin_area_mm2.min(a);
    let plain = a * adhesion_mpa;
    let shear = pins * tau_m * g.filled_fraction.clamp(0.0, 1.0) + (a - pins) * adhesion_mpa;
    let hold = (g.pin_side_area_mm2 * adhesion_mpa)
        .max(g.ledge_area_mm2 * pair.printed.shear_strength_mpa());
    let pull = plain + hold.min(pins * molded.tensile_strength_mpa);
    Bond {
        adhesion_mpa,
        interface_temp_c: pair.interface_temp_c,
        molded_shear_strength_mpa: tau_m,
        bond_shear_n: shear,
        bond_shear_plain_n: plain,
        bond_pull_n: pull,
        bond_pull_plain_n: plain,
        shear_ratio: if plain > 0.0 {
            shear / plain
        } else {
            f64::INFINITY
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSet;

    #[test]
    fn pp_fills_a_pore_of_nine_tenths_of_a_mm() {
        let set = ModelSet::embedded().unwrap();
        let (_, pp) = set.materials.get("PP").unwrap();
        let f = fill(0.9, 1.0, Channel::Tube, pp);
        // By hand, PP (melt 230, mold 40, no-flow 130 C, alpha 0.08 mm2/s, 30 MPa, 150 Pa s):
        // t = 0.81 / (pi^2 * 0.08) * ln(4/pi * 190 / 90) = 1.02588 * ln(2.68795) = 1.01436 s
        // L = 0.9 * sqrt(30e6 * 1.01458 / (16 * 150)) = 0.9 * 112.60 = 101.34 mm
        let t = 0.81 / (std::f64::consts::PI.powi(2) * 0.08)
            * (4.0 / std::f64::consts::PI * 190.0 / 90.0).ln();
        assert!((f.freeze_time_s - t).abs() < 1e-9 && (t - 1.01436).abs() < 1e-4);
        let l = 0.9 * (30e6 * t / 2400.0).sqrt();
        assert!(
            (f.flow_length_mm - l).abs() < 1e-9 && (l - 101.34).abs() < 0.01,
            "{l}"
        );
        assert_eq!(f.fill_depth_mm, 1.0);
        // A slit fills further than a tube of the same width (less wall per flow area).
        assert!(fill(0.9, 1.0, Channel::Slit, pp).flow_length_mm > l);
    }

    #[test]
    fn bond_by_hand() {
        let set = ModelSet::embedded().unwrap();
        let (_, pla) = set.materials.get("PLA").unwrap();
        let pair = MaterialPair {
            printed_name: "PLA",
            printed: pla,
            molded_name: "PLA",
            molded: pla,
            adhesion_mpa: 4.0,
            listed: true,
            interface_temp_c: None,
        };
        // 1000 mm2 interface, 250 mm2 of pins, 800 mm2 of pin walls, adhesion 4 MPa,
        // PLA: tensile 60 MPa, shear 60 / sqrt(3) = 34.641 MPa.
        let g = BondGeometry {
            interface_area_mm2: 1000.0,
            pin_area_mm2: 250.0,
            pin_side_area_mm2: 800.0,
            filled_fraction: 1.0,
            ledge_area_mm2: 0.0,
        };
        let b = bond(&g, &pair, 4.0);
        assert!((b.bond_shear_plain_n - 4000.0).abs() < 1e-9);
        // 250 * 34.641 + 750 * 4 = 8660.25 + 3000 = 11660.25 N
        assert!((b.bond_shear_n - (250.0 * 60.0 / 3f64.sqrt() + 3000.0)).abs() < 1e-9);
        assert!((b.bond_shear_n - 11660.25).abs() < 0.01);
        // Pull-off: 4000 + min(800 * 4, 250 * 60) = 7200 N
        assert!((b.bond_pull_n - 7200.0).abs() < 1e-9);
        // Half-filled pins carry half their shear.
        let half = bond(
            &BondGeometry {
                filled_fraction: 0.5,
                ..g
            },
            &pair,
            4.0,
        );
        assert!((half.bond_shear_n - (125.0 * 60.0 / 3f64.sqrt() + 3000.0)).abs() < 1e-9);
        // Dovetails: 100 mm2 of printed neck wall (shear 34.641 MPa) holds 3464.1 N, more than
        // the side walls' adhesion: 4000 + min(15000, 3464.10) = 7464.10 N.
        let dove = bond(
            &BondGeometry {
                ledge_area_mm2: 100.0,
                ..g
            },
            &pair,
            4.0,
        );
        assert!((dove.bond_pull_n - (4000.0 + 100.0 * 60.0 / 3f64.sqrt())).abs() < 1e-9);
        // A ledge stronger than the pins: the pins break first, 4000 + 250 * 60 = 19000 N.
        let strong = bond(
            &BondGeometry {
                ledge_area_mm2: 1000.0,
                ..g
            },
            &pair,
            4.0,
        );
        assert!((strong.bond_pull_n - 19_000.0).abs() < 1e-9);
    }
}
