//! Command-line interface: argument definitions and one entry function per command.
//!
//! Exit codes: 0 success; 1 at least one input could not be processed (each reported on
//! standard error with its file and reason); 2 usage errors (from clap) and output failures.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nalgebra::{Point3, Vector3};

use crate::batch::{self, Shard};
use crate::interface::{LatticeKind, LatticeRequest, Pattern};
use crate::mesh::{self, LoadOptions, Units};
use crate::split::{Side, SplitOptions};
use crate::{plan, report};

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
    /// Evaluate every part of a catalog (a folder of STL files or a CSV manifest) in parallel
    /// into OUT/results.csv and OUT/results.jsonl, one row per part in catalog order.
    Batch(Box<BatchArgs>),
    /// Join the output folders of `batch --shard K/N` runs into one result in catalog order.
    Merge(MergeArgs),
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

#[derive(Args, Debug)]
pub struct SplitArgs {
    /// STL files (binary or ASCII).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Folder for STEM.baseplate.stl, STEM.molded.stl and STEM.split.3mf (created if missing).
    #[arg(long, short, default_value = ".")]
    pub out: PathBuf,
    #[command(flatten)]
    pub input: MeshInputArgs,
    /// Mold opening direction X,Y,Z: the ribs are on the side it points to (default: detected).
    #[arg(long, value_name = "X,Y,Z", value_parser = vector3, allow_hyphen_values = true)]
    pub normal: Option<Vector3<f64>>,
    /// Cut this far (mm) along the normal from the part's lowest point.
    #[arg(long, value_name = "MM", value_parser = positive_mm, conflicts_with = "plane")]
    pub height: Option<f64>,
    /// Cut by the plane through PX,PY,PZ (mm) with normal NX,NY,NZ pointing into the molded side.
    #[arg(long, value_name = "PX,PY,PZ,NX,NY,NZ", value_parser = plane6, allow_hyphen_values = true, conflicts_with = "normal")]
    pub plane: Option<(Point3<f64>, Vector3<f64>)>,
    /// With ribs on both faces of the plate: cut the larger region, the other, or both.
    #[arg(long, value_enum, default_value_t = Side::Main)]
    pub side: Side,
    /// Surface samples for the wall-thickness estimate (0 skips it).
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub thickness_samples: usize,
    /// Porous interface: pores in the baseplate under the ribs, matching pins on the molded
    /// region (defaults from the printer model; see docs/models.md).
    #[arg(long, value_enum, default_value_t = Lattice::None)]
    pub lattice: Lattice,
    /// Pore width (side of a square pore, diameter of a round one).
    #[arg(long, value_name = "MM", value_parser = positive_mm)]
    pub pore_mm: Option<f64>,
    /// Wall between neighbouring pores.
    #[arg(long, value_name = "MM", value_parser = positive_mm)]
    pub wall_mm: Option<f64>,
    /// Pore depth below the interface.
    #[arg(long, value_name = "MM", value_parser = positive_mm)]
    pub depth_mm: Option<f64>,
    /// Least distance from a pore to the edge of the interface.
    #[arg(long, value_name = "MM", value_parser = positive_mm)]
    pub margin_mm: Option<f64>,
    /// With --lattice infill: the infill density of the zone under the interface (percent).
    #[arg(long, value_name = "PERCENT", default_value_t = 30.0)]
    pub infill_percent: f64,
    /// Turn of the pore pattern (degrees, counter-clockwise in the interface plane).
    #[arg(
        long,
        value_name = "DEG",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub angle_deg: f64,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// The porous interface to build, if any.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lattice {
    None,
    /// Square pores on a square grid.
    Grid,
    /// Round pores in staggered rows.
    Hex,
    /// Slots across the ribs.
    Slots,
    /// Plain meshes; the zone under the interface goes into the 3MF as a modifier volume that
    /// prints it as open infill (PrusaSlicer).
    Infill,
}

impl SplitArgs {
    pub fn lattice_request(&self) -> Option<LatticeRequest> {
        let kind = match self.lattice {
            Lattice::None => return None,
            Lattice::Grid => LatticeKind::Pores(Pattern::Grid),
            Lattice::Hex => LatticeKind::Pores(Pattern::Hex),
            Lattice::Slots => LatticeKind::Pores(Pattern::Slots),
            Lattice::Infill => LatticeKind::Infill {
                density_percent: self.infill_percent,
            },
        };
        Some(LatticeRequest {
            kind,
            pore_mm: self.pore_mm,
            wall_mm: self.wall_mm,
            depth_mm: self.depth_mm,
            margin_mm: self.margin_mm,
            angle_deg: self.angle_deg,
        })
    }

    pub fn split_options(&self) -> SplitOptions {
        SplitOptions {
            normal: self.normal,
            height_mm: self.height,
            plane: self.plane,
            side: self.side,
        }
    }
}

fn numbers(s: &str, n: usize) -> Result<Vec<f64>, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{s}' is not {n} comma-separated numbers"))?;
    if v.len() != n || !v.iter().all(|x| x.is_finite()) {
        return Err(format!("'{s}' is not {n} comma-separated finite numbers"));
    }
    Ok(v)
}

fn vector3(s: &str) -> Result<Vector3<f64>, String> {
    let v = numbers(s, 3)?;
    Ok(Vector3::new(v[0], v[1], v[2]))
}

