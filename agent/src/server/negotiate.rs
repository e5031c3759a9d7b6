//! Content negotiation for /metrics: OpenMetrics when the scraper prefers it,
//! Prometheus' classic text otherwise (the format every scraper reads).

/// Media type of OpenMetrics text, as scrapers put it in `Accept`.
const OPENMETRICS: &str = "application/openmetrics-text";

/// Whether the `Accept` header values rank OpenMetrics text at least as high
/// as plain text. Prometheus sends
/// `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`;
/// curl sends `*/*` and gets the classic format.
pub(super) fn wants_openmetrics<'a>(accept: impl IntoIterator<Item = &'a str>) -> bool {
    let mut openmetrics = 0.0_f32;
    let mut text = 0.0_f32;
    for range in accept.into_iter().flat_map(|value| value.split(',')) {
        let mut parts = range.split(';');
        let media_type = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, q)| q.trim().parse::<f32>().ok());
        // A malformed q-value makes the range unusable rather than preferred.
        let Some(quality) = quality else { continue };
        match media_type.as_str() {
            OPENMETRICS => openmetrics = openmetrics.max(quality),
            "text/plain" | "text/*" | "*/*" => text = text.max(quality),
            _ => {}
        }
    }
    openmetrics > 0.0 && openmetrics >= text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_default_accept_gets_openmetrics() {
        let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics([accept]));
    }

    #[test]
    fn plain_clients_get_the_classic_format() {
        assert!(!wants_openmetrics([]));
        assert!(!wants_openmetrics(["*/*"]));
        assert!(!wants_openmetrics(["text/plain"]));
        assert!(!wants_openmetrics(["text/plain;version=0.0.4"]));
    }

    #[test]
    fn quality_decides() {
        assert!(wants_openmetrics([
            "Application/OpenMetrics-Text; version=1.0.0"
        ]));
        assert!(wants_openmetrics([
            "text/plain;q=0.5",
            "application/openmetrics-text"
        ]));
        assert!(!wants_openmetrics([
            "text/plain, application/openmetrics-text;q=0.5"
        ]));
        assert!(!wants_openmetrics(["application/openmetrics-text;q=0"]));
        assert!(!wants_openmetrics(["application/openmetrics-text;q=high"]));
    }
}
