//! Service names a process was given in its environment.
//!
//! /proc/PID/environ holds the environment the process was *exec'd* with. A
//! variable set later is not there: Django's generated `wsgi.py` does
//! `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")` at
//! import, so a stock project shows no settings module here, and the command
//! line is the next source (see `cmdline`).

use super::{bounded_name, cmdline::top_level_package};

/// The first value of `key` in NUL-separated `KEY=VALUE` entries (the one
/// `getenv` returns when a variable appears twice).
fn var<'a>(environ: &'a [u8], key: &str) -> Option<&'a [u8]> {
    environ.split(|&b| b == 0).find_map(|entry| {
        entry
            .strip_prefix(key.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"="))
    })
}

/// The OpenTelemetry service name: `OTEL_SERVICE_NAME`, else `service.name`
/// in `OTEL_RESOURCE_ATTRIBUTES` (`service.name=shop,team=web`), the same
/// precedence as the OpenTelemetry SDKs. Values are taken as written (no
/// percent-decoding); blank values count as unset.
pub fn otel_service_name(environ: &[u8]) -> Option<String> {
    if let Some(name) = var(environ, "OTEL_SERVICE_NAME").and_then(text) {
        return Some(name);
    }
    let attributes = String::from_utf8_lossy(var(environ, "OTEL_RESOURCE_ATTRIBUTES")?);
    attributes.split(',').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == "service.name")
            .then(|| bounded_name(value))
            .flatten()
    })
}

/// The name implied by `DJANGO_SETTINGS_MODULE`: its top-level package, the
/// Django project. `shop.settings` → `shop`, `shop.settings.production` →
/// `shop`, `config.settings.base` → `config`. A bare `settings` module names
/// no project and yields `None`.
pub fn django_service_name(environ: &[u8]) -> Option<String> {
    let module = String::from_utf8_lossy(var(environ, "DJANGO_SETTINGS_MODULE")?);
    let module = module.trim();
    if !module.contains('.') {
        return None;
    }
    top_level_package(module).and_then(bounded_name)
}

fn text(value: &[u8]) -> Option<String> {
    bounded_name(&String::from_utf8_lossy(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVIRON: &[u8] = b"PATH=/usr/bin\0HOME=/root\0OTEL_SERVICE_NAME=checkout\0\
        DJANGO_SETTINGS_MODULE=shop.settings\0";

    #[test]
    fn otel_service_name_first_value_wins() {
        assert_eq!(otel_service_name(ENVIRON).as_deref(), Some("checkout"));
        assert_eq!(
            otel_service_name(b"OTEL_SERVICE_NAME=a\0OTEL_SERVICE_NAME=b\0").as_deref(),
            Some("a")
        );
        assert_eq!(otel_service_name(b"OTEL_SERVICE_NAME=  \0"), None);
        assert_eq!(otel_service_name(b"OTEL_SERVICE_NAME\0"), None);
        assert_eq!(otel_service_name(b"XOTEL_SERVICE_NAME=a\0"), None);
        assert_eq!(otel_service_name(b"OTEL_SERVICE_NAMES=a\0"), None);
        assert_eq!(otel_service_name(b""), None);
    }

    #[test]
    fn resource_attributes_are_the_fallback() {
        let environ = b"OTEL_RESOURCE_ATTRIBUTES=team=web, service.name = shop ,x=y\0";
        assert_eq!(otel_service_name(environ).as_deref(), Some("shop"));
        let both = b"OTEL_RESOURCE_ATTRIBUTES=service.name=shop\0OTEL_SERVICE_NAME=api\0";
        assert_eq!(otel_service_name(both).as_deref(), Some("api"));
        assert_eq!(
            otel_service_name(b"OTEL_RESOURCE_ATTRIBUTES=service.namespace=x\0"),
            None
        );
        assert_eq!(otel_service_name(b"OTEL_RESOURCE_ATTRIBUTES=,,=\0"), None);
    }

    #[test]
    fn django_settings_name_the_project() {
        assert_eq!(django_service_name(ENVIRON).as_deref(), Some("shop"));
        let cases: [(&[u8], Option<&str>); 6] = [
            (
                b"DJANGO_SETTINGS_MODULE=shop.settings.production",
                Some("shop"),
            ),
            (
                b"DJANGO_SETTINGS_MODULE=config.settings.base\0",
                Some("config"),
            ),
            (b"DJANGO_SETTINGS_MODULE=settings\0", None),
            (b"DJANGO_SETTINGS_MODULE=\0", None),
            (b"DJANGO_SETTINGS_MODULE=.settings\0", None),
            (b"DJANGO_SETTINGS_MODULE=a b.settings\0", None),
        ];
        for (environ, name) in cases {
            assert_eq!(
                django_service_name(environ).as_deref(),
                name,
                "{}",
                String::from_utf8_lossy(environ)
            );
        }
    }

    #[test]
    fn odd_bytes_are_harmless() {
        let environ = b"\xff\0OTEL_SERVICE_NAME=caf\xc3\xa9\xff\0=\0\0\0";
        assert_eq!(
            otel_service_name(environ).as_deref(),
            Some("caf\u{e9}\u{fffd}")
        );
        assert_eq!(django_service_name(environ), None);
        let long = [b"OTEL_SERVICE_NAME=".as_slice(), &[b'x'; 10_000]].concat();
        assert!(otel_service_name(&long).is_some_and(|name| name.len() <= 128));
    }
}
