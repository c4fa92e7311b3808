//! `hybridplan family DIR|MANIFEST --out DIR`: a family of personalised variants, its molds
//! and its cost (see [`crate::family`] and docs/family.md).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::{OutputFormat, PartPlanArgs, length_mm, thickness_samples, usage_error};
use crate::batch;
use crate::family::{self, Family, FamilyOptions, MemberSpec};
use crate::fsutil::{OutputSet, write_atomic};
use crate::mesh;
use crate::report::{self, chart};

#[derive(Args, Debug)]
pub struct FamilyArgs {
    /// The members: a folder (every .stl in it, at any depth, in sorted order) or a CSV
    /// manifest with a `file` column and per-member `normal`, `height_mm`, `units` and
    /// `annual_volume` (as `batch`'s).
    pub members: PathBuf,
    /// Folder for family.json, family.summary.txt, family.molded.stl (the common molded
    /// region), each member's STEM.baseplate.stl and the cost chart (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Members within this surface distance (mm) of a mold's reference share its mold;
    /// above 0 and at most 1e5. Default: the molding model's (0.05 mm).
    #[arg(long, value_name = "MM", value_parser = length_mm, allow_hyphen_values = true)]
    pub tolerance_mm: Option<f64>,
    /// Surface samples of each molded region for the distance, from 1 to 1e6.
    #[arg(long, default_value_t = family::DEFAULT_SAMPLES, value_name = "N", value_parser = thickness_samples, allow_hyphen_values = true)]
    pub samples: usize,
    #[command(flatten)]
    pub part: PartPlanArgs,
}

