//! Shopify's GraphQL Admin API, faked: it parses the query it is sent and answers the fields
//! the inventory source asks — `productVariants(first, after, query)` searched by token as
//! Shopify's search is (so `sku:"SUV-1"` also finds `SUV-1-RED`), `inventoryItem(id)` with
//! `sku`, `tracked` and `inventoryLevel(locationId)`'s `quantities(names)` — with aliases and
//! variables. It prices every query by Shopify's documented rules (scalar 0, object 1,
//! connection 2 + `first` × its node; a list of quantities 1 a name), keeps a Standard shop's
//! bucket (2,000 points, 100 restored a second), charges the requested cost and refunds what
//! the answer did not use, refuses a query over 1,000 points (`MAX_COST_EXCEEDED`) and answers
//! `THROTTLED` — HTTP 200, as Shopify does — when the bucket cannot pay.
#![allow(dead_code)]
use super::fake_server::{FakeRequest, FakeResponse};
use super::upstreams::TOKEN;
use graphql_parser::query::{Definition, Field, OperationDefinition, Selection, Value as Gql};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const MAXIMUM: f64 = 2000.0;
pub const RESTORE: f64 = 100.0;
const MAX_QUERY: f64 = 1000.0;

/// What the shop holds: variants (sku, inventory item number, tracked) and the available
/// quantity of an item at a location (by numbers).
#[derive(Default)]
pub struct Shop {
    pub variants: Vec<(String, u64, bool)>,
    pub levels: HashMap<(u64, u64), i64>,
}

impl Shop {
    /// `skus` SKUs (`SKU-{i}`, tracked, inventory items 1000 + i), each with `quantity`
    /// available at locations 1 to `locations`.
    pub fn grid(skus: u64, locations: u64, quantity: i64) -> Self {
        let mut shop = Shop::default();
        for i in 0..skus {
            shop.variants.push((format!("SKU-{i}"), 1000 + i, true));
            for l in 1..=locations {
                shop.levels.insert((1000 + i, l), quantity);
            }
        }
        shop
    }
}

/// One query as served.
#[derive(Debug, Clone)]
pub struct Served {
    pub requested: f64,
    pub actual: Option<f64>,
    pub throttled: bool,
    pub at: Instant,
}

pub struct FakeShop {
    pub shop: Shop,
    /// The most one query may cost (Shopify's 1,000; a test may lower it).
    pub max_query: f64,
    available: f64,
    at: Instant,
    pub served: Vec<Served>,
}

impl FakeShop {
    pub fn new(shop: Shop) -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self {
            shop,
            max_query: MAX_QUERY,
            available: MAXIMUM,
            at: Instant::now(),
            served: Vec::new(),
        }))
    }

    /// Leaves `points` in the bucket now, as if another client of the shop had used the rest.
    pub fn leave(&mut self, points: f64) {
        self.available = points;
        self.at = Instant::now();
    }

    pub fn throttled(&self) -> usize {
        self.served.iter().filter(|s| s.throttled).count()
    }

    /// The least time the queries answered so far could have taken from a full bucket: the
    /// last could start only once the bucket had restored what those before it used, plus
    /// what it asked for, beyond the 2,000 points it started with.
    pub fn least_time(&self) -> Duration {
        let answered: Vec<&Served> = self.served.iter().filter(|s| !s.throttled).collect();
        let Some((last, before)) = answered.split_last() else {
            return Duration::ZERO;
        };
        let used: f64 = before.iter().filter_map(|s| s.actual).sum();
        Duration::from_secs_f64(((used + last.requested - MAXIMUM) / RESTORE).max(0.0))
    }
}

/// The handler for a `FakeServer`.
pub fn shopify_graphql(shop: Arc<Mutex<FakeShop>>) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |req| {
        if req.header("x-shopify-access-token") != Some(TOKEN) {
            return FakeResponse::json(
                401,
                json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
            );
        }
        if req.method != "POST" || !req.path.ends_with("/graphql.json") {
            return FakeResponse::json(404, json!({"errors": "Not Found"}));
        }
        let body = req.json();
        let text = body["query"].as_str().unwrap_or_default().to_owned();
        let variables = body["variables"].clone();
        let mut shop = shop.lock().unwrap();
        shop.answer(&text, &variables)
    }
}

