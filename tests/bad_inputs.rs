//! Hostile inputs: every file in `tests/bad_inputs/` (see its README.md), plus a few made at
//! test time, is fed to the real `hybridplan inspect`, which must fail cleanly: exit code 1,
//! one line on standard error that names the file and says what is wrong, and no panic.
//! A fuzz-style loop then truncates and corrupts valid STL, OBJ and 3MF files and checks that
//! `hybridplan::mesh::load` returns `Ok` or `Err` and never panics.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hybridplan::mesh::stl::{write_ascii_to, write_binary, write_binary_to};
use hybridplan::mesh::{LoadOptions, Mesh, Units, load};
use nalgebra::Point3;

#[path = "../benches/common/child.rs"]
mod child;
#[path = "common/mesh_files.rs"]
mod mesh_files;

const BIN: &str = env!("CARGO_BIN_EXE_hybridplan");

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

/// Each committed bad file with the words its error must contain (any one of them).
const EXPECTED: &[(&str, &[&str])] = &[
    ("empty.stl", &["file is empty"]),
    ("png_small.png.stl", &["not an STL, 3MF or OBJ file"]),
    (
        "png_large.png.stl",
        &["not an STL, 3MF or OBJ file: it looks like a PNG image"],
    ),
    ("plain_text.stl", &["not an STL, 3MF or OBJ file"]),
    ("binary_truncated.stl", &["size mismatch"]),
    ("binary_extra_bytes.stl", &["trailing data"]),
    ("binary_huge_count.stl", &["4294967280 triangles"]),
    ("binary_nan.stl", &["triangle 1 has a non-finite"]),
    ("binary_inf.stl", &["triangle 1 has a non-finite"]),
    ("binary_zero_count.stl", &["no triangles"]),
    (
        "ascii_missing_vertex.stl",
        &["line 6: facet starting at line 2 has 2 vertices"],
    ),
    ("ascii_short_vertex.stl", &["line 5: vertex needs three"]),
    ("ascii_bad_number.stl", &["line 5: 'abc' is not a number"]),
    ("ascii_nan.stl", &["line 6: non-finite"]),
    (
        "ascii_missing_endloop.stl",
        &["line 7: expected 'vertex' or 'endloop'"],
    ),
    ("ascii_ends_in_facet.stl", &["file ends inside the facet"]),
    ("ascii_no_facets.stl", &["no triangles"]),
    ("ascii_solid_only.stl", &["no triangles"]),
];

fn inspect(args: &[&Path], extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("inspect")
        .args(args)
        .args(extra)
        .output()
        .expect("run hybridplan")
}

/// Runs `hybridplan inspect path` and checks the failure contract.
fn assert_clean_failure(path: &Path, reasons: &[&str]) {
    let out = inspect(&[path], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = path.display().to_string();
    let ctx = format!("{shown}: stderr = {stderr:?}");
    assert_eq!(out.status.code(), Some(1), "exit code, {ctx}");
    assert!(!stderr.contains("panicked"), "panic, {ctx}");
    assert_eq!(stderr.lines().count(), 1, "one stderr line, {ctx}");
    assert!(stderr.ends_with('\n'), "stderr line ends, {ctx}");
    assert!(stderr.starts_with("error: "), "error prefix, {ctx}");
    assert!(stderr.contains(&shown), "names the file, {ctx}");
    assert!(
        reasons.iter().any(|r| stderr.contains(r)),
        "expected one of {reasons:?}, {ctx}"
    );
    assert!(out.stdout.is_empty(), "no table for a failed file, {ctx}");
}

#[test]
fn corpus_matches_the_expectation_table() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    let listed: BTreeSet<String> = EXPECTED.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "every file in tests/bad_inputs must have an entry in EXPECTED (and in README.md)"
    );
    let readme = std::fs::read_to_string(corpus_dir().join("README.md")).unwrap();
    for name in &on_disk {
        assert!(readme.contains(name), "{name} is missing from README.md");
    }
}

#[test]
fn every_bad_file_fails_cleanly() {
    for (name, reasons) in EXPECTED {
        assert_clean_failure(&corpus_dir().join(name), reasons);
    }
}

