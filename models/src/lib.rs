//! Seq2Exp model configuration, the selective-scan kernel and shared numerics (no libtorch).

pub mod config;
pub mod scan;
