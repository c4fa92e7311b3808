//! 3MF input (3MF core specification 1.3, and the production extension's `p:path` by which
//! Bambu Studio and OrcaSlicer keep each object in a model part of its own): every mesh the
//! build places, through its build item's transform and its components' (recursively), merged
//! into one mesh as a multi-shell STL would be, in the unit the model declares.
//!
//! The package is a ZIP read with the `zip` crate, and each model part is parsed with
//! `quick-xml` as it is inflated, never held whole. PrusaSlicer's own
//! `Metadata/Slic3r_PE_model.config` is read too, for one thing: the volumes of an object that
//! are not printed as part of it (modifiers, support blockers and enforcers, negative volumes,
//! hybridplan's own "interface zone" modifier) are left out, with a warning; every other 3MF
//! reader sees them as solid shells.
//!
//! Bounded by what the file holds:
//! - the parts read (rels, models, config) may inflate to at most [`INFLATE_RATIO`] times the
//!   file's size plus [`INFLATE_FLOOR`], and never past [`MAX_INFLATED_BYTES`]: mesh XML
//!   deflates 4 to 8 times (the samples, the peers' models through PrusaSlicer and our own
//!   writer), a zip bomb a thousand times. A part whose declared size is over the budget is
//!   refused before it is read; one whose data runs past it (a lying header) when it does;
//! - components nest at most [`MAX_COMPONENT_DEPTH`] deep, a cycle is an error, and the build
//!   may place at most [`MAX_PLACEMENTS`] objects (items and components expanded: a small file
//!   of nested components could otherwise place billions) and [`MAX_PLACED_TRIANGLES`]
//!   triangles, counted before a vertex is copied;
//! - every index is checked against its object's vertices, every coordinate and transform must
//!   be finite, and a mesh has at most 2^32 - 1 vertices (u32 indices).
//!
//! Objects of type `support`, `solidsupport`, `surface` and `other` are left out with a
//! warning: they are not the part. A transform with a negative determinant (a mirror) turns
//! its triangles, so the mesh stays outward-facing.

use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::Path;

use hashbrown::HashMap;
use nalgebra::{Matrix4, Vector4};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;
use zip::result::ZipError;

use super::error::{MAX_VERTICES, MeshError};
use super::format::{MeshFormat, RawMesh};
use super::input::Opened;
use super::units::Units;
use super::weld::ExactWelder;

/// Bytes the parts read may inflate to, per byte of the file.
pub const INFLATE_RATIO: u64 = 100;
/// ... plus this much, so that a small file may hold its few kilobytes of XML however well
/// they compress.
pub const INFLATE_FLOOR: u64 = 16 << 20;
/// Never more than this (about 80 million triangles of XML).
pub const MAX_INFLATED_BYTES: u64 = 8 << 30;
/// Deepest nesting of components (real files nest one or two deep).
pub const MAX_COMPONENT_DEPTH: usize = 32;
/// Most objects the build may place, build items and components expanded.
pub const MAX_PLACEMENTS: usize = 10_000;
/// Most triangles the placed objects may have together: as many as a 2.5 GB binary STL.
pub const MAX_PLACED_TRIANGLES: u64 = 50_000_000;

const REL_3DMODEL: &str = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";
const DEFAULT_MODEL: &str = "3D/3dmodel.model";
const PRUSA_CONFIG: &str = "Metadata/Slic3r_PE_model.config";
/// Extensions whose requirement changes nothing of the geometry read here.
const HARMLESS_EXTENSIONS: &[&str] = &[
    "http://schemas.microsoft.com/3dmanufacturing/core/2015/02",
    "http://schemas.microsoft.com/3dmanufacturing/production/2015/06",
    "http://schemas.microsoft.com/3dmanufacturing/material/2015/02",
];

/// A 3MF affine transform for column vectors (the file's row-vector matrix, transposed).
type Affine = Matrix4<f64>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    Model,
    Other,
}

struct Object {
    kind: ObjectKind,
    /// The `type` attribute as written, for messages.
    type_name: String,
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
    components: Vec<Reference>,
}

/// A build item or a component: an object (in a model part, or this one) and a transform.
struct Reference {
    /// `p:path`: the model part that holds the object, when it is not the referring one.
    part: Option<String>,
    object: u32,
    transform: Affine,
    line: u64,
}

struct Model {
    /// The part's name in the package, for messages.
    name: String,
    unit: Units,
    objects: HashMap<u32, Object>,
    items: Vec<Reference>,
    had_build: bool,
    /// Required extensions this reader does not know.
    unknown_required: Vec<String>,
}

/// The bytes the package may still inflate to.
struct Budget {
    limit: u64,
    left: u64,
}

