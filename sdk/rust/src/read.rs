//! Reading what a handler receives into the plugin's own types with serde: a
//! request body, its path parameters and query string, an event's payload. No
//! hand-walking of `Value` maps, and a mismatch names the field:
//!
//! ```ignore
//! #[derive(serde::Deserialize)]
//! struct NewStock { stock: i64 }
//! let body: NewStock = req.body_as()?;            // 422 "body.stock: invalid type: ..."
//! #[derive(serde::Deserialize)]
//! struct Page { limit: Option<u32> }
//! let page: Page = req.query_as()?;               // "?limit=abc" → 422 naming `limit`
//! let sku: String = req.param("sku")?;
//! ```
//!
//! A `Value` reads as its kind says (int_value as any integer type that holds
//! it, bytes as `Vec<u8>` or `serde_bytes`); parameters and query values are
//! text, read as the field's type would parse it ("7" for a `u32`).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::pb::value::Kind;
use crate::pb::{Envelope, HttpRequest, Value};
use crate::{codes, Error};

/// Reads a `Value` into `T`; a mismatch is MC_ERR_INVALID_ARGUMENT naming the field.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    read(value, "value", codes::INVALID_ARGUMENT)
}

impl HttpRequest {
    /// The JSON body as `T`; a mismatch answers 422 MC_ERR_HTTP_VALIDATION naming the field.
    pub fn body_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let null = Value::null();
        read(self.body.as_ref().unwrap_or(&null), "body", codes::HTTP_VALIDATION)
    }

    /// The query string as `T` (a struct, one field a parameter).
    pub fn query_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        read_text(&self.query, "query")
    }

    /// The path parameters as `T` (a struct, one field a `:name`).
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        read_text(&self.params, "path")
    }

    /// One path parameter, parsed: `req.param::<i64>("id")`.
    pub fn param<T: FromStr>(&self, name: &str) -> Result<T, Error>
    where
        T::Err: fmt::Display,
    {
        let text = self.params.get(name).ok_or_else(|| {
            Error::new(codes::HTTP_VALIDATION, format!("{} {}: no path parameter `{name}`", self.method, self.route))
                .with_fix(format!("Name it in the endpoint's path as :{name}."))
        })?;
        text.parse()
            .map_err(|e: T::Err| invalid(codes::HTTP_VALIDATION, "path", &format!("{name}: {e} (received {text:?})")))
    }
}

impl Envelope {
    /// The payload as `T`; a mismatch is MC_ERR_INVALID_ARGUMENT naming the field.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let null = Value::null();
        read(self.payload.as_ref().unwrap_or(&null), &format!("payload of {}", self.topic), codes::INVALID_ARGUMENT)
    }
}

fn read<T: DeserializeOwned>(value: &Value, what: &str, code: &str) -> Result<T, Error> {
    T::deserialize(ValueDe { value, path: String::new() }).map_err(|e| invalid(code, what, &e.0))
}

fn read_text<T: DeserializeOwned>(map: &HashMap<String, String>, what: &str) -> Result<T, Error> {
    let entries = map.iter().map(|(k, v)| (k.as_str(), TextDe { text: v, path: k.clone() }));
    T::deserialize(de::value::MapDeserializer::<_, ReadError>::new(entries))
        .map_err(|e| invalid(codes::HTTP_VALIDATION, what, &e.0))
}

fn invalid(code: &str, what: &str, problem: &str) -> Error {
    let sep = if problem.starts_with(['.', '[']) { "" } else { ": " };
    Error::new(code, format!("{what}{sep}{problem}")).with_detail("field", what)
}

/// serde's error, carrying the field path it happened at.
#[derive(Debug)]
struct ReadError(String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        ReadError(msg.to_string())
    }
}

fn at(path: &str, e: ReadError) -> ReadError {
    // The innermost field names itself first; outer ones only prefix a bare message.
    if path.is_empty() || e.0.starts_with('.') || e.0.starts_with('[') {
        ReadError(format!("{path}{}", e.0))
    } else {
        ReadError(format!("{path}: {}", e.0))
    }
}

