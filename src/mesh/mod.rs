//! The ground floor: the indexed triangle mesh, STL, 3MF and OBJ input, STL and 3MF output,
//! welding and topology checks. Nothing here imports any other module of the project.

pub mod check;
pub mod error;
pub mod format;
pub mod input;
pub mod load;
pub mod obj;
pub mod package;
pub mod polygon;
pub mod section;
pub mod shells;
pub mod stl;
pub mod threemf;
pub mod threemf_read;
pub mod units;
pub mod weld;

pub use check::{CheckedMesh, MeshReport};
pub use error::MeshError;
pub use format::MeshFormat;
pub use load::{LoadOptions, load, read_mesh};
pub use units::Units;

use nalgebra::{Point3, Vector3};
use rayon::prelude::*;

/// Items per chunk of the deterministic parallel sums.
pub const SUM_CHUNK: usize = 1 << 14;

/// Sums `f` over `items` in parallel and deterministically: fixed chunks are summed in
/// parallel and the partial sums added in order, so the result does not depend on how the
/// threads shared the work (rayon's own `sum` may add in a different order on every run).
pub fn par_sum<T: Sync>(items: &[T], f: impl Fn(&T) -> f64 + Sync) -> f64 {
    items
        .par_chunks(SUM_CHUNK)
        .map(|c| c.iter().map(&f).sum::<f64>())
        .collect::<Vec<f64>>()
        .into_iter()
        .sum()
}

/// An indexed triangle mesh in millimetres. Triangles are counter-clockwise seen from outside
/// (right-hand rule gives the outward normal) once the mesh has been checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    pub vertices: Vec<Point3<f64>>,
    pub triangles: Vec<[u32; 3]>,
}

/// An axis-aligned bounding box in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Point3<f64>,
    pub max: Point3<f64>,
}

impl Aabb {
    pub fn size(&self) -> Vector3<f64> {
        self.max - self.min
    }
    pub fn center(&self) -> Point3<f64> {
        nalgebra::center(&self.min, &self.max)
    }
    pub fn diagonal(&self) -> f64 {
        self.size().norm()
    }
}

impl Mesh {
    pub fn new(vertices: Vec<Point3<f64>>, triangles: Vec<[u32; 3]>) -> Self {
        Mesh {
            vertices,
            triangles,
        }
    }

    /// The three corners of triangle `t`.
    #[inline]
    pub fn corners(&self, t: &[u32; 3]) -> [Point3<f64>; 3] {
        [
            self.vertices[t[0] as usize],
            self.vertices[t[1] as usize],
            self.vertices[t[2] as usize],
        ]
    }

    /// Bounding box of the vertices that triangles use; `None` for a mesh without triangles.
    pub fn bounds(&self) -> Option<Aabb> {
        let first = self.vertices[*self.triangles.first()?.first()? as usize];
        // Min and max do not depend on the order of combining, so this is deterministic.
        let (min, max) = self
            .triangles
            .par_chunks(SUM_CHUNK)
            .map(|chunk| {
                chunk.iter().flatten().fold((first, first), |(lo, hi), &i| {
                    let p = &self.vertices[i as usize];
                    (lo.inf(p), hi.sup(p))
                })
            })
            .reduce(|| (first, first), |a, b| (a.0.inf(&b.0), a.1.sup(&b.1)));
        Some(Aabb { min, max })
    }

    /// Total surface area in mm².
    pub fn area_mm2(&self) -> f64 {
        par_sum(&self.triangles, |t| {
            let [a, b, c] = self.corners(t);
            (b - a).cross(&(c - a)).norm() * 0.5
        })
    }

    /// Signed volume in mm³ (positive for a closed mesh with outward normals), by the divergence
    /// theorem. Coordinates are taken relative to one of the mesh's own vertices so that a part
    /// far from the origin does not lose digits to cancellation.
    pub fn signed_volume_mm3(&self) -> f64 {
        let Some(t) = self.triangles.first() else {
            return 0.0;
        };
        let o = self.vertices[t[0] as usize].coords;
        let six_v = par_sum(&self.triangles, |t| {
            let [a, b, c] = self.corners(t);
            (a.coords - o).dot(&(b.coords - o).cross(&(c.coords - o)))
        });
        six_v / 6.0
    }

