//! Reading back the 3MF packages the binary writes (tests/print_ready.rs, tests/split.rs): a
//! file of the package as text, and its mesh as the project's own reader gives it. Included
//! with `#[path = "common/package.rs"] mod package;`.

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;

use hybridplan::mesh::{self, Mesh};

/// A file of the 3MF package, as text.
pub fn entry(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    z.by_name(name)
        .unwrap_or_else(|e| panic!("{name} in {}: {e}", path.display()))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The package's mesh as the project's reader gives it (build item transform applied),
/// required to be one closed shell.
pub fn read_back(path: &Path) -> Mesh {
    let checked = mesh::load(path, &Default::default()).unwrap();
    assert_eq!(checked.report.boundary_edges, 0, "{}", path.display());
    assert_eq!(checked.report.shells, 1);
    checked.mesh
}
