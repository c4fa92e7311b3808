//! A budget for every part: each part is evaluated in a worker process of its own, so that a
//! part whose work has no bound (a lattice of millions of pores, a loop that never ends)
//! becomes an error row naming the limit instead of taking the whole run with it.
//!
//! The worker is the same program (`hybridplan __batch-worker` followed by the batch's own
//! arguments, so it builds the very settings the batch has), started once per part: it reads
//! one [`Request`] (the catalog entry) as JSON on standard input and writes the row's two lines,
//! that of `results.jsonl` and that of `results.csv`, on standard output. The parent keeps
//! those lines as they are, so a row is the same text whether it was evaluated in a worker or in
//! the batch's own process.
//!
//! Limits ([`PartLimits`]): the memory limit is the worker's address-space limit
//! (`RLIMIT_AS`), set between `fork` and `exec`, so an allocation beyond it fails inside the
//! worker, which aborts; the parent tells that apart from other crashes by the allocator's
//! message on the worker's standard error. The time limit is wall-clock time, kept by the
//! parent, which kills the worker when it is over. A worker dies with the batch (Linux: the
//! parent-death signal), so a killed batch leaves no worker behind writing meshes.
//!
//! One process per part rather than long-lived workers: a worker's address space then holds one
//! part only (an allocator keeps freed address space reserved, which a long-lived worker would
//! carry from part to part against its limit), and starting one costs about 10 ms against the
//! 0.1 to 2 s of a part.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::{CatalogEntry, parse_overrides};
use super::evaluate::{EvalOptions, MeshOutput, evaluate};
use super::guard;
use super::store::{Evaluated, Row, StoredRow};

/// The hidden subcommand that runs a worker.
pub const WORKER_COMMAND: &str = "__batch-worker";

/// Default time limit of a part: 150 times the slowest real part seen (1.9 s, the peers'
/// `openscad_example024.stl`, on one core); a part still running after 5 minutes is stuck or
/// far beyond any catalog's usual parts.
pub const DEFAULT_PART_TIMEOUT_S: f64 = 300.0;

/// Default memory limit of a part (address space, MB = MiB): 27 times the largest seen (150 MB
/// of address space, 111 MB resident, for `openscad_example024.stl`; see docs/batch.md), and
/// small enough that a runaway part stops long before it takes a workstation's memory.
pub const DEFAULT_PART_MEMORY_MB: u64 = 4096;

/// Test hook, read by the worker only: `alloc:NAME` or `sleep:NAME` (several separated by
/// `;`) makes the part whose `file` is NAME allocate until its memory limit, or sleep past its
/// time limit, so that the tests can show the limits on parts that are cheap otherwise.
pub const HOG_ENV: &str = "HYBRIDPLAN_TEST_WORKER_HOG";

/// The worker's answer is two lines of a few KB; more is not a row.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// How much of the start and of the end of the worker's standard error is kept, for the reason
/// of a crash.
const STDERR_END_BYTES: usize = 4096;

/// Stack of the threads that feed and read a worker's pipes (8 KB buffers).
const HELPER_STACK_BYTES: usize = 128 << 10;

/// How to start a worker: a program and its arguments (the first is [`WORKER_COMMAND`]).
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// What one part may use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartLimits {
    /// Wall-clock seconds (> 0).
    pub timeout_s: f64,
    /// Address space of the worker, MB (MiB); the inherited limit (`ulimit -v`) if lower.
    pub memory_mb: u64,
}

impl Default for PartLimits {
    fn default() -> Self {
        PartLimits {
            timeout_s: DEFAULT_PART_TIMEOUT_S,
            memory_mb: DEFAULT_PART_MEMORY_MB,
        }
    }
}

impl PartLimits {
    fn memory_bytes(&self) -> u64 {
        self.memory_mb.saturating_mul(1 << 20)
    }

    /// The memory limit a worker gets: ours, or the one this process has if that is lower.
    fn effective_memory_mb(&self) -> u64 {
        inherited_memory_bytes().map_or(self.memory_mb, |b| self.memory_mb.min(b >> 20))
    }
}

