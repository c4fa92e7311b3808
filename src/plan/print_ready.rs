//! The print-ready insert, `STEM.baseplate.3mf`: the baseplate alone, placed as it prints, with
//! the print settings the estimate costed it with, so that a slicer opens it ready to slice.
//!
//! Placement: the interface face (where the ribs are molded on, with the pores) faces +z, away
//! from the bed, and the plate's other face lies on the bed at z = 0; in the bed's plane the
//! plate lies along the part's own edges (the axes the estimate sized the print along, the
//! longer one along x), turned a quarter where only that fits the bed, and centred on the bed.
//! The turn is baked into the mesh (its vertices are the plate as it prints, x and y centred on
//! 0, z from 0), and the build item's transform moves it to the bed's centre: slicers place an
//! object by its item's transform (PrusaSlicer writes its own 3MF the same way), and the mesh
//! stays a plain description of the plate's shape.
//!
//! Settings: PrusaSlicer reads a project's settings from `Metadata/Slic3r_PE.config`, one
//! `; key = value` line per setting, the first line a header it skips. It is written for an
//! FFF printer only: a powder-bed build is nested by its own build preparation, which gets
//! the placed plate and the standard metadata.

use nalgebra::{Point3, Vector3};
use serde::Serialize;

use crate::fsutil::WriteError;
use crate::mesh::Mesh;
use crate::mesh::threemf::{self, Extras, NamedMesh};
use crate::models::{FffPrinter, Material};
use crate::process::fff::FffSettings;

/// Where PrusaSlicer looks for a project's print, filament and printer settings.
pub const PRUSA_CONFIG_PATH: &str = "Metadata/Slic3r_PE.config";

/// The settings the estimate printed the baseplate with (the printer's profile, the user's
/// changes, and the infill raised to what survives the cavity pressure, see
/// `dfm::insert_pressure`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BaseplatePrintSettings {
    pub layer_mm: f64,
    pub nozzle_mm: f64,
    pub perimeters: u32,
    pub infill_percent: f64,
}

impl BaseplatePrintSettings {
    pub fn of(fff: &FffSettings) -> Self {
        BaseplatePrintSettings {
            layer_mm: fff.layer_mm,
            nozzle_mm: fff.nozzle_mm,
            perimeters: fff.perimeters,
            infill_percent: fff.infill_fraction * 100.0,
        }
    }
}

/// The baseplate as it prints: its mesh in its object's coordinates (x and y centred on 0, z
/// from 0) and the build item's transform onto the bed's centre.
#[derive(Debug, Clone)]
pub struct OnBed {
    pub mesh: Mesh,
    /// The 3MF build item's transform (row-vector matrix, 12 numbers): a translation.
    pub transform: [f64; 12],
    /// Turned a quarter about z, because only so it fits the bed.
    pub quarter_turn: bool,
    /// The plate's size as it prints, x, y, z (mm).
    pub size_mm: [f64; 3],
}

