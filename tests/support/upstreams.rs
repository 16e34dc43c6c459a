//! Fakes of the real third-party APIs, answering in their public formats — including the ugly
//! parts: Google's error envelope, Square's decimal strings, `{}` for no counts and cursor
//! pages, Shopify's numeric ids, `available: null`, 50-id limit and `Link` pagination.
use super::fake_server::{FakeRequest, FakeResponse};
use serde_json::{Value, json};
use std::collections::HashMap;

pub const TOKEN: &str = "test-token";

fn google_error(code: u16, status: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        code,
        json!({"error": {"code": code, "message": message, "status": status}}),
    )
}

/// The account the fake Google lists locations for.
pub const GBP_ACCOUNT: &str = "accounts/108";

/// Google Business Profile: `GET /v1/locations/{id}?readMask=…`, and the account's list
/// `GET /v1/accounts/108/locations?pageSize=…&pageToken=…&readMask=…` (at most 100 a page,
/// `nextPageToken` and `totalSize` as Google sends them). `locations` maps an id to the
/// Location resource; an id not in it is a 404.
pub fn google_business_profile(
    locations: HashMap<String, Value>,
) -> impl Fn(&FakeRequest) -> FakeResponse {
    let mut ids: Vec<String> = locations.keys().cloned().collect();
    ids.sort();
    move |req| {
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
            );
        }
        if req.path == format!("/v1/{GBP_ACCOUNT}/locations") {
            return gbp_list(&locations, &ids, req);
        }
        let Some(id) = req.path.strip_prefix("/v1/locations/") else {
            return google_error(404, "NOT_FOUND", "Method not found.");
        };
        if req.query("readMask").is_none() {
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "Request contains an invalid argument.",
            );
        }
        match locations.get(id) {
            Some(location) => FakeResponse::json(200, location.clone()),
            None => google_error(404, "NOT_FOUND", "Requested entity was not found."),
        }
    }
}

fn gbp_list(locations: &HashMap<String, Value>, ids: &[String], req: &FakeRequest) -> FakeResponse {
    if req.query("readMask").is_none() {
        return google_error(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
        );
    }
    let size = req
        .query("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let start = match req.query("pageToken") {
        None => 0,
        Some(t) => match t
            .strip_prefix("after-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => return google_error(400, "INVALID_ARGUMENT", "Invalid page token."),
        },
    };
    let end = (start + size).min(ids.len());
    let page: Vec<Value> = ids[start.min(end)..end]
        .iter()
        .map(|id| locations[id].clone())
        .collect();
    let mut body = json!({"locations": page, "totalSize": ids.len()});
    if end < ids.len() {
        body["nextPageToken"] = format!("after-{end}").into();
    }
    FakeResponse::json(200, body)
}

/// A Location resource with a status and closed special days (`YYYY-MM-DD`).
pub fn gbp_location(id: &str, status: &str, closed_days: &[&str]) -> Value {
    let periods: Vec<Value> = closed_days
        .iter()
        .map(|d| {
            let parts: Vec<u32> = d.split('-').map(|p| p.parse().unwrap()).collect();
            json!({"startDate": {"year": parts[0], "month": parts[1], "day": parts[2]}, "closed": true})
        })
        .collect();
    json!({
        "name": format!("locations/{id}"),
        "openInfo": {"status": status, "canReopen": true},
        "regularHours": {"periods": [{"openDay": "MONDAY", "openTime": {"hours": 8}, "closeDay": "MONDAY", "closeTime": {"hours": 18}}]},
        "specialHours": {"specialHourPeriods": periods}
    })
}

/// Square: `POST /v2/inventory/counts/batch-retrieve`, `page_size` counts per page.
/// `counts` are (catalog_object_id, location_id, quantity as Square's decimal string).
pub fn square(
    counts: Vec<(String, String, String)>,
    page_size: usize,
) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |req| {
        if req.method != "POST" || req.path != "/v2/inventory/counts/batch-retrieve" {
            return FakeResponse::json(
                404,
                json!({"errors": [{"category": "INVALID_REQUEST_ERROR", "code": "NOT_FOUND", "detail": "not found"}]}),
            );
        }
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return FakeResponse::json(
                401,
                json!({"errors": [{"category": "AUTHENTICATION_ERROR", "code": "UNAUTHORIZED", "detail": "This request could not be authorized."}]}),
            );
        }
        let body = req.json();
        let ids: Vec<String> =
            serde_json::from_value(body["catalog_object_ids"].clone()).unwrap_or_default();
        let locations: Vec<String> =
            serde_json::from_value(body["location_ids"].clone()).unwrap_or_default();
        assert_eq!(
            body["states"],
            json!(["IN_STOCK"]),
            "promiseguard asks for IN_STOCK counts"
        );
        let offset: usize = body["cursor"]
            .as_str()
            .map(|c| c.trim_start_matches("cur-").parse().unwrap())
            .unwrap_or(0);
        let matching: Vec<Value> = counts
            .iter()
            .filter(|(i, l, _)| ids.contains(i) && locations.contains(l))
            .map(|(i, l, q)| json!({
                "catalog_object_id": i, "catalog_object_type": "ITEM_VARIATION", "state": "IN_STOCK",
                "location_id": l, "quantity": q, "calculated_at": "2026-11-23T13:59:01.223Z"
            }))
            .collect();
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(page_size)
            .cloned()
            .collect();
        if page.is_empty() {
            return FakeResponse::json(200, json!({}));
        }
        let mut answer = json!({"counts": page});
        if offset + page_size < matching.len() {
            answer["cursor"] = json!(format!("cur-{}", offset + page_size));
        }
        FakeResponse::json(200, answer)
    }
}

