//! `hybridplan plan`: its arguments and entry function.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::args::PartPlanArgs;
use super::{Failure, each_file, out_folder_usable, usage_error};
use crate::{plan, report};

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Mesh files (STL, 3MF or OBJ); none: the bundled ribbed-plate sample.
    pub files: Vec<PathBuf>,
    /// Folder for the meshes, STEM.report.json, STEM.report.svg/.png and STEM.summary.txt.
    #[arg(long, short, default_value = "plan")]
    pub out: PathBuf,
    #[command(flatten)]
    pub part: PartPlanArgs,
}

/// `hybridplan plan`: split, interface, estimate and every output, for each file (or the
/// bundled ribbed plate, written into the output folder first).
pub fn plan_command(args: &PlanArgs) -> io::Result<i32> {
    if let Err(e) = out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let (models, opts) = match args.part.models_and_options() {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let files = if args.files.is_empty() {
        match plan::write_bundled_sample(&args.out) {
            Ok(f) => {
                eprintln!("no file given: planning the bundled sample {}", f.display());
                vec![f]
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        }
    } else {
        args.files.clone()
    };
    let job = args.part.job(&models);
    each_file(
        &files,
        args.part.format,
        |file| -> Result<report::PlanReports, Failure> {
            // Meshes and reports staged together, then moved into place as one set with its
            // manifest (a run killed half way never leaves new meshes beside an old report
            // unmarked).
            let (planned, mut set) = plan::plan_part_staged(file, &job, &opts, &args.out)?;
            let reports = report::plan_reports(file, &planned, &args.out)
                .map_err(|e| Failure::Output(format!("{}: {e}", file.display())))?;
            report::write_plan_reports(&reports, &mut set)
                .map_err(|e| Failure::Output(e.to_string()))?;
            set.commit().map_err(|e| Failure::Output(e.to_string()))?;
            Ok(reports)
        },
        |out, _file, reports| {
            serde_json::to_writer(&mut *out, &reports.json)?;
            writeln!(out)
        },
        |out, _file, reports| out.write_all(reports.summary.as_bytes()),
    )
}
