//! Catalogs: the list of parts a batch evaluates, read from a folder of STL files or from a
//! CSV manifest with per-row overrides.
//!
//! A folder catalog holds every `.stl` file under the folder (extension in any case, at any
//! depth), sorted by its path relative to the folder, so the order (and with it every row's
//! index) does not depend on the file system's listing order. Symbolic links to files are
//! followed, links to folders are not (a link back up the tree would never end). A sub-folder
//! that holds a batch record (`batch.json`) is left out: it is another batch's output, and its
//! `--meshes` are split halves, not parts. Names are shown by [`name_text`], which keeps names
//! that are not UTF-8 apart.
//!
//! A manifest is a CSV file with a header. `file` is required; paths in it are relative to the
//! manifest's folder (absolute ones stay as they are). Every other column is one of
//! [`OVERRIDE_COLUMNS`]; an empty cell means "the batch's default". A column that is none of
//! these is an error naming it, because a misspelt override (`matrial`) silently ignored would
//! give wrong figures for the whole catalog; `--ignore-unknown-columns` accepts informational
//! columns (a name, a description, a drawing number). A value that cannot be used (a negative
//! volume, an unknown printer) makes that row an error row; the other rows go on. Lines
//! starting with `#` are comments; spaces around cells are ignored.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use nalgebra::Vector3;

use super::store::RunRecord;
use crate::limits;
use crate::mesh::Units;

/// The manifest column naming the part's STL file.
pub const FILE_COLUMN: &str = "file";

/// Manifest columns that override a batch default for one row.
pub const OVERRIDE_COLUMNS: &[&str] = &[
    "material",
    "baseplate_material",
    "printer",
    "annual_volume",
    "variants",
    "normal",
    "height_mm",
    "units",
];

/// Where a catalog came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogKind {
    Folder,
    Manifest,
}

/// The parts of a batch, in catalog order.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub kind: CatalogKind,
    /// The folder or manifest as given.
    pub source: PathBuf,
    pub entries: Vec<CatalogEntry>,
    /// Folders of a folder catalog left out because they hold another batch's output (see
    /// [`read_catalog`]).
    pub skipped: Vec<PathBuf>,
}

/// One part of a catalog.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// 0-based position in the catalog; the row's identity in every output and in sharding.
    pub index: usize,
    /// The file as listed: the manifest's cell, or the path relative to the folder with `/`
    /// between components.
    pub file: String,
    /// Where to read it.
    pub path: PathBuf,
    /// The row's overrides, or why they cannot be used (the row becomes an error row).
    pub overrides: Result<Overrides, String>,
    /// The non-empty override cells as written (column, text), which identify the row together
    /// with `file` (see [`Catalog::fingerprint`]).
    pub cells: Vec<(String, String)>,
}

/// Per-row settings from a manifest; `None`: the batch's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Material of the molded region (checked against the material models once they exist).
    pub material: Option<String>,
    /// Material of the printed baseplate.
    pub baseplate_material: Option<String>,
    /// A printer of `models/printers.toml`.
    pub printer: Option<String>,
    /// Parts per year.
    pub annual_volume: Option<u64>,
    /// Different variants (personalised versions) sharing one mold.
    pub variants: Option<u64>,
    /// Mold opening direction (as `split --normal`).
    pub normal: Option<Vector3<f64>>,
    /// Cut height along the normal (as `split --height`).
    pub height_mm: Option<f64>,
    /// Unit of the numbers in the file (as `--units`).
    pub units: Option<Units>,
}

/// Why a catalog could not be read at all (as opposed to one row being unusable).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {problem}", path.display())]
    Manifest { path: PathBuf, problem: String },
}

/// How to read a catalog.
#[derive(Debug, Clone, Default)]
pub struct CatalogOptions {
    /// Accept manifest columns that are neither `file` nor an override (and ignore them).
    pub ignore_unknown_columns: bool,
    /// A folder left out of a folder catalog: the batch's own output folder, when it lies
    /// inside the catalog (its meshes would otherwise be parts of the next run).
    pub exclude: Option<PathBuf>,
    /// Printer names an override may use.
    pub printers: BTreeSet<String>,
}