/// A reader that errs once more than `left` bytes come from it.
struct Capped<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // At the budget: fine if the data ends here, an error if there is more.
            let mut one = [0u8; 1];
            if buf.is_empty() || self.inner.read(&mut one)? == 0 {
                return Ok(0);
            }
            self.over = true;
            return Err(io::Error::other("over the inflate budget"));
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Counts the newlines consumed, for the line numbers of messages.
struct Lines<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        // The buffer is filled already (`amt` bytes of it were returned): no I/O here.
        if amt > 0
            && let Ok(b) = self.inner.fill_buf()
        {
            self.newlines += memchr::memchr_iter(b'\n', &b[..amt.min(b.len())]).count() as u64;
        }
        self.inner.consume(amt);
    }
}

/// The package being read: the archive, the file's name for messages and the budget.
struct Package<'p, R: Read + Seek> {
    path: &'p Path,
    zip: ZipArchive<R>,
    budget: Budget,
}

type XmlReader<'z, R> = Reader<Lines<BufReader<Capped<zip::read::ZipFile<'z, R>>>>>;

impl<'p, R: Read + Seek> Package<'p, R> {
    fn err(&self, detail: String) -> MeshError {
        MeshError::ThreeMf {
            path: self.path.to_path_buf(),
            detail,
        }
    }

    /// The entry named `name` (OPC part names compare without case; a leading `/` dropped).
    fn find(&self, name: &str) -> Option<usize> {
        let name = name.trim_start_matches('/');
        self.zip.index_for_name(name).or_else(|| {
            let found = self
                .zip
                .file_names()
                .find(|n| n.eq_ignore_ascii_case(name))?
                .to_string();
            self.zip.index_for_name(&found)
        })
    }

    /// Parses entry `index` (named `name`) with `parse`, within the budget.
    fn parse_entry<T>(
        &mut self,
        index: usize,
        name: &str,
        parse: impl FnOnce(
            &mut XmlReader<'_, R>,
            &dyn Fn(u64, String) -> MeshError,
        ) -> Result<T, MeshError>,
    ) -> Result<T, MeshError> {
        let path = self.path;
        let zip_err = |e: ZipError| zip_error(path, name, e);
        let (limit, left) = (self.budget.limit, self.budget.left);
        let entry = self.zip.by_index(index).map_err(zip_err)?;
        let declared = entry.size();
        if declared > left {
            return Err(MeshError::ThreeMf {
                path: path.to_path_buf(),
                detail: format!(
                    "{name} declares {declared} bytes uncompressed, more than the {left} left of the {limit} bytes a package of this size may inflate to (a zip bomb?)"
                ),
            });
        }
        let capped = Capped {
            inner: entry,
            left,
            over: false,
        };
        let lines = Lines {
            inner: BufReader::with_capacity(1 << 16, capped),
            newlines: 0,
        };
        let mut xml = Reader::from_reader(lines);
        let at = |line: u64, detail: String| MeshError::ThreeMf {
            path: path.to_path_buf(),
            detail: format!("{name} line {line}: {detail}"),
        };
        let result = parse(&mut xml, &at);
        let capped = xml.get_ref().inner.get_ref();
        if capped.over {
            return Err(MeshError::ThreeMf {
                path: path.to_path_buf(),
                detail: format!(
                    "{name} inflates to more than the {left} bytes left of the {limit} a package of this size may inflate to (a zip bomb?)"
                ),
            });
        }
        self.budget.left = capped.left;
        result
    }
}

fn zip_error(path: &Path, name: &str, e: ZipError) -> MeshError {
    let detail = match e {
        ZipError::CompressionMethodNotSupported(m) => {
            format!("{name} is compressed with ZIP method {m}; 3MF parts are stored or deflated")
        }
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => {
            format!("{name} is encrypted")
        }
        e => format!("{name}: cannot read it from the ZIP archive: {e}"),
    };
    MeshError::ThreeMf {
        path: path.to_path_buf(),
        detail,
    }
}

/// The message of an XML error.
fn xml_detail(e: quick_xml::Error) -> String {
    match e {
        quick_xml::Error::Io(io) => format!("cannot read: {io}"),
        e => format!("not well-formed XML: {e}"),
    }
}

