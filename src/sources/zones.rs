//! Every location's time zone, in the order an operator expects: a per-location override
//! (`[sources.locations.timezones]`), else what the source says (Square Locations'
//! `timezone`), else the zone its coordinates fall in (Google's `latlng`, Square's
//! `coordinates`; found offline), else the source's default (`[sources.locations] timezone`),
//! else UTC — which the answer marks as assumed, so a check can say so. Coordinates that fall
//! in no zone (at sea) are said as a note, which a check passes on as a warning.
use super::{Coordinates, Located, LocationAnswer, LocationSource, SourceError, quota};
use crate::domain::{LocalZone, ZoneOrigin};
use async_trait::async_trait;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The zones of the world (tzf-rs's bundled lite data, ~4 MB read in place from the
/// executable), loaded at the first location with coordinates.
static FINDER: LazyLock<tzf_rs::EmbeddedFinder> = LazyLock::new(tzf_rs::EmbeddedFinder::new);

/// The civil time zone at a point: `None` at sea (no zone, or only a nautical `Etc/GMT±n`) or
/// off the globe.
pub fn zone_at(point: Coordinates) -> Option<Tz> {
    let Coordinates {
        latitude,
        longitude,
    } = point;
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let name = FINDER.get_tz_name(longitude, latitude);
    if name.is_empty() || name.starts_with("Etc/") {
        return None;
    }
    name.parse().ok()
}

/// A location source whose answers carry the configured zones.
pub struct Zoned {
    inner: Arc<dyn LocationSource>,
    default: Option<Tz>,
    overrides: BTreeMap<String, Tz>,
}

impl Zoned {
    pub fn new(
        inner: Arc<dyn LocationSource>,
        default: Option<Tz>,
        overrides: BTreeMap<String, Tz>,
    ) -> Self {
        Self {
            inner,
            default,
            overrides,
        }
    }

    /// The zone of location `id`, and a note when its coordinates said none.
    fn zone(
        &self,
        id: &str,
        said: LocalZone,
        coordinates: Option<Coordinates>,
    ) -> (LocalZone, Option<String>) {
        if let Some(&tz) = self.overrides.get(id) {
            let origin = ZoneOrigin::Configured;
            return (LocalZone { tz, origin }, None);
        }
        if said.origin != ZoneOrigin::Assumed {
            return (said, None);
        }
        let found = coordinates.map(|c| (c, zone_at(c)));
        if let Some((_, Some(tz))) = found {
            let origin = ZoneOrigin::Coordinates;
            return (LocalZone { tz, origin }, None);
        }
        let zone = match self.default {
            Some(tz) => LocalZone {
                tz,
                origin: ZoneOrigin::Default,
            },
            None => LocalZone::default(),
        };
        let note = found.map(|(c, _)| {
            format!(
                "its coordinates ({:.4}, {:.4}) fall in no time zone; its hours and dates were judged in {}",
                c.latitude,
                c.longitude,
                zone.tz.name()
            )
        });
        (zone, note)
    }

    fn apply(
        &self,
        id: &str,
        answer: Result<LocationAnswer, SourceError>,
    ) -> Result<LocationAnswer, SourceError> {
        answer.map(|mut a| {
            let (zone, note) = self.zone(id, a.zone, a.coordinates);
            a.zone = zone;
            a.notes.extend(note);
            a
        })
    }
}

#[async_trait]
impl LocationSource for Zoned {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn pace(&self) -> Option<quota::Pace> {
        self.inner.pace()
    }

    fn begin_tick(&self) {
        self.inner.begin_tick();
    }

    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError> {
        let answer = self.inner.location(id, deadline).await;
        self.apply(id, answer)
    }

    async fn locations(&self, ids: &[String], deadline: Instant, permits: &Semaphore) -> Located {
        let answers = self.inner.locations(ids, deadline, permits).await;
        answers
            .into_iter()
            .map(|(id, answer)| {
                let answer = self.apply(&id, answer);
                (id, answer)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Los_Angeles;
    use chrono_tz::Asia::Tehran;
    use chrono_tz::Europe::Berlin;

    #[test]
    fn override_then_source_then_coordinates_then_default_then_utc() {
        let source = |origin| LocalZone { tz: Berlin, origin };
        let zoned = |default| Zoned {
            inner: Arc::new(super::super::static_file::StaticLocations::empty()),
            default,
            overrides: BTreeMap::from([("loc-101".to_owned(), Los_Angeles)]),
        };
        let tehran = Some(Coordinates {
            latitude: 35.6892,
            longitude: 51.3890,
        });
        let at_sea = Some(Coordinates {
            latitude: 0.0,
            longitude: -30.0,
        });
        let with_default = zoned(Some(Berlin));
        let zone = |id, said, at| with_default.zone(id, said, at);
        let (z, _) = zone("loc-101", source(ZoneOrigin::Source), tehran);
        assert_eq!((z.tz, z.origin), (Los_Angeles, ZoneOrigin::Configured));
        let (z, _) = zone("loc-102", source(ZoneOrigin::Source), tehran);
        assert_eq!((z.tz, z.origin), (Berlin, ZoneOrigin::Source));
        let (z, note) = zone("loc-102", LocalZone::default(), tehran);
        assert_eq!(
            (z.tz, z.origin, note),
            (Tehran, ZoneOrigin::Coordinates, None)
        );
        let (z, note) = zone("loc-102", LocalZone::default(), at_sea);
        assert_eq!((z.tz, z.origin), (Berlin, ZoneOrigin::Default));
        assert!(note.unwrap().contains("fall in no time zone"));
        let (z, note) = zone("loc-102", LocalZone::default(), None);
        assert_eq!((z.tz, z.origin, note), (Berlin, ZoneOrigin::Default, None));
        let (z, _) = zoned(None).zone("loc-102", LocalZone::default(), None);
        assert_eq!((z.tz, z.origin), (Tz::UTC, ZoneOrigin::Assumed));
    }

    #[test]
    fn points_find_their_zones_offline() {
        let at = |latitude, longitude| {
            zone_at(Coordinates {
                latitude,
                longitude,
            })
        };
        assert_eq!(at(34.0522, -118.2437), Some(Los_Angeles));
        assert_eq!(at(35.6892, 51.3890), Some(Tehran));
        assert_eq!(at(1.8721, -157.4278), Some(chrono_tz::Pacific::Kiritimati));
        assert_eq!(at(0.0, -30.0), None, "the mid-Atlantic");
        assert_eq!(at(91.0, 0.0), None);
    }
}
