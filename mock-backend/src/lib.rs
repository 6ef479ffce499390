//! A user server that stands in for the Python reference server.
