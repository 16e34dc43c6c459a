//! Mailchimp's Marketing API 3.0 as the watch reads it: HTTP Basic with the key as password,
//! `count`/`offset` pages, problem+json errors, `variate_contents`, `actions/unschedule`.
use super::super::fake_server::{FakeRequest, FakeResponse};
use super::MAILCHIMP_KEY;
use super::{Campaigns, time};
use serde_json::{Value, json};

fn mailchimp_error(status: u16, title: &str, detail: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        json!({"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": title,
               "status": status, "detail": detail, "instance": "995c5cb0-3280-4a6e-808b-3b096d0bb219"}),
    )
    .header("content-type", "application/problem+json; charset=utf-8")
}

/// Mailchimp: `GET /3.0/campaigns?status=schedule`, `GET /3.0/campaigns/{id}/content`, `POST
/// /3.0/campaigns/{id}/actions/unschedule`.
pub fn mailchimp(campaigns: Campaigns) -> impl Fn(&FakeRequest) -> FakeResponse {
    use base64::Engine;
    move |req| {
        let auth_ok = req.header("authorization").is_some_and(|h| {
            h.strip_prefix("Basic ")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .is_some_and(|pair| {
                    pair.split_once(':')
                        .is_some_and(|(_, key)| key == MAILCHIMP_KEY)
                })
        });
        if !auth_ok {
            return mailchimp_error(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            );
        }
        if let Some(refused) = campaigns.refusal(false) {
            return refused;
        }
        let path = req.path.as_str();
        if path == "/3.0/campaigns" {
            if req.query("status") != Some("schedule") {
                return mailchimp_error(
                    400,
                    "Invalid Resource",
                    "this fake answers status=schedule",
                );
            }
            let all = campaigns.scheduled();
            let count: usize = req
                .query("count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(10)
                .min(1000);
            let offset: usize = req
                .query("offset")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = all.iter().skip(offset).take(count).map(|c| json!({
                "id": c.id, "web_id": 4242, "type": if c.variations.len() > 1 { "variate" } else { "regular" },
                "create_time": "2026-11-30T10:00:00+00:00", "status": "schedule",
                "send_time": time(c.send_time), "content_type": "template",
                "recipients": {"list_id": "57afe96172", "list_is_active": true, "recipient_count": 1200},
                "settings": {"subject_line": format!("{} subject", c.name), "title": c.name,
                             "from_name": "Example Rent", "reply_to": "hello@example.com", "timewarp": c.local},
                "_links": []
            })).collect();
            return FakeResponse::json(
                200,
                json!({"campaigns": page, "total_items": all.len(), "_links": []}),
            );
        }
        let Some(rest) = path.strip_prefix("/3.0/campaigns/") else {
            return mailchimp_error(
                404,
                "Resource Not Found",
                "The requested resource could not be found.",
            );
        };
        let (id, action) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(c) = campaigns
            .list
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.id == id)
            .cloned()
        else {
            return mailchimp_error(
                404,
                "Resource Not Found",
                "The requested resource could not be found.",
            );
        };
        if action == "actions/unschedule"
            && let Some(refused) = campaigns.write_refusal()
        {
            return refused;
        }
        match (req.method.as_str(), action) {
            ("GET", "content") if c.variations.len() > 1 => FakeResponse::json(
                200,
                json!({
                    "variate_contents": c.variations.iter().map(|(label, html)| json!({"content_label": label, "html": html, "plain_text": ""})).collect::<Vec<_>>(),
                    "_links": []
                }),
            ),
            ("GET", "content") => FakeResponse::json(
                200,
                json!({"html": c.variations[0].1, "plain_text": "", "_links": []}),
            ),
            ("POST", "actions/unschedule") if c.sending => mailchimp_error(
                400,
                "Bad Request",
                "This campaign cannot be unscheduled because it is currently sending.",
            ),
            ("POST", "actions/unschedule") if c.scheduled => {
                campaigns.edit(id, |c| c.scheduled = false);
                FakeResponse::text(204, "")
            }
            ("POST", "actions/unschedule") => {
                mailchimp_error(400, "Bad Request", "This campaign is not scheduled.")
            }
            _ => mailchimp_error(
                405,
                "Method Not Allowed",
                "The requested method and resource are not compatible.",
            ),
        }
    }
}
