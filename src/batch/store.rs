//! The files of a batch folder, and how rows are appended, read back and put in order.
//!
//! ```text
//! batch.json     the run record: catalog fingerprint, options, columns, shard
//! results.csv    header + one line per row
//! results.jsonl  one JSON object per line per row
//! timings.csv    index,file,seconds per row (kept out of the results, so that two runs'
//!                results are equal byte for byte)
//! summary.json   counts and the slowest parts, written at the end
//! ```
//!
//! Every row is one line in each file, appended with one `write` call, so a run killed at any
//! moment leaves whole lines and at most one torn last line. Reading back keeps the rows that
//! are whole in both result files (a kill can fall between the two appends) and skips the rest,
//! and a resumed run first rewrites the files with exactly those rows. Rows are kept as the
//! text first written, never re-formatted, so a resumed or merged result is byte-identical to
//! an uninterrupted one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evaluate::{COLUMNS, Figures};
use super::shard_spec::Shard;
use crate::fsutil::{WriteError, write_atomic};

pub const RECORD_JSON: &str = "batch.json";
pub const RESULTS_CSV: &str = "results.csv";
pub const RESULTS_JSONL: &str = "results.jsonl";
pub const TIMINGS_CSV: &str = "timings.csv";
pub const SUMMARY_JSON: &str = "summary.json";

/// The columns every row starts with, before [`COLUMNS`].
pub const ROW_COLUMNS: &[&str] = &["index", "file", "status", "error"];

/// What a batch folder holds results of. Two folders' rows belong together (resume, merge)
/// only if their records agree on everything but `shard`, `catalog` and `hybridplan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The version that started the run (informative).
    pub hybridplan: String,
    /// The catalog as given (informative: shards may see it under different paths).
    pub catalog: String,
    /// See [`super::Catalog::fingerprint`].
    pub catalog_fingerprint: String,
    /// Entries in the whole catalog (all shards).
    pub entries: usize,
    /// The settings that change figures, as JSON (see [`super::options`]).
    pub options: BTreeMap<String, Value>,
    pub columns: Vec<String>,
    pub shard: Option<Shard>,
}

impl RunRecord {
    /// Why `other`'s rows do not belong with this record's, if they do not.
    pub fn mismatch(&self, other: &RunRecord) -> Option<String> {
        if self.catalog_fingerprint != other.catalog_fingerprint || self.entries != other.entries {
            return Some(format!(
                "another catalog ({} entries, fingerprint {} vs {} entries, fingerprint {})",
                other.entries, other.catalog_fingerprint, self.entries, self.catalog_fingerprint
            ));
        }
        if self.columns != other.columns {
            return Some("other result columns (made by another hybridplan version)".into());
        }
        let mut differ = Vec::new();
        let (mine, theirs) = (
            Value::Object(self.options.clone().into_iter().collect()),
            Value::Object(other.options.clone().into_iter().collect()),
        );
        differences("", &theirs, &mine, &mut differ);
        if !differ.is_empty() {
            return Some(format!("other options: {}", differ.join(", ")));
        }
        None
    }

    pub fn read(dir: &Path) -> Result<Option<RunRecord>, StoreError> {
        let path = dir.join(RECORD_JSON);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        path,
                        problem: e.to_string(),
                    })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    pub fn write(&self, dir: &Path) -> Result<(), WriteError> {
        write_atomic(&dir.join(RECORD_JSON), |w| {
            serde_json::to_writer_pretty(&mut *w, self)?;
            writeln!(w)
        })
    }
}

/// The options that differ between `a` and `b`, each as `path a vs b` down to the value
/// (`estimate.annual_volume 1000 vs 2000`, not two whole objects).
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => differences(&sub, va, vb, out),
                    (va, vb) => {
                        let show = |v: Option<&Value>| v.map_or("(none)".into(), Value::to_string);
                        out.push(format!("{sub} {} vs {}", show(va), show(vb)));
                    }
                }
            }
        }
        _ if a != b => out.push(format!("{path} {a} vs {b}")),
        _ => {}
    }
}