struct ValueDe<'a> {
    value: &'a Value,
    path: String,
}

impl<'de> de::Deserializer<'de> for ValueDe<'de> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let path = self.path.clone();
        match &self.value.kind {
            None | Some(Kind::NullValue(_)) => visitor.visit_unit(),
            Some(Kind::BoolValue(b)) => visitor.visit_bool(*b),
            Some(Kind::IntValue(i)) => visitor.visit_i64(*i),
            Some(Kind::DoubleValue(d)) => visitor.visit_f64(*d),
            Some(Kind::StringValue(s)) => visitor.visit_borrowed_str(s),
            Some(Kind::BytesValue(b)) => visitor.visit_borrowed_bytes(b),
            Some(Kind::ListValue(list)) => visitor.visit_seq(Items { items: list.values.iter().enumerate() }),
            Some(Kind::MapValue(map)) => visitor.visit_map(Fields { fields: map.fields.iter(), next: None }),
        }
        .map_err(|e| at(&path, e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        if self.value.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        match &self.value.kind {
            Some(Kind::StringValue(s)) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Items<'a, I: Iterator<Item = (usize, &'a Value)>> {
    items: I,
}

impl<'de, I: Iterator<Item = (usize, &'de Value)>> SeqAccess<'de> for Items<'de, I> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ReadError> {
        match self.items.next() {
            Some((i, value)) => {
                let path = format!("[{i}]");
                seed.deserialize(ValueDe { value, path: path.clone() }).map(Some).map_err(|e| at_inner(&path, e))
            }
            None => Ok(None),
        }
    }
}

struct Fields<'a, I: Iterator<Item = (&'a String, &'a Value)>> {
    fields: I,
    next: Option<(&'a String, &'a Value)>,
}

impl<'de, I: Iterator<Item = (&'de String, &'de Value)>> MapAccess<'de> for Fields<'de, I> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ReadError> {
        self.next = self.fields.next();
        match self.next {
            Some((key, _)) => seed.deserialize(key.as_str().into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let (key, value) = self.next.take().ok_or_else(|| ReadError("a value was read before its key".into()))?;
        let path = format!(".{key}");
        seed.deserialize(ValueDe { value, path: path.clone() }).map_err(|e| at_inner(&path, e))
    }
}

/// An element's own path before whatever deeper path the error already names.
fn at_inner(path: &str, e: ReadError) -> ReadError {
    if e.0.starts_with(path) {
        e
    } else {
        at(path, e)
    }
}

/// A parameter's text, read as the field's type parses it.
struct TextDe<'a> {
    text: &'a str,
    path: String,
}

impl<'de> IntoDeserializer<'de, ReadError> for TextDe<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_text {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
            match self.text.parse::<$ty>() {
                Ok(v) => visitor.$visit(v),
                Err(e) => Err(ReadError(format!("{}: {e} (received {:?})", self.path, self.text))),
            }
        })*
    };
}

