//! The `lumen serve` HTTP server (axum): the embedded web app, a DICOMweb API (PS3.18) under `/dicom-web`, the
//! `/api/config` document that tells the web app where its data comes from, and the AI server fallback.
//!
//! Routes:
//! - `/dicom-web/**`: QIDO-RS, WADO-RS, STOW-RS (folder store) or everything forwarded to the PACS (proxy);
//! - `GET /api/config`: the web app's DICOMweb sources and allowed embedders;
//! - `POST /api/ai/jobs`, `GET /api/ai/jobs`, `GET /api/ai/jobs/{id}`, `DELETE /api/ai/jobs/{id}`: a model run
//!   natively on a study of the same source, its result (SR or SEG) stored there (see `ai`, and `docs/AI.md`);
//! - anything else: the embedded web app (`index.html` for the app's own routes).
//!
//! The DICOMweb API is answered either from a folder ([`lumen_store::Store`]: QIDO-RS, WADO-RS, STOW-RS) or by
//! reverse-proxying to a PACS's DICOMweb root, so the browser only ever talks to Lumen's origin. Every response —
//! API, app file or error — carries a strict Content-Security-Policy, `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer`.
//!
//! This crate must not decode pixels for the viewer (it only re-encodes for clients that refuse a stored transfer
//! syntax, through the store) and holds no DICOM parsing of its own beyond reading STOW-RS uploads into the store.
//! The AI fallback decodes only for its own model runs, with `lumen-frames`, as the browser does.
//!
//! Two entry points:
//! - [`router`] builds the [`axum::Router`] for an [`AppState`], for embedding or for tests with your own listener;
//! - [`serve`] does everything `lumen serve` needs: opens the source, binds, prints the URL, serves until Ctrl-C.
//!
//! ```no_run
//! # async fn run() -> Result<(), lumen_server::Error> {
//! let config = lumen_server::Config {
//!     source: lumen_server::Source::Folder("/data/dicom".into()),
//!     ..lumen_server::Config::default()
//! };
//! lumen_server::serve(config).await
//! # }
//! ```

mod accept;
mod ai;
mod api;
mod assets;
mod dicomweb;
mod error;
mod proxy;
mod security;

use axum::Router;
use lumen_store::Store;
use snafu::{ResultExt, Snafu};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub use security::content_security_policy;

/// Where the DICOMweb API gets its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder of DICOM files, indexed at start (`--dicom-dir`); STOW-RS uploads are written into it.
    Folder(PathBuf),
    /// A PACS's DICOMweb root (`--pacs`), e.g. `https://pacs.example.org/dicom-web`, reverse-proxied.
    Proxy {
        /// The upstream DICOMweb root URL (http or https).
        url: String,
        /// A bearer token sent upstream when the browser's request carries no `Authorization` header.
        token: Option<String>,
    },
    /// The bundled demo studies: written into this folder by `lumen-phantom` on first start (a marker file records
    /// a complete generation), then served like [`Source::Folder`].
    Demo(PathBuf),
}

/// Everything `lumen serve` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data source.
    pub source: Source,
    /// Address to listen on; the default, 127.0.0.1, is reachable from this computer only.
    pub bind: IpAddr,
    /// TCP port (0 picks a free one).
    pub port: u16,
    /// Who may frame the app (CSP `frame-ancestors`), e.g. `'self'` or `https://ris.example.org`.
    pub frame_ancestors: Vec<String>,
    /// Extra origins the web app may connect to directly (CSP `connect-src`), for DICOMweb sources it reaches
    /// without Lumen's proxy. Empty by default: the app talks only to Lumen.
    pub connect_origins: Vec<String>,
    /// Model packages for the AI server fallback (`/api/ai/jobs`): a folder of `<id>/manifest.json`… (e.g. the
    /// repository's `models/`). `None`: the packages embedded with the web app, if it was built.
    pub models_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: Source::Demo(default_demo_dir()),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            frame_ancestors: vec!["'self'".to_string()],
            connect_origins: Vec::new(),
            models_dir: None,
        }
    }
}

