//! `http.route` for services that never tell us their routes: the request
//! path with its ids replaced by placeholders, and a per-service cap on the
//! number of distinct routes.
//!
//! A route is a metric label, so every distinct value is a time series in
//! every backend the metrics reach. Ids in paths (`/orders/123`) would make
//! one series per order; templating folds them (`/orders/{id}`), and the cap
//! bounds whatever templating misses (free-text search paths, scanners
//! probing random URLs) to `max_routes + 1` values per service.
//!
//! Templating works segment by segment (between `/`) and is deliberately
//! conservative: a segment becomes a placeholder only when it cannot be an
//! ordinary word. The first rule that matches wins:
//!
//! | rule | placeholder | replaced | kept |
//! |------|-------------|----------|------|
//! | all ASCII digits | `{id}` | `123`, `5000`, `0` | `v2`, `2fa` |
//! | UUID, 8-4-4-4-12 hex digits, any case | `{uuid}` | `550e8400-e29b-41d4-a716-446655440000` | |
//! | ISO date `YYYY-MM-DD` | `{date}` | `2024-01-15` | `2024-1-5` |
//! | hex digits only, ≥ 16 long, or ≥ 8 long with both digits and letters | `{hex}` | `5af66c1b1797`, `deadbeefdeadbeef` | `feedface`, `cafe`, `decade` |
//! | token: ≥ 20 of `[A-Za-z0-9_=-]`, letters *and* digits, and either ≥ 25 % digits or a letter/digit/case change at ≥ 1/3 of positions | `{token}` | `aZ3kL9pQ2xW7vB4nM1tY`, `order-20240315-000123` | `how-to-deploy-django-2024`, `getUserProfileSettings2` |
//!
//! A segment with a file extension (`.` then 1–5 letters or digits, at least
//! one letter) is templated on its stem: `123.json` → `{id}.json`,
//! `<uuid>.jpg` → `{uuid}.jpg`; inside a dotted stem only UUID and hex parts
//! are replaced, which catches Django's hashed static files
//! (`base.5af66c1b1797.css` → `base.{hex}.css`) without touching versions
//! (`jquery-3.6.0.min.js` stays as is).
//!
//! Everything else is kept byte for byte: words, `v2`, `app.js`, empty
//! segments (`//`) and a trailing slash (`/items/5000/` → `/items/{id}/`).
//! The query string and fragment are never part of a route. Paths are not
//! percent-decoded: a `%` simply makes a segment an ordinary word.

use std::collections::HashSet;
use std::sync::Arc;

/// A templated route. Shared so that the same label on many requests costs
/// a reference count, not an allocation.
pub type Route = Arc<str>;

/// Distinct routes a service may have before requests overflow: enough for
/// a large Django app's URLconf, small enough to keep a backend's series
/// count per service in the low thousands (routes × methods × statuses).
pub const DEFAULT_MAX_ROUTES: usize = 500;

/// The route of every request that arrives once a service has
/// `max_routes` distinct routes. The braces make it impossible as a real
/// templated path segment, so it cannot collide with an application route.
pub const OVERFLOW_ROUTE: &str = "/{overflow}";

/// Longest route kept, in bytes. Longer paths are cut at the last `/` that
/// fits and end in [`TRUNCATED_SUFFIX`]: a label of kilobytes helps nobody,
/// and with the cap it bounds a table to about `max_routes` × this.
pub const MAX_ROUTE_LEN: usize = 256;

/// What replaces the tail of a path longer than [`MAX_ROUTE_LEN`].
pub const TRUNCATED_SUFFIX: &str = "/{truncated}";

const ID: &str = "{id}";
const UUID: &str = "{uuid}";
const DATE: &str = "{date}";
const HEX: &str = "{hex}";
const TOKEN: &str = "{token}";

/// [`template_into`] a new string.
#[cfg(test)]
pub fn template(target: &str) -> String {
    let mut route = String::new();
    template_into(target, &mut route);
    route
}

/// Templates a request target (origin form `/a/b?q`, or absolute form
/// `http://host/a/b` as sent to proxies) into a route, written into
/// `route` (cleared first, its allocation reused); see the module
/// documentation for the rules. Never panics, whatever the input.
///
/// `/orders/123?x=1` → `/orders/{id}`; an empty path → `/`.
fn template_into(target: &str, route: &mut String) {
    route.clear();
    let path = path_of(target);
    if path.is_empty() {
        route.push('/');
        return;
    }
    for (index, segment) in path.split('/').enumerate() {
        if index > 0 {
            route.push('/');
        }
        push_segment(route, segment);
        if route.len() > MAX_ROUTE_LEN {
            truncate(route);
            break;
        }
    }
}

