//! A child's end, its peak resident set and its CPU time, from wait4(2): shared by the fuzz
//! bench and the regression test that replays what it found (each includes this file with
//! `#[path]`), so both hold a case to the same budget.

#![allow(dead_code)]

// The child's status and peak resident set (kB) without a crate: wait4(2) through the C
// library that std already links.
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

unsafe extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

/// How a child ended: its wait status, peak resident set (kB) and CPU time (s).
pub struct Ended {
    pub status: i32,
    pub rss_kb: u64,
    pub cpu_s: f64,
}

fn wait4_raw(pid: i32, options: i32) -> Option<Ended> {
    let mut status = 0;
    let mut ru = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        maxrss: 0,
        rest: [0; 13],
    };
    // SAFETY: pid is our own child; both pointers are valid for the call.
    let r = unsafe { wait4(pid, &mut status, options, &mut ru) };
    let secs = |t: [i64; 2]| t[0] as f64 + t[1] as f64 * 1e-6;
    (r == pid).then_some(Ended {
        status,
        rss_kb: ru.maxrss.max(0) as u64,
        cpu_s: secs(ru.utime) + secs(ru.stime),
    })
}

pub fn wait4_nohang(pid: i32) -> Option<Ended> {
    const WNOHANG: i32 = 1;
    wait4_raw(pid, WNOHANG)
}

pub fn wait4_block(pid: i32) -> Ended {
    wait4_raw(pid, 0).unwrap_or(Ended {
        status: 0,
        rss_kb: 0,
        cpu_s: 0.0,
    })
}