impl FakeShop {
    fn answer(&mut self, text: &str, variables: &Value) -> FakeResponse {
        let document = match graphql_parser::parse_query::<String>(text) {
            Ok(d) => d,
            Err(e) => return error(&format!("syntax error: {e}"), "PARSE_ERROR"),
        };
        let Some(Definition::Operation(OperationDefinition::Query(query))) =
            document.definitions.first()
        else {
            return error("one query operation expected", "BAD_REQUEST");
        };
        let fields: Vec<&Field<String>> = fields(&query.selection_set.items);
        let requested: f64 = fields.iter().map(|f| cost(f, variables)).sum();
        let now = Instant::now();
        self.available =
            (self.available + now.duration_since(self.at).as_secs_f64() * RESTORE).min(MAXIMUM);
        self.at = now;
        if requested > self.max_query {
            let max = self.max_query;
            return self.priced(
                json!({"errors": [{"message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({max})."), "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": max}}]}),
                requested,
                None,
            );
        }
        if self.available < requested {
            self.served.push(Served {
                requested,
                actual: None,
                throttled: true,
                at: now,
            });
            return self.priced(
                json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}]}),
                requested,
                None,
            );
        }
        let mut data = Map::new();
        let mut actual = 0.0;
        for field in fields {
            let (value, used) = match self.resolve(field, variables) {
                Ok(answer) => answer,
                Err(message) => return error(&message, "undefinedField"),
            };
            actual += used;
            data.insert(field.alias.clone().unwrap_or(field.name.clone()), value);
        }
        self.available -= actual;
        self.served.push(Served {
            requested,
            actual: Some(actual),
            throttled: false,
            at: now,
        });
        self.priced(json!({"data": data}), requested, Some(actual))
    }

    /// The answer with `extensions.cost` as Shopify writes it.
    fn priced(&self, mut body: Value, requested: f64, actual: Option<f64>) -> FakeResponse {
        body["extensions"] = json!({"cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": MAXIMUM, "currentlyAvailable": self.available, "restoreRate": RESTORE},
        }});
        FakeResponse::json(200, body)
    }

    fn resolve(&self, field: &Field<String>, vars: &Value) -> Result<(Value, f64), String> {
        match field.name.as_str() {
            "productVariants" => Ok(self.variants(field, vars)),
            "inventoryItem" => Ok(self.item(field, vars)),
            other => Err(format!("Field '{other}' doesn't exist on type 'QueryRoot'")),
        }
    }

    fn variants(&self, field: &Field<String>, vars: &Value) -> (Value, f64) {
        let first = arg(field, "first", vars).as_u64().unwrap_or(0) as usize;
        let search = arg(field, "query", vars);
        let terms = search_terms(search.as_str().unwrap_or_default());
        let after = arg(field, "after", vars)
            .as_str()
            .and_then(|c| c.strip_prefix("cursor:")?.parse::<usize>().ok());
        let matching: Vec<(usize, &(String, u64, bool))> = self
            .shop
            .variants
            .iter()
            .enumerate()
            .filter(|(_, (sku, ..))| terms.iter().any(|t| token_match(t, sku)))
            .filter(|(i, _)| after.is_none_or(|a| *i > a))
            .collect();
        let page: Vec<_> = matching.iter().take(first).collect();
        let nodes: Vec<Value> = page
            .iter()
            .map(|(_, (sku, item, tracked))| {
                json!({"sku": sku, "inventoryItem": {"id": format!("gid://shopify/InventoryItem/{item}"), "tracked": tracked}})
            })
            .collect();
        let cost = 2.0 + nodes.len() as f64 * 2.0 + 1.0;
        let value = json!({
            "nodes": nodes,
            "pageInfo": {
                "hasNextPage": matching.len() > page.len(),
                "endCursor": page.last().map(|(i, _)| format!("cursor:{i}")),
            }
        });
        (value, cost)
    }

    fn item(&self, field: &Field<String>, vars: &Value) -> (Value, f64) {
        let id = arg(field, "id", vars);
        let number = number_of(
            id.as_str().unwrap_or_default(),
            "gid://shopify/InventoryItem/",
        );
        let Some((sku, item, tracked)) = self
            .shop
            .variants
            .iter()
            .find(|(_, item, _)| Some(*item) == number)
        else {
            return (Value::Null, 1.0);
        };
        let mut out = Map::new();
        let mut cost = 1.0;
        for child in fields(&field.selection_set.items) {
            let key = child.alias.clone().unwrap_or(child.name.clone());
            let value = match child.name.as_str() {
                "id" => json!(format!("gid://shopify/InventoryItem/{item}")),
                "tracked" => json!(tracked),
                "sku" => json!(sku),
                "inventoryLevel" => {
                    let location = arg(child, "locationId", vars);
                    let location = number_of(
                        location.as_str().unwrap_or_default(),
                        "gid://shopify/Location/",
                    );
                    cost += 1.0;
                    match location.and_then(|l| self.shop.levels.get(&(*item, l))) {
                        None => Value::Null,
                        Some(available) => {
                            let (quantities, used) = quantities(child, vars, *available);
                            cost += used;
                            quantities
                        }
                    }
                }
                _ => Value::Null,
            };
            out.insert(key, value);
        }
        (Value::Object(out), cost)
    }
}