/// Parts evaluated in worker processes with limits.
#[derive(Debug, Clone)]
pub struct Isolation {
    pub command: WorkerCommand,
    pub limits: PartLimits,
}

/// One part, from the batch to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub index: usize,
    pub file: String,
    /// The path's bytes in hexadecimal: a path need not be UTF-8.
    pub path_hex: String,
    /// The row's override cells (the worker parses them as the catalog does).
    pub cells: Vec<(String, String)>,
    /// With `--meshes`: the meshes folder (hexadecimal, as `path_hex`) and the index width.
    pub meshes: Option<(String, usize)>,
    /// Threads of the worker's pool (its split's parallel steps).
    pub threads: usize,
}

/// What a worker evaluates with, besides the request: the batch's settings, built by the
/// worker from the batch's own arguments.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `meshes` is taken from the request.
    pub eval: EvalOptions,
    /// Printer names a row's `printer` may use.
    pub printers: BTreeSet<String>,
}

/// The worker: reads one request from `input`, evaluates the part and writes the row's
/// `results.jsonl` line, then its `results.csv` line, to `output`. A part that fails is an
/// error row, as in the batch's own process; `Err` only when the request cannot be read or
/// the answer not written.
pub fn serve(
    mut input: impl Read,
    mut output: impl Write,
    settings: &WorkerSettings,
) -> Result<(), String> {
    let mut text = Vec::new();
    input
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot read the request: {e}"))?;
    let request: Request =
        serde_json::from_slice(&text).map_err(|e| format!("not a worker request: {e}"))?;
    let path = hex_path(&request.path_hex).ok_or("not a worker request: bad path_hex")?;
    let meshes = match &request.meshes {
        None => MeshOutput::Discard,
        Some((dir, width)) => MeshOutput::Keep {
            dir: hex_path(dir).ok_or("not a worker request: bad meshes folder")?,
            width: *width,
        },
    };
    let entry = CatalogEntry {
        index: request.index,
        file: request.file.clone(),
        path,
        overrides: parse_overrides(&request.cells, &settings.printers),
        cells: request.cells.clone(),
    };
    let eval = EvalOptions {
        meshes,
        ..settings.eval.clone()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(request.threads.max(1))
        .thread_name(|k| format!("{}{k}", guard::WORKER_PREFIX))
        .build()
        .map_err(|e| format!("cannot start the worker's threads: {e}"))?;
    let outcome = {
        let _quiet = guard::QuietPanics::install();
        pool.install(|| {
            guard::catch_part(|| {
                hog(&entry.file);
                evaluate(&entry, &eval)
            })
        })
    };
    let row = Row {
        index: entry.index,
        file: entry.file,
        outcome,
    };
    output
        .write_all(format!("{}{}", row.json_line(), row.csv_line()).as_bytes())
        .and_then(|()| output.flush())
        .map_err(|e| format!("cannot write the answer: {e}"))
}

/// The [`HOG_ENV`] test hook.
fn hog(file: &str) {
    let Ok(spec) = std::env::var(HOG_ENV) else {
        return;
    };
    for item in spec.split(';') {
        match item.split_once(':') {
            Some(("alloc", name)) if name == file => {
                // Address space without touching it: the limit is reached without using the
                // machine's memory.
                let mut held: Vec<Vec<u8>> = Vec::new();
                loop {
                    held.push(std::hint::black_box(Vec::with_capacity(64 << 20)));
                }
            }
            Some(("sleep", name)) if name == file => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            _ => {}
        }
    }
}

impl Isolation {
    /// Evaluates `entry` in a worker: the row the worker wrote, or an error row saying why the
    /// worker gave none (the limit it exceeded, the signal that ended it).
    pub fn evaluate(&self, entry: &CatalogEntry, meshes: &MeshOutput, threads: usize) -> Evaluated {
        // A row whose overrides are unusable fails before any work: no worker needed.
        let outcome = match &entry.overrides {
            Err(e) => Err(e.clone()),
            Ok(_) => match self.run_worker(entry, meshes, threads) {
                Ok(answer) => return answer,
                Err(reason) => Err(reason),
            },
        };
        Evaluated::of(Row {
            index: entry.index,
            file: entry.file.clone(),
            outcome,
        })
    }

    fn run_worker(
        &self,
        entry: &CatalogEntry,
        meshes: &MeshOutput,
        threads: usize,
    ) -> Result<Evaluated, String> {
        let request = Request {
            index: entry.index,
            file: entry.file.clone(),
            path_hex: path_hex(&entry.path),
            cells: entry.cells.clone(),
            meshes: match meshes {
                MeshOutput::Discard => None,
                MeshOutput::Keep { dir, width } => Some((path_hex(dir), *width)),
            },
            threads,
        };
        let request = serde_json::to_vec(&request).map_err(|e| format!("worker request: {e}"))?;
        let mut cmd = Command::new(&self.command.program);
        cmd.args(&self.command.args)
            // A backtrace would bury the reason of a crash (an allocation failure prints one
            // when RUST_BACKTRACE is set).
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        limit_worker(&mut cmd, self.limits.memory_bytes());
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| {
            format!(
                "cannot start a worker process ({}): {e}",
                self.command.program.display()
            )
        })?;
        let timeout = Duration::from_secs_f64(self.limits.timeout_s);
        let ended = watch(&mut child, request, started + timeout);
        let Ended {
            status,
            timed_out,
            answer,
            stderr,
        } = ended.map_err(|e| format!("cannot follow the worker process: {e}"))?;
        if timed_out {
            return Err(format!(
                "exceeded {} s (--part-timeout)",
                self.limits.timeout_s
            ));
        }
        let stderr = String::from_utf8_lossy(&stderr);
        // Rust's allocation-failure message, printed before it aborts the worker.
        if !status.success() && stderr.contains("memory allocation of") {
            let mb = self.limits.effective_memory_mb();
            return Err(if mb < self.limits.memory_mb {
                format!(
                    "exceeded {mb} MB of memory (the limit this batch was started with, \
                     `ulimit -v`, below --part-memory {})",
                    self.limits.memory_mb
                )
            } else {
                format!("exceeded {mb} MB of memory (--part-memory)")
            });
        }
        let last_words = stderr
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .map(|l| format!(": {}", l.trim()))
            .unwrap_or_default();
        if let Some(why) = death(status) {
            return Err(format!("worker {why}{last_words}"));
        }
        parse_answer(&answer, entry).map_err(|e| format!("worker gave no row ({e}){last_words}"))
    }
}

