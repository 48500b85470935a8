//! The seq2exp ONNX file format, both directions: [`build_model`] turns a configuration and weights
//! into a `ModelProto` (pure Rust, used by `trainer export`); [`meta`] defines the metadata keys that
//! [`crate::Model`] reads back.
//!
//! # Graph signature (format version 1)
//! | name        | type    | shape      | meaning                                                        |
//! |-------------|---------|------------|----------------------------------------------------------------|
//! | `dna`       | uint8   | `[B, L]`   | base codes A 0, C 1, G 2, T 3, anything else 4                 |
//! | `signals`   | float   | `[B, L, C]`| channels in `seq2exp.signal_names` order (Hi-C expanded per base), as the store yields them |
//! | `features`  | float   | `[B, 9]`   | the store's 9 extra features, raw (standardised inside)        |
//! | `blacklist` | uint8   | `[B, L]`   | 1 = blacklisted base (forced out of the mask); zeros when none |
//! | `expression`| float   | `[B]`      | predicted log10(CAGE + 1)                                      |
//! | `mask`      | float   | `[B, L]`   | inference mask after the overrides (soft: Beta mean; hard: 1[mean ≥ threshold]); absent in `nomask` and `signal` models |
//!
//! B is free; L is fixed to `seq2exp.window`. Every file declares all four inputs. `signal` models (the
//! signal-only baseline) have no sequence model: the head reads, per channel, the mean of `signals` over
//! the centre `pool_width` positions and over the whole window; `dna` and `blacklist` are declared but
//! unused, so both flavours are the same graph. Soft models run the predictor over all L positions
//! (masked bases are zero vectors). Hard models add the learned `pos_emb` to the sequence embedding and
//! compact: per gene (an ONNX `Loop` over the batch), the generator's stack runs a second time as the
//! predictor, on the selected bases only, gathered in order, and the head pools the selected bases of
//! its centre window (see `compact`); unselected bases cost nothing and cannot change the result.
//!
//! # Scan flavours
//! `fast`: each selective scan is one `ai.seq2exp:SelectiveScan` node (domain version 1) with inputs
//! u `[B, D, L]`, x_dbl `[B, R + 2N, L]` (x_proj's output: delta_low, B and C stacked), dt_weight `[D, R]`,
//! dt_bias `[D]`, A_log `[D, N]`, D `[D]`, z `[B, D, L]` and output y `[B, D, L]` (softplus, D skip and
//! silu(z) gate included). Three more steps are fused nodes of the same domain: the causal conv1d + SiLU
//! before each scan (`CausalConv1dSilu`: x `[B, D, L]`, weight `[D, 1, K]`, bias `[D]`), RMSNorm over
//! channels (`RmsNorm`: x `[B, C, L]`, weight `[C]`, attribute `epsilon`) and the reversal of positions
//! for BiMamba's reverse direction (`Flip`). Only this crate's runtime (`crate::ops`) can run them.
//! `portable`: the same graph in stock ONNX, runnable by any onnxruntime: an outer `Scan` over chunks of
//! 64 positions (the window zero-padded to a multiple), each chunk's decays and injections computed at
//! once and its recurrence run by a two-node inner `Scan`, both directions of a BiMamba layer in one scan
//! (`scan.rs`).

mod blocks;
mod compact;
pub(crate) mod graph;
mod head;
mod mask;
pub mod meta;
mod scan;
mod weights;

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{Message, ModelProto, OperatorSetIdProto, StringStringEntryProto};
use seq2exp_models::config::{MaskMode, Seq2ExpConfig};

pub use meta::Flavour;
pub use weights::{WeightTensor, Weights};

use crate::error::GraphError;
use graph::{attr_int, Dim, Graph};

/// ONNX opset of the default domain.
pub const OPSET: i64 = 17;
/// IR version 8 (ONNX 1.10+): understood by every onnxruntime that has opset 17.
pub const IR_VERSION: i64 = 8;