#[test]
fn all_bad_files_at_once_give_one_line_each() {
    let paths: Vec<PathBuf> = EXPECTED.iter().map(|(n, _)| corpus_dir().join(n)).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let out = inspect(&refs, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), paths.len(), "{stderr}");
    for (line, path) in lines.iter().zip(&paths) {
        assert!(line.contains(&path.display().to_string()), "{line}");
    }
}

#[test]
fn directory_and_missing_path_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a_folder.stl");
    std::fs::create_dir(&sub).unwrap();
    assert_clean_failure(&sub, &["is a directory"]);
    let missing = dir.path().join("does_not_exist.stl");
    assert_clean_failure(&missing, &["cannot read"]);
}

#[test]
fn a_very_long_line_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // 100 KB of printable garbage after 'solid', no newline, no 'facet' in it.
    let mut garbage = b"solid ".to_vec();
    garbage
        .extend((0..100_000u32).map(|i| b"qwertyuiopasdghjklzxcvbnm0123456789"[i as usize % 35]));
    let plain = dir.path().join("long_line.stl");
    std::fs::write(&plain, &garbage).unwrap();
    assert_clean_failure(&plain, &["line 1: a word longer than 4096 bytes"]);
    // The same with 'facet' early on: the 100 KB word after it is still one word too long.
    garbage.splice(6..6, b"facet ".iter().copied());
    let facet = dir.path().join("long_line_facet.stl");
    std::fs::write(&facet, &garbage).unwrap();
    assert_clean_failure(&facet, &["line 1: a word longer than 4096 bytes"]);
}

/// Files the readers used to refuse or take silently: the three in `tests/fixtures/` (see
/// `tests/bad_inputs/README.md`) are the closed 10 mm cube (12 triangles, 8 vertices,
/// 1000 mm3) through the real `inspect`, in the table and in JSON.
#[test]
fn ascii_fixtures_that_were_refused_now_load_with_the_right_warnings() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (name, truncated) in [
        ("ascii_utf8_name.stl", false),
        ("ascii_one_line.stl", false),
        ("ascii_no_endsolid.stl", true),
    ] {
        let path = fixtures.join(name);
        let out = inspect(&[&path], &["--format", "json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["format"], "ascii", "{name}: {v}");
        assert_eq!(v["triangles"], 12, "{name}: {v}");
        assert_eq!(v["vertices"], 8, "{name}: {v}");
        assert_eq!(v["watertight"], true, "{name}: {v}");
        assert!(
            (v["volume_mm3"].as_f64().unwrap() - 1000.0).abs() < 1e-9,
            "{v}"
        );
        let warnings = v["warnings"].as_array().unwrap();
        let warned = warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("the file may be truncated"));
        assert_eq!(warned, truncated, "{name}: {warnings:?}");
        // The table says it too.
        let table = inspect(&[&path], &[]);
        let text = String::from_utf8_lossy(&table.stdout);
        assert_eq!(
            text.contains("warning: ASCII STL ends without 'endsolid'"),
            truncated
        );
    }
}

/// The truncation warning reaches the user of `estimate` as well, not only `inspect`.
#[test]
fn truncation_warning_reaches_the_estimate_report() {
    let dir = tempfile::tempdir().unwrap();
    let part = hybridplan::samples::ribbed_plate().mesh();
    let mut text = Vec::new();
    write_ascii_to(&mut text, &part, "ribbed").unwrap();
    let end = text.len() - b"endsolid ribbed\n".len();
    let path = dir.path().join("ribbed_no_end.stl");
    std::fs::write(&path, &text[..end]).unwrap();
    let out = Command::new(BIN)
        .args(["estimate", "--format", "json", "--lattice", "none"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ASCII STL ends without 'endsolid': the file may be truncated"),
        "{stdout}"
    );
}

/// `/dev/zero` is not "truncated", and a FIFO does not block the reader forever: both are
/// refused before they are opened, with what they are.
#[cfg(unix)]
#[test]
fn devices_and_fifos_fail_cleanly_and_at_once() {
    assert_clean_failure(
        Path::new("/dev/zero"),
        &["/dev/zero: is not a regular file but a device"],
    );
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.stl");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = Command::new(BIN)
        .arg("inspect")
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("inspect of a FIFO still blocked after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is not a regular file but a named pipe (FIFO)"),
        "{stderr}"
    );
}

