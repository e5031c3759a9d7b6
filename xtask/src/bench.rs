//! `cargo xtask bench NAME`: named benchmarks. None exist yet; each comes with
//! the feature it measures.

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which benchmark to run.
    pub name: String,
}

pub fn main(args: &BenchArgs) -> ExitCode {
    eprintln!("no benchmark named {} yet", args.name);
    ExitCode::from(2)
}
