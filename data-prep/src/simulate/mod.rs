//! Planted-truth genome simulator.
