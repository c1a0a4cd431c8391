//! `lumen bench` (being written).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<(), String> {
    Err("`lumen bench` is not implemented yet".into())
}
