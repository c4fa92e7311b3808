//! A layer's contour: its segments chained into loops, open chains joined across small gaps.

use hashbrown::HashMap;

use super::layers::Segment;

/// A layer's contour: its loops, and how many closed loops they make.
#[cfg(test)]
pub(super) struct Contour {
    /// Loops as ordered segment indices.
    pub(super) loops: Vec<Vec<u32>>,
    /// Closed loops after joining the open chains of a mesh with holes end to start.
    pub(super) joined: usize,
}

/// Gaps up to this long between open chains of a layer's contour are closed (PrusaSlicer
/// 2.5 `chain_open_polylines_close_gaps`, libslic3r/TriangleMeshSlicer.cpp, `max_gap` 2 mm).
const MAX_CONTOUR_GAP_MM: f64 = 2.0;
/// Open chains per layer beyond which they are not joined (each stays a loop).
const MAX_OPEN_CHAINS: usize = 1000;

/// Chains a layer's segments into loops through their shared edge keys.
#[cfg(test)]
pub(super) fn contour(segments: &[Segment]) -> Contour {
    let keys: Vec<[u64; 2]> = segments.iter().map(|s| [s.from_key, s.to_key]).collect();
    let loops = chain(&keys);
    let joined = joined_loops(&loops, segments);
    Contour { loops, joined }
}

/// The loops of a layer whose segments run between the edge keys `keys` (from, to): ordered
/// segment indices, each loop followed from its lowest unused segment. The keys alone decide
/// them, so layers cut through the same mesh edges share them.
pub(super) fn chain(keys: &[[u64; 2]]) -> Vec<Vec<u32>> {
    let mut outgoing: HashMap<u64, u32> = HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        outgoing.insert(k[0], i as u32);
    }
    let mut used = vec![false; keys.len()];
    let mut loops = Vec::new();
    for first in 0..keys.len() {
        if used[first] {
            continue;
        }
        let mut ring = Vec::new();
        let mut k = first;
        loop {
            used[k] = true;
            ring.push(k as u32);
            match outgoing.get(&keys[k][1]) {
                Some(&j) if !used[j as usize] => k = j as usize,
                _ => break,
            }
        }
        loops.push(ring);
    }
    loops
}

/// The closed loops of a layer's contour `loops` (of `segments`) once its open chains are
/// joined end to start across small gaps.
pub(super) fn joined_loops(loops: &[Vec<u32>], segments: &[Segment]) -> usize {
    // A chain that does not end where it began (an open mesh) is joined with the open chains
    // whose starts lie nearest its end, within MAX_CONTOUR_GAP_MM, until the group closes.
    let open: Vec<([f64; 2], [f64; 2])> = loops
        .iter()
        .filter(|ring| {
            let (a, b) = (
                &segments[ring[0] as usize],
                &segments[*ring.last().unwrap() as usize],
            );
            a.from_key != b.to_key
        })
        .map(|ring| {
            let (a, b) = (
                &segments[ring[0] as usize],
                &segments[*ring.last().unwrap() as usize],
            );
            (a.from, b.to)
        })
        .collect();
    // The search is quadratic: a contour in thousands of open pieces (a triangle soup) keeps
    // one loop per chain.
    let mut taken = vec![open.len() > MAX_OPEN_CHAINS; open.len()];
    let mut groups = if open.len() > MAX_OPEN_CHAINS {
        open.len()
    } else {
        0
    };
    for first in 0..open.len() {
        if taken[first] {
            continue;
        }
        groups += 1;
        taken[first] = true;
        let mut end = open[first].1;
        loop {
            let next = (0..open.len())
                .filter(|&j| !taken[j])
                .map(|j| (j, (open[j].0[0] - end[0]).hypot(open[j].0[1] - end[1])))
                .filter(|&(_, d)| d <= MAX_CONTOUR_GAP_MM)
                .min_by(|p, q| p.1.total_cmp(&q.1));
            match next {
                Some((j, _)) => {
                    taken[j] = true;
                    end = open[j].1;
                }
                None => break,
            }
        }
    }
    loops.len() - open.len() + groups
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An open chain through `points`, keyed `first_key`, `first_key + 1`, ...
    fn chain(points: &[[f64; 2]], first_key: u64) -> Vec<Segment> {
        points
            .windows(2)
            .zip(first_key..)
            .map(|(p, k)| Segment {
                from: p[0],
                to: p[1],
                from_key: k,
                to_key: k + 1,
            })
            .collect()
    }

    #[test]
    fn open_chains_join_across_gaps_up_to_two_mm() {
        // A closed triangle: one loop of three segments.
        let mut segs = chain(&[[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]], 0);
        segs.push(Segment {
            from: [0.0, 5.0],
            to: [0.0, 0.0],
            from_key: 2,
            to_key: 0,
        });
        let c = contour(&segs);
        assert_eq!((c.loops.len(), c.joined), (1, 1));
        assert_eq!(c.loops[0], vec![0, 1, 2]);
        // Two halves of a square, each ending 1 mm short of the other's start: two chains,
        // one closed loop.
        let mut halves = chain(&[[0.0, 0.0], [10.0, 0.0], [10.0, 9.0]], 10);
        halves.extend(chain(&[[10.0, 10.0], [0.0, 10.0], [0.0, 1.0]], 20));
        let c = contour(&halves);
        assert_eq!((c.loops.len(), c.joined), (2, 1));
        // 3 mm short: two open loops.
        let mut apart = chain(&[[0.0, 0.0], [10.0, 0.0], [10.0, 7.0]], 10);
        apart.extend(chain(&[[10.0, 10.0], [0.0, 10.0], [0.0, 3.0]], 20));
        assert_eq!(contour(&apart).joined, 2);
    }
}