/// Places `baseplate` on a bed of `bed_mm` (x, y; its origin at a corner): `normal` (the
/// interface face's outward normal, into the molded region) up, `along` (the part's longer
/// in-plane edge) along x, centred. Errors when the normal is not a direction.
pub fn place_on_bed(
    baseplate: &Mesh,
    normal: &Vector3<f64>,
    along: &Vector3<f64>,
    bed_mm: [f64; 2],
) -> Result<OnBed, String> {
    let n = normal
        .try_normalize(1e-12)
        .ok_or("the split normal is not a direction")?;
    // `along` lies in the plane already; projecting it again only removes rounding, and a
    // right-handed frame (x × y = z) keeps the plate from being mirrored.
    let x = (along - n * n.dot(along))
        .try_normalize(1e-9)
        .unwrap_or_else(|| {
            // Any direction in the plane: the axis least along n, made perpendicular.
            let k = n.iamin();
            let e = Vector3::ith(k, 1.0);
            (e - n * n.dot(&e)).normalize()
        });
    let y = n.cross(&x);
    let mut mesh = baseplate.clone();
    mesh.map_vertices(|p| Point3::new(x.dot(&p.coords), y.dot(&p.coords), n.dot(&p.coords)));
    let b = mesh.bounds().ok_or("the baseplate has no triangles")?;
    let size = b.size();
    // A quarter turn when the plate is longer than the bed along x but fits across it.
    let quarter_turn = size.x > bed_mm[0] && size.x <= bed_mm[1] && size.y <= bed_mm[0];
    let c = b.center();
    let (cx, cy, z0) = (c.x, c.y, b.min.z);
    mesh.map_vertices(|p| {
        let (px, py) = (p.x - cx, p.y - cy);
        let (px, py) = if quarter_turn { (-py, px) } else { (px, py) };
        Point3::new(px, py, p.z - z0)
    });
    let size_mm = if quarter_turn {
        [size.y, size.x, size.z]
    } else {
        [size.x, size.y, size.z]
    };
    let mut transform = [0.0; 12];
    transform[0] = 1.0;
    transform[4] = 1.0;
    transform[8] = 1.0;
    transform[9] = bed_mm[0] / 2.0;
    transform[10] = bed_mm[1] / 2.0;
    Ok(OnBed {
        mesh,
        transform,
        quarter_turn,
        size_mm,
    })
}

/// A number as PrusaSlicer's config writes it: the shortest decimal, no float noise from our
/// arithmetic (rounded to 1e-6, far below any setting's resolution).
fn num(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    let s = format!("{r:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// PrusaSlicer's filament type for a material of the model (its `filament_type` list; TPU is
/// its FLEX, PA12 its PA); `None` for one it does not list.
fn filament_type(material: &str) -> Option<&'static str> {
    Some(match material.to_ascii_uppercase().as_str() {
        "PLA" => "PLA",
        "PETG" => "PETG",
        "ABS" => "ABS",
        "PP" => "PP",
        "PC" => "PC",
        "PA" | "PA6" | "PA12" | "NYLON" => "PA",
        "TPU" => "FLEX",
        _ => return None,
    })
}

/// What the slicer config is made of: the printer of the model and the settings the estimate
/// used, the baseplate's material and the tool's version for the header.
pub struct SlicerInputs<'a> {
    pub printer_name: &'a str,
    pub printer: &'a FffPrinter,
    pub settings: &'a FffSettings,
    pub material: (&'a str, &'a Material),
    pub part: &'a str,
}

/// `Metadata/Slic3r_PE.config`: the printer's profile with the estimate's settings, in
/// PrusaSlicer's keys and units. Line widths follow the nozzle as in the estimate
/// (`process::fff`); the first layer is as thick as the others, as the estimate prints it.
/// Temperatures are not in the models and are left to the slicer's filament preset.
pub fn prusa_config(i: &SlicerInputs) -> String {
    let (material_name, _) = i.material;
    let mut lines = layer_rows(i.printer, i.settings);
    lines.extend(width_rows(i.printer, i.settings));
    lines.extend(speed_rows(i.printer));
    lines.extend(machine_limit_rows(i.printer));
    lines.extend(retract_and_cooling_rows(i.printer));
    lines.extend(material_and_id_rows(i));
    if let Some(t) = filament_type(material_name) {
        lines.push(("filament_type", t.into()));
    }
    let mut out = format!(
        "; generated by hybridplan {}: the baseplate of {} on printer {} (the settings its estimate used)\n",
        env!("CARGO_PKG_VERSION"),
        one_line(i.part),
        one_line(i.printer_name)
    );
    for (k, v) in lines {
        out.push_str(&format!("; {k} = {}\n", one_line(&v)));
    }
    out
}

