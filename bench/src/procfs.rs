//! What `/proc` says of a process: its memory, its CPU time and its children.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::time::Duration;

pub(crate) use gitlogin_testkit::process::{after_exit, children_of};

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in KiB.
pub(crate) fn peak_rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time a process has used so far, all threads (user + system), from `/proc/PID/stat`.
pub(crate) fn cpu_time(pid: u32) -> Duration {
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    stat_cpu(&read_stat(pid), &[11, 12])
}

/// CPU time of a process and its children (nginx's workers, PostgreSQL's backends), those
/// that have exited included: when a parent reaps a child, the kernel adds the child's CPU
/// (its own children's too) to the parent's cutime and cstime, fields 16 and 17 of the
/// whole line, 14 and 15 after the name. So the difference between two readings is all
/// the CPU the tree spent in between, even if backends came and went.
pub(crate) fn tree_cpu_time(pid: u32) -> Duration {
    let with_reaped = |pid| stat_cpu(&read_stat(pid), &[11, 12, 13, 14]);
    with_reaped(pid)
        + children_of(pid)
            .into_iter()
            .map(with_reaped)
            .sum::<Duration>()
}

pub(crate) fn read_stat(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default()
}

/// The sum of some CPU-time fields of a `/proc/PID/stat` line, counted from the field after
/// the command name (which is in parentheses and may contain spaces). Their unit,
/// `USER_HZ`, is 100 per second on Linux whatever the kernel's own tick.
pub(crate) fn stat_cpu(stat: &str, fields: &[usize]) -> Duration {
    let after_name: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = fields
        .iter()
        .filter_map(|&i| after_name.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}
