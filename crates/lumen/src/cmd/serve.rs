//! `lumen serve` (being written).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<(), String> {
    Err("`lumen serve` is not implemented yet".into())
}
