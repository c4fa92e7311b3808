//! `hybridplan inspect`: its arguments and entry function.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::args::{MeshInputArgs, OutputFormat};
use super::{Failure, each_file};
use crate::{mesh, report};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Mesh files: STL (binary or ASCII), 3MF or OBJ, told apart by content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub input: MeshInputArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `hybridplan inspect`: loads and checks each file; a file that cannot be read is reported
/// (with its path and reason) and the others go on. Exit 1 if any file failed to load.
pub fn inspect(args: &InspectArgs) -> io::Result<i32> {
    let opts = args.input.load_options();
    each_file(
        &args.files,
        args.format,
        |file| mesh::load(file, &opts).map_err(Failure::from),
        |out, file, checked| report::inspect_json(out, file, &checked.report),
        |out, file, checked| report::inspect_table(out, file, &checked.report),
    )
}
