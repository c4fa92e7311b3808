//! The HTML reports of `plan`, `batch` and `family` rendered in headless Chromium (installed by
//! scripts/setup): each page is self-contained (nothing to fetch, no script), its DOM has
//! the part's name, the three routes and the chart, and its screenshot is not blank. Without
//! Chromium the tests fail, saying to run scripts/setup: CI runs it first.

mod common;
#[path = "../benches/common/family_member.rs"]
mod family_member;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{run, sample};

/// The browser, or a failure that says how to get it.
fn chromium() -> &'static str {
    let found = Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "chromium is not installed: run scripts/setup (it installs Debian's chromium with apt-get)"
    );
    "chromium"
}

/// Runs headless Chromium on `page` with `args` (its profile in `dir`), at most two minutes;
/// its standard output.
fn headless(page: &Path, dir: &Path, args: &[&str]) -> String {
    let profile = dir.join("chromium-profile");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let started = Instant::now();
    loop {
        match child.try_wait().expect("chromium runs") {
            Some(status) => {
                assert!(
                    status.success(),
                    "chromium failed on {}: {status}",
                    page.display()
                );
                break;
            }
            None if started.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish on {} in 120 s", page.display());
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    reader.join().unwrap_or_default()
}

/// The page's DOM as Chromium builds it.
fn dom(page: &Path, dir: &Path) -> String {
    headless(page, dir, &["--dump-dom"])
}

/// The fraction of a 1280 × 2000 screenshot of the page that is not white.
fn inked_fraction(page: &Path, dir: &Path) -> f64 {
    let png = dir.join("screenshot.png");
    headless(
        page,
        dir,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
    );
    let bytes = std::fs::read(&png).expect("the screenshot is written");
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&bytes).expect("a PNG");
    let inked = pixmap
        .pixels()
        .iter()
        .filter(|c| u16::from(c.red()) + u16::from(c.green()) + u16::from(c.blue()) < 3 * 235)
        .count();
    inked as f64 / pixmap.pixels().len() as f64
}

/// The page names nothing to fetch and runs nothing.
fn assert_self_contained(html: &str) {
    for needle in [
        "http://", "https://", "<script", "<link", " src=", "url(", "@import", "<iframe",
    ] {
        assert!(
            !html.contains(needle),
            "the page holds {needle:?}: not self-contained"
        );
    }
}

fn assert_routes_and_chart(dom: &str, chart_title: &str) {
    for route in ["AM (printed)", "IM (molded)", "Hybrid"] {
        assert!(dom.contains(route), "{route} missing");
    }
    let svg = dom.find("<svg").expect("an inline SVG");
    assert!(dom[svg..].contains(chart_title), "no chart {chart_title:?}");
}

#[test]
fn plan_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "plan",
        &sample("ribbed_plate.stl"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let page = out.join("ribbed_plate.report.html");
    let html = std::fs::read_to_string(&page).expect("plan writes STEM.report.html");
    assert_self_contained(&html);
    assert!(html.len() < 2 << 20, "{} bytes", html.len());
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("ribbed_plate.report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["outputs"]["report_html"], page.display().to_string());
    let dom = dom(&page, dir.path());
    assert!(dom.contains("<h1>ribbed_plate</h1>"), "no part name");
    assert_routes_and_chart(&dom, "Cost per part vs annual volume: ribbed_plate");
    assert!(
        dom.contains("Cost per part vs personalised variants: ribbed_plate"),
        "no variants chart"
    );
    // The part's two views and the pores' caption.
    assert!(dom.contains("ribbed_plate along the pull") && dom.contains("ribbed_plate, isometric"));
    assert!(dom.contains("325 darker spots"), "the pores are not named");
    // A blank page has no ink; text, tables and pictures give a few percent.
    let inked = inked_fraction(&page, dir.path());
    assert!(
        inked > 0.01,
        "the screenshot is blank: {inked:.4} of it inked"
    );
}

/// A catalog of three samples, an empty file and a part whose name needs escaping.
fn catalog(dir: &Path) -> (PathBuf, &'static str) {
    let cat = dir.join("catalog");
    std::fs::create_dir_all(&cat).unwrap();
    for name in ["ribbed_plate.stl", "block.stl", "heat_sink.stl"] {
        std::fs::copy(sample(name), cat.join(name)).unwrap();
    }
    let odd = "плита <b>&\"1\".stl";
    std::fs::copy(sample("grid_plate.stl"), cat.join(odd)).unwrap();
    std::fs::write(cat.join("empty.stl"), b"").unwrap();
    (cat, odd)
}

#[test]
fn batch_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, odd) = catalog(dir.path());
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "batch",
        cat.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "2",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).expect("batch writes report.html");
    assert_self_contained(&html);
    assert!(!html.contains(odd), "a file name is not escaped");
    let dom = dom(&page, dir.path());
    assert!(dom.contains("Catalog report"));
    for part in [
        "ribbed_plate.stl",
        "block.stl",
        "heat_sink.stl",
        "плита &lt;b&gt;&amp;",
    ] {
        assert!(dom.contains(part), "{part} missing");
    }
    assert_routes_and_chart(&dom, "Cost per part of each route, per part");
    assert!(
        dom.contains("empty.stl") && dom.contains("file is empty"),
        "the error's reason"
    );
    assert!(dom.contains("Slowest parts"));
    // A blank page has no ink; text, tables and pictures give a few percent.
    let inked = inked_fraction(&page, dir.path());
    assert!(
        inked > 0.01,
        "the screenshot is blank: {inked:.4} of it inked"
    );
}