/// The path of a request target: no query, no fragment, no scheme and
/// authority.
fn path_of(target: &str) -> &str {
    let end = target.find(['?', '#']).unwrap_or(target.len());
    let target = &target[..end];
    for scheme in ["http://", "https://"] {
        let has_scheme = target
            .get(..scheme.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme));
        if has_scheme {
            let rest = &target[scheme.len()..];
            return rest.find('/').map_or("/", |slash| &rest[slash..]);
        }
    }
    target
}

/// Cuts `route` at the last `/` that leaves room for the suffix.
fn truncate(route: &mut String) {
    let mut limit = MAX_ROUTE_LEN - TRUNCATED_SUFFIX.len();
    while !route.is_char_boundary(limit) {
        limit -= 1;
    }
    let cut = route[..limit].rfind('/').unwrap_or(0);
    route.truncate(cut);
    route.push_str(TRUNCATED_SUFFIX);
}

fn push_segment(route: &mut String, segment: &str) {
    if let Some(placeholder) = placeholder(segment) {
        route.push_str(placeholder);
        return;
    }
    let Some((stem, extension)) = split_extension(segment) else {
        route.push_str(segment);
        return;
    };
    if let Some(placeholder) = placeholder(stem) {
        route.push_str(placeholder);
    } else {
        for (index, part) in stem.split('.').enumerate() {
            if index > 0 {
                route.push('.');
            }
            let bytes = part.as_bytes();
            route.push_str(if is_uuid(bytes) {
                UUID
            } else if is_hex(bytes) {
                HEX
            } else {
                part
            });
        }
    }
    route.push('.');
    route.push_str(extension);
}

/// The placeholder for a whole segment, if it is id-like.
fn placeholder(segment: &str) -> Option<&'static str> {
    let bytes = segment.as_bytes();
    if bytes.is_empty() {
        None
    } else if bytes.iter().all(u8::is_ascii_digit) {
        Some(ID)
    } else if is_uuid(bytes) {
        Some(UUID)
    } else if is_date(bytes) {
        Some(DATE)
    } else if is_hex(bytes) {
        Some(HEX)
    } else if is_token(bytes) {
        Some(TOKEN)
    } else {
        None
    }
}

