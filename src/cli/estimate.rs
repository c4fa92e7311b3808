//! `hybridplan estimate`: its arguments and entry function.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::args::PartPlanArgs;
use super::{Failure, each_file, usage_error};
use crate::{plan, report};

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// Mesh files: STL (binary or ASCII), 3MF or OBJ, told apart by content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub part: PartPlanArgs,
}

/// `hybridplan estimate`: splits each file (nothing written) and compares the routes.
pub fn estimate(args: &EstimateArgs) -> io::Result<i32> {
    let (models, opts) = match args.part.models_and_options() {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let job = args.part.job(&models);
    each_file(
        &args.files,
        args.part.format,
        |file| plan::estimate_part(file, &job, &opts).map_err(Failure::from),
        |out, file, (p, e)| report::estimate_json(out, file, p, e),
        |out, file, (p, e)| report::estimate_table(out, file, p, e),
    )
}
