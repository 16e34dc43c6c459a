//! Every configuration key the code accepts, read from the types themselves: a deserializer
//! that answers each struct with all of its fields and records the path of every value it
//! reaches. `docs/configuration.md` is held against this list by a test (`keys_docs.rs`), so a
//! key added to a section and not documented (or documented and since removed) fails the build.
//! The same walk, going into one entry of each list (`events.tokens[].token`), finds every key
//! whose value is a secret — a value that deserializes as the newtype `Secret`
//! ([`crate::signatures::SECRET`]) — so the list of secret keys is never kept by hand.
//!
//! How keys are written: dotted paths (`lookup.ttl_s`); a table whose keys the operator names
//! (`policy`, `sources.locations.timezones`) gives one patterned key with `<name>` for the
//! operator's segment; a list (`analysts.tokens`, `[[platforms]]`) is one key, its entries'
//! fields described beside it.
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

/// The segment that stands for a name the operator chooses.
pub const NAMED: &str = "<name>";

/// Every key `T` accepts, as dotted paths.
#[cfg(test)]
pub fn accepted<T: de::DeserializeOwned>() -> BTreeSet<String> {
    walked::<T>(Walk::default()).keys.into_inner()
}

/// Every key of `T` whose value is a secret: dotted paths, `<name>` for a name the operator
/// chooses, `[]` after a list's key for any of its entries (`platforms[].api_key`).
pub fn secret_keys<T: de::DeserializeOwned>() -> BTreeSet<String> {
    let walk = Walk {
        into_lists: true,
        ..Walk::default()
    };
    walked::<T>(walk).secrets.into_inner()
}

fn walked<T: de::DeserializeOwned>(walk: Walk) -> Walk {
    // A value that cannot be made from a placeholder (an address, a cron line, a language)
    // fails the whole walk; each such key is then skipped on the next, until one walk ends.
    loop {
        *walk.failed_now.borrow_mut() = false;
        let ended = T::deserialize(Probe {
            path: String::new(),
            walk: &walk,
        })
        .is_ok();
        // A walk that failed without a value to blame (a required field left out) has still
        // been everywhere.
        if ended || !*walk.failed_now.borrow() {
            break;
        }
    }
    walk
}

#[derive(Default)]
struct Walk {
    keys: RefCell<BTreeSet<String>>,
    /// Keys whose value refused its placeholder: recorded, and not asked again.
    refused: RefCell<BTreeSet<String>>,
    /// Whether this walk has already recorded the key that failed it.
    failed_now: RefCell<bool>,
    /// Keys whose value is a `Secret`.
    secrets: RefCell<BTreeSet<String>>,
    /// Whether a list is walked into (one entry, at `key[]`) rather than taken as one key.
    into_lists: bool,
}

#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl de::Error for Refused {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Refused(msg.to_string())
    }
}

/// One value of the walk, at `path`.
struct Probe<'a> {
    path: String,
    walk: &'a Walk,
}

impl<'a> Probe<'a> {
    fn key(&self) {
        self.walk.keys.borrow_mut().insert(self.path.clone());
    }

    fn child(&self, segment: &str) -> Probe<'a> {
        let path = if self.path.is_empty() {
            segment.to_owned()
        } else {
            format!("{}.{segment}", self.path)
        };
        Probe {
            path,
            walk: self.walk,
        }
    }
}

macro_rules! leaf {
    ($($method:ident => $visit:ident($($value:expr)?)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
            self.key();
            visitor.$visit($($value)?)
        })*
    };
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Refused;

    leaf! {
        deserialize_any => visit_unit(),
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i8(0),
        deserialize_i16 => visit_i16(0),
        deserialize_i32 => visit_i32(0),
        deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u8(0),
        deserialize_u16 => visit_u16(0),
        deserialize_u32 => visit_u32(0),
        deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f32(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char('a'),
        deserialize_str => visit_str(""),
        deserialize_string => visit_str(""),
        deserialize_bytes => visit_bytes(b""),
        deserialize_byte_buf => visit_bytes(b""),
        deserialize_unit => visit_unit(),
        deserialize_identifier => visit_str(""),
        deserialize_ignored_any => visit_unit(),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        if name == crate::signatures::SECRET {
            self.walk.secrets.borrow_mut().insert(self.path.clone());
        }
        if name == crate::signatures::SECRETS {
            self.walk
                .secrets
                .borrow_mut()
                .insert(format!("{}[]", self.path));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.key();
        visitor.visit_unit()
    }

    /// A list is one key: an empty one — or, walking into lists, one entry at `key[]`.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.key();
        if self.walk.into_lists {
            let entry = Probe {
                path: format!("{}[]", self.path),
                walk: self.walk,
            };
            return visitor.visit_seq(OneEntry(Some(entry)));
        }
        visitor.visit_seq(de::value::SeqDeserializer::<_, Refused>::new(
            std::iter::empty::<()>(),
        ))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_seq(visitor)
    }

    /// A table the operator names the keys of: one entry, `<name>`.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        let entries = vec![(NAMED, self.child(NAMED))];
        visitor.visit_map(Entries::new(self, entries))
    }

    /// A section: every field, each at its own path.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        let entries = fields.iter().map(|f| (*f, self.child(f))).collect();
        visitor.visit_map(Entries::new(self, entries))
    }

    /// A choice of words: the first.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.key();
        let first = variants.first().copied().unwrap_or_default();
        visitor.visit_enum(de::value::StrDeserializer::<Refused>::new(first))
    }
}

/// The entries of a section or a named table, skipping those that refused before.
struct Entries<'a> {
    owner: String,
    walk: &'a Walk,
    entries: std::vec::IntoIter<(&'static str, Probe<'a>)>,
    value: Option<Probe<'a>>,
}

impl<'a> Entries<'a> {
    fn new(owner: Probe<'a>, entries: Vec<(&'static str, Probe<'a>)>) -> Self {
        let refused = owner.walk.refused.borrow();
        let entries: Vec<_> = entries
            .into_iter()
            .filter(|(_, p)| !refused.contains(&p.path))
            .collect();
        drop(refused);
        Self {
            owner: owner.path,
            walk: owner.walk,
            entries: entries.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Refused;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Refused> {
        let Some((name, probe)) = self.entries.next() else {
            return Ok(None);
        };
        let path = probe.path.clone();
        self.value = Some(probe);
        seed.deserialize(de::value::StrDeserializer::<Refused>::new(name))
            .map(Some)
            .map_err(|e| self.refuse(path, e))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Refused> {
        let probe = self
            .value
            .take()
            .ok_or_else(|| Refused(format!("{}: a value without a key", self.owner)))?;
        let path = probe.path.clone();
        seed.deserialize(probe).map_err(|e| self.refuse(path, e))
    }
}

impl Entries<'_> {
    /// The innermost value that refused its placeholder is a key (its type wants a real
    /// value), skipped from now on.
    fn refuse(&self, path: String, e: Refused) -> Refused {
        let mut failed_now = self.walk.failed_now.borrow_mut();
        if !*failed_now {
            *failed_now = true;
            self.walk.keys.borrow_mut().insert(path.clone());
            self.walk.refused.borrow_mut().insert(path);
        }
        e
    }
}

/// The one entry a list is walked into.
struct OneEntry<'a>(Option<Probe<'a>>);

impl<'de> de::SeqAccess<'de> for OneEntry<'_> {
    type Error = Refused;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Refused> {
        self.0
            .take()
            .map(|probe| seed.deserialize(probe))
            .transpose()
    }
}
