//! Bringing members' molded regions into one frame.
//!
//! Every member's split gives the plane its ribs stand on and the side they stand on, so the
//! frame is fixed but for a turn in the plane and a shift along it. The canonical frame puts
//! the split plane at z = 0 (z into the molded region), the origin under the centroid of the
//! molded surface and x along the larger principal axis of that surface in the plane. The
//! principal axes leave the signs open, and swap when the two spreads are nearly equal, so
//! the four quarter turns of a member's canonical frame are each tried as a start; each is
//! refined by ICP (iterative closest points: Besl and McKay, 1992) restricted to the three
//! motions left (a turn about z and a shift in the plane), with the correspondences farther
//! than three times their median dropped (trimmed ICP, Chetverikov et al., 2002) so that one
//! moved rib does not drag the whole fit towards it. The best start is kept.

use nalgebra::{Isometry3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};
use rayon::prelude::*;

use super::distance::{Surface, percentile};
use super::sample::surface_samples;
use crate::mesh::Mesh;
use crate::mesh::section::Plane;

/// Samples by which the four starts are scored (one pass of closest points each).
const START_SAMPLES: usize = 400;
/// The starts refined coarsely: the best two (the other two are far off when the principal
/// axes are distinct; when they are not, a turned start may score second).
const STARTS_REFINED: usize = 2;
/// Samples used by the coarse ICP of the starts refined.
pub const COARSE_SAMPLES: usize = 1_000;
/// Samples used by the final ICP.
pub const ICP_SAMPLES: usize = 3_000;
/// Iterations of the coarse and the fine ICP, at most.
const COARSE_ITERATIONS: usize = 10;
const FINE_ITERATIONS: usize = 30;
/// Correspondences farther than this are dropped once the fit is close (mm), unless three
/// times the median distance is larger: well under the 0.3 to 1 mm of a changed rib, well
/// over the residual of a good fit.
const TRIM_FLOOR_MM: f64 = 0.2;

/// A member's molded region in its canonical frame, ready to be registered.
pub struct Shape {
    /// From the member's own coordinates to its canonical frame.
    pub to_canonical: Isometry3<f64>,
    /// Surface samples (canonical frame) for the distance.
    pub samples: Vec<Point3<f64>>,
    pub surface: Surface,
}

/// The canonical frame of a molded region standing on the plane through `plane_point` with
/// unit normal `normal` (into the molded region), and its samples.
pub fn shape(
    molded: &Mesh,
    normal: &Vector3<f64>,
    plane_point: &Point3<f64>,
    samples: usize,
) -> Option<Shape> {
    let raw = surface_samples(molded, samples.max(COARSE_SAMPLES));
    if raw.is_empty() {
        return None;
    }
    let n = normal.try_normalize(1e-12)?;
    let centroid =
        Point3::from(raw.iter().map(|p| p.coords).sum::<Vector3<f64>>() / raw.len() as f64);
    let origin = centroid - n * n.dot(&(centroid - plane_point));
    let (b1, b2) = Plane::through(&origin, nalgebra::Unit::new_unchecked(n)).basis();
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in &raw {
        let d = p - origin;
        let (x, y) = (d.dot(&b1), d.dot(&b2));
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
    }
    let phi = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let e1 = b1 * phi.cos() + b2 * phi.sin();
    let e2 = n.cross(&e1);
    let rotation = Rotation3::from_matrix_unchecked(nalgebra::Matrix3::from_rows(&[
        e1.transpose(),
        e2.transpose(),
        n.transpose(),
    ]));
    let rotation = UnitQuaternion::from_rotation_matrix(&rotation);
    let to_canonical =
        Isometry3::from_parts(Translation3::from(-(rotation * origin.coords)), rotation);
    let samples: Vec<Point3<f64>> = raw.iter().map(|p| to_canonical * p).collect();
    let surface = Surface::new(molded, |p| to_canonical * p)?;
    Some(Shape {
        to_canonical,
        samples,
        surface,
    })
}

/// Every `k`-th sample, about `n` of them.
fn subset(samples: &[Point3<f64>], n: usize) -> Vec<Point3<f64>> {
    let step = (samples.len() / n.max(1)).max(1);
    samples.iter().step_by(step).copied().collect()
}

/// A turn by `theta` about z and a shift (x, y).
fn planar(theta: f64, x: f64, y: f64) -> Isometry3<f64> {
    Isometry3::from_parts(
        Translation3::new(x, y, 0.0),
        UnitQuaternion::from_axis_angle(&Vector3::z_axis(), theta),
    )
}

/// The result of registering a member onto a reference.
#[derive(Debug, Clone, Copy)]
pub struct Registration {
    /// From the member's canonical frame to the reference's.
    pub member_to_reference: Isometry3<f64>,
    /// Mean distance of the best 90 % of the samples at the end (mm): how well it fits.
    pub fit_mm: f64,
}

