//! `hybridplan batch` and its worker processes (`__batch-worker`): the arguments and entry
//! functions.

use std::io;
use std::path::PathBuf;

use clap::Args;
use nalgebra::Vector3;

use super::args::{
    EstimateSettingsArgs, Lattice, LatticeArgs, MaterialArgs, MeshInputArgs, height_mm, jobs,
    thickness_samples, vector3,
};
use super::{models_and_options, out_folder_usable, usage_error};
use crate::batch::{self, Shard};
use crate::split::{Side, SplitOptions};

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// A folder (every .stl in it, at any depth, in sorted order) or a CSV manifest with a
    /// `file` column and optional per-row overrides (see docs/batch.md).
    pub catalog: PathBuf,
    /// Folder for results.csv, results.jsonl, summary.json, timings.csv, batch.json (and the
    /// meshes with --meshes); created if missing.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Parts evaluated at once, from 1 to 1024 (default: all cores).
    #[arg(long, short, value_name = "N", value_parser = jobs, allow_hyphen_values = true)]
    pub jobs: Option<u16>,
    /// Evaluate only the rows whose catalog index i has i % N == K (0-based), for running one
    /// catalog on N machines; join the folders with `hybridplan merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Continue the run in --out: skip the rows it holds, evaluate the others (starts afresh
    /// if --out holds none).
    #[arg(long)]
    pub resume: bool,
    /// With --resume: evaluate the rows that ended in an error again.
    #[arg(long, requires = "resume")]
    pub retry_errors: bool,
    /// Stop at the first part that fails (exit 1); the rows finished so far are kept.
    #[arg(long)]
    pub fail_fast: bool,
    /// Keep each part's split meshes in OUT/meshes/INDEX_STEM/.
    #[arg(long)]
    pub meshes: bool,
    /// No progress bar, error lines or summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,
    /// Accept (and ignore) manifest columns that are neither `file` nor an override.
    #[arg(long)]
    pub ignore_unknown_columns: bool,
    /// Time limit of one part, in seconds: a part still being evaluated then is stopped and
    /// becomes an error row; the run goes on.
    #[arg(long, value_name = "SECONDS", default_value_t = batch::worker::DEFAULT_PART_TIMEOUT_S, value_parser = part_timeout_s)]
    pub part_timeout: f64,
    /// Memory limit of one part, in MB (the address space of the process evaluating it; lower
    /// if the batch runs under a lower `ulimit -v`): a part that needs more becomes an error
    /// row; the run goes on.
    #[arg(long, value_name = "MB", default_value_t = batch::worker::DEFAULT_PART_MEMORY_MB, value_parser = clap::value_parser!(u64).range(PART_MEMORY_MIN_MB..=PART_MEMORY_MAX_MB))]
    pub part_memory: u64,
    #[command(flatten)]
    pub input: MeshInputArgs,
    /// Mold opening direction X,Y,Z for every part (default: detected; not all zero, each
    /// within +-1e6); a manifest's `normal` column overrides it per row.
    #[arg(long, value_name = "X,Y,Z", value_parser = vector3, allow_hyphen_values = true)]
    pub normal: Option<Vector3<f64>>,
    /// Cut this far (mm, above 0 and at most 1e5) along the normal from each part's lowest
    /// point; a manifest's `height_mm` column overrides it per row.
    #[arg(long, value_name = "MM", value_parser = height_mm, allow_hyphen_values = true)]
    pub height: Option<f64>,
    /// With ribs on both faces of the plate: cut the larger region, the other, or both.
    #[arg(long, value_enum, default_value_t = Side::Main)]
    pub side: Side,
    /// Surface samples for the wall-thickness estimate, from 1 to 1e6.
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = thickness_samples, allow_hyphen_values = true)]
    pub thickness_samples: usize,
    #[command(flatten)]
    pub lattice: LatticeArgs,
    #[command(flatten)]
    pub materials: MaterialArgs,
    #[command(flatten)]
    pub settings: EstimateSettingsArgs,
}

/// Bounds of `batch --part-memory`: below 64 MB a worker hardly starts (its program, stack and
/// allocator take 30 MB of address space before any part); above 16 TB is no limit on any
/// machine.
const PART_MEMORY_MIN_MB: u64 = 64;
const PART_MEMORY_MAX_MB: u64 = 16 << 20;

/// Bounds of `batch --part-timeout`: above a week (604,800 s) a part is not coming back.
const PART_TIMEOUT_MAX_S: f64 = 604_800.0;

fn part_timeout_s(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= PART_TIMEOUT_MAX_S => Ok(v),
        _ => Err(format!(
            "'{s}' is not a time in seconds from above 0 to {PART_TIMEOUT_MAX_S}"
        )),
    }
}

