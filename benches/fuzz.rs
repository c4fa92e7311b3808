//! A mutation fuzzer for the reader and the whole pipeline, with a per-case budget.
//!
//!     cargo build --release && cargo bench --bench fuzz -- [reader N] [pipeline N] [seed S]
//!
//! **Reader cases** run in this process: a seed file (every sample, ASCII copies of two of
//! them, every file of `tests/bad_inputs/`) is mutated 1 to 4 times (bit flips, byte runs
//! overwritten, inserted or deleted, truncation, the binary header's count, ASCII tokens
//! swapped for NaN, huge or missing numbers, lines joined) and loaded with a random
//! `--units`. A panic, a case over 10 s, or a peak resident set over 1 GB (the kernel's
//! `VmHWM`, reset before each case through `/proc/self/clear_refs`) is a failure.
//!
//! **Pipeline cases** run `hybridplan estimate` (or `split`, `plan`) in a child under
//! `prlimit --as=2G` (the allocator reserves address space well beyond what it touches; the
//! resident budget of 1 GB is checked from the child's rusage) with a budget of 10 s of CPU
//! time (user + system, all threads, from the same rusage: a figure of the work that does not
//! grow when other jobs load the machine, as wall time does) and a 60 s wall timeout for a
//! child that hangs without working: a sample
//! turned, moved, scaled or subdivided, now and then mutated, with options drawn at random,
//! `--units in|cm|m` and extreme lattice and print options included. Exit codes 0, 1 and 2 are
//! answers; a signal, exit code 101 (a Rust panic), "panicked" on stderr, a case over its CPU
//! budget, a hang or a peak
//! over 1 GB is a failure.
//!
//! Each failing case is written to `tests/fuzz_regressions/` (reader cases as the file,
//! pipeline cases as the file and its command line), where `tests/bad_inputs.rs` replays them.
//! Prints the counts and the slowest (reader: wall time; pipeline: CPU time) and largest cases.

#[path = "common/child.rs"]
mod child;
mod common;
use child::{Ended, wait4_block, wait4_nohang};

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Rng, find_binary};
use hybridplan::mesh::stl::{write_ascii_to, write_binary_to};
use hybridplan::mesh::{LoadOptions, Units, load};
use hybridplan::samples;
use nalgebra::{Rotation3, Vector3};

const CASE_SECONDS: f64 = 10.0;
/// Pipeline cases: a child that has not answered in this much wall time is killed (a hang; a
/// case that works is stopped by its CPU budget first, unless the machine is very busy).
const HANG_SECONDS: f64 = 60.0;
const CASE_RSS_KB: u64 = 1024 * 1024;

fn package() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed files: every sample (binary), two as ASCII, and the bad-input corpus.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (k, part) in samples::all().iter().enumerate() {
        let mesh = part.mesh();
        let mut b = Vec::new();
        write_binary_to(&mut b, &mesh, part.name).unwrap();
        out.push(b);
        if k < 2 {
            let mut a = Vec::new();
            write_ascii_to(&mut a, &mesh, "Grundplatte_für_Rippen").unwrap();
            out.push(a);
        }
    }
    if let Ok(dir) = std::fs::read_dir(package().join("tests/bad_inputs")) {
        let mut files: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|e| e != "md")
                && let Ok(b) = std::fs::read(&f)
            {
                out.push(b);
            }
        }
    }
    out
}

const TOKENS: &[&[u8]] = &[
    b"nan",
    b"inf",
    b"-inf",
    b"1e38",
    b"1e39",
    b"-0",
    b"",
    b"facet",
    b"endloop",
    b"endsolid",
    b"vertex",
    b"solid",
    b"\n",
    b" ",
    b"\xff\xfe",
    b"0x10",
    b"1e-45",
];

