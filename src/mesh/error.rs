//! Why a mesh file could not be loaded: one error type for every reader (STL, 3MF, OBJ) and the
//! loader, kept below all of them.

use std::io;
use std::path::PathBuf;

/// Why a mesh file could not be loaded. Every message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: is a directory, not a mesh file", path.display())]
    IsDirectory { path: PathBuf },
    /// A device, FIFO or socket: `/dev/zero` never ends and a FIFO blocks until a writer comes.
    #[error(
        "{}: is not a regular file but {kind}: hybridplan reads mesh files (STL, 3MF, OBJ)",
        path.display()
    )]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: file is empty", path.display())]
    Empty { path: PathBuf },
    /// The content is none of the formats read (STL, 3MF, OBJ).
    #[error("{}: not an STL, 3MF or OBJ file: {detail}", path.display())]
    NotMesh { path: PathBuf, detail: String },
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
    #[error(
        "{}: triangles {first} to {last} are all zero bytes, not mesh data: a sparse or zero-filled file (an unfinished download or copy?)",
        path.display()
    )]
    ZeroFilled {
        path: PathBuf,
        first: u64,
        last: u64,
    },
    /// An ASCII STL that cannot be read, at `line`.
    #[error("{}: line {line}: {detail}", path.display())]
    Ascii {
        path: PathBuf,
        line: u64,
        detail: String,
    },
    /// An OBJ file that cannot be read, at `line`.
    #[error("{}: line {line}: {detail}", path.display())]
    Obj {
        path: PathBuf,
        line: u64,
        detail: String,
    },
    /// A 3MF package that cannot be read: `detail` names the part of the package (and the
    /// line, object or item in it) and the problem.
    #[error("{}: {detail}", path.display())]
    ThreeMf { path: PathBuf, detail: String },
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

/// Vertex indices are u32: the most vertices a mesh may have (every reader checks it).
pub const MAX_VERTICES: u64 = u32::MAX as u64;
