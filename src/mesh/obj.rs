//! Wavefront OBJ input: the polygon geometry only (`v` and `f`), every group and object merged
//! into one mesh, as a multi-shell STL would be.
//!
//! Written here rather than with `tobj` because (1) its errors name neither the line nor the
//! value (`LoadError::FaceParseError`), and ours must; (2) its `load_obj` opens the `.mtl` files
//! a file names next to it, a side effect a planner reading untrusted parts must not have, and
//! it keeps texture coordinates, normals and one model per group that we would only merge and
//! drop; (3) its line reader has no bound on a line's length (a 10 GB file without a newline
//! is read whole into memory). What OBJ needs here is one statement per line, which is a
//! hundred lines of code.
//!
//! Read: `v x y z [w]` (and the `v x y z r g b` of MeshLab and ZBrush: numbers after the third
//! are ignored), `f` with `v`, `v/vt`, `v//vn` or `v/vt/vn` corners, 1-based or negative
//! (relative: -1 is the last vertex defined so far) indices, polygons of more than three
//! corners split into a fan from their first corner (what most readers do; right for the
//! convex faces exporters write, see the warning), comments from `#` to the end of a line, and
//! lines continued with a trailing `\`. Ignored: texture coordinates, normals, groups,
//! materials, smoothing, points and lines; free-form curves and surfaces with a warning.
//!
//! Bounded: a line (with its continuations) of at most 1 MiB, at most 2^32 - 1 vertices and
//! triangles (u32 indices), every index checked against the vertices the file defines,
//! non-finite coordinates refused with their line.

use std::io::BufRead;
use std::path::Path;

use super::error::{MAX_VERTICES, MeshError};
use super::format::{MeshFormat, RawMesh};
use super::input::HEAD_BYTES;
use super::weld::ExactWelder;

/// Longest line accepted, continuations joined: a face of 50,000 corners fits.
const MAX_LINE: usize = 1 << 20;

/// Statements of the OBJ format (Wavefront's specification, appendix B1): a text whose lines
/// all begin with one of these (or are comments) is OBJ.
const KEYWORDS: &[&[u8]] = &[
    b"v",
    b"vt",
    b"vn",
    b"vp",
    b"f",
    b"l",
    b"p",
    b"o",
    b"g",
    b"s",
    b"mg",
    b"usemtl",
    b"mtllib",
    b"usemap",
    b"maplib",
    b"cstype",
    b"deg",
    b"bmat",
    b"step",
    b"curv",
    b"curv2",
    b"surf",
    b"parm",
    b"trim",
    b"hole",
    b"scrv",
    b"sp",
    b"end",
    b"con",
    b"bevel",
    b"c_interp",
    b"d_interp",
    b"lod",
    b"shadow_obj",
    b"trace_obj",
    b"ctech",
    b"stech",
    b"call",
    b"csh",
];

/// Statements of free-form geometry, which this reader does not evaluate.
const FREE_FORM: &[&[u8]] = &[b"cstype", b"curv", b"curv2", b"surf"];

/// Whether the start of a text file is OBJ: every complete line in the first 4 KiB is a
/// comment, blank, or begins with an OBJ statement, and one of them is a `v` or an `f`.
pub fn looks_like_obj(head: &[u8]) -> bool {
    let n = head.len().min(HEAD_BYTES);
    let mut text = &head[..n];
    if head.len() > n {
        // The last line may be cut off by the 4 KiB: judge complete lines only.
        match text.iter().rposition(|&b| b == b'\n') {
            Some(end) => text = &text[..end],
            None => return false,
        }
    }
    let mut geometry = false;
    let mut continued = false;
    for line in text.split(|&b| b == b'\n') {
        // A line after one ending in `\` goes on with that statement.
        let after_backslash = continued;
        continued = line.trim_ascii_end().ends_with(b"\\");
        if after_backslash {
            continue;
        }
        let line = strip_comment(line);
        let Some(keyword) = line.split(u8::is_ascii_whitespace).find(|w| !w.is_empty()) else {
            continue;
        };
        if !KEYWORDS.contains(&keyword) {
            return false;
        }
        geometry |= keyword == b"v" || keyword == b"f";
    }
    geometry
}

