//! The ONNX Runtime side: loading the shared library once per process and opening sessions with the
//! scan operator registered.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;

use crate::error::RuntimeError;

/// Where libonnxruntime is: `ORT_DYLIB_PATH` at run time, else the one this crate was built against,
/// else the loader's search path.
fn library_path() -> PathBuf {
    match std::env::var("ORT_DYLIB_PATH") {
        Ok(p) if !p.is_empty() => p.into(),
        _ => option_env!("ORT_DYLIB_PATH").unwrap_or("libonnxruntime.so").into(),
    }
}

static ENV: OnceLock<Result<Environment, (PathBuf, String)>> = OnceLock::new();

/// The process-wide environment (the library can be loaded once).
pub fn environment() -> Result<&'static Environment, RuntimeError> {
    let env = ENV.get_or_init(|| {
        let path = library_path();
        // The library is checked before ort touches it: ort panics when it cannot load it lazily.
        let builder = ort::init_from(&path).map_err(|e| (path.clone(), e.to_string()))?;
        builder.with_name("seq2exp").build().map_err(|e| (path, e.to_string()))
    });
    env.as_ref().map_err(|(path, message)| RuntimeError::Library { path: path.clone(), message: message.clone() })
}

/// Serialises session creation with custom operators: ONNX Runtime records a custom domain in a
/// process-global (ONNX) domain-version map with an unlocked check-then-insert, so two sessions
/// registering `ai.seq2exp` at once can fail with "domain is already exist".
static REGISTER: Mutex<()> = Mutex::new(());

/// A session over `bytes` with `threads` intra-op threads and the scan op running on `pool`.
/// (SessionBuilder errors are not `Send`; this helper turns them into plain `ort::Error`s.)
pub fn open(env: &Environment, bytes: &[u8], threads: usize, pool: Arc<rayon::ThreadPool>) -> ort::Result<Session> {
    let _guard = REGISTER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let domain = crate::ops::domain(pool)?;
    let mut builder = Session::builder(env)?
        .with_intra_threads(threads)?
        .with_inter_threads(1)?
        // Spinning ORT workers would compete with the scan's rayon threads for the same cores.
        .with_intra_op_spinning(false)?
        .with_operators(domain)?;
    // Per-operator timings for performance work: ORT writes `{prefix}_<date>.json` when the session ends.
    if let Some(prefix) = std::env::var_os("SEQ2EXP_ORT_PROFILE") {
        builder = builder.with_profiling(prefix)?;
    }
    builder.commit_from_memory(bytes)
}

/// A session over `bytes` without the scan operator (plain ONNX models, e.g. the benchmark's SGEMM).
pub fn open_plain(env: &Environment, bytes: &[u8], threads: usize) -> ort::Result<Session> {
    let mut builder = Session::builder(env)?.with_intra_threads(threads)?.with_inter_threads(1)?;
    builder.commit_from_memory(bytes)
}
