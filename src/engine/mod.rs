//! Reachability.
