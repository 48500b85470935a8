//! The weights a graph is built from: f32 tensors by state-dict name (the trainer's checkpoint names).

use std::collections::BTreeMap;

use crate::error::GraphError;

/// One tensor: row-major values and their shape.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Named tensors; extra names (optimiser moments, tied aliases) are ignored by the builder.
#[derive(Clone, Debug, Default)]
pub struct Weights {
    tensors: BTreeMap<String, WeightTensor>,
}

impl Weights {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) {
        self.tensors.insert(name.into(), WeightTensor { shape, data });
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The tensor `name`, which must have `shape` (trailing size-1 dimensions are not squeezed).
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&WeightTensor, GraphError> {
        let t = self.tensors.get(name).ok_or_else(|| GraphError::MissingWeight(name.into()))?;
        if t.shape != shape || t.data.len() != shape.iter().product::<usize>() {
            return Err(GraphError::Shape { name: name.into(), expected: shape.to_vec(), actual: t.shape.clone() });
        }
        Ok(t)
    }

    /// The tensors whose names start with `prefix`, under the rest of their names (e.g. the retrain
    /// variant's `mask_model.generator.…` as `generator.…`).
    pub fn scoped(&self, prefix: &str) -> Weights {
        let tensors = self
            .tensors
            .iter()
            .filter_map(|(n, t)| n.strip_prefix(prefix).map(|rest| (rest.to_string(), t.clone())))
            .collect();
        Weights { tensors }
    }

    /// Rows `rows` of the 2-D tensor `name` of `shape` [rows, cols], as a new tensor.
    pub fn rows(&self, name: &str, shape: [usize; 2], rows: std::ops::Range<usize>) -> Result<Vec<f32>, GraphError> {
        let t = self.get(name, &shape)?;
        Ok(t.data[rows.start * shape[1]..rows.end * shape[1]].to_vec())
    }
}
