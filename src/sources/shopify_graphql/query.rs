//! The GraphQL queries the Shopify source asks (variants by SKU, levels, one item by id), their variables, what each costs by
//! Shopify's documented rules (a scalar or enum 0, an object 1, a connection 2 plus `first`
//! times its node), and the answers' shapes.
use super::bucket::ThrottleStatus;
use serde::Deserialize;
use serde_json::{Value, json};

/// Variants a page (Shopify's most for `first`).
pub const MAX_PAGE: usize = 250;

/// SKUs → inventory items: variants found by a search for each SKU, a page at a time.
pub const VARIANTS: &str = "query Variants($query: String!, $first: Int!, $after: String) {
  productVariants(first: $first, query: $query, after: $after) {
    nodes { sku inventoryItem { id tracked } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// One inventory item by its id, with its SKU (a pushed change names the item): an object.
pub const ITEM: &str = "query Item($id: ID!) {
  inventoryItem(id: $id) { id sku tracked }
}";

/// What [`ITEM`] costs: one object.
pub const ITEM_COST: f64 = 1.0;

/// The answer to [`ITEM`]: `null` when the shop has no such item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAnswer {
    pub inventory_item: Option<ItemWithSku>,
}

#[derive(Debug, Deserialize)]
pub struct ItemWithSku {
    pub id: String,
    pub sku: Option<String>,
    pub tracked: bool,
}

/// What a page of `first` variants may cost: the connection (2 + `first` × a variant and its
/// inventory item) and `pageInfo`.
pub fn variants_cost(first: usize) -> f64 {
    2.0 + first as f64 * 2.0 + 1.0
}

