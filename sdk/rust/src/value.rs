//! Conversions between Rust values and `microcore.v1.Value`, and reading rows.
//! Integers stay `int_value` (exact int64), bytes stay `bytes_value`.

use std::collections::HashMap;

use crate::pb::value::Kind;
use crate::pb::{NullValue, Value, ValueList, ValueMap};

impl Value {
    /// SQL NULL / JSON null.
    pub fn null() -> Value {
        Value { kind: Some(Kind::NullValue(NullValue::Unspecified as i32)) }
    }

    /// True for null and for a value with no kind set (which reads as null).
    pub fn is_null(&self) -> bool {
        matches!(self.kind, None | Some(Kind::NullValue(_)))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Some(Kind::BoolValue(b)) => Some(b),
            _ => None,
        }
    }

    /// The integer; a double is not converted.
    pub fn as_i64(&self) -> Option<i64> {
        match self.kind {
            Some(Kind::IntValue(i)) => Some(i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.kind {
            Some(Kind::DoubleValue(d)) => Some(d),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Some(Kind::StringValue(s)) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            Some(Kind::BytesValue(b)) => Some(b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match &self.kind {
            Some(Kind::ListValue(l)) => Some(&l.values),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&ValueMap> {
        match &self.kind {
            Some(Kind::MapValue(m)) => Some(m),
            _ => None,
        }
    }
}

impl ValueMap {
    /// A field of a row or map; `None` when the key is absent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// Sets a field, replacing any previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.fields.insert(key.into(), value.into());
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        ValueMap { fields: iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }
}

fn of(kind: Kind) -> Value {
    Value { kind: Some(kind) }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        of(Kind::BoolValue(b))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        of(Kind::IntValue(i))
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        of(Kind::IntValue(i.into()))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Self {
        of(Kind::IntValue(i.into()))
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Self {
        of(Kind::DoubleValue(d))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        of(Kind::StringValue(s.to_string()))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        of(Kind::StringValue(s))
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        of(Kind::BytesValue(b))
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Self {
        of(Kind::BytesValue(b.to_vec()))
    }
}

impl From<Vec<Value>> for Value {
    fn from(values: Vec<Value>) -> Self {
        of(Kind::ListValue(ValueList { values }))
    }
}

impl From<ValueMap> for Value {
    fn from(m: ValueMap) -> Self {
        of(Kind::MapValue(m))
    }
}

impl From<HashMap<String, Value>> for Value {
    fn from(fields: HashMap<String, Value>) -> Self {
        of(Kind::MapValue(ValueMap { fields }))
    }
}

/// `None` is null.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or_else(Value::null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn round_trip(v: &Value) -> Value {
        Value::decode(v.encode_to_vec().as_slice()).unwrap()
    }

    #[test]
    fn int64_past_2_pow_53_stays_exact() {
        let v = round_trip(&Value::from(9_007_199_254_740_993i64));
        assert_eq!(v.as_i64(), Some(9_007_199_254_740_993));
        assert_eq!(v.as_f64(), None);
        assert_eq!(round_trip(&i64::MIN.into()).as_i64(), Some(i64::MIN));
    }

    #[test]
    fn bytes_stay_bytes() {
        let blob = vec![0x00u8, 0xff, 0x10, 0x80];
        let v = round_trip(&Value::from(blob.clone()));
        assert_eq!(v.as_bytes(), Some(blob.as_slice()));
        assert_eq!(v.as_str(), None);
    }

    #[test]
    fn null_none_and_unset_read_as_null() {
        assert!(round_trip(&Value::null()).is_null());
        assert!(Value::from(None::<i64>).is_null());
        assert!(Value::default().is_null());
        assert!(!Value::from(0i64).is_null());
        assert_eq!(Value::from(Some("x")).as_str(), Some("x"));
    }

    #[test]
    fn text_bool_double_list_map() {
        let text = "héllo wörld ✓ 日本語 🚀";
        assert_eq!(round_trip(&text.into()).as_str(), Some(text));
        assert_eq!(Value::from(true).as_bool(), Some(true));
        assert_eq!(Value::from(1.5).as_f64(), Some(1.5));
        let list = Value::from(vec![Value::from(1i64), Value::null()]);
        assert_eq!(list.as_list().map(<[Value]>::len), Some(2));
        let row: ValueMap = [("n", Value::from(3i64)), ("s", "x".into())].into_iter().collect();
        let v = round_trip(&row.into());
        assert_eq!(v.as_map().and_then(|m| m.get("n")).and_then(Value::as_i64), Some(3));
        assert_eq!(v.as_map().and_then(|m| m.get("missing")), None);
    }
}