/// Trimmed planar ICP of `points` onto `target` from `start`.
fn icp(
    points: &[Point3<f64>],
    target: &Surface,
    start: Isometry3<f64>,
    iterations: usize,
) -> Registration {
    let mut t = start;
    let mut fit = f64::INFINITY;
    for _ in 0..iterations {
        let pairs: Vec<(Point3<f64>, Point3<f64>, f64)> = points
            .par_iter()
            .map(|p| {
                let q = t * p;
                let c = target.closest(&q);
                (q, c.point, c.distance_mm)
            })
            .collect();
        let mut d: Vec<f64> = pairs.iter().map(|x| x.2).collect();
        let median = percentile(&mut d, 0.5);
        fit = trimmed_mean(&mut d);
        let limit = (3.0 * median).max(TRIM_FLOOR_MM);
        // 2D Procrustes (Kabsch) on the kept pairs: the turn and shift that best move the
        // samples onto their closest points.
        let kept: Vec<&(Point3<f64>, Point3<f64>, f64)> =
            pairs.iter().filter(|x| x.2 <= limit).collect();
        if kept.len() < 3 {
            break;
        }
        let k = kept.len() as f64;
        let (mut pc, mut qc) = ([0.0; 2], [0.0; 2]);
        for (p, q, _) in &kept {
            pc[0] += p.x / k;
            pc[1] += p.y / k;
            qc[0] += q.x / k;
            qc[1] += q.y / k;
        }
        let (mut sxx, mut sxy, mut syx, mut syy) = (0.0, 0.0, 0.0, 0.0);
        for (p, q, _) in &kept {
            let (px, py) = (p.x - pc[0], p.y - pc[1]);
            let (qx, qy) = (q.x - qc[0], q.y - qc[1]);
            sxx += px * qx;
            sxy += px * qy;
            syx += py * qx;
            syy += py * qy;
        }
        let theta = (sxy - syx).atan2(sxx + syy);
        let (s, c) = theta.sin_cos();
        let tx = qc[0] - (c * pc[0] - s * pc[1]);
        let ty = qc[1] - (s * pc[0] + c * pc[1]);
        t = planar(theta, tx, ty) * t;
        if theta.abs() < 1e-9 && tx.hypot(ty) < 1e-7 {
            break;
        }
    }
    Registration {
        member_to_reference: t,
        fit_mm: fit,
    }
}

/// Mean of the smallest 90 % of `d` (reordered).
fn trimmed_mean(d: &mut [f64]) -> f64 {
    if d.is_empty() {
        return f64::INFINITY;
    }
    d.sort_unstable_by(|a, b| a.total_cmp(b));
    let n = ((d.len() as f64 * 0.9).ceil() as usize).max(1);
    d[..n].iter().sum::<f64>() / n as f64
}

/// Registers `member` onto `reference`: the four quarter-turn starts scored, the best two
/// refined coarsely, the better of them finely.
pub fn register(member: &Shape, reference: &Shape) -> Registration {
    let scoring = subset(&member.samples, START_SAMPLES);
    let mut starts: Vec<(f64, Isometry3<f64>)> = (0..4)
        .map(|k| {
            let start = planar(k as f64 * std::f64::consts::FRAC_PI_2, 0.0, 0.0);
            let mut d: Vec<f64> = scoring
                .par_iter()
                .map(|p| reference.surface.closest(&(start * p)).distance_mm)
                .collect();
            (trimmed_mean(&mut d), start)
        })
        .collect();
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let coarse = subset(&member.samples, COARSE_SAMPLES);
    let best = starts
        .iter()
        .take(STARTS_REFINED)
        .map(|(_, start)| icp(&coarse, &reference.surface, *start, COARSE_ITERATIONS))
        .min_by(|a, b| a.fit_mm.total_cmp(&b.fit_mm))
        .expect("at least one start");
    let fine = subset(&member.samples, ICP_SAMPLES);
    icp(
        &fine,
        &reference.surface,
        best.member_to_reference,
        FINE_ITERATIONS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three ribs of different lengths on a plane (no symmetry to confuse the frame).
    fn ribs() -> Mesh {
        let mut m = Mesh::cuboid([0.0, 0.0, 0.0], [40.0, 2.0, 10.0]);
        m.append(&Mesh::cuboid([0.0, 10.0, 0.0], [30.0, 12.0, 10.0]));
        m.append(&Mesh::cuboid([5.0, 20.0, 0.0], [20.0, 22.0, 8.0]));
        m.subdivided().subdivided()
    }

    #[test]
    fn a_turned_and_moved_copy_registers_exactly() {
        let a = ribs();
        let mut b = a.clone();
        // Turned 2 rad about z and 0.4 rad about x, then moved: the plane turns with it.
        let pose = Isometry3::from_parts(
            Translation3::new(120.0, -35.0, 7.0),
            UnitQuaternion::from_euler_angles(0.4, 0.0, 2.0),
        );
        b.map_vertices(|p| pose * p);
        let sa = shape(&a, &Vector3::z(), &Point3::origin(), 20_000).unwrap();
        let nb = pose * Vector3::z();
        let pb = pose * Point3::origin();
        let sb = shape(&b, &nb, &pb, 20_000).unwrap();
        let r = register(&sb, &sa);
        // Every vertex of b lands on its original in a's canonical frame.
        let full = r.member_to_reference * sb.to_canonical;
        let worst = a
            .vertices
            .iter()
            .zip(&b.vertices)
            .map(|(pa, pb)| (sa.to_canonical * pa - full * pb).norm())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "{worst} mm");
        assert!(r.fit_mm < 1e-6);
    }
}
