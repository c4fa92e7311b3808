//! Catalogs: `hybridplan batch` evaluates every part of a catalog in parallel into one row
//! each, resiliently (a broken part is an error row, the run goes on), resumably (a killed run
//! continues where it stopped) and shardably (over machines, joined by `hybridplan merge`).
//!
//! Data flows one way: [`catalog`] lists the parts, workers run [`evaluate`] on one part at a
//! time (load, split, figures; the meshes are dropped before the next part), each part in a
//! process of its own with a time and memory limit ([`worker`]), and a single writer appends
//! the rows to the files of [`store`] in catalog order. One run at a time writes into a
//! folder ([`lock`]).
//!
//! Order: the workers take parts in catalog order from a shared counter (rather than rayon's
//! `par_iter`, which hands each thread a contiguous half of the list), so parts finish roughly
//! in order and the writer's reorder buffer holds about one row per worker; a row waits there
//! only while a part before it is still being evaluated. The result files are therefore in
//! catalog order at every moment and a killed run leaves a prefix of the final files.
//!
//! Threads: a local rayon pool of `--jobs` threads runs the workers; each starts one worker
//! process at a time, whose split's own parallel steps run on one thread (more only when fewer
//! parts than `--jobs` are left), so `--jobs 1` is really one core and `--jobs N` never
//! oversubscribes. Without worker processes (`BatchOptions::isolation` `None`, for the
//! library and the tests) the split's steps run in the same pool.

pub mod catalog;
pub mod evaluate;
pub mod guard;
pub mod lock;
pub mod options;
pub mod progress;
pub mod report;
pub mod shard;
pub mod shard_spec;
pub mod store;
pub mod summary;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

pub use catalog::{Catalog, CatalogEntry, CatalogOptions, Overrides, read_catalog};
pub use evaluate::{COLUMNS, EvalOptions, Figures, MeshOutput, PlanSettings, evaluate};
pub use lock::LockError;
pub use shard::{MergeError, Shard, merge};
pub use store::{Evaluated, Row, RunRecord};
pub use summary::{RunStats, Summary};
pub use worker::{Isolation, PartLimits, WorkerCommand, WorkerSettings};

use crate::fsutil::WriteError;
use crate::mesh::LoadOptions;
use crate::split::SplitOptions;
use store::StoreError;

/// Sub-folder of the output with the split meshes (`--meshes`).
pub const MESHES_DIR: &str = "meshes";

/// Everything `batch` needs besides the catalog.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub out_dir: PathBuf,
    /// Worker threads (at least 1).
    pub jobs: usize,
    pub load: LoadOptions,
    pub split: SplitOptions,
    pub thickness_samples: usize,
    /// Keep each part's split meshes under `out_dir/meshes/`.
    pub write_meshes: bool,
    pub shard: Option<Shard>,
    /// Continue the run whose files are in `out_dir` (starts afresh if there are none).
    pub resume: bool,
    /// With `resume`: evaluate the rows that ended in an error again.
    pub retry_errors: bool,
    /// Stop taking new parts at the first error row.
    pub fail_fast: bool,
    /// Draw a progress bar (the caller decides: standard error is a terminal).
    pub progress_bar: bool,
    /// No progress, no error lines, no summary on standard error.
    pub quiet: bool,
    /// Models, materials, interface and estimate options of every row.
    pub plan: std::sync::Arc<PlanSettings>,
    /// Evaluate each part in a worker process with these limits (see [`worker`]); `None`: in
    /// this process, without limits.
    pub isolation: Option<Isolation>,
}

/// Why a batch could not run (as opposed to a part failing, which is an error row).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The output folder cannot be used for this run (the message says why and what to do).
    #[error("{0}")]
    OutDir(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot start the worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// What a finished (or stopped) batch did.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub summary: Summary,
}

/// A part's finished evaluation on its way to the writer; `pos` is its place in the run's list.
struct Finished {
    pos: usize,
    done: Evaluated,
    seconds: f64,
}

