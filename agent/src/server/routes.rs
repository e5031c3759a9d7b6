//! The endpoint's routes and their handlers.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::negotiate::wants_openmetrics;
use super::ServerState;

/// All routes; any other path is a 404.
pub(super) fn router(state: ServerState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
}

/// Liveness: answering at all means the process and its runtime are alive.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: 503 until the agent says its probes are attached, so a rollout
/// waits for an agent that actually observes.
async fn readyz(State(state): State<ServerState>) -> (StatusCode, &'static str) {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting")
    }
}

/// The agent's metrics, in the format the scraper asked for.
async fn metrics(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    let accept = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok());
    let (content_type, body) = state.metrics.render(wants_openmetrics(accept));
    ([(CONTENT_TYPE, content_type)], body).into_response()
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found")
}