    /// Reverses the winding of every triangle (turns all normals around).
    pub fn flip(&mut self) {
        for t in &mut self.triangles {
            t.swap(1, 2);
        }
    }

    /// Applies `f` to every vertex (a rotation, a translation, a unit scale).
    pub fn map_vertices(&mut self, f: impl Fn(&Point3<f64>) -> Point3<f64>) {
        for p in &mut self.vertices {
            *p = f(p);
        }
    }

    /// Appends `other` as separate triangles (its vertices are not merged with ours).
    pub fn append(&mut self, other: &Mesh) {
        let base = self.vertices.len() as u32;
        self.vertices.extend_from_slice(&other.vertices);
        self.triangles
            .extend(other.triangles.iter().map(|t| t.map(|i| i + base)));
    }

    /// An axis-aligned box from `min` to `max`, outward normals, 12 triangles (tests,
    /// benchmarks and generated fixtures build their parts from it).
    pub fn cuboid(min: [f64; 3], max: [f64; 3]) -> Mesh {
        let v = |i: usize| {
            Point3::new(
                if i & 1 == 0 { min[0] } else { max[0] },
                if i & 2 == 0 { min[1] } else { max[1] },
                if i & 4 == 0 { min[2] } else { max[2] },
            )
        };
        let vertices = (0..8).map(v).collect();
        let triangles = vec![
            [0, 2, 1],
            [1, 2, 3], // z = min, facing -z
            [4, 5, 6],
            [5, 7, 6], // z = max
            [0, 1, 4],
            [1, 5, 4], // y = min
            [2, 6, 3],
            [3, 6, 7], // y = max
            [0, 4, 2],
            [2, 4, 6], // x = min
            [1, 3, 5],
            [3, 7, 5], // x = max
        ];
        Mesh::new(vertices, triangles)
    }

    /// The same solid re-tessellated: every triangle split into four at its edge midpoints,
    /// each midpoint shared by the edge's two triangles (the mesh stays closed and welded).
    /// CAD tools export fine meshes of coarse solids; tests and benchmarks use this to check
    /// that no figure depends on the tessellation.
    pub fn subdivided(&self) -> Mesh {
        let mut vertices = self.vertices.clone();
        let mut midpoints: hashbrown::HashMap<(u32, u32), u32> =
            hashbrown::HashMap::with_capacity(self.triangles.len() * 3 / 2);
        let mut mid = |a: u32, b: u32, vertices: &mut Vec<Point3<f64>>| {
            let key = (a.min(b), a.max(b));
            *midpoints.entry(key).or_insert_with(|| {
                let p = nalgebra::center(&vertices[a as usize], &vertices[b as usize]);
                vertices.push(p);
                (vertices.len() - 1) as u32
            })
        };
        let mut triangles = Vec::with_capacity(self.triangles.len() * 4);
        for &[a, b, c] in &self.triangles {
            let ab = mid(a, b, &mut vertices);
            let bc = mid(b, c, &mut vertices);
            let ca = mid(c, a, &mut vertices);
            triangles.extend_from_slice(&[[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]]);
        }
        Mesh::new(vertices, triangles)
    }
}

#[cfg(test)]
pub(crate) mod test_shapes {
    use super::*;

    /// An axis-aligned box from `min` to `max`, outward normals, 12 triangles.
    pub fn cuboid(min: [f64; 3], max: [f64; 3]) -> Mesh {
        Mesh::cuboid(min, max)
    }

    #[test]
    fn cuboid_volume_area_bounds() {
        let m = cuboid([1.0, 2.0, 3.0], [4.0, 6.0, 8.0]);
        assert!((m.signed_volume_mm3() - 3.0 * 4.0 * 5.0).abs() < 1e-12);
        assert!((m.area_mm2() - 2.0 * (12.0 + 15.0 + 20.0)).abs() < 1e-12);
        let bb = m.bounds().unwrap();
        assert_eq!(bb.min, Point3::new(1.0, 2.0, 3.0));
        assert_eq!(bb.max, Point3::new(4.0, 6.0, 8.0));
        let mut f = m.clone();
        f.flip();
        assert!((f.signed_volume_mm3() + 60.0).abs() < 1e-12);
    }
}
