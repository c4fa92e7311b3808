//! Command-line interface: argument definitions and one entry function per command.
//!
//! Exit codes: 0 success; 1 at least one input could not be processed (each reported on
//! standard error with its file and reason); 2 usage errors (from clap) and output failures.
//!
//! Every numeric option has the range of [`crate::limits`], checked by its value parser, so
//! a value outside it is clap's usage error (exit 2) naming the option and the range. Numeric
//! options take values that start with `-` (`--height -3`, `--normal -1,0,0`), so that a
//! negative number gets that message instead of "unexpected argument".

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::mesh;
use crate::models::ModelSet;
use crate::plan::EstimateOptions;
use crate::report;

mod args;
mod batch;
mod estimate;
mod family;
mod inspect;
mod merge;
mod plan;
mod split;

pub use args::{
    EstimateSettingsArgs, Inserts, Lattice, LatticeArgs, MaterialArgs, MeshInputArgs, OutputFormat,
    PartPlanArgs, SplitPlacementArgs,
};
use args::{length_mm, thickness_samples};
pub use batch::{BatchArgs, batch_command, batch_worker_command};
pub use estimate::{EstimateArgs, estimate};
pub use family::{FamilyArgs, family_command};
pub use inspect::{InspectArgs, inspect};
pub use merge::{MergeArgs, merge_command};
pub use plan::{PlanArgs, plan_command};
pub use split::{SplitArgs, split};

#[derive(Parser, Debug)]
#[command(
    name = "hybridplan",
    version,
    about = "Plan hybrid print-plus-overmold production from STL parts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load and check meshes: counts, bounds, area, volume, shells, watertightness.
    Inspect(InspectArgs),
    /// Split parts into the printed baseplate and the molded rib region; write both meshes.
    Split(Box<SplitArgs>),
    /// Compare printing, molding and the hybrid route: cost, time, energy, CO2, break-even.
    Estimate(Box<EstimateArgs>),
    /// Everything for a part: split, interface lattice, estimate; writes the meshes, the
    /// report (JSON, SVG chart) and a summary. Without a file: the bundled ribbed plate.
    Plan(Box<PlanArgs>),
    /// Evaluate every part of a catalog (a folder of STL files or a CSV manifest) in parallel
    /// into OUT/results.csv and OUT/results.jsonl, one row per part in catalog order.
    Batch(Box<BatchArgs>),
    /// Join the output folders of `batch --shard K/N` runs into one result in catalog order.
    Merge(MergeArgs),
    /// A family of personalised variants (a folder or a manifest): register the members'
    /// molded regions, group them into rib molds, check the plates, cost the routes.
    Family(Box<FamilyArgs>),
    /// Internal: evaluates one part of a batch (the request on standard input, the row on
    /// standard output), in a process of its own so that the part's limits hold.
    #[command(name = "__batch-worker", hide = true)]
    BatchWorker(Box<BatchArgs>),
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> io::Result<i32> {
    match cli.command {
        Command::Inspect(args) => inspect(&args),
        Command::Split(args) => split(&args),
        Command::Estimate(args) => estimate(&args),
        Command::Plan(args) => plan_command(&args),
        Command::Batch(args) => batch_command(&args),
        Command::Merge(args) => merge_command(&args),
        Command::Family(args) => family_command(&args),
        Command::BatchWorker(args) => batch_worker_command(&args),
    }
}

/// The models (user files over the embedded ones) and the estimate options, or the usage
/// error that stops the command.
fn models_and_options(
    materials: &MaterialArgs,
    settings: &EstimateSettingsArgs,
) -> Result<(ModelSet, EstimateOptions), String> {
    let models = materials.model_set()?;
    let opts = settings.options(&models)?;
    Ok((models, opts))
}

/// Reports a usage error (bad options or model files) and gives exit code 2.
fn usage_error(message: &str) -> i32 {
    eprintln!("error: {message}");
    2
}

/// Refuses an output folder that names something other than a folder, before any work: the
/// error of creating a folder there ("File exists") does not say what is wrong.
fn out_folder_usable(out: &Path) -> Result<(), String> {
    match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => Err(format!(
            "--out {} is a file, not a folder: name a folder (it is created if missing)",
            out.display()
        )),
        _ => Ok(()),
    }
}

/// Why one file of a command failed: its input could not be used (exit 1), or its outputs
/// could not be written (exit 2: the README's "output errors").
#[derive(Debug)]
enum Failure {
    Input(String),
    Output(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(m) | Failure::Output(m) => f.write_str(m),
        }
    }
}

impl From<crate::plan::PartError> for Failure {
    fn from(e: crate::plan::PartError) -> Self {
        match e {
            crate::plan::PartError::Write(_) => Failure::Output(e.to_string()),
            _ => Failure::Input(e.to_string()),
        }
    }
}

impl From<mesh::MeshError> for Failure {
    fn from(e: mesh::MeshError) -> Self {
        Failure::Input(e.to_string())
    }
}

/// Runs `process` on every file in turn and prints each result as JSON (one line) or as a
/// table. A file that fails is reported on standard error with its reason (and, in JSON, as a
/// row with an `error` key) and the others go on. Returns exit code 2 if any file's outputs
/// could not be written, else 1 if any file failed.
fn each_file<T>(
    files: &[PathBuf],
    format: OutputFormat,
    mut process: impl FnMut(&std::path::Path) -> Result<T, Failure>,
    json: impl Fn(&mut dyn Write, &std::path::Path, &T) -> io::Result<()>,
    table: impl Fn(&mut dyn Write, &std::path::Path, &T) -> io::Result<()>,
) -> io::Result<i32> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    let mut output_failed = false;
    for (k, file) in files.iter().enumerate() {
        match process(file) {
            Ok(result) => match format {
                OutputFormat::Json => json(&mut out, file, &result)?,
                OutputFormat::Table => {
                    if k > 0 {
                        writeln!(out)?;
                    }
                    table(&mut out, file, &result)?
                }
            },
            Err(e) => {
                failed += 1;
                output_failed |= matches!(e, Failure::Output(_));
                out.flush()?;
                eprintln!("error: {e}");
                if format == OutputFormat::Json {
                    report::error_json(&mut out, file, &e.to_string())?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if output_failed {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}
