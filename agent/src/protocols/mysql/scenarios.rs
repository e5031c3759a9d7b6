//! Whole-connection behaviour: one test per situation the parser must
//! handle (login, queries, result sets, prepared statements, errors,
//! partly captured chunks, mid-stream pickup, bounds...).

use super::test_support::{packet, packets, Wire};

#[test]
fn a_query_and_its_ok() {
    let mut wire = Wire::new();
    wire.client(&packet(0, b"\x03DELETE FROM t"));
    wire.server(&packet(1, b"\x00\x03\x00\x02\x00\x00\x00"));
    assert_eq!(wire.lines(), ["#0 DELETE -> rows=3 error=- | 1-2/1"]);
    let _ = packets;
}