/// Reads a 3MF package (see the module comment).
pub fn read_3mf(path: &Path, opened: Opened) -> Result<RawMesh, MeshError> {
    let Opened { reader, len, .. } = opened;
    let zip = ZipArchive::new(reader).map_err(|e| MeshError::ThreeMf {
        path: path.to_path_buf(),
        detail: format!("not a readable ZIP archive (truncated or damaged?): {e}"),
    })?;
    let limit = len
        .saturating_mul(INFLATE_RATIO)
        .saturating_add(INFLATE_FLOOR)
        .min(MAX_INFLATED_BYTES);
    let mut pkg = Package {
        path,
        zip,
        budget: Budget { limit, left: limit },
    };
    let root_name = root_model_name(&mut pkg)?;
    let Some(root_index) = pkg.find(&root_name) else {
        return Err(pkg.err(format!(
            "a ZIP archive without the 3D model part {root_name}: not a 3MF file"
        )));
    };
    let mut warnings = Vec::new();
    let (mut models, by_name) = read_parts(&mut pkg, root_index, &root_name, &mut warnings)?;
    for m in &models {
        for ext in &m.unknown_required {
            warnings.push(format!(
                "{} requires the 3MF extension {ext}, which hybridplan does not read: what it adds to the geometry is missing",
                m.name
            ));
        }
    }
    if let Some(index) = pkg.find(PRUSA_CONFIG) {
        let volumes = read_prusa_config(&mut pkg, index)?;
        drop_prusa_volumes(&mut models[0], volumes, &mut warnings);
    }
    if !models[0].had_build || models[0].items.is_empty() {
        return Err(pkg.err(format!(
            "{}: the model has no build items: it places nothing to print",
            models[0].name
        )));
    }
    let (placements, placed_triangles) = place_build(&models, &by_name, path, &mut warnings)?;
    let (vertices, triangles) = weld_placements(&pkg, &models, &placements, placed_triangles)?;
    Ok(RawMesh {
        format: MeshFormat::ThreeMf,
        vertices,
        triangles,
        warnings,
        unit: Some(models[0].unit),
    })
}

/// The root model part and every model part it names by `p:path` (and they name), each read
/// once, with the index of each by its lower-case name; a part in another unit than the
/// root's is read in the root's, with a warning.
fn read_parts<R: Read + Seek>(
    pkg: &mut Package<'_, R>,
    root_index: usize,
    root_name: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Model>, HashMap<String, usize>), MeshError> {
    let root = read_model(pkg, root_index, root_name, true)?;
    let mut models = vec![root];
    // Model parts named by `p:path`, each read once: the worklist grows as they name others.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    by_name.insert(root_name.to_ascii_lowercase(), 0);
    let mut next = 0;
    while next < models.len() {
        let refs: Vec<(String, u64)> = models[next]
            .items
            .iter()
            .chain(models[next].objects.values().flat_map(|o| &o.components))
            .filter_map(|r| r.part.clone().map(|p| (p, r.line)))
            .collect();
        let from = models[next].name.clone();
        for (part, line) in refs {
            let key = part.trim_start_matches('/').to_ascii_lowercase();
            if by_name.contains_key(&key) {
                continue;
            }
            let Some(index) = pkg.find(&part) else {
                return Err(pkg.err(format!(
                    "{from} line {line}: refers to the model part {part}, which the package does not hold"
                )));
            };
            let name = part.trim_start_matches('/').to_string();
            let model = read_model(pkg, index, &name, false)?;
            if model.unit != models[0].unit {
                warnings.push(format!(
                    "{name} declares {} but the root model {}: read in the root model's, as the production extension says",
                    model.unit.long_name(),
                    models[0].unit.long_name()
                ));
            }
            by_name.insert(key, models.len());
            models.push(model);
        }
        next += 1;
    }
    Ok((models, by_name))
}

/// Every mesh the root model's build places (through components), before a vertex is
/// copied, and the triangles they hold; objects left out for their type, and a build of
/// more than one mesh, are warned of.
fn place_build(
    models: &[Model],
    by_name: &HashMap<String, usize>,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Placement>, u64), MeshError> {
    let mut placer = Placer {
        models,
        by_name,
        path,
        placements: Vec::new(),
        visits: 0,
        triangles: 0,
        skipped: Vec::new(),
        stack: Vec::new(),
    };
    for (k, item) in models[0].items.iter().enumerate() {
        let who = format!(
            "{} line {}: build item {}",
            models[0].name,
            item.line,
            k + 1
        );
        let model = placer.model_of(0, item, &who)?;
        placer.place(model, item.object, item.transform, 0, &who)?;
    }
    let Placer {
        placements,
        skipped,
        triangles: placed_triangles,
        ..
    } = placer;
    for (model, id, type_name) in &skipped {
        warnings.push(format!(
            "{}: object {id} is of type '{type_name}', not a model: left out",
            models[*model].name
        ));
    }
    if placements.is_empty() {
        return Err(MeshError::NoTriangles {
            path: path.to_path_buf(),
        });
    }
    if placements.len() > 1 {
        warnings.push(format!(
            "the build places {} meshes (build items and their components): read as one part of them all",
            placements.len()
        ));
    }
    Ok((placements, placed_triangles))
}

/// Welded vertices and the triangles indexing them.
type Welded = (Vec<[f32; 3]>, Vec<[u32; 3]>);

