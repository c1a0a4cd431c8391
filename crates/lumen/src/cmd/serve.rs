//! `lumen serve`: the web viewer and a DICOMweb API on one origin. The source is a folder (`--dicom-dir`), a PACS
//! reverse-proxied (`--pacs`, optional `--token`), or — with neither — the bundled demo studies, generated into the
//! data folder on first start. This module only turns arguments into a [`lumen_server::Config`] and runs it on a
//! tokio runtime; all behaviour lives in `lumen-server`.

use std::net::IpAddr;
use std::path::PathBuf;

/// Environment variable read for the PACS bearer token when `--token` is not given (keeps it out of `ps`).
const TOKEN_ENV: &str = "LUMEN_PACS_TOKEN";

#[derive(clap::Args)]
pub struct Args {
    /// Serve this folder of DICOM files (indexed at start; STOW-RS uploads are written into it).
    #[arg(long, value_name = "DIR", conflicts_with = "pacs")]
    dicom_dir: Option<PathBuf>,
    /// Proxy this PACS's DICOMweb root (e.g. https://pacs.example.org/dicom-web) under /dicom-web.
    #[arg(long, value_name = "URL")]
    pacs: Option<String>,
    /// Bearer token sent to the PACS when the browser sends none (default: $LUMEN_PACS_TOKEN).
    #[arg(long, value_name = "TOKEN", requires = "pacs")]
    token: Option<String>,
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on; 127.0.0.1 is reachable from this computer only, 0.0.0.0 from the network.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: IpAddr,
    /// Folder for Lumen's data; the demo studies go into its `demo` subfolder (default: $LUMEN_DATA_DIR or ./data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Who may embed the viewer in a frame (CSP frame-ancestors), e.g. https://ris.example.org; repeatable.
    #[arg(long = "frame-ancestor", value_name = "ORIGIN")]
    frame_ancestors: Vec<String>,
}

pub fn run(args: Args) -> Result<(), String> {
    let source = match (args.dicom_dir, args.pacs) {
        (Some(dir), _) => lumen_server::Source::Folder(dir),
        (None, Some(url)) => lumen_server::Source::Proxy {
            url,
            token: args
                .token
                .or_else(|| std::env::var(TOKEN_ENV).ok())
                .filter(|t| !t.is_empty()),
        },
        (None, None) => lumen_server::Source::Demo(match args.data_dir {
            Some(dir) => dir.join("demo"),
            None => lumen_server::default_demo_dir(),
        }),
    };
    let mut frame_ancestors = vec!["'self'".to_string()];
    frame_ancestors.extend(args.frame_ancestors);
    let config = lumen_server::Config {
        source,
        bind: args.bind,
        port: args.port,
        frame_ancestors,
        ..lumen_server::Config::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(lumen_server::serve(config))
        .map_err(|e| e.to_string())
}
