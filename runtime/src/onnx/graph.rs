//! A small graph builder over the ONNX protobuf types: fresh value names, nodes with one or more
//! outputs, deduplicated constants and weight initialisers, typed graph inputs and outputs.

use std::collections::HashMap;

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::Dimension;
use onnx_protobuf::type_proto::{Tensor as TensorTypeProto, Value as TypeValue};
use onnx_protobuf::{AttributeProto, GraphProto, NodeProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto};

/// A dimension of a graph input or output: fixed, or named and free (the batch).
#[derive(Clone, Debug)]
pub enum Dim {
    Fixed(usize),
    Named(&'static str),
}

/// Nodes and initialisers under construction. Value names are `{prefix}{n}`, so a subgraph built with
/// another prefix never shadows an outer name (ONNX requires names to be unique across scopes).
pub struct Graph {
    prefix: String,
    counter: usize,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    /// Constant/initialiser name by content key, so e.g. the axes `[2]` exist once.
    cache: HashMap<String, String>,
    /// Prepended to the keys of float initialisers (see [`Graph::scoped`]).
    scope: String,
}

pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::INT.into(), i: v, ..Default::default() }
}

pub fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::FLOAT.into(), f: v, ..Default::default() }
}

pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::INTS.into(), ints: v.to_vec(), ..Default::default() }
}

pub fn attr_graph(name: &str, g: GraphProto) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::GRAPH.into(), g: Some(g).into(), ..Default::default() }
}

pub fn attr_tensor(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::TENSOR.into(), t: Some(t).into(), ..Default::default() }
}

/// A float tensor (raw little-endian data).
pub fn tensor_f32(name: &str, dims: &[usize], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::FLOAT as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn tensor_i64(name: &str, dims: &[usize], data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::INT64 as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// The type of a tensor value: element type and, when known, its dimensions.
pub fn value_info(name: &str, elem: DataType, dims: Option<&[Dim]>) -> ValueInfoProto {
    let shape = dims.map(|ds| TensorShapeProto {
        dim: ds
            .iter()
            .map(|d| {
                let mut dim = Dimension::new();
                match d {
                    Dim::Fixed(n) => dim.set_dim_value(*n as i64),
                    Dim::Named(s) => dim.set_dim_param((*s).into()),
                }
                dim
            })
            .collect(),
        ..Default::default()
    });
    let tensor = TensorTypeProto { elem_type: elem as i32, shape: shape.into(), ..Default::default() };
    let ty = TypeProto { value: Some(TypeValue::TensorType(tensor)), ..Default::default() };
    ValueInfoProto { name: name.into(), type_: Some(ty).into(), ..Default::default() }
}

impl Graph {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.into(),
            counter: 0,
            nodes: Vec::new(),
            initializers: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            cache: HashMap::new(),
            scope: String::new(),
        }
    }

    /// Runs `f` with `scope` prepended to the keys of the float initialisers it creates, so a second
    /// model inside the graph (the retrain variant's frozen mask) gets its own copies of weights that
    /// share a state-dict name with the main model's.
    pub fn scoped<R>(&mut self, scope: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let inner = format!("{}{scope}", self.scope);
        let outer = std::mem::replace(&mut self.scope, inner);
        let r = f(self);
        self.scope = outer;
        r
    }

    pub fn fresh(&mut self) -> String {
        self.counter += 1;
        format!("{}{}", self.prefix, self.counter)
    }

    /// Appends a node with `n_out` fresh outputs; returns their names.
    pub fn node_n(
        &mut self,
        op: &str,
        domain: &str,
        inputs: &[&str],
        n_out: usize,
        attrs: Vec<AttributeProto>,
    ) -> Vec<String> {
        let outputs: Vec<String> = (0..n_out).map(|_| self.fresh()).collect();
        let name = format!("{}_{}", op, outputs[0]);
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.clone(),
            name,
            op_type: op.into(),
            domain: domain.into(),
            attribute: attrs,
            ..Default::default()
        });
        outputs
    }

    /// A standard-domain node with one output.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        self.node_n(op, "", inputs, 1, attrs).remove(0)
    }

    /// A float initialiser, created once per `key` (e.g. a weight name, or a weight name and a slice).
    pub fn init_f32(&mut self, key: &str, dims: &[usize], data: impl FnOnce() -> Vec<f32>) -> String {
        let key = format!("f32:{}{key}", self.scope);
        if let Some(n) = self.cache.get(&key) {
            return n.clone();
        }
        let name = self.fresh();
        self.initializers.push(tensor_f32(&name, dims, &data()));
        self.cache.insert(key, name.clone());
        name
    }

    /// An int64 constant (axes, starts, shapes), created once per value.
    pub fn i64s(&mut self, v: &[i64]) -> String {
        let key = format!("i64:{v:?}");
        if let Some(n) = self.cache.get(&key) {
            return n.clone();
        }
        let name = self.fresh();
        self.initializers.push(tensor_i64(&name, &[v.len()], v));
        self.cache.insert(key, name.clone());
        name
    }

    /// A float scalar constant (rank 0), created once per value.
    pub fn scalar(&mut self, v: f32) -> String {
        let bits = v.to_bits();
        self.init_f32(&format!("scalar:{bits:08x}"), &[], || vec![v])
    }

    pub fn input(&mut self, name: &str, elem: DataType, dims: &[Dim]) {
        self.inputs.push(value_info(name, elem, Some(dims)));
    }

    /// Declares `value` a graph output under `name` (an Identity renames it).
    pub fn output(&mut self, value: &str, name: &str, elem: DataType, dims: Option<&[Dim]>) {
        if value != name {
            self.nodes.push(NodeProto {
                input: vec![value.into()],
                output: vec![name.into()],
                name: format!("Identity_{name}"),
                op_type: "Identity".into(),
                ..Default::default()
            });
        }
        self.outputs.push(value_info(name, elem, dims));
    }

    /// Body inputs of a subgraph (types only: their shapes follow from the outer graph).
    pub fn untyped_shape_input(&mut self, elem: DataType) -> String {
        let name = self.fresh();
        self.inputs.push(value_info(&name, elem, None));
        name
    }

    /// A rank-0 body input (a `Loop` body's iteration number and condition must have known shapes).
    pub fn scalar_input(&mut self, elem: DataType) -> String {
        let name = self.fresh();
        self.inputs.push(value_info(&name, elem, Some(&[])));
        name
    }

    pub fn finish(self, name: &str) -> GraphProto {
        GraphProto {
            name: name.into(),
            node: self.nodes,
            initializer: self.initializers,
            input: self.inputs,
            output: self.outputs,
            ..Default::default()
        }
    }
}
