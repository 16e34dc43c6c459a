//! `GET /v1/lookup?locations=…&items=sku@location,…` — the send-time lookup (pinned).
use super::AppState;
use super::error::ApiError;
use super::limits::Door;
use crate::config::{Config, InboundToken};
use crate::domain::campaign::WindowTime;
use crate::domain::{FieldError, ItemKey, OfferWindow};
use crate::lookup::LookupAnswer;
use crate::signatures::tokens;
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Most locations, and most items, one lookup may name.
pub const MAX_KEYS: usize = 50;
const MAX_ID_LEN: usize = 256;

/// A parsed lookup: its locations, items and the offer window it names (if any).
#[derive(Debug)]
pub struct Query {
    pub locations: Vec<String>,
    pub items: Vec<ItemKey>,
    pub window: Option<OfferWindow>,
}

/// Parses the query; every malformed part is reported (400).
pub fn parse_query(query: &str) -> Result<Query, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut locations: Vec<String> = Vec::new();
    let mut items: Vec<ItemKey> = Vec::new();
    let (mut from, mut until) = (None, None);
    let mut unreadable_window = false;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "from" | "until" => match value.parse::<WindowTime>() {
                Ok(t) if name == "from" => from = Some(t),
                Ok(t) => until = Some(t),
                Err(e) => {
                    unreadable_window = true;
                    errors.push(FieldError::new(format!("/{name}"), e));
                }
            },
            "locations" => add_locations(&value, &mut locations, &mut errors),
            "items" => add_items(&value, &mut items, &mut errors),
            other => errors.push(FieldError::new(
                format!("/{other}"),
                "unknown parameter: expected locations, items, from or until",
            )),
        }
    }
    if locations.is_empty() && items.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "/locations",
            "name at least one location or item",
        ));
    }
    if locations.len() > MAX_KEYS {
        errors.push(FieldError::new(
            "/locations",
            format!("at most {MAX_KEYS} locations per lookup"),
        ));
    }
    if items.len() > MAX_KEYS {
        errors.push(FieldError::new(
            "/items",
            format!("at most {MAX_KEYS} items per lookup"),
        ));
    }
    let window = window(from, until, unreadable_window, &mut errors);
    if errors.is_empty() {
        Ok(Query {
            locations,
            items,
            window,
        })
    } else {
        Err(errors)
    }
}

/// The ids of `locations=a,b,…`, each once; a bad one named by its index.
fn add_locations(value: &str, locations: &mut Vec<String>, errors: &mut Vec<FieldError>) {
    for (i, id) in value.split(',').enumerate() {
        let id = id.trim();
        if id.is_empty() || id.len() > MAX_ID_LEN {
            errors.push(FieldError::new(
                format!("/locations/{i}"),
                "must be 1 to 256 characters",
            ));
        } else if !locations.iter().any(|l| l == id) {
            locations.push(id.to_owned());
        }
    }
}

/// The `sku@location` keys of `items=…`, each once; a bad one named by its index.
fn add_items(value: &str, items: &mut Vec<ItemKey>, errors: &mut Vec<FieldError>) {
    for (i, item) in value.split(',').enumerate() {
        match item.trim().rsplit_once('@') {
            Some((sku, location))
                if !sku.is_empty() && !location.is_empty() && item.len() <= 2 * MAX_ID_LEN =>
            {
                let key = ItemKey {
                    sku: sku.to_owned(),
                    location: location.to_owned(),
                };
                if !items.contains(&key) {
                    items.push(key);
                }
            }
            _ => errors.push(FieldError::new(
                format!("/items/{i}"),
                "must be sku@location",
            )),
        }
    }
}

/// The offer window `from` and `until` make, if both are given and make one (`unreadable`: one
/// of them was already refused).
fn window(
    from: Option<WindowTime>,
    until: Option<WindowTime>,
    unreadable: bool,
    errors: &mut Vec<FieldError>,
) -> Option<OfferWindow> {
    match (from, until) {
        (Some(from), Some(until)) => match WindowTime::window(from, until) {
            Ok(window) => Some(window),
            Err(why) => {
                errors.push(FieldError::new("/until", why.replace("valid_from", "from")));
                None
            }
        },
        _ if unreadable => None,
        (None, None) => None,
        (Some(_), None) => {
            errors.push(FieldError::new("/until", "from needs until"));
            None
        }
        (None, Some(_)) => {
            errors.push(FieldError::new("/from", "until needs from"));
            None
        }
    }
}

/// `[lookup] tokens`: with none configured the send-time lookup is open (it reads keepable and
/// broken, nothing personal). Replaced whole on `SIGHUP`; an open door answers from a flag
/// every worker only reads (a send's requests share no lock to pass it).
pub struct LookupDoor {
    open: AtomicBool,
    tokens: RwLock<Vec<InboundToken>>,
}

