//! STL input and output.
//!
//! Reading is written here rather than delegated to stl_io for three reasons, each measured or
//! observed (see benches/load.rs and docs/method.md):
//! - stl_io decides ASCII vs binary by the word `solid` at the start, and many binary exports
//!   begin their 80-byte header with exactly that word; we decide by content (the binary size
//!   rule `84 + 50 * count` first, then whether the file really is text);
//! - stl_io welds through std's SipHash map and collects the whole soup first; we weld while
//!   streaming with a fast hash, reserve memory only for data actually on disk (never from the
//!   header's count alone: a sparse file matches any count), and fold -0.0 into +0.0;
//! - we need errors that name the file, the line or triangle, and what is wrong.
//!
//! stl_io stays a dev-dependency: the tests read our written files back with it, as an
//! independent reader.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use super::Mesh;
use super::error::{MAX_VERTICES, MeshError};
use super::format::{MeshFormat, RawMesh};
use super::input::{Opened, is_texty, open_regular};
use super::weld::{ExactWelder, flush_noise, weld_parallel};
use rayon::prelude::*;

const HEADER_BYTES: u64 = 84;
const TRIANGLE_BYTES: u64 = 50;
/// Longest ASCII word (a run of non-whitespace) accepted; a longer one means the file is not
/// an ASCII STL. Numbers and keywords are a few dozen bytes; solid names rarely a few hundred.
const MAX_ASCII_WORD: usize = 4096;
/// Consecutive all-zero binary records (200 KB) that mark a file as sparse or zero-filled: a
/// real exporter never writes thousands of triangles collapsed at the origin with a zero
/// normal, and without this a sparse file of any apparent size would be read to its end.
const ZERO_RECORD_RUN: usize = 4000;

/// Whether the file is STL by the rules of [`read_stl`]: text that begins with `solid`, or a
/// size that fits the binary header's count. The loader asks this before it tries OBJ.
pub fn looks_like_stl(head: &[u8], len: u64) -> bool {
    (starts_with_solid(head) && is_texty(head)) || binary_size_fits(head, len)
}

/// The binary header's triangle count, if the file is long enough to have one.
fn declared_count(head: &[u8]) -> Option<u64> {
    (head.len() >= HEADER_BYTES as usize)
        .then(|| u32::from_le_bytes([head[80], head[81], head[82], head[83]]) as u64)
}

fn binary_size_fits(head: &[u8], len: u64) -> bool {
    declared_count(head).is_some_and(|n| HEADER_BYTES + TRIANGLE_BYTES * n == len)
}

/// Reads a binary or ASCII STL file, telling the two apart by content, and welds it exactly.
pub fn read_stl(path: &Path) -> Result<RawMesh, MeshError> {
    read_stl_opened(path, open_regular(path)?)
}

