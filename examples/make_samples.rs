//! Writes the sample parts to `samples/` (or the folder given as the first argument) as binary
//! STL, plus `catalog.csv` listing them with their closed-form volumes.
//!
//!     cargo run --release --example make_samples [DIR]

use std::path::PathBuf;

use hybridplan::fsutil::write_atomic;
use hybridplan::mesh::stl::write_binary;
use hybridplan::samples;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "samples".into()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();
    for part in samples::all() {
        let mesh = part.mesh();
        let file = format!("{}.stl", part.name);
        write_binary(&dir.join(&file), &mesh, part.name)?;
        let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        rows.push([
            file,
            part.name.to_string(),
            part.description.to_string(),
            opt(part.plate_thickness_mm),
            opt(part.split_height_mm),
            format!("{:.6}", part.volume_mm3()),
            mesh.triangles.len().to_string(),
        ]);
        println!(
            "{:<16} {:>7} triangles  {:>12.3} mm3",
            part.name,
            mesh.triangles.len(),
            part.volume_mm3()
        );
    }
    write_atomic(&dir.join("catalog.csv"), |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record([
            "file",
            "name",
            "description",
            "plate_thickness_mm",
            "split_height_mm",
            "volume_mm3",
            "triangles",
        ])?;
        for r in &rows {
            csv.write_record(r)?;
        }
        csv.flush()
    })?;
    Ok(())
}
