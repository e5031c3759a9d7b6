//! OTLP attribute lists and ids, turned into plain Rust values for assertions.

use std::{collections::BTreeMap, fmt::Write};

use opentelemetry_proto::tonic::{
    common::v1::{any_value::Value, AnyValue, InstrumentationScope, KeyValue},
    resource::v1::Resource,
};

/// Attributes by key. A key sent twice keeps its last value.
pub type Attributes = BTreeMap<String, AttrValue>;

/// One OTLP `AnyValue`.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    String(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Bytes(Vec<u8>),
    Array(Vec<AttrValue>),
    Map(Attributes),
    /// No value set (or a profiling-only string-table reference).
    Empty,
}

impl AttrValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_double(&self) -> Option<f64> {
        match self {
            AttrValue::Double(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl From<Option<&AnyValue>> for AttrValue {
    fn from(value: Option<&AnyValue>) -> Self {
        match value.and_then(|v| v.value.as_ref()) {
            Some(Value::StringValue(s)) => AttrValue::String(s.clone()),
            Some(Value::IntValue(i)) => AttrValue::Int(*i),
            Some(Value::DoubleValue(d)) => AttrValue::Double(*d),
            Some(Value::BoolValue(b)) => AttrValue::Bool(*b),
            Some(Value::BytesValue(b)) => AttrValue::Bytes(b.clone()),
            Some(Value::ArrayValue(a)) => {
                AttrValue::Array(a.values.iter().map(|v| Some(v).into()).collect())
            }
            Some(Value::KvlistValue(kv)) => AttrValue::Map(attributes(&kv.values)),
            Some(Value::StringValueStrindex(_)) | None => AttrValue::Empty,
        }
    }
}

/// `kvs` as a map.
pub(crate) fn attributes(kvs: &[KeyValue]) -> Attributes {
    kvs.iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().into()))
        .collect()
}

/// The attributes of a resource (empty when it is absent).
pub(crate) fn resource_attributes(resource: Option<&Resource>) -> Attributes {
    resource.map_or_else(Attributes::new, |r| attributes(&r.attributes))
}

/// The name of an instrumentation scope (empty when it is absent).
pub(crate) fn scope_name(scope: Option<&InstrumentationScope>) -> String {
    scope.map(|s| s.name.clone()).unwrap_or_default()
}

/// Lowercase hex of an id, `None` when the id is empty or all zeros (both
/// mean "no id" in OTLP).
pub(crate) fn hex_id(bytes: &[u8]) -> Option<String> {
    if bytes.iter().all(|b| *b == 0) {
        return None;
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_hex_and_empty_ids_are_none() {
        assert_eq!(hex_id(&[0x0a, 0xff, 0x10]).as_deref(), Some("0aff10"));
        assert_eq!(hex_id(&[]), None);
        assert_eq!(hex_id(&[0; 8]), None);
    }

    #[test]
    fn nested_values_are_kept() {
        let kv = |key: &str, value: Value| KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        };
        let inner = opentelemetry_proto::tonic::common::v1::KeyValueList {
            values: vec![kv("b", Value::BoolValue(true))],
        };
        let attrs = attributes(&[
            kv("s", Value::StringValue("x".into())),
            kv("i", Value::IntValue(-3)),
            kv("m", Value::KvlistValue(inner)),
        ]);
        assert_eq!(attrs["s"].as_str(), Some("x"));
        assert_eq!(attrs["i"].as_int(), Some(-3));
        let AttrValue::Map(map) = &attrs["m"] else {
            panic!("a kvlist is a map: {attrs:?}")
        };
        assert_eq!(map["b"].as_bool(), Some(true));
    }
}