/// A family of four: one rib design on an 80 x 50 mm plate (m0), the same turned and moved
/// (m1), its middle rib 0.4 mm taller (m2: a mold of its own) and on a larger plate (m3).
fn family(dir: &Path) -> PathBuf {
    use family_member::plate_with_ribs;
    use hybridplan::samples::rect;
    use nalgebra::{Isometry3, Translation3, UnitQuaternion};
    let fam = dir.join("brackets");
    std::fs::create_dir_all(&fam).unwrap();
    let member = |plate_x: f64, taller: bool| {
        plate_with_ribs(
            vec![rect(0.0, 0.0, plate_x, 50.0)],
            vec![
                rect(10.0, 10.0, 70.0, 12.0),
                rect(10.0, 24.0, 70.0, 26.0),
                rect(10.0, 38.0, 70.0, 40.0),
            ],
            13.0,
            taller.then(|| (rect(10.0, 24.0, 70.0, 26.0), 13.4)),
        )
    };
    let moved = Isometry3::from_parts(
        Translation3::new(40.0, -25.0, 12.0),
        UnitQuaternion::from_euler_angles(0.3, -0.2, 1.1),
    );
    for (name, mut m, at) in [
        ("m0.stl", member(80.0, false), Isometry3::identity()),
        ("m1.stl", member(80.0, false), moved),
        ("m2.stl", member(80.0, true), Isometry3::identity()),
        ("m3.stl", member(95.0, false), Isometry3::identity()),
    ] {
        m.map_vertices(|p| at * p);
        hybridplan::mesh::stl::write_binary(&fam.join(name), &m, name).unwrap();
    }
    fam
}

#[test]
fn family_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let fam = family(dir.path());
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "family",
        fam.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let page = out.join("family.report.html");
    let html = std::fs::read_to_string(&page).expect("family writes family.report.html");
    assert_self_contained(&html);
    let dom = dom(&page, dir.path());
    assert!(dom.contains("<h1>Family brackets</h1>"), "no family name");
    for member in ["m0.stl", "m1.stl", "m2.stl", "m3.stl"] {
        assert!(dom.contains(member), "{member} missing");
    }
    assert_routes_and_chart(&dom, "Cost per part vs annual volume: family");
    for section in [
        "Rib molds",
        "How members differ",
        "Plate checks",
        "Break-evens",
    ] {
        assert!(dom.contains(section), "no {section:?}");
    }
    // The taller rib is named where it differs, with its mold; the three others share mold 0.
    let differs = &dom[dom.find("How members differ").unwrap()..];
    let item = &differs[differs.find("<b>m2.stl</b>").expect("m2 is listed")..];
    let item = &item[..item.find("</li>").unwrap()];
    assert!(
        item.contains("a height change of 0.400 mm") && item.contains("in mold 1"),
        "{item}"
    );
    assert!(!differs[..differs.find("</section>").unwrap()].contains("<b>m1.stl</b>"));
    assert!(
        dom.contains("4 of 4 plates carry their mold"),
        "the plate checks"
    );
    let inked = inked_fraction(&page, dir.path());
    assert!(
        inked > 0.01,
        "the screenshot is blank: {inked:.4} of it inked"
    );
}
