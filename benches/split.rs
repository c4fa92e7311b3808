//! Split benchmark: the real `hybridplan split` on a generated ~1,000,000-triangle plate with
//! ribs, against the Python peers doing the same cut at the plate top (z = 3 mm):
//! trimesh (load + two capped `slice_plane` calls, lower and upper half) and manifold3d
//! (load via trimesh + `Manifold(Mesh64)` + `split_by_plane`).
//!
//!     cargo build --release && cargo bench --bench split
//!
//! hybridplan is timed as a process, the binary the user built: `target/release/hybridplan`
//! under the package directory, or under the target directory of this bench build (for a
//! `CARGO_TARGET_DIR` elsewhere); `HYBRIDPLAN_BIN=/path/to/hybridplan` overrides both. The
//! bench does not build it, and says so when it is missing or older than the sources.
//! Its figure includes everything the command does: load, detection, cut, wall-thickness
//! estimate and writing two STL files and a 3MF. Extra rows split that up: the same command
//! with `--thickness-samples 0`, with `--normal 0,0,1 --height 3 --thickness-samples 0` (no
//! detection either), and `hybridplan inspect` (load + check only).
//!
//! The peers run from the venv made by /work/shared/peers/install.sh (`$PEERS_VENV`, default
//! /opt/peers-venv); without it the bench says so and times hybridplan alone. Each peer
//! measurement is one fresh Python process: "with start-up" is that process's wall time
//! (interpreter start, imports, load, cut), "work only" is load + cut as timed inside it. The
//! peers write no files. One untimed run of each tool first warms the page cache and checks
//! that all three cut off the same volumes.
//!
//! Figures are medians: 5 runs for hybridplan, 3 for each peer.

mod common;

use common::find_binary;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

/// wavy_plate(RIBS, POINTS) has 8 * RIBS * POINTS + 12 triangles: 1,000,012.
const RIBS: usize = 50;
const POINTS: usize = 2500;
/// The plate of wavy_plate is 3 mm thick; its top is where everything cuts.
const CUT_Z: f64 = 3.0;
const HYBRIDPLAN_RUNS: usize = 5;
const PEER_RUNS: usize = 3;

/// One peer measurement: `python peer.py ENGINE STL Z MODE`; prints one JSON line.
/// MODE "check" adds volumes (and watertightness for trimesh) after the timed part.
const PEER_PY: &str = r#"
import json, sys, time
t0 = time.perf_counter()
engine, path, z, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
import numpy as np
import trimesh
if engine == "manifold":
    import manifold3d as m3
t1 = time.perf_counter()
mesh = trimesh.load(path, force="mesh")
t_load = time.perf_counter()
if engine == "trimesh":
    lower = mesh.slice_plane(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, -1.0], cap=True)
    upper = mesh.slice_plane(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0], cap=True)
    tris = [len(lower.faces), len(upper.faces)]
else:
    mm = m3.Manifold(m3.Mesh64(vert_properties=np.asarray(mesh.vertices, dtype=np.float64),
                               tri_verts=np.asarray(mesh.faces, dtype=np.uint64)))
    upper, lower = mm.split_by_plane((0.0, 0.0, 1.0), z)
    tris = [lower.num_tri(), upper.num_tri()]  # also makes sure both halves are evaluated
t2 = time.perf_counter()
out = {"import_s": t1 - t0, "load_s": t_load - t1, "work_s": t2 - t1, "triangles": [int(t) for t in tris]}
if mode == "check":
    if engine == "trimesh":
        out["volumes"] = [float(lower.volume), float(upper.volume)]
        out["watertight"] = [bool(lower.is_watertight), bool(upper.is_watertight)]
    else:
        out["status"] = str(mm.status())
        out["volumes"] = [float(lower.volume()), float(upper.volume())]
print(json.dumps(out))
"#;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Runs `cmd` to completion; its wall time, and its standard output. Panics on failure.
fn run(cmd: &mut Command, what: &str) -> (Duration, String) {
    let t = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let dt = t.elapsed();
    if !out.status.success() {
        panic!(
            "{what}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (dt, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The newest modification time of the files under `dir` (recursively).
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest: Option<SystemTime> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().ok().and_then(|m| m.modified().ok())
        };
        newest = newest.max(t);
    }
    newest
}

