//! Charts drawn by the server as SVG: axis labels, a legend, and colours that stay apart for
//! the colour-blind (red/grey/blue-green with text labels on every bar). Each chart has a text
//! alternative (`role="img"` + `aria-label`) saying what it shows.
use crate::domain::insight::Side;
use crate::store::DayCount;
use maud::{Markup, html};

const DETRACTOR: &str = "#c2410c";
const PASSIVE: &str = "#9ca3af";
const PROMOTER: &str = "#0f766e";
const BROKEN: &str = "#c2410c";
const KEPT: &str = "#0f766e";
const AXIS: &str = "#374151";
const CHECKS: &str = "#64748b";

fn score_colour(score: usize) -> &'static str {
    match score {
        0..=6 => DETRACTOR,
        7 | 8 => PASSIVE,
        _ => PROMOTER,
    }
}

/// A round axis maximum at or above `max` (1, 2, 5, 10, 20, 50…).
fn nice_ceiling(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Responses per score, 0 to 10, as a bar chart.
pub fn nps_distribution(distribution: &[u64; 11]) -> Markup {
    let (width, height) = (460.0, 240.0);
    let (left, right, top, bottom) = (44.0, 12.0, 16.0, 62.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let total: u64 = distribution.iter().sum();
    let ceiling = nice_ceiling(distribution.iter().copied().max().unwrap_or(0));
    let slot = plot_w / 11.0;
    let bar_w = slot * 0.7;
    let y_of = |n: u64| top + plot_h - plot_h * n as f64 / ceiling as f64;
    let summary = format!(
        "Survey scores, {total} responses: {}",
        distribution
            .iter()
            .enumerate()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let ticks: Vec<u64> = if ceiling >= 2 {
        vec![0, ceiling / 2, ceiling]
    } else {
        vec![0, ceiling]
    };
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} {height}"))
            role="img" aria-label=(summary) {
            title { (summary) }
            @for t in ticks {
                line x1=(left) x2=(width - right) y1=(y_of(t)) y2=(y_of(t)) stroke="#e5e7eb" {}
                text x=(left - 6.0) y=(y_of(t) + 4.0) text-anchor="end" font-size="11" fill=(AXIS) { (t) }
            }
            @for (score, n) in distribution.iter().enumerate() {
                @let x = left + slot * score as f64 + (slot - bar_w) / 2.0;
                rect x=(x) y=(y_of(*n)) width=(bar_w) height=(top + plot_h - y_of(*n))
                    fill=(score_colour(score)) {}
                @if *n > 0 {
                    text x=(x + bar_w / 2.0) y=(y_of(*n) - 3.0) text-anchor="middle" font-size="10" fill=(AXIS) { (n) }
                }
                text x=(x + bar_w / 2.0) y=(top + plot_h + 14.0) text-anchor="middle" font-size="11" fill=(AXIS) { (score) }
            }
            line x1=(left) x2=(width - right) y1=(top + plot_h) y2=(top + plot_h) stroke=(AXIS) {}
            text x=(left + plot_w / 2.0) y=(top + plot_h + 30.0) text-anchor="middle" font-size="12" fill=(AXIS) { "Score (0 = not at all likely, 10 = extremely likely)" }
            text x="12" y=(top + plot_h / 2.0) text-anchor="middle" font-size="12" fill=(AXIS)
                transform=(format!("rotate(-90 12 {})", top + plot_h / 2.0)) { "Responses" }
            @for (i, (label, colour)) in [("Detractors 0–6", DETRACTOR), ("Passives 7–8", PASSIVE), ("Promoters 9–10", PROMOTER)].iter().enumerate() {
                @let x = left + i as f64 * 135.0;
                rect x=(x) y=(height - 16.0) width="12" height="12" fill=(colour) {}
                text x=(x + 17.0) y=(height - 6.0) font-size="12" fill=(AXIS) { (label) }
            }
        }
    }
}

fn describe(side: &Side) -> String {
    match side.nps {
        Some(nps) => format!("NPS {nps:+.1} ({} responses)", side.responses),
        None => "no answers yet".to_owned(),
    }
}

/// NPS of respondents whose campaign broke a promise against those whose campaign kept them,
/// as two horizontal bars on a −100…100 axis.
pub fn promise_comparison(broken: &Side, kept: &Side) -> Markup {
    let (width, height) = (610.0, 150.0);
    // Row labels on the left, the −100…100 plot in the middle, the values on the right.
    let (left, plot_w, top) = (116.0, 260.0, 14.0);
    let zero = left + plot_w / 2.0;
    let x_of = |nps: f64| zero + plot_w / 2.0 * nps.clamp(-100.0, 100.0) / 100.0;
    let rows = [
        ("Broken promises", broken, BROKEN),
        ("Kept promises", kept, KEPT),
    ];
    let summary = format!(
        "Net Promoter Score: broken promises {}; kept promises {}",
        describe(broken),
        describe(kept)
    );
    let axis_y = top + 2.0 * 40.0 + 4.0;
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} {height}"))
            role="img" aria-label=(summary) {
            title { (summary) }
            @for t in [-100.0, -50.0, 0.0, 50.0, 100.0] {
                line x1=(x_of(t)) x2=(x_of(t)) y1=(top) y2=(axis_y) stroke=(if t == 0.0 { AXIS } else { "#e5e7eb" }) {}
                text x=(x_of(t)) y=(axis_y + 15.0) text-anchor="middle" font-size="11" fill=(AXIS) { (format!("{t:+.0}").replace("+0", "0")) }
            }
            text x=(zero) y=(axis_y + 32.0) text-anchor="middle" font-size="12" fill=(AXIS) { "Net Promoter Score (−100 to +100)" }
            @for (i, (label, side, colour)) in rows.iter().enumerate() {
                @let y = top + 6.0 + i as f64 * 40.0;
                text x=(left - 8.0) y=(y + 17.0) text-anchor="end" font-size="12" fill=(AXIS) { (label) }
                @if let Some(nps) = side.nps {
                    @let (x0, x1) = if nps < 0.0 { (x_of(nps), zero) } else { (zero, x_of(nps)) };
                    rect x=(x0) y=(y) width=((x1 - x0).max(1.0)) height="26" fill=(colour) {}
                }
                text x=(left + plot_w + 12.0) y=(y + 17.0) font-size="12" font-weight="600" fill=(AXIS) { (describe(side)) }
            }
        }
    }
}

