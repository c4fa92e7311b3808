//! Issue 14, item 6: parts as slicers and CAD tools write them. 3MF (PrusaSlicer's, our own
//! split's, and hand-made ones with transforms, components, units and production-extension
//! parts) and OBJ files load with the volume of the solid they hold, through the real
//! `inspect` and the library, and the format is told by content. Hostile 3MF and OBJ files
//! are in `tests/bad_inputs.rs`.

mod common;
#[path = "common/mesh_files.rs"]
mod mesh_files;

use std::path::{Path, PathBuf};

use common::{run, sample};
use hybridplan::mesh::{LoadOptions, Mesh, MeshFormat, Units, load};
use mesh_files::*;
use nalgebra::{Matrix3, Rotation3, Vector3};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `hybridplan inspect --format json FILE [ARGS]`: the row, checked to have succeeded.
fn inspect_json(path: &Path, args: &[&str]) -> Value {
    let p = path.display().to_string();
    let mut all = vec!["inspect", "--format", "json", &p];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "{p}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{p}: {e}: {out}"))
}

fn inspect_table(path: &Path) -> String {
    let (code, out, err) = run(&["inspect", &path.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    out
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing: {v}"))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// The ribbed-plate sample's volume, read from its STL.
fn sample_volume() -> f64 {
    let v = load(
        Path::new(&sample("ribbed_plate.stl")),
        &LoadOptions::default(),
    )
    .unwrap()
    .report
    .volume_mm3;
    // The closed form: a 120 x 80 x 3 mm plate (28,800 mm3) and five ribs of 120 x 2 x 12 mm
    // (14,400 mm3).
    assert!((v - 43_200.0).abs() < 1e-6, "{v}");
    v
}

/// PrusaSlicer 2.5's 3MF of the sample, turned 30 degrees and centred at (100, 100) (see
/// tests/fixtures/README.md): its vertices are written turned, its build item moves it.
#[test]
fn prusaslicer_3mf_loads_with_the_samples_volume_where_prusaslicer_put_it() {
    let path = fixture("prusa_ribbed_plate.3mf");
    let v = inspect_json(&path, &[]);
    assert_eq!(v["format"], "3mf", "{v}");
    assert_eq!(v["units"], "mm", "{v}");
    assert_eq!(v["watertight"], true, "{v}");
    assert_eq!(v["triangles"], 132, "{v}");
    let volume = f(&v, "volume_mm3");
    assert!(rel(volume, sample_volume()) < 1e-3, "{volume}");
    // The 120 x 80 mm plate turned 30 degrees spans 120 cos 30 + 80 sin 30 by
    // 120 sin 30 + 80 cos 30, centred where PrusaSlicer put it, on the bed.
    let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
    let size = v["size_mm"].as_array().unwrap();
    let min = v["bbox_min_mm"].as_array().unwrap();
    let expect = [120.0 * c + 80.0 * s, 120.0 * s + 80.0 * c, 15.0];
    for k in 0..3 {
        let (sz, lo) = (size[k].as_f64().unwrap(), min[k].as_f64().unwrap());
        assert!(
            (sz - expect[k]).abs() < 1e-3,
            "size {k}: {sz} vs {}",
            expect[k]
        );
        let centre = lo + sz / 2.0;
        let want = [100.0, 100.0, 7.5][k];
        assert!((centre - want).abs() < 1e-3, "centre {k}: {centre}");
    }
    assert!(
        inspect_table(&path).contains("  format               3MF, read as mm\n"),
        "the table names the format"
    );
}

/// PrusaSlicer's OBJ export of the sample.
#[test]
fn prusaslicer_obj_loads_with_the_samples_volume() {
    let path = fixture("prusa_ribbed_plate.obj");
    let v = inspect_json(&path, &[]);
    assert_eq!(v["format"], "obj", "{v}");
    assert_eq!(v["watertight"], true, "{v}");
    assert_eq!(v["oriented"], true, "{v}");
    assert!(rel(f(&v, "volume_mm3"), sample_volume()) < 1e-9, "{v}");
    assert!(inspect_table(&path).contains("  format               OBJ, read as mm\n"));
}

/// Our own split's 3MF read back: the baseplate and the molded region (and, with `infill`,
/// the interface zone PrusaSlicer prints as infill, which is left out) together hold the
/// part's volume, the sum of the two STL halves written beside it.
#[test]
fn own_split_3mf_reads_back_with_the_parts_volume() {
    let part = sample_volume();
    for lattice in ["none", "grid", "infill"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let (code, _, err) = run(&[
            "split",
            &sample("ribbed_plate.stl"),
            "--out",
            &out,
            "--lattice",
            lattice,
        ]);
        assert_eq!(code, 0, "{lattice}: {err}");
        let read = |name: &str| {
            load(&dir.path().join(name), &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{lattice}: {e}"))
        };
        let package = read("ribbed_plate.split.3mf");
        assert_eq!(package.report.format, Some(MeshFormat::ThreeMf));
        let halves = read("ribbed_plate.baseplate.stl").report.volume_mm3
            + read("ribbed_plate.molded.stl").report.volume_mm3;
        let v = package.report.volume_mm3;
        assert!(rel(v, part) < 1e-6, "{lattice}: {v} vs the part's {part}");
        assert!(
            rel(v, halves) < 1e-6,
            "{lattice}: {v} vs the halves' {halves}"
        );
        let left_out = package
            .report
            .warnings
            .iter()
            .any(|w| w.contains("PrusaSlicer volume 'interface zone' (ParameterModifier"));
        assert_eq!(
            left_out,
            lattice == "infill",
            "{lattice}: {:?}",
            package.report.warnings
        );
    }
}

/// A cuboid as OBJ quads by negative indices: the closed form, closed and oriented.
#[test]
fn obj_cuboid_of_quads_and_negative_indices_has_the_closed_form_volume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cuboid.obj");
    std::fs::write(&path, cuboid_obj()).unwrap();
    let v = inspect_json(&path, &[]);
    assert_eq!(v["format"], "obj", "{v}");
    assert_eq!(v["triangles"], 12, "{v}");
    assert_eq!(v["vertices"], 8, "{v}");
    assert_eq!(v["watertight"], true, "{v}");
    assert_eq!(v["oriented"], true, "{v}");
    assert_eq!(v["shells_flipped"], 0, "{v}");
    assert!(
        (f(&v, "volume_mm3") - 10.0 * 20.0 * 30.0).abs() < 1e-9,
        "{v}"
    );
    assert!(
        (f(&v, "area_mm2") - 2.0 * (200.0 + 300.0 + 600.0)).abs() < 1e-9,
        "{v}"
    );
    assert_eq!(v["bbox_min_mm"], serde_json::json!([1.0, 2.0, 3.0]), "{v}");
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("6 faces had more than 3 vertices"),
        "{warnings}"
    );
    // In inches, as STL: --units applies to OBJ (which has no unit) as it does to STL.
    let v = inspect_json(&path, &["--units", "in"]);
    assert!(rel(f(&v, "volume_mm3"), 6000.0 * 16_387.064) < 1e-12, "{v}");
}

const CUBOID_V: f64 = 10.0 * 20.0 * 30.0;

fn cuboid() -> Mesh {
    Mesh::cuboid([0.0; 3], [10.0, 20.0, 30.0])
}

fn write_model(dir: &Path, name: &str, model_xml: &str) -> PathBuf {
    let p = dir.join(name);
    write_3mf(&p, model_xml, &[]);
    p
}

/// A build item that scales by 2 and turns 30 degrees gives 8 times the volume; components
/// compose their transforms with the item's, and a mirror keeps the mesh outward-facing.
#[test]
fn threemf_transforms_components_and_mirrors() {
    let dir = tempfile::tempdir().unwrap();
    let turn = Rotation3::from_axis_angle(&Vector3::z_axis(), 30f64.to_radians());
    let scale_turn = transform(&(turn.matrix() * 2.0), [5.0, -7.0, 1.0]);
    let path = write_model(
        dir.path(),
        "scaled.3mf",
        &model(
            "millimeter",
            &mesh_object(1, &cuboid()),
            &item(1, &scale_turn),
        ),
    );
    let v = inspect_json(&path, &[]);
    assert_eq!(v["format"], "3mf");
    assert!(rel(f(&v, "volume_mm3"), 8.0 * CUBOID_V) < 1e-6, "{v}");
    assert_eq!(v["watertight"], true, "{v}");
    assert_eq!(v["shells_flipped"], 0, "{v}");
    // The corner (10, 20, 30) goes to 2 R (10, 20, 30) + (5, -7, 1).
    let far = turn * Vector3::new(10.0, 20.0, 30.0) * 2.0 + Vector3::new(5.0, -7.0, 1.0);
    let max_z = v["bbox_max_mm"][2].as_f64().unwrap();
    assert!((max_z - far.z).abs() < 1e-4, "{max_z} vs {}", far.z);

    // Object 2: the cuboid scaled by 2 and a second one moved clear of it; placed by an item
    // that mirrors x. 8 V + V, and no shell inside out.
    let mirror = transform(
        &Matrix3::from_diagonal(&Vector3::new(-1.0, 1.0, 1.0)),
        [0.0; 3],
    );
    let resources = format!(
        "{}{}",
        mesh_object(1, &cuboid()),
        components_object(
            2,
            &[
                (1, &transform(&(Matrix3::identity() * 2.0), [0.0; 3])),
                (1, "1 0 0 0 1 0 0 0 1 100 0 0"),
            ]
        )
    );
    let path = write_model(
        dir.path(),
        "components.3mf",
        &model("millimeter", &resources, &item(2, &mirror)),
    );
    let v = inspect_json(&path, &[]);
    assert!(rel(f(&v, "volume_mm3"), 9.0 * CUBOID_V) < 1e-9, "{v}");
    assert_eq!(v["shells"], 2, "{v}");
    assert_eq!(v["oriented"], true, "{v}");
    assert_eq!(v["shells_flipped"], 0, "{v}");
    // Mirrored in x: the moved cuboid lies at x from -110 to -100.
    assert!(
        (v["bbox_min_mm"][0].as_f64().unwrap() + 110.0).abs() < 1e-9,
        "{v}"
    );
    assert!(
        v["warnings"]
            .to_string()
            .contains("the build places 2 meshes"),
        "{v}"
    );
}

/// The model's unit scales into millimetres when `--units` is not given; given, it wins, with
/// a warning.
#[test]
fn threemf_unit_scales_into_millimetres_unless_units_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let inch_cuboid = Mesh::cuboid([0.0; 3], [1.0, 2.0, 0.5]);
    let path = write_model(
        dir.path(),
        "inch.3mf",
        &model("inch", &mesh_object(1, &inch_cuboid), &item(1, "")),
    );
    let v = inspect_json(&path, &[]);
    assert_eq!(v["units"], "in", "{v}");
    // 1 cubic inch is 16387.064 mm3.
    assert!(rel(f(&v, "volume_mm3"), 16_387.064) < 1e-12, "{v}");
    assert!(
        (v["bbox_max_mm"][1].as_f64().unwrap() - 50.8).abs() < 1e-12,
        "{v}"
    );
    assert!(
        inspect_table(&path).contains("  format               3MF, read as in\n"),
        "the table names the unit read in"
    );
    let v = inspect_json(&path, &["--units", "mm"]);
    assert_eq!(v["units"], "mm", "{v}");
    assert!((f(&v, "volume_mm3") - 1.0).abs() < 1e-12, "{v}");
    assert!(
        v["warnings"].to_string().contains(
            "the file declares its unit as inches, read in millimetres as asked (--units mm)"
        ),
        "{v}"
    );
    // Microns, which --units does not offer, and metres.
    for (unit, per_mm, name) in [("micron", 1000.0, "um"), ("meter", 0.001, "m")] {
        let m = Mesh::cuboid([0.0; 3], [10.0 * per_mm, 20.0 * per_mm, 30.0 * per_mm]);
        let path = write_model(
            dir.path(),
            "u.3mf",
            &model(unit, &mesh_object(1, &m), &item(1, "")),
        );
        let v = inspect_json(&path, &[]);
        assert_eq!(v["units"], name, "{v}");
        assert!(rel(f(&v, "volume_mm3"), CUBOID_V) < 1e-6, "{unit}: {v}");
    }
    // The library says the same: the metre file read in millimetres, as asked.
    let m = load(
        &dir.path().join("u.3mf"),
        &LoadOptions {
            units: Some(Units::Mm),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        rel(m.report.volume_mm3, CUBOID_V * 1e-9) < 1e-6,
        "{:?}",
        m.report
    );
}

/// Bambu Studio and OrcaSlicer keep each object in a model part of its own, referred to by
/// the production extension's `p:path` from a component of the root model.
#[test]
fn threemf_production_extension_parts_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let part = model("millimeter", &mesh_object(7, &cuboid()), "");
    let root = model(
        "millimeter",
        "  <object id=\"1\" type=\"model\">\n   <components>\n    <component p:path=\"/3D/Objects/object_7.model\" objectid=\"7\" transform=\"1 0 0 0 1 0 0 0 1 0 0 5\"/>\n   </components>\n  </object>\n",
        &item(1, "1 0 0 0 1 0 0 0 1 50 50 0"),
    );
    let path = dir.path().join("bambu.3mf");
    write_3mf(
        &path,
        &root,
        &[("3D/Objects/object_7.model", part.as_bytes())],
    );
    let v = inspect_json(&path, &[]);
    assert!(rel(f(&v, "volume_mm3"), CUBOID_V) < 1e-12, "{v}");
    assert_eq!(
        v["bbox_min_mm"],
        serde_json::json!([50.0, 50.0, 5.0]),
        "{v}"
    );
}

/// The content decides, whatever the name says; the name breaks a tie only.
#[test]
fn the_format_is_told_by_content_not_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let cube = Mesh::cuboid([0.0; 3], [10.0; 3]);
    let obj_as_stl = dir.path().join("cuboid_obj.stl");
    std::fs::write(&obj_as_stl, cuboid_obj()).unwrap();
    let threemf_as_stl = dir.path().join("cube_3mf.stl");
    write_3mf(
        &threemf_as_stl,
        &model("millimeter", &mesh_object(1, &cube), &item(1, "")),
        &[],
    );
    let binary_as_obj = dir.path().join("cube_binary.obj");
    hybridplan::mesh::stl::write_binary(&binary_as_obj, &cube, "cube").unwrap();
    let ascii_as_obj = dir.path().join("cube_ascii.obj");
    hybridplan::mesh::stl::write_ascii(&ascii_as_obj, &cube, "cube").unwrap();
    for (path, format) in [
        (&obj_as_stl, "obj"),
        (&threemf_as_stl, "3mf"),
        (&binary_as_obj, "binary"),
        (&ascii_as_obj, "ascii"),
    ] {
        let v = inspect_json(path, &[]);
        assert_eq!(v["format"], format, "{}: {v}", path.display());
        assert_eq!(v["watertight"], true, "{v}");
    }
    // An OBJ that opens with more than 4 KiB of comments: OBJ by its name.
    let long_header = format!(
        "{}{}",
        "# exported by a tool that says a lot\n".repeat(150),
        cuboid_obj()
    );
    let named_obj = dir.path().join("commented.obj");
    std::fs::write(&named_obj, &long_header).unwrap();
    let v = inspect_json(&named_obj, &[]);
    assert_eq!(v["format"], "obj", "{v}");
    assert!((f(&v, "volume_mm3") - CUBOID_V).abs() < 1e-9, "{v}");
    // The same named .txt is nothing hybridplan reads.
    let named_txt = dir.path().join("commented.txt");
    std::fs::write(&named_txt, &long_header).unwrap();
    let (code, _, err) = run(&["inspect", &named_txt.display().to_string()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not an STL, 3MF or OBJ file"), "{err}");
}

/// Valid 3MF written in less usual ways: end tags on leaf elements, a prefixed core
/// namespace, elements of other extensions, an object of type support, an object without a
/// mesh, a PrusaSlicer negative volume and a required extension this reader does not know.
#[test]
fn threemf_in_less_usual_but_valid_forms() {
    let dir = tempfile::tempdir().unwrap();
    let cube = Mesh::cuboid([0.0; 3], [10.0; 3]);
    // Prefixed core elements, leaf elements with end tags (every other one), unknown elements
    // inside <mesh> and <resources>, an empty object.
    let mut body = String::from("<c:mesh>\n<c:vertices>\n");
    for (k, p) in cube.vertices.iter().enumerate() {
        let end = if k % 2 == 0 { "></c:vertex>" } else { "/>" };
        body += &format!("<c:vertex x=\"{}\" y=\"{}\" z=\"{}\"{end}\n", p.x, p.y, p.z);
    }
    body += "</c:vertices>\n<c:triangles>\n";
    for (k, t) in cube.triangles.iter().enumerate() {
        let end = if k % 2 == 0 { "></c:triangle>" } else { "/>" };
        body += &format!(
            "<c:triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"{end}\n",
            t[0], t[1], t[2]
        );
    }
    body += "</c:triangles>\n<b:beamlattice/>\n</c:mesh>";
    let prefixed = format!(
        "<?xml version=\"1.0\"?>\n<c:model xmlns:c=\"{CORE_NS}\" xmlns:b=\"http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02\" requiredextensions=\"b\" unit=\"millimeter\">\n\
         <c:metadata name=\"Title\">odd</c:metadata>\n<c:resources>\n<c:basematerials id=\"9\"><c:base name=\"red\" displaycolor=\"#FF0000\"/></c:basematerials>\n\
         <c:object id=\"1\" type=\"model\">\n{}\n<b:beamlattice minlength=\"1\"><b:beams><b:beam v1=\"0\" v2=\"1\"/></b:beams></b:beamlattice>\n</c:object>\n\
         <c:object id=\"2\" type=\"support\">\n{}</c:object>\n<c:object id=\"3\"/>\n</c:resources>\n\
         <c:build><c:item objectid=\"1\"></c:item><c:item objectid=\"2\"/><c:item objectid=\"3\"/></c:build>\n</c:model>\n",
        body,
        mesh_xml(&Mesh::cuboid([20.0; 3], [25.0; 3])),
    );
    let path = write_model(dir.path(), "odd.3mf", &prefixed);
    let v = inspect_json(&path, &[]);
    assert!((f(&v, "volume_mm3") - 1000.0).abs() < 1e-9, "{v}");
    assert_eq!(v["watertight"], true, "{v}");
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("object 2 is of type 'support', not a model: left out"),
        "{warnings}"
    );
    assert!(
        warnings.contains("requires the 3MF extension http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02"),
        "{warnings}"
    );

    // A PrusaSlicer object of two volumes, the second a negative volume.
    let two = {
        let mut m = cube.clone();
        m.append(&Mesh::cuboid([2.0; 3], [4.0; 3]));
        m
    };
    let config = r#"<?xml version="1.0" encoding="UTF-8"?>
<config>
 <object id="1" instances_count="1">
  <volume firstid="0" lastid="11">
   <metadata type="volume" key="name" value="body"/>
  </volume>
  <volume firstid="12" lastid="23">
   <metadata type="volume" key="name" value="hole"/>
   <metadata type="volume" key="volume_type" value="NegativeVolume"/>
  </volume>
 </object>
</config>
"#;
    let path = dir.path().join("negative.3mf");
    write_3mf(
        &path,
        &model("millimeter", &mesh_object(1, &two), &item(1, "")),
        &[("Metadata/Slic3r_PE_model.config", config.as_bytes())],
    );
    let v = inspect_json(&path, &[]);
    assert!((f(&v, "volume_mm3") - 1000.0).abs() < 1e-9, "{v}");
    assert!(
        v["warnings"].to_string().contains(
            "PrusaSlicer volume 'hole' (NegativeVolume, 12 triangles) left out: PrusaSlicer subtracts it"
        ),
        "{v}"
    );
}