/// `hybridplan family`: exit 0 when every member was evaluated, 1 when any member is an
/// error row (or none could be split), 2 for usage and output errors.
pub fn family_command(args: &FamilyArgs) -> io::Result<i32> {
    if let Err(e) = super::out_folder_usable(&args.out) {
        return Ok(usage_error(&e));
    }
    let (models, estimate) = match args.part.models_and_options() {
        Ok(x) => x,
        Err(e) => return Ok(usage_error(&e)),
    };
    let catalog_opts = batch::CatalogOptions {
        ignore_unknown_columns: false,
        exclude: Some(args.out.clone()),
        printers: batch::known_printers(&models.printers),
    };
    let catalog = match batch::read_catalog(&args.members, &catalog_opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    if catalog.entries.is_empty() {
        eprintln!(
            "error: {}: no members in this family",
            args.members.display()
        );
        return Ok(1);
    }
    let base = args.part.job(&models);
    let specs: Vec<MemberSpec> = catalog
        .entries
        .iter()
        .map(|e| {
            let mut job = base.clone();
            let mut error = None;
            let mut annual_volume = None;
            match &e.overrides {
                Ok(o) => {
                    if o.normal.is_some() {
                        job.split.normal = o.normal;
                        job.split.plane = None;
                    }
                    if o.height_mm.is_some() {
                        job.split.height_mm = o.height_mm;
                        job.split.plane = None;
                    }
                    if o.units.is_some() {
                        job.load.units = o.units;
                    }
                    annual_volume = o.annual_volume.map(|v| v as f64);
                    if o.material.is_some()
                        || o.baseplate_material.is_some()
                        || o.printer.is_some()
                        || o.variants.is_some()
                    {
                        error = Some(format!(
                            "{}: material, baseplate_material, printer and variants are the family's (options of the command), not a member's",
                            e.file
                        ));
                    }
                }
                Err(why) => error = Some(format!("{}: {why}", e.file)),
            }
            MemberSpec {
                name: e.file.clone(),
                path: e.path.clone(),
                job,
                annual_volume,
                error,
            }
        })
        .collect();
    let opts = FamilyOptions {
        models: &models,
        tolerance_mm: args
            .tolerance_mm
            .unwrap_or(models.molding.family.tolerance_mm),
        samples: args.samples,
        estimate,
        lattice: base.lattice,
        cost: true,
    };
    let fam = family::evaluate(&specs, &opts);
    for m in &fam.members {
        if let Some(e) = &m.error {
            eprintln!("error: {e}");
        }
    }
    // The page names the family after its folder or manifest.
    let name = args.members.file_name().map_or_else(
        || args.members.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if let Err(e) = write_outputs(&fam, &specs, &args.out, &name) {
        eprintln!("error: {e}");
        return Ok(2);
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.part.format {
        OutputFormat::Json => {
            serde_json::to_writer(&mut out, &fam)?;
            writeln!(out)?;
        }
        OutputFormat::Table => out.write_all(report::family_summary::summary(&fam).as_bytes())?,
    }
    out.flush()?;
    let failed = fam.members.iter().any(|m| m.status == "error");
    Ok(if failed { 1 } else { 0 })
}

/// The stem of each member's outputs: its file's, made unique with its index where two
/// members share one.
fn member_stems(specs: &[MemberSpec]) -> Vec<String> {
    let stems: Vec<String> = specs
        .iter()
        .map(|s| crate::plan::stem_of(&s.path))
        .collect();
    stems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if stems.iter().filter(|t| *t == s).count() > 1 {
                format!("{s}.{i}")
            } else {
                s.clone()
            }
        })
        .collect()
}

/// Writes the family's files into `out` as one set (manifest `family.outputs.json`); the
/// page `family.report.html` calls the family `name`.
fn write_outputs(fam: &Family, specs: &[MemberSpec], out: &Path, name: &str) -> Result<(), String> {
    let mut set = OutputSet::begin(out, "family").map_err(|e| e.to_string())?;
    let e = |x: crate::fsutil::WriteError| x.to_string();
    // The files beside the page, for its list.
    let mut written: Vec<String> = Vec::new();
    for (k, m) in fam.mold_meshes.iter().enumerate() {
        let name = if k == 0 {
            "family.molded.stl".to_string()
        } else {
            format!("family.mold{k}.molded.stl")
        };
        mesh::stl::write_binary(&set.stage(&out.join(&name)), m, &name).map_err(e)?;
        written.push(name);
    }
    for (stem, b) in member_stems(specs).iter().zip(&fam.baseplates) {
        if let Some(b) = b {
            let name = format!("{stem}.baseplate.stl");
            mesh::stl::write_binary(&set.stage(&out.join(&name)), b, "baseplate").map_err(e)?;
            written.push(name);
        }
    }
    write_atomic(&set.stage(&out.join("family.json")), |w| {
        serde_json::to_writer_pretty(&mut *w, fam)?;
        writeln!(w)
    })
    .map_err(e)?;
    let text = report::family_summary::summary(fam);
    write_atomic(&set.stage(&out.join("family.summary.txt")), |w| {
        w.write_all(text.as_bytes())
    })
    .map_err(e)?;
    written.extend(["family.json".into(), "family.summary.txt".into()]);
    let svg = fam
        .costs
        .as_ref()
        .map(|c| chart::cost_chart_svg("family", &c.comparison, &c.currency));
    if let Some(svg) = &svg {
        let png = chart::svg_to_png(svg, 1.0)?;
        write_atomic(&set.stage(&out.join("family.report.svg")), |w| {
            w.write_all(svg.as_bytes())
        })
        .map_err(e)?;
        write_atomic(&set.stage(&out.join("family.report.png")), |w| {
            w.write_all(&png)
        })
        .map_err(e)?;
        written.extend(["family.report.svg".into(), "family.report.png".into()]);
    }
    written.push("family.outputs.json".into());
    let files: Vec<&str> = written.iter().map(String::as_str).collect();
    let html = report::family_html::family_page(name, fam, svg.as_deref(), &files);
    write_atomic(&set.stage(&out.join("family.report.html")), |w| {
        w.write_all(html.as_bytes())
    })
    .map_err(e)?;
    set.commit().map_err(e)?;
    Ok(())
}
