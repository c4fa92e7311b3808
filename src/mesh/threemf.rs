//! 3MF output (3MF core specification 1.3, millimetre units): several named meshes in one
//! package, either each its own object and build item, or gathered as the parts of one
//! assembly object.
//!
//! An assembly is written the way PrusaSlicer writes its own multi-part objects: one `<object>`
//! whose mesh holds the parts one after the other (each with its own vertices, so every part
//! stays a closed shell), and `Metadata/Slic3r_PE_model.config` naming the triangle range of
//! each part. The core specification's `<components>` would be the textbook form, but
//! PrusaSlicer 2.5 imports every component as a separate object and arranges them apart on
//! the bed, so the molded region no longer sits on its baseplate. Other 3MF readers ignore the
//! config file and see one object made of the parts' shells in their original positions.

use std::io::{self, Seek, Write};
use std::path::Path;

use super::Mesh;
use super::package::Package;

/// A mesh with the name it gets in the 3MF file.
pub struct NamedMesh<'a> {
    pub name: &'a str,
    pub mesh: &'a Mesh,
    /// In an assembly: a modifier volume (PrusaSlicer's `ParameterModifier`), which is not
    /// printed itself but changes the print settings of the parts where it overlaps them.
    pub modifier: bool,
    /// In an assembly: print settings carried by this part (PrusaSlicer config keys).
    pub settings: &'a [(&'a str, String)],
}

impl<'a> NamedMesh<'a> {
    /// A plain part.
    pub fn part(name: &'a str, mesh: &'a Mesh) -> Self {
        NamedMesh {
            name,
            mesh,
            modifier: false,
            settings: &[],
        }
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
</Types>
"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
"#;

/// Escapes text for an XML attribute or element.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// What a package carries beyond its meshes: the model's metadata, where the build places each
/// object, and further files (a slicer's settings). The default is none of them.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extras<'a> {
    /// Model metadata (`<metadata name="...">`) after `Application`: the core specification's
    /// names (`Title`, `Designer`, `Description`, `CreationDate`, ...) or a namespaced one.
    pub metadata: &'a [(&'a str, String)],
    /// Each build item's transform, in the item order (the objects', or the one assembly):
    /// the specification's 12 numbers of the row-vector matrix `m00 m01 m02 m10 m11 m12 m20
    /// m21 m22 m30 m31 m32`, the last three the translation. An item beyond the list gets none
    /// (the identity).
    pub item_transforms: &'a [[f64; 12]],
    /// Further files of the package: their path in it and their bytes.
    pub files: &'a [(&'a str, &'a [u8])],
}

/// A piece of the model XML: text, or a range of one mesh's vertices or triangles.
enum Piece<'a> {
    Text(String),
    Vertices(&'a Mesh, std::ops::Range<usize>),
    /// Triangles, with the index of the mesh's first vertex in its object.
    Triangles(&'a Mesh, std::ops::Range<usize>, usize),
}

/// Vertices or triangles per piece: about a megabyte of XML.
const PIECE_ITEMS: usize = 20_000;

/// The model XML as pieces small enough to render and compress in parallel.
fn model_pieces<'a>(
    objects: &[NamedMesh<'a>],
    assembly: Option<&str>,
    extras: &Extras,
) -> Vec<Piece<'a>> {
    let mut head = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">"#,
        "\n",
        r#" <metadata name="Application">hybridplan</metadata>"#,
        "\n"
    )
    .to_string();
    for (name, value) in extras.metadata {
        head.push_str(&format!(
            " <metadata name=\"{}\">{}</metadata>\n",
            xml_escape(name),
            xml_escape(value)
        ));
    }
    head.push_str(" <resources>\n");
    let mut pieces = vec![Piece::Text(head)];
    let groups: Vec<(String, Vec<&'a Mesh>)> = match assembly {
        Some(name) => vec![(name.to_string(), objects.iter().map(|o| o.mesh).collect())],
        None => objects
            .iter()
            .map(|o| (o.name.to_string(), vec![o.mesh]))
            .collect(),
    };
    for (id, (name, parts)) in groups.iter().enumerate() {
        pieces.push(Piece::Text(format!(
            "  <object id=\"{}\" name=\"{}\" type=\"model\">\n   <mesh>\n    <vertices>\n",
            id + 1,
            xml_escape(name)
        )));
        for m in parts {
            for start in (0..m.vertices.len()).step_by(PIECE_ITEMS) {
                pieces.push(Piece::Vertices(
                    m,
                    start..(start + PIECE_ITEMS).min(m.vertices.len()),
                ));
            }
        }
        pieces.push(Piece::Text("    </vertices>\n    <triangles>\n".into()));
        let mut base = 0usize;
        for m in parts {
            for start in (0..m.triangles.len()).step_by(PIECE_ITEMS) {
                pieces.push(Piece::Triangles(
                    m,
                    start..(start + PIECE_ITEMS).min(m.triangles.len()),
                    base,
                ));
            }
            base += m.vertices.len();
        }
        pieces.push(Piece::Text(
            "    </triangles>\n   </mesh>\n  </object>\n".into(),
        ));
    }
    let mut tail = String::from(" </resources>\n <build>\n");
    for id in 1..=groups.len() {
        match extras.item_transforms.get(id - 1) {
            Some(m) => {
                // Shortest text that reads back to the same f64 (ryu), as for the vertices.
                let mut f = ryu::Buffer::new();
                let numbers: Vec<String> = m.iter().map(|x| f.format(*x).to_string()).collect();
                tail.push_str(&format!(
                    "  <item objectid=\"{id}\" transform=\"{}\" printable=\"1\"/>\n",
                    numbers.join(" ")
                ));
            }
            None => tail.push_str(&format!("  <item objectid=\"{id}\"/>\n")),
        }
    }
    tail.push_str(" </build>\n</model>\n");
    pieces.push(Piece::Text(tail));
    pieces
}

