//! The HTTP endpoint of a run: `GET /metrics` (OpenMetrics text) and `GET /healthz` (or `/health`: 200 or 503
//! with a JSON body), served by `tiny_http` on a thread of its own.
//!
//! The thread only reads: the registry's atomics and the health board. It outlives the run, so that
//! `--serve-after-finish` can keep answering after the summary is printed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use prometheus_client::registry::Registry;
use tiny_http::{Header, Response, Server};

use super::health::HealthBoard;
use super::metrics::encode_text;
use crate::error::RunError;

/// Whether an endpoint is being served by this process (for [`super::serve_until_stopped`]).
pub(crate) static SERVING: AtomicBool = AtomicBool::new(false);

/// Binds `address` and serves on a new thread; returns the address bound (the port is chosen by the system for
/// port 0).
pub(crate) fn serve(
    address: SocketAddr,
    registry: Arc<Registry>,
    health: Arc<HealthBoard>,
) -> Result<SocketAddr, RunError> {
    let server = Server::http(address).map_err(|e| RunError::Listen {
        address,
        detail: e.to_string(),
    })?;
    let bound = server.server_addr().to_ip().unwrap_or(address);
    std::thread::Builder::new()
        .name("fdi-metrics".to_string())
        .spawn(move || {
            for request in server.incoming_requests() {
                let response = respond(request.method(), request.url(), &registry, &health);
                // A client that went away is its business, not the run's.
                let _ = request.respond(response);
            }
        })
        .map_err(|e| RunError::Listen {
            address,
            detail: format!("cannot start the serving thread: {e}"),
        })?;
    SERVING.store(true, Ordering::SeqCst);
    Ok(bound)
}

fn respond(
    method: &tiny_http::Method,
    url: &str,
    registry: &Registry,
    health: &HealthBoard,
) -> Response<std::io::Cursor<Vec<u8>>> {
    let path = url.split('?').next().unwrap_or(url);
    if *method != tiny_http::Method::Get && *method != tiny_http::Method::Head {
        return text(405, "only GET\n", "text/plain; charset=utf-8");
    }
    match path {
        "/metrics" => text(
            200,
            &encode_text(registry),
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
        "/healthz" | "/health" => {
            let verdict = health.verdict();
            let status = if verdict.healthy { 200 } else { 503 };
            text(status, &verdict.body, "application/json")
        }
        _ => text(
            404,
            "not found: try /metrics or /healthz\n",
            "text/plain; charset=utf-8",
        ),
    }
}

fn text(status: u16, body: &str, content_type: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut response = Response::from_string(body).with_status_code(status);
    if let Ok(header) = Header::from_bytes("Content-Type", content_type) {
        response = response.with_header(header);
    }
    response
}
