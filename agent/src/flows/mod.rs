//! Captured connections → parsers → spans and metrics: HTTP/1.x on both
//! sides, and the client side of PostgreSQL, MySQL and Redis, whose calls
//! become children of the HTTP request their thread is serving.

mod connection;
mod db;
mod http;
pub mod pipeline;