/// Builds the model. `extra_metadata` (e.g. provenance) is appended to the keys of [`meta`].
pub fn build_model(
    cfg: &Seq2ExpConfig,
    weights: &Weights,
    flavour: Flavour,
    extra_metadata: &[(String, String)],
) -> Result<ModelProto, GraphError> {
    cfg.validate()?;
    let mode = cfg.mask.mode;
    if mode == MaskMode::Peakmask {
        // Its mask comes from peak calls, which are no input of the file.
        return Err(GraphError::Unsupported(format!(
            "mask mode '{}' (soft, hard, discovery, retrain, nomask and signal models can be exported)",
            meta::mask_mode_name(mode)
        )));
    }
    let mut g = Graph::new("v");
    let (l, c, nf) = (cfg.window, cfg.signals.len(), cfg.head.n_features);
    let batch = Dim::Named("batch");
    g.input("dna", DataType::UINT8, &[batch.clone(), Dim::Fixed(l)]);
    g.input("signals", DataType::FLOAT, &[batch.clone(), Dim::Fixed(l), Dim::Fixed(c)]);
    g.input("features", DataType::FLOAT, &[batch.clone(), Dim::Fixed(nf)]);
    g.input("blacklist", DataType::UINT8, &[batch.clone(), Dim::Fixed(l)]);
    let (pooled, mask, distal) = match mode {
        // The signal-only baseline: no sequence model, the head reads per-channel means of the signals;
        // `dna` and `blacklist` stay declared (every seq2exp file takes the same four inputs) but unused.
        MaskMode::Signal => (head::signal_pool(&mut g, cfg, "signals"), None, None),
        // Discovery with the signal readout: the generator's mask weighs per-base signal terms; no predictor.
        _ if cfg.signal_readout() => {
            let (emb, seq) = embeddings(&mut g, weights, cfg)?;
            let bl = g.op("Cast", &["blacklist"], vec![attr_int("to", DataType::FLOAT as i64)]);
            let mask = learned_mask(&mut g, weights, cfg, &emb, &seq, &bl, flavour)?;
            let (centre, distal) = head::signal_readout(&mut g, weights, cfg, "signals", &mask)?;
            (centre, Some(mask), Some(distal))
        }
        _ => {
            let (pooled, mask) = sequence_model(&mut g, weights, cfg, flavour)?;
            (pooled, mask, None)
        }
    };
    let mut expr = head::head(&mut g, weights, cfg, &pooled, "features")?;
    if let Some(d) = distal {
        expr = g.op("Add", &[&expr, &d], vec![]);
    }
    g.output(&expr, "expression", DataType::FLOAT, Some(std::slice::from_ref(&batch)));
    if let Some(m) = &mask {
        g.output(m, "mask", DataType::FLOAT, Some(&[batch, Dim::Fixed(l)]));
    }
    Ok(model_proto(g, cfg, flavour, extra_metadata))
}

/// The pooled vector the head reads `[B, pooled width]` and the inference mask `[B, L]` (None for
/// `nomask`) of a model with a sequence model: embeddings, mask, predictor pass, pooling.
fn sequence_model(
    g: &mut Graph,
    weights: &Weights,
    cfg: &Seq2ExpConfig,
    flavour: Flavour,
) -> Result<(String, Option<String>), GraphError> {
    let mode = cfg.mask.mode;
    let (emb, seq) = embeddings(g, weights, cfg)?;
    let bl = g.op("Cast", &["blacklist"], vec![attr_int("to", DataType::FLOAT as i64)]);
    let mask = match (&cfg.mask.retrain, mode) {
        (_, MaskMode::Nomask) => None,
        (Some(r), _) => {
            // The frozen mask model: its own embeddings and generator, weights under `mask_model.`.
            let src = &r.source;
            let mw = weights.scoped("mask_model.");
            let soft = g.scoped("mask_model.", |g| {
                let (emb, seq) = embeddings(g, &mw, src)?;
                learned_mask(g, &mw, src, &emb, &seq, &bl, flavour)
            })?;
            Some(mask::top_k(g, &soft, r.kept(cfg.window)))
        }
        (None, _) => Some(learned_mask(g, weights, cfg, &emb, &seq, &bl, flavour)?),
    };
    let pooled = match &mask {
        // Hard: the generator's stack runs again, per gene, on the selected bases only (compaction).
        Some(m) if mode == MaskMode::Hard => compact::compacted_pool(g, weights, cfg, &emb, m, flavour)?,
        // Soft, discovery, retrain: masked bases become zero vectors (biases included), as in the reference.
        Some(m) => {
            let ax = g.i64s(&[1]);
            let m3 = g.op("Unsqueeze", &[m, &ax], vec![]);
            let input = g.op("Mul", &[&emb, &m3], vec![]);
            let hidden = blocks::stack(g, weights, &cfg.predictor, "predictor", &input, flavour)?;
            let centre = head::pool(g, cfg, &hidden);
            match &cfg.mask.discovery {
                // Discovery: the mask-weighted window sum beside the centre pool.
                Some(dc) => {
                    let sum = head::mask_sum(g, &hidden, &m3, dc.sum_scale);
                    g.op("Concat", &[&centre, &sum], vec![attr_int("axis", 1)])
                }
                None => centre,
            }
        }
        None => {
            let hidden = blocks::stack(g, weights, &cfg.predictor, "predictor", &emb, flavour)?;
            head::pool(g, cfg, &hidden)
        }
    };
    Ok((pooled, mask))
}

