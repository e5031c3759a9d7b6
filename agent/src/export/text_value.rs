//! Shared attribute text into OpenTelemetry's values without copying it
//! (kept here so that `events::Text` stays free of the exporter, for the
//! parsers and their fuzz targets that include it).

use crate::events::Text;

impl From<Text> for opentelemetry::StringValue {
    fn from(text: Text) -> opentelemetry::StringValue {
        match text {
            Text::Static(text) => text.into(),
            Text::Shared(text) => text.into(),
        }
    }
}

impl From<Text> for opentelemetry::Value {
    fn from(text: Text) -> opentelemetry::Value {
        opentelemetry::Value::String(text.into())
    }
}
