//! runtime library.
