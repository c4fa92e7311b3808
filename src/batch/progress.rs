//! Progress on standard error: a bar with parts done, rate and ETA when standard error is a
//! terminal (and not `--quiet`); plain lines for messages otherwise, so that a log file gets
//! the error lines without the bar's redraws.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// `total`: parts this run evaluates; `bar`: draw the bar at all.
    pub fn new(total: usize, bar: bool, quiet: bool) -> Self {
        let bar = (bar && !quiet).then(|| {
            let pb =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} parts  {rate}  ETA {eta}",
                )
                .expect("a valid template")
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} parts/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
            );
            pb.enable_steady_tick(Duration::from_millis(250));
            pb
        });
        Progress { bar, quiet }
    }

    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// A message line (an error row), above the bar; nothing with --quiet.
    pub fn line(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