impl<'de> de::Deserializer<'de> for TextDe<'de> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_borrowed_str(self.text)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        let path = self.path.clone();
        visitor.visit_enum(self.text.into_deserializer()).map_err(|e: ReadError| at(&path, e))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        visitor.visit_newtype_struct(self)
    }

    parse_text! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64,
        deserialize_f32 => visit_f32: f32, deserialize_f64 => visit_f64: f64,
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{HttpRequest, ValueMap};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Line {
        sku: String,
        qty: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Speed {
        Standard,
        Express,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Order {
        id: i64,
        lines: Vec<Line>,
        note: Option<String>,
        speed: Speed,
        #[serde(default)]
        gift: bool,
    }

    fn body(json: Value) -> HttpRequest {
        HttpRequest { method: "POST".into(), route: "/orders".into(), body: Some(json), ..Default::default() }
    }

    fn line(sku: &str, qty: Value) -> Value {
        ValueMap::from_iter([("sku", Value::from(sku)), ("qty", qty)]).into()
    }

    #[test]
    fn a_body_reads_into_a_struct_exactly() {
        let order = ValueMap::from_iter([
            ("id", Value::from(9_007_199_254_740_993_i64)),
            ("lines", Value::from(vec![line("A-1", Value::from(2_i64))])),
            ("note", Value::null()),
            ("speed", Value::from("express")),
        ]);
        let got: Order = body(order.into()).body_as().unwrap();
        assert_eq!(
            got,
            Order {
                id: 9_007_199_254_740_993,
                lines: vec![Line { sku: "A-1".into(), qty: 2 }],
                note: None,
                speed: Speed::Express,
                gift: false
            }
        );
    }

    #[test]
    fn a_mismatch_names_the_field_deep_inside() {
        let order = ValueMap::from_iter([
            ("id", Value::from(1_i64)),
            ("lines", Value::from(vec![line("A-1", Value::from(2_i64)), line("B-2", Value::from("two"))])),
            ("speed", Value::from("standard")),
        ]);
        let e = body(order.into()).body_as::<Order>().unwrap_err();
        assert_eq!(e.code, codes::HTTP_VALIDATION);
        assert!(e.message.starts_with("body.lines[1].qty: invalid type: string \"two\""), "{}", e.message);
        let negative = ValueMap::from_iter([("sku", Value::from("A")), ("qty", Value::from(-1_i64))]);
        let e = body(negative.into()).body_as::<Line>().unwrap_err();
        assert!(e.message.contains(".qty: invalid value: integer `-1`"), "{}", e.message);
        let e = body(ValueMap::from_iter([("sku", Value::from("A"))]).into()).body_as::<Line>().unwrap_err();
        assert!(e.message.contains("missing field `qty`"), "{}", e.message);
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Page {
        limit: Option<u32>,
        q: String,
        sort: Option<Speed>,
    }

    #[test]
    fn a_query_reads_text_as_the_field_type_parses_it() {
        let mut req = HttpRequest::default();
        req.query = HashMap::from([("limit".to_string(), "20".to_string()), ("q".to_string(), "lamp".to_string())]);
        assert_eq!(req.query_as::<Page>().unwrap(), Page { limit: Some(20), q: "lamp".into(), sort: None });
        req.query.insert("sort".into(), "express".into());
        assert_eq!(req.query_as::<Page>().unwrap().sort, Some(Speed::Express));
        req.query.insert("limit".into(), "abc".into());
        let e = req.query_as::<Page>().unwrap_err();
        assert_eq!(e.code, codes::HTTP_VALIDATION);
        assert!(
            e.message.starts_with("query: limit: invalid digit found in string (received \"abc\")"),
            "{}",
            e.message
        );
        req.query.remove("q");
        req.query.insert("limit".into(), "5".into());
        assert!(req.query_as::<Page>().unwrap_err().message.contains("missing field `q`"));
    }

    #[test]
    fn a_path_parameter_parses_or_names_itself() {
        let mut req = HttpRequest { method: "GET".into(), route: "/users/:id".into(), ..Default::default() };
        req.params.insert("id".into(), "42".into());
        assert_eq!(req.param::<i64>("id").unwrap(), 42);
        req.params.insert("id".into(), "x".into());
        assert!(req.param::<i64>("id").unwrap_err().message.contains("path: id: invalid digit"));
        assert!(req.param::<i64>("sku").unwrap_err().message.contains("no path parameter `sku`"));
    }

    #[test]
    fn a_payload_reads_into_a_struct() {
        let event = Envelope {
            topic: "order.created".into(),
            payload: Some(line("A-1", Value::from(3_i64))),
            ..Default::default()
        };
        assert_eq!(event.payload_as::<Line>().unwrap(), Line { sku: "A-1".into(), qty: 3 });
        let e = Envelope { topic: "order.created".into(), ..Default::default() }.payload_as::<Line>().unwrap_err();
        assert_eq!(e.code, codes::INVALID_ARGUMENT);
        assert!(e.message.starts_with("payload of order.created: invalid type: unit value"), "{}", e.message);
    }
}
