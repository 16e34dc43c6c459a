use super::*;

fn templates() -> LinkTemplates {
    LinkTemplates::new(
        &["https://rent.example.com/branches/{location}".into()],
        &["https://shop.example.com/p/{sku}?store={location}".into()],
    )
    .unwrap()
}

fn found(html: &str) -> Found {
    extract(html, None, &templates()).unwrap()
}

/// (offer, location, sku, quantity, href?, text) of one promise.
type Row = (String, String, Option<String>, Option<i64>, bool, String);

/// Every promise, in order.
fn promises(f: &Found) -> Vec<Row> {
    f.offers
        .iter()
        .flat_map(|o| {
            o.promises.iter().map(|p| {
                (
                    o.id.clone(),
                    p.location.clone(),
                    p.sku.clone(),
                    p.quantity,
                    p.href.is_some(),
                    p.text.clone().unwrap_or_default(),
                )
            })
        })
        .collect()
}

#[test]
fn links_promise_by_template_with_their_text_and_once_each() {
    let f = found(
        r#"<title> Free  day </title>
        <p>Go: <a href="https://rent.example.com/branches/loc-1?utm_source=x&amp;y=1">Rent from
           <b>Downtown</b> &rarr;</a>
        <a href="https://rent.example.com/branches/loc-1">again</a>
        <a href="https://example.org/about">about</a>
        <a href="mailto:x@example.com">mail</a>
        <a href="https://shop.example.com/p/TENT?store=loc-2">Tent</a>"#,
    );
    assert_eq!(
        promises(&f),
        vec![
            (
                "email".into(),
                "loc-1".into(),
                None,
                None,
                true,
                "Rent from Downtown →".into()
            ),
            (
                "email".into(),
                "loc-2".into(),
                Some("TENT".into()),
                None,
                true,
                "Tent".into()
            ),
        ]
    );
    assert_eq!((f.links, f.promising_links), (4, 3));
    assert_eq!(f.html_title.as_deref(), Some("Free day"));
    assert_eq!(
        f.offers[0].promises[0].href.as_deref(),
        Some("https://rent.example.com/branches/loc-1?utm_source=x&y=1")
    );
}

#[test]
fn markup_groups_by_the_innermost_offer_and_locates_skus_by_the_nearest_location() {
    let f = found(
        r#"<body data-promise-title="Winter">
        <div data-promise-offer="weekend" data-promise-title="Weekend"
             data-promise-valid-from="2026-12-12T09:00:00" data-promise-valid-until="2026-12-13T18:00:00">
          <table><tr><td data-promise-location="loc-7">
            <span data-promise-sku="SUV" data-promise-quantity="3">SUVs</span>
            <div data-promise-offer="inner"><a href="https://rent.example.com/branches/loc-8">x</a></div>
          </td></tr></table>
          <a href="https://rent.example.com/branches/loc-9" data-promise-location="loc-10">markup wins</a>
        </div>
        <i data-promise-sku="GIFT">online</i>"#,
    );
    assert_eq!(
        promises(&f),
        vec![
            (
                "weekend".into(),
                "loc-7".into(),
                None,
                None,
                false,
                "".into()
            ),
            (
                "weekend".into(),
                "loc-7".into(),
                Some("SUV".into()),
                Some(3),
                false,
                "".into()
            ),
            (
                "weekend".into(),
                "loc-10".into(),
                None,
                None,
                true,
                "markup wins".into()
            ),
            ("inner".into(), "loc-8".into(), None, None, true, "x".into()),
            (
                "email".into(),
                "online".into(),
                Some("GIFT".into()),
                None,
                false,
                "".into()
            ),
        ]
    );
    let weekend = &f.offers[0];
    assert_eq!(weekend.title.as_deref(), Some("Weekend"));
    assert!(matches!(
        weekend.window,
        Some((WindowTime::Local(_), WindowTime::Local(_)))
    ));
    assert_eq!(f.title.as_deref(), Some("Winter"));
    assert_eq!(
        f.offers[0].promises[2].href.as_deref(),
        Some("https://rent.example.com/branches/loc-9")
    );
}

