//! The motion planner: a trapezoidal speed profile per move with the classic jerk junction
//! speeds (PrusaSlicer's G-code time estimate), and the time of a contour loop and of a
//! zig-zag of infill lines through it.

use super::layers::Segment;
use super::profile::Feature;

/// Infill zig-zags simulated in full before scaling to the layer's count of lines (the
/// profile is periodic after the first few lines).
const ZIGZAG_PAIRS: usize = 16;

/// The motion planner: moves of given length, direction and nominal speed, with the classic
/// (Marlin) jerk limits at the junctions, accelerated and decelerated within `accel`.
pub(super) struct Planner {
    pub(super) jerk: f64,
}

/// One straight move.
#[derive(Debug, Clone, Copy)]
pub(super) struct Move {
    pub(super) len: f64,
    pub(super) dir: [f64; 2],
    pub(super) speed: f64,
    pub(super) accel: f64,
}

impl Planner {
    /// Highest speed at which a move may start or end from rest: every axis changes by at
    /// most the jerk (PrusaSlicer GCodeProcessor `safe_feedrate`).
    fn safe_speed(&self, m: &Move) -> f64 {
        if m.dir[0].abs() * m.speed > self.jerk || m.dir[1].abs() * m.speed > self.jerk {
            m.speed.min(self.jerk)
        } else {
            m.speed
        }
    }

    /// Highest speed through the junction of `a` into `b` (GCodeProcessor `vmax_junction`:
    /// per axis, coasting changes by the difference, a reversal by the larger of the two).
    pub(super) fn junction_speed(&self, a: &Move, b: &Move) -> f64 {
        let prev_larger = a.speed > b.speed;
        let smaller_factor = if prev_larger {
            b.speed / a.speed
        } else {
            a.speed / b.speed
        };
        let mut vmax = a.speed.min(b.speed);
        let mut v_factor = 1.0;
        let mut limited = false;
        for axis in 0..2 {
            let mut v_exit = a.dir[axis] * a.speed;
            let mut v_entry = b.dir[axis] * b.speed;
            if prev_larger {
                v_exit *= smaller_factor;
            }
            if limited {
                v_exit *= v_factor;
                v_entry *= v_factor;
            }
            let jerk = if v_exit > v_entry {
                if v_entry > 0.0 || v_exit < 0.0 {
                    v_exit - v_entry
                } else {
                    v_exit.max(-v_entry)
                }
            } else if v_entry < 0.0 || v_exit > 0.0 {
                v_entry - v_exit
            } else {
                (-v_exit).max(v_entry)
            };
            if jerk > self.jerk {
                v_factor *= self.jerk / jerk;
                limited = true;
            }
        }
        if limited {
            vmax *= v_factor;
        }
        let (sa, sb) = (self.safe_speed(a), self.safe_speed(b));
        if sa > 0.99 * vmax && sb > 0.99 * vmax {
            vmax = sb;
        }
        vmax
    }

    /// Time of a chain of moves that starts and ends at rest-safe speeds: junction limits,
    /// a backward and a forward pass (no speed that cannot be braked or reached within a
    /// move), then a trapezoidal profile per move.
    pub(super) fn time_s(&self, moves: &[Move]) -> f64 {
        let n = moves.len();
        if n == 0 {
            return 0.0;
        }
        // limit[i]: the largest speed at the start of move i; limit[n] at the end.
        let mut limit = Vec::with_capacity(n + 1);
        limit.push(self.safe_speed(&moves[0]));
        for w in moves.windows(2) {
            limit.push(self.junction_speed(&w[0], &w[1]));
        }
        limit.push(self.safe_speed(&moves[n - 1]));
        for i in (0..n).rev() {
            let m = &moves[i];
            limit[i] = limit[i].min((limit[i + 1].powi(2) + 2.0 * m.accel * m.len).sqrt());
        }
        for i in 0..n {
            let m = &moves[i];
            limit[i + 1] = limit[i + 1].min((limit[i].powi(2) + 2.0 * m.accel * m.len).sqrt());
        }
        moves
            .iter()
            .enumerate()
            .map(|(i, m)| trapezoid_s(m.len, limit[i], limit[i + 1], m.speed, m.accel))
            .sum()
    }
}

/// Time (s) of one move of length `len` from speed `u` to `w`, cruising at most at `v`,
/// accelerating and braking at `a` (speeds already reachable within the move).
pub fn trapezoid_s(len: f64, u: f64, w: f64, v: f64, a: f64) -> f64 {
    if len <= 0.0 {
        return 0.0;
    }
    let (u, w) = (u.min(v), w.min(v));
    let ramps_mm = (2.0 * v * v - u * u - w * w) / (2.0 * a);
    if ramps_mm <= len {
        (v - u) / a + (v - w) / a + (len - ramps_mm) / v
    } else {
        let peak = ((2.0 * a * len + u * u + w * w) / 2.0).sqrt();
        (peak - u).max(0.0) / a + (peak - w).max(0.0) / a
    }
}

/// Consecutive contour pieces whose directions differ by less than about 0.001° are one
/// straight move (a junction that sharp costs the planner nothing either way).
const COLLINEAR_COS: f64 = 1.0 - 1e-10;

