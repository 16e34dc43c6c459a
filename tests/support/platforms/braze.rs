//! Braze's REST API as the watch reads it: Bearer key, `scheduled_broadcasts` (Campaigns and
//! Canvases), `campaigns/details`, `{"message": …}` errors.
use super::super::fake_server::{FakeRequest, FakeResponse};
use super::KEY;
use super::{Campaigns, time};
use chrono::DateTime;
use serde_json::{Value, json};

/// Braze: `GET /messages/scheduled_broadcasts?end_time=…`, `GET /campaigns/details?campaign_id=…`.
pub fn braze(campaigns: Campaigns) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |req| {
        if req.header("authorization") != Some(&format!("Bearer {KEY}")) {
            return FakeResponse::json(401, json!({"message": "Invalid API key: (redacted)"}));
        }
        if let Some(refused) = campaigns.refusal(true) {
            return refused;
        }
        match req.path.as_str() {
            "/messages/scheduled_broadcasts" => {
                let Some(end) = req
                    .query("end_time")
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                else {
                    return FakeResponse::json(
                        400,
                        json!({"message": "end_time is required and must be ISO 8601"}),
                    );
                };
                let listed: Vec<Value> = campaigns.scheduled().iter().filter(|c| c.send_time <= end).map(|c| json!({
                    "name": c.name, "id": c.id, "type": if c.canvas { "Canvas" } else { "Campaign" },
                    "tags": [], "next_send_time": time(c.send_time),
                    "schedule_type": if c.local { "local_time_zones" } else { "time" }
                })).collect();
                FakeResponse::json(
                    200,
                    json!({"scheduled_broadcasts": listed, "message": "success"}),
                )
            }
            "/campaigns/details" => {
                let id = req.query("campaign_id").unwrap_or_default();
                let Some(c) = campaigns
                    .list
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|c| c.id == id && !c.canvas)
                    .cloned()
                else {
                    return FakeResponse::json(400, json!({"message": "Invalid campaign_id"}));
                };
                let messages: serde_json::Map<String, Value> = c.variations.iter().enumerate().map(|(i, (label, html))| {
                    (format!("{}-v{i}", c.id), json!({"channel": "email", "name": label, "subject": format!("{} {label}", c.name),
                        "body": html, "from": "Example Rent <hello@example.com>", "reply_to": null, "title": label}))
                }).collect();
                FakeResponse::json(
                    200,
                    json!({"message": "success", "created_at": "2026-11-30T10:00:00+00:00",
                    "updated_at": c.updated_at, "archived": false, "draft": false, "enabled": true,
                    "name": c.name, "schedule_type": if c.local { "local_time_zones" } else { "time" },
                    "channels": ["email"], "first_sent": null, "last_sent": null, "tags": [],
                    "messages": messages, "conversion_behaviors": []}),
                )
            }
            _ => FakeResponse::json(404, json!({"message": "Not found"})),
        }
    }
}
