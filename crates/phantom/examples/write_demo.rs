//! Write the demo studies without the `lumen` CLI: `cargo run --release -p lumen-phantom --example write_demo --
//! OUT_DIR [--small]`. Prints one line per series. Same output as `lumen demo`, minus `manifest.json`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: write_demo OUT_DIR [--small]");
        return ExitCode::FAILURE;
    };
    let small = args.any(|a| a == "--small");
    let opts = if small {
        lumen_phantom::DemoOptions::small()
    } else {
        lumen_phantom::DemoOptions::default()
    };
    let start = std::time::Instant::now();
    match lumen_phantom::write_demo(&out, &opts) {
        Ok(m) => {
            for (study, series) in m.all_series() {
                println!(
                    "{}/{}: {} file(s), {}",
                    study.folder,
                    series.folder,
                    series.instances.len(),
                    series.transfer_syntax.name()
                );
            }
            println!(
                "{} files in {:.1} s",
                m.instance_count(),
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("write_demo: {e}");
            ExitCode::FAILURE
        }
    }
}