/// `loop_` of the contour as the planner's moves (their speed and acceleration unset), from
/// its sharpest corner (where slicers put the seam, to hide it), and its length (mm). Worked
/// out once per loop: every perimeter of the loop is timed on the same moves.
pub(super) fn trace(segments: &[Segment], loop_: &[u32]) -> (f64, Vec<Move>) {
    let mut len_mm = 0.0;
    let mut moves: Vec<Move> = Vec::with_capacity(loop_.len());
    for &k in loop_ {
        let s = &segments[k as usize];
        let d = [s.to[0] - s.from[0], s.to[1] - s.from[1]];
        let len = d[0].hypot(d[1]);
        len_mm += len;
        if len <= 1e-9 {
            continue;
        }
        let dir = [d[0] / len, d[1] / len];
        // Collinear pieces of one straight edge (a finely tessellated face cut by the layer)
        // are one move, as the solid's edge is: the planner's work follows the contour's
        // corners, not the triangles.
        match moves.last_mut() {
            Some(m) if m.dir[0] * dir[0] + m.dir[1] * dir[1] > COLLINEAR_COS => m.len += len,
            _ => moves.push(Move {
                len,
                dir,
                speed: 0.0,
                accel: 0.0,
            }),
        }
    }
    let n = moves.len();
    // The sharpest corner: the smallest cosine between a move and the one before it.
    let seam = (0..n)
        .min_by(|&i, &j| {
            let cos = |k: usize| {
                let (a, b) = (moves[(k + n - 1) % n].dir, moves[k].dir);
                a[0] * b[0] + a[1] * b[1]
            };
            cos(i).total_cmp(&cos(j))
        })
        .unwrap_or(0);
    moves.rotate_left(seam);
    (len_mm, moves)
}

/// Time of tracing a contour loop, `trace` its moves, once at feature `f`.
pub(super) fn loop_time_s(planner: &Planner, trace: &[Move], f: Feature) -> f64 {
    let moves: Vec<Move> = trace
        .iter()
        .map(|m| Move {
            speed: f.speed_mm_s,
            accel: f.accel_mm_s2,
            ..*m
        })
        .collect();
    planner.time_s(&moves)
}

/// Time of `length_mm` of infill as a zig-zag of lines `chord_mm` long (at 45°, as
/// PrusaSlicer lays infill), joined by links `link_mm` long along the region's edge.
pub(super) fn zigzag_time_s(
    planner: &Planner,
    length_mm: f64,
    chord_mm: f64,
    link_mm: f64,
    f: Feature,
) -> f64 {
    if length_mm <= 0.0 {
        return 0.0;
    }
    let chord = chord_mm.max(1e-3);
    let lines = length_mm / chord;
    let pairs = (lines.ceil() as usize).clamp(1, ZIGZAG_PAIRS);
    let d = std::f64::consts::FRAC_1_SQRT_2;
    let mut moves = Vec::with_capacity(2 * pairs);
    for k in 0..pairs {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        moves.push(Move {
            len: chord,
            dir: [sign * d, sign * d],
            speed: f.speed_mm_s,
            accel: f.accel_mm_s2,
        });
        moves.push(Move {
            len: link_mm,
            dir: [1.0, 0.0],
            speed: f.speed_mm_s,
            accel: f.accel_mm_s2,
        });
    }
    // Lines plus their links over the simulated pairs, scaled to the layer's lines.
    planner.time_s(&moves) * lines / pairs as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junction_speeds_follow_the_jerk_rule() {
        let planner = Planner { jerk: 8.0 };
        let mv = |dir: [f64; 2], speed: f64| Move {
            len: 10.0,
            dir,
            speed,
            accel: 1000.0,
        };
        // A right-angle corner along the axes at 45 mm/s: X stops from 45 (a change of 45,
        // more than 8), scaled to 8/45; Y then starts from 0 to 45 · 8/45 = 8. So 8 mm/s.
        let v = planner.junction_speed(&mv([1.0, 0.0], 45.0), &mv([0.0, 1.0], 45.0));
        assert!((v - 8.0).abs() < 1e-12, "{v}");
        // Reversing a 45° line at 80 mm/s: each axis reverses from 56.57 mm/s; a reversal
        // counts the larger side, 56.57, so the factor is 8/56.57 and the speed 8 √2.
        let d = std::f64::consts::FRAC_1_SQRT_2;
        let v = planner.junction_speed(&mv([d, d], 80.0), &mv([-d, -d], 80.0));
        assert!((v - 8.0 * std::f64::consts::SQRT_2).abs() < 1e-9, "{v}");
        // Straight on: no change on any axis, full speed.
        let v = planner.junction_speed(&mv([d, d], 80.0), &mv([d, d], 80.0));
        assert_eq!(v, 80.0);
        // Trapezoid: 10 mm from 8 to 8 mm/s cruising at 45 with 800 mm/s²: ramps of
        // (45² − 8²)/1600 = 1.2256 mm each, cruise 7.5488 mm: 2 · 37/800 + 7.5488/45.
        let t = trapezoid_s(10.0, 8.0, 8.0, 45.0, 800.0);
        let ramps = 2.0 * (45.0f64 * 45.0 - 64.0) / 1600.0;
        assert!(
            (t - (2.0 * 37.0 / 800.0 + (10.0 - ramps) / 45.0)).abs() < 1e-12,
            "{t}"
        );
        // Too short to cruise: 1 mm from rest to rest at 1000 mm/s²: 2 √(1/1000).
        let t = trapezoid_s(1.0, 0.0, 0.0, 180.0, 1000.0);
        assert!((t - 2.0 * 0.001f64.sqrt()).abs() < 1e-12, "{t}");
    }
}