/// (seq + pos + sig, seq + pos) embeddings `[B, d, L]` of the graph inputs `dna` and `signals`.
fn embeddings(g: &mut Graph, weights: &Weights, cfg: &Seq2ExpConfig) -> Result<(String, String), GraphError> {
    let (d, l, c) = (cfg.d_model(), cfg.window, cfg.signals.len());
    let mut seq = head::seq_embed(g, weights, d, "dna")?;
    if cfg.shares_stack() {
        let pos = head::pos_emb(g, weights, l, d)?;
        seq = g.op("Add", &[&seq, &pos], vec![]);
    }
    let sig = head::sig_embed(g, weights, d, c, "signals")?;
    Ok((g.op("Add", &[&seq, &sig], vec![]), seq))
}

/// The inference mask `[B, L]` of a learned-mask model `cfg`: generator, Beta mean, overrides.
fn learned_mask(
    g: &mut Graph,
    weights: &Weights,
    cfg: &Seq2ExpConfig,
    emb: &str,
    seq: &str,
    blacklist: &str,
    flavour: Flavour,
) -> Result<String, GraphError> {
    // Hard's generator reads sequence + signals (it is also the predictor), soft's DNA only, discovery's
    // either (`discovery.generator_signals`).
    let gen_in = if cfg.mask.generator_reads_signals() { emb } else { seq };
    let generated = blocks::stack(g, weights, &cfg.generator, "generator", gen_in, flavour)?;
    let x = mask::MaskInputs { generated: &generated, signals: "signals", blacklist };
    mask::mask(g, weights, cfg, &x)
}

fn model_proto(g: Graph, cfg: &Seq2ExpConfig, flavour: Flavour, extra_metadata: &[(String, String)]) -> ModelProto {
    let mut opsets = vec![OperatorSetIdProto { domain: String::new(), version: OPSET, ..Default::default() }];
    if flavour == Flavour::Fast {
        opsets.push(OperatorSetIdProto { domain: meta::SCAN_DOMAIN.into(), version: 1, ..Default::default() });
    }
    let props = meta::model_metadata(cfg, flavour).into_iter().chain(extra_metadata.iter().cloned());
    ModelProto {
        ir_version: IR_VERSION,
        opset_import: opsets,
        producer_name: "seq2exp".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: "Seq2Exp: gene expression from DNA and epigenomic signals. See seq2exp.* metadata.".into(),
        graph: Some(g.finish("seq2exp")).into(),
        metadata_props: props.map(|(key, value)| StringStringEntryProto { key, value, ..Default::default() }).collect(),
        ..Default::default()
    }
}

/// The serialised model.
pub fn to_bytes(model: &ModelProto) -> Result<Vec<u8>, GraphError> {
    model.write_to_bytes().map_err(|e| GraphError::Serialize(e.to_string()))
}
