//! The runtime must stay libtorch-free: neither tch nor torch-sys in its normal dependency tree.

#[test]
fn no_libtorch_in_the_dependency_tree() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "-p", "seq2exp-runtime", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.lines().any(|l| l.starts_with("ort ")), "unexpected tree (no ort?):\n{tree}");
    let bad: Vec<&str> = tree.lines().filter(|l| l.starts_with("tch ") || l.starts_with("torch-sys ")).collect();
    assert!(bad.is_empty(), "seq2exp-runtime depends on libtorch: {bad:?}");
}