/// Renders one piece. Vertex and triangle lines are formatted by hand with `ryu` (the
/// shortest text that reads back to the same f32, like `Display`, several times faster) and
/// `itoa`. Coordinates are written as f32: STL and slicers work in f32, and it keeps the file
/// small.
fn render(piece: &Piece) -> Vec<u8> {
    match piece {
        Piece::Text(t) => t.as_bytes().to_vec(),
        Piece::Vertices(m, range) => {
            let mut out = Vec::with_capacity(range.len() * 48);
            let mut f = ryu::Buffer::new();
            for p in &m.vertices[range.clone()] {
                out.extend_from_slice(b"<vertex x=\"");
                out.extend_from_slice(f.format(p.x as f32).as_bytes());
                out.extend_from_slice(b"\" y=\"");
                out.extend_from_slice(f.format(p.y as f32).as_bytes());
                out.extend_from_slice(b"\" z=\"");
                out.extend_from_slice(f.format(p.z as f32).as_bytes());
                out.extend_from_slice(b"\"/>\n");
            }
            out
        }
        Piece::Triangles(m, range, base) => {
            let mut out = Vec::with_capacity(range.len() * 40);
            let mut n = itoa::Buffer::new();
            for t in &m.triangles[range.clone()] {
                let [a, b, c] = t.map(|i| i as usize + base);
                out.extend_from_slice(b"<triangle v1=\"");
                out.extend_from_slice(n.format(a).as_bytes());
                out.extend_from_slice(b"\" v2=\"");
                out.extend_from_slice(n.format(b).as_bytes());
                out.extend_from_slice(b"\" v3=\"");
                out.extend_from_slice(n.format(c).as_bytes());
                out.extend_from_slice(b"\"/>\n");
            }
            out
        }
    }
}

