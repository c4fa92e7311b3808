//! `hybridplan split`: its arguments and entry function.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::args::{
    Lattice, LatticeArgs, MaterialArgs, MeshInputArgs, OutputFormat, SplitPlacementArgs,
    split_thickness_samples,
};
use super::{Failure, each_file, out_folder_usable, usage_error};
use crate::plan::{self, SplitJob};
use crate::report;

#[derive(Args, Debug)]
pub struct SplitArgs {
    /// Mesh files: STL (binary or ASCII), 3MF or OBJ, told apart by content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Folder for STEM.baseplate.stl, STEM.molded.stl and STEM.split.3mf (created if missing).
    #[arg(long, short, default_value = ".")]
    pub out: PathBuf,
    #[command(flatten)]
    pub input: MeshInputArgs,
    #[command(flatten)]
    pub placement: SplitPlacementArgs,
    /// Surface samples for the wall-thickness estimate, from 0 (skips it) to 1e6.
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = split_thickness_samples, allow_hyphen_values = true)]
    pub thickness_samples: usize,
    #[command(flatten)]
    pub lattice: LatticeArgs,
    #[command(flatten)]
    pub materials: MaterialArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `hybridplan split`: splits each file into baseplate and molded region and writes both
/// meshes (binary STL, and one 3MF with both as parts of one object) into `--out`. A file that
/// cannot be split is reported with its reason and the others go on; exit 1 if any failed.
pub fn split(args: &SplitArgs) -> io::Result<i32> {
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let models = match args.materials.model_set() {
        Ok(m) => m,
        Err(e) => return Ok(usage_error(&e)),
    };
    let job = SplitJob {
        load: args.input.load_options(),
        split: args.placement.split_options(),
        lattice: args.lattice.lattice_request(Lattice::None),
        thickness_samples: args.thickness_samples,
        models: &models,
        materials: args.materials.choice(),
    };
    each_file(
        &args.files,
        args.format,
        |file| plan::split_part_with(file, &job, &args.out).map_err(Failure::from),
        |out, file, (p, outputs)| report::split_json(out, file, p, outputs),
        |out, file, (p, outputs)| report::split_table(out, file, p, outputs),
    )
}