/// One branch's clicks as a bar: those that met a broken promise, then the rest.
pub fn clicks_bar(broken: u64, clicks: u64) -> Markup {
    let (width, height) = (120.0, 14.0);
    let broken_w = if clicks == 0 {
        0.0
    } else {
        width * broken as f64 / clicks as f64
    };
    let label = format!("{broken} of {clicks} clicks met a broken promise");
    html! {
        svg.bar role="img" aria-label=(label) viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) {
            title { (label) }
            rect x="0" y="0" width=(width) height=(height) fill=(KEPT) {}
            @if broken > 0 { rect x="0" y="0" width=(format!("{broken_w:.1}")) height=(height) fill=(BROKEN) {} }
        }
    }
}

/// A rate (0 to 1) as a dot on a 0–100 % scale with its 95 % interval as a whisker.
pub fn rate_whisker(rate: f64, [low, high]: [f64; 2]) -> Markup {
    let (width, height, pad) = (120.0, 16.0, 4.0);
    let x = |v: f64| pad + (width - 2.0 * pad) * v.clamp(0.0, 1.0);
    let label = format!(
        "{:.0} %, 95 % interval {:.0} to {:.0} %",
        rate * 100.0,
        low * 100.0,
        high * 100.0
    );
    html! {
        svg.bar role="img" aria-label=(label) viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) {
            title { (label) }
            line x1=(pad) x2=(width - pad) y1="8" y2="8" stroke="#e5e7eb" stroke-width="6" {}
            line x1=(format!("{:.1}", x(low))) x2=(format!("{:.1}", x(high))) y1="8" y2="8" stroke=(AXIS) stroke-width="2" {}
            line x1=(format!("{:.1}", x(low))) x2=(format!("{:.1}", x(low))) y1="3" y2="13" stroke=(AXIS) stroke-width="2" {}
            line x1=(format!("{:.1}", x(high))) x2=(format!("{:.1}", x(high))) y1="3" y2="13" stroke=(AXIS) stroke-width="2" {}
            circle cx=(format!("{:.1}", x(rate))) cy="8" r="4" fill=(KEPT) {}
        }
    }
}

