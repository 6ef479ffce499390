//! CPU time and memory of a process, read from `/proc`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// utime + stime, in clock ticks, from the text of `/proc/<pid>/stat`.
///
/// The command name (field 2) is in parentheses and may hold spaces, so fields are
/// counted from the last `)`: after it come state (field 3) … utime (14), stime (15).
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A `kB` line of `/proc/<pid>/status` (`VmHWM`, `VmRSS`), in KiB.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let mut parts = rest.split_whitespace();
        let value = parts.next()?.parse().ok()?;
        (parts.next() == Some("kB")).then_some(value)
    })
}

/// CPU use as a percentage of one core: `ticks` spent over `wall`.
pub fn cpu_percent_of_one_core(ticks: u64, ticks_per_second: u64, wall: Duration) -> f64 {
    let wall_seconds = wall.as_secs_f64();
    if ticks_per_second == 0 || wall_seconds <= 0.0 {
        return 0.0;
    }
    ticks as f64 / ticks_per_second as f64 / wall_seconds * 100.0
}

/// The kernel's clock ticks per second for `/proc` times (USER_HZ).
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// The one-minute load average, from `/proc/loadavg`.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

/// Reads one process's figures.
#[derive(Debug, Clone)]
pub struct ProcessProbe {
    dir: PathBuf,
}

impl ProcessProbe {
    pub fn new(pid: u32) -> Self {
        ProcessProbe {
            dir: PathBuf::from(format!("/proc/{pid}")),
        }
    }

    pub fn cpu_ticks(&self) -> Option<u64> {
        let stat = std::fs::read_to_string(self.dir.join("stat")).ok()?;
        parse_stat_cpu_ticks(&stat)
    }

    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(self.dir.join("status")).ok()?;
        parse_status_kib(&status, field)
    }

    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.status_kib("VmHWM")
    }

    pub fn rss_kib(&self) -> Option<u64> {
        self.status_kib("VmRSS")
    }

    /// Resets the peak resident set size (`VmHWM`) to the current one, so the peak
    /// that follows belongs to the next measurement. False when the kernel refuses.
    pub fn reset_peak_rss(&self) -> bool {
        std::fs::write(self.dir.join("clear_refs"), "5").is_ok()
    }
}

/// Measures CPU time and peak memory of a process over one scenario.
pub struct Measurement {
    probe: ProcessProbe,
    start_ticks: Option<u64>,
    peak_was_reset: bool,
    sampled_peak_kib: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl Measurement {
    pub fn start(probe: ProcessProbe) -> Self {
        let peak_was_reset = probe.reset_peak_rss();
        let sampled_peak_kib = Arc::new(AtomicU64::new(probe.rss_kib().unwrap_or(0)));
        let sampler = {
            let probe = probe.clone();
            let peak = Arc::clone(&sampled_peak_kib);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(100));
                loop {
                    every.tick().await;
                    if let Some(rss) = probe.rss_kib() {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                }
            })
        };
        Measurement {
            start_ticks: probe.cpu_ticks(),
            probe,
            peak_was_reset,
            sampled_peak_kib,
            sampler,
        }
    }

    /// CPU ticks used since the start, and the peak resident memory in KiB: `VmHWM`
    /// when it could be reset at the start, else the largest sampled `VmRSS`.
    pub fn finish(self) -> (Option<u64>, Option<u64>) {
        self.sampler.abort();
        let ticks = match (self.start_ticks, self.probe.cpu_ticks()) {
            (Some(start), Some(end)) => Some(end.saturating_sub(start)),
            _ => None,
        };
        let sampled = self.sampled_peak_kib.load(Ordering::Relaxed);
        let peak = if self.peak_was_reset {
            self.probe.peak_rss_kib().map(|hwm| hwm.max(sampled))
        } else {
            Some(sampled).filter(|&kib| kib > 0)
        };
        (ticks, peak)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_counted_after_the_name() {
        let stat = "4242 (tiauth (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    1234 567 0 0 20 0 5 0 100 200000000 3000 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(1234 + 567));
    }

    #[test]
    fn a_truncated_stat_gives_nothing() {
        assert_eq!(parse_stat_cpu_ticks("42 (x) S 1 2 3"), None);
        assert_eq!(parse_stat_cpu_ticks("no parenthesis"), None);
    }

    #[test]
    fn status_fields_are_read_in_kib() {
        let status =
            "Name:\ttiauth\nVmPeak:\t  300000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(51_200));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(40_960));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
        assert_eq!(parse_status_kib("VmHWMx:\t1 kB\n", "VmHWM"), None);
    }

    #[test]
    fn cpu_percent_is_relative_to_one_core() {
        let percent = cpu_percent_of_one_core(150, 100, Duration::from_secs(1));
        assert!((percent - 150.0).abs() < 1e-9);
        assert_eq!(cpu_percent_of_one_core(10, 100, Duration::ZERO), 0.0);
    }
}