fn plane6(s: &str) -> Result<(Point3<f64>, Vector3<f64>), String> {
    let v = numbers(s, 6)?;
    Ok((
        Point3::new(v[0], v[1], v[2]),
        Vector3::new(v[3], v[4], v[5]),
    ))
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> io::Result<i32> {
    match cli.command {
        Command::Inspect(args) => inspect(&args),
        Command::Split(args) => split(&args),
        Command::Batch(args) => batch_command(&args),
        Command::Merge(args) => merge_command(&args),
    }
}

/// `hybridplan split`: splits each file into baseplate and molded region and writes both
/// meshes (binary STL, and one 3MF with both as parts of one object) into `--out`. A file that
/// cannot be split is reported with its reason and the others go on; exit 1 if any failed.
pub fn split(args: &SplitArgs) -> io::Result<i32> {
    let (load, opts) = (args.input.load_options(), args.split_options());
    let lattice = args.lattice_request();
    each_file(
        &args.files,
        args.format,
        |file| {
            plan::split_part(
                file,
                &load,
                &opts,
                lattice.as_ref(),
                args.thickness_samples,
                &args.out,
            )
        },
        |out, file, (result, lattice, outputs)| {
            report::split_json(out, file, result, lattice.as_ref(), outputs)
        },
        |out, file, (result, lattice, outputs)| {
            report::split_table(out, file, result, lattice.as_ref(), outputs)
        },
    )
}

/// Runs `process` on every file in turn and prints each result as JSON (one line) or as a
/// table. A file that fails is reported on standard error with its reason (and, in JSON, as a
/// row with an `error` key) and the others go on. Returns exit code 1 if any file failed.
fn each_file<T, E: std::fmt::Display>(
    files: &[PathBuf],
    format: OutputFormat,
    mut process: impl FnMut(&std::path::Path) -> Result<T, E>,
    json: impl Fn(&mut dyn Write, &std::path::Path, &T) -> io::Result<()>,
    table: impl Fn(&mut dyn Write, &std::path::Path, &T) -> io::Result<()>,
) -> io::Result<i32> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0;
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
                out.flush()?;
                eprintln!("error: {e}");
                if format == OutputFormat::Json {
                    report::error_json(&mut out, file, &e.to_string())?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if failed > 0 { 1 } else { 0 })
}

/// `hybridplan inspect`: loads and checks each file; a file that cannot be read is reported
/// (with its path and reason) and the others go on. Exit 1 if any file failed to load.
pub fn inspect(args: &InspectArgs) -> io::Result<i32> {
    let opts = args.input.load_options();
    each_file(
        &args.files,
        args.format,
        |file| mesh::load(file, &opts),
        |out, file, checked| report::inspect_json(out, file, &checked.report),
        |out, file, checked| report::inspect_table(out, file, &checked.report),
    )
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// A folder (every .stl in it, at any depth, in sorted order) or a CSV manifest with a
    /// `file` column and optional per-row overrides (see docs/batch.md).
    pub catalog: PathBuf,
    /// Folder for results.csv, results.jsonl, summary.json, timings.csv, batch.json (and the
    /// meshes with --meshes); created if missing.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Parts evaluated at once (default: all cores).
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
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
    #[command(flatten)]
    pub input: MeshInputArgs,
    /// Mold opening direction X,Y,Z for every part (default: detected); a manifest's `normal`
    /// column overrides it per row.
    #[arg(long, value_name = "X,Y,Z", value_parser = vector3, allow_hyphen_values = true)]
    pub normal: Option<Vector3<f64>>,
    /// Cut this far (mm) along the normal from each part's lowest point; a manifest's
    /// `height_mm` column overrides it per row.
    #[arg(long, value_name = "MM", value_parser = positive_mm)]
    pub height: Option<f64>,
    /// With ribs on both faces of the plate: cut the larger region, the other, or both.
    #[arg(long, value_enum, default_value_t = Side::Main)]
    pub side: Side,
    /// Surface samples for the wall-thickness estimate (0 skips it).
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub thickness_samples: usize,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The output folders of the shards (`batch --shard K/N --out DIR`), all N of them.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// No summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `hybridplan batch`: evaluates a catalog in parallel into one row per part (see
/// [`batch`]). Exit 0 when the run finished and at least one part (or no part at all) was
/// evaluated; 1 when --fail-fast stopped it at an error or no part succeeded; 2 when the
/// catalog cannot be read or the output folder cannot be used (written to).
pub fn batch_command(args: &BatchArgs) -> io::Result<i32> {
    use std::io::IsTerminal;
    let catalog_opts = batch::CatalogOptions {
        ignore_unknown_columns: args.ignore_unknown_columns,
        exclude: Some(args.out.clone()),
        printers: batch::known_printers(),
    };
    let catalog = match batch::read_catalog(&args.catalog, &catalog_opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    if catalog.entries.is_empty() {
        eprintln!(
            "error: {}: no parts in this catalog",
            args.catalog.display()
        );
        return Ok(1);
    }
    let opts = batch::BatchOptions {
        out_dir: args.out.clone(),
        jobs: args
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        load: args.input.load_options(),
        split: SplitOptions {
            normal: args.normal,
            height_mm: args.height,
            plane: None,
            side: args.side,
        },
        thickness_samples: args.thickness_samples,
        write_meshes: args.meshes,
        shard: args.shard,
        resume: args.resume,
        retry_errors: args.retry_errors,
        fail_fast: args.fail_fast,
        progress_bar: io::stderr().is_terminal(),
        quiet: args.quiet,
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

/// `hybridplan merge`: joins shard folders into one (see [`batch::merge`]). Exit 1 when the
/// folders are not the complete shards of one run (the message says what is missing or
/// different), 2 when the output cannot be written.
pub fn merge_command(args: &MergeArgs) -> io::Result<i32> {
    match batch::merge(&args.dirs, &args.out) {
        Ok(summary) => {
            if !args.quiet {
                eprintln!("{}", summary.text());
                eprintln!("results in {}", args.out.display());
            }
            Ok(0)
        }
        Err(e @ batch::MergeError::Inputs(_)) => {
            eprintln!("error: {e}");
            Ok(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(2)
        }
    }
}