/// `name.ext` → (`name`, `ext`) when `ext` looks like a file extension.
fn split_extension(segment: &str) -> Option<(&str, &str)> {
    let dot = segment.rfind('.')?;
    let (stem, extension) = (&segment[..dot], &segment[dot + 1..]);
    let is_extension = (1..=5).contains(&extension.len())
        && extension.bytes().all(|b| b.is_ascii_alphanumeric())
        && extension.bytes().any(|b| b.is_ascii_alphabetic());
    (!stem.is_empty() && is_extension).then_some((stem, extension))
}

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn is_date(bytes: &[u8]) -> bool {
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Hex digits only, and long enough that a word is unlikely: 16 or more, or
/// 8 or more mixing digits and letters (`feedface` is a word, `5af66c1b` is
/// not).
fn is_hex(bytes: &[u8]) -> bool {
    if bytes.len() < 8 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let digits = bytes.iter().any(u8::is_ascii_digit);
    let letters = bytes.iter().any(u8::is_ascii_alphabetic);
    bytes.len() >= 16 || (digits && letters)
}

/// A long base64url-ish string that reads as random: letters and digits,
/// and either many digits or a character class (lower, upper, digit) that
/// keeps changing. Slugs (`how-to-deploy-django-2024`) and camelCase words
/// change class rarely; random tokens change at about 2 positions in 3.
fn is_token(bytes: &[u8]) -> bool {
    const MIN_LEN: usize = 20;
    if bytes.len() < MIN_LEN
        || !bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
    {
        return false;
    }
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if digits == 0 || letters == 0 {
        return false;
    }
    let changes = bytes
        .windows(2)
        .filter(|pair| {
            let (a, b) = (class(pair[0]), class(pair[1]));
            a.is_some() && b.is_some() && a != b
        })
        .count();
    digits * 4 >= digits + letters || changes * 3 >= bytes.len()
}

/// Character class for [`is_token`]: lower, upper, digit; `None` otherwise.
fn class(byte: u8) -> Option<u8> {
    match byte {
        b'a'..=b'z' => Some(0),
        b'A'..=b'Z' => Some(1),
        b'0'..=b'9' => Some(2),
        _ => None,
    }
}

/// The routes of one service, capped at `max_routes` distinct values.
#[derive(Debug)]
pub struct RouteTable {
    routes: HashSet<Route>,
    max_routes: usize,
    overflow: Route,
    overflowed: u64,
    /// The template being looked up, reused from request to request.
    scratch: String,
}

impl RouteTable {
    /// A table that admits at most `max_routes` distinct routes (plus
    /// [`OVERFLOW_ROUTE`]).
    pub fn new(max_routes: usize) -> Self {
        Self {
            routes: HashSet::new(),
            max_routes,
            overflow: Arc::from(OVERFLOW_ROUTE),
            overflowed: 0,
            scratch: String::new(),
        }
    }

    /// The route of a request target: its template if the template is known
    /// or there is room for it, else [`OVERFLOW_ROUTE`]. Routes admitted
    /// before the cap was reached keep being returned after it.
    pub fn route(&mut self, target: &str) -> Route {
        template_into(target, &mut self.scratch);
        let templated = self.scratch.as_str();
        if let Some(route) = self.routes.get(templated) {
            return Arc::clone(route);
        }
        if self.routes.len() < self.max_routes {
            let route: Route = Arc::from(templated);
            self.routes.insert(Arc::clone(&route));
            return route;
        }
        self.overflowed = self.overflowed.saturating_add(1);
        Arc::clone(&self.overflow)
    }

    /// Requests that fell into [`OVERFLOW_ROUTE`] so far.
    pub fn overflowed(&self) -> u64 {
        self.overflowed
    }
}

impl Default for RouteTable {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ROUTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_from_the_issue() {
        assert_eq!(template("/orders/123?x=1"), "/orders/{id}");
        assert_eq!(template("/items/5000/"), "/items/{id}/");
        assert_eq!(
            template("/u/550e8400-e29b-41d4-a716-446655440000/avatar"),
            "/u/{uuid}/avatar"
        );
        assert_eq!(template("/api/v2/users"), "/api/v2/users");
    }

    #[test]
    fn each_rule() {
        let cases = [
            // digits
            ("/a/0", "/a/{id}"),
            ("/a/123456789012345678901234", "/a/{id}"),
            // uuid, any case
            ("/a/550E8400-E29B-41D4-A716-446655440000", "/a/{uuid}"),
            ("/a/550e8400-e29b-41d4-a716-44665544000", "/a/{token}"),
            // date
            ("/archive/2024-01-15/", "/archive/{date}/"),
            ("/archive/2024/01/15", "/archive/{id}/{id}/{id}"),
            ("/archive/2024-1-5", "/archive/2024-1-5"),
            // hex
            ("/commit/5af66c1b", "/commit/{hex}"),
            ("/commit/5AF66C1B1797", "/commit/{hex}"),
            ("/k/deadbeefdeadbeef", "/k/{hex}"),
            ("/k/feedface", "/k/feedface"),
            ("/k/decade", "/k/decade"),
            ("/k/abc1234", "/k/abc1234"),
            // tokens
            ("/reset/aZ3kL9pQ2xW7vB4nM1tY/", "/reset/{token}/"),
            ("/o/order-20240315-000123", "/o/{token}"),
            ("/t/dGhpcyBpcyBhIHRva2VuMTI=", "/t/{token}"),
            (
                "/blog/how-to-deploy-django-2024",
                "/blog/how-to-deploy-django-2024",
            ),
            (
                "/blog/my-first-blog-post-v2-final",
                "/blog/my-first-blog-post-v2-final",
            ),
            ("/x/getUserProfileSettings2", "/x/getUserProfileSettings2"),
            (
                "/x/averyveryverylongwordwithoutdigits",
                "/x/averyveryverylongwordwithoutdigits",
            ),
            // ordinary words
            ("/static/app.js", "/static/app.js"),
            ("/healthz", "/healthz"),
            ("/api/v1/2fa/", "/api/v1/2fa/"),
            ("/~user/index.html", "/~user/index.html"),
            ("/search/hello%20world", "/search/hello%20world"),
            ("/caf\u{e9}/men\u{fc}", "/caf\u{e9}/men\u{fc}"),
        ];
        for (target, route) in cases {
            assert_eq!(template(target), route, "{target}");
        }
    }

    #[test]
    fn file_names_are_templated_on_their_stem() {
        let cases = [
            ("/api/orders/123.json", "/api/orders/{id}.json"),
            (
                "/media/550e8400-e29b-41d4-a716-446655440000.jpg",
                "/media/{uuid}.jpg",
            ),
            (
                "/static/css/base.5af66c1b1797.css",
                "/static/css/base.{hex}.css",
            ),
            ("/static/jquery-3.6.0.min.js", "/static/jquery-3.6.0.min.js"),
            ("/m/aZ3kL9pQ2xW7vB4nM1tY.png", "/m/{token}.png"),
            ("/d/1.2.3", "/d/1.2.3"),
            ("/.well-known/security.txt", "/.well-known/security.txt"),
            ("/.env", "/.env"),
        ];
        for (target, route) in cases {
            assert_eq!(template(target), route, "{target}");
        }
    }

    #[test]
    fn query_fragment_scheme_and_empty_paths() {
        assert_eq!(template(""), "/");
        assert_eq!(template("?q=1"), "/");
        assert_eq!(template("#top"), "/");
        assert_eq!(template("/"), "/");
        assert_eq!(template("/a#frag/1"), "/a");
        assert_eq!(template("/a?b=/c/1#x"), "/a");
        assert_eq!(template("//a//1"), "//a//{id}");
        assert_eq!(template("*"), "*");
        assert_eq!(template("http://example.com:8080/o/7?x"), "/o/{id}");
        assert_eq!(template("HTTPS://example.com"), "/");
        assert_eq!(template("example.com:443"), "example.com:443");
    }

    #[test]
    fn long_paths_are_cut_at_a_segment() {
        let target = "/segment".repeat(100);
        let route = template(&target);
        assert!(route.len() <= MAX_ROUTE_LEN, "{}", route.len());
        assert!(route.ends_with(TRUNCATED_SUFFIX));
        assert!(route.starts_with("/segment/segment/"));

        let one_segment = format!("/{}", "x".repeat(100_000));
        assert_eq!(template(&one_segment), TRUNCATED_SUFFIX);

        let multibyte = format!("/{}", "\u{e9}".repeat(1000));
        assert!(template(&multibyte).len() <= MAX_ROUTE_LEN);
    }

    #[test]
    fn ids_fold_into_one_route() {
        let mut table = RouteTable::default();
        let first = table.route("/items/1");
        for id in 1..=5000 {
            let route = table.route(&format!("/items/{id}"));
            assert!(Arc::ptr_eq(&route, &first));
        }
        assert_eq!(&*first, "/items/{id}");
        assert_eq!(table.routes.len(), 1);
        assert_eq!(table.overflowed(), 0);
    }

    #[test]
    fn the_cap_sends_new_routes_to_overflow() {
        let mut table = RouteTable::new(3);
        for name in ["a", "b", "c"] {
            assert_eq!(&*table.route(&format!("/{name}")), format!("/{name}"));
        }
        assert_eq!(&*table.route("/d"), OVERFLOW_ROUTE);
        assert_eq!(&*table.route("/e/1"), OVERFLOW_ROUTE);
        // Known routes still resolve once the table is full.
        assert_eq!(&*table.route("/b?page=2"), "/b");
        assert_eq!(table.overflowed(), 2);
        assert_eq!(table.routes.len(), 3);

        let mut none = RouteTable::new(0);
        assert_eq!(&*none.route("/"), OVERFLOW_ROUTE);
        assert_eq!(none.overflowed(), 1);
        assert_eq!(DEFAULT_MAX_ROUTES, RouteTable::default().max_routes);
    }

    #[test]
    fn garbage_never_panics_and_stays_bounded() {
        // xorshift: deterministic bytes without a dev-dependency.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut table = RouteTable::new(50);
        for round in 0..2_000 {
            let len = (next() % 600) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Bias towards separators so paths have many segments.
            for byte in bytes.iter_mut().filter(|b| **b % 7 == 0) {
                *byte = b'/';
            }
            if round % 2 == 0 {
                bytes.insert(0, b'/');
            }
            let target = String::from_utf8_lossy(&bytes);
            let route = table.route(&target);
            assert!(route.len() <= MAX_ROUTE_LEN, "{target:?}");
        }
        assert!(table.routes.len() <= 50);
        assert!(table.overflowed() > 0);
    }
}
