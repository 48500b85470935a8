//! Seq2Exp model configuration, the selective-scan kernel, evaluation metrics and shared numerics
//! (no libtorch).

pub mod config;
pub mod metrics;
pub mod ops;
pub mod reference;
pub mod scan;