/// [`read_stl`] of a file already opened (the loader opens it to tell its format). Its errors
/// for a file that is not STL say what the file is instead, when that is known.
pub fn read_stl_opened(path: &Path, opened: Opened) -> Result<RawMesh, MeshError> {
    let io_err = |source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    };
    let Opened {
        reader,
        len,
        on_disk,
        head,
    } = opened;
    let declared = declared_count(&head);
    let binary_size_fits = binary_size_fits(&head, len);
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
                    on_disk,
                )
                .map_err(|_| e)
            }
            other => other,
        };
    }
    if binary_size_fits {
        return read_binary(path, reader, declared.unwrap_or(0), on_disk);
    }
    if let Some(kind) = known_other_format(&head) {
        return Err(MeshError::NotMesh {
            path: path.to_path_buf(),
            detail: format!("it looks like {kind}"),
        });
    }
    if is_texty(&head) {
        return Err(MeshError::NotMesh {
            path: path.to_path_buf(),
            detail: "it is text, but does not begin with 'solid' (ASCII STL) and has no OBJ vertex or face lines".into(),
        });
    }
    match declared {
        Some(declared) => Err(MeshError::SizeMismatch {
            path: path.to_path_buf(),
            declared,
            expected: HEADER_BYTES + TRIANGLE_BYTES * declared,
            actual: len,
        }),
        None => Err(MeshError::NotMesh {
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
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
        (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (
            b"ISO-10303-21",
            "a STEP file (export STL, 3MF or OBJ from CAD)",
        ),
    ];
    SIGNATURES
        .iter()
        .find(|(sig, _)| head.starts_with(sig))
        .map(|&(_, kind)| kind)
}

/// The byte order mark some Windows tools put before UTF-8 text.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

fn starts_with_solid(head: &[u8]) -> bool {
    let t = head
        .strip_prefix(UTF8_BOM)
        .unwrap_or(head)
        .trim_ascii_start();
    t.len() >= 5 && t[..5].eq_ignore_ascii_case(b"solid")
}

/// Reads `count` binary records. `on_disk`: the file's blocks cover its length, so the count
/// (already checked against the length) may size the soup at once.
fn read_binary(
    path: &Path,
    mut reader: impl Read,
    count: u64,
    on_disk: bool,
) -> Result<RawMesh, MeshError> {
    let io_err = |source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    };
    if count == 0 {
        return Err(MeshError::NoTriangles {
            path: path.to_path_buf(),
        });
    }
    // The count was checked against the file's length; when its blocks are on disk too, the
    // soup is sized from it at once (the least memory), but only once the first block has
    // shown real records: a preallocated file (fallocate) has its blocks and reads as zeros.
    // A sparse file matches any count with no data behind it (214 GB apparent on 4 KB of disk
    // asked for 154 GB), so there the soup grows block by block with the records actually
    // read. The records are read in blocks of 8 MB into one reused buffer and each block is
    // parsed in parallel: the file is never held whole.
    let mut header = [0u8; HEADER_BYTES as usize];
    reader.read_exact(&mut header).map_err(io_err)?;
    const BLOCK: usize = 160_000; // triangles per block (8 MB), a multiple of ZERO_RECORD_RUN
    let mut block = vec![0u8; BLOCK * TRIANGLE_BYTES as usize];
    let mut soup: Vec<[[f32; 3]; 3]> = Vec::new();
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
        // Runs of all-zero records aligned to ZERO_RECORD_RUN (any run of twice that is
        // caught); real records stop the scan of their run at their first bytes.
        let run_bytes = ZERO_RECORD_RUN * TRIANGLE_BYTES as usize;
        if let Some(run) = bytes
            .par_chunks_exact(run_bytes)
            .position_first(|run| run.iter().all(|&b| b == 0))
        {
            let first = done + (run * ZERO_RECORD_RUN) as u64;
            return Err(MeshError::ZeroFilled {
                path: path.to_path_buf(),
                first,
                last: first + ZERO_RECORD_RUN as u64 - 1,
            });
        }
        if on_disk && done == 0 {
            soup.reserve_exact(usize::try_from(count).unwrap_or(usize::MAX));
        } else {
            soup.reserve(n);
        }
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
    Ok(RawMesh {
        format: MeshFormat::StlBinary,
        vertices,
        triangles,
        warnings: Vec::new(),
        unit: None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AsciiState {
    /// Outside any solid: expect `solid` (or the end of the file).
    Outside,
    /// Inside a solid: expect `facet` or `endsolid`.
    Solid,
    /// After `facet` (and its normal): expect `outer loop`.
    Facet,
    /// Inside the loop: expect `vertex` or `endloop`.
    Loop,
    /// After `endloop`: expect `endfacet`.
    EndLoop,
}

/// The words of an ASCII STL: runs of bytes between whitespace of any kind, so that a file
/// with all its tokens on one line reads like one with a keyword a line. Each word carries the
/// line it starts on, for messages; one word of lookahead tells a solid's name from the
/// keywords after it.
struct Words<'p, R> {
    reader: R,
    path: &'p Path,
    /// The line at the read position (1-based).
    line: u64,
    word: Vec<u8>,
    word_line: u64,
    ahead: Vec<u8>,
    ahead_line: u64,
    /// `ahead` holds the next word (`None` inside: the end of the file).
    peeked: Option<bool>,
}

const KEYWORDS: &[&[u8]] = &[
    b"solid",
    b"facet",
    b"normal",
    b"outer",
    b"loop",
    b"vertex",
    b"endloop",
    b"endfacet",
    b"endsolid",
];

fn is_word(w: &[u8], keyword: &[u8]) -> bool {
    w.eq_ignore_ascii_case(keyword)
}

impl<'p, R: BufRead> Words<'p, R> {
    fn new(reader: R, path: &'p Path) -> Self {
        Words {
            reader,
            path,
            line: 1,
            word: Vec::with_capacity(64),
            word_line: 0,
            ahead: Vec::with_capacity(64),
            ahead_line: 0,
            peeked: None,
        }
    }

    /// Reads the next word into `buf`; its line, or `None` at the end of the file.
    fn read_into(
        reader: &mut R,
        path: &Path,
        line: &mut u64,
        buf: &mut Vec<u8>,
    ) -> Result<Option<u64>, MeshError> {
        buf.clear();
        let mut start = 0;
        loop {
            let chunk = reader.fill_buf().map_err(|source| MeshError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if chunk.is_empty() {
                return Ok((!buf.is_empty()).then_some(start));
            }
            let mut i = 0;
            if buf.is_empty() {
                while i < chunk.len() && chunk[i].is_ascii_whitespace() {
                    *line += (chunk[i] == b'\n') as u64;
                    i += 1;
                }
                if i == chunk.len() {
                    reader.consume(i);
                    continue;
                }
                start = *line;
            }
            let from = i;
            while i < chunk.len() && !chunk[i].is_ascii_whitespace() {
                i += 1;
            }
            buf.extend_from_slice(&chunk[from..i]);
            let ended = i < chunk.len();
            reader.consume(i);
            if buf.len() > MAX_ASCII_WORD {
                return Err(MeshError::Ascii {
                    path: path.to_path_buf(),
                    line: start,
                    detail: format!("a word longer than {MAX_ASCII_WORD} bytes: not an ASCII STL"),
                });
            }
            if ended {
                return Ok(Some(start));
            }
        }
    }

    /// Moves to the next word; `false` at the end of the file.
    fn advance(&mut self) -> Result<bool, MeshError> {
        match self.peeked.take() {
            Some(there) => {
                std::mem::swap(&mut self.word, &mut self.ahead);
                self.word_line = self.ahead_line;
                Ok(there)
            }
            None => {
                match Self::read_into(&mut self.reader, self.path, &mut self.line, &mut self.word)?
                {
                    Some(l) => {
                        self.word_line = l;
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }
        }
    }

    /// The next word and its line, without moving to it.
    fn peek(&mut self) -> Result<Option<(&[u8], u64)>, MeshError> {
        if self.peeked.is_none() {
            let next =
                Self::read_into(&mut self.reader, self.path, &mut self.line, &mut self.ahead)?;
            self.ahead_line = next.unwrap_or(0);
            self.peeked = Some(next.is_some());
        }
        Ok((self.peeked == Some(true)).then_some((self.ahead.as_slice(), self.ahead_line)))
    }

    /// Whether the next word is `keyword`.
    fn next_is(&mut self, keyword: &[u8]) -> Result<bool, MeshError> {
        Ok(self.peek()?.is_some_and(|(w, _)| is_word(w, keyword)))
    }

    /// After `solid` on line `line`: skips the name, the words on that line up to `facet`
    /// (when `normal` or `outer` follows it) or `endsolid`. Returns whether it stopped on a
    /// `facet` (now the current word).
    fn skip_solid_name(&mut self, line: u64) -> Result<bool, MeshError> {
        loop {
            match self.peek()? {
                Some((w, l)) if l == line && !is_word(w, b"endsolid") => {
                    let facet = is_word(w, b"facet");
                    self.advance()?;
                    if facet && (self.next_is(b"normal")? || self.next_is(b"outer")?) {
                        return Ok(true);
                    }
                }
                _ => return Ok(false),
            }
        }
    }

    /// After `facet`: skips `normal` and its three numbers (not checked: every reader
    /// recomputes the normal, and exporters write NaN there), up to four words before `outer`.
    fn skip_facet_normal(&mut self) -> Result<(), MeshError> {
        for _ in 0..4 {
            match self.peek()? {
                Some((w, _)) if !is_word(w, b"outer") => {
                    self.advance()?;
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// After `endsolid` on line `line`: skips its name, the words on that line before another
    /// `solid`.
    fn skip_end_name(&mut self, line: u64) -> Result<(), MeshError> {
        while let Some((w, l)) = self.peek()? {
            if l != line || is_word(w, b"solid") {
                break;
            }
            self.advance()?;
        }
        Ok(())
    }
}

fn read_ascii(path: &Path, mut reader: impl BufRead) -> Result<RawMesh, MeshError> {
    let head = reader.fill_buf().map_err(|source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if head.starts_with(UTF8_BOM) {
        reader.consume(UTF8_BOM.len());
    }
    let mut words = Words::new(reader, path);
    let mut ascii = AsciiReader {
        path,
        welder: ExactWelder::with_corner_hint(1024),
        triangles: Vec::new(),
        warnings: Vec::new(),
        state: AsciiState::Outside,
        corners: Vec::with_capacity(3),
        polygons_fanned: 0,
        facet_line: 0,
        vertex_line: 0,
    };
    while words.advance()? {
        ascii.step(&mut words)?;
    }
    ascii.finish(words.word_line)
}

/// What the ASCII reader has gathered so far, and where it is in the grammar.
struct AsciiReader<'p> {
    path: &'p Path,
    welder: ExactWelder,
    triangles: Vec<[u32; 3]>,
    warnings: Vec<String>,
    state: AsciiState,
    /// The vertices of the current facet's loop.
    corners: Vec<u32>,
    /// Facets of more than three vertices, split into triangles.
    polygons_fanned: u64,
    facet_line: u64,
    vertex_line: u64,
}

impl AsciiReader<'_> {
    fn err(&self, line: u64, detail: String) -> MeshError {
        MeshError::Ascii {
            path: self.path.to_path_buf(),
            line,
            detail,
        }
    }

    /// Takes the current word of `words` (and the words it owns, such as a vertex's numbers).
    fn step<R: BufRead>(&mut self, words: &mut Words<'_, R>) -> Result<(), MeshError> {
        let line = words.word_line;
        let word = words.word.as_slice();
        let is = |keyword: &[u8]| is_word(word, keyword);
        match self.state {
            AsciiState::Outside if is(b"solid") => {
                if words.skip_solid_name(line)? {
                    self.facet_line = words.word_line;
                    words.skip_facet_normal()?;
                    self.state = AsciiState::Facet;
                } else {
                    self.state = AsciiState::Solid;
                }
            }
            AsciiState::Solid if is(b"facet") => {
                self.facet_line = line;
                words.skip_facet_normal()?;
                self.state = AsciiState::Facet;
            }
            AsciiState::Solid if is(b"endsolid") => {
                words.skip_end_name(line)?;
                self.state = AsciiState::Outside;
            }
            AsciiState::Facet if is(b"outer") => {
                if !words.next_is(b"loop")? {
                    return Err(self.err(line, "expected 'outer loop'".into()));
                }
                words.advance()?;
                self.state = AsciiState::Loop;
                self.corners.clear();
            }
            AsciiState::Loop if is(b"vertex") => {
                self.vertex_line = line;
                let p = self.read_vertex(words, line)?;
                self.corners.push(self.welder.index(p));
                if self.welder.len() as u64 >= MAX_VERTICES {
                    return Err(MeshError::TooManyVertices {
                        path: self.path.to_path_buf(),
                        count: self.welder.len() as u64,
                        limit: MAX_VERTICES,
                    });
                }
            }
            AsciiState::Loop if is(b"endloop") => self.end_loop(line)?,
            AsciiState::Loop
                if std::str::from_utf8(word).is_ok_and(|t| t.parse::<f32>().is_ok()) =>
            {
                return Err(self.err(
                    self.vertex_line,
                    "vertex has more than three coordinates".into(),
                ));
            }
            AsciiState::EndLoop if is(b"endfacet") => self.state = AsciiState::Solid,
            s => {
                let expected = match s {
                    AsciiState::Outside => "'solid'",
                    AsciiState::Solid => "'facet' or 'endsolid'",
                    AsciiState::Facet => "'outer loop'",
                    AsciiState::Loop => "'vertex' or 'endloop'",
                    AsciiState::EndLoop => "'endfacet'",
                };
                return Err(self.err(
                    line,
                    format!(
                        "expected {expected}, found '{}'",
                        String::from_utf8_lossy(word)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The three numbers after `vertex` (on line `line`), finite.
    fn read_vertex<R: BufRead>(
        &self,
        words: &mut Words<'_, R>,
        line: u64,
    ) -> Result<[f32; 3], MeshError> {
        let mut p = [0f32; 3];
        for c in &mut p {
            let short = || self.err(line, "vertex needs three coordinates".into());
            if !words.advance()? {
                return Err(short());
            }
            let w = words.word.as_slice();
            if KEYWORDS.iter().any(|k| is_word(w, k)) {
                return Err(short());
            }
            *c = std::str::from_utf8(w)
                .ok()
                .and_then(|s| s.parse::<f32>().ok())
                .ok_or_else(|| {
                    self.err(
                        words.word_line,
                        format!("'{}' is not a number", String::from_utf8_lossy(w)),
                    )
                })?;
            if !c.is_finite() {
                return Err(self.err(
                    words.word_line,
                    "non-finite coordinate (NaN or infinity)".into(),
                ));
            }
        }
        Ok(p)
    }

    /// `endloop` on line `line`: the facet's loop as triangles (a fan for a polygon).
    fn end_loop(&mut self, line: u64) -> Result<(), MeshError> {
        let corners = &self.corners;
        if corners.len() < 3 {
            return Err(self.err(
                line,
                format!(
                    "facet starting at line {} has {} vertices, needs 3",
                    self.facet_line,
                    corners.len()
                ),
            ));
        }
        if corners.len() > 3 {
            self.polygons_fanned += 1;
        }
        for k in 1..corners.len() - 1 {
            self.triangles
                .push([corners[0], corners[k], corners[k + 1]]);
        }
        self.state = AsciiState::EndLoop;
        Ok(())
    }

    /// The end of the file (the last word on line `last_line`): the mesh, or why the file
    /// ended where it must not.
    fn finish(mut self, last_line: u64) -> Result<RawMesh, MeshError> {
        match self.state {
            AsciiState::Outside => {}
            AsciiState::Solid => self
                .warnings
                .push("ASCII STL ends without 'endsolid': the file may be truncated".into()),
            _ => {
                return Err(self.err(
                    last_line,
                    format!(
                        "file ends inside the facet that starts at line {} (truncated?)",
                        self.facet_line
                    ),
                ));
            }
        }
        if self.polygons_fanned > 0 {
            self.warnings.push(format!(
                "{} facets had more than 3 vertices and were split into triangles",
                self.polygons_fanned
            ));
        }
        if self.triangles.is_empty() {
            return Err(MeshError::NoTriangles {
                path: self.path.to_path_buf(),
            });
        }
        Ok(RawMesh {
            format: MeshFormat::StlAscii,
            vertices: self.welder.vertices,
            triangles: self.triangles,
            warnings: self.warnings,
            unit: None,
        })
    }
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
    use crate::mesh::{LoadOptions, Units, load};
    use std::path::PathBuf;

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
        assert_eq!(read_stl(&a).unwrap().format, MeshFormat::StlAscii);
        assert_eq!(read_stl(&b).unwrap().format, MeshFormat::StlBinary);
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
        assert_eq!(raw.format, MeshFormat::StlBinary);
        assert_eq!(raw.triangles.len(), 12);
    }

    #[test]
    fn units_scale_into_millimetres() {
        let dir = tempfile::tempdir().unwrap();
        let cube = cuboid([0.0, 0.0, 0.0], [1.0, 2.0, 0.5]);
        let p = dir.path().join("in.stl");
        write_binary(&p, &cube, "inch").unwrap();
        let opts = LoadOptions {
            units: Some(Units::In),
            ..Default::default()
        };
        let m = load(&p, &opts).unwrap();
        let expected = 1.0 * 2.0 * 0.5 * 25.4f64.powi(3);
        assert!((m.report.volume_mm3 - expected).abs() / expected < 1e-12);
        assert!((m.report.bbox_max_mm[1] - 50.8).abs() < 1e-12);
    }

    /// The 10 mm cube as ASCII STL with `name`, its words joined by `sep`.
    fn cube_ascii(name: &str, sep: &str) -> Vec<u8> {
        let mut text = Vec::new();
        write_ascii_to(&mut text, &cuboid([0.0; 3], [10.0; 3]), "x").unwrap();
        let text = String::from_utf8(text).unwrap();
        let words: Vec<&str> = text.split_whitespace().collect();
        // Replace the name after `solid` and `endsolid` (the writer's own is `x`).
        let body = words[2..words.len() - 2].join(sep);
        format!("solid {name}{sep}{body}{sep}endsolid {name}\n").into_bytes()
    }

    fn assert_cube(raw: &RawMesh) {
        assert_eq!(raw.format, MeshFormat::StlAscii);
        assert_eq!(raw.triangles.len(), 12);
        assert_eq!(raw.vertices.len(), 8);
    }

    #[test]
    fn ascii_with_non_ascii_bytes_in_its_name_is_read_as_ascii() {
        let dir = tempfile::tempdir().unwrap();
        // UTF-8 (as most tools write), Latin-1 (a legacy Windows code page) and a name with
        // spaces and the word `facet` in it.
        for (k, name) in [
            "Grundplatte_für_Rippen".as_bytes(),
            b"Grundplatte_f\xfcr_Rippen",
            "Teil 7 facet Überlauf".as_bytes(),
        ]
        .into_iter()
        .enumerate()
        {
            let name = String::from_utf8_lossy(name).into_owned();
            let mut bytes = cube_ascii("NAME", "\n");
            if k == 1 {
                // The Latin-1 byte itself, not its UTF-8 replacement.
                let text = String::from_utf8(bytes).unwrap();
                let mut b = Vec::new();
                for (i, part) in text.split("NAME").enumerate() {
                    if i > 0 {
                        b.extend_from_slice(b"Grundplatte_f\xfcr_Rippen");
                    }
                    b.extend_from_slice(part.as_bytes());
                }
                bytes = b;
            } else {
                bytes = String::from_utf8(bytes)
                    .unwrap()
                    .replace("NAME", &name)
                    .into_bytes();
            }
            let p = tmp_file(&dir, &format!("named{k}.stl"), &bytes);
            let raw = read_stl(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_cube(&raw);
            assert!(raw.warnings.is_empty(), "{:?}", raw.warnings);
        }
    }

    #[test]
    fn ascii_tokens_on_one_line_or_any_whitespace_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for (k, sep) in [" ", "\t", "\r\n", "  \n\n\t "].into_iter().enumerate() {
            let p = tmp_file(&dir, &format!("sep{k}.stl"), &cube_ascii("one", sep));
            assert_cube(&read_stl(&p).unwrap_or_else(|e| panic!("{sep:?}: {e}")));
        }
        // A UTF-8 byte order mark before `solid`.
        let mut bom = UTF8_BOM.to_vec();
        bom.extend(cube_ascii("bom", "\n"));
        let p = tmp_file(&dir, "bom.stl", &bom);
        assert_cube(&read_stl(&p).unwrap());
        // One line, two solids.
        let mut two = cube_ascii("a", " ");
        two.pop();
        two.push(b' ');
        two.extend(cube_ascii("b", " "));
        let p = tmp_file(&dir, "two.stl", &two);
        let raw = read_stl(&p).unwrap();
        assert_eq!(raw.triangles.len(), 24);
        assert_eq!(
            raw.vertices.len(),
            8,
            "the same cube twice welds to 8 vertices"
        );
    }

    #[test]
    fn ascii_errors_in_one_line_files_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let check = |name: &str, text: &str, words: &str| {
            let p = tmp_file(&dir, name, text.as_bytes());
            let e = read_stl(&p).err().unwrap().to_string();
            assert!(e.contains(name) && e.contains(words), "{e}");
        };
        let facet =
            "facet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet";
        check(
            "four.stl",
            &format!(
                "solid t {} endsolid t",
                facet.replace("vertex 1 0 0", "vertex 1 0 0 5")
            ),
            "line 1: vertex has more than three coordinates",
        );
        check(
            "short.stl",
            &format!("solid t\n{}", facet.replace("vertex 1 0 0", "vertex 1 0\n")),
            "line 2: vertex needs three coordinates",
        );
        check("nofacet.stl", "solid t endsolid t", "contains no triangles");
        check(
            "cut.stl",
            "solid t facet normal 0 0 1 outer loop vertex 0 0 0",
            "file ends inside the facet that starts at line 1",
        );
        check(
            "word.stl",
            &format!("solid t facet normal 0 0 1 outer {}", "x".repeat(5000)),
            "line 1: a word longer than 4096 bytes",
        );
    }

    #[test]
    fn ascii_ending_after_a_facet_without_endsolid_warns() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = cube_ascii("open", "\n");
        let end = text.len() - "endsolid open\n".len();
        text.truncate(end);
        let p = tmp_file(&dir, "noend.stl", &text);
        let raw = read_stl(&p).unwrap();
        assert_cube(&raw);
        assert_eq!(
            raw.warnings,
            ["ASCII STL ends without 'endsolid': the file may be truncated"]
        );
        // And it reaches the report of the checked mesh.
        let m = load(&p, &LoadOptions::default()).unwrap();
        assert!(
            m.report
                .warnings
                .iter()
                .any(|w| w.contains("may be truncated")),
            "{:?}",
            m.report.warnings
        );
    }

    #[test]
    fn zero_filled_binary_records_are_refused_and_scattered_zeros_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let cube = cuboid([0.0; 3], [1.0; 3]);
        let mut one = Vec::new();
        write_binary_to(&mut one, &cube, "x").unwrap();
        let records = &one[84..];
        // 12 cube records, then 8000 zero records (a run of 4000 aligned at 4000 is inside).
        let count = 12 + 8000u32;
        let mut bytes = one[..80].to_vec();
        bytes.extend(count.to_le_bytes());
        bytes.extend(records);
        bytes.resize(84 + 50 * count as usize, 0);
        let p = tmp_file(&dir, "zeros.stl", &bytes);
        let e = read_stl(&p).err().unwrap().to_string();
        assert!(
            e.contains("zeros.stl: triangles 4000 to 7999 are all zero bytes"),
            "{e}"
        );
        // 3999 zero records between real ones: degenerate triangles, read (and later dropped
        // by the check), not refused.
        let count = 12 + 3999u32;
        let mut bytes = one[..80].to_vec();
        bytes.extend(count.to_le_bytes());
        bytes.extend(records);
        bytes.resize(84 + 50 * count as usize, 0);
        let p = tmp_file(&dir, "some_zeros.stl", &bytes);
        let raw = read_stl(&p).unwrap();
        assert_eq!(raw.triangles.len(), 12 + 3999);
        // The 8 corners and the origin's zero, welded (the origin is a corner already).
        assert_eq!(raw.vertices.len(), 8);
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_before_they_are_opened() {
        let e = read_stl(Path::new("/dev/zero")).err().unwrap().to_string();
        assert_eq!(
            e,
            "/dev/zero: is not a regular file but a device: hybridplan reads mesh files (STL, 3MF, OBJ)"
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.stl");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opening it would block until a writer comes; the check comes first.
            let e = read_stl(&fifo).err().unwrap().to_string();
            assert!(
                e.contains("is not a regular file but a named pipe (FIFO)"),
                "{e}"
            );
        }
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