/// How a worker ended.
struct Ended {
    status: ExitStatus,
    /// Killed by us at its time limit.
    timed_out: bool,
    answer: Vec<u8>,
    /// The end of its standard error.
    stderr: Vec<u8>,
}

/// Feeds the request to `child`, collects its output and waits for it until `deadline`, when
/// it is killed. Every pipe has its own thread, so that no pipe can block the others or the
/// deadline.
fn watch(child: &mut Child, request: Vec<u8>, deadline: Instant) -> io::Result<Ended> {
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    std::thread::scope(|s| {
        // Small stacks, and a failure to start one (a low `ulimit -v`) is this part's error,
        // not a panic of the batch.
        let helper = || std::thread::Builder::new().stack_size(HELPER_STACK_BYTES);
        let helpers = (|| {
            helper().spawn_scoped(s, move || {
                // A worker that died early closes its end: nothing to do about it here.
                if let Some(mut w) = stdin {
                    let _ = w.write_all(&request);
                }
            })?;
            let stderr = helper().spawn_scoped(s, move || {
                stderr.map_or_else(Vec::new, |r| ends(r, STDERR_END_BYTES))
            })?;
            let (tx, rx) = mpsc::channel();
            helper().spawn_scoped(s, move || {
                let answer = stdout.map_or_else(Vec::new, |r| head(r, MAX_ANSWER_BYTES));
                let _ = tx.send(answer);
            })?;
            io::Result::Ok((stderr, rx))
        })();
        let (stderr, rx) = match helpers {
            Ok(h) => h,
            Err(e) => {
                // The pipes of the helpers not started are closed: the worker ends.
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        // The worker closes its standard output when it exits: wait for that, then for the
        // exit itself, both within the deadline.
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = rx.recv_timeout(left).ok();
        let mut status = None;
        if answer.is_some() {
            status = wait_until(child, deadline)?;
        }
        let timed_out = status.is_none();
        let status = match status {
            Some(s) => s,
            None => {
                // Already gone if it exited at the deadline: then `wait` has its status.
                let _ = child.kill();
                child.wait()?
            }
        };
        let answer = match answer {
            Some(a) => a,
            None => rx.recv().unwrap_or_default(),
        };
        Ok(Ended {
            status,
            timed_out,
            answer,
            stderr: stderr.join().unwrap_or_default(),
        })
    })
}

/// Waits for `child` to exit until `deadline`; `None` if it still runs then.
fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    // The worker has closed its output, so it is exiting: short polls end this quickly.
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// The first `max` bytes of `r`, reading it to its end.
fn head(mut r: impl Read, max: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        let room = max.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    kept
}

/// The first and the last `max` bytes of `r` (all of it if shorter than both), reading it to
/// its end: a crash's first words (the allocator's message) and its last.
fn ends(mut r: impl Read, max: usize) -> Vec<u8> {
    let mut first = Vec::new();
    let mut last = Vec::new();
    let mut dropped = false;
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        let room = max.saturating_sub(first.len());
        first.extend_from_slice(&buf[..n.min(room)]);
        last.extend_from_slice(&buf[n.min(room)..n]);
        if last.len() > 2 * max {
            last.drain(..last.len() - max);
            dropped = true;
        }
    }
    if last.len() > max {
        last.drain(..last.len() - max);
        dropped = true;
    }
    if dropped {
        first.extend_from_slice(b"\n...\n");
    }
    first.extend_from_slice(&last);
    first
}

/// Why a worker that did not exit normally ended, if it did not.
fn death(status: ExitStatus) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGABRT => " (SIGABRT: aborted)",
                libc::SIGKILL => {
                    " (SIGKILL: by the system's out-of-memory killer, or another process)"
                }
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGBUS => " (SIGBUS)",
                libc::SIGILL => " (SIGILL)",
                libc::SIGFPE => " (SIGFPE)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGINT => " (SIGINT)",
                libc::SIGHUP => " (SIGHUP)",
                _ => "",
            };
            return Some(format!("killed by signal {signal}{name}"));
        }
    }
    (!status.success()).then(|| format!("failed ({status})"))
}

