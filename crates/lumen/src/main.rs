//! The `lumen` command. It only composes the library crates in `crates/`: each subcommand lives in its own
//! module under `cmd/` and turns a library result into one line of output. Errors end the process with one clear
//! line on stderr naming the file and the problem, and a non-zero exit code — never a panic backtrace.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lumen", version, about = "Lumen — a zero-footprint DICOM viewer and its server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web viewer and a DICOMweb API (bundled demo studies when no source is given).
    Serve(cmd::serve::Args),
    /// Print a summary of a DICOM file, or its DICOM JSON with --json.
    Info(cmd::info::Args),
    /// Decode pixel data: raw stored values or the displayed image as PNG.
    Decode(cmd::decode::Args),
    /// Write the deterministic demo studies into a folder.
    Demo(cmd::demo::Args),
    /// Benchmark Lumen's decoders against dcmtk/GDCM on the same files.
    Bench(cmd::bench::Args),
    /// Run an AI model package on a DICOM image (native CPU) and print its outputs as JSON.
    Ai(cmd::ai::Args),
}

fn main() -> ExitCode {
    // A panic must never reach the user as a backtrace: report it as one line.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown error".into());
        eprintln!("lumen: internal error: {msg}");
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => cmd::serve::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Decode(a) => cmd::decode::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Ai(a) => cmd::ai::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lumen: {e}");
            ExitCode::FAILURE
        }
    }
}