/// The placed meshes moved into the build and welded into one vertex list (exactly equal
/// vertices shared); a mirroring transform turns its triangles back outward.
fn weld_placements<R: Read + Seek>(
    pkg: &Package<'_, R>,
    models: &[Model],
    placements: &[Placement],
    placed_triangles: u64,
) -> Result<Welded, MeshError> {
    let path = pkg.path;
    let corners = usize::try_from(placed_triangles)
        .unwrap_or(usize::MAX)
        .saturating_mul(3);
    let mut welder = ExactWelder::with_corner_hint(corners);
    let mut triangles = Vec::with_capacity(placed_triangles as usize);
    let mut welded: Vec<u32> = Vec::new();
    for p in placements {
        let object = &models[p.model].objects[&p.object];
        let flip = p.transform.fixed_view::<3, 3>(0, 0).determinant() < 0.0;
        welded.clear();
        welded.resize(object.vertices.len(), u32::MAX);
        for t in &object.triangles {
            let mut out = [0u32; 3];
            for (o, &i) in out.iter_mut().zip(t) {
                let i = i as usize;
                if welded[i] == u32::MAX {
                    let v = object.vertices[i];
                    let q = p.transform * Vector4::new(v[0] as f64, v[1] as f64, v[2] as f64, 1.0);
                    let q = [q.x as f32, q.y as f32, q.z as f32];
                    if !q.iter().all(|c| c.is_finite()) {
                        return Err(pkg.err(format!(
                            "{}: object {} placed by {}: its transform takes vertex {i} beyond 32-bit floats",
                            models[p.model].name, p.object, p.who
                        )));
                    }
                    welded[i] = welder.index(q);
                    if welder.len() as u64 >= MAX_VERTICES {
                        return Err(MeshError::TooManyVertices {
                            path: path.to_path_buf(),
                            count: welder.len() as u64,
                            limit: MAX_VERTICES,
                        });
                    }
                }
                *o = welded[i];
            }
            if flip {
                out.swap(1, 2);
            }
            triangles.push(out);
        }
    }
    Ok((welder.vertices, triangles))
}

/// One placed mesh: an object of a model part, with its transform to the build.
struct Placement {
    model: usize,
    object: u32,
    transform: Affine,
    /// The build item (and line) it was placed by, for messages.
    who: String,
}

/// Expands build items through components into placements, within the bounds.
struct Placer<'a, 'p> {
    models: &'a [Model],
    by_name: &'a HashMap<String, usize>,
    path: &'p Path,
    placements: Vec<Placement>,
    visits: usize,
    triangles: u64,
    /// Objects left out for their type: (model, id, type).
    skipped: Vec<(usize, u32, String)>,
    /// The objects being expanded, for the cycle check.
    stack: Vec<(usize, u32)>,
}

impl Placer<'_, '_> {
    fn err(&self, detail: String) -> MeshError {
        MeshError::ThreeMf {
            path: self.path.to_path_buf(),
            detail,
        }
    }

    /// The model part a reference in model `from` points into.
    fn model_of(&self, from: usize, r: &Reference, who: &str) -> Result<usize, MeshError> {
        match &r.part {
            None => Ok(from),
            Some(p) => self
                .by_name
                .get(&p.trim_start_matches('/').to_ascii_lowercase())
                .copied()
                .ok_or_else(|| self.err(format!("{who}: refers to the missing model part {p}"))),
        }
    }

    fn place(
        &mut self,
        model: usize,
        id: u32,
        transform: Affine,
        depth: usize,
        who: &str,
    ) -> Result<(), MeshError> {
        self.visits += 1;
        if self.visits > MAX_PLACEMENTS {
            return Err(self.err(format!(
                "the build places more than {MAX_PLACEMENTS} objects (build items and components expanded): more than hybridplan reads as one part"
            )));
        }
        if depth > MAX_COMPONENT_DEPTH {
            return Err(self.err(format!(
                "{who}: components nest more than {MAX_COMPONENT_DEPTH} deep"
            )));
        }
        let models = self.models;
        let name = &models[model].name;
        if let Some(at) = self.stack.iter().position(|&s| s == (model, id)) {
            let chain: Vec<String> = self.stack[at..]
                .iter()
                .map(|&(_, o)| o.to_string())
                .chain([id.to_string()])
                .collect();
            return Err(self.err(format!(
                "{name}: object {id} contains itself through its components ({})",
                chain.join(" -> ")
            )));
        }
        let Some(object) = models[model].objects.get(&id) else {
            return Err(self.err(format!(
                "{who}: refers to object {id}, which {name} does not define"
            )));
        };
        if object.kind != ObjectKind::Model {
            if !self.skipped.iter().any(|s| (s.0, s.1) == (model, id)) {
                self.skipped.push((model, id, object.type_name.clone()));
            }
            return Ok(());
        }
        if !object.triangles.is_empty() {
            self.triangles += object.triangles.len() as u64;
            if self.triangles > MAX_PLACED_TRIANGLES {
                return Err(self.err(format!(
                    "the build places more than {MAX_PLACED_TRIANGLES} triangles (build items and components expanded): more than hybridplan reads"
                )));
            }
            self.placements.push(Placement {
                model,
                object: id,
                transform,
                who: who.to_string(),
            });
        }
        self.stack.push((model, id));
        for c in &object.components {
            let into = self.model_of(model, c, who)?;
            self.place(into, c.object, transform * c.transform, depth + 1, who)?;
        }
        self.stack.pop();
        Ok(())
    }
}

