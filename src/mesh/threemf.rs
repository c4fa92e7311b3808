//! 3MF output (3MF core specification 1.3, millimetre units): several named mesh objects in
//! one package, either each placed on the build plate as its own item or gathered as the
//! components of one assembly object (PrusaSlicer then shows one object with several parts,
//! in their original positions).

use std::io::{self, Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;

use super::Mesh;

/// A mesh with the name it gets in the 3MF file.
pub struct NamedMesh<'a> {
    pub name: &'a str,
    pub mesh: &'a Mesh,
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

fn write_model(
    w: &mut impl Write,
    objects: &[NamedMesh],
    assembly: Option<&str>,
) -> io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">"#
    )?;
    writeln!(w, r#" <metadata name="Application">hybridplan</metadata>"#)?;
    writeln!(w, " <resources>")?;
    for (k, o) in objects.iter().enumerate() {
        writeln!(
            w,
            r#"  <object id="{}" name="{}" type="model">"#,
            k + 1,
            xml_escape(o.name)
        )?;
        writeln!(w, "   <mesh>\n    <vertices>")?;
        for p in &o.mesh.vertices {
            // f32 Display is the shortest text that reads back to the same float; STL and
            // slicers work in f32, and it keeps the file small.
            writeln!(
                w,
                r#"     <vertex x="{}" y="{}" z="{}"/>"#,
                p.x as f32, p.y as f32, p.z as f32
            )?;
        }
        writeln!(w, "    </vertices>\n    <triangles>")?;
        for t in &o.mesh.triangles {
            writeln!(
                w,
                r#"     <triangle v1="{}" v2="{}" v3="{}"/>"#,
                t[0], t[1], t[2]
            )?;
        }
        writeln!(w, "    </triangles>\n   </mesh>\n  </object>")?;
    }
    let assembly_id = objects.len() + 1;
    if let Some(name) = assembly {
        writeln!(
            w,
            r#"  <object id="{assembly_id}" name="{}" type="model">"#,
            xml_escape(name)
        )?;
        writeln!(w, "   <components>")?;
        for k in 0..objects.len() {
            writeln!(w, r#"    <component objectid="{}"/>"#, k + 1)?;
        }
        writeln!(w, "   </components>\n  </object>")?;
    }
    writeln!(w, " </resources>\n <build>")?;
    if assembly.is_some() {
        writeln!(w, r#"  <item objectid="{assembly_id}"/>"#)?;
    } else {
        for k in 0..objects.len() {
            writeln!(w, r#"  <item objectid="{}"/>"#, k + 1)?;
        }
    }
    writeln!(w, " </build>\n</model>")
}

/// Writes a 3MF package to any seekable writer.
pub fn write_3mf_to<W: Write + Seek>(
    w: W,
    objects: &[NamedMesh],
    assembly: Option<&str>,
) -> io::Result<()> {
    let mut zip = zip::ZipWriter::new(w);
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    zip.start_file("[Content_Types].xml", opts)?;
    zip.write_all(CONTENT_TYPES.as_bytes())?;
    zip.start_file("_rels/.rels", opts)?;
    zip.write_all(RELS.as_bytes())?;
    zip.start_file("3D/3dmodel.model", opts)?;
    {
        let mut buf = io::BufWriter::with_capacity(1 << 20, &mut zip);
        write_model(&mut buf, objects, assembly)?;
        buf.flush()?;
    }
    zip.finish()?;
    Ok(())
}

/// Writes a 3MF file atomically. With `assembly`, the objects become the parts of one object
/// of that name; without, each is its own build item.
pub fn write_3mf(
    path: &Path,
    objects: &[NamedMesh],
    assembly: Option<&str>,
) -> Result<(), crate::fsutil::WriteError> {
    crate::fsutil::write_atomic(path, |w| write_3mf_to(w, objects, assembly))
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
            NamedMesh {
                name: "base<plate>",
                mesh: &a,
            },
            NamedMesh {
                name: "molded",
                mesh: &b,
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
        assert!(model.contains(r#"name="base&lt;plate&gt;""#));
        assert!(model.contains(r#"name="part &amp; co""#));
        assert_eq!(model.matches("<vertex ").count(), 16);
        assert_eq!(model.matches("<triangle ").count(), 24);
        assert_eq!(model.matches("<component ").count(), 2);
        assert_eq!(model.matches("<item ").count(), 1);
        assert!(z.by_name("[Content_Types].xml").is_ok());
        assert!(z.by_name("_rels/.rels").is_ok());
    }
}