fn strip_comment(line: &[u8]) -> &[u8] {
    match line.iter().position(|&b| b == b'#') {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Reads the next line (continuations joined) into `buf`, without its end of line. Returns the
/// number of the line it starts on, or `None` at the end of the file.
fn next_line(
    reader: &mut impl BufRead,
    path: &Path,
    line: &mut u64,
    buf: &mut Vec<u8>,
) -> Result<Option<u64>, MeshError> {
    buf.clear();
    let start = *line + 1;
    loop {
        // One physical line, read in pieces so that its length is checked as it grows.
        let (mut read_any, mut ended) = (false, false);
        while !ended {
            let chunk = reader.fill_buf().map_err(|source| MeshError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if chunk.is_empty() {
                break;
            }
            read_any = true;
            let (piece, take) = match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    ended = true;
                    (&chunk[..i], i + 1)
                }
                None => (chunk, chunk.len()),
            };
            if buf.len() + piece.len() > MAX_LINE {
                return Err(MeshError::Obj {
                    path: path.to_path_buf(),
                    line: start,
                    detail: format!(
                        "a line longer than {MAX_LINE} bytes: not an OBJ file hybridplan reads"
                    ),
                });
            }
            buf.extend_from_slice(piece);
            reader.consume(take);
        }
        if !read_any {
            // The end of the file: nothing read at all, or the end after a continued line.
            return Ok((*line >= start).then_some(start));
        }
        *line += 1;
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        // A trailing backslash joins the next line to this one.
        if ended && buf.last() == Some(&b'\\') {
            buf.pop();
            buf.push(b' ');
            continue;
        }
        return Ok(Some(start));
    }
}

/// Reads an OBJ file (see the module comment) and welds its vertices exactly, as the STL
/// readers do, numbering them in order of first use.
pub fn read_obj(path: &Path, mut reader: impl BufRead) -> Result<RawMesh, MeshError> {
    let err = |line: u64, detail: String| MeshError::Obj {
        path: path.to_path_buf(),
        line,
        detail,
    };
    let mut obj = ObjState::default();
    let mut buf = Vec::with_capacity(256);
    let mut line_no = 0u64;
    while let Some(line) = next_line(&mut reader, path, &mut line_no, &mut buf)? {
        let mut words = strip_comment(&buf)
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty());
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword {
            b"v" => {
                let p = parse_position(&mut words).map_err(|d| err(line, d))?;
                if obj.positions.len() as u64 >= MAX_VERTICES {
                    return Err(MeshError::TooManyVertices {
                        path: path.to_path_buf(),
                        count: obj.positions.len() as u64 + 1,
                        limit: MAX_VERTICES,
                    });
                }
                obj.positions.push(p);
            }
            b"f" => obj.face(words, line).map_err(|d| err(line, d))?,
            k if FREE_FORM.contains(&k) => {
                obj.free_form
                    .get_or_insert_with(|| (String::from_utf8_lossy(k).into_owned(), line));
            }
            k if KEYWORDS.contains(&k) => {}
            k => {
                obj.unknown_lines += 1;
                obj.unknown
                    .get_or_insert_with(|| (String::from_utf8_lossy(k).into_owned(), line));
            }
        }
    }
    obj.finish(path)
}

/// What [`read_obj`] has read so far.
#[derive(Default)]
struct ObjState {
    positions: Vec<[f32; 3]>,
    /// Triangles as 0-based indices into `positions`, welded at the end.
    triangles: Vec<[u32; 3]>,
    /// The largest positive index used and its line: positive indices may refer to vertices
    /// defined further down (some writers do), so they are checked at the end.
    max_forward: Option<(u64, u64)>,
    polygons_fanned: u64,
    /// The first free-form statement and its line.
    free_form: Option<(String, u64)>,
    /// The first statement that is not OBJ, its line, and how many such lines there are.
    unknown: Option<(String, u64)>,
    unknown_lines: u64,
    /// The current face's corners (kept to reuse its allocation).
    corners: Vec<u32>,
}

/// The three coordinates of a `v` statement (what follows `v`).
fn parse_position<'a>(words: &mut impl Iterator<Item = &'a [u8]>) -> Result<[f32; 3], String> {
    let mut p = [0f32; 3];
    for c in &mut p {
        let w = words
            .next()
            .ok_or_else(|| "vertex needs three coordinates (v x y z)".to_string())?;
        *c = std::str::from_utf8(w)
            .ok()
            .and_then(|s| s.parse::<f32>().ok())
            .ok_or_else(|| format!("'{}' is not a number", String::from_utf8_lossy(w)))?;
        if !c.is_finite() {
            return Err("non-finite coordinate (NaN, infinity or beyond 32-bit floats)".into());
        }
    }
    Ok(p)
}