/// The root model part's name, from the package relationships (`_rels/.rels`); the usual
/// `3D/3dmodel.model` when they do not say.
fn root_model_name<R: Read + Seek>(pkg: &mut Package<'_, R>) -> Result<String, MeshError> {
    let Some(index) = pkg.find("_rels/.rels") else {
        return Ok(DEFAULT_MODEL.into());
    };
    let target = pkg.parse_entry(index, "_rels/.rels", |xml, at| {
        let mut buf = Vec::new();
        loop {
            let line = xml.get_ref().newlines + 1;
            match xml.read_event_into(&mut buf) {
                Err(e) => return Err(at(line, xml_detail(e))),
                Ok(Event::Eof) => return Ok(None),
                Ok(Event::Start(e) | Event::Empty(e))
                    if e.local_name().as_ref() == "Relationship" =>
                {
                    let mut kind = None;
                    let mut target = None;
                    for a in e.attributes().flatten() {
                        match a.key.local_name().as_ref() {
                            "Type" => kind = Some(a.value.trim().to_string()),
                            "Target" => target = Some(a.value.trim().to_string()),
                            _ => {}
                        }
                    }
                    if kind.as_deref() == Some(REL_3DMODEL)
                        && let Some(t) = target
                    {
                        return Ok(Some(t));
                    }
                }
                Ok(_) => {}
            }
            buf.clear();
        }
    })?;
    Ok(target
        .map(|t| t.trim_start_matches('/').to_string())
        .unwrap_or_else(|| DEFAULT_MODEL.into()))
}

/// The value of attribute `key` (local name) of `e`.
fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .map(|a| a.value.into_owned())
}

fn parse_transform(text: &str) -> Result<Affine, String> {
    let mut m = [0f64; 12];
    let mut words = text.split_ascii_whitespace();
    for v in &mut m {
        let w = words
            .next()
            .ok_or_else(|| format!("transform '{text}' has fewer than 12 numbers"))?;
        *v = w
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("transform '{text}': '{w}' is not a finite number"))?;
    }
    if words.next().is_some() {
        return Err(format!("transform '{text}' has more than 12 numbers"));
    }
    // "m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32": rows of a 4x3 matrix that multiplies
    // row vectors (x y z 1) from the right; as a 4x4 for column vectors, its transpose.
    let mut a = Matrix4::identity();
    for r in 0..4 {
        for c in 0..3 {
            a[(c, r)] = m[r * 3 + c];
        }
    }
    Ok(a)
}

fn parse_reference(e: &BytesStart, line: u64) -> Result<Reference, String> {
    let object = attr(e, "objectid").ok_or("no 'objectid' attribute")?;
    let object = object
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("objectid = '{object}' is not an object id"))?;
    let transform = match attr(e, "transform") {
        Some(t) => parse_transform(&t)?,
        None => Matrix4::identity(),
    };
    Ok(Reference {
        part: attr(e, "path").filter(|p| !p.trim().is_empty()),
        object,
        transform,
        line,
    })
}

/// Where in the model the parser is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum At {
    Model,
    Resources,
    Object,
    Mesh,
    Vertices,
    Triangles,
    Components,
    Build,
    /// A leaf element written with an end tag (`<vertex ...></vertex>`).
    Leaf,
}

/// The three numbers of a `<vertex>`.
fn parse_vertex(e: &BytesStart) -> Result<[f32; 3], String> {
    three_attributes(e, ["x", "y", "z"], number)
}

/// The three indices of a `<triangle>` (its `pid`, `p1`.. of the materials extension ignored).
fn parse_triangle(e: &BytesStart) -> Result<[u32; 3], String> {
    three_attributes(e, ["v1", "v2", "v3"], index)
}

/// The attributes `keys` of an element, each read by `parse`, in one pass over its attributes
/// (the hot path: a model has a vertex or a triangle a line). Without quick-xml's duplicate
/// check, which allocates for every element; a repeated attribute is taken at its last value.
fn three_attributes<T: Copy>(
    e: &BytesStart,
    keys: [&'static str; 3],
    parse: impl Fn(&str, &str) -> Result<T, String>,
) -> Result<[T; 3], String> {
    let mut v = [None; 3];
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| format!("bad attribute: {err}"))?;
        let name = a.key.local_name();
        let Some(k) = keys.iter().position(|key| name.as_ref() == *key) else {
            continue;
        };
        v[k] = Some(parse(keys[k], &a.value)?);
    }
    let get = |k: usize| v[k].ok_or_else(|| format!("no '{}' attribute", keys[k]));
    Ok([get(0)?, get(1)?, get(2)?])
}

