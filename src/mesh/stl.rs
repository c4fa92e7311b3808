//! STL input and output.
//!
//! Reading is written here rather than delegated to stl_io for three reasons, each measured or
//! observed (see benches/load.rs and docs/methods.md):
//! - stl_io decides ASCII vs binary by the word `solid` at the start, and many binary exports
//!   begin their 80-byte header with exactly that word; we decide by content (the binary size
//!   rule `84 + 50 * count` first, then whether the file really is text);
//! - stl_io welds through std's SipHash map and collects the whole soup first; we weld while
//!   streaming with a fast hash, never allocate from the header's count, and fold -0.0 into +0.0;
//! - we need errors that name the file, the line or triangle, and what is wrong.
//!
//! stl_io stays a dev-dependency: the tests read our written files back with it, as an
//! independent reader.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use nalgebra::Point3;

use super::Mesh;
use super::check::{CheckedMesh, check_and_repair};
use super::units::Units;
use super::weld::{ExactWelder, flush_noise, merge_within, weld_parallel};
use rayon::prelude::*;

/// Why a mesh file could not be loaded. Every message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: is a directory, not an STL file", path.display())]
    IsDirectory { path: PathBuf },
    #[error("{}: file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not an STL file: {detail}", path.display())]
    NotStl { path: PathBuf, detail: String },
    #[error(
        "{}: binary STL size mismatch: header announces {declared} triangles ({expected} bytes) but the file has {actual} bytes ({})",
        path.display(),
        if actual < expected { "truncated?" } else { "trailing data or wrong count" }
    )]
    SizeMismatch {
        path: PathBuf,
        declared: u64,
        expected: u64,
        actual: u64,
    },
    #[error("{}: triangle {triangle} has a non-finite coordinate (NaN or infinity)", path.display())]
    NonFinite { path: PathBuf, triangle: u64 },
    #[error("{}: line {line}: {detail}", path.display())]
    Ascii {
        path: PathBuf,
        line: u64,
        detail: String,
    },
    #[error("{}: contains no triangles", path.display())]
    NoTriangles { path: PathBuf },
    #[error("{}: has {count} vertices, more than hybridplan's limit of {limit}", path.display())]
    TooManyVertices {
        path: PathBuf,
        count: u64,
        limit: u64,
    },
    #[error("{}: {reason}", path.display())]
    NotSolid { path: PathBuf, reason: String },
}

/// Which of the two STL encodings a file used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StlFormat {
    Binary,
    Ascii,
}

/// How to read a mesh file.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Unit the file's numbers are in; everything inside is millimetres.
    pub units: Units,
    /// Also merge vertices closer than this (mm) after exact welding.
    pub weld_tolerance_mm: Option<f64>,
}

/// A welded, not yet checked, mesh as read from a file (coordinates in file units).
pub struct RawStl {
    pub format: StlFormat,
    pub vertices: Vec<[f32; 3]>,
    pub triangles: Vec<[u32; 3]>,
    pub warnings: Vec<String>,
}

const HEADER_BYTES: u64 = 84;
const TRIANGLE_BYTES: u64 = 50;
/// Longest ASCII line accepted; a longer one means the file is not an ASCII STL.
const MAX_ASCII_LINE: u64 = 64 * 1024;
/// Vertex indices are u32.
const MAX_VERTICES: u64 = u32::MAX as u64;

/// Reads, welds, scales to millimetres and checks a mesh file: the entry point of every
/// command that reads a part.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<CheckedMesh, MeshError> {
    let raw = read_stl(path)?;
    let scale = opts.units.mm_per_unit();
    let mut vertices: Vec<Point3<f64>> = raw
        .vertices
        .par_iter()
        .map(|v| {
            Point3::new(
                v[0] as f64 * scale,
                v[1] as f64 * scale,
                v[2] as f64 * scale,
            )
        })
        .collect();
    let mut triangles = raw.triangles;
    let mut warnings = raw.warnings;
    if let Some(tol) = opts.weld_tolerance_mm {
        let merged = merge_within(&mut vertices, &mut triangles, tol);
        if merged > 0 {
            warnings.push(format!(
                "merged {merged} vertices closer than {tol} mm (--weld-tol)"
            ));
        }
    }
    let mut checked = check_and_repair(Mesh::new(vertices, triangles), opts.units);
    warnings.append(&mut checked.report.warnings);
    checked.report.warnings = warnings;
    checked.report.format = Some(raw.format);
    Ok(checked)
}

