//! Command-line interface: argument definitions and one entry function per command.
//!
//! Exit codes: 0 success; 1 at least one input could not be processed (each reported on
//! standard error with its file and reason); 2 usage errors (from clap) and output failures.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::mesh::{self, LoadOptions, Units};
use crate::report;

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
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// A readable table.
    Table,
    /// One JSON object per file, one per line.
    Json,
}

/// How a mesh file is read: shared by every command that reads parts.
#[derive(Args, Debug, Clone)]
pub struct MeshInputArgs {
    /// Unit of the numbers in the file (STL has none); everything out is in mm.
    #[arg(long, value_enum, default_value_t = Units::Mm)]
    pub units: Units,
    /// Also merge vertices closer than this distance (mm) after exact welding.
    #[arg(long, value_name = "MM", value_parser = positive_mm)]
    pub weld_tol: Option<f64>,
}

impl MeshInputArgs {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            units: self.units,
            weld_tolerance_mm: self.weld_tol,
        }
    }
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// STL files (binary or ASCII).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub input: MeshInputArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// A strictly positive, finite length in mm.
fn positive_mm(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive length in mm")),
    }
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> io::Result<i32> {
    match cli.command {
        Command::Inspect(args) => inspect(&args),
    }
}

/// `hybridplan inspect`: loads and checks each file; a file that cannot be read is reported
/// (with its path and reason) and the others go on. Exit 1 if any file failed to load.
pub fn inspect(args: &InspectArgs) -> io::Result<i32> {
    let opts = args.input.load_options();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    for (k, file) in args.files.iter().enumerate() {
        match mesh::load(file, &opts) {
            Ok(checked) => match args.format {
                OutputFormat::Json => report::inspect_json(&mut out, file, &checked.report)?,
                OutputFormat::Table => {
                    if k > 0 {
                        writeln!(out)?;
                    }
                    report::inspect_table(&mut out, file, &checked.report)?
                }
            },
            Err(e) => {
                failed += 1;
                out.flush()?;
                eprintln!("error: {e}");
                if args.format == OutputFormat::Json {
                    report::inspect_error_json(&mut out, file, &e.to_string())?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if failed > 0 { 1 } else { 0 })
}
