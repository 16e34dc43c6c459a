//! Integration tests: the real service on port 0, a fresh SQLite database per test, and the
//! third-party APIs faked in-process in their real formats.
#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod analysts;
mod backup;
mod browser;
mod browser_exemptions;
mod browser_locations;
mod browser_watch;
mod cli;
mod clicks;
mod compliance;
mod content;
mod crash;
mod errors;
mod events;
mod exemptions;
mod fleet;
mod golden;
mod google_business_profile;
mod http_json;
mod inbound;
mod inventory;
mod languages;
mod links;
mod live;
mod local_hours;
mod lookup;
mod operations;
mod pages;
mod presend;
mod promise_clicks;
mod providers;
mod quarantine;
mod recipients;
mod reminders;
mod retention;
mod reviews;
mod shutdown;
mod signatures;
mod surveys;
mod ui;
mod watch;
mod watch_safety;