/// A closed 10 mm cube, outward normals.
fn cube() -> Mesh {
    Mesh::cuboid([0.0; 3], [10.0; 3])
}

#[test]
fn json_reports_good_file_and_error_for_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("cube.stl");
    write_binary(&good, &cube(), "cube").unwrap();
    let bad = corpus_dir().join("binary_truncated.stl");
    let out = inspect(&[&good, &bad], &["--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&bad.display().to_string()), "{stderr}");

    let stdout = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    let ok = &rows[0];
    assert!(ok.is_object(), "{ok}");
    assert_eq!(ok["file"], good.display().to_string());
    assert_eq!(ok["watertight"], true, "{ok}");
    assert_eq!(ok["triangles"], 12, "{ok}");
    assert!(
        (ok["volume_mm3"].as_f64().unwrap() - 1000.0).abs() < 1e-9,
        "{ok}"
    );
    let err = &rows[1];
    assert_eq!(err["file"], bad.display().to_string());
    assert!(
        err["error"].as_str().unwrap().contains("size mismatch"),
        "{err}"
    );
}

/// Sets the uncompressed size a ZIP declares for its entries (in the local and central
/// headers) to `size`, leaving the data as it is.
fn declare_size(zip: &mut [u8], size: u32) {
    for (sig, at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let mut i = 0;
        while let Some(k) = zip[i..].windows(4).position(|w| w == sig) {
            let h = i + k;
            zip[h + at..h + at + 4].copy_from_slice(&size.to_le_bytes());
            i = h + 4;
        }
    }
}

/// Hostile 3MF and OBJ files, made at test time (see `tests/bad_inputs/README.md`): each fails
/// cleanly through the real `inspect`, naming the file, the part and the problem, in bounded
/// time and memory.
#[test]
fn hostile_3mf_and_obj_files_fail_cleanly() {
    use mesh_files::*;
    let dir = tempfile::tempdir().unwrap();
    let cube = cube();
    let good = model("millimeter", &mesh_object(1, &cube), &item(1, ""));
    let zipped = |name: &str, model_xml: &str| {
        let p = dir.path().join(name);
        write_3mf(&p, model_xml, &[]);
        p
    };
    let mut cases: Vec<(PathBuf, Vec<&str>)> = Vec::new();

    // The package itself.
    let whole = zipped("whole.3mf", &good);
    let bytes = std::fs::read(&whole).unwrap();
    let truncated = dir.path().join("truncated.3mf");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    cases.push((
        truncated,
        vec!["not a readable ZIP archive (truncated or damaged?)"],
    ));
    let mut declared = bytes.clone();
    declare_size(&mut declared, 0xFFFF_FFF0);
    let declared_bomb = dir.path().join("bomb_declared.3mf");
    std::fs::write(&declared_bomb, &declared).unwrap();
    cases.push((
        declared_bomb,
        vec![
            "declares 4294967280 bytes uncompressed, more than the",
            "(a zip bomb?)",
        ],
    ));
    // 64 MB of XML comment deflate to 64 KB (a ratio of 1000), its size declared as 1 KB.
    let bomb_xml = format!(
        "<?xml version=\"1.0\"?>\n<model unit=\"millimeter\" xmlns=\"{CORE_NS}\"><!--{}--></model>",
        "a".repeat(64 << 20)
    );
    let bomb = zipped("bomb.3mf", &bomb_xml);
    let mut b = std::fs::read(&bomb).unwrap();
    declare_size(&mut b, 1024);
    std::fs::write(&bomb, &b).unwrap();
    cases.push((bomb, vec!["3D/3dmodel.model inflates to more than the"]));
    let readme = dir.path().join("no_model.3mf");
    write_zip(&readme, &[("readme.txt", b"not a model")]);
    cases.push((
        readme,
        vec!["a ZIP archive without the 3D model part 3D/3dmodel.model"],
    ));
    let not_zip = dir.path().join("not_zip.3mf");
    std::fs::write(&not_zip, "hello\n").unwrap();
    cases.push((not_zip, vec!["it is named .3mf but is not a ZIP archive"]));

    // The model.
    let last = format!("v1=\"{}\" v2=\"{}\" v3=\"{}\"", 3, 7, 5);
    assert!(good.contains(&last), "the cube's last triangle is 3 7 5");
    cases.push((
        zipped(
            "index.3mf",
            &good.replace(&last, "v1=\"3\" v2=\"8\" v3=\"5\""),
        ),
        vec![
            "3D/3dmodel.model line ",
            "object 1, triangle 11: vertex index 8 is out of range (the object has 8 vertices)",
        ],
    ));
    cases.push((
        zipped(
            "not_a_number.3mf",
            &good.replacen("y=\"0\"", "y=\"abc\"", 1),
        ),
        vec!["object 1, vertex 0: y = 'abc' is not a number"],
    ));
    cases.push((
        zipped("nan.3mf", &good.replacen("x=\"10\"", "x=\"NaN\"", 1)),
        vec!["object 1, vertex 1: x = 'NaN' is not finite"],
    ));
    cases.push((
        zipped("huge.3mf", &good.replacen("x=\"10\"", "x=\"1e39\"", 1)),
        vec!["x = '1e39' is not finite (NaN, infinity or beyond 32-bit floats)"],
    ));
    cases.push((
        zipped("unit.3mf", &good.replace("millimeter", "furlong")),
        vec!["unit 'furlong' is not one of micron, millimeter"],
    ));
    cases.push((
        zipped("cut.3mf", &good[..good.find("<triangles>").unwrap()]),
        vec!["the part ends inside <mesh> (truncated?)"],
    ));
    cases.push((
        zipped(
            "mismatched.3mf",
            &good.replacen("</vertices>", "</vertex>", 1),
        ),
        vec!["not well-formed XML"],
    ));
    cases.push((
        zipped(
            "missing_object.3mf",
            &good.replace("objectid=\"1\"", "objectid=\"7\""),
        ),
        vec!["build item 1: refers to object 7, which 3D/3dmodel.model does not define"],
    ));
    cases.push((
        zipped(
            "no_items.3mf",
            &model("millimeter", &mesh_object(1, &cube), ""),
        ),
        vec!["the model has no build items"],
    ));
    cases.push((
        zipped(
            "bad_transform.3mf",
            &good.replace(
                "<item objectid=\"1\"/>",
                "<item objectid=\"1\" transform=\"1 0 0 0 1 0 0 0 1 0 0\"/>",
            ),
        ),
        vec!["build item 1: transform '1 0 0 0 1 0 0 0 1 0 0' has fewer than 12 numbers"],
    ));

    // Components: a cycle, too deep a nesting, too many placements, too many triangles.
    let cyclic = format!(
        "{}{}",
        components_object(1, &[(2, "")]),
        components_object(2, &[(1, "")])
    );
    cases.push((
        zipped("cyclic.3mf", &model("millimeter", &cyclic, &item(1, ""))),
        vec!["object 1 contains itself through its components (1 -> 2 -> 1)"],
    ));
    let mut deep = mesh_object(1, &cube);
    for id in 2..=40 {
        deep.push_str(&components_object(id, &[(id - 1, "")]));
    }
    cases.push((
        zipped("deep.3mf", &model("millimeter", &deep, &item(40, ""))),
        vec!["components nest more than 32 deep"],
    ));
    // Ten components of ten of ... five deep: 100,000 placements from a 2 KB model.
    let mut fan = mesh_object(1, &cube);
    let ten: Vec<(u32, String)> = (0..10)
        .map(|k| (0, format!("1 0 0 0 1 0 0 0 1 {} 0 0", 20 * k)))
        .collect();
    for id in 2..=6u32 {
        let comps: Vec<(u32, &str)> = ten.iter().map(|(_, t)| (id - 1, t.as_str())).collect();
        fan.push_str(&components_object(id, &comps));
    }
    cases.push((
        zipped("fan_out.3mf", &model("millimeter", &fan, &item(6, ""))),
        vec!["the build places more than 10000 objects"],
    ));
    // A mesh of 12,288 triangles placed by 4100 items: 50.4 million triangles.
    let fine = cube
        .subdivided()
        .subdivided()
        .subdivided()
        .subdivided()
        .subdivided();
    assert_eq!(fine.triangles.len(), 12_288);
    let items = (0..4100).map(|_| item(1, "")).collect::<String>();
    cases.push((
        zipped(
            "many_triangles.3mf",
            &model("millimeter", &mesh_object(1, &fine), &items),
        ),
        vec!["the build places more than 50000000 triangles"],
    ));

    // OBJ.
    let obj = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let three = "v 0 0 0\nv 1 0 0\nv 0 1 0\n";
    cases.push((
        obj("index.obj", &format!("{three}f 1 2 9\n")),
        vec!["line 4: vertex index 9 is out of range: the file defines 3 vertices"],
    ));
    cases.push((
        obj("negative.obj", &format!("{three}f -1 -2 -4\n")),
        vec!["line 4: vertex index -4 reaches before the first vertex"],
    ));
    cases.push((
        obj("not_a_number.obj", "v 0 0 0\nv 1 abc 0\n"),
        vec!["line 2: 'abc' is not a number"],
    ));
    cases.push((
        obj("nan.obj", "v 0 0 0\nv nan 0 0\n"),
        vec!["line 2: non-finite coordinate"],
    ));
    cases.push((
        obj("short_face.obj", &format!("{three}f 1 2\n")),
        vec!["line 4: face has 2 vertices, needs at least 3"],
    ));
    cases.push((obj("no_faces.obj", three), vec!["contains no triangles"]));

    for (path, reasons) in &cases {
        let started = std::time::Instant::now();
        assert_clean_failure(path, reasons);
        assert!(
            started.elapsed().as_secs_f64() < 20.0,
            "{}: {:?}",
            path.display(),
            started.elapsed()
        );
    }
}

/// A small deterministic generator (xorshift64*), so every run tries the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Truncates and corrupts a valid cube as binary STL, ASCII STL, OBJ and 3MF (stored and
/// deflated) in several thousand deterministic ways, loads each with the options in turn, and returns the cases that
/// panicked (with what was done to the file) and how many cases ran.
fn fuzz_load(option_sets: &[LoadOptions]) -> (Vec<String>, usize) {
    let mut binary = Vec::new();
    write_binary_to(&mut binary, &cube(), "cube").unwrap();
    let mut ascii = Vec::new();
    write_ascii_to(&mut ascii, &cube(), "cube").unwrap();
    let obj = mesh_files::cuboid_obj().into_bytes();
    // A 3MF whose model is stored, so that changed bytes land in its XML (and the CRC check
    // comes last), and one deflated, as tools write them.
    let model = mesh_files::model(
        "millimeter",
        &mesh_files::mesh_object(1, &cube()),
        &mesh_files::item(1, ""),
    );
    let entries = mesh_files::package_entries(&model);
    let stored = mesh_files::zip_bytes(&entries, zip::CompressionMethod::Stored);
    let deflated = mesh_files::zip_bytes(&entries, zip::CompressionMethod::Deflated);
    let originals = [
        ("binary", &binary),
        ("ascii", &ascii),
        ("obj", &obj),
        ("3mf stored", &stored),
        ("3mf deflated", &deflated),
    ];

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.stl");
    let mut cases = 0usize;
    let mut failures = Vec::new();
    let mut run = |label: String, bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        let opts = &option_sets[cases % option_sets.len()];
        cases += 1;
        if catch_unwind(AssertUnwindSafe(|| load(&path, opts))).is_err() {
            failures.push(label);
        }
    };

    // The originals load, so the cases below start from valid files.
    for (name, full) in originals {
        std::fs::write(&path, full).unwrap();
        let m = load(&path, &LoadOptions::default()).unwrap();
        assert!(m.report.watertight, "{name}");
    }

    for (name, full) in originals {
        // Every truncation.
        for len in 0..full.len() {
            run(format!("{name} truncated to {len} bytes"), &full[..len]);
        }
        // Random byte changes, 1 to 4 per case, some in the header/count region.
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ full.len() as u64);
        for case in 0..800 {
            let mut bytes = full.clone();
            let flips = 1 + rng.below(4);
            let mut what = Vec::new();
            for _ in 0..flips {
                let at = if case % 4 == 0 {
                    rng.below(bytes.len().min(100))
                } else {
                    rng.below(bytes.len())
                };
                let to = rng.next() as u8;
                bytes[at] = to;
                what.push(format!("[{at}]={to:#04x}"));
            }
            run(format!("{name} case {case}: {}", what.join(" ")), &bytes);
        }
        // Random changes and a random truncation together.
        for case in 0..200 {
            let mut bytes = full.clone();
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
            let len = rng.below(bytes.len() + 1);
            run(
                format!("{name} mixed case {case}: [{at}] changed, cut to {len}"),
                &bytes[..len],
            );
        }
    }
    (failures, cases)
}

