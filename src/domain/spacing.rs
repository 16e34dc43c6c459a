//! The spacing of a request bucket that every instance shares: one slot every `interval_ms`,
//! at most `tolerance_ms` ahead of that even schedule (the burst). What a source's quota asks
//! the database's bucket for (`sources::quota`, `store::quotas`), in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spacing {
    pub interval_ms: i64,
    pub tolerance_ms: i64,
}
