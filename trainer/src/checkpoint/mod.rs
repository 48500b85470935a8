//! Checkpoints on disk: weights as safetensors in the public Mamba/Caduceus state-dict naming.

pub mod reference;
mod weights;

pub use weights::{read_weights, state_dict, write_weights};