/// Reads a binary or ASCII STL file, telling the two apart by content, and welds it exactly.
pub fn read_stl(path: &Path) -> Result<RawStl, MeshError> {
    let io_err = |source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(MeshError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    let len = meta.len();
    if len == 0 && meta.is_file() {
        return Err(MeshError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let head = reader.fill_buf().map_err(io_err)?.to_vec();
    if head.is_empty() {
        return Err(MeshError::Empty {
            path: path.to_path_buf(),
        });
    }
    let declared = (head.len() >= HEADER_BYTES as usize)
        .then(|| u32::from_le_bytes([head[80], head[81], head[82], head[83]]) as u64);
    let binary_size_fits = declared.is_some_and(|n| HEADER_BYTES + TRIANGLE_BYTES * n == len);
    if starts_with_solid(&head) && is_texty(&head) {
        // Text that begins with `solid` is ASCII STL, or a broken one: its errors (with line
        // numbers) say more than a size mismatch would. Only a binary file whose header and
        // first records happen to be printable could land here; it is read as binary when
        // the ASCII reading fails and the binary size rule holds.
        return match read_ascii(path, reader) {
            Err(e) if binary_size_fits => {
                let file = File::open(path).map_err(io_err)?;
                read_binary(
                    path,
                    BufReader::with_capacity(1 << 20, file),
                    declared.unwrap_or(0),
                )
                .map_err(|_| e)
            }
            other => other,
        };
    }
    if binary_size_fits {
        return read_binary(path, reader, declared.unwrap_or(0));
    }
    if let Some(kind) = known_other_format(&head) {
        return Err(MeshError::NotStl {
            path: path.to_path_buf(),
            detail: format!("it looks like {kind}"),
        });
    }
    if is_texty(&head) {
        return Err(MeshError::NotStl {
            path: path.to_path_buf(),
            detail: "it is text but does not begin with 'solid'".into(),
        });
    }
    match declared {
        Some(declared) => Err(MeshError::SizeMismatch {
            path: path.to_path_buf(),
            declared,
            expected: HEADER_BYTES + TRIANGLE_BYTES * declared,
            actual: len,
        }),
        None => Err(MeshError::NotStl {
            path: path.to_path_buf(),
            detail: format!(
                "{len} bytes is shorter than the 84-byte header of a binary STL, and it is not ASCII STL text"
            ),
        }),
    }
}

/// Recognises a few common formats by their first bytes, for a clearer message.
fn known_other_format(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a ZIP archive (a 3MF file? hybridplan reads STL)",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
        (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"ISO-10303-21", "a STEP file (export STL from CAD)"),
    ];
    SIGNATURES
        .iter()
        .find(|(sig, _)| head.starts_with(sig))
        .map(|&(_, kind)| kind)
}

fn starts_with_solid(head: &[u8]) -> bool {
    let t = head.trim_ascii_start();
    t.len() >= 5 && t[..5].eq_ignore_ascii_case(b"solid")
}

/// Printable ASCII and whitespace only (binary STL bodies are float bytes, rarely all text).
fn is_texty(head: &[u8]) -> bool {
    let n = head.len().min(4096);
    head[..n]
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

fn read_binary(path: &Path, mut reader: impl Read, count: u64) -> Result<RawStl, MeshError> {
    let io_err = |source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    };
    if count == 0 {
        return Err(MeshError::NoTriangles {
            path: path.to_path_buf(),
        });
    }
    // The count was checked against the real file size, so reserving from it is safe. The
    // records are read in blocks of 8 MB into one reused buffer and each block is parsed in
    // parallel: the file is never held whole.
    let mut header = [0u8; HEADER_BYTES as usize];
    reader.read_exact(&mut header).map_err(io_err)?;
    const BLOCK: usize = 160_000; // triangles per block (8 MB)
    let mut block = vec![0u8; BLOCK * TRIANGLE_BYTES as usize];
    let mut soup: Vec<[[f32; 3]; 3]> = Vec::with_capacity(count as usize);
    let mut done = 0u64;
    while done < count {
        let n = (count - done).min(BLOCK as u64) as usize;
        let bytes = &mut block[..n * TRIANGLE_BYTES as usize];
        reader.read_exact(bytes).map_err(|source| {
            if source.kind() == io::ErrorKind::UnexpectedEof {
                MeshError::SizeMismatch {
                    path: path.to_path_buf(),
                    declared: count,
                    expected: HEADER_BYTES + TRIANGLE_BYTES * count,
                    actual: HEADER_BYTES + TRIANGLE_BYTES * done,
                }
            } else {
                io_err(source)
            }
        })?;
        soup.par_extend(bytes.par_chunks_exact(TRIANGLE_BYTES as usize).map(|rec| {
            let f = |o: usize| f32::from_le_bytes([rec[o], rec[o + 1], rec[o + 2], rec[o + 3]]);
            [12, 24, 36].map(|o| [f(o), f(o + 4), f(o + 8)].map(flush_noise))
        }));
        done += n as u64;
    }
    drop(block);
    let corners = soup.as_flattened();
    if let Some(bad) = corners
        .par_iter()
        .position_first(|p| !(p[0].is_finite() && p[1].is_finite() && p[2].is_finite()))
    {
        return Err(MeshError::NonFinite {
            path: path.to_path_buf(),
            triangle: bad as u64 / 3,
        });
    }
    let (vertices, triangles) = weld_parallel(&soup);
    if vertices.len() as u64 >= MAX_VERTICES {
        return Err(MeshError::TooManyVertices {
            path: path.to_path_buf(),
            count: vertices.len() as u64,
            limit: MAX_VERTICES,
        });
    }
    Ok(RawStl {
        format: StlFormat::Binary,
        vertices,
        triangles,
        warnings: Vec::new(),
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AsciiState {
    /// Outside any solid: expect `solid` (or the end of the file).
    Outside,
    /// Inside a solid: expect `facet` or `endsolid`.
    Solid,
    /// After `facet`: expect `outer loop`.
    Facet,
    /// Inside the loop: expect `vertex` or `endloop`.
    Loop,
    /// After `endloop`: expect `endfacet`.
    EndLoop,
}

fn read_ascii(path: &Path, mut reader: impl BufRead) -> Result<RawStl, MeshError> {
    let mut line_no: u64 = 0;
    let err = |line: u64, detail: String| MeshError::Ascii {
        path: path.to_path_buf(),
        line,
        detail,
    };
    let mut welder = ExactWelder::with_corner_hint(1024);
    let mut triangles: Vec<[u32; 3]> = Vec::new();
    let mut warnings = Vec::new();
    let mut state = AsciiState::Outside;
    let mut corners: Vec<u32> = Vec::with_capacity(3);
    let mut polygons_fanned = 0u64;
    let mut line = Vec::with_capacity(256);
    let mut facet_line = 0;
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_ASCII_LINE + 1)
            .read_until(b'\n', &mut line)
            .map_err(|source| MeshError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if n as u64 > MAX_ASCII_LINE {
            return Err(err(
                line_no,
                format!("line longer than {MAX_ASCII_LINE} bytes: not an ASCII STL"),
            ));
        }
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let Some(first) = words.next() else { continue };
        let word = first.to_ascii_lowercase();
        let shown = || String::from_utf8_lossy(first).into_owned();
        match (state, word.as_slice()) {
            (AsciiState::Outside, b"solid") => state = AsciiState::Solid,
            (AsciiState::Solid, b"facet") => {
                state = AsciiState::Facet;
                facet_line = line_no;
            }
            (AsciiState::Solid, b"endsolid") => state = AsciiState::Outside,
            (AsciiState::Facet, b"outer") => {
                if words.next().map(|w| w.eq_ignore_ascii_case(b"loop")) != Some(true) {
                    return Err(err(line_no, "expected 'outer loop'".into()));
                }
                state = AsciiState::Loop;
                corners.clear();
            }
            (AsciiState::Loop, b"vertex") => {
                let mut p = [0f32; 3];
                for c in &mut p {
                    let w = words
                        .next()
                        .ok_or_else(|| err(line_no, "vertex needs three coordinates".into()))?;
                    *c = std::str::from_utf8(w)
                        .ok()
                        .and_then(|s| s.parse::<f32>().ok())
                        .ok_or_else(|| {
                            err(
                                line_no,
                                format!("'{}' is not a number", String::from_utf8_lossy(w)),
                            )
                        })?;
                    if !c.is_finite() {
                        return Err(err(
                            line_no,
                            "non-finite coordinate (NaN or infinity)".into(),
                        ));
                    }
                }
                if words.next().is_some() {
                    return Err(err(
                        line_no,
                        "vertex has more than three coordinates".into(),
                    ));
                }
                corners.push(welder.index(p));
            }
            (AsciiState::Loop, b"endloop") => {
                if corners.len() < 3 {
                    return Err(err(
                        line_no,
                        format!(
                            "facet starting at line {facet_line} has {} vertices, needs 3",
                            corners.len()
                        ),
                    ));
                }
                if corners.len() > 3 {
                    polygons_fanned += 1;
                }
                for k in 1..corners.len() - 1 {
                    triangles.push([corners[0], corners[k], corners[k + 1]]);
                }
                state = AsciiState::EndLoop;
            }
            (AsciiState::EndLoop, b"endfacet") => state = AsciiState::Solid,
            (s, _) => {
                let expected = match s {
                    AsciiState::Outside => "'solid'",
                    AsciiState::Solid => "'facet' or 'endsolid'",
                    AsciiState::Facet => "'outer loop'",
                    AsciiState::Loop => "'vertex' or 'endloop'",
                    AsciiState::EndLoop => "'endfacet'",
                };
                return Err(err(
                    line_no,
                    format!("expected {expected}, found '{}'", shown()),
                ));
            }
        }
        if welder.len() as u64 >= MAX_VERTICES {
            return Err(MeshError::TooManyVertices {
                path: path.to_path_buf(),
                count: welder.len() as u64,
                limit: MAX_VERTICES,
            });
        }
    }
    match state {
        AsciiState::Outside => {}
        AsciiState::Solid => {
            warnings.push("ASCII STL ends without 'endsolid': the file may be truncated".into())
        }
        _ => {
            return Err(err(
                line_no,
                format!("file ends inside the facet that starts at line {facet_line} (truncated?)"),
            ));
        }
    }
    if polygons_fanned > 0 {
        warnings.push(format!(
            "{polygons_fanned} facets had more than 3 vertices and were split into triangles"
        ));
    }
    if triangles.is_empty() {
        return Err(MeshError::NoTriangles {
            path: path.to_path_buf(),
        });
    }
    Ok(RawStl {
        format: StlFormat::Ascii,
        vertices: welder.vertices,
        triangles,
        warnings,
    })
}

/// Unit normal of a triangle, or zero for a degenerate one (STL readers recompute it anyway).
fn facet_normal(m: &Mesh, t: &[u32; 3]) -> [f32; 3] {
    let [a, b, c] = m.corners(t);
    let n = (b - a).cross(&(c - a));
    let len = n.norm();
    if len > 0.0 {
        let n = n / len;
        [n.x as f32, n.y as f32, n.z as f32]
    } else {
        [0.0; 3]
    }
}

/// Writes `mesh` (mm) as binary STL to any writer.
pub fn write_binary_to(w: &mut impl Write, mesh: &Mesh, name: &str) -> io::Result<()> {
    let mut header = [b' '; 80];
    let text = format!("binary STL from hybridplan: {name}");
    // A binary header must not start with "solid", or naive readers take it for ASCII.
    let text = text.as_bytes();
    let n = text.len().min(80);
    header[..n].copy_from_slice(&text[..n]);
    w.write_all(&header)?;
    let count = u32::try_from(mesh.triangles.len())
        .map_err(|_| io::Error::other("more than 2^32 triangles do not fit a binary STL"))?;
    w.write_all(&count.to_le_bytes())?;
    let mut rec = [0u8; 50];
    for t in &mesh.triangles {
        let n = facet_normal(mesh, t);
        let mut put = |o: usize, v: f32| rec[o..o + 4].copy_from_slice(&v.to_le_bytes());
        put(0, n[0]);
        put(4, n[1]);
        put(8, n[2]);
        for (c, &i) in t.iter().enumerate() {
            let p = mesh.vertices[i as usize];
            put(12 + 12 * c, p.x as f32);
            put(16 + 12 * c, p.y as f32);
            put(20 + 12 * c, p.z as f32);
        }
        w.write_all(&rec)?;
    }
    Ok(())
}

/// Writes `mesh` (mm) as ASCII STL to any writer.
pub fn write_ascii_to(w: &mut impl Write, mesh: &Mesh, name: &str) -> io::Result<()> {
    let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    writeln!(w, "solid {name}")?;
    for t in &mesh.triangles {
        let n = facet_normal(mesh, t);
        writeln!(w, "  facet normal {:e} {:e} {:e}", n[0], n[1], n[2])?;
        writeln!(w, "    outer loop")?;
        for &i in t {
            let p = mesh.vertices[i as usize];
            // f32 Display prints the shortest text that reads back to the same float.
            writeln!(
                w,
                "      vertex {} {} {}",
                p.x as f32, p.y as f32, p.z as f32
            )?;
        }
        writeln!(w, "    endloop")?;
        writeln!(w, "  endfacet")?;
    }
    writeln!(w, "endsolid {name}")
}

/// Writes `mesh` as binary STL to `path`, atomically.
pub fn write_binary(path: &Path, mesh: &Mesh, name: &str) -> Result<(), crate::fsutil::WriteError> {
    crate::fsutil::write_atomic(path, |w| write_binary_to(w, mesh, name))
}

/// Writes `mesh` as ASCII STL to `path`, atomically.
pub fn write_ascii(path: &Path, mesh: &Mesh, name: &str) -> Result<(), crate::fsutil::WriteError> {
    crate::fsutil::write_atomic(path, |w| write_ascii_to(w, mesh, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;

    fn tmp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn binary_and_ascii_round_trip_to_the_same_welded_mesh() {
        let dir = tempfile::tempdir().unwrap();
        let cube = cuboid([0.0, 0.0, 0.0], [10.0, 20.0, 30.0]);
        let b = dir.path().join("b.stl");
        let a = dir.path().join("a.stl");
        write_binary(&b, &cube, "cube").unwrap();
        write_ascii(&a, &cube, "cube").unwrap();
        for p in [&a, &b] {
            let raw = read_stl(p).unwrap();
            assert_eq!(raw.triangles.len(), 12);
            assert_eq!(raw.vertices.len(), 8);
        }
        assert_eq!(read_stl(&a).unwrap().format, StlFormat::Ascii);
        assert_eq!(read_stl(&b).unwrap().format, StlFormat::Binary);
        let m = load(&b, &LoadOptions::default()).unwrap();
        assert!((m.report.volume_mm3 - 6000.0).abs() < 1e-9);
    }

    #[test]
    fn binary_whose_header_starts_with_solid_is_read_as_binary() {
        let dir = tempfile::tempdir().unwrap();
        let cube = cuboid([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]);
        let mut bytes = Vec::new();
        write_binary_to(&mut bytes, &cube, "x").unwrap();
        bytes[..12].copy_from_slice(b"solid cube  ");
        let p = tmp_file(&dir, "solid_header.stl", &bytes);
        let raw = read_stl(&p).unwrap();
        assert_eq!(raw.format, StlFormat::Binary);
        assert_eq!(raw.triangles.len(), 12);
    }

    #[test]
    fn units_scale_into_millimetres() {
        let dir = tempfile::tempdir().unwrap();
        let cube = cuboid([0.0, 0.0, 0.0], [1.0, 2.0, 0.5]);
        let p = dir.path().join("in.stl");
        write_binary(&p, &cube, "inch").unwrap();
        let opts = LoadOptions {
            units: Units::In,
            ..Default::default()
        };
        let m = load(&p, &opts).unwrap();
        let expected = 1.0 * 2.0 * 0.5 * 25.4f64.powi(3);
        assert!((m.report.volume_mm3 - expected).abs() / expected < 1e-12);
        assert!((m.report.bbox_max_mm[1] - 50.8).abs() < 1e-12);
    }

    #[test]
    fn ascii_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let text =
            b"solid t\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 x 0\n";
        let p = tmp_file(&dir, "bad.stl", text);
        let e = read_stl(&p).err().unwrap().to_string();
        assert!(
            e.contains("bad.stl") && e.contains("line 5") && e.contains("'x'"),
            "{e}"
        );
    }
}
