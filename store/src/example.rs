//! What the model reads: one gene's window (an [`Example`]) and stacks of them (a [`Batch`]).

use crate::schema::N_FEATURES;

/// A model input channel: a stored per-base track, or Hi-C expanded from bins to bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    Track(usize),
    Hic,
}

/// The channels a model reads, in order — by default `[h3k27ac, dnase, hic]` (docs/model.md).
/// Built by [`crate::StoreReader::signal_spec`], which checks the store has every channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalSpec {
    pub(crate) names: Vec<String>,
    pub(crate) channels: Vec<Channel>,
}

impl SignalSpec {
    pub const DEFAULT: [&'static str; 3] = ["h3k27ac", "dnase", "hic"];

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.channels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

/// One gene's window as the model reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Index of the gene in the store.
    pub index: usize,
    /// `L` DNA codes (A=0, C=1, G=2, T=3, other=4).
    pub dna: Vec<u8>,
    /// `[L, C]` position-major, channels as in the [`SignalSpec`]; Hi-C expanded to bases.
    pub signals: Vec<f32>,
    /// `L` flags: 1 where the base is blacklisted (forced out of the mask).
    pub blacklist: Vec<u8>,
    pub features: [f32; N_FEATURES],
    /// One value per target column (NaN where unknown).
    pub targets: Vec<f32>,
}

/// `B` examples stacked: `dna [B, L]`, `signals [B, L, C]`, `features [B, 9]`, `targets [B, T]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub indices: Vec<usize>,
    pub window: usize,
    pub channels: usize,
    pub n_targets: usize,
    pub dna: Vec<u8>,
    pub signals: Vec<f32>,
    pub blacklist: Vec<u8>,
    pub features: Vec<f32>,
    pub targets: Vec<f32>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Stacks examples (all from one store, so of equal shapes).
    pub fn from_examples(examples: Vec<Example>, window: usize, channels: usize, n_targets: usize) -> Self {
        let mut b = Batch {
            indices: Vec::with_capacity(examples.len()),
            window,
            channels,
            n_targets,
            dna: Vec::with_capacity(examples.len() * window),
            signals: Vec::with_capacity(examples.len() * window * channels),
            blacklist: Vec::with_capacity(examples.len() * window),
            features: Vec::with_capacity(examples.len() * N_FEATURES),
            targets: Vec::with_capacity(examples.len() * n_targets),
        };
        for e in examples {
            b.indices.push(e.index);
            b.dna.extend_from_slice(&e.dna);
            b.signals.extend_from_slice(&e.signals);
            b.blacklist.extend_from_slice(&e.blacklist);
            b.features.extend_from_slice(&e.features);
            b.targets.extend_from_slice(&e.targets);
        }
        b
    }
}
