//! Between an entity's event enum and its wire form (`type` plus a `data` object).
//!
//! The enums are externally tagged to serde (`{"queued":{"queue":"sales"}}`): the wire form
//! keeps the type beside the data (a column of the log, a header on Kafka, a field of the
//! public JSON), and an externally tagged enum can be read from that pair without copying
//! it. An internally tagged enum (`{"type":"queued",…}`) is read by buffering the whole
//! object into serde's intermediate `Content` tree (a string allocated per key and value)
//! before picking the variant, and the type had to be spliced back into the text first;
//! that was most of the time a projection rebuild spent decoding. Here the variant is
//! chosen from the stored type name, then its fields are read straight from the data text.

use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, VariantAccess};
use serde::{Deserialize, Serialize, forward_to_deserialize_any};
use serde_json::de::StrRead;

use super::Unreadable;

/// The type name and the data object of `event`, an externally tagged enum value.
pub(super) fn encode<T: Serialize>(event: &T) -> Result<(String, String), serde_json::Error> {
    let json = serde_json::to_string(event)?;
    if let Some((name, data)) = split(&json) {
        return Ok((name.to_owned(), data.to_owned()));
    }
    match split_value(serde_json::to_value(event)?) {
        (name, data) if !name.is_empty() && data.starts_with('{') => Ok((name, data)),
        // An enum declared with `#[serde(tag = …)]` (or not an enum at all) would otherwise
        // be written under a wrong type: refuse it loudly, at its first append.
        _ => Err(serde::ser::Error::custom(format!(
            "an event must serialize as an externally tagged variant with named fields, \
             not as {json}"
        ))),
    }
}

/// serde writes a struct variant as `{"name":{…}}` and a unit variant as `"name"`: the type
/// name and the data object are slices of that text.
fn split(json: &str) -> Option<(&str, &str)> {
    if let Some(rest) = json.strip_prefix("{\"") {
        let end = rest.find('"')?;
        let (name, after) = rest.split_at(end);
        let data = after.strip_prefix("\":")?.strip_suffix('}')?;
        (!name.contains('\\') && data.starts_with('{')).then_some((name, data))
    } else {
        let name = json.strip_prefix('"')?.strip_suffix('"')?;
        (!name.contains('\\')).then_some((name, "{}"))
    }
}

/// The general form of [`split`], for a name serde had to escape.
fn split_value(value: serde_json::Value) -> (String, String) {
    match value {
        serde_json::Value::String(name) => (name, "{}".to_owned()),
        serde_json::Value::Object(map) => match map.into_iter().next() {
            Some((name, data)) => (name, data.to_string()),
            None => (String::new(), "{}".to_owned()),
        },
        other => (String::new(), other.to_string()),
    }
}

/// Reads the event of type `event_type` from its `data` object.
pub(super) fn decode<T: DeserializeOwned>(event_type: &str, data: &str) -> Result<T, Unreadable> {
    // Byte by byte: JSON whitespace is ASCII, and `str::trim_start` (Unicode whitespace)
    // took a third of this function's time in a rebuild.
    let first = data.bytes().find(|b| !b.is_ascii_whitespace());
    if first != Some(b'{') {
        return Err(Unreadable::Malformed(
            "the data is not a JSON object".to_owned(),
        ));
    }
    let mut text = serde_json::Deserializer::from_str(data);
    let stored = Stored {
        name: event_type,
        data: &mut text,
    };
    T::deserialize(stored)
        .and_then(|event| text.end().map(|()| event))
        .map_err(|e| {
            let message = e.to_string();
            if message.starts_with("unknown variant") {
                Unreadable::UnknownType
            } else {
                Unreadable::Malformed(message)
            }
        })
}

/// A stored event shown to serde as an externally tagged enum value: the variant is
/// `name`, its content the JSON text being read.
struct Stored<'a, 'de> {
    name: &'a str,
    data: &'a mut serde_json::Deserializer<StrRead<'de>>,
}

impl<'de> serde::Deserializer<'de> for Stored<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'a, 'de> EnumAccess<'de> for Stored<'a, 'de> {
    type Error = serde_json::Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), Self::Error> {
        let name: StrDeserializer<'a, serde_json::Error> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> VariantAccess<'de> for Stored<'_, 'de> {
    type Error = serde_json::Error;

    /// A variant without fields has the data `{}`; anything else in it is ignored, as serde
    /// ignores fields it does not know.
    fn unit_variant(self) -> Result<(), Self::Error> {
        serde::de::IgnoredAny::deserialize(&mut *self.data).map(|_| ())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        seed.deserialize(&mut *self.data)
    }

    fn tuple_variant<V: serde::de::Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        serde::Deserializer::deserialize_tuple(&mut *self.data, len, visitor)
    }

    fn struct_variant<V: serde::de::Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        serde::Deserializer::deserialize_struct(&mut *self.data, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Sample {
        Rang { times: u8 },
        Hung,
    }

    #[test]
    fn a_variant_is_its_name_and_its_fields() {
        let pair = encode(&Sample::Rang { times: 3 }).unwrap();
        assert_eq!(pair, ("rang".to_owned(), r#"{"times":3}"#.to_owned()));
        assert_eq!(encode(&Sample::Hung).unwrap(), ("hung".into(), "{}".into()));
        assert_eq!(
            decode::<Sample>("rang", r#" {"times":3} "#),
            Ok(Sample::Rang { times: 3 })
        );
        assert_eq!(decode::<Sample>("hung", "{}"), Ok(Sample::Hung));
    }

    #[test]
    fn an_unknown_name_trailing_text_and_a_non_object_are_told_apart() {
        assert_eq!(
            decode::<Sample>("beeped", "{}"),
            Err(Unreadable::UnknownType)
        );
        assert!(matches!(
            decode::<Sample>("rang", r#"{"times":3} x"#),
            Err(Unreadable::Malformed(m)) if m.contains("trailing")
        ));
        assert!(matches!(
            decode::<Sample>("rang", "[3]"),
            Err(Unreadable::Malformed(m)) if m.contains("not a JSON object")
        ));
        assert!(matches!(
            decode::<Sample>("rang", r#"{"times":"x"}"#),
            Err(Unreadable::Malformed(m)) if m.contains("invalid type")
        ));
    }

    #[test]
    fn an_internally_tagged_enum_is_refused_rather_than_written_under_a_wrong_type() {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Tagged {
            Rang { times: u8 },
        }
        let err = encode(&Tagged::Rang { times: 3 }).unwrap_err();
        assert!(err.to_string().contains("externally tagged"), "{err}");
    }
}