impl ObjState {
    /// An `f` statement at `line` (its corners `words`): its triangles, a fan from the first
    /// corner for a polygon. The error is the detail of the message.
    fn face<'a>(&mut self, words: impl Iterator<Item = &'a [u8]>, line: u64) -> Result<(), String> {
        self.corners.clear();
        for w in words {
            let corner = self.corner(w, line)?;
            self.corners.push(corner);
        }
        let corners = &self.corners;
        if corners.len() < 3 {
            return Err(format!(
                "face has {} vertices, needs at least 3",
                corners.len()
            ));
        }
        if corners.len() > 3 {
            self.polygons_fanned += 1;
        }
        if (self.triangles.len() + corners.len() - 2) as u64 > MAX_VERTICES {
            return Err(format!(
                "more than hybridplan's limit of {MAX_VERTICES} triangles"
            ));
        }
        for k in 1..corners.len() - 1 {
            self.triangles
                .push([corners[0], corners[k], corners[k + 1]]);
        }
        Ok(())
    }

    /// A face corner `w` (v, v/vt, v//vn or v/vt/vn) at `line` as a 0-based vertex index: a
    /// negative index counts back from the last vertex defined so far; a positive one past it
    /// is remembered for the check at the end.
    fn corner(&mut self, w: &[u8], line: u64) -> Result<u32, String> {
        let index = w.split(|&b| b == b'/').next().unwrap_or_default();
        let text = std::str::from_utf8(index).unwrap_or_default();
        let i: i64 = text.parse().map_err(|_| {
            format!(
                "'{}' is not a vertex index (a face corner is v, v/vt, v//vn or v/vt/vn)",
                String::from_utf8_lossy(w)
            )
        })?;
        let defined = self.positions.len() as i64;
        let zero_based = match i {
            0 => {
                return Err(
                    "vertex index 0: OBJ indices start at 1 (or count back from -1)".into(),
                );
            }
            i if i < 0 => {
                if -i > defined {
                    return Err(format!(
                        "vertex index {i} reaches before the first vertex: only {defined} are defined so far"
                    ));
                }
                defined + i
            }
            i => {
                if i > MAX_VERTICES as i64 {
                    return Err(format!(
                        "vertex index {i} is beyond hybridplan's limit of {MAX_VERTICES} vertices"
                    ));
                }
                if i > defined && self.max_forward.is_none_or(|(m, _)| i as u64 > m) {
                    self.max_forward = Some((i as u64, line));
                }
                i - 1
            }
        };
        Ok(zero_based as u32)
    }

    /// The file read to its end: its forward indices checked, its warnings, and its
    /// triangles welded.
    fn finish(self, path: &Path) -> Result<RawMesh, MeshError> {
        if let Some((index, line)) = self.max_forward
            && index > self.positions.len() as u64
        {
            return Err(MeshError::Obj {
                path: path.to_path_buf(),
                line,
                detail: format!(
                    "vertex index {index} is out of range: the file defines {} vertices",
                    self.positions.len()
                ),
            });
        }
        if self.triangles.is_empty() {
            // Text that has no faces and lines that are not OBJ was never an OBJ file.
            if let Some((word, line)) = self.unknown {
                return Err(MeshError::NotMesh {
                    path: path.to_path_buf(),
                    detail: format!("line {line}: '{word}' is not an OBJ statement"),
                });
            }
            return Err(MeshError::NoTriangles {
                path: path.to_path_buf(),
            });
        }
        let warnings = self.warnings();
        let (vertices, triangles) = weld(&self.positions, self.triangles);
        Ok(RawMesh {
            format: MeshFormat::Obj,
            vertices,
            triangles,
            warnings,
            unit: None,
        })
    }

    /// What was read in a way the file may not mean, or not read: polygons fanned, free-form
    /// geometry, lines that are not OBJ.
    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let polygons_fanned = self.polygons_fanned;
        let unknown_lines = self.unknown_lines;
        if polygons_fanned > 0 {
            warnings.push(format!(
                "{polygons_fanned} faces had more than 3 vertices and were split into triangles (a fan from the first corner: right for convex faces)"
            ));
        }
        if let Some((word, line)) = &self.free_form {
            warnings.push(format!(
                "free-form geometry ('{word}' at line {line}) is not read: only polygon faces are"
            ));
        }
        if let Some((word, line)) = &self.unknown {
            warnings.push(format!(
                "ignored {unknown_lines} lines that are not OBJ statements (the first, '{word}', at line {line})"
            ));
        }
        warnings
    }
}

