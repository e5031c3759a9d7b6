//! The agent's own resource: the OpenTelemetry resource attributes its own
//! telemetry is reported under (`target_info` on /metrics, and the export).
//!
//! The agent describes itself (`service.name` = `sonde`, its version, its
//! instance, host and process), then the operator's `OTEL_RESOURCE_ATTRIBUTES`
//! and `OTEL_SERVICE_NAME` are laid over it, as an OpenTelemetry SDK does:
//! an attribute given there replaces the agent's own.

use crate::host;

/// The agent's `service.name` and `process.executable.name`.
pub const AGENT_SERVICE_NAME: &str = "sonde";

/// The agent's resource attributes, keys as in OpenTelemetry, each key once.
/// Reads the environment and the host now; malformed entries of
/// `OTEL_RESOURCE_ATTRIBUTES` are left out with a warning, never an error.
pub fn agent_resource() -> Vec<(String, String)> {
    let resource_attributes = match std::env::var_os("OTEL_RESOURCE_ATTRIBUTES") {
        None => Vec::new(),
        Some(value) => match value.to_str() {
            Some(text) => parse_resource_attributes(text),
            None => {
                tracing::warn!("OTEL_RESOURCE_ATTRIBUTES is not UTF-8; ignored");
                Vec::new()
            }
        },
    };
    let service_name = std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    let mut attributes = own_attributes(&host::name(), host::id(), std::process::id());
    for (key, value) in resource_attributes {
        set(&mut attributes, key, value);
    }
    if let Some(name) = service_name {
        set(&mut attributes, "service.name".to_owned(), name);
    }
    attributes
}

/// What the agent knows of itself. `service.instance.id` is `host:pid`, as
/// for the services it observes.
fn own_attributes(host_name: &str, host_id: Option<String>, pid: u32) -> Vec<(String, String)> {
    let mut attributes = vec![
        ("service.name", AGENT_SERVICE_NAME.to_owned()),
        ("service.version", env!("CARGO_PKG_VERSION").to_owned()),
        ("service.instance.id", format!("{host_name}:{pid}")),
        ("host.name", host_name.to_owned()),
    ];
    if let Some(id) = host_id {
        attributes.push(("host.id", id));
    }
    attributes.push(("process.pid", pid.to_string()));
    attributes.push(("process.executable.name", AGENT_SERVICE_NAME.to_owned()));
    attributes
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// Sets `key` to `value`, in place if the key is already there.
fn set(attributes: &mut Vec<(String, String)>, key: String, value: String) {
    match attributes.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => attributes.push((key, value)),
    }
}

/// The attributes of an `OTEL_RESOURCE_ATTRIBUTES` value:
/// `key1=value1,key2=value2`, keys and values trimmed, values
/// percent-decoded (W3C Baggage encoding), a later key replacing an earlier
/// one. Entries without `=`, with an empty key or with a value that does not
/// decode to UTF-8 are left out with a warning; empty entries are skipped.
pub fn parse_resource_attributes(text: &str) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    for (index, entry) in text.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some((key, value)) = entry.split_once('=') else {
            tracing::warn!(
                entry = index + 1,
                "OTEL_RESOURCE_ATTRIBUTES: an entry has no `=`; ignored"
            );
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            tracing::warn!(
                entry = index + 1,
                "OTEL_RESOURCE_ATTRIBUTES: an entry has an empty key; ignored"
            );
            continue;
        }
        match percent_decode(value.trim()) {
            Some(value) => set(&mut attributes, key.to_owned(), value),
            None => tracing::warn!(
                key,
                "OTEL_RESOURCE_ATTRIBUTES: the value is not valid percent-encoded UTF-8; ignored"
            ),
        }
    }
    attributes
}

/// `%XX` sequences decoded; `None` for a `%` not followed by two hex digits
/// or bytes that are not UTF-8. `+` stays a `+` (Baggage is not a form).
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_agent_describes_itself() {
        let attributes = own_attributes("web-1", Some("abc123".to_owned()), 4242);
        assert_eq!(
            attributes,
            pairs(&[
                ("service.name", "sonde"),
                ("service.version", env!("CARGO_PKG_VERSION")),
                ("service.instance.id", "web-1:4242"),
                ("host.name", "web-1"),
                ("host.id", "abc123"),
                ("process.pid", "4242"),
                ("process.executable.name", "sonde"),
            ])
        );
        let without_id = own_attributes("web-1", None, 1);
        assert!(without_id.iter().all(|(key, _)| key != "host.id"));
    }

    #[test]
    fn the_running_agent_has_every_key_once() {
        let attributes = agent_resource();
        for key in [
            "service.name",
            "service.instance.id",
            "host.name",
            "process.pid",
        ] {
            assert_eq!(
                attributes.iter().filter(|(k, _)| k == key).count(),
                1,
                "{key} in {attributes:?}"
            );
        }
    }

    #[test]
    fn resource_attributes_parse_and_decode() {
        assert_eq!(
            parse_resource_attributes(
                " deployment.environment = prod ,team=web%2Capi,note=a%3Db%20c+d,empty=,"
            ),
            pairs(&[
                ("deployment.environment", "prod"),
                ("team", "web,api"),
                ("note", "a=b c+d"),
                ("empty", ""),
            ])
        );
        assert_eq!(
            parse_resource_attributes("k=caf%C3%A9,k2=x=y"),
            pairs(&[("k", "caf\u{e9}"), ("k2", "x=y")])
        );
        assert_eq!(parse_resource_attributes("a=1,a=2"), pairs(&[("a", "2")]));
        assert!(parse_resource_attributes("").is_empty());
    }

    #[test]
    fn malformed_entries_are_left_out() {
        assert_eq!(
            parse_resource_attributes("novalue,=nokey,bad=%zz,short=%4,notutf8=%ff,good=yes,,  ,"),
            pairs(&[("good", "yes")])
        );
    }

    #[test]
    fn the_operator_overrides_the_agent() {
        let mut attributes = own_attributes("h", None, 7);
        for (key, value) in parse_resource_attributes("host.name=alias,team=web") {
            set(&mut attributes, key, value);
        }
        let get = |key: &str| {
            attributes
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("host.name"), Some("alias"));
        assert_eq!(get("team"), Some("web"));
        assert_eq!(get("service.name"), Some("sonde"));
    }
}