/// `{ quantities(names: […]) { name quantity } }` of one level, and what it cost.
fn quantities(level: &Field<String>, vars: &Value, available: i64) -> (Value, f64) {
    let Some(q) = fields(&level.selection_set.items)
        .into_iter()
        .find(|f| f.name == "quantities")
    else {
        return (json!({}), 0.0);
    };
    let names = arg(q, "names", vars);
    let names: Vec<&str> = names
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let list: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "quantity": if *n == "available" { available } else { 0 }}))
        .collect();
    let key = q.alias.clone().unwrap_or(q.name.clone());
    (json!({ key: list }), names.len() as f64)
}

/// What a top-level field may cost, before it is run.
fn cost(field: &Field<String>, vars: &Value) -> f64 {
    let children = fields(&field.selection_set.items);
    match field.name.as_str() {
        "productVariants" => {
            let first = arg(field, "first", vars).as_f64().unwrap_or(0.0);
            let node: f64 = children
                .iter()
                .filter(|c| c.name == "nodes")
                .map(|n| {
                    1.0 + fields(&n.selection_set.items)
                        .iter()
                        .filter(|c| !c.selection_set.items.is_empty())
                        .count() as f64
                })
                .sum();
            let page_info = children.iter().filter(|c| c.name == "pageInfo").count() as f64;
            2.0 + first * node + page_info
        }
        "inventoryItem" => {
            1.0 + children
                .iter()
                .filter(|c| c.name == "inventoryLevel")
                .map(|level| {
                    let names: f64 = fields(&level.selection_set.items)
                        .iter()
                        .filter(|q| q.name == "quantities")
                        .map(|q| arg(q, "names", vars).as_array().map_or(0, Vec::len) as f64)
                        .sum();
                    1.0 + names
                })
                .sum::<f64>()
        }
        _ => 1.0,
    }
}

fn fields<'a, 'b>(items: &'a [Selection<'b, String>]) -> Vec<&'a Field<'b, String>> {
    items
        .iter()
        .filter_map(|s| match s {
            Selection::Field(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// An argument's value, variables resolved.
fn arg(field: &Field<String>, name: &str, vars: &Value) -> Value {
    let Some((_, value)) = field.arguments.iter().find(|(n, _)| n == name) else {
        return Value::Null;
    };
    literal(value, vars)
}

fn literal(value: &Gql<'_, String>, vars: &Value) -> Value {
    match value {
        Gql::Variable(v) => vars[v.as_str()].clone(),
        Gql::Int(n) => json!(n.as_i64()),
        Gql::String(s) => json!(s),
        Gql::Boolean(b) => json!(b),
        Gql::List(items) => Value::Array(items.iter().map(|i| literal(i, vars)).collect()),
        Gql::Enum(e) => json!(e),
        _ => Value::Null,
    }
}

fn number_of(gid: &str, prefix: &str) -> Option<u64> {
    gid.strip_prefix(prefix)?.parse().ok()
}

/// Shopify's search syntax as the source writes it: `sku:"…"` terms (`\"` and `\\` escaped)
/// joined by ` OR `.
fn search_terms(search: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = search;
    while let Some(start) = rest.find("sku:\"") {
        let mut term = String::new();
        let mut chars = rest[start + 5..].char_indices();
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => term.extend(chars.next().map(|(_, c)| c)),
                '"' => {
                    end = start + 5 + i + 1;
                    break;
                }
                c => term.push(c),
            }
        }
        terms.push(term);
        rest = &rest[end..];
    }
    terms
}

/// Search by token: every token of the term is a token of the SKU.
fn token_match(term: &str, sku: &str) -> bool {
    let tokens = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let of_sku = tokens(sku);
    let of_term = tokens(term);
    !of_term.is_empty() && of_term.iter().all(|t| of_sku.contains(t))
}

fn error(message: &str, code: &str) -> FakeResponse {
    FakeResponse::json(
        200,
        json!({"errors": [{"message": message, "extensions": {"code": code}}]}),
    )
}
