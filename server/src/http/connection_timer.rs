//! hyper arms one timer whenever it starts waiting for a request head: on a new
//! connection and again after every response. This per-connection timer lets the
//! first wait last the header timeout and every later one the idle timeout.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use hyper_util::rt::TokioTimer;

/// The timer of one connection; give hyper `header_timeout` as its header read timeout.
#[derive(Debug, Clone)]
pub struct ConnectionTimer {
    inner: TokioTimer,
    header_timeout: Duration,
    idle_timeout: Duration,
    first_head_awaited: std::sync::Arc<AtomicBool>,
}

impl ConnectionTimer {
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Self {
        ConnectionTimer {
            inner: TokioTimer::new(),
            header_timeout,
            idle_timeout,
            first_head_awaited: std::sync::Arc::default(),
        }
    }

    /// hyper asks for `now + header timeout`; waits after the first become idle waits.
    fn adjust(&self, deadline: Instant) -> Instant {
        if !self.first_head_awaited.swap(true, Ordering::Relaxed) {
            return deadline;
        }
        deadline
            .checked_sub(self.header_timeout)
            .map_or(deadline, |armed_at| armed_at + self.idle_timeout)
    }
}

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.inner.sleep(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.inner.sleep_until(self.adjust(deadline))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        self.inner.reset(sleep, self.adjust(new_deadline));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_head_gets_the_header_timeout_and_later_ones_the_idle_timeout() {
        let timer = ConnectionTimer::new(Duration::from_secs(10), Duration::from_secs(60));
        let now = Instant::now();
        let first = now + Duration::from_secs(10);
        assert_eq!(timer.adjust(first), first);
        assert_eq!(timer.adjust(first), now + Duration::from_secs(60));
        let short = ConnectionTimer::new(Duration::from_secs(10), Duration::from_secs(2));
        short.adjust(first);
        assert_eq!(short.adjust(first), now + Duration::from_secs(2));
    }
}
