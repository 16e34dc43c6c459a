//! Which rules block, which flag and which are ignored.
use super::{FieldError, Rule, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Block,
    Flag,
    Ignore,
}

impl Action {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Action::Block => Some(Severity::Block),
            Action::Flag => Some(Severity::Flag),
            Action::Ignore => None,
        }
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "block" => Ok(Action::Block),
            "flag" => Ok(Action::Flag),
            "ignore" => Ok(Action::Ignore),
            other => Err(format!(
                "unknown severity `{other}`: expected block, flag or ignore"
            )),
        }
    }
}

/// The action for every rule. `failure_policy` is the key for `upstream_unavailable`; it may be
/// `block` or `flag` but never `ignore`, so an outage can never turn into a silent pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    actions: BTreeMap<Rule, Action>,
}

impl Default for Policy {
    fn default() -> Self {
        let actions = Rule::ALL
            .into_iter()
            .map(|rule| {
                let action = match rule {
                    Rule::LocationClosed
                    | Rule::LocationClosedWholeWindow
                    | Rule::LocationUnknown
                    | Rule::OutOfStock
                    | Rule::OfferExpired => Action::Block,
                    Rule::LocationClosedDuringWindow
                    | Rule::LowStock
                    | Rule::UpstreamUnavailable
                    | Rule::LinkBroken => Action::Flag,
                };
                (rule, action)
            })
            .collect();
        Self { actions }
    }
}

impl Policy {
    pub fn action(&self, rule: Rule) -> Action {
        self.actions.get(&rule).copied().unwrap_or(Action::Flag)
    }

    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        self.action(rule).severity()
    }

    /// Applies overrides such as `{ "low_stock": "block", "failure_policy": "block" }`. Every
    /// bad key or value is reported by its JSON pointer under `base`; on error nothing changes.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, serde_json::Value>,
        base: &str,
    ) -> Result<Policy, Vec<FieldError>> {
        let mut next = self.clone();
        let mut errors = Vec::new();
        for (key, value) in overrides {
            let pointer = format!("{base}/{}", super::validation::escape_pointer_token(key));
            let rule = if key == "failure_policy" {
                Rule::UpstreamUnavailable
            } else {
                match Rule::from_str(key) {
                    Ok(rule) => rule,
                    Err(e) => {
                        errors.push(FieldError::new(
                            pointer,
                            format!("{e}; known rules: {}", rule_names()),
                        ));
                        continue;
                    }
                }
            };
            let Some(text) = value.as_str() else {
                errors.push(FieldError::new(pointer, "must be a string"));
                continue;
            };
            match Action::from_str(text) {
                Ok(Action::Ignore) if rule == Rule::UpstreamUnavailable => errors.push(
                    FieldError::new(pointer, "failure_policy must be block or flag"),
                ),
                Ok(action) => {
                    next.actions.insert(rule, action);
                }
                Err(e) => errors.push(FieldError::new(pointer, e)),
            }
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(errors)
        }
    }
}

fn rule_names() -> String {
    Rule::ALL.map(Rule::as_str).join(", ") + ", failure_policy"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overrides(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults_match_the_spec() {
        let p = Policy::default();
        assert_eq!(p.action(Rule::LocationClosed), Action::Block);
        assert_eq!(p.action(Rule::LocationClosedDuringWindow), Action::Flag);
        assert_eq!(p.action(Rule::LocationUnknown), Action::Block);
        assert_eq!(p.action(Rule::OutOfStock), Action::Block);
        assert_eq!(p.action(Rule::LowStock), Action::Flag);
        assert_eq!(p.action(Rule::OfferExpired), Action::Block);
        assert_eq!(p.action(Rule::UpstreamUnavailable), Action::Flag);
        assert_eq!(p.action(Rule::LinkBroken), Action::Flag);
    }

    #[test]
    fn overrides_apply_per_rule_and_failure_policy() {
        let p = Policy::default()
            .with_overrides(
                &overrides(json!({"low_stock": "block", "failure_policy": "block", "location_closed": "ignore"})),
                "/policy",
            )
            .unwrap();
        assert_eq!(p.action(Rule::LowStock), Action::Block);
        assert_eq!(p.action(Rule::UpstreamUnavailable), Action::Block);
        assert_eq!(p.severity(Rule::LocationClosed), None);
    }

    #[test]
    fn bad_keys_and_values_are_named() {
        let errs = Policy::default()
            .with_overrides(
                &overrides(json!({"nope": "block", "low_stock": "maybe", "failure_policy": "ignore", "out_of_stock": 3})),
                "/policy",
            )
            .unwrap_err();
        let pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec![
                "/policy/failure_policy",
                "/policy/low_stock",
                "/policy/nope",
                "/policy/out_of_stock"
            ]
        );
    }
}
