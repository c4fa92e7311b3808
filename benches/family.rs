//! `family` at scale: a generated family of personalised plates (other sizes, a hole in
//! another place each) carrying one rib design, every member turned and moved, two members
//! with a rib 0.3 mm taller; each member midpoint-subdivided to about 200,000 triangles.
//! Times the split of all members, and registration with grouping, through the library
//! (the lattice left out, no costing).
//!
//!     cargo bench --bench family      (`MEMBERS=N`, default 50; `TRIANGLES=N`, default 200000;
//!                                      `KEEP=DIR` keeps the members there)

use std::time::Instant;

#[path = "common/family_member.rs"]
mod family_member;
use family_member::member;

use hybridplan::family::{self, FamilyOptions, MemberSpec};
use hybridplan::models::ModelSet;
use hybridplan::plan::{EstimateOptions, MaterialChoice, SplitJob};
use nalgebra::{Isometry3, Translation3, UnitQuaternion};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let members = env("MEMBERS", 50);
    let triangles = env("TRIANGLES", 200_000);
    let tmp = tempfile::tempdir().expect("a temporary folder");
    // `KEEP=DIR`: the members are written there and kept, to be run by hand.
    let kept = std::env::var_os("KEEP").map(std::path::PathBuf::from);
    if let Some(k) = &kept {
        std::fs::create_dir_all(k).expect("the KEEP folder");
    }
    let dir_path = kept.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let dir = &dir_path;
    let t = Instant::now();
    let mut total_triangles = 0;
    for k in 0..members {
        let mut m = member(k, k % 25 == 7);
        while m.triangles.len() * 4 <= triangles * 2 {
            m = m.subdivided();
        }
        let f = |j: usize| ((k * 7919 + j * 104_729) % 1000) as f64 / 1000.0;
        let pose = Isometry3::from_parts(
            Translation3::new(300.0 * f(1) - 150.0, 300.0 * f(2) - 150.0, 300.0 * f(3)),
            UnitQuaternion::from_euler_angles(
                std::f64::consts::TAU * f(4),
                3.0 * f(5) - 1.5,
                std::f64::consts::TAU * f(6),
            ),
        );
        m.map_vertices(|p| pose * p);
        total_triangles += m.triangles.len();
        hybridplan::mesh::stl::write_binary(&dir.as_path().join(format!("m{k:03}.stl")), &m, "m")
            .expect("written");
    }
    eprintln!(
        "generated {members} members, {:.0} triangles each on average, in {:.1} s",
        total_triangles as f64 / members as f64,
        t.elapsed().as_secs_f64()
    );
    let models = ModelSet::load(&[] as &[&str]).expect("embedded models");
    let job = SplitJob {
        load: Default::default(),
        split: Default::default(),
        lattice: None,
        thickness_samples: 5000,
        models: &models,
        materials: MaterialChoice::default(),
    };
    let specs: Vec<MemberSpec> = (0..members)
        .map(|k| MemberSpec {
            name: format!("m{k:03}.stl"),
            path: dir.as_path().join(format!("m{k:03}.stl")),
            job: job.clone(),
            annual_volume: None,
            error: None,
        })
        .collect();
    let opts = FamilyOptions {
        models: &models,
        tolerance_mm: models.molding.family.tolerance_mm,
        samples: family::DEFAULT_SAMPLES,
        estimate: EstimateOptions::default(),
        lattice: None,
        cost: false,
    };
    let t = Instant::now();
    let fam = family::evaluate(&specs, &opts);
    let wall = t.elapsed().as_secs_f64();
    let errors = fam.members.iter().filter(|m| m.status == "error").count();
    let worst_good = fam
        .members
        .iter()
        .filter(|m| m.mold == Some(0))
        .filter_map(|m| m.deviation_mm)
        .fold(0.0, f64::max);
    println!(
        "family of {members} members ({:.0} triangles each): split {:.1} s, registration and grouping {:.1} s, plate checks {:.1} s, all {wall:.1} s",
        total_triangles as f64 / members as f64,
        fam.timings.split_s,
        fam.timings.registration_and_grouping_s,
        fam.timings.lattice_and_costing_s
    );
    if let Some(m) = fam.members.iter().find(|m| m.mold == Some(0)) {
        println!("  e.g. {}: molded {:?} mm³", m.file, m.molded_volume_mm3);
    }
    for m in &fam.members {
        if m.status == "error" || m.mold != Some(0) {
            println!(
                "  {}: mold {:?}, deviation {:?} mm, {:?}, molded {:?} mm³, fit {:?} mm {}",
                m.file,
                m.mold,
                m.deviation_mm,
                m.differs,
                m.molded_volume_mm3,
                m.registration_fit_mm,
                m.error.as_deref().unwrap_or("")
            );
        }
    }
    println!(
        "  {} molds (mold 0: {} members, largest deviation {worst_good:.4} mm), {errors} error rows",
        fam.molds.len(),
        fam.molds.first().map_or(0, |m| m.members.len()),
    );
}
