//! One module per `lumen` subcommand. Each exposes `Args` (clap) and `run(Args) -> Result<(), String>`, where the
//! error string is the one line printed after `lumen: `.

pub mod ai;
pub mod bench;
pub mod decode;
pub mod demo;
pub mod info;
pub mod serve;