/// PrusaSlicer's per-object config: the name and triangle range of each part of the assembly.
fn write_prusa_config(w: &mut impl Write, name: &str, objects: &[NamedMesh]) -> io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, "<config>")?;
    writeln!(w, r#" <object id="1" instances_count="1">"#)?;
    writeln!(
        w,
        r#"  <metadata type="object" key="name" value="{}"/>"#,
        xml_escape(name)
    )?;
    let mut first = 0usize;
    for o in objects {
        let last = first + o.mesh.triangles.len().max(1) - 1;
        writeln!(w, r#"  <volume firstid="{first}" lastid="{last}">"#)?;
        writeln!(
            w,
            r#"   <metadata type="volume" key="name" value="{}"/>"#,
            xml_escape(o.name)
        )?;
        let kind = if o.modifier {
            "ParameterModifier"
        } else {
            "ModelPart"
        };
        writeln!(
            w,
            r#"   <metadata type="volume" key="volume_type" value="{kind}"/>"#
        )?;
        for (key, value) in o.settings {
            writeln!(
                w,
                r#"   <metadata type="volume" key="{}" value="{}"/>"#,
                xml_escape(key),
                xml_escape(value)
            )?;
        }
        writeln!(w, "  </volume>")?;
        first += o.mesh.triangles.len();
    }
    writeln!(w, " </object>\n</config>")
}

/// Writes a 3MF package to any seekable writer. The model is rendered and compressed in
/// parallel pieces (see [`super::package`]).
pub fn write_3mf_to<W: Write + Seek>(
    w: W,
    objects: &[NamedMesh],
    assembly: Option<&str>,
    extras: &Extras,
) -> io::Result<()> {
    let mut pkg = Package::new(w)?;
    pkg.add_small("[Content_Types].xml", CONTENT_TYPES.as_bytes())?;
    pkg.add_small("_rels/.rels", RELS.as_bytes())?;
    let pieces = model_pieces(objects, assembly, extras);
    // Upper bound of the XML size: the longest vertex line is 3 x 15 + 31 bytes, the longest
    // triangle line 3 x 10 + 38 bytes (u32 indices).
    let bound = objects
        .iter()
        .map(|o| 76 * o.mesh.vertices.len() as u64 + 68 * o.mesh.triangles.len() as u64)
        .sum::<u64>()
        + 4096
        + 256 * objects.len() as u64
        + extras
            .metadata
            .iter()
            .map(|(k, v)| 64 + 6 * (k.len() + v.len()) as u64)
            .sum::<u64>()
        + 512 * extras.item_transforms.len() as u64;
    pkg.add_deflated("3D/3dmodel.model", &pieces, bound, render)?;
    if let Some(name) = assembly {
        let mut config = Vec::new();
        write_prusa_config(&mut config, name, objects)?;
        pkg.add_small("Metadata/Slic3r_PE_model.config", &config)?;
    }
    for (name, bytes) in extras.files {
        pkg.add_small(name, bytes)?;
    }
    pkg.finish()?;
    Ok(())
}

/// Writes a 3MF file atomically. With `assembly`, the meshes become the parts of one object of
/// that name (see the module comment); without, each is its own object and build item.
pub fn write_3mf(
    path: &Path,
    objects: &[NamedMesh],
    assembly: Option<&str>,
) -> Result<(), crate::fsutil::WriteError> {
    write_3mf_with(path, objects, assembly, &Extras::default())
}

/// [`write_3mf`] with metadata, build item transforms and further files (see [`Extras`]).
pub fn write_3mf_with(
    path: &Path,
    objects: &[NamedMesh],
    assembly: Option<&str>,
    extras: &Extras,
) -> Result<(), crate::fsutil::WriteError> {
    crate::fsutil::write_atomic(path, |w| write_3mf_to(w, objects, assembly, extras))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::test_shapes::cuboid;
    use std::io::Read;

    #[test]
    fn package_holds_named_objects_in_millimetres() {
        let a = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        let b = cuboid([0.0, 0.0, 1.0], [1.0, 1.0, 2.0]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.3mf");
        let objs = [
            NamedMesh::part("base<plate>", &a),
            NamedMesh {
                name: "molded",
                mesh: &b,
                modifier: true,
                settings: &[("fill_density", "30%".to_string())],
            },
        ];
        write_3mf(&p, &objs, Some("part & co")).unwrap();
        let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        let mut model = String::new();
        z.by_name("3D/3dmodel.model")
            .unwrap()
            .read_to_string(&mut model)
            .unwrap();
        assert!(model.contains(r#"unit="millimeter""#));
        assert!(model.contains(r#"name="part &amp; co""#));
        // One object holding both parts, each with its own 8 vertices.
        assert!(model.contains(r#"<object id="1" name="part &amp; co""#));
        assert_eq!(model.matches("<object ").count(), 1);
        assert_eq!(model.matches("<vertex ").count(), 16);
        assert_eq!(model.matches("<triangle ").count(), 24);
        assert!(model.contains(r#"<triangle v1="8" v2="10" v3="9"/>"#));
        assert_eq!(model.matches("<item ").count(), 1);
        let mut config = String::new();
        z.by_name("Metadata/Slic3r_PE_model.config")
            .unwrap()
            .read_to_string(&mut config)
            .unwrap();
        assert!(config.contains(r#"<volume firstid="0" lastid="11">"#));
        assert!(config.contains(r#"<volume firstid="12" lastid="23">"#));
        assert!(config.contains(r#"value="base&lt;plate&gt;""#));
        assert!(config.contains(r#"key="volume_type" value="ParameterModifier""#));
        assert!(config.contains(r#"key="fill_density" value="30%""#));
        assert!(z.by_name("[Content_Types].xml").is_ok());
        assert!(z.by_name("_rels/.rels").is_ok());
    }

    #[test]
    fn extras_add_metadata_item_transforms_and_files() {
        let a = cuboid([0.0; 3], [1.0, 1.0, 1.0]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.3mf");
        let t = [
            1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 125.0, 105.5, 0.0,
        ];
        let config = b"; generated\n; layer_height = 0.2\n";
        let extras = Extras {
            metadata: &[("Title", "a <plate>".to_string())],
            item_transforms: &[t],
            files: &[("Metadata/Slic3r_PE.config", config)],
        };
        write_3mf_with(&p, &[NamedMesh::part("plate", &a)], None, &extras).unwrap();
        let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        let mut model = String::new();
        z.by_name("3D/3dmodel.model")
            .unwrap()
            .read_to_string(&mut model)
            .unwrap();
        assert!(model.contains(r#"<metadata name="Title">a &lt;plate&gt;</metadata>"#));
        assert!(model.contains(
            r#"<item objectid="1" transform="1.0 0.0 0.0 0.0 1.0 0.0 0.0 0.0 1.0 125.0 105.5 0.0" printable="1"/>"#
        ));
        let mut text = Vec::new();
        z.by_name("Metadata/Slic3r_PE.config")
            .unwrap()
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, config);
        // Read back: the item's transform moves the cube by (125, 105.5, 0).
        drop(z);
        let m = crate::mesh::load(&p, &Default::default()).unwrap().mesh;
        let b = m.bounds().unwrap();
        assert_eq!(b.min, nalgebra::Point3::new(125.0, 105.5, 0.0));
    }
}