/// Runs the batch: evaluates the catalog's parts (those of `opts.shard`) that `opts.out_dir`
/// does not hold yet, and leaves the folder holding every row in catalog order.
pub fn run(catalog: &Catalog, opts: &BatchOptions) -> Result<BatchOutcome, BatchError> {
    let started = Instant::now();
    let out = &opts.out_dir;
    let mine: Vec<&CatalogEntry> = catalog
        .entries
        .iter()
        .filter(|e| opts.shard.is_none_or(|s| s.holds(e.index)))
        .collect();
    let record = RunRecord {
        hybridplan: env!("CARGO_PKG_VERSION").into(),
        catalog: catalog.source.display().to_string(),
        catalog_fingerprint: catalog.fingerprint(),
        entries: catalog.entries.len(),
        options: options::figure_options(opts),
        columns: COLUMNS.iter().map(|s| s.to_string()).collect(),
        shard: opts.shard,
    };
    std::fs::create_dir_all(out).map_err(|source| StoreError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    // Held to the end of the run (dropped on return).
    let lock = lock::lock_folder(out)?;
    if let Some(note) = &lock.note
        && !opts.quiet
    {
        eprintln!("warning: {note}");
    }
    let done = open_folder(out, &record, opts, mine.len())?;
    let todo: Vec<&CatalogEntry> = mine
        .iter()
        .copied()
        .filter(|e| !done.contains(&e.index))
        .collect();
    // Rows found done are in the files already; the new ones follow them. The files stay in
    // catalog order only if every done row comes before every new one.
    let in_order = match (done.last(), todo.first()) {
        (Some(&last), Some(first)) => last < first.index,
        _ => true,
    };

    let meshes = if opts.write_meshes {
        let width = catalog.entries.len().saturating_sub(1).to_string().len();
        MeshOutput::Keep {
            dir: out.join(MESHES_DIR),
            width,
        }
    } else {
        MeshOutput::Discard
    };
    let eval = EvalOptions {
        load: opts.load,
        split: opts.split,
        thickness_samples: opts.thickness_samples,
        meshes,
        plan: opts.plan.clone(),
    };

    let jobs = opts.jobs.max(1).min(todo.len().max(1));
    let progress = progress::Progress::new(todo.len(), opts.progress_bar, opts.quiet);
    let (evaluated, stopped_early) = match &opts.isolation {
        None => {
            let _quiet = guard::QuietPanics::install();
            let part = |entry: &CatalogEntry| evaluate(entry, &eval);
            evaluate_all(
                &todo,
                &in_process(&part),
                jobs,
                opts.fail_fast,
                out,
                &progress,
            )?
        }
        Some(isolation) => {
            // The cores a worker may use for its split's parallel steps: more than one only
            // when there are fewer parts than --jobs.
            let threads = (opts.jobs.max(1) / jobs).max(1);
            let part = |entry: &CatalogEntry| isolation.evaluate(entry, &eval.meshes, threads);
            evaluate_all(&todo, &part, jobs, opts.fail_fast, out, &progress)?
        }
    };
    progress.finish();

    let rows = store::read_rows(out)?;
    let timings = store::read_timings(out);
    if !in_order {
        store::rewrite(out, rows.values(), &timings)?;
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    let mut summary = Summary::of_rows(
        rows.values(),
        &timings,
        Some(RunStats {
            evaluated,
            elapsed_s,
            parts_per_s: if elapsed_s > 0.0 {
                evaluated as f64 / elapsed_s
            } else {
                0.0
            },
            jobs,
            stopped_early,
        }),
    );
    summary.missing = mine.len().saturating_sub(rows.len());
    summary.write(out)?;
    report::write_report(out, &rows, &timings, &summary)?;
    Ok(BatchOutcome { summary })
}

/// Prepares the output folder and returns the catalog rows it already holds (sorted): a fresh
/// folder gets the run record and empty result files; a folder being resumed is checked
/// against this run and its files rewritten with their whole rows only (dropping a torn last
/// line, and with `retry_errors` the error rows).
fn open_folder(
    out: &Path,
    record: &RunRecord,
    opts: &BatchOptions,
    rows_in_run: usize,
) -> Result<BTreeSet<usize>, BatchError> {
    let Some(existing) = RunRecord::read(out)? else {
        for name in [store::RESULTS_CSV, store::RESULTS_JSONL] {
            if out.join(name).exists() {
                return Err(BatchError::OutDir(format!(
                    "{} holds a {name} but no {}: not a batch folder this hybridplan can continue; choose another --out",
                    out.display(),
                    store::RECORD_JSON
                )));
            }
        }
        record.write(out)?;
        store::rewrite(out, std::iter::empty(), &BTreeMap::new())?;
        return Ok(BTreeSet::new());
    };
    let mut rows = store::read_rows(out)?;
    if !opts.resume {
        return Err(BatchError::OutDir(format!(
            "{} already holds a batch ({} of {} rows done): pass --resume to continue it, or choose another --out",
            out.display(),
            rows.len(),
            rows_in_run
        )));
    }
    if let Some(why) = existing.mismatch(record) {
        return Err(BatchError::OutDir(format!(
            "cannot resume in {}: it holds results of {why}; choose another --out",
            out.display()
        )));
    }
    if existing.shard != record.shard {
        let show = |s: Option<Shard>| s.map_or("no shard".into(), |s| format!("shard {s}"));
        return Err(BatchError::OutDir(format!(
            "cannot resume in {}: it holds {}, this run is {}",
            out.display(),
            show(existing.shard),
            show(record.shard)
        )));
    }
    let shard = record.shard;
    rows.retain(|&i, r| {
        i < record.entries && shard.is_none_or(|s| s.holds(i)) && (r.ok || !opts.retry_errors)
    });
    let timings = store::read_timings(out);
    store::rewrite(out, rows.values(), &timings)?;
    Ok(rows.into_keys().collect())
}

/// A part evaluated in this process by `part` (that is [`evaluate`]; the tests pass others),
/// a panic in it becoming the row's error.
fn in_process(
    part: &(dyn Fn(&CatalogEntry) -> Result<Figures, String> + Sync),
) -> impl Fn(&CatalogEntry) -> Evaluated + Sync + '_ {
    move |entry| {
        Evaluated::of(Row {
            index: entry.index,
            file: entry.file.clone(),
            outcome: guard::catch_part(|| part(entry)),
        })
    }
}

/// Evaluates `todo` with `part` (in this process or in workers) on `jobs` workers and appends
/// the rows in `todo`'s order. Returns how many parts were evaluated and whether `fail_fast`
/// stopped the run.
fn evaluate_all(
    todo: &[&CatalogEntry],
    part: &(dyn Fn(&CatalogEntry) -> Evaluated + Sync),
    jobs: usize,
    fail_fast: bool,
    out: &Path,
    progress: &progress::Progress,
) -> Result<(usize, bool), BatchError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|k| format!("{}{k}", guard::WORKER_PREFIX))
        .build()?;
    let mut appender = store::Appender::open(out)?;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (next, stop) = (&next, &stop);
    let (tx, rx) = mpsc::channel::<Finished>();
    std::thread::scope(|scope| {
        // Not `scope.spawn`, which panics when no thread can be started (a low `ulimit -v`).
        let feeder = std::thread::Builder::new().spawn_scoped(scope, move || {
            pool.scope(|s| {
                for _ in 0..jobs {
                    let tx = tx.clone();
                    s.spawn(move |_| {
                        while !stop.load(Ordering::Relaxed) {
                            let pos = next.fetch_add(1, Ordering::Relaxed);
                            let Some(entry) = todo.get(pos) else { break };
                            let t0 = Instant::now();
                            let done = part(entry);
                            // Stop here, not in the writer: this worker would otherwise
                            // take the next part before the writer has seen the error.
                            if fail_fast && !done.row.ok {
                                stop.store(true, Ordering::Relaxed);
                            }
                            let seconds = t0.elapsed().as_secs_f64();
                            if tx.send(Finished { pos, done, seconds }).is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            // `tx` is dropped here, after every worker: the writer's loop below then ends.
        });
        feeder.map_err(BatchError::Thread)?;

        // The writer: a reorder buffer in front of the files.
        let mut pending: BTreeMap<usize, Finished> = BTreeMap::new();
        let (mut want, mut evaluated, mut stopped) = (0, 0, false);
        for finished in rx.iter() {
            evaluated += 1;
            progress.inc();
            if let Some(e) = &finished.done.error {
                progress.line(&format!(
                    "error: {}: {e}",
                    todo[finished.pos].path.display()
                ));
                stopped |= fail_fast;
            }
            pending.insert(finished.pos, finished);
            while let Some(f) = pending.remove(&want) {
                if let Err(e) = appender.append(&f.done.row, f.seconds) {
                    // Workers stop at their next part; dropping `rx` makes their sends fail.
                    stop.store(true, Ordering::Relaxed);
                    return Err(e.into());
                }
                want += 1;
            }
        }
        Ok((evaluated, stopped))
    })
}

/// The printers a manifest row may name: every printer of `printers`, by name and as
/// `fff.NAME` or `powder.NAME`.
pub fn known_printers(printers: &crate::models::Printers) -> BTreeSet<String> {
    let fff = printers
        .fff
        .keys()
        .flat_map(|k| [k.clone(), format!("fff.{k}")]);
    let powder = printers
        .powder
        .keys()
        .flat_map(|k| [k.clone(), format!("powder.{k}")]);
    fff.chain(powder).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<CatalogEntry> {
        (0..n)
            .map(|index| CatalogEntry {
                index,
                file: format!("part{index}.stl"),
                path: PathBuf::from(format!("part{index}.stl")),
                overrides: Ok(Overrides::default()),
                cells: Vec::new(),
            })
            .collect()
    }

    /// Figures that say which part they are of, after a delay that makes later parts finish
    /// before earlier ones.
    fn slow_figures(entry: &CatalogEntry) -> Result<Figures, String> {
        std::thread::sleep(std::time::Duration::from_millis(
            (7 * (entry.index as u64 % 5)) % 13,
        ));
        let mut f = Figures::default();
        f.set("triangles", entry.index);
        Ok(f)
    }

    #[test]
    fn panics_become_error_rows_and_rows_land_in_order() {
        let dir = tempfile::tempdir().unwrap();
        store::rewrite(dir.path(), std::iter::empty(), &BTreeMap::new()).unwrap();
        let all = entries(40);
        let todo: Vec<&CatalogEntry> = all.iter().collect();
        let part = |e: &CatalogEntry| {
            if e.index % 9 == 4 {
                // Through rayon, as a panic deep inside the split would come.
                rayon::join(|| (), || panic!("part {} broke", e.index));
            }
            slow_figures(e)
        };
        let _quiet = guard::QuietPanics::install();
        let progress = progress::Progress::new(todo.len(), false, true);
        let (evaluated, stopped) =
            evaluate_all(&todo, &in_process(&part), 3, false, dir.path(), &progress).unwrap();
        assert_eq!((evaluated, stopped), (40, false));
        let rows = store::read_rows(dir.path()).unwrap();
        assert_eq!(rows.len(), 40);
        let text = std::fs::read_to_string(dir.path().join(store::RESULTS_JSONL)).unwrap();
        for (k, line) in text.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["index"], k, "rows in catalog order");
            if k % 9 == 4 {
                assert_eq!(v["status"], "error");
                let e = v["error"].as_str().unwrap();
                assert!(e.contains(&format!("part {k} broke")), "{e}");
            } else {
                assert_eq!(v["triangles"], k);
            }
        }
    }

    #[test]
    fn fail_fast_stops_taking_parts() {
        let dir = tempfile::tempdir().unwrap();
        store::rewrite(dir.path(), std::iter::empty(), &BTreeMap::new()).unwrap();
        let all = entries(200);
        let todo: Vec<&CatalogEntry> = all.iter().collect();
        let part = |e: &CatalogEntry| {
            if e.index == 3 {
                Err("bad part".to_string())
            } else {
                slow_figures(e)
            }
        };
        let progress = progress::Progress::new(todo.len(), false, true);
        let (evaluated, stopped) =
            evaluate_all(&todo, &in_process(&part), 2, true, dir.path(), &progress).unwrap();
        assert!(stopped);
        assert!(evaluated < 10, "{evaluated} evaluated after the error");
        let rows = store::read_rows(dir.path()).unwrap();
        assert!(rows.contains_key(&3) && rows.keys().copied().eq(0..rows.len()));
    }
}