#[test]
fn html_is_read_as_a_browser_reads_it() {
    // Uppercase, unclosed and stray tags; comments and conditional comments hold nothing. The
    // table is never closed, so what follows it is moved before it (foster-parented), as a
    // browser does: the group and the last link come first in the tree.
    let f = found(
        r#"<TABLE><TR><TD><P>one<P><A HREF="HTTPS://RENT.EXAMPLE.COM:443/branches/LOC-1/">Go</A></TD></TD>
        <!-- <a href="https://rent.example.com/branches/hidden">no</a> -->
        <!--[if mso]><a href="https://rent.example.com/branches/outlook">no</a><![endif]-->
        <div data-promise-offer="g"><p><a href="https://rent.example.com/branches/loc-2">two</a></div>
        <a href="https://rent.example.com/branches/loc-3">three</a>"#,
    );
    let found: Vec<(String, String)> = promises(&f).into_iter().map(|p| (p.0, p.1)).collect();
    assert_eq!(
        found,
        vec![
            ("g".into(), "loc-2".into()),
            ("email".into(), "loc-3".into()),
            ("email".into(), "LOC-1".into()),
        ]
    );
}

#[test]
fn personalised_links_to_a_templates_host_are_listed_not_judged() {
    let f = extract(
        r#"<a href="https://rent.example.com/branches/{{ branch }}">Liquid</a>
        <a href="https://rent.example.com/branches/*|BRANCH|*">Mailchimp</a>
        <a href="https://rent.example.com/branches/%%=v(@branch)=%%">AMPscript</a>
        <a href="https://rent.example.com/branches/{% raw %}x{% endraw %}">Jinja</a>
        <a href="https://other.example.com/{{ x }}">not ours</a>
        <a href="{{ unsubscribe_url }}">not a URL</a>"#,
        Some("Your branch: https://rent.example.com/branches/loc-5. Or https://rent.example.com/branches/{{ b }}"),
        &templates(),
    )
    .unwrap();
    assert_eq!(f.personalized.len(), 5);
    assert_eq!(f.links, 7);
    assert_eq!(f.promising_links, 1);
    assert_eq!(promises(&f).len(), 1);
    assert_eq!(
        f.offers[0].promises[0].href.as_deref(),
        Some("https://rent.example.com/branches/loc-5")
    );
}

#[test]
fn unreadable_markup_is_said_of_its_attribute() {
    let errors = extract(
        r#"<a data-promise-sku="S" data-promise-quantity="many">x</a>
        <p data-promise-quantity="2">no sku</p>
        <div data-promise-offer="w" data-promise-valid-from="2026-12-12T09:00:00">half</div>
        <div data-promise-offer="v" data-promise-valid-from="2026-12-13T09:00:00Z"
             data-promise-valid-until="2026-12-12T09:00:00Z">backwards</div>
        <span data-promise-location="">empty</span>"#,
        None,
        &templates(),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors[0].contains("data-promise-quantity=\"many\""));
    assert!(errors[2].contains("data-promise-offer=\"w\""));
    assert!(errors[3].contains("after"), "{}", errors[3]);
    assert!(errors[4].contains("data-promise-location"));
}

#[test]
fn a_long_link_text_is_cut_and_a_deep_email_does_not_exhaust_the_stack() {
    let long = "word ".repeat(100);
    let f = found(&format!(
        r#"<a href="https://rent.example.com/branches/loc-1">{long}</a>"#
    ));
    let text = f.offers[0].promises[0].text.clone().unwrap();
    assert_eq!(text, "word ".repeat(40).trim_end());
    let deep = format!(
        "{}<a href=\"https://rent.example.com/branches/deep\">d</a>",
        "<div>".repeat(500)
    );
    assert_eq!(found(&deep).promising_links, 1);
    // Nested thousands deep, the parser would be quadratic (minutes for 1 MB): refused first.
    let deeper = "<div><span>".repeat(100_000);
    let errors = extract(&deeper, None, &templates()).unwrap_err();
    assert!(errors[0].contains("200000 deep"), "{errors:?}");
}

#[test]
fn nesting_is_read_from_the_tags_alone() {
    use super::super::links::nesting_depth;
    assert_eq!(nesting_depth("<div><p>a<p>b<div/><br><img src=x></div>"), 1);
    assert_eq!(
        nesting_depth("<TABLE><TR><TD><TABLE><TR><TD>x</TD></TR></TABLE></TD></TR></TABLE>"),
        2
    );
    assert_eq!(nesting_depth("<!-- <div><div><div> --><span>x</span>"), 1);
    assert_eq!(nesting_depth("a < b and </ c > d <"), 0);
    assert_eq!(nesting_depth(&"<ul><li>x".repeat(10)), 10);
}
