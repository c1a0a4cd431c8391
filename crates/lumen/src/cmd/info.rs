//! `lumen info` (being written).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<(), String> {
    Err("`lumen info` is not implemented yet".into())
}
