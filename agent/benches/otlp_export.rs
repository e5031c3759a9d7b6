//! Spans/s the OTLP exporter sustains into a collector, and its CPU time:
//! see `sonde_agent::bench::export_load`. Run by `cargo xtask bench export`,
//! which starts the collector.

fn main() -> std::process::ExitCode {
    sonde_agent::bench::export_load::main()
}
