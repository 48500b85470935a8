//! Streams batches of genes from a background thread, so HDF5 reads and decoding overlap with compute.
//! At most `prefetch` batches wait in memory; the store is never loaded whole.

use std::path::Path;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver};

use crate::error::Result;
use crate::example::{Batch, SignalSpec};
use crate::reader::StoreReader;

pub struct BatchStream {
    rx: Option<Receiver<Result<Batch>>>,
    worker: Option<JoinHandle<()>>,
}

impl BatchStream {
    /// Reads `indices` (in order) in batches of `batch_size` with channels named by `channels`, keeping up
    /// to `prefetch` batches ready. The store at `path` is opened again on the reading thread.
    pub fn spawn(
        path: &Path,
        indices: Vec<usize>,
        batch_size: usize,
        channels: Vec<String>,
        prefetch: usize,
    ) -> Result<Self> {
        let reader = StoreReader::open(path)?;
        let names: Vec<&str> = channels.iter().map(String::as_str).collect();
        let spec: SignalSpec = reader.signal_spec(&names)?;
        let (tx, rx) = bounded(prefetch.max(1));
        let batch_size = batch_size.max(1);
        let worker = std::thread::Builder::new()
            .name("store-prefetch".into())
            .spawn(move || {
                let window = reader.window();
                let t = reader.meta().target_names.len().max(1);
                for chunk in indices.chunks(batch_size) {
                    let batch = chunk
                        .iter()
                        .map(|&i| reader.read(i, &spec))
                        .collect::<Result<Vec<_>>>()
                        .map(|ex| Batch::from_examples(ex, window, spec.len(), t));
                    let failed = batch.is_err();
                    // A closed channel means the consumer is gone: stop reading.
                    if tx.send(batch).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|source| crate::StoreError::Io { path: path.to_path_buf(), source })?;
        Ok(Self { rx: Some(rx), worker: Some(worker) })
    }
}

impl Iterator for BatchStream {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.as_ref()?.recv().ok()
    }
}

impl Drop for BatchStream {
    fn drop(&mut self) {
        drop(self.rx.take()); // unblocks a worker waiting to send
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
