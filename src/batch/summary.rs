//! The end of a batch: counts, the slowest parts, and this run's pace; on standard error and in
//! `summary.json`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::store::{SUMMARY_JSON, StoredRow, Timing};
use crate::fsutil::{WriteError, write_atomic};

/// How many of the slowest parts the summary names.
pub const SLOWEST: usize = 5;

/// What this invocation did (absent for `merge`).
#[derive(Debug, Clone, Serialize)]
pub struct RunStats {
    /// Parts evaluated by this invocation (not those a resumed run found done).
    pub evaluated: usize,
    pub elapsed_s: f64,
    pub parts_per_s: f64,
    pub jobs: usize,
    /// Stopped by --fail-fast before the end.
    pub stopped_early: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Rows in the folder.
    pub parts: usize,
    pub ok: usize,
    pub errors: usize,
    /// Rows of the catalog (or shard) not done yet.
    pub missing: usize,
    /// How many parts each route suits best (is cheapest for at the row's volume).
    pub best_route: BTreeMap<String, usize>,
    pub slowest: Vec<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunStats>,
}

impl Summary {
    pub fn of_rows<'a>(
        rows: impl Iterator<Item = &'a StoredRow>,
        timings: &BTreeMap<usize, Timing>,
        run: Option<RunStats>,
    ) -> Summary {
        let (mut ok, mut errors) = (0, 0);
        let mut slowest: Vec<Timing> = Vec::new();
        let mut best_route: BTreeMap<String, usize> = BTreeMap::new();
        for r in rows {
            if r.ok {
                ok += 1;
                let best = serde_json::from_str::<serde_json::Value>(&r.json)
                    .ok()
                    .and_then(|v| v.get("best_route")?.as_str().map(str::to_string));
                if let Some(b) = best {
                    *best_route.entry(b).or_default() += 1;
                }
            } else {
                errors += 1;
            }
            // The file as the row has it: timings.csv holds it escaped for spreadsheets.
            if let Some(t) = timings.get(&r.index) {
                slowest.push(Timing {
                    file: r.file.clone(),
                    ..t.clone()
                });
            }
        }
        slowest.sort_by(|a, b| b.seconds.total_cmp(&a.seconds).then(a.index.cmp(&b.index)));
        slowest.truncate(SLOWEST);
        Summary {
            parts: ok + errors,
            ok,
            errors,
            missing: 0,
            best_route,
            slowest,
            run,
        }
    }

    pub fn write(&self, dir: &Path) -> Result<(), WriteError> {
        write_atomic(&dir.join(SUMMARY_JSON), |w| {
            serde_json::to_writer_pretty(&mut *w, self)?;
            writeln!(w)
        })
    }

    /// A few readable lines.
    pub fn text(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut s = format!(
            "{}: {} ok, {}",
            plural(self.parts, "part", "parts"),
            self.ok,
            plural(self.errors, "error", "errors")
        );
        if self.missing > 0 {
            s.push_str(&format!(", {} not done", self.missing));
        }
        if let Some(r) = &self.run {
            s.push_str(&format!(
                "; this run evaluated {} in {:.1} s ({:.2} parts/s, {} jobs){}",
                r.evaluated,
                r.elapsed_s,
                r.parts_per_s,
                r.jobs,
                if r.stopped_early {
                    ", stopped at the first error (--fail-fast)"
                } else {
                    ""
                }
            ));
        }
        if !self.best_route.is_empty() {
            s.push_str("\ncheapest route:");
            for (route, n) in &self.best_route {
                s.push_str(&format!(" {route} {n}"));
            }
        }
        if !self.slowest.is_empty() {
            s.push_str("\nslowest:");
            for t in &self.slowest {
                s.push_str(&format!(
                    "\n  {:>8.3} s  #{} {}",
                    t.seconds, t.index, t.file
                ));
            }
        }
        s
    }
}
