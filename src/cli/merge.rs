//! `hybridplan merge`: its arguments and entry function.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::{out_folder_usable, usage_error};
use crate::batch;

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

/// `hybridplan merge`: joins shard folders into one (see [`batch::merge`]). Exit 1 when the
/// folders are not the complete shards of one run (the message says what is missing or
/// different), 2 when the output cannot be written.
pub fn merge_command(args: &MergeArgs) -> io::Result<i32> {
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
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