/// The folder the demo studies are generated into when none is given: `$LUMEN_DATA_DIR/demo`, else `./data/demo`.
pub fn default_demo_dir() -> PathBuf {
    match std::env::var_os("LUMEN_DATA_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("demo"),
        _ => PathBuf::from("data").join("demo"),
    }
}

/// Errors that stop the server from starting or running.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum Error {
    /// The DICOM folder cannot be indexed.
    #[snafu(display("cannot open the DICOM folder: {source}"))]
    OpenStore { source: lumen_store::Error },

    /// The demo studies cannot be generated.
    #[snafu(display("cannot write the demo studies into {}: {reason}", dir.display()))]
    Demo { dir: PathBuf, reason: String },

    /// The PACS URL is not an absolute http(s) URL.
    #[snafu(display("invalid PACS URL \"{url}\": {reason}"))]
    InvalidPacsUrl { url: String, reason: String },

    /// The HTTP client for the PACS cannot be created.
    #[snafu(display("cannot create the HTTP client for the PACS: {source}"))]
    HttpClient { source: reqwest::Error },

    /// The address is in use or not allowed.
    #[snafu(display("cannot listen on {addr}: {source}"))]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },

    /// The server stopped with an I/O error.
    #[snafu(display("the server stopped: {source}"))]
    Serve { source: std::io::Error },
}

/// Where `/dicom-web` requests go.
#[derive(Clone)]
pub(crate) enum Backend {
    Store(Arc<Store>),
    Proxy(Arc<proxy::Upstream>),
}

/// Shared state of the HTTP handlers: the DICOMweb backend and the security headers. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) backend: Backend,
    pub(crate) csp: Arc<axum::http::HeaderValue>,
    /// The origins allowed to frame the app ([`Config::frame_ancestors`] that are exact origins), listed in
    /// `/api/config`: the app accepts a bearer token posted by a host page of one of them.
    pub(crate) embedders: Arc<Vec<String>>,
    /// The AI server fallback: model packages and jobs.
    pub(crate) ai: Arc<ai::AiService>,
}

impl AppState {
    /// State serving `/dicom-web` from `store`, with the default CSP (no extra origins, framing by itself only).
    pub fn from_store(store: Arc<Store>) -> AppState {
        AppState::with_backend(Backend::Store(store), &[], &["'self'".to_string()])
    }

    /// State reverse-proxying `/dicom-web` to the DICOMweb root `url`, sending `token` as a bearer token when the
    /// browser sends no `Authorization` header.
    pub fn proxy(url: &str, token: Option<String>) -> Result<AppState, Error> {
        let upstream = proxy::Upstream::new(url, token)?;
        Ok(AppState::with_backend(
            Backend::Proxy(Arc::new(upstream)),
            &[],
            &["'self'".to_string()],
        ))
    }

    /// Opens the configured source (indexing a folder, generating the demo on first start, or preparing the
    /// proxy) and builds the state with the configured CSP. Blocking: indexing reads every file header.
    pub fn open(config: &Config) -> Result<AppState, Error> {
        let backend = match &config.source {
            Source::Folder(dir) => {
                Backend::Store(Arc::new(Store::open(dir).context(OpenStoreSnafu)?))
            }
            Source::Demo(dir) => {
                api::ensure_demo(dir)?;
                Backend::Store(Arc::new(Store::open(dir).context(OpenStoreSnafu)?))
            }
            Source::Proxy { url, token } => {
                Backend::Proxy(Arc::new(proxy::Upstream::new(url, token.clone())?))
            }
        };
        Ok(
            AppState::with_backend(backend, &config.connect_origins, &config.frame_ancestors)
                .with_models_dir(config.models_dir.clone()),
        )
    }

    /// The same state with the AI fallback's model packages read from `dir` (`<id>/manifest.json`…), or, with
    /// `None`, from the web app embedded in the binary. Jobs of the previous state are not carried over.
    pub fn with_models_dir(mut self, dir: Option<PathBuf>) -> AppState {
        self.ai = Arc::new(ai::AiService::new(dir));
        self
    }

