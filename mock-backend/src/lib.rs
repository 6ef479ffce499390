//! A user server for Tiauth Faroe that stands in for the Python sync reference server.
//!
//! It answers the seven user actions on `POST /invoke`, takes e-mails on `POST /email`, and
//! offers the `/command` test vocabulary (stored codes, journal, fault injection). Tests start
//! it with [`MockBackend::start`] on port 0; [`router`] embeds it in another axum app.

pub mod actions;
mod commands;
pub mod faults;
pub mod journal;
pub mod json;
pub mod routes;
pub mod state;
pub mod store;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use actions::UserActionName;
pub use faults::{Fault, FaultTarget};
pub use journal::UserActionCall;
pub use routes::router;
pub use state::MockState;
pub use store::{StoreError, User, UserStore};

/// Serves the backend on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: MockState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts backends in the current tokio runtime.
#[derive(Debug, Clone, Copy)]
pub struct MockBackend;

impl MockBackend {
    /// Binds `addr` (port 0 picks a free port) and serves an in-memory backend.
    pub async fn start(addr: SocketAddr) -> io::Result<RunningMockBackend> {
        let state = MockState::in_memory().map_err(io::Error::other)?;
        Self::start_with_state(addr, state).await
    }

    /// Binds `addr` and serves a backend whose users live in the SQLite file at `path`.
    pub async fn start_with_database_file(
        addr: SocketAddr,
        path: &Path,
    ) -> io::Result<RunningMockBackend> {
        let state = MockState::with_database_file(path).map_err(io::Error::other)?;
        Self::start_with_state(addr, state).await
    }

    /// Binds `addr` and serves `state`.
    pub async fn start_with_state(
        addr: SocketAddr,
        state: MockState,
    ) -> io::Result<RunningMockBackend> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async move {
            // Either a stop message or the handle being dropped ends the server.
            let _ = stopped.await;
        }));
        Ok(RunningMockBackend {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A backend serving in the background. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningMockBackend {
    addr: SocketAddr,
    state: MockState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningMockBackend {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The state behind the server.
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// Every `/email` body received, in arrival order.
    pub fn emails(&self) -> Vec<serde_json::Value> {
        self.state.emails()
    }

    /// Every `/invoke` call received, in arrival order.
    pub fn calls(&self) -> Vec<UserActionCall> {
        self.state.calls()
    }

    /// Every user, oldest first.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.state.users().await
    }

    /// Removes and returns the code last e-mailed with type `kind` to `email`.
    pub fn take_token(&self, kind: &str, email: &str) -> Option<String> {
        self.state.take_token(kind, email)
    }

    /// Sets `disabled` and/or `display_name` of a user.
    pub async fn update_user(
        &self,
        user_id: &str,
        disabled: Option<bool>,
        display_name: Option<&str>,
    ) -> Result<(), StoreError> {
        self.state
            .update_user(user_id, disabled, display_name)
            .await
    }

    /// Makes every later call of `target` misbehave as `fault` until cleared.
    pub fn set_fault(&self, target: FaultTarget, fault: Fault) {
        self.state.set_fault(target, fault);
    }

    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// Clears users, stored codes, the journal and faults (the id numbering goes on).
    pub async fn clear(&self) -> Result<(), StoreError> {
        self.state.clear().await
    }

    /// Stops accepting connections and waits for the requests in flight to finish.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningMockBackend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