/// Warns when the binary is older than the sources it is built from.
fn warn_if_stale(bin: &Path) {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = std::fs::metadata(bin).and_then(|m| m.modified()).ok();
    let sources = [
        newest_mtime(&manifest_dir.join("src")),
        std::fs::metadata(manifest_dir.join("Cargo.toml"))
            .and_then(|m| m.modified())
            .ok(),
    ]
    .into_iter()
    .flatten()
    .max();
    if let (Some(built), Some(sources)) = (built, sources)
        && sources > built
    {
        println!(
            "warning: {} is older than the sources; run `cargo build --release` to time the current code",
            bin.display()
        );
    }
}

fn peer_python() -> Result<PathBuf, String> {
    let venv = std::env::var_os("PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/peers-venv"));
    let py = venv.join("bin").join("python");
    if py.is_file() {
        Ok(py)
    } else {
        Err(format!(
            "peers not installed ({} missing; see /work/shared/peers/install.sh): timing hybridplan only",
            py.display()
        ))
    }
}

struct PeerTiming {
    name: &'static str,
    with_startup: Duration,
    work_only: Duration,
    import: Duration,
    check: Value,
}

fn time_peer(
    py: &Path,
    script: &Path,
    engine: &str,
    name: &'static str,
    file: &Path,
) -> Result<PeerTiming, String> {
    let call = |mode: &str| -> Result<(Duration, Value), String> {
        let t = Instant::now();
        let out = Command::new(py)
            .arg(script)
            .arg(engine)
            .arg(file)
            .arg(CUT_Z.to_string())
            .arg(mode)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{name}: could not start {}: {e}", py.display()))?;
        let dt = t.elapsed();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(3).collect();
            return Err(format!(
                "{name}: {} ({})",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
            ));
        }
        let v: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("{name}: unreadable output ({e})"))?;
        Ok((dt, v))
    };
    let (_, check) = call("check")?; // warm-up, and the volumes for the cross-check
    let mut wall = Vec::new();
    let mut work = Vec::new();
    let mut import = Vec::new();
    for _ in 0..PEER_RUNS {
        let (dt, v) = call("time")?;
        let get = |k: &str| Duration::from_secs_f64(v[k].as_f64().unwrap_or(f64::NAN));
        wall.push(dt);
        work.push(get("work_s"));
        import.push(get("import_s"));
    }
    Ok(PeerTiming {
        name,
        with_startup: median(wall),
        work_only: median(work),
        import: median(import),
        check,
    })
}

