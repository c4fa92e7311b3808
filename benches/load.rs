//! Loader benchmark: read + weld + check a generated 1,344,012-triangle binary STL, against a
//! plain `cat FILE > /dev/null` of the same file and against stl_io's reader, in one run.
//!
//!     cargo bench --bench load            # figures on standard output
//!
//! Each figure is the median of several runs after one warm-up (the file is in the page
//! cache for all of them, so the comparison is of CPU work, not of the disk). `cat` to
//! /dev/null barely touches the data (the kernel can splice it), so reading the file into
//! memory is shown too, as the floor of any loader.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hybridplan::mesh::{self, LoadOptions};

// The same allocator as the hybridplan binary, so that the figures are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    std::hint::black_box(f());
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("bench_1m.stl");
    if !file.exists() {
        let t = Instant::now();
        let part = hybridplan::samples::wavy_plate(84, 2000);
        let mesh = part.mesh();
        mesh::stl::write_binary(&file, &mesh, "bench").expect("write bench file");
        eprintln!(
            "generated {} ({} triangles) in {:.2} s",
            file.display(),
            mesh.triangles.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let bytes = std::fs::metadata(&file).unwrap().len();
    let runs = 7;
    let cat = time(runs, || {
        let st = Command::new("sh")
            .arg("-c")
            .arg(format!("cat '{}' > /dev/null", file.display()))
            .status()
            .unwrap();
        assert!(st.success());
    });
    let read = time(runs, || std::fs::read(&file).unwrap());
    let ours = time(runs, || mesh::load(&file, &LoadOptions::default()).unwrap());
    let read_only = time(runs, || mesh::stl::read_stl(&file).unwrap());
    let stl_io = time(3, || {
        let mut f = std::fs::File::open(&file).unwrap();
        stl_io::read_stl(&mut f).unwrap()
    });
    let checked = mesh::load(&file, &LoadOptions::default()).unwrap();
    let r = &checked.report;
    println!(
        "file: {} MB, {} triangles, {} vertices, watertight {}",
        bytes / 1_000_000,
        r.triangles,
        r.vertices,
        r.watertight
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("cat > /dev/null            {:8.1} ms", ms(cat));
    println!(
        "std::fs::read into memory  {:8.1} ms  ({:.1} x cat)",
        ms(read),
        ms(read) / ms(cat)
    );
    println!(
        "hybridplan read+weld       {:8.1} ms  ({:.1} x cat)",
        ms(read_only),
        ms(read_only) / ms(cat)
    );
    println!(
        "hybridplan load+check      {:8.1} ms  ({:.1} x cat)",
        ms(ours),
        ms(ours) / ms(cat)
    );
    println!(
        "stl_io::read_stl           {:8.1} ms  ({:.1} x cat, {:.1} x hybridplan read+weld)",
        ms(stl_io),
        ms(stl_io) / ms(cat),
        ms(stl_io) / ms(read_only)
    );
}
