//! Klaviyo's JSON:API as the watch reads it: the `revision` header required (an unsupported one
//! refused as Klaviyo refuses it), `links.next` pages, `{"errors": […]}`, the send job's `revert`.
use super::super::fake_server::{FakeRequest, FakeResponse};
use super::KEY;
use super::{Campaigns, FakeCampaign, time};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Klaviyo's revisions that answer (the 2024 ones are retired).
const KLAVIYO_REVISIONS: [&str; 2] = ["2026-07-15", "2026-10-15"];
/// Campaigns per Klaviyo page (small, so tests see `links.next`).
const KLAVIYO_PAGE: usize = 2;

fn klaviyo_error(status: u16, code: &str, title: &str, detail: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        json!({"errors": [{"id": "e2a5c1f0-0000-4000-8000-000000000000", "status": status,
                            "code": code, "title": title, "detail": detail,
                            "source": {"pointer": "/data/"}, "links": {}, "meta": {}}]}),
    )
    .header("content-type", "application/vnd.api+json")
}

/// Klaviyo: `GET /api/campaigns` (the watch's filter required), `GET
/// /api/campaign-messages/{id}/template`, `PATCH /api/campaign-send-jobs/{id}`.
pub fn klaviyo(
    campaigns: Campaigns,
    base: Arc<Mutex<String>>,
) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |req| {
        if req.header("authorization") != Some(&format!("Klaviyo-API-Key {KEY}")) {
            return klaviyo_error(
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing or invalid private key.",
            );
        }
        match req.header("revision") {
            None => {
                return klaviyo_error(
                    400,
                    "missing_revision",
                    "Missing revision header.",
                    "A revision header is required.",
                );
            }
            Some(r) if !KLAVIYO_REVISIONS.contains(&r) => {
                return klaviyo_error(
                    400,
                    "invalid",
                    "Invalid input.",
                    &format!("The revision {r} is not supported for this endpoint."),
                );
            }
            Some(_) => {}
        }
        if let Some(refused) = campaigns.refusal(true) {
            return refused;
        }
        let path = req.path.as_str();
        if path == "/api/campaigns" {
            return klaviyo_list(&campaigns, req, &base.lock().unwrap());
        }
        if let Some(message) = path
            .strip_prefix("/api/campaign-messages/")
            .and_then(|p| p.strip_suffix("/template"))
        {
            let list = campaigns.list.lock().unwrap().clone();
            let found = list.iter().find_map(|c| {
                c.variations
                    .iter()
                    .enumerate()
                    .find(|(i, _)| format!("{}-m{i}", c.id) == message)
                    .map(|(_, (_, html))| html.clone())
            });
            return match found {
                Some(html) => FakeResponse::json(
                    200,
                    json!({"data": {"type": "template", "id": format!("t-{message}"),
                    "attributes": {"name": "Campaign template", "editor_type": "CODE", "html": html, "text": null,
                                   "created": "2026-11-30T10:00:00+00:00", "updated": "2026-12-01T10:00:00+00:00"}}}),
                ),
                None => klaviyo_error(
                    404,
                    "not_found",
                    "Not found.",
                    "A campaign message with id was not found.",
                ),
            };
        }
        if let Some(id) = path.strip_prefix("/api/campaign-send-jobs/") {
            return klaviyo_revert(&campaigns, req, id);
        }
        klaviyo_error(404, "not_found", "Not found.", "The path was not found.")
    }
}

fn klaviyo_list(campaigns: &Campaigns, req: &FakeRequest, base: &str) -> FakeResponse {
    if req.query("filter")
        != Some("and(equals(messages.channel,'email'),equals(status,'Scheduled'))")
    {
        return klaviyo_error(
            400,
            "invalid",
            "Invalid input.",
            "the filter this fake answers is the watch's",
        );
    }
    let all = campaigns.scheduled();
    let start: usize = req
        .query("page[cursor]")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let page: Vec<&FakeCampaign> = all.iter().skip(start).take(KLAVIYO_PAGE).collect();
    let data: Vec<Value> = page.iter().map(|c| json!({
        "type": "campaign", "id": c.id,
        "attributes": {
            "name": c.name, "status": "Scheduled", "archived": false,
            "audiences": {"included": ["Y6nRLr"], "excluded": []},
            "send_options": {"use_smart_sending": true},
            "send_strategy": {"method": "static", "options": {"is_local": c.local, "send_past_recipients_immediately": false}},
            "created_at": "2026-11-30T10:00:00+00:00", "scheduled_at": "2026-12-01T09:00:00+00:00",
            "updated_at": c.updated_at, "send_time": time(c.send_time)
        },
        "relationships": {"campaign-messages": {"data": c.variations.iter().enumerate()
            .map(|(i, _)| json!({"type": "campaign-message", "id": format!("{}-m{i}", c.id)})).collect::<Vec<_>>()}},
        "links": {"self": format!("{base}/api/campaigns/{}/", c.id)}
    })).collect();
    let included: Vec<Value> = page.iter().flat_map(|c| c.variations.iter().enumerate().map(move |(i, (label, _))| json!({
        "type": "campaign-message", "id": format!("{}-m{i}", c.id),
        "attributes": {"definition": {"channel": "email", "label": label, "content": {"subject": format!("{} {label}", c.name)}},
                       "created_at": "2026-11-30T10:00:00+00:00", "updated_at": c.updated_at}
    }))).collect();
    let next = (start + KLAVIYO_PAGE < all.len()).then(|| {
        let filter =
            url::form_urlencoded::byte_serialize(req.query("filter").unwrap_or("").as_bytes())
                .collect::<String>();
        format!(
            "{base}/api/campaigns?filter={filter}&include=campaign-messages&page%5Bcursor%5D={}",
            start + KLAVIYO_PAGE
        )
    });
    FakeResponse::json(
        200,
        json!({"data": data, "included": included,
        "links": {"self": format!("{base}/api/campaigns"), "next": next, "prev": null}}),
    )
    .header("content-type", "application/vnd.api+json")
}

fn klaviyo_revert(campaigns: &Campaigns, req: &FakeRequest, id: &str) -> FakeResponse {
    if req.method != "PATCH" || req.header("content-type") != Some("application/vnd.api+json") {
        return klaviyo_error(
            415,
            "unsupported_media_type",
            "Unsupported media type.",
            "Use application/vnd.api+json.",
        );
    }
    let body = req.json();
    if body["data"]["type"] != "campaign-send-job"
        || body["data"]["id"] != id
        || body["data"]["attributes"]["action"] != "revert"
    {
        return klaviyo_error(
            400,
            "invalid",
            "Invalid input.",
            "expected the revert action of this campaign's send job",
        );
    }
    let mut list = campaigns.list.lock().unwrap();
    match list.iter_mut().find(|c| c.id == id) {
        Some(c) if c.sending => klaviyo_error(
            400,
            "invalid",
            "Invalid input.",
            "Campaign is sending and cannot be reverted.",
        ),
        Some(c) if c.scheduled => {
            c.scheduled = false;
            FakeResponse::text(204, "")
        }
        Some(_) => klaviyo_error(
            400,
            "invalid",
            "Invalid input.",
            "Campaign is not in a state that can be reverted.",
        ),
        None => klaviyo_error(
            404,
            "not_found",
            "Not found.",
            "A campaign send job with id was not found.",
        ),
    }
}
