//! The open-files limit: raised to its hard maximum at startup, and the source of the
//! default connection cap.

/// File descriptors kept free for storage, user-server and breach-check connections,
/// logs and the listener itself (at most half of a small limit).
pub const RESERVED_FILES: u64 = 128;

/// Raises the soft open-files limit to the hard one and returns the limit in force,
/// `None` where it cannot be read.
pub fn raise_open_files_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

/// The connection cap that leaves room for everything else under `open_files`.
pub fn max_connections_for(open_files: u64) -> usize {
    let reserved = RESERVED_FILES.min(open_files / 2);
    let connections = open_files.saturating_sub(reserved).max(1);
    usize::try_from(connections).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_a_reserve() {
        assert_eq!(max_connections_for(1024), 896);
        assert_eq!(max_connections_for(64), 32);
        assert_eq!(max_connections_for(1), 1);
        assert_eq!(max_connections_for(1 << 20), (1 << 20) - 128);
    }
}
