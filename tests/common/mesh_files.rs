//! Mesh files made at test time in the formats besides STL: 3MF packages written by hand (so
//! that a test controls every element and byte, hostile ones included) and OBJ text. Included
//! with `#[path]` by the tests that need it.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use hybridplan::mesh::Mesh;

pub const CORE_NS: &str = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02";
pub const PRODUCTION_NS: &str = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06";

pub const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
</Types>
"#;

pub const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
"#;

/// A ZIP archive of `entries` (name, bytes), compressed with `method`.
pub fn zip_bytes(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Writes a ZIP archive of `entries` (name, bytes), deflated.
pub fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    std::fs::write(path, zip_bytes(entries, zip::CompressionMethod::Deflated)).unwrap();
}

/// The entries of a 3MF package whose root model part is `model`.
pub fn package_entries(model: &str) -> Vec<(&'static str, &[u8])> {
    vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("3D/3dmodel.model", model.as_bytes()),
    ]
}

/// Writes a 3MF package whose root model part is `model` (with the content types and the
/// relationships a 3MF needs), plus `extra` entries.
pub fn write_3mf(path: &Path, model: &str, extra: &[(&str, &[u8])]) {
    let mut entries = package_entries(model);
    entries.extend_from_slice(extra);
    write_zip(path, &entries);
}

/// A model document in `unit` with these resources and build items (XML text).
pub fn model(unit: &str, resources: &str, build: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model unit=\"{unit}\" xml:lang=\"en-US\" xmlns=\"{CORE_NS}\" xmlns:p=\"{PRODUCTION_NS}\">\n <resources>\n{resources} </resources>\n <build>\n{build} </build>\n</model>\n"
    )
}

/// `<mesh>` of `m` (vertices as written by `{}` of f64).
pub fn mesh_xml(m: &Mesh) -> String {
    let mut s = String::from("   <mesh>\n    <vertices>\n");
    for p in &m.vertices {
        s.push_str(&format!(
            "     <vertex x=\"{}\" y=\"{}\" z=\"{}\"/>\n",
            p.x, p.y, p.z
        ));
    }
    s.push_str("    </vertices>\n    <triangles>\n");
    for t in &m.triangles {
        s.push_str(&format!(
            "     <triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>\n",
            t[0], t[1], t[2]
        ));
    }
    s.push_str("    </triangles>\n   </mesh>\n");
    s
}

/// An `<object>` of type model holding mesh `m`.
pub fn mesh_object(id: u32, m: &Mesh) -> String {
    format!(
        "  <object id=\"{id}\" type=\"model\">\n{}  </object>\n",
        mesh_xml(m)
    )
}

/// An `<object>` made of components: (object id, transform or "").
pub fn components_object(id: u32, components: &[(u32, &str)]) -> String {
    let mut s = format!("  <object id=\"{id}\" type=\"model\">\n   <components>\n");
    for (object, transform) in components {
        s.push_str(&format!("    <component objectid=\"{object}\""));
        if !transform.is_empty() {
            s.push_str(&format!(" transform=\"{transform}\""));
        }
        s.push_str("/>\n");
    }
    s.push_str("   </components>\n  </object>\n");
    s
}

/// A build `<item>` of `object` with `transform` (or none for "").
pub fn item(object: u32, transform: &str) -> String {
    if transform.is_empty() {
        format!("  <item objectid=\"{object}\"/>\n")
    } else {
        format!("  <item objectid=\"{object}\" transform=\"{transform}\"/>\n")
    }
}

/// A 3MF transform (12 numbers, row-vector convention) of the linear map `m` (row-major, for
/// column vectors, as nalgebra writes it) and translation `t`.
pub fn transform(m: &nalgebra::Matrix3<f64>, t: [f64; 3]) -> String {
    // The file's rows are the images of the axes: the columns of `m`.
    let mut v = Vec::with_capacity(12);
    for c in 0..3 {
        for r in 0..3 {
            v.push(m[(r, c)]);
        }
    }
    v.extend_from_slice(&t);
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The 10 x 20 x 30 mm cuboid at (1, 2, 3) as OBJ: eight vertices, then its six faces as
/// outward quads by negative (relative) indices in every corner form, with texture
/// coordinates, normals, groups, a comment and a continued line.
pub fn cuboid_obj() -> String {
    let m = Mesh::cuboid([1.0, 2.0, 3.0], [11.0, 22.0, 33.0]);
    let mut s = String::from("# a cuboid, 10 x 20 x 30 mm\nmtllib none.mtl\no cuboid\n");
    for p in &m.vertices {
        s.push_str(&format!("v {} {} {}\n", p.x, p.y, p.z));
    }
    s.push_str("vt 0 0\nvn 0 0 1\ng sides\ns off\n");
    // Outward quads of Mesh::cuboid's corner numbering (bit 0: x, bit 1: y, bit 2: z).
    let quads = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let forms = ["{}", "{}/-1", "{}//-1", "{}/-1/-1"];
    for (k, q) in quads.iter().enumerate() {
        let corners: Vec<String> = q
            .iter()
            .map(|&i| forms[k % 4].replace("{}", &(i as i64 - 8).to_string()))
            .collect();
        if k == 3 {
            // One face continued over two lines.
            s.push_str(&format!(
                "f {} {} \\\n  {} {}\n",
                corners[0], corners[1], corners[2], corners[3]
            ));
        } else {
            s.push_str(&format!("f {}  # face {k}\n", corners.join(" ")));
        }
    }
    s
}
