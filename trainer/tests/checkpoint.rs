//! A checkpoint's tensor names and shapes are those of docs/model.md (the public Mamba/Caduceus state dict).

use std::collections::HashMap;

use seq2exp_models::config::CaduceusConfig;
use seq2exp_trainer::checkpoint::{read_weights, state_dict, write_weights};
use seq2exp_trainer::nn::CaduceusStack;
use tch::nn::VarStore;
use tch::Device;

/// docs/model.md's list, written out independently of the config code.
fn seq2exp_md_list() -> Vec<(String, Vec<usize>)> {
    let mut v = Vec::new();
    for i in 0..4 {
        for dir in ["mamba_fwd", "mamba_rev"] {
            let p = format!("layers.{i}.mixer.{dir}");
            v.push((format!("{p}.in_proj.weight"), vec![512, 128]));
            v.push((format!("{p}.conv1d.weight"), vec![256, 1, 4]));
            v.push((format!("{p}.conv1d.bias"), vec![256]));
            v.push((format!("{p}.x_proj.weight"), vec![40, 256]));
            v.push((format!("{p}.dt_proj.weight"), vec![256, 8]));
            v.push((format!("{p}.dt_proj.bias"), vec![256]));
            v.push((format!("{p}.A_log"), vec![256, 16]));
            v.push((format!("{p}.D"), vec![256]));
            v.push((format!("{p}.out_proj.weight"), vec![128, 256]));
        }
        v.push((format!("layers.{i}.norm.weight"), vec![128]));
    }
    v.push(("norm_f.weight".into(), vec![128]));
    v.sort();
    v
}

#[test]
fn checkpoint_names_and_shapes_match_seq2exp_md() {
    let cfg = CaduceusConfig::paper();
    let vs = VarStore::new(Device::Cpu);
    let _stack = CaduceusStack::new(&vs.root(), &cfg);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.safetensors");
    let meta = HashMap::from([("config".to_string(), serde_json::to_string(&cfg).unwrap())]);
    write_weights(&path, &state_dict(&vs, &cfg.tied_names()), &meta).unwrap();

    // Enumerate the file with the safetensors crate itself, not our reader.
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut got: Vec<(String, Vec<usize>)> = st.tensors().into_iter().map(|(n, v)| (n, v.shape().to_vec())).collect();
    got.sort();
    assert_eq!(got, seq2exp_md_list());

    // Tied projections hold the same values; everything round-trips.
    let (tensors, meta_back) = read_weights(&path).unwrap();
    assert_eq!(meta_back["config"], meta["config"]);
    let by: HashMap<_, _> = tensors.into_iter().collect();
    let fwd = &by["layers.2.mixer.mamba_fwd.in_proj.weight"];
    assert_eq!(fwd, &by["layers.2.mixer.mamba_rev.in_proj.weight"]);
    assert_eq!(fwd, &vs.variables()["layers.2.mixer.mamba_fwd.in_proj.weight"]);
}

#[test]
fn unreadable_weights_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    std::fs::write(&path, b"not a safetensors file").unwrap();
    let err = read_weights(&path).unwrap_err().to_string();
    assert!(err.contains("bad.safetensors") && err.contains("not a safetensors file"), "{err}");
}