/// One mutation of `b`.
fn mutate(b: &mut Vec<u8>, rng: &mut Rng) {
    let len = b.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            b[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(16)).min(len - i);
            for c in &mut b[i..i + n] {
                *c = rng.next_u64() as u8;
            }
        }
        2 => {
            let i = rng.below(len + 1);
            let n = 1 + rng.below(64);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            b.splice(i..i, bytes);
        }
        3 if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(256)).min(len - i);
            b.drain(i..i + n);
        }
        4 => b.truncate(rng.below(len + 1)),
        // The binary header's triangle count: small, huge, off by one.
        5 if len >= 84 => {
            let n: u32 = match rng.below(4) {
                0 => u32::MAX,
                1 => rng.next_u64() as u32,
                2 => ((len as u32).saturating_sub(84) / 50).wrapping_add(1),
                _ => 0,
            };
            b[80..84].copy_from_slice(&n.to_le_bytes());
        }
        // An ASCII token replaced by another.
        6 if len > 0 => {
            let i = rng.below(len);
            let end = b[i..]
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .map_or(len, |p| i + p);
            let t = TOKENS[rng.below(TOKENS.len())];
            b.splice(i..end, t.iter().copied());
        }
        // Lines joined: newlines to spaces over a stretch.
        7 if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(4096)).min(len - i);
            for c in &mut b[i..i + n] {
                if *c == b'\n' {
                    *c = b' ';
                }
            }
        }
        // A stretch repeated (duplicated facets, overlapping shells).
        _ if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(2048)).min(len - i);
            let copy = b[i..i + n].to_vec();
            let at = rng.below(b.len() + 1);
            b.splice(at..at, copy);
        }
        _ => b.push(rng.next_u64() as u8),
    }
}

const UNITS: [Units; 4] = [Units::Mm, Units::Cm, Units::M, Units::In];

/// The peak resident set (kB) since the last reset, and the reset itself.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn regressions_dir() -> PathBuf {
    package().join("tests/fuzz_regressions")
}

fn keep(name: &str, bytes: &[u8], note: &str) {
    let dir = regressions_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.stl")), bytes);
    let _ = std::fs::write(dir.join(format!("{name}.txt")), note);
    eprintln!("kept {name}: {note}");
}

#[derive(Default)]
struct Tally {
    cases: u64,
    ok: u64,
    errors: u64,
    failures: u64,
    slowest_s: f64,
    largest_kb: u64,
}

impl Tally {
    fn print(&self, what: &str, wall: Duration) {
        println!(
            "| {what} | {} | {} | {} | {} | {:.3} s | {:.0} MB | {:.0} s |",
            self.cases,
            self.ok,
            self.errors,
            self.failures,
            self.slowest_s,
            self.largest_kb as f64 / 1024.0,
            wall.as_secs_f64()
        );
    }
}

fn reader_cases(n: u64, rng: &mut Rng, scratch: &Path) -> Tally {
    let seeds = seeds();
    let path = scratch.join("case.stl");
    let mut t = Tally::default();
    // Panics are counted, not printed case by case.
    std::panic::set_hook(Box::new(|_| {}));
    for case in 0..n {
        let mut bytes = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut bytes, rng);
        }
        if std::fs::write(&path, &bytes).is_err() {
            continue;
        }
        let opts = LoadOptions {
            units: Some(UNITS[rng.below(4)]),
            ..LoadOptions::default()
        };
        reset_peak();
        let t0 = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| {
            load(&path, &opts).map(|m| m.mesh.triangles.len())
        }));
        let secs = t0.elapsed().as_secs_f64();
        let kb = peak_kb();
        t.cases += 1;
        t.slowest_s = t.slowest_s.max(secs);
        t.largest_kb = t.largest_kb.max(kb);
        let failure = match r {
            Err(_) => Some("panic".to_string()),
            Ok(_) if secs > CASE_SECONDS => Some(format!("{secs:.1} s")),
            Ok(_) if kb > CASE_RSS_KB => Some(format!("{} MB resident", kb / 1024)),
            Ok(Ok(_)) => {
                t.ok += 1;
                None
            }
            Ok(Err(_)) => {
                t.errors += 1;
                None
            }
        };
        if let Some(why) = failure {
            t.failures += 1;
            keep(&format!("reader_{case}"), &bytes, &format!("reader: {why}"));
        }
    }
    let _ = std::panic::take_hook();
    t
}