/// Why a batch folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: {problem}", path.display())]
    Corrupt { path: PathBuf, problem: String },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// One part's result.
#[derive(Debug, Clone)]
pub struct Row {
    pub index: usize,
    pub file: String,
    pub outcome: Result<Figures, String>,
}

/// Newlines would break the one-line-per-row rule; no file name or reason needs one.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A figure as CSV text: numbers as JSON writes them (shortest round-trip form), text as
/// [`text_field`], null as an empty cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => text_field(s),
        Value::Number(n) => number_field(n),
        other => plain_field(&other.to_string()),
    }
}

/// Significant digits of a non-integer figure in `results.csv`: six are past every model's
/// accuracy and show each figure's own digits; `results.jsonl` keeps full precision.
const CSV_SIGNIFICANT_DIGITS: i32 = 6;

/// A number for `results.csv`: whole numbers without a fraction (`5000.0` → `5000`), others
/// rounded to [`CSV_SIGNIFICANT_DIGITS`] with trailing zeros dropped
/// (`3.0000000000000004` → `3`, `8.403732299804688` → `8.40373`); beyond 1e15 or below 1e-4
/// in scientific notation (`1.23457e-5`), which every spreadsheet reads.
fn number_field(n: &serde_json::Number) -> String {
    let Some(v) = n.as_f64().filter(|_| n.is_f64()) else {
        return n.to_string();
    };
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..15).contains(&magnitude) {
        let s = format!("{v:.*e}", (CSV_SIGNIFICANT_DIGITS - 1) as usize);
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{exponent}", trim(mantissa.to_string()));
    }
    let decimals = (CSV_SIGNIFICANT_DIGITS - 1 - magnitude).max(0) as usize;
    let s = trim(format!("{v:.decimals$}"));
    if s == "-0" { "0".into() } else { s }
}

/// The characters that make a spreadsheet read a cell as a formula when they start it (OWASP,
/// "CSV Injection"): `=`, `+`, `-`, `@`, and tab and carriage return, which some spreadsheets
/// skip before looking at the next character.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A field as the csv crate writes it (the tests compare): in quotes, with its quotes doubled,
/// when it holds a comma, a quote or a line break; as it is otherwise.
fn plain_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        quoted(s)
    } else {
        s.to_string()
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A text field (a file name, a reason, a material, the warnings) on one line and safe to open
/// in a spreadsheet: text that would start a formula (a file named `=HYPERLINK(...).stl`) gets
/// a leading `'` and quotes, as OWASP recommends, so that spreadsheets show it as text. Numbers
/// are never text fields, so a negative figure keeps its `-`. Only the CSV files are escaped:
/// `results.jsonl` keeps the text as it is.
fn text_field(s: &str) -> String {
    let s = one_line(s);
    if s.starts_with(FORMULA_STARTS) {
        quoted(&format!("'{s}"))
    } else {
        plain_field(&s)
    }
}

/// Fields already written as CSV text, joined into one line with its newline.
fn csv_line(fields: &[String]) -> String {
    let mut line = fields.join(",");
    line.push('\n');
    line
}

/// The header line of `results.csv`.
pub fn csv_header() -> String {
    let names: Vec<String> = ROW_COLUMNS
        .iter()
        .chain(COLUMNS)
        .map(|s| plain_field(s))
        .collect();
    csv_line(&names)
}

impl Row {
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The row's line of `results.csv`, with its newline.
    pub fn csv_line(&self) -> String {
        let mut fields = vec![self.index.to_string(), text_field(&self.file)];
        match &self.outcome {
            Ok(figures) => {
                fields.extend(["ok".to_string(), String::new()]);
                fields.extend(figures.values().iter().map(cell));
            }
            Err(e) => {
                fields.extend(["error".to_string(), text_field(e)]);
                fields.extend(COLUMNS.iter().map(|_| String::new()));
            }
        }
        csv_line(&fields)
    }

    /// The row's line of `results.jsonl`, with its newline: the keys in column order.
    pub fn json_line(&self) -> String {
        let text = |s: &str| Value::from(one_line(s)).to_string();
        let mut line = format!("{{\"index\":{},\"file\":{}", self.index, text(&self.file));
        let (status, error, values): (&str, Value, Vec<Value>) = match &self.outcome {
            Ok(f) => ("ok", Value::Null, f.values().to_vec()),
            Err(e) => (
                "error",
                Value::from(one_line(e)),
                vec![Value::Null; COLUMNS.len()],
            ),
        };
        line.push_str(&format!(",\"status\":\"{status}\",\"error\":{error}"));
        for (name, v) in COLUMNS.iter().zip(values) {
            line.push_str(&format!(",\"{name}\":{v}"));
        }
        line.push_str("}\n");
        line
    }

    /// The row as stored: its lines of both result files.
    pub fn stored(&self) -> StoredRow {
        StoredRow {
            index: self.index,
            file: one_line(&self.file),
            ok: self.is_ok(),
            csv: self.csv_line(),
            json: self.json_line(),
        }
    }
}

/// A part's row on its way to the files: its lines, and its reason when it is an error row
/// (for the error line on standard error).
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub row: StoredRow,
    pub error: Option<String>,
}

