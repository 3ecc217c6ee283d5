//! Durations written as strings of seconds.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration that module configuration writes as a string of whole seconds (`"300"`).
///
/// The string form is the documented format; a bare number is refused so that a document has
/// one spelling, and the error says which form is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds(pub u64);

impl Seconds {
    pub fn as_duration(self) -> Duration {
        Duration::from_secs(self.0)
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(SecondsVisitor)
    }
}

struct SecondsVisitor;

impl Visitor<'_> for SecondsVisitor {
    type Value = Seconds;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string of whole seconds, such as \"300\"")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Seconds, E> {
        if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(E::invalid_value(de::Unexpected::Str(value), &self));
        }
        value
            .parse()
            .map(Seconds)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(value), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_a_string() {
        let json = serde_json::to_string(&Seconds(900)).unwrap();

        assert_eq!(json, "\"900\"");
        assert_eq!(
            serde_json::from_str::<Seconds>(&json).unwrap(),
            Seconds(900)
        );
    }

    #[test]
    fn refuses_numbers_signs_and_units() {
        for bad in ["300", "\"-5\"", "\"5m\"", "\"\"", "\"1.5\""] {
            let error = serde_json::from_str::<Seconds>(bad)
                .unwrap_err()
                .to_string();
            assert!(error.contains("string of whole seconds"), "{bad}: {error}");
        }
    }
}