/// The row in a worker's answer: its two lines, checked to be whole and of `entry`.
fn parse_answer(answer: &[u8], entry: &CatalogEntry) -> Result<Evaluated, String> {
    let text = std::str::from_utf8(answer).map_err(|_| "its answer is not UTF-8")?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let [json, csv] = lines[..] else {
        return Err(if text.is_empty() {
            "it wrote nothing".into()
        } else {
            format!("{} lines instead of 2", lines.len())
        });
    };
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("its JSON line does not read: {e}"))?;
    let file = v.get("file").and_then(Value::as_str);
    let of_entry = v.get("index").and_then(Value::as_u64) == Some(entry.index as u64)
        && csv.starts_with(&format!("{},", entry.index));
    let (Some(file), true, true) = (file, of_entry, csv.ends_with('\n')) else {
        return Err("its lines are not the row of this part".into());
    };
    let ok = match v.get("status").and_then(Value::as_str) {
        Some("ok") => true,
        Some("error") => false,
        _ => return Err("its row has no status".into()),
    };
    let error = (!ok).then(|| {
        v.get("error")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    });
    Ok(Evaluated {
        row: StoredRow {
            index: entry.index,
            file: file.to_string(),
            ok,
            csv: csv.to_string(),
            json: json.to_string(),
        },
        error,
    })
}