impl LookupDoor {
    pub fn new(config: &Config) -> Self {
        Self {
            open: AtomicBool::new(config.lookup.tokens.is_empty()),
            tokens: RwLock::new(config.lookup.tokens.clone()),
        }
    }

    /// Puts `config`'s `[lookup] tokens` in force for every request admitted from now on.
    pub fn replace(&self, config: &Config) {
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        *tokens = config.lookup.tokens.clone();
        self.open.store(tokens.is_empty(), Ordering::SeqCst);
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    pub fn admit(&self, req: &HttpRequest) -> Result<(), ApiError> {
        if self.is_open() {
            return Ok(());
        }
        let tokens = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        if tokens.is_empty() {
            return Ok(());
        }
        let presented =
            tokens::presented(super::request::header(req, AUTHORIZATION.as_str())).ok_or_else(|| {
                ApiError::Unauthorized(
                    "the lookup needs a token of [lookup] tokens (Bearer, or the password of HTTP Basic)"
                        .into(),
                )
            })?;
        let configured = tokens.iter().map(|t| (t.name.as_str(), t.token.expose()));
        tokens::holder(configured, &presented)
            .map(|_| ())
            .ok_or_else(|| ApiError::Unauthorized("unknown lookup token".into()))
    }
}

/// Which promised locations and items are still good, from the cache.
#[utoipa::path(
    get,
    path = "/v1/lookup",
    params(
        ("locations" = Option<String>, Query, description = "Comma-separated location ids (at most 50)"),
        ("items" = Option<String>, Query, description = "Comma-separated sku@location (at most 50)"),
        ("from" = Option<String>, Query, description = "The offer window's start: an instant (2026-12-13T09:00:00Z) or local to each location (2026-12-13T09:00:00); with until, a location with no open hour left in the window is broken"),
        ("until" = Option<String>, Query, description = "The offer window's end, written like from"),
    ),
    responses(
        (status = 200, body = LookupAnswer),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "[lookup] tokens are configured and none (or a wrong one) was presented", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over [limits] lookup_per_ip_per_minute (off by default); Retry-After says when to come back", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.lookup_door.admit(&req)?;
    state.limits.check(Door::Lookup, &req)?;
    let query = req.query_string();
    let body = match state.lookup.remembered(query) {
        Some(body) => body,
        None => {
            let q = parse_query(query).map_err(ApiError::BadParams)?;
            state
                .lookup
                .answer(query, &q.locations, &q.items, q.window)
                .await
                .map_err(|e| ApiError::Internal(e.into()))?
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, state.lookup.cache_control()))
        .content_type("application/json")
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_names_bad_parts() {
        let q =
            parse_query("locations=loc-101,loc-102,loc-101&items=SUV-STD@loc-101,TENT-2P@online")
                .unwrap();
        assert_eq!(q.locations, vec!["loc-101", "loc-102"]);
        assert_eq!(q.items[1].to_string(), "TENT-2P@online");
        assert_eq!(q.window, None);
        let e = parse_query("locations=a,,b&items=nosku,@x,y@&colour=red").unwrap_err();
        let p: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            p,
            vec![
                "/locations/1",
                "/items/0",
                "/items/1",
                "/items/2",
                "/colour"
            ]
        );
        assert_eq!(parse_query("").unwrap_err()[0].pointer, "/locations");
        let q =
            parse_query("locations=a&from=2026-12-13T09:00:00&until=2026-12-13T17:00:00").unwrap();
        assert!(matches!(q.window, Some(OfferWindow::Local(_))));
        let q = parse_query("locations=a&from=2026-12-13T09:00:00Z&until=2026-12-13T17:00:00Z")
            .unwrap();
        assert!(matches!(q.window, Some(OfferWindow::Instants(..))));
        let pointers = |q: &str| -> Vec<String> {
            parse_query(q)
                .unwrap_err()
                .into_iter()
                .map(|e| e.pointer)
                .collect()
        };
        assert_eq!(
            pointers("locations=a&from=tomorrow&until=2026-12-13T17:00:00Z"),
            ["/from"]
        );
        assert_eq!(
            pointers("locations=a&from=2026-12-13T09:00:00Z"),
            ["/until"]
        );
        assert_eq!(
            pointers("locations=a&from=2026-12-13T09:00:00Z&until=2026-12-13T17:00:00"),
            ["/until"]
        );
        assert_eq!(
            pointers("locations=a&from=2026-12-13T17:00:00Z&until=2026-12-13T09:00:00Z"),
            ["/until"]
        );
        let many = (0..51)
            .map(|i| format!("l{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            parse_query(&format!("locations={many}")).unwrap_err()[0].pointer,
            "/locations"
        );
    }
}
