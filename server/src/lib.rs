//! Tiauth Faroe.
