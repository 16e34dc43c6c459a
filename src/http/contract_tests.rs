//! The HTTP contract in one place: every route the service registers is documented in
//! `/openapi.json` — but the analyst pages, named below — and every reference in the document
//! resolves.
use super::ops::ApiDoc;
use actix_web::App;
use serde_json::Value;
use utoipa::OpenApi;

/// HTML pages for people, not an API: left out of `/openapi.json` on purpose.
const NOT_IN_OPENAPI: &[&str] = &[
    "/ui",
    "/ui/",
    "/ui/login",
    "/ui/logout",
    "/ui/oidc/start",
    "/ui/campaigns",
    "/ui/campaigns/{id}",
    "/ui/campaigns/{id}/recheck",
    "/ui/findings",
    "/ui/findings/export",
    "/ui/findings/review",
    "/ui/findings/{id}/review",
    "/ui/exemptions",
    "/ui/exemptions/{id}/revoke",
    "/ui/insights",
    "/ui/insights/locations",
];

fn document() -> Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap()
}

fn registered() -> Vec<(String, &'static str)> {
    let mut routes = Vec::new();
    let _app = App::new().configure(|cfg| {
        routes = super::register(cfg)
            .into_iter()
            .map(|(method, path)| (method.as_str().to_ascii_lowercase(), path))
            .collect();
    });
    routes
}

#[test]
fn every_registered_route_but_the_pages_is_documented() {
    let doc = document();
    let routes = registered();
    assert!(routes.len() > 30, "{routes:?}");
    let undocumented: Vec<String> = routes
        .iter()
        .filter(|(_, path)| !NOT_IN_OPENAPI.contains(path))
        .filter(|(method, path)| doc["paths"][*path][method.as_str()].is_null())
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "registered but not in /openapi.json: {undocumented:?}"
    );
    // The exemptions are pages, and pages only.
    for path in NOT_IN_OPENAPI {
        assert!(path.starts_with("/ui"), "{path} is not an analyst page");
        assert!(
            routes.iter().any(|(_, p)| p == path),
            "{path} is exempted but not registered"
        );
    }
}

#[test]
fn everything_documented_is_registered() {
    let doc = document();
    let routes = registered();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                routes.iter().any(|(m, p)| m == method && p == path),
                "{method} {path} is documented but not registered"
            );
        }
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn walk(value: &Value, doc: &Value, missing: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let pointer = reference.trim_start_matches('#');
                    if doc.pointer(pointer).is_none() {
                        missing.push(reference.clone());
                    }
                }
                map.values().for_each(|v| walk(v, doc, missing));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc, missing)),
            _ => {}
        }
    }
    let doc = document();
    let mut missing = Vec::new();
    walk(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

#[test]
fn every_operation_documents_its_answers() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let statuses = operation["responses"].as_object();
            assert!(
                statuses.is_some_and(|s| !s.is_empty()),
                "{method} {path} documents no answer"
            );
        }
    }
}
