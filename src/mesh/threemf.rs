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

/// Writes the mesh of one `<object>`: the parts' vertices and triangles one after the other.
///
/// The lines are formatted by hand with `ryu` (shortest text that reads back to the same f32,
/// like `Display`, but several times faster) and `itoa`: for a million triangles this is
/// a third of the time of writing the 3MF.
fn write_object(w: &mut impl Write, id: usize, name: &str, parts: &[&Mesh]) -> io::Result<()> {
    writeln!(
        w,
        r#"  <object id="{id}" name="{}" type="model">"#,
        xml_escape(name)
    )?;
    writeln!(w, "   <mesh>\n    <vertices>")?;
    let mut line: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut floats = ryu::Buffer::new();
    let mut ints = itoa::Buffer::new();
    for p in parts.iter().flat_map(|m| &m.vertices) {
        // STL and slicers work in f32; its shortest text keeps the file small.
        line.extend_from_slice(b"<vertex x=\"");
        line.extend_from_slice(floats.format(p.x as f32).as_bytes());
        line.extend_from_slice(b"\" y=\"");
        line.extend_from_slice(floats.format(p.y as f32).as_bytes());
        line.extend_from_slice(b"\" z=\"");
        line.extend_from_slice(floats.format(p.z as f32).as_bytes());
        line.extend_from_slice(b"\"/>\n");
        if line.len() >= 60_000 {
            w.write_all(&line)?;
            line.clear();
        }
    }
    w.write_all(&line)?;
    line.clear();
    writeln!(w, "    </vertices>\n    <triangles>")?;
    let mut base = 0usize;
    for m in parts {
        for t in &m.triangles {
            let [a, b, c] = t.map(|i| i as usize + base);
            line.extend_from_slice(b"<triangle v1=\"");
            line.extend_from_slice(ints.format(a).as_bytes());
            line.extend_from_slice(b"\" v2=\"");
            line.extend_from_slice(ints.format(b).as_bytes());
            line.extend_from_slice(b"\" v3=\"");
            line.extend_from_slice(ints.format(c).as_bytes());
            line.extend_from_slice(b"\"/>\n");
            if line.len() >= 60_000 {
                w.write_all(&line)?;
                line.clear();
            }
        }
        base += m.vertices.len();
    }
    w.write_all(&line)?;
    writeln!(w, "    </triangles>\n   </mesh>\n  </object>")
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
    let items = match assembly {
        Some(name) => {
            let parts: Vec<&Mesh> = objects.iter().map(|o| o.mesh).collect();
            write_object(w, 1, name, &parts)?;
            1
        }
        None => {
            for (k, o) in objects.iter().enumerate() {
                write_object(w, k + 1, o.name, &[o.mesh])?;
            }
            objects.len()
        }
    };
    writeln!(w, " </resources>\n <build>")?;
    for id in 1..=items {
        writeln!(w, r#"  <item objectid="{id}"/>"#)?;
    }
    writeln!(w, " </build>\n</model>")
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
        writeln!(
            w,
            r#"   <metadata type="volume" key="volume_type" value="ModelPart"/>"#
        )?;
        writeln!(w, "  </volume>")?;
        first += o.mesh.triangles.len();
    }
    writeln!(w, " </object>\n</config>")
}

const CHUNK_BYTES: usize = 1 << 20;

/// A writer that hands its bytes on in chunks of about [`CHUNK_BYTES`] through a channel.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES + 4096));
        self.tx
            .send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "3MF writer stopped"))
    }
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
    // Formatting the XML and compressing it take about as long as each other on a large mesh:
    // one thread formats 1 MB chunks while this one compresses the previous ones.
    std::thread::scope(|scope| -> io::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let producer = scope.spawn(move || -> io::Result<()> {
            let mut w = ChunkWriter {
                buf: Vec::with_capacity(CHUNK_BYTES + 4096),
                tx,
            };
            write_model(&mut w, objects, assembly)?;
            w.flush()
        });
        let mut written = Ok(());
        for chunk in rx {
            if let Err(e) = zip.write_all(&chunk) {
                // Dropping the receiver stops the producer at its next send.
                written = Err(e);
                break;
            }
        }
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("3MF formatting thread failed")));
        written.and(produced)
    })?;
    if let Some(name) = assembly {
        zip.start_file("Metadata/Slic3r_PE_model.config", opts)?;
        write_prusa_config(&mut zip, name, objects)?;
    }
    zip.finish()?;
    Ok(())
}

/// Writes a 3MF file atomically. With `assembly`, the meshes become the parts of one object of
/// that name (see the module comment); without, each is its own object and build item.
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
        assert!(z.by_name("[Content_Types].xml").is_ok());
        assert!(z.by_name("_rels/.rels").is_ok());
    }
}
