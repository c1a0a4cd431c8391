//! `lumen demo` (being written).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<(), String> {
    Err("`lumen demo` is not implemented yet".into())
}