impl Evaluated {
    pub fn of(row: Row) -> Self {
        Evaluated {
            error: row.outcome.as_ref().err().map(|e| one_line(e)),
            row: row.stored(),
        }
    }
}

/// A row as stored: its lines as written, with their newlines.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub index: usize,
    pub file: String,
    pub ok: bool,
    pub csv: String,
    pub json: String,
}

/// A part's evaluation time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    pub index: usize,
    pub file: String,
    pub seconds: f64,
}

impl Timing {
    fn line(&self) -> String {
        csv_line(&[
            self.index.to_string(),
            text_field(&self.file),
            format!("{:.6}", self.seconds),
        ])
    }
}

const TIMINGS_HEADER: &str = "index,file,seconds\n";

/// The whole lines of a file (with their newlines); a last line without one is torn and left
/// out. A missing file has none.
fn whole_lines(path: &Path) -> Result<Vec<String>, StoreError> {
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    Ok(text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(String::from)
        .collect())
}

/// The rows of a batch folder that are whole in both result files, by index. Lines that are
/// torn or unreadable are skipped (those rows are simply not done).
pub fn read_rows(dir: &Path) -> Result<BTreeMap<usize, StoredRow>, StoreError> {
    let csv_path = dir.join(RESULTS_CSV);
    let csv_lines = whole_lines(&csv_path)?;
    let header = csv_header();
    if let Some(first) = csv_lines.first()
        && *first != header
    {
        return Err(StoreError::Corrupt {
            path: csv_path,
            problem: "its header is not the one this hybridplan writes".into(),
        });
    }
    // The index is the first cell, a plain number.
    let mut csv_by_index: BTreeMap<usize, String> = BTreeMap::new();
    for line in csv_lines.into_iter().skip(1) {
        if let Some(index) = line.split(',').next().and_then(|s| s.parse().ok()) {
            csv_by_index.insert(index, line);
        }
    }
    let mut rows = BTreeMap::new();
    for json in whole_lines(&dir.join(RESULTS_JSONL))? {
        let Ok(v) = serde_json::from_str::<Value>(&json) else {
            continue;
        };
        let (Some(index), Some(file), Some(status)) = (
            v.get("index").and_then(Value::as_u64),
            v.get("file").and_then(Value::as_str),
            v.get("status").and_then(Value::as_str),
        ) else {
            continue;
        };
        let index = index as usize;
        if let Some(csv) = csv_by_index.remove(&index) {
            rows.insert(
                index,
                StoredRow {
                    index,
                    file: file.to_string(),
                    ok: status == "ok",
                    csv,
                    json,
                },
            );
        }
    }
    Ok(rows)
}

/// The timings of a batch folder, by index (lenient: they only feed the summary).
pub fn read_timings(dir: &Path) -> BTreeMap<usize, Timing> {
    let Ok(lines) = whole_lines(&dir.join(TIMINGS_CSV)) else {
        return BTreeMap::new();
    };
    let text: String = lines.concat();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| {
            let index = r.get(0)?.parse().ok()?;
            let file = r.get(1)?.to_string();
            let seconds = r.get(2)?.parse().ok()?;
            Some((
                index,
                Timing {
                    index,
                    file,
                    seconds,
                },
            ))
        })
        .collect()
}

