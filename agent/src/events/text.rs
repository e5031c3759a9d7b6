//! Text that is cheap to hand around: a `&'static str` (method names,
//! `tcp`, `1.1`: no allocation at all) or a shared `Arc<str>` (routes,
//! service names, rendered addresses: cloning it is a reference count).
//! OpenTelemetry's `StringValue` takes either without copying.

use std::{borrow::Borrow, fmt, ops::Deref, sync::Arc};

/// An immutable string, static or shared.
#[derive(Clone)]
pub enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    /// A shared copy of `text` (one allocation).
    pub fn copied(text: &str) -> Text {
        Text::Shared(Arc::from(text))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Text::Static(text) => text,
            Text::Shared(text) => text,
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::Static("")
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for Text {
    fn from(text: &'static str) -> Text {
        Text::Static(text)
    }
}

impl From<Arc<str>> for Text {
    fn from(text: Arc<str>) -> Text {
        Text::Shared(text)
    }
}

impl From<&Arc<str>> for Text {
    fn from(text: &Arc<str>) -> Text {
        Text::Shared(Arc::clone(text))
    }
}

/// Moves the characters into a shared allocation (a copy: prefer
/// [`Text::copied`] over making a `String` first).
impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::Shared(text.into())
    }
}

impl From<Text> for std::borrow::Cow<'static, str> {
    fn from(text: Text) -> std::borrow::Cow<'static, str> {
        match text {
            Text::Static(text) => text.into(),
            Text::Shared(text) => text.to_string().into(),
        }
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.as_str().to_owned()
    }
}

/// Equal when the characters are, however each is held.
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        match (self, other) {
            // Arc's equality looks at the pointers first.
            (Text::Shared(a), Text::Shared(b)) => a == b,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn static_and_shared_text_compare_by_content() {
        let fixed = Text::from("GET");
        let shared = Text::from(String::from("GET"));
        assert!(matches!(fixed, Text::Static(_)));
        assert!(matches!(shared, Text::Shared(_)));
        assert_eq!(fixed, shared);
        assert_eq!(fixed, "GET");
        assert_eq!("GET", shared);
        assert_ne!(Text::from("POST"), shared);
        assert_eq!(Text::default().as_str(), "");
        let set: HashSet<Text> = [fixed, shared].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(set.contains("GET"));
    }

    #[test]
    fn clones_share_rather_than_copy() {
        let route: Arc<str> = Arc::from("/orders/{id}");
        let text = Text::from(&route);
        let copy = text.clone();
        let Text::Shared(inner) = &copy else {
            panic!("not shared: {copy:?}");
        };
        assert!(Arc::ptr_eq(inner, &route));
        assert_eq!(Arc::strong_count(&route), 3);
        assert_eq!(copy.len(), 12, "derefs to str");
    }

    #[test]
    fn formats_as_the_string() {
        let text = Text::from("a \"b\"");
        assert_eq!(format!("{text}"), "a \"b\"");
        assert_eq!(format!("{text:?}"), "\"a \\\"b\\\"\"");
        assert_eq!(String::from(text), "a \"b\"");
    }

    #[test]
    fn becomes_an_opentelemetry_string_without_copying() {
        let value = opentelemetry::StringValue::from(Text::from("tcp"));
        assert_eq!(value.as_str(), "tcp");
        let shared = opentelemetry::StringValue::from(Text::from(String::from("shop")));
        assert_eq!(shared.as_str(), "shop");
    }
}