fn main() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = tmp.join(format!("bench_split_wavy_{RIBS}x{POINTS}.stl"));
    let out_dir = tmp.join("bench_split_out");
    if !file.exists() {
        let t = Instant::now();
        let mesh = hybridplan::samples::wavy_plate(RIBS, POINTS).mesh();
        hybridplan::mesh::stl::write_binary(&file, &mesh, "bench").expect("write bench file");
        eprintln!(
            "generated {} ({} triangles) in {:.2} s",
            file.display(),
            mesh.triangles.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let bytes = std::fs::metadata(&file).expect("bench file").len();
    println!(
        "file: {} ({} triangles, {:.0} MB), wavy_plate({RIBS}, {POINTS}); cut at z = {CUT_Z} mm (plate top)",
        file.display(),
        (bytes - 84) / 50,
        bytes as f64 / 1e6
    );

    // hybridplan: the real binary, as a user runs it.
    let bin = find_binary();
    let mut ours: Vec<(&str, Duration)> = Vec::new();
    let mut our_volumes: Option<(f64, f64)> = None;
    match &bin {
        Err(why) => println!("hybridplan: {why}"),
        Ok(bin) => {
            println!("hybridplan: {}", bin.display());
            if std::env::var_os("HYBRIDPLAN_BIN").is_none() {
                warn_if_stale(bin);
            }
            let split = |extra: &[&str]| {
                let mut c = Command::new(bin);
                c.arg("split")
                    .arg(&file)
                    .arg("--out")
                    .arg(&out_dir)
                    .args(extra);
                c
            };
            // Warm-up, and the volumes for the cross-check.
            let (_, json) = run(&mut split(&["--format", "json"]), "hybridplan split");
            let v: Value = serde_json::from_str(json.trim()).expect("hybridplan JSON");
            our_volumes = v["baseplate_volume_mm3"]
                .as_f64()
                .zip(v["molded_volume_mm3"].as_f64());
            let variants: [(&str, Vec<&str>); 3] = [
                ("split (default)", vec![]),
                (
                    "split --thickness-samples 0",
                    vec!["--thickness-samples", "0"],
                ),
                (
                    "split --normal 0,0,1 --height 3 --thickness-samples 0",
                    vec![
                        "--normal",
                        "0,0,1",
                        "--height",
                        "3",
                        "--thickness-samples",
                        "0",
                    ],
                ),
            ];
            for (name, extra) in variants {
                let times = (0..HYBRIDPLAN_RUNS)
                    .map(|_| run(split(&extra).stdout(Stdio::null()), name).0)
                    .collect();
                ours.push((name, median(times)));
            }
            let times = (0..HYBRIDPLAN_RUNS)
                .map(|_| {
                    let mut c = Command::new(bin);
                    c.arg("inspect").arg(&file).stdout(Stdio::null());
                    run(&mut c, "hybridplan inspect").0
                })
                .collect();
            ours.push(("inspect (load + check only)", median(times)));
        }
    }

    // The peers.
    let mut peers: Vec<PeerTiming> = Vec::new();
    match peer_python() {
        Err(why) => println!("{why}"),
        Ok(py) => {
            let script = tmp.join("bench_split_peer.py");
            std::fs::write(&script, PEER_PY).expect("write peer script");
            for (engine, name) in [
                ("trimesh", "trimesh load + 2 capped slice_plane"),
                ("manifold", "manifold3d load + Mesh64 + split_by_plane"),
            ] {
                match time_peer(&py, &script, engine, name, &file) {
                    Ok(t) => peers.push(t),
                    Err(e) => println!("peer failed, left out: {e}"),
                }
            }
        }
    }

    if ours.is_empty() && peers.is_empty() {
        println!("nothing timed");
        return;
    }
    if !ours.is_empty() {
        println!();
        println!("{:<58} {:>9}", "hybridplan (binary, wall time)", "median s");
    }
    for (name, d) in &ours {
        println!("  {name:<56} {:>9.3}", secs(*d));
    }
    if ours.len() == 4 {
        println!(
            "  -> wall-thickness estimate ~{:.2} s, detection ~{:.2} s, load+check ~{:.2} s, cut + writing 3 files ~{:.2} s",
            secs(ours[0].1) - secs(ours[1].1),
            secs(ours[1].1) - secs(ours[2].1),
            secs(ours[3].1),
            secs(ours[2].1) - secs(ours[3].1)
        );
    }
    if !peers.is_empty() {
        let base = ours.first().map(|o| secs(o.1));
        let lean = ours.get(2).map(|o| secs(o.1));
        let ratio = |x: f64, b: Option<f64>| match b {
            Some(b) => format!("{:.2}", x / b),
            None => "-".into(),
        };
        println!();
        println!(
            "{:<44} {:>9} {:>9} {:>8}   {:>17} {:>17}",
            "peer (median s)",
            "w/ start",
            "work",
            "import",
            "ratio vs default",
            "ratio vs --height"
        );
        for p in &peers {
            let (w, k) = (secs(p.with_startup), secs(p.work_only));
            println!(
                "  {:<42} {:>9.3} {:>9.3} {:>8.3}   {:>8} {:>8} {:>8} {:>8}",
                p.name,
                w,
                k,
                secs(p.import),
                ratio(w, base),
                ratio(k, base),
                ratio(w, lean),
                ratio(k, lean),
            );
        }
        println!(
            "  (ratio = peer / hybridplan; pairs are with start-up, work only; \"--height\" is the row without detection and wall thickness)"
        );
        println!();
        println!("cross-check, volumes below / above z = {CUT_Z} (mm3):");
        if let Some((b, m)) = our_volumes {
            println!(
                "  {:<42} {b:>14.3} {m:>14.3}",
                "hybridplan baseplate / molded"
            );
        }
        for p in &peers {
            let vol = |i: usize| p.check["volumes"][i].as_f64().unwrap_or(f64::NAN);
            let mut extra = String::new();
            if let Some(w) = p.check.get("watertight") {
                extra = format!("  watertight {w}");
            }
            if let Some(s) = p.check.get("status") {
                extra = format!("  {}", s.as_str().unwrap_or(""));
            }
            println!(
                "  {:<42} {:>14.3} {:>14.3}  triangles {}{extra}",
                p.name,
                vol(0),
                vol(1),
                p.check["triangles"]
            );
        }
    }
}
