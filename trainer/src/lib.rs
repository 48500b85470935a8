//! trainer library.
