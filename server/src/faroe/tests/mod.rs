//! Action tests through the envelope, with in-memory fakes and a manual clock.

mod envelope;
mod session;
mod signin;
mod signup;
