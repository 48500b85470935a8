//! Files that are not seq2exp models: one clear error each, naming the file, never a panic.

mod common;

use seq2exp_models::config::MaskMode;
use seq2exp_runtime::onnx::{build_model, to_bytes};
use seq2exp_runtime::{Flavour, LoadOptions, Model, RuntimeError};

fn good_bytes() -> Vec<u8> {
    let cfg = common::config(MaskMode::Soft);
    to_bytes(&build_model(&cfg, &common::weights(&cfg, 3), Flavour::Fast, &[]).unwrap()).unwrap()
}

fn load(dir: &std::path::Path, name: &str, bytes: &[u8]) -> (std::path::PathBuf, RuntimeError) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let e = Model::load(&path, &LoadOptions::default()).err().expect("must not load");
    assert!(e.to_string().contains(path.to_str().unwrap()), "error does not name the file: {e}");
    (path, e)
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = good_bytes();
    let (_, e) = load(dir.path(), "truncated.onnx", &bytes[..bytes.len() / 2]);
    assert!(matches!(e, RuntimeError::NotOnnx { .. }), "{e}");
}

#[test]
fn random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = common::Rng::new(9);
    let bytes: Vec<u8> = (0..4096).map(|_| (rng.next() * 127.0 + 128.0) as u8).collect();
    let (_, e) = load(dir.path(), "random.onnx", &bytes);
    assert!(matches!(e, RuntimeError::NotOnnx { .. } | RuntimeError::NotSeq2Exp { .. }), "{e}");
}

#[test]
fn onnx_without_seq2exp_metadata() {
    use onnx_protobuf::Message;
    let dir = tempfile::tempdir().unwrap();
    let mut proto = onnx_protobuf::ModelProto::parse_from_bytes(&good_bytes()).unwrap();
    proto.metadata_props.clear();
    let (_, e) = load(dir.path(), "plain.onnx", &proto.write_to_bytes().unwrap());
    assert!(matches!(e, RuntimeError::NotSeq2Exp { .. }), "{e}");
    assert!(e.to_string().contains("seq2exp.format"), "{e}");
}

#[test]
fn newer_format_version() {
    use onnx_protobuf::Message;
    let dir = tempfile::tempdir().unwrap();
    let mut proto = onnx_protobuf::ModelProto::parse_from_bytes(&good_bytes()).unwrap();
    for p in &mut proto.metadata_props {
        if p.key == "seq2exp.format_version" {
            p.value = "99".into();
        }
    }
    let (_, e) = load(dir.path(), "future.onnx", &proto.write_to_bytes().unwrap());
    assert!(e.to_string().contains("newer"), "{e}");
}

#[test]
fn missing_file() {
    let e = Model::load(std::path::Path::new("/nonexistent/model.onnx"), &LoadOptions::default()).err().unwrap();
    assert!(matches!(e, RuntimeError::Io { .. }) && e.to_string().contains("/nonexistent/model.onnx"), "{e}");
}