/// A sample as CAD tools export it: turned, moved, scaled, maybe subdivided, maybe mutated.
fn pipeline_part(rng: &mut Rng) -> Vec<u8> {
    let parts = samples::all();
    let mut mesh = parts[rng.below(parts.len())].mesh();
    if rng.below(8) == 0 {
        mesh = mesh.subdivided();
    }
    if rng.below(2) == 0 {
        let r = Rotation3::from_euler_angles(
            rng.uniform(-3.2, 3.2),
            rng.uniform(-3.2, 3.2),
            rng.uniform(-3.2, 3.2),
        );
        let shift = Vector3::new(
            rng.uniform(-500.0, 500.0),
            rng.uniform(-500.0, 500.0),
            rng.uniform(-500.0, 500.0),
        );
        let scale = [1.0, 1.0, 0.5, 2.0, 1.0 / 25.4, 0.001][rng.below(6)];
        mesh.map_vertices(|p| r * (p * scale) + shift);
    }
    let mut bytes = Vec::new();
    write_binary_to(&mut bytes, &mesh, "fuzz").unwrap();
    if rng.below(6) == 0 {
        mutate(&mut bytes, rng);
    }
    bytes
}

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len())]
}

/// Options drawn at random. A case is sane (three in four: every value within its documented
/// range, so the pipeline runs to its end) or hostile (a quarter of its options extreme or
/// nonsense: zero, negative, NaN, infinite, huge, below the printer's minimum).
fn pipeline_args(rng: &mut Rng, file: &Path, out: &Path) -> Vec<String> {
    let command = pick(rng, &["estimate", "estimate", "estimate", "split", "plan"]);
    let mut a: Vec<String> = vec![command.into(), file.display().to_string()];
    if command != "estimate" {
        a.extend(["--out".into(), out.display().to_string()]);
    }
    a.extend(["--format".into(), "json".into()]);
    let hostile = rng.below(4) == 0;
    let mut opt = |rng: &mut Rng, name: &str, sane: &[&str], bad: &[&str]| {
        if rng.below(3) == 0 {
            a.push(name.into());
            let values = if hostile && rng.below(4) == 0 {
                bad
            } else {
                sane
            };
            a.push(pick(rng, values).into());
        }
    };
    let nonsense = ["-1", "0", "nan", "inf", "1e300", "-inf"];
    opt(rng, "--units", &["mm", "cm", "m", "in"], &["furlong"]);
    opt(
        rng,
        "--lattice",
        &["none", "grid", "hex", "slots", "infill"],
        &["lattice"],
    );
    opt(
        rng,
        "--pore-mm",
        &["0.9", "1.2", "2", "5"],
        &["0.01", "0.1", "50", "1e5"],
    );
    opt(
        rng,
        "--wall-mm",
        &["0.9", "1.2", "2"],
        &["0.01", "0.3", "1e5"],
    );
    opt(rng, "--depth-mm", &["0.6", "1", "2"], &nonsense);
    opt(rng, "--margin-mm", &["0.45", "1"], &nonsense);
    opt(
        rng,
        "--angle-deg",
        &["0", "45", "30", "90", "-45"],
        &["NaN", "inf", "1e9"],
    );
    opt(
        rng,
        "--height",
        &["3", "5", "12"],
        &["-3", "0", "1e9", "nan"],
    );
    opt(
        rng,
        "--normal",
        &["0,0,1", "0,0,-1", "1,0,0", "1,1,1"],
        &["0,0,0", "nan,0,1"],
    );
    if command != "split" {
        opt(
            rng,
            "--layer-mm",
            &["0.1", "0.2", "0.3"],
            &["1e-4", "10", "nan"],
        );
        opt(rng, "--nozzle-mm", &["0.4", "0.6"], &["1e-3", "5", "nan"]);
        opt(rng, "--infill", &["0", "20", "100"], &["101", "-1"]);
        opt(rng, "--perimeters", &["1", "2", "5"], &["0", "100000"]);
        opt(
            rng,
            "--volume",
            &["1", "1000", "1e6"],
            &["0", "1e308", "inf"],
        );
        opt(
            rng,
            "--variants",
            &["1", "100", "10000"],
            &["0", "8589934592"],
        );
        opt(
            rng,
            "--printer",
            &["desktop_fff", "sls", "mjf", "industrial_fff_farm"],
            &["nope"],
        );
        opt(
            rng,
            "--material",
            &["PP", "PC", "TPU", "PLA", "ABS"],
            &["unobtainium"],
        );
        opt(rng, "--fleet", &["1", "10"], &["0", "-1"]);
    }
    opt(
        rng,
        "--thickness-samples",
        &["1", "1000", "5000"],
        &["0", "18446744073709551615"],
    );
    a
}

