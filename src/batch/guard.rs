//! One part's panic must not end the batch: [`catch_part`] turns it into that row's error.
//!
//! The default panic hook would still print "thread ... panicked at ..." for it, in the middle
//! of the progress bar and the other rows' messages. [`QuietPanics`] replaces the hook while
//! a batch runs: on the batch's worker threads (named [`WORKER_PREFIX`]..., which also covers
//! work the split hands to another worker through rayon) and inside [`catch_part`] it only
//! notes where the panic happened, for the row's error; elsewhere it calls the previous hook.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Arc;

/// Name prefix of the batch's worker threads.
pub const WORKER_PREFIX: &str = "hybridplan-batch-";

thread_local! {
    static IN_PART: Cell<bool> = const { Cell::new(false) };
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While alive, panics on batch threads are silent (see the module doc).
pub struct QuietPanics {
    previous: Hook,
}

impl QuietPanics {
    pub fn install() -> Self {
        let previous: Hook = Arc::from(panic::take_hook());
        let fallback = previous.clone();
        panic::set_hook(Box::new(move |info| {
            let on_worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(WORKER_PREFIX));
            if IN_PART.get() || on_worker {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                LOCATION.set(at);
            } else {
                fallback(info);
            }
        }));
        QuietPanics { previous }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        let previous = self.previous.clone();
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Runs one part's evaluation; a panic in it becomes `Err("internal error: MESSAGE (at
/// FILE:LINE)")`.
pub fn catch_part<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let was = IN_PART.replace(true);
    LOCATION.set(None);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_PART.set(was);
    match result {
        Ok(r) => r,
        Err(payload) => {
            let at = LOCATION
                .take()
                .map(|l| format!(" (at {l})"))
                .unwrap_or_default();
            Err(format!(
                "internal error: {}{at}; please report it with the file",
                message(&*payload)
            ))
        }
    }
}

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
    .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_part_becomes_its_error() {
        let _quiet = QuietPanics::install();
        let r: Result<(), String> = catch_part(|| panic!("boom in part {}", 7));
        let e = r.unwrap_err();
        assert!(e.contains("boom in part 7"), "{e}");
        assert!(e.contains("guard.rs"), "{e}");
        assert_eq!(catch_part(|| Ok::<_, String>(3)), Ok(3));
        assert_eq!(
            catch_part(|| Err::<(), _>("bad".to_string())),
            Err("bad".into())
        );
    }
}