#[test]
fn truncated_and_corrupted_files_never_panic_the_loader() {
    let (failures, cases) = fuzz_load(&[
        LoadOptions::default(),
        LoadOptions {
            units: Some(Units::In),
            weld_tolerance_mm: None,
        },
        LoadOptions {
            units: Some(Units::M),
            weld_tolerance_mm: None,
        },
    ]);
    assert!(cases > 2000, "{cases}");
    assert!(
        failures.is_empty(),
        "load panicked on {} of {cases} cases: {failures:#?}",
        failures.len()
    );
}

/// The same with `--weld-tol`. Known to fail in debug builds: `merge_within` (src/mesh/weld.rs)
/// saturates a huge coordinate's grid cell to i64::MAX/MIN and then adds +-1 to it, which
/// overflows ("attempt to add with overflow"). Release builds wrap silently instead.
#[test]
fn truncated_and_corrupted_files_never_panic_the_loader_with_weld_tolerance() {
    let (failures, cases) = fuzz_load(&[
        LoadOptions {
            units: Some(Units::Mm),
            weld_tolerance_mm: Some(0.01),
        },
        LoadOptions {
            units: Some(Units::In),
            weld_tolerance_mm: Some(0.5),
        },
    ]);
    assert!(
        failures.is_empty(),
        "load panicked on {} of {cases} cases: {failures:#?}",
        failures.len()
    );
}

