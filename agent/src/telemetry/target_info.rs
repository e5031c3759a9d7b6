//! The `target_info` series: the resource the agent reports under, as the
//! labels of one info metric, the way OpenTelemetry's "Prometheus and
//! OpenMetrics compatibility" has a pull exporter expose its resource.
//!
//! - Every resource attribute becomes a label and nothing else does: the
//!   scraper adds its own `job` and `instance`, so `service.name` and
//!   `service.instance.id` stay plain labels (`service_name`,
//!   `service_instance_id`) to join on.
//! - Keys become label names by replacing every character outside
//!   `[a-zA-Z0-9_]` with `_` and collapsing runs of `_`; a name that would
//!   start with a digit gets `key_` in front. Attributes whose names collide
//!   share one label, their values joined with `;` in the order of their
//!   original keys.
//! - OpenMetrics has an `info` type (family `target`, sample `target_info`);
//!   the classic text format does not, and gets a gauge named `target_info`
//!   (see `exposition`). The value is always 1.
//! - An empty resource exposes no `target_info` at all; an attribute with an
//!   empty value has no label (Prometheus reads an empty label as absent).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::collector::Escaped;

/// The info family's name; OpenMetrics appends `_info` to its sample.
const TARGET: &str = "target";
const HELP: &str = "Always 1; the labels are the OpenTelemetry resource attributes this agent reports under (service.name, service.instance.id, host.name, ...).";

/// The labels of `target_info` for resource `attributes` (keys as in
/// OpenTelemetry, e.g. `service.name`): Prometheus label names and their
/// values, sorted by name, empty values left out.
pub fn target_info_labels(attributes: &[(String, String)]) -> Vec<(String, String)> {
    // By label name, then by original key, so that colliding values join in
    // the order of their keys.
    let mut by_name: BTreeMap<String, BTreeMap<&str, &str>> = BTreeMap::new();
    for (key, value) in attributes {
        let Some(name) = label_name(key) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        by_name.entry(name).or_default().insert(key, value);
    }
    by_name
        .into_iter()
        .map(|(name, values)| (name, values.into_values().collect::<Vec<_>>().join(";")))
        .collect()
}

/// An attribute key as a Prometheus label name; `None` for an empty key.
fn label_name(key: &str) -> Option<String> {
    let mut name = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && name.ends_with('_')) {
            name.push(c);
        }
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "key_");
    }
    (!name.is_empty()).then_some(name)
}

/// The current `target_info` labels, shared by [`super::AgentMetrics`] (which
/// sets them) and the collector (which renders them at each scrape).
#[derive(Debug, Default)]
pub(super) struct TargetInfo(RwLock<Vec<(String, String)>>);

impl TargetInfo {
    /// Replaces the labels with those of `attributes`.
    pub(super) fn set(&self, attributes: &[(String, String)]) {
        let labels = target_info_labels(attributes);
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = labels;
    }
}

/// Renders the one `target_info` series, if the resource has any label.
#[derive(Debug)]
pub(super) struct TargetInfoCollector(pub(super) Arc<TargetInfo>);

impl Collector for TargetInfoCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let labels = self.0 .0.read().unwrap_or_else(PoisonError::into_inner);
        if labels.is_empty() {
            return Ok(());
        }
        let labels: Vec<(&str, Escaped<'_>)> = labels
            .iter()
            .map(|(name, value)| (name.as_str(), Escaped(value)))
            .collect();
        encoder
            .encode_descriptor(TARGET, HELP, None, MetricType::Info)?
            .encode_info(&labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn keys_become_label_names() {
        for (key, name) in [
            ("service.name", Some("service_name")),
            ("service.instance.id", Some("service_instance_id")),
            ("k8s.pod.uid", Some("k8s_pod_uid")),
            ("already_fine", Some("already_fine")),
            ("a..b--c", Some("a_b_c")),
            ("__reserved", Some("_reserved")),
            ("caf\u{e9}.x", Some("caf_x")),
            ("2fa", Some("key_2fa")),
            (".", Some("_")),
            ("", None),
        ] {
            assert_eq!(label_name(key).as_deref(), name, "{key:?}");
        }
    }

    #[test]
    fn labels_are_sorted_colliding_ones_joined_empty_ones_dropped() {
        let labels = target_info_labels(&attributes(&[
            ("service.name", "sonde"),
            ("host.name", "web-1"),
            ("team_name", "b"),
            ("team.name", "a"),
            ("deployment.environment", ""),
            ("", "no key"),
        ]));
        assert_eq!(
            labels,
            attributes(&[
                ("host_name", "web-1"),
                ("service_name", "sonde"),
                // "team.name" sorts before "team_name".
                ("team_name", "a;b"),
            ])
        );
        assert!(target_info_labels(&[]).is_empty());
    }
}
