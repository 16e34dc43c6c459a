//! Every location's time zone, in the order an operator expects: a per-location override
//! (`[sources.locations.timezones]`), else what the source says (Square Locations'
//! `timezone`), else the source's default (`[sources.locations] timezone`), else UTC — which
//! the answer marks as assumed, so a check can say so.
use super::{Located, LocationAnswer, LocationSource, SourceError, quota};
use crate::domain::{LocalZone, ZoneOrigin};
use async_trait::async_trait;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::time::Instant;

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

    fn zone(&self, id: &str, said: LocalZone) -> LocalZone {
        if let Some(&tz) = self.overrides.get(id) {
            return LocalZone {
                tz,
                origin: ZoneOrigin::Configured,
            };
        }
        match (said.origin, self.default) {
            (ZoneOrigin::Assumed, Some(tz)) => LocalZone {
                tz,
                origin: ZoneOrigin::Default,
            },
            _ => said,
        }
    }

    fn apply(
        &self,
        id: &str,
        answer: Result<LocationAnswer, SourceError>,
    ) -> Result<LocationAnswer, SourceError> {
        answer.map(|mut a| {
            a.zone = self.zone(id, a.zone);
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
    fn override_then_source_then_default_then_utc() {
        let source = |origin| LocalZone { tz: Berlin, origin };
        let zoned = |default| Zoned {
            inner: Arc::new(super::super::static_file::StaticLocations::empty()),
            default,
            overrides: BTreeMap::from([("loc-101".to_owned(), Los_Angeles)]),
        };
        let with_default = zoned(Some(Tehran));
        let z = with_default.zone("loc-101", source(ZoneOrigin::Source));
        assert_eq!((z.tz, z.origin), (Los_Angeles, ZoneOrigin::Configured));
        let z = with_default.zone("loc-102", source(ZoneOrigin::Source));
        assert_eq!((z.tz, z.origin), (Berlin, ZoneOrigin::Source));
        let z = with_default.zone("loc-102", LocalZone::default());
        assert_eq!((z.tz, z.origin), (Tehran, ZoneOrigin::Default));
        let z = zoned(None).zone("loc-102", LocalZone::default());
        assert_eq!((z.tz, z.origin), (Tz::UTC, ZoneOrigin::Assumed));
    }
}