/// The vertices welded exactly, as the STL readers do (exporters write one vertex per face
/// corner, or per group, and the checks need shared corners shared), and the triangles
/// indexing them.
fn weld(positions: &[[f32; 3]], mut triangles: Vec<[u32; 3]>) -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let mut welder = ExactWelder::with_corner_hint(triangles.len() * 3);
    let mut welded = vec![u32::MAX; positions.len()];
    for t in &mut triangles {
        for c in t.iter_mut() {
            let i = *c as usize;
            if welded[i] == u32::MAX {
                welded[i] = welder.index(positions[i]);
            }
            *c = welded[i];
        }
    }
    (welder.vertices, triangles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(text: &str) -> Result<RawMesh, MeshError> {
        read_obj(Path::new("t.obj"), Cursor::new(text.as_bytes().to_vec()))
    }

    #[test]
    fn quads_negative_indices_and_corner_forms_read_as_one_welded_mesh() {
        // A unit square as a quad with v/vt/vn corners, then a triangle by negative indices,
        // with a comment, a continued line and a group.
        let text = "# square\nv 0 0 0\nv 1 0 0 1.0\nv 1 1 0 0.5 0.5 0.5\nv 0 1 0\nvt 0 0\nvn 0 0 1\n\
                    g top\nf 1/1/1 2/1/1 3//1 \\\n 4/1\no other\nv 0 0 0\nf -4 -3 -1 # again\n";
        let raw = read(text).unwrap();
        assert_eq!(raw.format, MeshFormat::Obj);
        assert_eq!(raw.triangles, [[0, 1, 2], [0, 2, 3], [1, 2, 0]]);
        // The fifth vertex is the first again: welded.
        assert_eq!(raw.vertices.len(), 4);
        assert!(raw.warnings[0].starts_with("1 faces had more than 3 vertices"));
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let check = |text: &str, want: &str| {
            let e = read(text).err().unwrap().to_string();
            assert!(e.starts_with("t.obj: ") && e.contains(want), "{e}");
        };
        check("v 0 0 0\nv 1 x 0\n", "line 2: 'x' is not a number");
        check("v 0 0\n", "line 1: vertex needs three coordinates");
        check("v 0 0 0\nv nan 0 0\n", "line 2: non-finite coordinate");
        check("v 0 0 1e39\n", "line 1: non-finite coordinate");
        check(
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n",
            "line 4: vertex index 4 is out of range: the file defines 3 vertices",
        );
        check(
            "v 0 0 0\nf 1 -2 1\n",
            "line 2: vertex index -2 reaches before the first vertex",
        );
        check("v 0 0 0\nf 0 1 1\n", "line 2: vertex index 0");
        check("v 0 0 0\nf 1 1\n", "line 2: face has 2 vertices");
        check(
            "v 0 0 0\nf 1 a/2 1\n",
            "line 2: 'a/2' is not a vertex index",
        );
        check("v 0 0 0\n", "contains no triangles");
        check(
            "hello world\n",
            "not an STL, 3MF or OBJ file: line 1: 'hello' is not an OBJ statement",
        );
        let long = format!("v 0 0 0\n# {}\n", "x".repeat(MAX_LINE + 1));
        check(&long, "line 2: a line longer than 1048576 bytes");
    }

    #[test]
    fn faces_may_refer_to_vertices_defined_later() {
        let raw = read("f 1 2 3\nv 0 0 0\nv 1 0 0\nv 0 1 0\n").unwrap();
        assert_eq!(raw.triangles, [[0, 1, 2]]);
    }

    #[test]
    fn obj_is_told_by_its_statements() {
        assert!(looks_like_obj(
            b"# Blender\nmtllib a.mtl\no Cube\nv 1 1 1\n"
        ));
        assert!(looks_like_obj(b"v 1 2 3\r\nf 1 1 1\r\n"));
        assert!(looks_like_obj(b"v 1 2 3\nf 1 \\\n -1 1\n"));
        assert!(!looks_like_obj(b"# only a comment\n"));
        assert!(!looks_like_obj(b"This is a README.\nv 1 2 3\n"));
        assert!(!looks_like_obj(b"solid x\n"));
    }
}
