//! [`Model`]: a seq2exp ONNX file opened in ONNX Runtime, with its metadata checked.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use onnx_protobuf::{Message, ModelProto};
use ort::session::Session;
use ort::value::Tensor;

use crate::error::RuntimeError;
use crate::info::ModelInfo;
use crate::input::{InputBatch, Prediction};
use crate::session;

/// How to open a model.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Threads for ONNX Runtime's kernels and the scan, shared out among the workers (default: all
    /// cores).
    pub threads: Option<usize>,
    /// Sessions that run batches at the same time, each on threads / workers threads, at least 1 (default 1 worker).
    /// Throughput on few cores: the portable scan's per-position steps are sequential, so one session
    /// leaves the other cores idle while a second session's batch can use them.
    pub workers: Option<usize>,
}

pub struct Model {
    path: PathBuf,
    info: ModelInfo,
    // `Session::run` needs `&mut`; each lock lets `predict` take `&self`. One session per worker:
    // concurrent `predict` calls run on different sessions.
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
}

impl Model {
    /// Opens `path`: parses the protobuf, checks the seq2exp metadata, starts a session.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Model, RuntimeError> {
        let bytes = std::fs::read(path).map_err(|source| RuntimeError::Io { path: path.to_path_buf(), source })?;
        let proto = ModelProto::parse_from_bytes(&bytes)
            .map_err(|e| RuntimeError::NotOnnx { path: path.to_path_buf(), message: e.to_string() })?;
        if proto.graph.is_none() {
            return Err(RuntimeError::NotOnnx { path: path.to_path_buf(), message: "no graph".into() });
        }
        let info = ModelInfo::from_proto(&proto, path)?;
        drop(proto);
        let threads =
            opts.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
        let workers = opts.workers.unwrap_or(1).max(1);
        let per_worker = (threads / workers).max(1);
        let ort_err = |message: String| RuntimeError::Ort { path: path.to_path_buf(), message };
        let env = session::environment()?;
        let sessions = (0..workers)
            .map(|w| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(per_worker)
                    .thread_name(move |i| format!("seq2exp-scan-{w}-{i}"))
                    .build()
                    .map_err(|e| ort_err(e.to_string()))?;
                let session =
                    session::open(env, &bytes, per_worker, Arc::new(pool)).map_err(|e| ort_err(e.to_string()))?;
                Ok(Mutex::new(session))
            })
            .collect::<Result<Vec<_>, RuntimeError>>()?;
        Ok(Model { path: path.to_path_buf(), info, sessions, next: AtomicUsize::new(0) })
    }

    /// Sessions that can run at once ([`LoadOptions::workers`]).
    pub fn workers(&self) -> usize {
        self.sessions.len()
    }

    /// A free session if there is one, else the next in turn (waiting for it).
    fn session(&self) -> MutexGuard<'_, Session> {
        for s in &self.sessions {
            if let Ok(guard) = s.try_lock() {
                return guard;
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.sessions.len();
        self.sessions[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Expression (and mask) for a batch of genes.
    pub fn predict(&self, batch: &InputBatch) -> Result<Prediction, RuntimeError> {
        let info = &self.info;
        let channels = info.signal_names.len();
        batch.check(info.window, channels, info.n_features)?;
        let (b, l) = (batch.batch, batch.window);
        let ort_err = |e: ort::Error| RuntimeError::Ort { path: self.path.clone(), message: e.to_string() };
        let zeros;
        let blacklist = match batch.blacklist {
            Some(bl) => bl,
            None => {
                zeros = vec![0u8; b * l];
                &zeros
            }
        };
        let inputs = ort::inputs![
            "dna" => Tensor::from_array(([b, l], batch.dna.to_vec())).map_err(ort_err)?,
            "signals" => Tensor::from_array(([b, l, channels], batch.signals.to_vec())).map_err(ort_err)?,
            "features" => Tensor::from_array(([b, info.n_features], batch.features.to_vec())).map_err(ort_err)?,
            "blacklist" => Tensor::from_array(([b, l], blacklist.to_vec())).map_err(ort_err)?,
        ];
        let mut session = self.session();
        let outputs = session.run(inputs).map_err(ort_err)?;
        let expression = outputs["expression"].try_extract_tensor::<f32>().map_err(ort_err)?.1.to_vec();
        let mask = match outputs.get("mask") {
            Some(m) => Some(m.try_extract_tensor::<f32>().map_err(ort_err)?.1.to_vec()),
            None => None,
        };
        Ok(Prediction { expression, mask })
    }

    /// Checks that the store at `reader` can feed this model: window length, signal channels, schema.
    pub fn check_store(&self, reader: &seq2exp_store::StoreReader) -> Result<(), RuntimeError> {
        self.check_store_meta(reader.meta(), reader.path())
    }

    /// [`Self::check_store`] from a store's metadata and path (the path only names it in errors).
    pub fn check_store_meta(&self, meta: &seq2exp_store::StoreMeta, store: &Path) -> Result<(), RuntimeError> {
        let fail = |message: String| RuntimeError::StoreMismatch {
            model: self.path.clone(),
            store: store.to_path_buf(),
            message,
        };
        let info = &self.info;
        if meta.schema_version != info.store_schema_version {
            return Err(fail(format!(
                "store schema version {} but the model was trained on schema version {}",
                meta.schema_version, info.store_schema_version
            )));
        }
        if meta.window_length as usize != info.window {
            return Err(fail(format!(
                "store windows are {} bp, the model's are {} bp",
                meta.window_length, info.window
            )));
        }
        let missing: Vec<&str> = info
            .signal_names
            .iter()
            .filter(|n| n.as_str() != "hic" && meta.track_index(n).is_none())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            let have: Vec<&str> = meta.tracks.iter().map(|t| t.name.as_str()).collect();
            return Err(fail(format!("the model reads signal(s) {missing:?}, the store has {have:?} (+ hic)")));
        }
        if meta.feature_names.len() != info.n_features {
            return Err(fail(format!(
                "store has {} features, the model reads {}",
                meta.feature_names.len(),
                info.n_features
            )));
        }
        Ok(())
    }
}
