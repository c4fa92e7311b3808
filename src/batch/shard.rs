//! Sharding a catalog over machines (`batch --shard K/N`) and joining the shards' folders
//! (`merge`).
//!
//! Shard K of N holds the rows whose catalog index i has i % N == K: interleaved rather than
//! in blocks, so that slow parts, which tend to sit together in a catalog (one customer's,
//! one product family's), spread over the shards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::store::{self, RunRecord, StoredRow};
use super::summary::Summary;

// The shard itself lives below both this file and the store, which records it in a run:
// each of the two used to import the other.
pub use super::shard_spec::Shard;

/// Why shard folders could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The inputs do not make one complete result (the message says what is missing or
    /// different).
    #[error("{0}")]
    Inputs(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Lock(#[from] super::lock::LockError),
}

/// Joins the batch folders `dirs` (the shards of one catalog, run with the same options) into
/// `out`: the rows of all in catalog order, byte for byte as the shards wrote them, with the
/// timings and a summary. Every shard must be there once and complete.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Summary, MergeError> {
    let (shards, first_record) = read_shards(dirs, out)?;
    let count = first_record.shard.map_or(1, |s| s.count);
    check_all_shards(&shards, count)?;
    let (rows, timings) = gather_rows(&shards, count, first_record.entries)?;
    write_merged(out, first_record, &rows, &timings)
}

/// The shard folders by shard index, each with its run record.
type ShardFolders = BTreeMap<usize, (PathBuf, RunRecord)>;

/// The shard folders by shard index, each with its run record, and the first folder's
/// record. Refused: `out` among the inputs, a folder that is not a batch's, folders of
/// different runs or different --shard splits, a shard given twice, no folders.
fn read_shards(dirs: &[PathBuf], out: &Path) -> Result<(ShardFolders, RunRecord), MergeError> {
    let inputs = |m: String| MergeError::Inputs(m);
    let mut shards: ShardFolders = BTreeMap::new();
    let mut first: Option<(PathBuf, RunRecord)> = None;
    let out_real = std::fs::canonicalize(out).ok();
    for dir in dirs {
        if out_real.is_some() && std::fs::canonicalize(dir).ok() == out_real {
            return Err(inputs(format!(
                "{} is both an input and --out; merge into a new folder",
                dir.display()
            )));
        }
        let record = store::RunRecord::read(dir)?.ok_or_else(|| {
            inputs(format!(
                "{}: no {} here: not the output folder of `hybridplan batch`",
                dir.display(),
                store::RECORD_JSON
            ))
        })?;
        if let Some((first_dir, first_record)) = &first {
            same_run(first_dir, first_record, dir, &record)?;
        } else {
            first = Some((dir.clone(), record.clone()));
        }
        let shard = record.shard.unwrap_or(Shard { index: 0, count: 1 });
        if let Some((other, _)) = shards.get(&shard.index) {
            return Err(inputs(format!(
                "shard {shard} is given twice: {} and {}",
                other.display(),
                dir.display()
            )));
        }
        shards.insert(shard.index, (dir.clone(), record));
    }
    let Some((_, first_record)) = first else {
        return Err(inputs("no folders to merge".into()));
    };
    Ok((shards, first_record))
}

/// Whether `dir`'s run is the first folder's: the same options, and shards of the same
/// --shard K/N split.
fn same_run(
    first_dir: &Path,
    first_record: &RunRecord,
    dir: &Path,
    record: &RunRecord,
) -> Result<(), MergeError> {
    let inputs = |m: String| MergeError::Inputs(m);
    if let Some(why) = first_record.mismatch(record) {
        return Err(inputs(format!(
            "{} and {} are not shards of one run: {} has {why}",
            first_dir.display(),
            dir.display(),
            dir.display()
        )));
    }
    if first_record.shard.map(|s| s.count) != record.shard.map(|s| s.count) {
        let show = |s: Option<Shard>| s.map_or("unsharded".into(), |s| format!("of {}", s.count));
        return Err(inputs(format!(
            "{} holds a shard {} but {} a shard {}: all must come from one --shard K/N split",
            first_dir.display(),
            show(first_record.shard),
            dir.display(),
            show(record.shard)
        )));
    }
    Ok(())
}

/// Refuses a merge that lacks any of the `count` shards, naming them and the ones it has.
fn check_all_shards(shards: &ShardFolders, count: usize) -> Result<(), MergeError> {
    let missing: Vec<String> = (0..count)
        .filter(|k| !shards.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Inputs(format!(
            "missing shard{} {} of {count} (have {})",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            shards
                .keys()
                .map(|k| format!("{k}/{count}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// Every row's timing, by catalog index.
type Timings = BTreeMap<usize, store::Timing>;

/// Every shard's rows (of the catalog's `entries`) and timings; a shard lacking any of its
/// rows is refused, with the command that finishes it.
fn gather_rows(
    shards: &ShardFolders,
    count: usize,
    entries: usize,
) -> Result<(BTreeMap<usize, StoredRow>, Timings), MergeError> {
    let mut rows: BTreeMap<usize, StoredRow> = BTreeMap::new();
    let mut timings = BTreeMap::new();
    for (k, (dir, _)) in shards {
        let shard = Shard { index: *k, count };
        let mut have = store::read_rows(dir)?;
        let lacking: Vec<usize> = shard
            .rows(entries)
            .filter(|i| !have.contains_key(i))
            .collect();
        if !lacking.is_empty() {
            let shown: Vec<String> = lacking.iter().take(10).map(|i| i.to_string()).collect();
            let more = if lacking.len() > 10 { ", ..." } else { "" };
            return Err(MergeError::Inputs(format!(
                "shard {shard} in {} is incomplete: {} of {} rows missing (catalog index {}{more}); \
                 finish it with `hybridplan batch CATALOG --shard {shard} --out {} --resume`",
                dir.display(),
                lacking.len(),
                shard.rows(entries).count(),
                shown.join(", "),
                dir.display()
            )));
        }
        have.retain(|i, _| shard.holds(*i) && *i < entries);
        timings.extend(store::read_timings(dir));
        rows.extend(have);
    }
    Ok((rows, timings))
}

/// Writes the merged run into `out` (locked while it writes): the run record (unsharded),
/// the rows and timings, the summary and the report. Refused when `out` holds another
/// batch's results.
fn write_merged(
    out: &Path,
    first_record: RunRecord,
    rows: &BTreeMap<usize, StoredRow>,
    timings: &Timings,
) -> Result<Summary, MergeError> {
    std::fs::create_dir_all(out).map_err(|source| store::StoreError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    // Another merge or a batch writing into `out` at the same time would mix their files.
    let _lock = super::lock::lock_folder(out)?;
    if let Some(existing) = store::RunRecord::read(out)?
        && existing.mismatch(&first_record).is_some()
    {
        return Err(MergeError::Inputs(format!(
            "{} already holds the results of another batch; merge into a new folder",
            out.display()
        )));
    }
    let record = RunRecord {
        shard: None,
        ..first_record
    };
    record.write(out).map_err(store::StoreError::from)?;
    store::rewrite(out, rows.values(), timings).map_err(store::StoreError::from)?;
    let summary = Summary::of_rows(rows.values(), timings, None);
    summary.write(out).map_err(store::StoreError::from)?;
    super::report::write_report(out, rows, timings, &summary).map_err(store::StoreError::from)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!(s.rows(8).collect::<Vec<_>>(), vec![1, 4, 7]);
        assert!(s.holds(4) && !s.holds(5));
        assert_eq!(s.to_string(), "1/3");
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
