//! Whole-connection behaviour: one test per situation the parser must
//! handle (startup, simple and extended queries, errors, pipelining,
//! COPY, notifications, partial captures, resync, bounds...).

use super::{looks_like_client_start, test_support::Wire};

#[test]
fn the_classifier_is_exported() {
    assert!(looks_like_client_start(b"Q\0\0\0\rSELECT 1\0"));
}
