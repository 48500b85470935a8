//! runtime library.
pub mod cli;
pub mod output;
pub mod predict;
pub mod select;