    fn with_backend(
        backend: Backend,
        connect_origins: &[String],
        frame_ancestors: &[String],
    ) -> AppState {
        let csp = content_security_policy(connect_origins, frame_ancestors);
        // The policy is built from origins and keywords only; a value that is not a valid header (a line break in
        // an origin) falls back to the default policy rather than dropping the header.
        let value = axum::http::HeaderValue::from_str(&csp)
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static(security::DEFAULT_POLICY));
        AppState {
            backend,
            csp: Arc::new(value),
            embedders: Arc::new(security::exact_origins(frame_ancestors)),
            ai: Arc::new(ai::AiService::new(None)),
        }
    }

    /// The folder store behind `/dicom-web`, if this state serves one.
    pub fn store(&self) -> Option<&Arc<Store>> {
        match &self.backend {
            Backend::Store(s) => Some(s),
            Backend::Proxy(_) => None,
        }
    }
}

/// The whole HTTP application: `/dicom-web/**` (store or proxy), `/api/config`, and the embedded web app for every
/// other path (unknown paths without a file extension get `index.html`, so the app's own routes survive a reload).
/// Every response carries the security headers.
pub fn router(state: AppState) -> Router {
    let dicomweb = match &state.backend {
        Backend::Store(_) => dicomweb::routes(),
        Backend::Proxy(_) => proxy::routes(),
    };
    Router::new()
        .merge(dicomweb)
        .merge(ai::routes())
        .merge(api::routes())
        .layer(compression())
        .layer(axum::middleware::from_fn(log_failures))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::add_security_headers,
        ))
        .with_state(state)
}

/// Prints one line on stderr for every answer that is the server's or the PACS's fault (5xx), so an integrator
/// running `lumen serve` sees failures without a logging setup. Client errors (4xx) are the client's to report.
async fn log_failures(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if response.status().is_server_error() {
        eprintln!("lumen: {method} {path} answered {}", response.status());
    }
    response
}

/// Gzip for the responses that shrink a lot and are worth the CPU: the web app (wasm, JavaScript, HTML, CSS) and
/// JSON (QIDO results, metadata). DICOM instances and frames are left as they are: pixel data compresses poorly
/// for its cost, and compressed transfer syntaxes not at all.
fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{Predicate, SizeAbove};
    const COMPRESSIBLE: &[&str] = &[
        "application/wasm",
        "text/",
        "application/json",
        "application/dicom+json",
        "application/manifest+json",
        "image/svg+xml",
    ];
    let compressible = |_: axum::http::StatusCode,
                        _: axum::http::Version,
                        headers: &axum::http::HeaderMap,
                        _: &axum::http::Extensions| {
        let content_type = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        COMPRESSIBLE
            .iter()
            .any(|prefix| content_type.starts_with(prefix))
    };
    tower_http::compression::CompressionLayer::new()
        .compress_when(SizeAbove::new(256).and(compressible))
}

/// Runs `lumen serve`: opens the source, listens on `config.bind:config.port`, prints
/// `Lumen is serving N studies at http://…/`, and serves until Ctrl-C, letting requests in flight finish.
pub async fn serve(config: Config) -> Result<(), Error> {
    let cfg = config.clone();
    let state = tokio::task::spawn_blocking(move || AppState::open(&cfg))
        .await
        .map_err(|e| Error::Serve {
            source: std::io::Error::other(e.to_string()),
        })??;
    if let Some(store) = state.store() {
        for (path, reason) in store.warnings() {
            eprintln!("lumen: skipped {}: {reason}", path.display());
        }
    }
    let addr = SocketAddr::new(config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .context(BindSnafu { addr })?;
    let local = listener.local_addr().context(BindSnafu { addr })?;
    let shown = if local.ip().is_unspecified() {
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        local
    };
    let url = format!("http://{shown}/");
    match &state.backend {
        Backend::Store(store) => {
            let n = store.study_count();
            println!(
                "Lumen is serving {n} {} at {url}",
                if n == 1 { "study" } else { "studies" }
            );
        }
        Backend::Proxy(upstream) => println!("Lumen is serving {} at {url}", upstream.display()),
    }
    if !assets::web_app_built() {
        eprintln!(
            "lumen: this binary was built without the web app (run scripts/build-web.sh, then rebuild); \
             the DICOMweb API works"
        );
    }
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            // If the signal handler cannot be installed, serve until the process is killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        .context(ServeSnafu)
}