/// Writes the three row files of `dir` atomically with `rows` (in the order given) and the
/// timings of those rows.
pub fn rewrite<'a>(
    dir: &Path,
    rows: impl Iterator<Item = &'a StoredRow> + Clone,
    timings: &BTreeMap<usize, Timing>,
) -> Result<(), WriteError> {
    write_atomic(&dir.join(RESULTS_CSV), |w| {
        w.write_all(csv_header().as_bytes())?;
        rows.clone().try_for_each(|r| w.write_all(r.csv.as_bytes()))
    })?;
    write_atomic(&dir.join(RESULTS_JSONL), |w| {
        rows.clone()
            .try_for_each(|r| w.write_all(r.json.as_bytes()))
    })?;
    write_atomic(&dir.join(TIMINGS_CSV), |w| {
        w.write_all(TIMINGS_HEADER.as_bytes())?;
        rows.clone()
            .filter_map(|r| timings.get(&r.index))
            .try_for_each(|t| w.write_all(t.line().as_bytes()))
    })
}

/// Appends rows to the files of a batch folder, one whole line per `write` per file.
pub struct Appender {
    csv: File,
    jsonl: File,
    timings: File,
    dir: PathBuf,
}

impl Appender {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let open = |name: &str| {
            let path = dir.join(name);
            OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|source| StoreError::Io { path, source })
        };
        Ok(Appender {
            csv: open(RESULTS_CSV)?,
            jsonl: open(RESULTS_JSONL)?,
            timings: open(TIMINGS_CSV)?,
            dir: dir.to_path_buf(),
        })
    }

    /// Appends the row (JSON line first, then CSV, then its timing). `File` is unbuffered:
    /// each line is one `write`, in the operating system's hands when this returns.
    pub fn append(&mut self, row: &StoredRow, seconds: f64) -> Result<(), StoreError> {
        let wrap = |name: &str| {
            let path = self.dir.join(name);
            move |source| StoreError::Io { path, source }
        };
        self.jsonl
            .write_all(row.json.as_bytes())
            .map_err(wrap(RESULTS_JSONL))?;
        self.csv
            .write_all(row.csv.as_bytes())
            .map_err(wrap(RESULTS_CSV))?;
        let t = Timing {
            index: row.index,
            file: row.file.clone(),
            seconds,
        };
        self.timings
            .write_all(t.line().as_bytes())
            .map_err(wrap(TIMINGS_CSV))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: usize, ok: bool) -> Row {
        let mut f = Figures::default();
        f.set("part_volume_mm3", 0.1 + 0.2);
        f.set("warnings", "a, \"quoted\"\nwarning");
        Row {
            index,
            file: format!("dir/part {index}.stl"),
            outcome: if ok { Ok(f) } else { Err("bad,\nfile".into()) },
        }
    }

    #[test]
    fn lines_are_whole_and_torn_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        rewrite(dir.path(), [].iter(), &BTreeMap::new()).unwrap();
        let mut a = Appender::open(dir.path()).unwrap();
        for k in 0..3 {
            a.append(&row(k, k != 1).stored(), 0.5).unwrap();
        }
        // A kill between the JSON and the CSV append of row 3, and a torn JSON line 4.
        let mut j = OpenOptions::new()
            .append(true)
            .open(dir.path().join(RESULTS_JSONL))
            .unwrap();
        j.write_all(row(3, true).json_line().as_bytes()).unwrap();
        j.write_all(&row(4, true).json_line().as_bytes()[..20])
            .unwrap();
        let rows = read_rows(dir.path()).unwrap();
        assert_eq!(rows.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2]);
        assert!(rows[&0].ok && !rows[&1].ok);
        assert_eq!(rows[&1].file, "dir/part 1.stl");
        let v: Value = serde_json::from_str(&rows[&0].json).unwrap();
        assert_eq!(v["part_volume_mm3"], Value::from(0.1 + 0.2));
        assert_eq!(v["error"], Value::Null);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), ROW_COLUMNS.len() + COLUMNS.len());
        // The CSV reads back with the csv crate, one record per row.
        let text = std::fs::read_to_string(dir.path().join(RESULTS_CSV)).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(&records[1][3], "bad, file");
        let k = r
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "part_volume_mm3");
        // Six significant digits in the CSV; the JSONL above keeps 0.1 + 0.2 exactly.
        assert_eq!(&records[0][k.unwrap()], "0.3");
        assert_eq!(read_timings(dir.path()).len(), 3);
    }

    /// The csv crate's own writer, which `plain_field` must equal.
    fn csv_crate_line(fields: &[&str]) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        w.write_record(fields).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn csv_numbers_carry_six_significant_digits() {
        let f = |v: Value| cell(&v);
        assert_eq!(f(Value::from(5000.0)), "5000");
        assert_eq!(f(Value::from(3.0000000000000004)), "3");
        assert_eq!(f(Value::from(8.403732299804688)), "8.40373");
        assert_eq!(f(Value::from(0.000123456789)), "0.000123457");
        assert_eq!(f(Value::from(1.234567e-5)), "1.23457e-5");
        assert_eq!(f(Value::from(-2.5)), "-2.5");
        assert_eq!(f(Value::from(966785.065384327)), "966785");
        assert_eq!(f(Value::from(12_u64)), "12");
        assert_eq!(f(Value::from(0.0)), "0");
    }

    #[test]
    fn fields_are_written_as_the_csv_crate_writes_them() {
        let fields = [
            "",
            "plain",
            "a,b",
            "say \"hi\"",
            "\"",
            "two\nlines",
            "cr\rhere",
            "'quoted'",
            "tab\tinside",
            " lead",
            "0.30000000000000004",
            "-1.5",
            "#hash",
            "ü ß €",
        ];
        let ours: Vec<String> = fields.iter().map(|f| plain_field(f)).collect();
        assert_eq!(csv_line(&ours), csv_crate_line(&fields));
    }

    #[test]
    fn text_that_starts_a_formula_is_escaped_in_csv_only() {
        let cases = [
            ("=HYPERLINK(\"x\").stl", "\"'=HYPERLINK(\"\"x\"\").stl\""),
            ("+1.stl", "\"'+1.stl\""),
            ("-rf.stl", "\"'-rf.stl\""),
            ("@SUM(A1).stl", "\"'@SUM(A1).stl\""),
            ("\tcmd.stl", "\"'\tcmd.stl\""),
            // A line break becomes a space first, which starts no formula.
            ("\r=x.stl", " =x.stl"),
            ("a=b.stl", "a=b.stl"),
            ("plain, with comma.stl", "\"plain, with comma.stl\""),
        ];
        for (name, field) in cases {
            assert_eq!(text_field(name), field, "{name:?}");
        }
        let mut f = Figures::default();
        f.set("cost_per_part_am", -2.5);
        f.set("material", "=cmd|' /C calc'!A0");
        let r = Row {
            index: 7,
            file: "-x.stl".into(),
            outcome: Ok(f),
        };
        let line = r.csv_line();
        assert!(line.starts_with("7,\"'-x.stl\",ok,,"), "{line}");
        // The negative number stays a number; the material is text.
        assert!(line.contains(",-2.5,"), "{line}");
        assert!(line.contains(",\"'=cmd|' /C calc'!A0\","), "{line}");
        // A spreadsheet reader sees the cell as text starting with the quote.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[1], "'-x.stl");
        // results.jsonl keeps the name as it is.
        let v: Value = serde_json::from_str(&r.json_line()).unwrap();
        assert_eq!(v["file"], "-x.stl");
        assert_eq!(r.stored().file, "-x.stl");
        let e = Row {
            index: 8,
            file: "@a.stl".into(),
            outcome: Err("-bad".into()),
        };
        assert!(e.csv_line().starts_with("8,\"'@a.stl\",error,\"'-bad\","));
    }
}
