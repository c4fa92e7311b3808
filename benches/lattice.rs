//! Interface lattice benchmark: the lattice step alone (2D layout, pores in the baseplate,
//! pins on the molded region, fill and bond checks) on split samples, medians of 7 runs.
//!
//!     cargo bench --bench lattice

use std::time::{Duration, Instant};

use hybridplan::interface::{
    InterfaceFrame, LatticeKind, LatticeRequest, MaterialPair, Pattern, PrintAndMold, build_lattice,
};
use hybridplan::models::{ModelSet, default_printer};
use hybridplan::samples;
use hybridplan::split::{Split, SplitOptions, split};
use nalgebra::{Point3, Vector3};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The lattice of split part `s` built `runs` times: its pores and the median time.
fn median_run(
    s: &Split,
    frame: &InterfaceFrame,
    process: &PrintAndMold,
    request: &LatticeRequest,
    runs: usize,
) -> (usize, Duration) {
    let run = || {
        build_lattice(
            &s.baseplate,
            &s.molded,
            frame,
            &s.footprint.loops_mm,
            s.facts.plate_thickness_mm,
            process,
            request,
        )
        .expect("the lattice builds")
    };
    let pores = run().report.pores;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(run());
            t.elapsed()
        })
        .collect();
    times.sort();
    (pores, times[runs / 2])
}

fn main() {
    let models = ModelSet::embedded().expect("embedded models");
    let (_, pla) = models.materials.get("PLA").unwrap();
    let pair = MaterialPair {
        printed_name: "PLA",
        printed: pla,
        molded_name: "PLA",
        molded: pla,
        adhesion_mpa: 4.0,
        listed: true,
        interface_temp_c: None,
    };
    let printer = default_printer();
    let process = PrintAndMold {
        printer: &printer,
        pair: &pair,
    };
    println!("| part | triangles | lattice | pores | lattice step (median of 7) |");
    println!("|---|---|---|---|---|");
    // A plate with six 5 mm ribs: about 1,000 grid pores with the default parameters.
    let ribs = (0..6)
        .map(|k| {
            let y = 10.0 + 16.0 * k as f64;
            samples::rect(5.0, y, 155.0, y + 5.0)
        })
        .collect();
    let wide = samples::SamplePart {
        name: "wide_ribs",
        description: "160 x 100 x 4 mm plate, six ribs 5 mm wide and 10 mm high",
        layers: vec![
            samples::Layer {
                z0: 0.0,
                z1: 4.0,
                rings: vec![samples::rect(0.0, 0.0, 160.0, 100.0)],
            },
            samples::Layer {
                z0: 4.0,
                z1: 14.0,
                rings: ribs,
            },
        ],
        plate_thickness_mm: Some(4.0),
        split_height_mm: Some(4.0),
    };
    let parts = [samples::ribbed_plate(), samples::grid_plate(), wide];
    for part in &parts {
        let mesh = part.mesh();
        let s = split(&mesh, &SplitOptions::default()).expect("the samples split");
        let f = &s.footprint;
        let frame = InterfaceFrame {
            normal: Vector3::from(s.facts.plane_normal),
            origin_mm: Point3::from(f.origin_mm),
            u: Vector3::from(f.u_axis),
            v: Vector3::from(f.v_axis),
            snap_mm: 1e-6,
        };
        for (name, pattern, dovetail) in [
            ("grid", Pattern::Grid, false),
            ("hex", Pattern::Hex, false),
            ("slots", Pattern::Slots, false),
            ("grid, dovetail", Pattern::Grid, true),
        ] {
            let request = LatticeRequest {
                kind: LatticeKind::Pores(pattern),
                pore_mm: None,
                wall_mm: None,
                depth_mm: None,
                margin_mm: None,
                angle_deg: 0.0,
                dovetail,
                explicit: true,
            };
            let (pores, median) = median_run(&s, &frame, &process, &request, 7);
            println!(
                "| {} | {} | {name} | {pores} | {:.1} ms |",
                part.name,
                mesh.triangles.len(),
                median.as_secs_f64() * 1e3
            );
        }
    }
    // The pattern turned: the ribbed plate read in centimetres (1,200 cm² of interface, about
    // 33 k pores), the grid at 0° and at 45°. Ear clipping the face with its 33 k holes made
    // the turned one 7 x slower (37 s against 5 s); both now go through the Delaunay path.
    println!();
    println!("| part | lattice | angle | pores | lattice step (median of 3) |");
    println!("|---|---|---|---|---|");
    let mut mesh = samples::ribbed_plate().mesh();
    for p in &mut mesh.vertices {
        p.coords *= 10.0;
    }
    let s = split(&mesh, &SplitOptions::default()).expect("the sample splits");
    let f = &s.footprint;
    let frame = InterfaceFrame {
        normal: Vector3::from(s.facts.plane_normal),
        origin_mm: Point3::from(f.origin_mm),
        u: Vector3::from(f.u_axis),
        v: Vector3::from(f.v_axis),
        snap_mm: 1e-5,
    };
    for angle_deg in [0.0, 45.0] {
        let request = LatticeRequest {
            kind: LatticeKind::Pores(Pattern::Grid),
            pore_mm: None,
            wall_mm: None,
            depth_mm: None,
            margin_mm: None,
            angle_deg,
            dovetail: false,
            explicit: true,
        };
        let (pores, median) = median_run(&s, &frame, &process, &request, 3);
        println!(
            "| ribbed_plate x 10 | grid | {angle_deg}° | {pores} | {:.0} ms |",
            median.as_secs_f64() * 1e3
        );
    }
}
