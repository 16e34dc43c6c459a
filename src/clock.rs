//! Times for records that lists order newest first. Stored times have millisecond precision, so
//! two checks (or reviews) recorded in the same millisecond would tie, and "newest first" would
//! fall back to the order of their random ids. Within one process these times are strictly
//! increasing instead: a record made in the same millisecond as the one before it is stamped a
//! millisecond later. Only a burst of more than a thousand records a second moves the stamps
//! ahead of the wall clock, and only for as long as the burst lasts.
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

static LAST_MS: AtomicI64 = AtomicI64::new(i64::MIN);

/// Now, in whole milliseconds, and later than every earlier `record_time()` of this process.
pub fn record_time() -> DateTime<Utc> {
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let mut last = LAST_MS.load(Ordering::Relaxed);
    loop {
        let next = now_ms.max(last.saturating_add(1));
        match LAST_MS.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return DateTime::from_timestamp_millis(next).unwrap_or(now),
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn record_times_strictly_increase_and_stay_near_the_wall_clock() {
        let before = Utc::now();
        let times: Vec<_> = (0..2_000).map(|_| record_time()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        assert!(times[0] >= before - chrono::Duration::milliseconds(1));
        // Stamps taken faster than one a millisecond run ahead by at most one millisecond each:
        // these 2,000, the 4,000 of the test below and the few of other tests, which may run at the
        // same time.
        assert!(times[1_999] <= Utc::now() + chrono::Duration::milliseconds(8_000));
        assert!(
            times
                .iter()
                .all(|t| t.timestamp_subsec_nanos() % 1_000_000 == 0)
        );
    }

    #[test]
    fn concurrent_callers_never_share_a_time() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1_000).map(|_| record_time()).collect::<Vec<_>>()))
            .collect();
        let all: Vec<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let unique: HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
    }
}
