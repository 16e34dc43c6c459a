//! The warnings a check adds beside its findings about the locations it judged: what the
//! location source said of one (a duplicate, coordinates at sea), and the locations whose
//! hours were judged in UTC because nothing said their zone.
use super::Observations;
use crate::domain::{Campaign, LocationStatus, ZoneOrigin};

/// What the location source said of a promised location that is worth a warning, once per
/// location and note: "Midtown (loc-101): Google marks it a duplicate of …".
pub(super) fn source_notes(campaign: &Campaign, observations: &Observations) -> Vec<String> {
    let mut notes: Vec<String> = campaign
        .offers
        .iter()
        .flat_map(|o| o.locations.iter())
        .filter_map(|l| match observations.locations.get(l) {
            Some(Ok(report)) => Some((l, report)),
            _ => None,
        })
        .flat_map(|(l, report)| {
            let label = report.label(l);
            report.notes.iter().map(move |n| format!("{label}: {n}"))
        })
        .collect();
    notes.sort_unstable();
    notes.dedup();
    notes
}

/// Locations whose hours were judged in UTC because nothing said their zone: one warning each.
pub(super) fn assumed_zones(campaign: &Campaign, observations: &Observations) -> Vec<String> {
    let mut named: Vec<&str> = campaign
        .offers
        .iter()
        .flat_map(|o| o.locations.iter().map(move |l| (o, l)))
        .filter(|(offer, l)| {
            observations.locations.get(*l).is_some_and(|r| {
                r.as_ref().is_ok_and(|r| {
                    r.zone.origin == ZoneOrigin::Assumed
                        && r.status == LocationStatus::Open
                        && (!r.hours.is_unknown() || offer.local.is_some())
                })
            })
        })
        .map(|(_, l)| l.as_str())
        .collect();
    named.sort_unstable();
    named.dedup();
    named
        .into_iter()
        .map(|l| {
            format!(
                "{l}: no time zone is known for this location (set [sources.locations] timezone \
                 or timezones); its hours and dates were judged in UTC"
            )
        })
        .collect()
}
