//! Atomic file output: every file hybridplan writes goes to a temporary file in the target
//! folder first and is renamed into place, so an interrupted run never leaves a half-written
//! file behind (the rename is atomic on POSIX file systems within one folder); and the files
//! of one part's run are moved into place as a set, with a manifest written last
//! ([`OutputSet`]).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An error while writing an output file, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Writes `path` atomically: `fill` writes into a buffered temporary file in the same folder,
/// which is flushed, synced and renamed over `path` only if `fill` succeeded. On any error the
/// temporary file is removed and `path` is left as it was.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<(), WriteError>
where
    F: FnOnce(&mut BufWriter<&mut std::fs::File>) -> io::Result<()>,
{
    let wrap = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        wrap(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        ))
    })?;
    let prefix = format!(".{}.", file_name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Temporary files are private (0600) by default; an output file is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(wrap)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        fill(&mut w).map_err(wrap)?;
        w.flush().map_err(wrap)?;
    }
    tmp.as_file().sync_all().map_err(wrap)?;
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    Ok(())
}

/// The files of one part's run, written as a set. Every file goes into a staging folder inside
/// the output folder (`.STEM.tmp-PID/`, with a marker file); [`OutputSet::commit`] then writes
/// the manifest `STEM.outputs.json` saying the run's files are being moved (`"complete":
/// false`), renames each file into place, and writes the manifest again with `"complete":
/// true`. A run killed or failing before the commit leaves the old files and the old manifest
/// untouched; one stopped during the commit leaves a manifest naming the new run as incomplete:
/// never new meshes beside an old report with a manifest saying they belong together. A staging
/// folder left by a killed run is removed when the next run of the same output folder begins.
pub struct OutputSet {
    dir: PathBuf,
    stem: String,
    staging: PathBuf,
    run_id: String,
    files: Vec<PathBuf>,
    committed: bool,
}

/// The manifest of the outputs of the part `stem` in `dir`: `DIR/STEM.outputs.json`.
pub fn manifest_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.outputs.json"))
}

/// The marker inside a staging folder: only folders holding it are ever removed as stale.
const STAGING_MARKER: &str = ".hybridplan-staging";

/// A staging folder's name for `stem`: `.STEM.tmp-PID`.
fn staging_name(stem: &str, pid: u32) -> String {
    format!(".{stem}.tmp-{pid}")
}

/// The process id in a staging folder's name (`.ANY.tmp-DIGITS`), if it is one.
fn staging_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, pid) = rest.rsplit_once(".tmp-")?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Is process `pid` running? Where /proc is missing, every other process counts as running
/// (nothing is removed that might be in use).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return pid != std::process::id();
    }
    proc.join(pid.to_string()).exists()
}

impl OutputSet {
    /// Starts a set for `stem` in `dir` (created if missing), removing the staging folders of
    /// killed runs there first: a folder named `.ANY.tmp-PID` that holds the staging marker,
    /// whose process is no longer running.
    pub fn begin(dir: &Path, stem: &str) -> Result<Self, WriteError> {
        let wrap = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WriteError { path, source }
        };
        std::fs::create_dir_all(dir).map_err(wrap(dir))?;
        remove_stale_staging(dir);
        let pid = std::process::id();
        let staging = dir.join(staging_name(stem, pid));
        // Our own leftover (a part of the same name failed earlier in this run): start afresh.
        if staging.join(STAGING_MARKER).is_file() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        std::fs::create_dir(&staging).map_err(wrap(&staging))?;
        std::fs::write(staging.join(STAGING_MARKER), b"").map_err(wrap(&staging))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
            staging,
            run_id: format!("{nanos:x}-{pid}"),
            files: Vec::new(),
            committed: false,
        })
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run's id, as the manifest gives it.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The manifest's path: `DIR/STEM.outputs.json`.
    pub fn manifest(&self) -> PathBuf {
        manifest_path(&self.dir, &self.stem)
    }

    /// Where to write the file that ends up at `target` (a path in the output folder): its
    /// place in the staging folder. The file joins the set.
    pub fn stage(&mut self, target: &Path) -> PathBuf {
        let name = target.file_name().unwrap_or(target.as_os_str());
        if !self.files.iter().any(|f| f.file_name() == Some(name)) {
            self.files.push(self.dir.join(name));
        }
        self.staging.join(name)
    }

    fn manifest_json(&self, complete: bool) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .filter_map(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        serde_json::json!({
            "run_id": self.run_id,
            "complete": complete,
            "files": files,
        })
        .to_string()
    }

    /// Moves every staged file into place and writes the manifest (see [`OutputSet`]).
    /// Returns the manifest's path.
    pub fn commit(mut self) -> Result<PathBuf, WriteError> {
        let manifest = self.manifest();
        // Written in the staging folder and renamed into place, so that a run killed while
        // writing it leaves its temporary file in the staging folder, which is removed.
        let write_manifest = |set: &OutputSet, complete: bool| {
            let staged = set.staging.join(manifest.file_name().unwrap_or_default());
            write_atomic(&staged, |w| {
                w.write_all(set.manifest_json(complete).as_bytes())?;
                w.write_all(b"\n")
            })?;
            std::fs::rename(&staged, &manifest).map_err(|source| WriteError {
                path: manifest.clone(),
                source,
            })
        };
        // Temporary files of [`write_atomic`] that runs killed before sets existed left
        // beside these outputs (`.NAME.XXXXXX.tmp`).
        let names: Vec<String> = self
            .files
            .iter()
            .chain(std::iter::once(&manifest))
            .filter_map(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        remove_stale_temporaries(&self.dir, &names);
        // Every staged file must be there before anything moves.
        for f in &self.files {
            let staged = self.staging.join(f.file_name().unwrap_or_default());
            std::fs::metadata(&staged).map_err(|source| WriteError {
                path: staged.clone(),
                source,
            })?;
        }
        write_manifest(&self, false)?;
        for f in &self.files {
            let staged = self.staging.join(f.file_name().unwrap_or_default());
            std::fs::rename(&staged, f).map_err(|source| WriteError {
                path: f.clone(),
                source,
            })?;
        }
        // The renames reach the disk before the manifest says they are complete.
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        write_manifest(&self, true)?;
        self.committed = true;
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(manifest)
    }
}