/// Shopify: `GET /admin/api/{version}/inventory_levels.json`, `page_size` levels per page.
/// `levels` are (inventory_item_id, location_id, available — `None` is JSON null).
pub fn shopify(
    levels: Vec<(u64, u64, Option<i64>)>,
    page_size: usize,
) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |req| {
        if !req.path.starts_with("/admin/api/") || !req.path.ends_with("/inventory_levels.json") {
            return FakeResponse::json(404, json!({"errors": "Not Found"}));
        }
        if req.header("x-shopify-access-token") != Some(TOKEN) {
            return FakeResponse::json(
                401,
                json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
            );
        }
        // A page_info cursor carries the filters; Shopify forbids repeating them beside it.
        let (items, locations, offset) = match req.query("page_info") {
            Some(info) => {
                let parts: Vec<&str> = info.split('|').collect();
                (
                    parts[0].to_owned(),
                    parts[1].to_owned(),
                    parts[2].parse::<usize>().unwrap(),
                )
            }
            None => (
                req.query("inventory_item_ids")
                    .unwrap_or_default()
                    .to_owned(),
                req.query("location_ids").unwrap_or_default().to_owned(),
                0,
            ),
        };
        let items: Vec<u64> = items
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let locations: Vec<u64> = locations
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        if items.len() > 50 || locations.len() > 50 {
            return FakeResponse::json(
                422,
                json!({"errors": {"inventory_item_ids": ["exceeds the maximum of 50"]}}),
            );
        }
        let limit: usize = req
            .query("limit")
            .map(|l| l.parse().unwrap())
            .unwrap_or(50)
            .min(page_size);
        let matching: Vec<Value> = levels
            .iter()
            .filter(|(i, l, _)| items.contains(i) && locations.contains(l))
            .map(|(i, l, a)| json!({
                "inventory_item_id": i, "location_id": l, "available": a,
                "updated_at": "2026-11-23T13:59:01-05:00",
                "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{l}?inventory_item_id={i}")
            }))
            .collect();
        let page: Vec<Value> = matching.iter().skip(offset).take(limit).cloned().collect();
        let mut answer = FakeResponse::json(200, json!({"inventory_levels": page}));
        if offset + limit < matching.len() {
            let ids = items
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let locs = locations
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let info = format!("{ids}|{locs}|{}", offset + limit);
            let info: String = url::form_urlencoded::byte_serialize(info.as_bytes()).collect();
            let host = req.header("host").unwrap_or("127.0.0.1");
            answer = answer.header(
                "link",
                &format!(
                    "<http://{host}{}?limit={limit}&page_info={info}>; rel=\"next\"",
                    req.path
                ),
            );
        }
        answer
    }
}

/// A Google Location as a branch keeps it: `title`, Monday–Saturday 08:00–18:00 local in
/// `regularHours` (Google's `TimePeriod`s, `TimeOfDay` with zero fields left out), closed
/// Sundays, and `specialHours` closed on each of `closed_days` (`YYYY-MM-DD`).
pub fn gbp_branch(id: &str, title: &str, closed_days: &[&str]) -> Value {
    let mut location = gbp_location(id, "OPEN", closed_days);
    let days = [
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
    ];
    location["title"] = json!(title);
    location["storeCode"] = json!(format!("STORE-{id}"));
    location["latlng"] = json!({"latitude": 34.0522, "longitude": -118.2437});
    location["regularHours"] = json!({"periods": days.iter().map(|d| json!({
        "openDay": d, "openTime": {"hours": 8}, "closeDay": d, "closeTime": {"hours": 18}
    })).collect::<Vec<_>>()});
    location
}

/// Square Locations: `GET /v2/locations/{id}` with the bearer token and a `Square-Version`,
/// answering `{"location": …}` as Square does, a 404 in Square's error envelope for an id not
/// in `locations`, and 401 in it for a wrong token.
pub fn square_locations(
    locations: HashMap<String, Value>,
) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |req| {
        let error = |status: u16, category: &str, code: &str, detail: &str| {
            FakeResponse::json(
                status,
                json!({"errors": [{"category": category, "code": code, "detail": detail}]}),
            )
        };
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return error(
                401,
                "AUTHENTICATION_ERROR",
                "UNAUTHORIZED",
                "This request could not be authorized.",
            );
        }
        if req.header("square-version").is_none() {
            return error(
                400,
                "INVALID_REQUEST_ERROR",
                "BAD_REQUEST",
                "Square-Version required",
            );
        }
        let id = req.path.strip_prefix("/v2/locations/").unwrap_or_default();
        match locations.get(id) {
            Some(location) => FakeResponse::json(200, json!({ "location": location })),
            None => error(
                404,
                "INVALID_REQUEST_ERROR",
                "NOT_FOUND",
                &format!("Location with id `{id}` not found."),
            ),
        }
    }
}

/// A Square Location: `ACTIVE`/`INACTIVE`, its IANA `timezone`, and weekly `business_hours`
/// of (`day_of_week`, `start_local_time`, `end_local_time`), times as Square writes them.
pub fn square_location(
    id: &str,
    name: &str,
    status: &str,
    timezone: &str,
    periods: &[(&str, &str, &str)],
) -> Value {
    json!({
        "id": id,
        "name": name,
        "status": status,
        "timezone": timezone,
        "country": "US",
        "currency": "USD",
        "business_hours": {"periods": periods.iter().map(|(day, start, end)| json!({
            "day_of_week": day, "start_local_time": start, "end_local_time": end
        })).collect::<Vec<_>>()},
        "created_at": "2024-03-01T12:00:00.000Z",
        "merchant_id": "MLX0000000"
    })
}
