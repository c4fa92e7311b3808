//! docs/batch.md's GNU parallel recipe, run: a catalog evaluated as 4 shards by `parallel`,
//! merged, equals the unsharded run byte for byte. GNU parallel is installed by
//! `scripts/setup` (which the README's test command, `scripts/test`, runs first).

use std::path::Path;
use std::process::Command;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_hybridplan")
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

#[test]
fn four_shards_through_gnu_parallel_merge_to_the_unsharded_run() {
    let version = Command::new("parallel").arg("--version").output();
    let is_gnu = version
        .as_ref()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("GNU parallel"))
        .unwrap_or(false);
    assert!(
        is_gnu,
        "GNU parallel is not installed (or another `parallel` is first on PATH): run scripts/setup"
    );
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("catalog");
    std::fs::create_dir(&cat).unwrap();
    // Every bundled sample, twice (a second copy under another name), and one broken file:
    // 17 rows, so the 4 shards get 5, 4, 4 and 4.
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut parts = 0;
    for e in std::fs::read_dir(&samples).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "stl") {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            std::fs::copy(&p, cat.join(&name)).unwrap();
            std::fs::copy(&p, cat.join(format!("copy_{name}"))).unwrap();
            parts += 2;
        }
    }
    std::fs::write(cat.join("truncated.stl"), [0u8; 90]).unwrap();
    parts += 1;
    assert_eq!(parts, 17);

    let whole = dir.path().join("whole");
    let o = Command::new(exe())
        .args([
            "batch",
            cat.to_str().unwrap(),
            "--out",
            whole.to_str().unwrap(),
        ])
        .args(["--jobs", "2", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // The recipe of docs/batch.md, with N = 4 and 2 jobs at a time.
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let o = Command::new("parallel")
        .args(["--will-cite", "-j", "2", "--halt", "now,fail=1"])
        .arg("--joblog")
        .arg(run.join("joblog"))
        .arg(exe())
        .args(["batch", cat.to_str().unwrap(), "--shard", "{}/4", "--out"])
        .arg(format!("{}/shard-{{}}", run.display()))
        .args([
            "--jobs", "1", "--resume", "--quiet", ":::", "0", "1", "2", "3",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let joblog = String::from_utf8(read(&run, "joblog")).unwrap();
    assert_eq!(
        joblog.lines().count(),
        5,
        "a header and one line per shard:\n{joblog}"
    );

    let all = run.join("all");
    let mut merge = Command::new(exe());
    merge.arg("merge");
    for k in 0..4 {
        merge.arg(run.join(format!("shard-{k}")));
    }
    let o = merge.arg("--out").arg(&all).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    for name in ["results.csv", "results.jsonl"] {
        let (a, b) = (read(&whole, name), read(&all, name));
        assert!(
            a == b,
            "{name}: the merged shards differ from the unsharded run"
        );
    }
    let csv = String::from_utf8(read(&all, "results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + parts, "{csv}");
    assert_eq!(
        csv.lines()
            .filter(|l| l.split(',').nth(2) == Some("error"))
            .count(),
        1,
        "{csv}"
    );
}