/// Sets the worker's limits between `fork` and `exec`.
#[cfg(unix)]
fn limit_worker(cmd: &mut Command, memory_bytes: u64) {
    use std::os::unix::process::CommandExt;
    #[cfg(target_os = "linux")]
    let parent = std::process::id() as libc::pid_t;
    cmd.arg0("hybridplan");
    let set = move || -> io::Result<()> {
        // Only calls that are safe between fork and exec (no allocation): getrlimit,
        // setrlimit, prctl, getppid.
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain system calls on a local struct.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_AS, &mut lim) != 0 {
                return Err(io::Error::last_os_error());
            }
            // Lower only: a limit the batch was started with (`ulimit -v`) stays.
            lim.rlim_cur = lim.rlim_cur.min(memory_bytes as libc::rlim_t);
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            {
                // The worker is killed when the batch's thread that started it ends (the
                // batch killed, or ended): no orphan goes on writing meshes.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The batch may have died before the line above.
                if libc::getppid() != parent {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
            }
        }
        Ok(())
    };
    // SAFETY: `set` only makes async-signal-safe system calls (see above).
    unsafe {
        cmd.pre_exec(set);
    }
}

/// This process's address-space limit, if it has one.
// `rlim_t` is `u64` on Linux, not on every Unix.
#[allow(clippy::unnecessary_cast)]
fn inherited_memory_bytes() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a plain system call on a local struct.
        let r = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) };
        if r == 0 && lim.rlim_cur != libc::RLIM_INFINITY {
            return Some(lim.rlim_cur as u64);
        }
    }
    None
}

fn path_bytes(p: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()).to_vec()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().into_owned().into_bytes()
    }
}

fn path_hex(p: &Path) -> String {
    path_bytes(p).iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_path(hex: &str) -> Option<PathBuf> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|k| u8::from_str_radix(&hex[k..k + 2], 16).ok())
        .collect::<Option<_>>()?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn paths_cross_as_hex_whatever_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/bad\xff\xfe/a b.stl"));
        let hex = path_hex(p);
        assert_eq!(&hex[..10], "2f746d702f");
        assert_eq!(hex_path(&hex).as_deref(), Some(p));
        assert_eq!(hex_path("2f7"), None);
        assert_eq!(hex_path("zz"), None);
    }

    fn entry(index: usize) -> CatalogEntry {
        CatalogEntry {
            index,
            file: "a.stl".into(),
            path: "a.stl".into(),
            overrides: Ok(Default::default()),
            cells: Vec::new(),
        }
    }

    #[test]
    fn answers_must_be_the_two_lines_of_the_part() {
        let row = Row {
            index: 3,
            file: "a.stl".into(),
            outcome: Err("no plate".into()),
        };
        let answer = format!("{}{}", row.json_line(), row.csv_line());
        let got = parse_answer(answer.as_bytes(), &entry(3)).unwrap();
        assert_eq!(got.row, row.stored());
        assert_eq!(got.error.as_deref(), Some("no plate"));
        let e = |a: &str, index| parse_answer(a.as_bytes(), &entry(index)).err().unwrap();
        assert!(e(&answer, 4).contains("not the row of this part"));
        assert!(e("", 3).contains("wrote nothing"));
        assert!(e(&answer[..answer.len() - 1], 3).contains("not the row"));
        assert!(e(&format!("{answer}x\n"), 3).contains("3 lines"));
    }

    #[test]
    fn tails_and_heads_are_bounded() {
        let text: Vec<u8> = (0..20_000u32).map(|k| (k % 251) as u8).collect();
        let kept = ends(&text[..], 100);
        assert_eq!(kept.len(), 205);
        assert_eq!(&kept[..100], &text[..100]);
        assert_eq!(&kept[100..105], b"\n...\n");
        assert_eq!(&kept[105..], &text[19_900..]);
        assert_eq!(ends(&text[..150], 100), &text[..150]);
        assert_eq!(head(&text[..], 100), &text[..100]);
    }
}
