//! What a mesh reader hands to the loader: the file's format and its welded, not yet checked,
//! mesh. Kept here, below the readers (`stl`, `obj`, `threemf_read`), the loader and the
//! checks, so that none of them imports another for it.

use super::units::Units;

/// The format of a mesh file, told by its content (see [`super::load`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MeshFormat {
    /// Binary STL (`"binary"` in JSON, as before there were other formats).
    #[serde(rename = "binary")]
    StlBinary,
    /// ASCII STL (`"ascii"` in JSON).
    #[serde(rename = "ascii")]
    StlAscii,
    /// A 3MF package (ZIP with a 3D model part).
    #[serde(rename = "3mf")]
    ThreeMf,
    /// Wavefront OBJ text.
    #[serde(rename = "obj")]
    Obj,
}

impl MeshFormat {
    /// The format's name for people: "binary STL", "ASCII STL", "3MF", "OBJ".
    pub fn describe(self) -> &'static str {
        match self {
            MeshFormat::StlBinary => "binary STL",
            MeshFormat::StlAscii => "ASCII STL",
            MeshFormat::ThreeMf => "3MF",
            MeshFormat::Obj => "OBJ",
        }
    }
}

/// A welded, not yet checked, mesh as read from a file (coordinates in file units).
pub struct RawMesh {
    pub format: MeshFormat,
    pub vertices: Vec<[f32; 3]>,
    pub triangles: Vec<[u32; 3]>,
    pub warnings: Vec<String>,
    /// The unit the file itself declares (3MF's `unit`); `None` for formats without one.
    pub unit: Option<Units>,
}