/// The smallest reproducer of the panic above, through the real binary.
#[test]
fn weld_tolerance_with_a_huge_coordinate_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.stl");
    let mut mesh = cube();
    mesh.vertices[7] = Point3::new(1e30, 10.0, 10.0);
    write_binary(&path, &mesh, "huge").unwrap();
    let out = inspect(&[&path], &["--weld-tol", "0.01"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

/// Every case in `tests/fuzz_regressions/` (see its README.md): reader cases load or fail
/// cleanly, pipeline cases end within 20 s with exit code 0, 1 or 2 and no panic.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 2, "the kept cases are missing");
    let out = tempfile::tempdir().unwrap();
    for note in cases {
        let text = std::fs::read_to_string(&note).unwrap();
        let part = note.with_extension("stl");
        let mut lines = text.lines();
        let kind = lines.next().unwrap_or_default();
        if kind.starts_with("reader") {
            let r = catch_unwind(AssertUnwindSafe(|| load(&part, &LoadOptions::default())));
            assert!(r.is_ok(), "{} panics again", part.display());
            continue;
        }
        let line = lines.next().expect("a pipeline case names its command");
        let mut args: Vec<String> = line
            .split_whitespace()
            .skip(1)
            .map(|a| a.replace("PART.stl", part.to_str().unwrap()))
            .collect();
        if let Some(i) = args.iter().position(|a| a == "--out") {
            args[i + 1] = out.path().join("o").display().to_string();
        }
        let err_path = out.path().join("stderr");
        // Reaped by wait4 below, which std's Child does not know of.
        #[allow(clippy::zombie_processes)]
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .unwrap();
        // The fuzzer's budget, 10 s of the child's CPU time and 1 GB resident, measured as it
        // measures them (so a busy machine does not fail a case), with a wall-clock guard for
        // a child that hangs.
        let t0 = std::time::Instant::now();
        let pid = child.id() as i32;
        let ended = loop {
            if let Some(e) = child::wait4_nohang(pid) {
                break e;
            }
            if t0.elapsed().as_secs() > 120 {
                let _ = child.kill();
                panic!("{}: still running after 120 s: {line}", note.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(
            ended.cpu_s <= 10.0,
            "{}: {:.1} s of CPU time, over the 10 s budget: {line}",
            note.display(),
            ended.cpu_s
        );
        assert!(
            ended.rss_kb <= 1024 * 1024,
            "{}: {} MB resident, over the 1 GB budget: {line}",
            note.display(),
            ended.rss_kb / 1024
        );
        let status = std::process::ExitStatus::from_raw(ended.status);
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        assert!(
            matches!(status.code(), Some(0..=2)) && !err.contains("panicked"),
            "{}: {status:?} {err}",
            note.display()
        );
    }
}