/// A coordinate: a finite number that stays finite as a 32-bit float.
fn number(key: &str, text: &str) -> Result<f32, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{key} = '{text}' is not a number"))?;
    let f = v as f32;
    if !f.is_finite() {
        return Err(format!(
            "{key} = '{text}' is not finite (NaN, infinity or beyond 32-bit floats)"
        ));
    }
    Ok(f)
}

fn index(key: &str, text: &str) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| format!("{key} = '{text}' is not an index (a whole number from 0)"))
}

/// The first triangle of `o` with a corner past its vertices: (triangle, index).
fn first_out_of_range(o: &Object) -> Option<(usize, u32)> {
    let n = o.vertices.len();
    o.triangles
        .iter()
        .enumerate()
        .find_map(|(k, t)| t.iter().find(|&&i| i as usize >= n).map(|&i| (k, i)))
}

/// Reads one model part.
fn read_model<R: Read + Seek>(
    pkg: &mut Package<'_, R>,
    index: usize,
    name: &str,
    root: bool,
) -> Result<Model, MeshError> {
    let name_owned = name.to_string();
    pkg.parse_entry(index, name, |xml, at| {
        let mut state = ModelState::new(name_owned, root);
        let mut buf = Vec::with_capacity(1024);
        let mut skip = Vec::new();
        loop {
            let ev = xml.read_event_into(&mut buf);
            let line = xml.get_ref().newlines + 1;
            let fail = |detail: String| at(line, detail);
            let (e, empty) = match ev.map_err(|e| fail(xml_detail(e)))? {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(_) => {
                    state.end_element().map_err(fail)?;
                    buf.clear();
                    continue;
                }
                Event::Eof => break,
                _ => {
                    buf.clear();
                    continue;
                }
            };
            match state.start_element(&e, line).map_err(fail)? {
                Some(s) if s != At::Leaf && !empty => state.stack.push(s),
                // `<object id="3"/>`: an object without a mesh, defined all the same.
                Some(At::Object) => state.close_object().map_err(|d| at(line, d))?,
                // An empty element has no end tag to wait for.
                _ if empty => {}
                // A leaf's content, or an unknown element's, means nothing here: skip to its
                // end tag (quick-xml checks that it matches).
                _ => {
                    let end = e.name().as_ref().to_string();
                    xml.read_to_end_into(quick_xml::name::QName(&end), &mut skip)
                        .map_err(|err| at(xml.get_ref().newlines + 1, xml_detail(err)))?;
                    skip.clear();
                }
            }
            buf.clear();
        }
        let line = xml.get_ref().newlines + 1;
        state.finish().map_err(|d| at(line, d))
    })
}

/// What [`read_model`] has read of a model part so far: the model, whether its `<model>`
/// element was seen, the elements open around the reader and the object being read (its id
/// and what it has so far). Its steps' errors are the detail of the message, without the
/// part and line.
struct ModelState {
    model: Model,
    /// The root model part (only it may place objects of other parts).
    root: bool,
    saw_model: bool,
    stack: Vec<At>,
    object: Option<(u32, Object)>,
}

impl ModelState {
    fn new(name: String, root: bool) -> Self {
        ModelState {
            model: Model {
                name,
                unit: Units::Mm,
                objects: HashMap::new(),
                items: Vec::new(),
                had_build: false,
                unknown_required: Vec::new(),
            },
            root,
            saw_model: false,
            stack: Vec::new(),
            object: None,
        }
    }