/// The search for exactly these SKUs: `sku:"…"` each (quoted, `\` and `"` escaped) joined by
/// `OR`. Search is by token, so the answer may hold other SKUs: the caller keeps exact matches.
pub fn sku_search(skus: &[&str]) -> String {
    skus.iter()
        .map(|sku| {
            let escaped = sku.replace('\\', "\\\\").replace('"', "\\\"");
            format!("sku:\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// A Shopify location's gid from an offer's location: the gid itself, or its number.
pub fn location_gid(location: &str) -> Option<String> {
    const PREFIX: &str = "gid://shopify/Location/";
    let number = location.strip_prefix(PREFIX).unwrap_or(location);
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{PREFIX}{number}"))
}

/// One inventory item and the locations asked of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemAsk {
    pub item_id: String,
    pub locations: Vec<String>,
}

/// The available quantities of each item at each of its locations: `i{n}` an item (with
/// `tracked`), `l{m}` one of its levels — every id a variable, so nothing is spliced into the
/// query text. Returns the query and its variables.
pub fn levels(asks: &[ItemAsk]) -> (String, Value) {
    let mut declared = Vec::new();
    let mut body = String::new();
    let mut variables = serde_json::Map::new();
    for (n, ask) in asks.iter().enumerate() {
        declared.push(format!("$i{n}: ID!"));
        variables.insert(format!("i{n}"), json!(ask.item_id));
        let mut levels = String::new();
        for (m, location) in ask.locations.iter().enumerate() {
            declared.push(format!("$i{n}l{m}: ID!"));
            variables.insert(format!("i{n}l{m}"), json!(location));
            levels.push_str(&format!(
                "    l{m}: inventoryLevel(locationId: $i{n}l{m}) {{ quantities(names: [\"available\"]) {{ name quantity }} }}\n"
            ));
        }
        body.push_str(&format!(
            "  i{n}: inventoryItem(id: $i{n}) {{\n    tracked\n{levels}  }}\n"
        ));
    }
    (
        format!("query Levels({}) {{\n{body}}}", declared.join(", ")),
        Value::Object(variables),
    )
}

/// What `levels` costs: an object per item, and per level the level and its quantities.
pub fn levels_cost(asks: &[ItemAsk]) -> f64 {
    asks.iter()
        .map(|a| 1.0 + 2.0 * a.locations.len() as f64)
        .sum()
}

/// One GraphQL answer.
#[derive(Debug, Deserialize)]
pub struct Answer {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Option<Value>,
    #[serde(default)]
    pub extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
pub struct Extensions {
    pub cost: Option<Cost>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub requested_query_cost: f64,
    pub throttle_status: ThrottleStatus,
}

impl Answer {
    /// `errors[].extensions.code` of each error (a throttled answer says `THROTTLED` whatever
    /// its HTTP status), and the first message. Shopify also answers `{"errors": "…"}` (a bad
    /// token): a message without a code.
    pub fn error_codes(&self) -> (Vec<String>, Option<String>) {
        match &self.errors {
            None | Some(Value::Null) => (Vec::new(), None),
            Some(Value::Array(errors)) => (
                errors
                    .iter()
                    .filter_map(|e| e.pointer("/extensions/code")?.as_str())
                    .map(str::to_owned)
                    .collect(),
                errors
                    .first()
                    .and_then(|e| e["message"].as_str())
                    .map(str::to_owned),
            ),
            Some(other) => (Vec::new(), Some(other.to_string())),
        }
    }
}

/// A page of `productVariants`.
#[derive(Debug, Deserialize)]
pub struct VariantsPage {
    #[serde(rename = "productVariants")]
    pub variants: Connection,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub nodes: Vec<Variant>,
    pub page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub sku: Option<String>,
    pub inventory_item: Option<InventoryItem>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct InventoryItem {
    pub id: String,
    pub tracked: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// The available quantity in one `inventoryLevel` answer: `null` (the item is not stocked
/// there) is 0.
pub fn available(level: &Value) -> Result<f64, String> {
    if level.is_null() {
        return Ok(0.0);
    }
    let quantities = level["quantities"]
        .as_array()
        .ok_or_else(|| format!("an inventory level without quantities: {level}"))?;
    let found = quantities.iter().find(|q| q["name"] == "available");
    match found.map(|q| &q["quantity"]) {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("quantity {n}")),
        None => Ok(0.0),
        Some(other) => Err(format!("quantity {other} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_quoted_and_escaped_for_the_search() {
        assert_eq!(
            sku_search(&["SUV-1", "say \"hi\"", r"back\slash"]),
            r#"sku:"SUV-1" OR sku:"say \"hi\"" OR sku:"back\\slash""#
        );
    }

    #[test]
    fn locations_are_gids_from_a_gid_or_a_number() {
        assert_eq!(
            location_gid("655441491").as_deref(),
            Some("gid://shopify/Location/655441491")
        );
        assert_eq!(
            location_gid("gid://shopify/Location/7").as_deref(),
            Some("gid://shopify/Location/7")
        );
        for not in [
            "online",
            "",
            "gid://shopify/Location/",
            "gid://shopify/Product/7",
        ] {
            assert_eq!(location_gid(not), None, "{not}");
        }
    }

    #[test]
    fn a_levels_query_names_every_id_as_a_variable_and_costs_by_its_objects() {
        let asks = [
            ItemAsk {
                item_id: "gid://shopify/InventoryItem/1".into(),
                locations: vec![
                    "gid://shopify/Location/10".into(),
                    "gid://shopify/Location/11".into(),
                ],
            },
            ItemAsk {
                item_id: "gid://shopify/InventoryItem/2".into(),
                locations: vec!["gid://shopify/Location/10".into()],
            },
        ];
        let (query, variables) = levels(&asks);
        assert!(
            query.starts_with(
                "query Levels($i0: ID!, $i0l0: ID!, $i0l1: ID!, $i1: ID!, $i1l0: ID!)"
            )
        );
        assert!(query.contains("i1: inventoryItem(id: $i1)"));
        assert_eq!(variables["i0l1"], "gid://shopify/Location/11");
        assert_eq!(levels_cost(&asks), 8.0);
        assert_eq!(variants_cost(250), 503.0);
    }

    #[test]
    fn a_missing_level_is_zero_and_quantities_are_read_by_name() {
        assert_eq!(available(&Value::Null), Ok(0.0));
        let level = json!({"quantities": [{"name": "available", "quantity": 7}]});
        assert_eq!(available(&level), Ok(7.0));
        assert!(
            available(&json!({"quantities": [{"name": "available", "quantity": "7"}]})).is_err()
        );
        assert!(available(&json!({})).is_err());
    }
}