/// Checks per day with the blocks among them, a pair of bars a day; each day's bars link to
/// `href(day)` (that day's findings).
pub fn checks_per_day(days: &[DayCount], href: impl Fn(&DayCount) -> String) -> Markup {
    let (width, height) = (640.0, 230.0);
    let (left, right, top, bottom) = (44.0, 8.0, 12.0, 58.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let ceiling = nice_ceiling(days.iter().map(|d| d.checks).max().unwrap_or(0));
    let slot = plot_w / days.len().max(1) as f64;
    let bar_w = slot * 0.4;
    let y_of = |n: u64| top + plot_h - plot_h * n as f64 / ceiling as f64;
    let (checks, blocks) = days
        .iter()
        .fold((0, 0), |(c, b), d| (c + d.checks, b + d.blocks));
    let summary = format!(
        "Checks per day over {} days: {checks} checks, {blocks} of them blocking",
        days.len()
    );
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} {height}"))
            role="img" aria-label=(summary) {
            title { (summary) }
            @for t in [0, ceiling / 2, ceiling] {
                line x1=(left) x2=(width - right) y1=(y_of(t)) y2=(y_of(t)) stroke="#e5e7eb" {}
                text x=(left - 6.0) y=(y_of(t) + 4.0) text-anchor="end" font-size="11" fill=(AXIS) { (t) }
            }
            @for (i, d) in days.iter().enumerate() {
                @let x = left + slot * i as f64 + slot * 0.1;
                a href=(href(d)) {
                    title { (d.day.format("%Y-%m-%d")) ": " (d.checks) " checks, " (d.blocks) " blocking" }
                    rect x=(format!("{x:.1}")) y=(format!("{:.1}", y_of(d.checks))) width=(format!("{bar_w:.1}"))
                        height=(format!("{:.1}", top + plot_h - y_of(d.checks))) fill=(CHECKS) {}
                    rect x=(format!("{:.1}", x + bar_w)) y=(format!("{:.1}", y_of(d.blocks))) width=(format!("{bar_w:.1}"))
                        height=(format!("{:.1}", top + plot_h - y_of(d.blocks))) fill=(BROKEN) {}
                }
                @if i % 7 == days.len().saturating_sub(1) % 7 {
                    text x=(format!("{:.1}", x + bar_w)) y=(top + plot_h + 14.0) text-anchor="middle" font-size="11" fill=(AXIS) { (d.day.format("%m-%d")) }
                }
            }
            line x1=(left) x2=(width - right) y1=(top + plot_h) y2=(top + plot_h) stroke=(AXIS) {}
            text x="12" y=(top + plot_h / 2.0) text-anchor="middle" font-size="12" fill=(AXIS)
                transform=(format!("rotate(-90 12 {})", top + plot_h / 2.0)) { "Checks" }
            @for (i, (label, colour)) in [("Checks", CHECKS), ("Blocking", BROKEN)].iter().enumerate() {
                @let x = left + i as f64 * 110.0;
                rect x=(x) y=(height - 20.0) width="12" height="12" fill=(colour) {}
                text x=(x + 17.0) y=(height - 10.0) font-size="12" fill=(AXIS) { (label) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ceilings_are_round() {
        assert_eq!(
            [0, 1, 3, 7, 12, 51, 180].map(nice_ceiling),
            [1, 1, 5, 10, 20, 100, 200]
        );
    }

    #[test]
    fn the_distribution_chart_labels_every_score_and_says_what_it_shows() {
        let mut d = [0; 11];
        d[0] = 2;
        d[10] = 5;
        let svg = nps_distribution(&d).into_string();
        assert!(svg.contains("aria-label=\"Survey scores, 7 responses: 0: 2, 1: 0"));
        assert!(svg.contains(">Responses</text>"));
        assert!(svg.contains(">Promoters 9–10</text>"));
        assert_eq!(
            svg.matches("<rect").count(),
            11 + 3,
            "a bar per score and 3 legend keys"
        );
    }

    #[test]
    fn the_daily_chart_draws_two_bars_a_day_each_linked() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let days: Vec<DayCount> = (0..30)
            .map(|i| DayCount {
                day: day - chrono::Duration::days(29 - i),
                checks: i as u64,
                blocks: (i % 3) as u64,
            })
            .collect();
        let svg = checks_per_day(&days, |d| format!("/x?d={}", d.day)).into_string();
        assert!(svg.contains("30 days: 435 checks, 30 of them blocking"));
        assert_eq!(
            svg.matches("<rect").count(),
            60 + 2,
            "two bars a day, two keys"
        );
        assert_eq!(svg.matches("<a href=\"/x?d=").count(), 30);
        assert!(svg.contains(">12-06</text>"), "the last day is labelled");
    }

    #[test]
    fn the_comparison_chart_handles_a_side_without_answers() {
        let broken = Side {
            campaigns: 2,
            responses: 8,
            nps: Some(-37.5),
            distribution: [0; 11],
            ..Side::default()
        };
        let svg = promise_comparison(&broken, &Side::default()).into_string();
        assert!(svg.contains("NPS -37.5 (8 responses)"));
        assert!(svg.contains("kept promises no answers yet"));
        assert!(svg.contains(">Broken promises</text>"));
    }
}