impl Catalog {
    /// A short hash of what identifies the rows: every entry's index, file and override cells.
    /// Two runs (shards, or a run and its resumption) belong together only if their catalogs'
    /// fingerprints agree. The catalog's own path is left out, so that shards run on machines
    /// that mount the catalog at different places still merge.
    pub fn fingerprint(&self) -> String {
        let mut h = crc32fast::Hasher::new();
        for e in &self.entries {
            h.update(format!("{}\t{}", e.index, e.file).as_bytes());
            for (k, v) in &e.cells {
                h.update(format!("\t{k}={v}").as_bytes());
            }
            h.update(b"\n");
        }
        format!("{:08x}-{}", h.finalize(), self.entries.len())
    }
}

/// Reads a catalog: a folder, or a CSV manifest.
pub fn read_catalog(path: &Path, opts: &CatalogOptions) -> Result<Catalog, CatalogError> {
    let meta = std::fs::metadata(path).map_err(|source| CatalogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return read_folder(path, opts);
    }
    let is_stl = path
        .extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("stl"));
    if is_stl {
        return Err(CatalogError::Manifest {
            path: path.to_path_buf(),
            problem: "is an STL file; a catalog is a folder of STL files or a CSV manifest \
                      (use `hybridplan split` for single files)"
                .into(),
        });
    }
    read_manifest(path, opts)
}

/// Every `.stl` under `root`, sorted by relative path.
fn read_folder(root: &Path, opts: &CatalogOptions) -> Result<Catalog, CatalogError> {
    let exclude = opts
        .exclude
        .as_ref()
        .and_then(|p| std::fs::canonicalize(p).ok());
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let excluded = |dir: &Path| {
        exclude
            .as_ref()
            .is_some_and(|ex| std::fs::canonicalize(dir).is_ok_and(|d| &d == ex))
    };
    while let Some((dir, rel)) = stack.pop() {
        if excluded(&dir) {
            continue;
        }
        let io = |source| CatalogError::Io {
            path: dir.clone(),
            source,
        };
        for item in std::fs::read_dir(&dir).map_err(io)? {
            let item = item.map_err(io)?;
            let os_name = item.file_name();
            let name = name_text(&os_name);
            let rel_name = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let path = item.path();
            let kind = item.file_type().map_err(io)?;
            if kind.is_dir() {
                // The batch's own output is left out without a note; another batch's with one.
                if excluded(&path) {
                    continue;
                }
                if holds_batch_record(&path) {
                    skipped.push(path);
                } else {
                    stack.push((path, rel_name));
                }
            } else if (kind.is_file() || (kind.is_symlink() && path.is_file()))
                && Path::new(&os_name)
                    .extension()
                    .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("stl"))
            {
                found.push((rel_name, path));
            }
        }
    }
    found.sort();
    skipped.sort();
    let entries = found
        .into_iter()
        .enumerate()
        .map(|(index, (file, path))| CatalogEntry {
            index,
            file,
            path,
            overrides: Ok(Overrides::default()),
            cells: Vec::new(),
        })
        .collect();
    Ok(Catalog {
        kind: CatalogKind::Folder,
        source: root.to_path_buf(),
        entries,
        skipped,
    })
}

/// Does `dir` hold the record of a batch (`batch.json` that reads as one)? Such a folder is
/// another batch's output: its `--meshes` are split halves, not parts.
fn holds_batch_record(dir: &Path) -> bool {
    matches!(RunRecord::read(dir), Ok(Some(_)))
}

/// A file name as text that tells every name apart: valid UTF-8 stays as it is, except that a
/// byte that is not UTF-8 or a control character (a line break, a tab) is written `\xHH` and a
/// backslash `\\`. (`to_string_lossy` would turn `bad\xFF\xFE.stl` and `bad\xFE\xFF.stl`
/// into the same `bad��.stl`, and the line breaks of a name into spaces.)
pub fn name_text(name: &OsStr) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(name).to_vec();
    // Elsewhere names are Unicode already (Windows: but for lone surrogates, shown as `�`).
    #[cfg(not(unix))]
    let bytes = name.to_string_lossy().into_owned().into_bytes();
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                c if c.is_ascii_control() => text.push_str(&format!("\\x{:02X}", c as u32)),
                c => text.push(c),
            }
        }
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02X}"));
        }
    }
    text
}