    /// An end tag: an object is defined when it closes, a mesh checked for triangles that
    /// name vertices it does not have.
    fn end_element(&mut self) -> Result<(), String> {
        match self.stack.pop() {
            Some(At::Object) => self.close_object(),
            Some(At::Mesh) => {
                if let Some((id, o)) = &self.object
                    && let Some((k, bad)) = first_out_of_range(o)
                {
                    return Err(format!(
                        "object {id}, triangle {k}: vertex index {bad} is out of range (the object has {} vertices)",
                        o.vertices.len()
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Defines the object being read (an id given twice is an error).
    fn close_object(&mut self) -> Result<(), String> {
        if let Some((id, o)) = self.object.take()
            && self.model.objects.insert(id, o).is_some()
        {
            return Err(format!("object id {id} is defined twice"));
        }
        Ok(())
    }

    /// A start tag (or an empty element) at `line`: what it adds to the model, and the
    /// element it opens (`None`: one this reader skips whole, with what is inside it).
    fn start_element(&mut self, e: &BytesStart, line: u64) -> Result<Option<At>, String> {
        let local = e.local_name();
        Ok(match (self.stack.last().copied(), local.as_ref()) {
            (None, "model") => Some(self.model_element(e)?),
            (None, other) => {
                return Err(format!("the document is a <{other}>, not a 3MF <model>"));
            }
            (Some(At::Model), "resources") => Some(At::Resources),
            (Some(At::Model), "build") => {
                self.model.had_build = true;
                Some(At::Build)
            }
            (Some(At::Resources), "object") => Some(self.object_element(e)?),
            (Some(At::Object), "mesh") => Some(At::Mesh),
            (Some(At::Object), "components") => Some(At::Components),
            (Some(At::Mesh), "vertices") => Some(At::Vertices),
            (Some(At::Mesh), "triangles") => Some(At::Triangles),
            (Some(At::Vertices), "vertex") => {
                if let Some((id, o)) = self.object.as_mut() {
                    let k = o.vertices.len();
                    let v = parse_vertex(e).map_err(|d| format!("object {id}, vertex {k}: {d}"))?;
                    if k as u64 >= MAX_VERTICES {
                        return Err(format!(
                            "object {id} has more than hybridplan's limit of {MAX_VERTICES} vertices"
                        ));
                    }
                    o.vertices.push(v);
                }
                Some(At::Leaf)
            }
            (Some(At::Triangles), "triangle") => {
                if let Some((id, o)) = self.object.as_mut() {
                    let k = o.triangles.len();
                    let t =
                        parse_triangle(e).map_err(|d| format!("object {id}, triangle {k}: {d}"))?;
                    o.triangles.push(t);
                }
                Some(At::Leaf)
            }
            (Some(At::Components), "component") => {
                if let Some((id, o)) = self.object.as_mut() {
                    let r = parse_reference(e, line)
                        .map_err(|d| format!("object {id}, component: {d}"))?;
                    o.components.push(r);
                }
                Some(At::Leaf)
            }
            (Some(At::Build), "item") => {
                self.build_item(e, line)?;
                Some(At::Leaf)
            }
            // Anything else (metadata, materials, extensions' elements): skipped whole.
            _ => None,
        })
    }

    /// `<model>`: its unit, and the extensions it requires that this reader does not know.
    fn model_element(&mut self, e: &BytesStart) -> Result<At, String> {
        self.saw_model = true;
        if let Some(u) = attr(e, "unit") {
            self.model.unit = Units::from_3mf(u.trim()).ok_or_else(|| {
                format!(
                    "unit '{u}' is not one of micron, millimeter, centimeter, inch, foot, meter"
                )
            })?;
        }
        if let Some(req) = attr(e, "requiredextensions") {
            for prefix in req.split_ascii_whitespace() {
                let ns = attr(e, prefix).unwrap_or_else(|| prefix.to_string());
                if !HARMLESS_EXTENSIONS.contains(&ns.as_str()) {
                    self.model.unknown_required.push(ns);
                }
            }
        }
        Ok(At::Model)
    }

    /// `<object>`: the object now being read, with its id and type.
    fn object_element(&mut self, e: &BytesStart) -> Result<At, String> {
        let id = attr(e, "id").unwrap_or_default();
        let id = id
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|&id| id > 0)
            .ok_or_else(|| format!("object id '{id}' is not an id (a whole number from 1)"))?;
        let type_name = attr(e, "type").unwrap_or_else(|| "model".into());
        let kind = if type_name.trim() == "model" {
            ObjectKind::Model
        } else {
            ObjectKind::Other
        };
        self.object = Some((
            id,
            Object {
                kind,
                type_name,
                vertices: Vec::new(),
                triangles: Vec::new(),
                components: Vec::new(),
            },
        ));
        Ok(At::Object)
    }

    /// A build `<item>` at `line` (only the root model may place objects of other parts).
    fn build_item(&mut self, e: &BytesStart, line: u64) -> Result<(), String> {
        let k = self.model.items.len() + 1;
        let r = parse_reference(e, line).map_err(|d| format!("build item {k}: {d}"))?;
        if r.part.is_some() && !self.root {
            return Err(format!(
                "build item {k}: only the root model may place objects of other parts"
            ));
        }
        self.model.items.push(r);
        Ok(())
    }

    /// The part read to its end: it must have been a `<model>`, and not cut off inside an
    /// open element (quick-xml ends quietly there).
    fn finish(self) -> Result<Model, String> {
        if !self.saw_model {
            return Err("no 3MF <model> element in it".into());
        }
        if let Some(open) = self.stack.last() {
            return Err(format!(
                "the part ends inside <{}> (truncated?)",
                format!("{open:?}").to_lowercase()
            ));
        }
        Ok(self.model)
    }
}

/// A volume of PrusaSlicer's config: its object, triangle range, name and type.
struct PrusaVolume {
    object: u32,
    first: u64,
    last: u64,
    name: String,
    kind: String,
}

/// Reads `Metadata/Slic3r_PE_model.config`: the volumes of each object.
fn read_prusa_config<R: Read + Seek>(
    pkg: &mut Package<'_, R>,
    index: usize,
) -> Result<Vec<PrusaVolume>, MeshError> {
    pkg.parse_entry(index, PRUSA_CONFIG, |xml, at| {
        let mut volumes: Vec<PrusaVolume> = Vec::new();
        let mut object: Option<u32> = None;
        let mut in_volume = false;
        let mut buf = Vec::new();
        loop {
            let ev = xml.read_event_into(&mut buf);
            let line = xml.get_ref().newlines + 1;
            match ev.map_err(|e| at(line, xml_detail(e)))? {
                Event::Eof => break,
                ev @ (Event::Start(_) | Event::Empty(_)) => {
                    let empty = matches!(ev, Event::Empty(_));
                    if let Event::Start(e) | Event::Empty(e) = ev {
                        match e.local_name().as_ref() {
                            "object" => object = attr(&e, "id").and_then(|v| v.trim().parse().ok()),
                            "volume" => {
                                let (Some(o), Some(first), Some(last)) = (
                                    object,
                                    attr(&e, "firstid").and_then(|v| v.trim().parse().ok()),
                                    attr(&e, "lastid").and_then(|v| v.trim().parse().ok()),
                                ) else {
                                    return Err(at(
                                        line,
                                        "a <volume> without an object id, firstid or lastid".into(),
                                    ));
                                };
                                volumes.push(PrusaVolume {
                                    object: o,
                                    first,
                                    last,
                                    name: String::new(),
                                    kind: "ModelPart".into(),
                                });
                                in_volume = !empty;
                            }
                            "metadata" if in_volume => {
                                if let Some(v) = volumes.last_mut() {
                                    let value = attr(&e, "value").unwrap_or_default();
                                    match attr(&e, "key").as_deref() {
                                        Some("name") => v.name = value,
                                        Some("volume_type") => v.kind = value,
                                        // PrusaSlicer before 2.4 marked modifiers so.
                                        Some("modifier") if value.trim() == "1" => {
                                            v.kind = "ParameterModifier".into()
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "volume" => in_volume = false,
                _ => {}
            }
            buf.clear();
        }
        Ok(volumes)
    })
}

/// Leaves out the triangles of volumes that PrusaSlicer does not print as part of their object.
fn drop_prusa_volumes(model: &mut Model, volumes: Vec<PrusaVolume>, warnings: &mut Vec<String>) {
    let mut by_object: HashMap<u32, Vec<PrusaVolume>> = HashMap::new();
    for v in volumes {
        by_object.entry(v.object).or_default().push(v);
    }
    let mut ids: Vec<u32> = by_object.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let vols = &by_object[&id];
        if vols.iter().all(|v| v.kind == "ModelPart") {
            continue;
        }
        let Some(object) = model.objects.get_mut(&id) else {
            continue;
        };
        let n = object.triangles.len() as u64;
        if vols.iter().any(|v| v.first > v.last || v.last >= n) {
            warnings.push(format!(
                "{PRUSA_CONFIG}: the volumes of object {id} do not fit its {n} triangles: its modifiers are read as solid"
            ));
            continue;
        }
        let mut keep = vec![true; n as usize];
        for v in vols.iter().filter(|v| v.kind != "ModelPart") {
            keep[v.first as usize..=v.last as usize].fill(false);
            let what = if v.kind == "NegativeVolume" {
                "PrusaSlicer subtracts it when slicing; here the object is read without the subtraction"
            } else {
                "not printed as part of the object"
            };
            warnings.push(format!(
                "object {id}: PrusaSlicer volume '{}' ({}, {} triangles) left out: {what}",
                v.name,
                v.kind,
                v.last - v.first + 1
            ));
        }
        let mut k = 0;
        object.triangles.retain(|_| {
            k += 1;
            keep[k - 1]
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Matrix3;

    #[test]
    fn transforms_are_the_transpose_of_the_files_row_vector_matrix() {
        // Scale 2, then a quarter turn about z (x -> y), then a move by (10, 20, 30).
        let a = parse_transform("0 2 0 -2 0 0 0 0 2 10 20 30").unwrap();
        let p = a * Vector4::new(1.0, 0.0, 0.0, 1.0);
        assert_eq!((p.x, p.y, p.z), (10.0, 22.0, 30.0));
        let p = a * Vector4::new(0.0, 1.0, 0.0, 1.0);
        assert_eq!((p.x, p.y, p.z), (8.0, 20.0, 30.0));
        assert!(parse_transform("1 0 0 0 1 0 0 0 1 0 0").is_err());
        assert!(parse_transform("1 0 0 0 1 0 0 0 1 0 0 nan").is_err());
        assert!(parse_transform("1 0 0 0 1 0 0 0 1 0 0 0 0").is_err());
        let m3: Matrix3<f64> = a.fixed_view::<3, 3>(0, 0).into();
        assert!((m3.determinant() - 8.0).abs() < 1e-12);
    }
}
