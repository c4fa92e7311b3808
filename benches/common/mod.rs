//! Helpers shared by the bench binaries (each includes this file as a module).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// splitmix64: a tiny, well-known seeded generator, enough to place parts reproducibly.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The release binary: `HYBRIDPLAN_BIN`, or the one cargo built beside this bench, or why
/// there is none.
pub fn find_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("HYBRIDPLAN_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("HYBRIDPLAN_BIN={} is not a file", p.display()))
        };
    }
    let exe = format!("hybridplan{}", std::env::consts::EXE_SUFFIX);
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates = vec![manifest_dir.join("target").join("release").join(&exe)];
    // CARGO_TARGET_TMPDIR is TARGET/tmp: this also finds the binary with CARGO_TARGET_DIR set.
    if let Some(target) = Path::new(env!("CARGO_TARGET_TMPDIR")).parent() {
        let p = target.join("release").join(&exe);
        if !candidates.contains(&p) {
            candidates.push(p);
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "no hybridplan binary at {}; build it first with `cargo build --release` \
             (or point HYBRIDPLAN_BIN at one)",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
}