impl Drop for OutputSet {
    /// A set dropped without its commit (an error on the way) leaves nothing staged behind.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Removes the temporary files [`write_atomic`] names after `names` in `dir`
/// (`.NAME.XXXXXX.tmp`, six random characters): the leftovers of killed writes.
fn remove_stale_temporaries(dir: &Path, names: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        let ours = names.iter().any(|name| {
            n.strip_prefix('.')
                .and_then(|r| r.strip_prefix(name.as_str()))
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.strip_suffix(".tmp"))
                .is_some_and(|mid| mid.len() == 6 && mid.bytes().all(|b| b.is_ascii_alphanumeric()))
        });
        if ours && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Removes the staging folders in `dir` of runs that are no longer running (see
/// [`OutputSet::begin`]); what cannot be read or removed is left alone.
fn remove_stale_staging(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(staging_pid) else {
            continue;
        };
        let path = e.path();
        // Not followed through a symbolic link; only our own folders, by their marker.
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if is_dir && path.join(STAGING_MARKER).is_file() && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_give_their_pid_and_nothing_else_does() {
        assert_eq!(staging_pid(&staging_name("part.v2", 4711)), Some(4711));
        for other in [
            ".part.tmp-",
            ".part.tmp-12a",
            "part.tmp-12",
            ".part.stl.x.tmp",
            ".x",
        ] {
            assert_eq!(staging_pid(other), None, "{other}");
        }
    }

    #[test]
    fn a_set_moves_into_place_with_a_complete_manifest_and_a_failed_one_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        // An old, complete run.
        // A killed write's leftover beside an output, and a file that only looks alike.
        std::fs::write(out.join(".p.a.stl.Ab12Cd.tmp"), b"half").unwrap();
        std::fs::write(out.join(".p.a.stl.notes.tmp"), b"mine").unwrap();
        let mut old = OutputSet::begin(out, "p").unwrap();
        for name in ["p.a.stl", "p.report.json"] {
            let target = out.join(name);
            write_atomic(&old.stage(&target), |w| w.write_all(b"old")).unwrap();
        }
        let old_id = old.run_id().to_string();
        let manifest = old.commit().unwrap();
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        assert_eq!(m["complete"], true);
        assert_eq!(m["run_id"], old_id.as_str());
        assert_eq!(m["files"], serde_json::json!(["p.a.stl", "p.report.json"]));
        // The two files, the manifest and the look-alike: the staging folder and the
        // leftover are gone.
        assert!(!out.join(".p.a.stl.Ab12Cd.tmp").exists());
        std::fs::remove_file(out.join(".p.a.stl.notes.tmp")).unwrap();
        assert_eq!(std::fs::read_dir(out).unwrap().count(), 3);
        // A new run whose second file cannot be moved into place (a folder is in its way):
        // the first file is new, the second old, and the manifest names the new run as
        // incomplete.
        std::fs::remove_file(out.join("p.report.json")).unwrap();
        std::fs::create_dir(out.join("p.report.json")).unwrap();
        std::fs::write(out.join("p.report.json/keep"), b"").unwrap();
        let mut new = OutputSet::begin(out, "p").unwrap();
        for name in ["p.a.stl", "p.report.json"] {
            let target = out.join(name);
            write_atomic(&new.stage(&target), |w| w.write_all(b"new")).unwrap();
        }
        let new_id = new.run_id().to_string();
        let err = new.commit().unwrap_err();
        assert!(err.to_string().contains("p.report.json"), "{err}");
        assert_eq!(std::fs::read(out.join("p.a.stl")).unwrap(), b"new");
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        assert_eq!(m["complete"], false);
        assert_eq!(m["run_id"], new_id.as_str());
        assert_ne!(new_id, old_id);
        // The failed run's staging folder is removed with it.
        let staging: Vec<_> = std::fs::read_dir(out)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(staging.is_empty());
    }

    #[test]
    fn stale_staging_folders_of_dead_runs_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        // A killed run's folder (pid 4,000,000,000 runs nowhere: Linux pids stop at 2²²).
        let stale = out.join(staging_name("p", 4_000_000_000));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join(STAGING_MARKER), b"").unwrap();
        std::fs::write(stale.join("p.a.stl"), b"half").unwrap();
        // Same pattern, no marker: not ours, kept. A running process's folder: kept.
        let foreign = out.join(staging_name("q", 4_000_000_000));
        std::fs::create_dir(&foreign).unwrap();
        let live = out.join(staging_name("r", 1));
        std::fs::create_dir(&live).unwrap();
        std::fs::write(live.join(STAGING_MARKER), b"").unwrap();
        let set = OutputSet::begin(out, "p").unwrap();
        assert!(!stale.exists());
        assert!(foreign.exists());
        assert_eq!(live.exists(), process_alive(1));
        drop(set);
    }

    #[test]
    fn failed_write_leaves_no_file_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        write_atomic(&target, |w| w.write_all(b"first")).unwrap();
        let err = write_atomic(&target, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("interrupted"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("out.txt"), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }
}
