//! Opening a mesh file: the checks every reader needs before it reads a byte (a directory, a
//! device or FIFO, an empty file), and the first bytes, by which the loader tells the format.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::error::MeshError;

/// How many bytes of the file's start the format is told by (and the text test looks at).
pub const HEAD_BYTES: usize = 4096;

/// A regular, non-empty file, opened, with its first bytes.
pub struct Opened {
    /// The file, buffered (1 MiB), at its start: `head` is in the buffer, not consumed.
    pub reader: BufReader<File>,
    /// The file's length in bytes.
    pub len: u64,
    /// Whether the file's blocks on disk cover its length (see [`fully_allocated`]).
    pub on_disk: bool,
    /// The first bytes (at most the buffer's 1 MiB; all of a smaller file).
    pub head: Vec<u8>,
}

/// Opens `path` if it is a regular, non-empty file.
pub fn open_regular(path: &Path) -> Result<Opened, MeshError> {
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
    // Checked before opening: opening a FIFO blocks until something writes to it.
    if !meta.is_file() {
        return Err(MeshError::NotRegular {
            path: path.to_path_buf(),
            kind: file_kind(&meta.file_type()),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    let len = meta.len();
    if len == 0 {
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
    Ok(Opened {
        reader,
        len,
        on_disk: fully_allocated(&meta),
        head,
    })
}

/// No control bytes but whitespace in the first 4 KB. Bytes above 0x7F are text too: localized
/// CAD tools write names in UTF-8 or a legacy code page (`solid Grundplatte_für_Rippen`). A
/// binary STL almost never passes: its count's high byte is 0 below 16 M triangles, and small
/// floats and the attribute words hold more zero bytes; one that does is still read as binary
/// when the ASCII reading fails and the size rule holds.
pub fn is_texty(head: &[u8]) -> bool {
    let n = head.len().min(HEAD_BYTES);
    head[..n]
        .iter()
        .all(|&b| b.is_ascii_whitespace() || (b >= 0x20 && b != 0x7f))
}

/// Whether `path` ends in `.ext` (any case): the tie-breaker where the content is ambiguous.
pub fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// What a non-regular file is, for the message.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = t;
    "another kind of file"
}

/// Whether the file's blocks on disk cover its length, so that a header count checked against
/// the length is backed by data. A sparse file (or one on a compressing file system) is not,
/// and is read with memory reserved as its records arrive.
fn fully_allocated(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.blocks().saturating_mul(512) >= meta.len()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}
