//! The STL encoding a file used: read by `stl`, reported by `check`; kept here, below both,
//! so that neither imports the other for it.

/// Which of the two STL encodings a file used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StlFormat {
    Binary,
    Ascii,
}