/// The settings every part of a batch is evaluated with, from the batch's arguments: the same
/// function in `batch` and in its worker processes, so both evaluate alike.
fn batch_settings(args: &BatchArgs) -> Result<batch::WorkerSettings, String> {
    let (models, estimate) = models_and_options(&args.materials, &args.settings)?;
    let printers = batch::known_printers(&models.printers);
    let plan = batch::PlanSettings {
        material: args.materials.material.clone(),
        baseplate_material: args.materials.baseplate_material.clone(),
        lattice: args.lattice.lattice_request(Lattice::Grid),
        estimate,
        models,
    };
    Ok(batch::WorkerSettings {
        eval: batch::EvalOptions {
            load: args.input.load_options(),
            split: SplitOptions {
                normal: args.normal,
                height_mm: args.height,
                plane: None,
                side: args.side,
            },
            thickness_samples: args.thickness_samples,
            meshes: batch::MeshOutput::Discard,
            plan: std::sync::Arc::new(plan),
        },
        printers,
    })
}

/// How `batch` starts its workers: this program, as `__batch-worker` with the batch's own
/// arguments (everything after `batch`). `None` when this process was not started as
/// `hybridplan batch ...` (the library's `run` called with other arguments).
fn worker_command() -> Option<batch::WorkerCommand> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_none_or(|a| a != "batch") {
        return None;
    }
    // Linux: the program this process runs, even if its file was replaced during the run.
    let own = std::path::Path::new("/proc/self/exe");
    let program = if own.exists() {
        own.to_path_buf()
    } else {
        std::env::current_exe().ok()?
    };
    let mut args = vec![std::ffi::OsString::from(batch::worker::WORKER_COMMAND)];
    args.extend(argv[2..].iter().cloned());
    Some(batch::WorkerCommand { program, args })
}

/// `hybridplan batch`: evaluates a catalog in parallel into one row per part (see
/// [`batch`]). Exit 0 when the run finished and at least one part (or no part at all) was
/// evaluated; 1 when --fail-fast stopped it at an error or no part succeeded; 2 when the
/// catalog cannot be read or the output folder cannot be used (written to, or in use by
/// another run).
pub fn batch_command(args: &BatchArgs) -> io::Result<i32> {
    use std::io::IsTerminal;
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let settings = match batch_settings(args) {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let catalog_opts = batch::CatalogOptions {
        ignore_unknown_columns: args.ignore_unknown_columns,
        exclude: Some(args.out.clone()),
        printers: settings.printers.clone(),
    };
    let catalog = match batch::read_catalog(&args.catalog, &catalog_opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    if !args.quiet {
        for dir in &catalog.skipped {
            eprintln!(
                "note: {}: left out, it holds another batch's output (batch.json)",
                dir.display()
            );
        }
    }
    if catalog.entries.is_empty() {
        eprintln!(
            "error: {}: no parts in this catalog",
            args.catalog.display()
        );
        return Ok(1);
    }
    let limits = batch::PartLimits {
        timeout_s: args.part_timeout,
        memory_mb: args.part_memory,
    };
    let isolation = match worker_command() {
        Some(command) => Some(batch::Isolation { command, limits }),
        None => {
            eprintln!(
                "warning: not started as `hybridplan batch`: parts are evaluated in this \
                 process, without --part-timeout and --part-memory"
            );
            None
        }
    };
    let eval = settings.eval;
    let opts = batch::BatchOptions {
        out_dir: args.out.clone(),
        jobs: args
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        load: eval.load,
        split: eval.split,
        thickness_samples: eval.thickness_samples,
        write_meshes: args.meshes,
        shard: args.shard,
        resume: args.resume,
        retry_errors: args.retry_errors,
        fail_fast: args.fail_fast,
        progress_bar: io::stderr().is_terminal(),
        quiet: args.quiet,
        plan: eval.plan,
        isolation,
    };
    let outcome = match batch::run(&catalog, &opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let s = &outcome.summary;
    if !args.quiet {
        eprintln!("{}", s.text());
        eprintln!("results in {}", args.out.display());
    }
    let stopped = s.run.as_ref().is_some_and(|r| r.stopped_early);
    Ok(if stopped || (s.parts > 0 && s.ok == 0) {
        1
    } else {
        0
    })
}

/// `hybridplan __batch-worker`: one part of a batch, for [`batch_command`]'s workers (see
/// [`batch::worker`]). Exit 0 when the row is written (an error row too); 2 when the request
/// cannot be read or the settings not built (the batch then makes the row an error row with
/// this message).
pub fn batch_worker_command(args: &BatchArgs) -> io::Result<i32> {
    let settings = match batch_settings(args) {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    match batch::worker::serve(io::stdin().lock(), io::stdout().lock(), &settings) {
        Ok(()) => Ok(0),
        Err(e) => Ok(usage_error(&e)),
    }
}
