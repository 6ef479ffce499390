//! Integration tests of the `tiauth` server: the real app on port 0 with wiremock as the
//! user server, and the `tiauth` binary run as a process.

mod helpers;
mod hostile_clients;
mod http_surface;
mod limits;
mod process;
mod pwned;
mod user_server;