/// One row of the slicer config: a PrusaSlicer key and its value.
type ConfigRow = (&'static str, String);

/// The printer's kind, bed and height, and the layers: their height, the perimeters, the
/// solid layers and the infill.
fn layer_rows(p: &FffPrinter, s: &FffSettings) -> Vec<ConfigRow> {
    let [bx, by, bz] = p.build_volume_mm;
    vec![
        ("printer_technology", "FFF".into()),
        // The machine limits below are the firmware's (Marlin 2), as the peers' reference
        // profile the desktop printer was measured against.
        ("gcode_flavor", "marlin2".into()),
        (
            "bed_shape",
            format!("0x0,{}x0,{}x{},0x{}", num(bx), num(bx), num(by), num(by)),
        ),
        ("max_print_height", num(bz)),
        ("nozzle_diameter", num(s.nozzle_mm)),
        ("layer_height", num(s.layer_mm)),
        ("first_layer_height", num(s.layer_mm)),
        ("perimeters", s.perimeters.to_string()),
        ("top_solid_layers", p.top_solid_layers.to_string()),
        ("bottom_solid_layers", p.bottom_solid_layers.to_string()),
        // The solid layers by count only, as the estimate counts them.
        ("top_solid_min_thickness", "0".into()),
        ("bottom_solid_min_thickness", "0".into()),
        (
            "fill_density",
            format!(
                "{}%",
                num((s.infill_fraction * 100.0 * 100.0).round() / 100.0)
            ),
        ),
        ("fill_pattern", "grid".into()),
        ("infill_every_layers", "1".into()),
        (
            "solid_infill_below_area",
            num(p.solid_infill_below_area_mm2),
        ),
        (
            "infill_overlap",
            format!("{}%", num(p.infill_overlap_fraction * 100.0)),
        ),
    ]
}

/// The line widths, scaled with the nozzle as in the estimate.
fn width_rows(p: &FffPrinter, s: &FffSettings) -> Vec<ConfigRow> {
    let scale = s.nozzle_mm / p.nozzle_mm;
    let width = num(p.extrusion_width_mm * scale);
    vec![
        ("extrusion_width", width.clone()),
        ("perimeter_extrusion_width", width.clone()),
        ("external_perimeter_extrusion_width", width.clone()),
        ("infill_extrusion_width", width.clone()),
        ("solid_infill_extrusion_width", width),
        (
            "top_infill_extrusion_width",
            num(p.top_infill_extrusion_width_mm * scale),
        ),
        (
            "first_layer_extrusion_width",
            num(p.first_layer_extrusion_width_mm * scale),
        ),
    ]
}

/// The speeds and the accelerations of each kind of line.
fn speed_rows(p: &FffPrinter) -> Vec<ConfigRow> {
    vec![
        ("perimeter_speed", num(p.perimeter_speed_mm_s)),
        (
            "external_perimeter_speed",
            num(p.external_perimeter_speed_mm_s),
        ),
        ("small_perimeter_speed", num(p.small_perimeter_speed_mm_s)),
        ("infill_speed", num(p.infill_speed_mm_s)),
        ("solid_infill_speed", num(p.solid_infill_speed_mm_s)),
        ("top_solid_infill_speed", num(p.top_solid_infill_speed_mm_s)),
        ("bridge_speed", num(p.bridge_speed_mm_s)),
        ("first_layer_speed", num(p.first_layer_speed_mm_s)),
        ("travel_speed", num(p.travel_speed_mm_s)),
        ("max_volumetric_speed", num(p.max_volumetric_speed_mm3_s)),
        (
            "perimeter_acceleration",
            num(p.perimeter_acceleration_mm_s2),
        ),
        ("infill_acceleration", num(p.infill_acceleration_mm_s2)),
        ("bridge_acceleration", num(p.bridge_acceleration_mm_s2)),
        (
            "first_layer_acceleration",
            num(p.first_layer_acceleration_mm_s2),
        ),
    ]
}

/// The firmware's machine limits, which the slicer's time estimate obeys.
fn machine_limit_rows(p: &FffPrinter) -> Vec<ConfigRow> {
    let xy = num(p.max_acceleration_xy_mm_s2);
    vec![
        ("machine_limits_usage", "time_estimate_only".into()),
        ("machine_max_acceleration_x", xy.clone()),
        ("machine_max_acceleration_y", xy),
        (
            "machine_max_acceleration_z",
            num(p.max_acceleration_z_mm_s2),
        ),
        (
            "machine_max_acceleration_extruding",
            num(p.max_acceleration_extruding_mm_s2),
        ),
        (
            "machine_max_acceleration_retracting",
            num(p.max_acceleration_retracting_mm_s2),
        ),
        (
            "machine_max_acceleration_travel",
            num(p.travel_acceleration_mm_s2),
        ),
        ("machine_max_feedrate_z", num(p.max_speed_z_mm_s)),
        ("machine_max_jerk_x", num(p.max_jerk_xy_mm_s)),
        ("machine_max_jerk_y", num(p.max_jerk_xy_mm_s)),
        ("machine_max_jerk_z", num(p.max_jerk_z_mm_s)),
    ]
}

/// Retraction and the slowdown of short layers.
fn retract_and_cooling_rows(p: &FffPrinter) -> Vec<ConfigRow> {
    vec![
        ("retract_length", num(p.retract_length_mm)),
        ("retract_speed", num(p.retract_speed_mm_s)),
        ("retract_lift", num(p.retract_lift_mm)),
        ("retract_before_travel", num(p.retract_before_travel_mm)),
        ("wipe", if p.wipe { "1" } else { "0" }.into()),
        (
            "slowdown_below_layer_time",
            num(p.slowdown_below_layer_time_s),
        ),
        ("min_print_speed", num(p.min_print_speed_mm_s)),
    ]
}

/// No support, skirt or brim; the filament's density and price; the names of the print,
/// printer and filament settings.
fn material_and_id_rows(i: &SlicerInputs) -> Vec<ConfigRow> {
    let (material_name, material) = i.material;
    vec![
        // The insert goes into the mold as printed: nothing around it to break off.
        ("support_material", "0".into()),
        ("skirts", "0".into()),
        ("brim_width", "0".into()),
        ("filament_density", num(material.density_g_cm3)),
        ("filament_cost", num(material.filament_price_per_kg)),
        (
            "print_settings_id",
            format!("hybridplan {}: {}", i.printer_name, i.part),
        ),
        (
            "printer_settings_id",
            format!("hybridplan {}", i.printer_name),
        ),
        (
            "filament_settings_id",
            format!("hybridplan {material_name}"),
        ),
    ]
}

/// A value on one line: a line break in a name would end the setting and start another.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Writes `STEM.baseplate.3mf` atomically: the placed plate as one object, the standard
/// metadata (`Application`, `Title`, `Description`; no `CreationDate`, so that the same input
/// gives the same bytes, as every package the tool writes), and PrusaSlicer's config when
/// there is one.
pub fn write_baseplate_3mf(
    path: &std::path::Path,
    part: &str,
    on_bed: &OnBed,
    prusa_config: Option<&str>,
) -> Result<(), WriteError> {
    let name = format!("{part} baseplate");
    let metadata = [
        ("Title", name.clone()),
        (
            "Description",
            format!(
                "The printed baseplate (the insert) of {part}, pores up, as it prints; the ribs are overmolded onto its top face"
            ),
        ),
    ];
    let files: Vec<(&str, &[u8])> = prusa_config
        .map(|c| (PRUSA_CONFIG_PATH, c.as_bytes()))
        .into_iter()
        .collect();
    let extras = Extras {
        metadata: &metadata,
        item_transforms: std::slice::from_ref(&on_bed.transform),
        files: &files,
    };
    threemf::write_3mf_with(path, &[NamedMesh::part(&name, &on_bed.mesh)], None, &extras)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_float_noise() {
        assert_eq!(num(0.2), "0.2");
        assert_eq!(num(0.45 * 0.6 / 0.4), "0.675");
        assert_eq!(num(35.000000000001), "35");
        assert_eq!(num(250.0), "250");
        assert_eq!(num(-0.0000001), "0");
    }

    /// A plate standing on its edge, its interface face towards -x: laid down, that face is
    /// the top, its longer edge along x, centred on 0.
    #[test]
    fn a_plate_facing_minus_x_is_laid_pores_up_and_centred() {
        // The plate spans x 5..7 (2 mm thick), y 0..10, z 0..4; the interface face at x = 5
        // faces -x. Its longer in-plane edge is y.
        let plate = Mesh::cuboid([5.0, 0.0, 0.0], [7.0, 10.0, 4.0]);
        let n = Vector3::new(-1.0, 0.0, 0.0);
        let u = Vector3::new(0.0, 1.0, 0.0);
        let placed = place_on_bed(&plate, &n, &u, [250.0, 210.0]).unwrap();
        let b = placed.mesh.bounds().unwrap();
        assert!(!placed.quarter_turn);
        assert_eq!(placed.size_mm, [10.0, 4.0, 2.0]);
        for (got, want) in [
            (b.min.x, -5.0),
            (b.max.x, 5.0),
            (b.min.y, -2.0),
            (b.max.y, 2.0),
            (b.min.z, 0.0),
            (b.max.z, 2.0),
        ] {
            assert!((got - want).abs() < 1e-12, "{b:?}");
        }
        // Not mirrored: the volume keeps its sign (10 * 4 * 2 = 80 mm3).
        assert!((placed.mesh.signed_volume_mm3() - 80.0).abs() < 1e-9);
        assert_eq!(placed.transform[9..], [125.0, 105.0, 0.0]);
        // The interface face (x = 5 before) is now the top, z = 2: the vertex that was at
        // (5, 0, 0) sits at z = 2.
        let i = plate
            .vertices
            .iter()
            .position(|p| *p == Point3::new(5.0, 0.0, 0.0))
            .unwrap();
        assert!((placed.mesh.vertices[i].z - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_plate_longer_than_the_bed_is_turned_a_quarter_where_that_fits() {
        // 230 x 100 on a 220 x 240 bed: only across.
        let plate = Mesh::cuboid([0.0, 0.0, 0.0], [230.0, 100.0, 3.0]);
        let placed = place_on_bed(&plate, &Vector3::z(), &Vector3::x(), [220.0, 240.0]).unwrap();
        assert!(placed.quarter_turn);
        assert_eq!(placed.size_mm, [100.0, 230.0, 3.0]);
        let b = placed.mesh.bounds().unwrap();
        assert!((b.max.y - 115.0).abs() < 1e-12 && (b.max.x - 50.0).abs() < 1e-12);
        assert!((placed.mesh.signed_volume_mm3() - 230.0 * 100.0 * 3.0).abs() < 1e-6);
    }

    #[test]
    fn config_lines_carry_the_estimate_settings() {
        let printer = crate::models::default_printer();
        let settings = FffSettings {
            layer_mm: 0.15,
            nozzle_mm: 0.6,
            perimeters: 3,
            infill_fraction: 0.35,
        };
        let models = crate::models::ModelSet::embedded().unwrap();
        let (name, pla) = models.materials.get("PLA").unwrap();
        let text = prusa_config(&SlicerInputs {
            printer_name: "desktop_fff",
            printer: &printer,
            settings: &settings,
            material: (name, pla),
            part: "plate\nx",
        });
        let first = text.lines().next().unwrap();
        assert!(first.starts_with("; generated by hybridplan"), "{first}");
        assert!(first.contains("plate x"));
        for want in [
            "; layer_height = 0.15",
            "; first_layer_height = 0.15",
            "; nozzle_diameter = 0.6",
            "; perimeters = 3",
            "; fill_density = 35%",
            // 0.45 mm lines of the 0.4 mm nozzle, scaled to 0.6 mm: 0.675 mm.
            "; extrusion_width = 0.675",
            "; bed_shape = 0x0,250x0,250x210,0x210",
            "; max_print_height = 210",
            "; filament_type = PLA",
            "; filament_density = 1.24",
        ] {
            assert!(text.lines().any(|l| l == want), "{want} missing in\n{text}");
        }
        assert!(text.lines().all(|l| l.starts_with("; ")));
    }
}
