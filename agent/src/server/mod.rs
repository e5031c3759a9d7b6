//! HTTP endpoint: /healthz, /readyz, /metrics.
//!
//! Small and dependency-light on purpose: it must keep answering while the rest
//! of the agent is busy or stuck, since it is how an orchestrator and an SRE
//! tell a live agent from a wedged one.

mod negotiate;
mod routes;
#[cfg(test)]
mod tests;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::telemetry::AgentMetrics;

/// How long open connections may keep the server alive after shutdown is
/// asked for, so a client holding a connection cannot stall the agent's exit.
/// (Shorter in tests, which wait it out.)
const SHUTDOWN_GRACE: Duration = if cfg!(test) {
    Duration::from_secs(1)
} else {
    Duration::from_secs(5)
};

/// What the handlers need, shared by every connection.
#[derive(Clone, Debug)]
pub struct ServerState {
    /// Rendered on /metrics.
    pub metrics: Arc<AgentMetrics>,
    /// Set by the agent once its probes are attached; /readyz reports it.
    pub ready: Arc<AtomicBool>,
}

/// Why the HTTP endpoint could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound; `reason` says why in words an
    /// operator can act on (the raw error is kept in `error`).
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        addr: SocketAddr,
        reason: String,
        error: io::Error,
    },
    /// The server failed while running.
    #[error("HTTP server failed")]
    Serve(#[source] io::Error),
}

impl ServerError {
    fn bind(addr: SocketAddr, error: io::Error) -> ServerError {
        let reason = match error.kind() {
            io::ErrorKind::AddrInUse => "address in use".to_owned(),
            io::ErrorKind::PermissionDenied if addr.port() < 1024 => {
                "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)".to_owned()
            }
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            io::ErrorKind::AddrNotAvailable => "address not available on this host".to_owned(),
            _ => error.to_string(),
        };
        ServerError::Bind {
            addr,
            reason,
            error,
        }
    }
}

/// Binds the listen address; separate from [`serve`] so a bad address fails
/// the agent's start-up, before any probe is loaded.
pub async fn bind(listen: SocketAddr) -> Result<TcpListener, ServerError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|error| ServerError::bind(listen, error))?;
    if !listen.ip().to_canonical().is_loopback() {
        tracing::warn!(
            %listen,
            "/metrics is exposed beyond this host; listen on 127.0.0.1 to keep it local"
        );
    }
    Ok(listener)
}

/// Serves the routes on `listener` until `shutdown` completes, then lets
/// in-flight requests finish for at most [`SHUTDOWN_GRACE`]. Idle connections
/// are closed at once; one still busy after the grace is no longer waited for
/// (its task ends with the runtime), and the listening port is released.
pub async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    }
    let stopping = Arc::new(Notify::new());
    let signal = {
        let stopping = Arc::clone(&stopping);
        async move {
            shutdown.await;
            // Stores a permit if the deadline task is not waiting yet.
            stopping.notify_one();
        }
    };
    let server = axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(signal)
        .into_future();
    let deadline = async {
        stopping.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => result.map_err(ServerError::Serve),
        () = deadline => {
            tracing::warn!(
                grace = ?SHUTDOWN_GRACE,
                "HTTP connections still busy after shutdown; not waiting for them"
            );
            Ok(())
        }
    }
}