fn pipeline_cases(n: u64, rng: &mut Rng, scratch: &Path) -> Tally {
    let bin = match find_binary() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("pipeline cases skipped: {e}");
            return Tally::default();
        }
    };
    let mut t = Tally::default();
    let file = scratch.join("part.stl");
    let out = scratch.join("out");
    for case in 0..n {
        let bytes = pipeline_part(rng);
        if std::fs::write(&file, &bytes).is_err() {
            continue;
        }
        let args = pipeline_args(rng, &file, &out);
        let t0 = Instant::now();
        let child = Command::new("prlimit")
            .arg(format!("--as={}", 2u64 << 30))
            .arg("--")
            .arg(&bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("cannot run prlimit (util-linux)");
            return t;
        };
        let mut stderr = child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(e) = stderr.as_mut() {
                let _ = e.read_to_string(&mut s);
            }
            s
        });
        // wait4 gives the child's peak resident set along with its status.
        let deadline = t0 + Duration::from_secs_f64(HANG_SECONDS);
        let (ended, timed_out) = loop {
            match wait4_nohang(child.id() as i32) {
                Some(ended) => break (ended, false),
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    break (wait4_block(child.id() as i32), true);
                }
                None => std::thread::sleep(Duration::from_millis(2)),
            }
        };
        let Ended {
            status,
            rss_kb,
            cpu_s: secs,
        } = ended;
        let err = reader.join().unwrap_or_default();
        t.cases += 1;
        t.slowest_s = t.slowest_s.max(secs);
        t.largest_kb = t.largest_kb.max(rss_kb);
        let exited = (status & 0x7f) == 0;
        let code = (status >> 8) & 0xff;
        let failure = if timed_out {
            Some(format!("no answer in {HANG_SECONDS} s"))
        } else if secs > CASE_SECONDS {
            Some(format!("{secs:.1} s of CPU, over {CASE_SECONDS} s"))
        } else if !exited {
            Some(format!("killed by signal {}", status & 0x7f))
        } else if code == 101 || err.contains("panicked") {
            Some("panic".into())
        } else if rss_kb > CASE_RSS_KB {
            Some(format!("{} MB resident", rss_kb / 1024))
        } else if code > 2 {
            Some(format!("exit code {code}"))
        } else {
            None
        };
        match failure {
            None if code == 0 => t.ok += 1,
            None => t.errors += 1,
            Some(why) => {
                t.failures += 1;
                let line = args
                    .iter()
                    .map(|s| s.replace(&file.display().to_string(), "PART.stl"))
                    .collect::<Vec<_>>()
                    .join(" ");
                keep(
                    &format!("pipeline_{case}"),
                    &bytes,
                    &format!("pipeline: {why}\nhybridplan {line}\n{}", err.trim()),
                );
            }
        }
    }
    t
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count = |name: &str| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (mut readers, mut pipelines) = (count("reader"), count("pipeline"));
    if readers == 0 && pipelines == 0 {
        (readers, pipelines) = (20_000, 200);
    }
    let seed = args
        .iter()
        .position(|a| a == "seed")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x00f0_22ed);
    let scratch = tempfile::Builder::new()
        .prefix("hybridplan-fuzz")
        .tempdir_in(if Path::new("/dev/shm").is_dir() {
            Path::new("/dev/shm")
        } else {
            Path::new("/tmp")
        })
        .expect("a scratch folder");
    println!("| cases | run | ok | clear errors | failures | slowest | largest peak | wall |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut rng = Rng(seed);
    if readers > 0 {
        let t0 = Instant::now();
        reader_cases(readers, &mut rng, scratch.path()).print("reader (in process)", t0.elapsed());
    }
    if pipelines > 0 {
        let t0 = Instant::now();
        pipeline_cases(pipelines, &mut rng, scratch.path())
            .print("pipeline (child, prlimit)", t0.elapsed());
    }
}
