//! `lumen decode` (being written).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<(), String> {
    Err("`lumen decode` is not implemented yet".into())
}
