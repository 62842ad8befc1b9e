//! `ringmark`: the command-line side of the same cores the Worker runs, so an
//! operator can classify logs, size a pool, write the email HTML and test a
//! pool on a timeline without deploying anything.
//!
//! ```text
//! ringmark classify [--ip-ranges FILE] [--device-models FILE]   User-Agents or TSV (ua<TAB>headers-json) on stdin → JSON lines
//! ringmark pool-size --recipients N [--human-open-rate R …]     recommend a pool size (JSON)
//! ringmark snippet --base-url URL --fallback +E164 [--platform P] [--display TEXT] [--format F] [--tokens FILE]
//! ringmark backtest --pool FILE [--summary-only]                 timeline (JSON lines) on stdin → scored calls, summary
//! ringmark simulate [--model FILE] [--seed N]                    a simulated send's timeline → stdout
//! ```
//!
//! `ringmark --help` and `ringmark COMMAND --help` give the details. Exit
//! status: 0 on success, 2 on a usage error, 1 otherwise.
//!
//! The CLI is native code (`clap` is a native-only dependency); a wasm32 build of the crate's
//! targets, such as `cargo test --target wasm32-unknown-unknown`, gets an empty `main`.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
