//! Batch benchmark: `hybridplan batch` on a generated catalog of 1,000 parts (the sample parts
//! under seeded random rotations and scales, written as binary STL), with `--jobs 1`,
//! `--jobs 2` and the default (all cores); prints parts/s and the speed-up over one job.
//!
//!     cargo build --release && cargo bench --bench batch
//!
//! The binary timed is `target/release/hybridplan` (or the one under this bench build's target
//! directory; `HYBRIDPLAN_BIN=/path` overrides both); the bench does not build it. Each setting
//! runs `RUNS` times into a fresh output folder, after one untimed warm-up run (page cache);
//! the figure is the median wall time of the whole process (start-up, catalog, evaluation,
//! result files). `PARTS=N` changes the catalog size, `RUNS=N` the runs per setting, `BENCH_DIR=DIR`
//! keeps the catalog and the last results in DIR. The load average before and after each
//! setting is printed with it: on a machine whose cores are shared, a speed-up below the
//! number of jobs may be other work, not the batch.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{Rng, find_binary};
use hybridplan::mesh::stl::write_binary;
use hybridplan::samples;
use nalgebra::{Rotation3, Vector3};

const DEFAULT_PARTS: usize = 1000;
const DEFAULT_RUNS: usize = 3;
const SEED: u64 = 0x5eed_ba7c;

/// Writes `parts` parts into `dir`: sample k % 8, turned by random Euler angles, scaled by
/// 0.5 to 2 and moved by up to 100 mm.
fn make_catalog(dir: &Path, parts: usize) {
    let samples = samples::all();
    let meshes: Vec<_> = samples.iter().map(|s| s.mesh()).collect();
    let mut rng = Rng(SEED);
    for k in 0..parts {
        let which = k % samples.len();
        let mut mesh = meshes[which].clone();
        let rot = Rotation3::from_euler_angles(
            rng.uniform(-3.2, 3.2),
            rng.uniform(-3.2, 3.2),
            rng.uniform(-3.2, 3.2),
        );
        let scale = rng.uniform(0.5, 2.0);
        let shift = Vector3::new(
            rng.uniform(-100.0, 100.0),
            rng.uniform(-100.0, 100.0),
            rng.uniform(-100.0, 100.0),
        );
        mesh.map_vertices(|p| rot * (p * scale) + shift);
        let name = samples[which].name;
        write_binary(&dir.join(format!("{k:04}_{name}.stl")), &mesh, name).unwrap();
    }
}

/// The 1-minute load average (Linux), to judge whether other work shared the cores.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The hybridplan binary to time, or why there is none.
/// One batch run into a fresh folder: wall time, and the (ok, errors) of its summary.
fn batch(bin: &Path, catalog: &Path, out: &Path, jobs: Option<usize>) -> (Duration, u64, u64) {
    let _ = std::fs::remove_dir_all(out);
    let mut cmd = Command::new(bin);
    cmd.args([
        "batch",
        catalog.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    if let Some(j) = jobs {
        cmd.args(["--jobs", &j.to_string()]);
    }
    let t = Instant::now();
    let o = cmd.stdin(Stdio::null()).output().expect("start hybridplan");
    let dt = t.elapsed();
    assert!(
        o.status.success(),
        "hybridplan batch: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    (
        dt,
        summary["ok"].as_u64().unwrap(),
        summary["errors"].as_u64().unwrap(),
    )
}

fn main() {
    let bin = match find_binary() {
        Ok(b) => b,
        Err(e) => {
            println!("batch bench skipped: {e}");
            return;
        }
    };
    let parts: usize = std::env::var("PARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_PARTS);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // BENCH_DIR=DIR keeps the catalog and the last results there (to look at the rows).
    let temp = tempfile::tempdir().unwrap();
    let root =
        std::env::var_os("BENCH_DIR").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let catalog = root.join("catalog");
    std::fs::create_dir_all(&catalog).unwrap();
    let t = Instant::now();
    make_catalog(&catalog, parts);
    println!(
        "catalog: {parts} parts (8 samples, random rotations, scales 0.5-2, seed {SEED:#x}) written in {:.2} s; {cores} cores",
        t.elapsed().as_secs_f64()
    );
    let out = root.join("out");
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_RUNS);
    batch(&bin, &catalog, &out, None); // warm-up

    let settings: Vec<(String, Option<usize>)> = vec![
        ("--jobs 1".into(), Some(1)),
        ("--jobs 2".into(), Some(2)),
        (format!("default ({cores} cores)"), None),
    ];
    let mut base: Option<f64> = None;
    println!(
        "| setting | wall time (median of {runs}) | parts/s | speed-up | ok / errors | load average before, after |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, jobs) in settings {
        let mut times = Vec::new();
        let mut counts = (0, 0);
        let load_before = load_average();
        for _ in 0..runs {
            let (dt, ok, errors) = batch(&bin, &catalog, &out, jobs);
            times.push(dt);
            counts = (ok, errors);
        }
        let t = median(times).as_secs_f64();
        let rate = parts as f64 / t;
        let speedup = base.map_or(1.0, |b| b / t);
        base.get_or_insert(t);
        println!(
            "| {name} | {t:.2} s | {rate:.1} | {speedup:.2} | {} / {} | {load_before}, {} |",
            counts.0,
            counts.1,
            load_average()
        );
    }
}
