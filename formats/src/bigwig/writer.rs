//! bigWig through bigtools' `BigWigWrite`: each `(chromosome, interval)` becomes one record, in the
//! order given (chromosome by chromosome, sorted by start within each).

use std::collections::HashMap;
use std::path::Path;

use bigtools::bed::bedparser::BedValueError;
use bigtools::beddata::BedParserStreamingIterator;
use bigtools::{BigWigWrite, Value};

pub use bigtools::Value as Interval;

/// bigtools' error for a failed write; I/O failures are its `IoError`, which callers word plainly.
pub type WriteError = bigtools::BBIProcessError<BedValueError>;

/// Writes `values` to `path` with the chromosome lengths `sizes`.
pub fn write_bigwig<I>(path: &Path, sizes: HashMap<String, u32>, values: I) -> Result<(), WriteError>
where
    I: Iterator<Item = (String, Value)> + Send,
{
    let source = BedParserStreamingIterator::wrap_infallible_iter(values, true);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
    let out = BigWigWrite::create_file(path, sizes)?;
    out.write(source, runtime)
}
