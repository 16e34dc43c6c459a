//! The shop's inventory items by SKU and SKU by item: found through variant searches (exact
//! SKUs kept: the search is by token), or — an item a pushed change names that no search found —
//! asked of the shop by its id; kept for the life of the process.
use super::query::{self, InventoryItem, VariantsPage};
use super::{Failure, MAX_PAGES, SKUS_PER_SEARCH, ShopifyGraphql};
use crate::sources::SourceError;
use serde_json::json;
use std::collections::HashMap;
use tokio::time::Instant;

/// The inventory items found for SKUs, both ways.
#[derive(Default)]
pub(super) struct ItemMap {
    pub(super) by_sku: HashMap<String, InventoryItem>,
    pub(super) by_id: HashMap<String, String>,
}

impl ShopifyGraphql {
    /// The SKU of an inventory item (`gid://shopify/InventoryItem/…`), when a search found it.
    pub fn sku_of(&self, item_id: &str) -> Option<String> {
        let items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        items.by_id.get(item_id).cloned()
    }

    /// The SKU of an inventory item the map does not hold, asked of the shop and kept.
    pub(super) async fn ask_sku(
        &self,
        item_id: &str,
        deadline: Instant,
    ) -> Result<Option<String>, SourceError> {
        let answer: query::ItemAnswer = self
            .ask(
                query::ITEM,
                json!({"id": item_id}),
                query::ITEM_COST,
                deadline,
            )
            .await
            .map_err(|f| match f {
                Failure::Source(e) => e,
                Failure::TooCostly => {
                    SourceError::Garbage("one item costs more than the shop allows".into())
                }
            })?;
        let Some(item) = answer.inventory_item else {
            return Ok(None);
        };
        let Some(sku) = item.sku.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        items.by_id.insert(item.id.clone(), sku.clone());
        items.by_sku.insert(
            sku.clone(),
            InventoryItem {
                id: item.id,
                tracked: item.tracked,
            },
        );
        Ok(Some(sku))
    }

    /// The inventory item of each SKU a variant has (searched for those not yet known).
    pub(super) async fn resolve(
        &self,
        skus: &[&str],
        deadline: Instant,
    ) -> Result<HashMap<String, InventoryItem>, SourceError> {
        let _searching = tokio::time::timeout_at(deadline, self.searching.lock())
            .await
            .map_err(|_| SourceError::Deadline)?;
        let (mut found, unknown): (HashMap<String, InventoryItem>, Vec<&str>) = {
            let items = self.items.lock().unwrap_or_else(|e| e.into_inner());
            let found = skus
                .iter()
                .filter_map(|s| Some((s.to_string(), items.by_sku.get(*s)?.clone())))
                .collect();
            let unknown = skus
                .iter()
                .copied()
                .filter(|s| !items.by_sku.contains_key(*s))
                .collect();
            (found, unknown)
        };
        for chunk in unknown.chunks(SKUS_PER_SEARCH) {
            let search = query::sku_search(chunk);
            // Room for SKUs that share tokens with those asked; more pages if needed.
            let first = (chunk.len() * 4).clamp(10, query::MAX_PAGE);
            let mut after: Option<String> = None;
            for page in 0.. {
                if page == MAX_PAGES {
                    self.upstream.note_garbage();
                    return Err(SourceError::Garbage(format!(
                        "a variant search ran past {MAX_PAGES} pages"
                    )));
                }
                let variables = json!({"query": search, "first": first, "after": after});
                let cost = query::variants_cost(first);
                let answer: VariantsPage =
                    match self.ask(query::VARIANTS, variables, cost, deadline).await {
                        Ok(answer) => answer,
                        Err(Failure::Source(e)) => return Err(e),
                        Err(Failure::TooCostly) => {
                            return Err(SourceError::Garbage(format!(
                                "a variant search of {cost} points is more than the shop allows"
                            )));
                        }
                    };
                self.keep(chunk, &answer, &mut found);
                let info = answer.variants.page_info;
                match (info.has_next_page, info.end_cursor) {
                    (true, Some(cursor)) => after = Some(cursor),
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    /// Keeps the variants whose SKU is exactly one asked.
    fn keep(
        &self,
        asked: &[&str],
        page: &VariantsPage,
        found: &mut HashMap<String, InventoryItem>,
    ) {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        for variant in &page.variants.nodes {
            let (Some(sku), Some(item)) = (&variant.sku, &variant.inventory_item) else {
                continue;
            };
            if asked.contains(&sku.as_str()) {
                items.by_id.insert(item.id.clone(), sku.clone());
                items.by_sku.insert(sku.clone(), item.clone());
                found.insert(sku.clone(), item.clone());
            }
        }
    }
}
