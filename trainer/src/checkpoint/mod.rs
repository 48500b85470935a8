//! Checkpoints on disk: weights as safetensors in the public Mamba/Caduceus state-dict naming.

mod weights;

pub use weights::{read_weights, state_dict, write_weights};
