//! A binary STL whose header count matches its length, but whose length is a hole: a sparse
//! file of 200 GB apparent size on a few KB of disk. The reader used to reserve memory for
//! the whole count (a 214 GB file asked for 154 GB and aborted); it must now refuse the file
//! within 1 s and well under 50 MB.
//!
//! This file holds one test on purpose: the peak memory is read from this process's own
//! `VmHWM`, which another test running beside it would raise.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// 4 000 000 000 triangles: 84 + 50 * 4e9 = 200 000 000 084 bytes, the binary size rule holds.
const COUNT: u32 = 4_000_000_000;

/// A sparse file of `COUNT` triangles whose first `real` records are real (a triangle of 1 mm
/// sides, shifted by 1 mm each) and the rest a hole.
fn make_sparse(path: &Path, real: u32) {
    let file = std::fs::File::create(path).unwrap();
    let mut bytes = vec![b' '; 84];
    bytes[80..].copy_from_slice(&COUNT.to_le_bytes());
    for k in 0..real {
        let x = k as f32;
        let corners = [
            0.0f32,
            0.0,
            1.0,
            x,
            0.0,
            0.0,
            x + 1.0,
            0.0,
            0.0,
            x,
            1.0,
            0.0,
        ];
        for v in corners {
            bytes.extend(v.to_le_bytes());
        }
        bytes.extend([0u8; 2]);
    }
    std::io::Write::write_all(&mut &file, &bytes).unwrap();
    file.set_len(84 + 50 * COUNT as u64)
        .expect("this file system makes sparse files");
}

/// Peak resident memory of this process so far (kB), where /proc tells it.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_sparse_200_gb_file_is_refused_within_a_second_and_50_mb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.stl");
    make_sparse(&path, 0);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 200_000_000_084);
    let expected = "sparse.stl: triangles 0 to 3999 are all zero bytes, not mesh data";
    // The same with one block of 160,000 real records (8 MB) before the hole: they are read
    // (5.8 MB of triangles), then the hole is refused where it starts.
    let half = dir.path().join("half_sparse.stl");
    make_sparse(&half, 160_000);

    // The library, in this process, so that its memory can be measured.
    let half_words = "half_sparse.stl: triangles 160000 to 163999 are all zero bytes";
    for (path, words) in [(&path, expected), (&half, half_words)] {
        let started = Instant::now();
        let e = hybridplan::mesh::stl::read_stl(path)
            .err()
            .unwrap()
            .to_string();
        let took = started.elapsed();
        assert!(e.contains(words), "{e}");
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    if let Some(kb) = peak_rss_kb() {
        // The 1 MB read buffer, one 8 MB block, 5.8 MB of triangles, the 8 MB the test wrote
        // from, the test harness: about 30 MB.
        eprintln!("peak resident memory {kb} kB");
        assert!(kb < 50 * 1024, "peak {kb} kB");
    }

    // The real command: the same error on standard error, exit 1, within a second.
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_hybridplan"))
        .arg("inspect")
        .arg(&path)
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}