fn read_manifest(path: &Path, opts: &CatalogOptions) -> Result<Catalog, CatalogError> {
    let problem = |problem: String| CatalogError::Manifest {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read(path).map_err(|source| CatalogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| problem(format!("not a CSV manifest: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if header.iter().all(|h| h.is_empty()) {
        return Err(problem(format!(
            "is empty; a manifest needs a header line with a `{FILE_COLUMN}` column"
        )));
    }
    for (k, h) in header.iter().enumerate() {
        if header[..k].contains(h) {
            return Err(problem(format!("column `{h}` appears twice")));
        }
    }
    let file_col = header
        .iter()
        .position(|h| h == FILE_COLUMN)
        .ok_or_else(|| {
            problem(format!(
                "has no `{FILE_COLUMN}` column (its columns: {})",
                header.join(", ")
            ))
        })?;
    let unknown: Vec<&str> = header
        .iter()
        .filter(|h| *h != FILE_COLUMN && !OVERRIDE_COLUMNS.contains(&h.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() && !opts.ignore_unknown_columns {
        let (s, them) = if unknown.len() == 1 {
            ("", "it")
        } else {
            ("s", "them")
        };
        return Err(problem(format!(
            "unknown column{s} `{}` (known: {FILE_COLUMN}, {}); pass --ignore-unknown-columns to ignore {them}",
            unknown.join("`, `"),
            OVERRIDE_COLUMNS.join(", ")
        )));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| problem(csv_problem(&e)))?;
        let index = entries.len();
        let file = record.get(file_col).unwrap_or("").to_string();
        let cells: Vec<(String, String)> = header
            .iter()
            .zip(record.iter())
            .filter(|(h, v)| OVERRIDE_COLUMNS.contains(&h.as_str()) && !v.is_empty())
            .map(|(h, v)| (h.clone(), v.to_string()))
            .collect();
        let mut overrides = parse_overrides(&cells, &opts.printers);
        if file.is_empty() {
            overrides = Err(format!("empty `{FILE_COLUMN}` cell"));
        }
        entries.push(CatalogEntry {
            index,
            path: base.join(&file),
            file,
            overrides,
            cells,
        });
    }
    Ok(Catalog {
        kind: CatalogKind::Manifest,
        source: path.to_path_buf(),
        entries,
        skipped: Vec::new(),
    })
}

/// A CSV error with its line.
fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: {len} cells, but the header has {expected_len}",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        ),
        _ => e.to_string(),
    }
}

/// Parses a row's override cells; all problems of the row in one message.
pub(crate) fn parse_overrides(
    cells: &[(String, String)],
    printers: &BTreeSet<String>,
) -> Result<Overrides, String> {
    let mut o = Overrides::default();
    let mut problems = Vec::new();
    for (column, text) in cells {
        let bad = |why: &str| format!("{column} '{text}': {why}");
        match column.as_str() {
            "material" => o.material = Some(text.clone()),
            "baseplate_material" => o.baseplate_material = Some(text.clone()),
            "printer" => {
                if printers.contains(text) {
                    o.printer = Some(text.clone());
                } else {
                    let known: Vec<&str> = printers.iter().map(String::as_str).collect();
                    problems.push(bad(&format!(
                        "no such printer (known: {})",
                        known.join(", ")
                    )));
                }
            }
            // The ranges are those of the command-line options (crate::limits): a value
            // outside is an error row, never clamped.
            "annual_volume" => match limits::ANNUAL_VOLUME_COUNT.parse(text) {
                Ok(v) => o.annual_volume = Some(v),
                Err(e) => problems.push(bad(&e)),
            },
            "variants" => match limits::VARIANTS.parse(text) {
                Ok(v) => o.variants = Some(v),
                Err(e) => problems.push(bad(&e)),
            },
            "normal" => match vector3(text) {
                Some(v) => o.normal = Some(v),
                None => problems.push(bad(&format!(
                    "must be three numbers X,Y,Z from {} to {}, not all zero",
                    limits::COORDINATE.min,
                    limits::COORDINATE.max
                ))),
            },
            "height_mm" => match limits::HEIGHT_MM.parse(text) {
                Ok(v) => o.height_mm = Some(v),
                Err(e) => problems.push(bad(&e)),
            },
            "units" => match Units::from_str(text, true) {
                Ok(u) => o.units = Some(u),
                Err(_) => problems.push(bad("must be one of mm, cm, m, in")),
            },
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(o)
    } else {
        Err(format!("bad override: {}", problems.join("; ")))
    }
}

/// Three numbers separated by commas and/or spaces, each a [`limits::COORDINATE`], not all
/// zero.
fn vector3(text: &str) -> Option<Vector3<f64>> {
    let v: Vec<f64> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .and_then(|x| limits::COORDINATE.check(x).ok())
        })
        .collect::<Option<_>>()?;
    (v.len() == 3 && v.iter().any(|&x| x != 0.0)).then(|| Vector3::new(v[0], v[1], v[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printers() -> BTreeSet<String> {
        ["desktop_fff".to_string()].into()
    }

    fn opts() -> CatalogOptions {
        CatalogOptions {
            printers: printers(),
            ..Default::default()
        }
    }

    #[test]
    fn folders_are_sorted_recursive_case_blind_and_skip_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b.stl",
            "a/z.STL",
            "a/y.stl",
            "c.txt",
            "out/meshes/0_b/b.molded.stl",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let c = read_catalog(
            root,
            &CatalogOptions {
                exclude: Some(root.join("out")),
                ..opts()
            },
        )
        .unwrap();
        let files: Vec<&str> = c.entries.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(files, ["a/y.stl", "a/z.STL", "b.stl"]);
        assert_eq!(c.kind, CatalogKind::Folder);
        assert_eq!(c.entries[2].index, 2);
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_stay_apart() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        for name in [
            &b"bad\xff\xfe.stl"[..],
            b"bad\xfe\xff.stl",
            b"back\\slash.stl",
            b"line\nbreak.stl",
            b"gr\xc3\xbc\xc3\x9fe.stl",
        ] {
            std::fs::write(dir.path().join(OsStr::from_bytes(name)), b"").unwrap();
        }
        let c = read_catalog(dir.path(), &opts()).unwrap();
        let files: Vec<&str> = c.entries.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "back\\\\slash.stl",
                "bad\\xFE\\xFF.stl",
                "bad\\xFF\\xFE.stl",
                "grüße.stl",
                "line\\x0Abreak.stl",
            ]
        );
        // The text names the file; the path still opens it.
        for e in &c.entries {
            assert!(e.path.is_file(), "{}", e.file);
        }
        assert_eq!(
            name_text(OsStr::from_bytes(b"a\x80\tb\x7f")),
            "a\\x80\\x09b\\x7F"
        );
    }

    #[test]
    fn folders_holding_a_batch_record_are_not_read_as_parts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "part.stl",
            "old_run/meshes/0_part/part.molded.stl",
            "sub/p.stl",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let record = RunRecord {
            hybridplan: "0".into(),
            catalog: "x".into(),
            catalog_fingerprint: "0-1".into(),
            entries: 1,
            options: Default::default(),
            columns: Vec::new(),
            shard: None,
        };
        record.write(&root.join("old_run")).unwrap();
        // The batch's own output (resumed: it holds its record) is left out, not "skipped".
        std::fs::create_dir_all(root.join("own_out")).unwrap();
        record.write(&root.join("own_out")).unwrap();
        // A `batch.json` that is not a batch record does not hide the folder.
        std::fs::write(root.join("sub/batch.json"), b"{\"some\": \"other tool\"}").unwrap();
        let with_own = CatalogOptions {
            exclude: Some(root.join("own_out")),
            ..opts()
        };
        let c = read_catalog(root, &with_own).unwrap();
        let files: Vec<&str> = c.entries.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(files, ["part.stl", "sub/p.stl"]);
        assert_eq!(c.skipped, [root.join("old_run")]);
        // The catalog folder itself is read even when it holds a record: it was asked for.
        record.write(root).unwrap();
        assert_eq!(read_catalog(root, &with_own).unwrap().entries.len(), 2);
    }

    #[test]
    fn malformed_manifests_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let check = |text: &str, words: &str| {
            let p = dir.path().join("m.csv");
            std::fs::write(&p, text).unwrap();
            let e = read_catalog(&p, &opts()).unwrap_err().to_string();
            assert!(e.contains("m.csv") && e.contains(words), "{e}");
        };
        check("file,units,units\na.stl,mm,cm\n", "`units` appears twice");
        check("name\na\n", "no `file` column");
        check("file,units\na.stl,mm,extra\n", "line 2: 3 cells");
        check("", "empty");
        check("file,Colour\na.stl,red\n", "unknown column `colour`");
        // A manifest's rows: paths against its folder, the same file twice, fingerprints.
        let p = dir.path().join("m.csv");
        std::fs::write(
            &p,
            "# parts\nFILE , Units\n parts/a.stl , cm \nparts/a.stl,\n",
        )
        .unwrap();
        let c = read_catalog(&p, &opts()).unwrap();
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.entries[0].path, dir.path().join("parts/a.stl"));
        assert_eq!(
            c.entries[0].overrides.as_ref().unwrap().units,
            Some(Units::Cm)
        );
        assert_eq!(c.entries[1].overrides, Ok(Overrides::default()));
        let before = c.fingerprint();
        std::fs::write(&p, "file,units\nparts/a.stl,mm\nparts/a.stl,\n").unwrap();
        assert_ne!(read_catalog(&p, &opts()).unwrap().fingerprint(), before);
    }

    #[test]
    fn overrides_parse_and_bad_values_name_the_column() {
        let cells = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let o = parse_overrides(
            &cells(&[
                ("annual_volume", "5000"),
                ("variants", "12"),
                ("normal", "0, 0,1"),
                ("height_mm", "3.5"),
                ("units", "IN"),
                ("printer", "desktop_fff"),
                ("material", "PP"),
            ]),
            &printers(),
        )
        .unwrap();
        assert_eq!(o.annual_volume, Some(5000));
        assert_eq!(o.variants, Some(12));
        assert_eq!(o.normal, Some(Vector3::new(0.0, 0.0, 1.0)));
        assert_eq!(o.height_mm, Some(3.5));
        assert_eq!(o.units, Some(Units::In));
        assert_eq!(o.material.as_deref(), Some("PP"));
        let e = parse_overrides(
            &cells(&[
                ("annual_volume", "-3"),
                ("normal", "0,0,0"),
                ("printer", "x"),
            ]),
            &printers(),
        )
        .unwrap_err();
        for word in ["annual_volume '-3'", "normal '0,0,0'", "printer 'x'"] {
            assert!(e.contains(word), "{e}");
        }
        assert!(parse_overrides(&cells(&[("annual_volume", "1e4")]), &printers()).is_err());
        assert!(parse_overrides(&cells(&[("height_mm", "0")]), &printers()).is_err());
        // Beyond the ranges of the options: refused with the range, never clamped (2^32
        // variants used to become u32::MAX silently).
        for (column, text, range) in [
            ("variants", "4294967296", "from 1 to 1000000000"),
            ("variants", "1000000001", "from 1 to 1000000000"),
            ("annual_volume", "1000000001", "from 1 to 1000000000"),
            (
                "annual_volume",
                "99999999999999999999999",
                "from 1 to 1000000000",
            ),
            ("height_mm", "NaN", "above 0 and at most 100000"),
            ("height_mm", "inf", "above 0 and at most 100000"),
            ("normal", "0,0,1e300", "from -1000000 to 1000000"),
        ] {
            let e = parse_overrides(&cells(&[(column, text)]), &printers()).unwrap_err();
            assert!(
                e.contains(&format!("{column} '{text}'")) && e.contains(range),
                "{e}"
            );
        }
        let top = parse_overrides(
            &cells(&[("variants", "1000000000"), ("annual_volume", "1000000000")]),
            &printers(),
        )
        .unwrap();
        assert_eq!(top.variants, Some(1_000_000_000));
        assert_eq!(top.annual_volume, Some(1_000_000_000));
    }
}
