//! Reading configuration values that are written as text but held as typed values (an email
//! address, a socket address): parsed by their `FromStr` when the file is read, so a bad value
//! is refused there, named by its key.
use serde::{Deserialize, Deserializer};
use std::fmt::Display;
use std::str::FromStr;

/// `#[serde(deserialize_with = "text::parsed")]`
pub fn parsed<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(d)?;
    text.trim()
        .parse()
        .map_err(|e| serde::de::Error::custom(format!("`{text}`: {e}")))
}

/// As `parsed`, for a list; a bad entry is named by its index (`alerts.emails[1]`).
pub fn parsed_each<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    Ok(Vec::<Parsed<T>>::deserialize(d)?
        .into_iter()
        .map(|p| p.0)
        .collect())
}

/// One list entry read through `parsed`, so the path to it keeps its index.
struct Parsed<T>(T);

impl<'de, T> Deserialize<'de> for Parsed<T>
where
    T: FromStr,
    T::Err: Display,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parsed(d).map(Parsed)
    }
}
