//! HTTP requests seen on connections: the context around the parser's
//! exchanges (process, thread, endpoints), for metrics and spans.

pub mod exchange;
pub mod route;
