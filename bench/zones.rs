//! bench/zones: what finding a zone from coordinates costs — the resident memory the finder
//! adds (tzf-rs's bundled lite data, queried in place: target at most ~10 MiB), the time its
//! first use takes (it loads then, once), and the time a lookup takes.
//!
//! Run: `cargo bench --bench zones` (optionally `-- --points N`).
use promiseguard::sources::Coordinates;
use promiseguard::sources::zones::zone_at;
use std::time::Instant;

/// Resident memory now, in KiB (`VmRSS` of /proc/self/status).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn main() {
    let points: usize = std::env::args()
        .skip_while(|a| a != "--points")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let before = resident_kib();
    let started = Instant::now();
    let first = zone_at(Coordinates {
        latitude: 34.0522,
        longitude: -118.2437,
    });
    let load = started.elapsed();
    let loaded = resident_kib();
    // Points spread over the land and sea of the whole globe (a fixed sequence).
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let started = Instant::now();
    let mut found = 0;
    for _ in 0..points {
        let point = Coordinates {
            latitude: next() * 140.0 - 60.0,
            longitude: next() * 360.0 - 180.0,
        };
        found += usize::from(zone_at(point).is_some());
    }
    let per_lookup = started.elapsed() / points as u32;
    let after = resident_kib();
    println!("first lookup (loads the finder): {load:?}, answered {first:?}");
    println!(
        "{points} lookups: {per_lookup:?} each, {found} on land ({:.0} %)",
        found as f64 * 100.0 / points as f64
    );
    let added_mib = (after.saturating_sub(before)) as f64 / 1024.0;
    println!(
        "resident: {before} KiB before, {loaded} KiB loaded, {after} KiB after the lookups: +{added_mib:.1} MiB (target ≤ 10 MiB)"
    );
    assert!(added_mib <= 10.0, "the finder costs {added_mib:.1} MiB");
}
