//! Owned f32 weights in llama2.c order: the common source from which synthetic models and imported
//! checkpoints are quantised and written in the ruvsim model format.

use alloc::vec::Vec;

/// All weights of a model as f32, row-major, each matrix `[out, in]` (llama2.c order).
#[derive(Clone, Debug, PartialEq)]
pub struct F32Weights {
    /// `[vocab, dim]`
    pub token_embedding: Vec<f32>,
    /// `[layers, dim]`
    pub rms_att: Vec<f32>,
    /// `[layers, dim, dim]`
    pub wq: Vec<f32>,
    /// `[layers, kv_dim, dim]`
    pub wk: Vec<f32>,
    /// `[layers, kv_dim, dim]`
    pub wv: Vec<f32>,
    /// `[layers, dim, dim]`
    pub wo: Vec<f32>,
    /// `[layers, dim]`
    pub rms_ffn: Vec<f32>,
    /// `[layers, hidden, dim]`
    pub w1: Vec<f32>,
    /// `[layers, dim, hidden]`
    pub w2: Vec<f32>,
    /// `[layers, hidden, dim]`
    pub w3: Vec<f32>,
    /// `[dim]`
    pub rms_final: Vec<f32>,
    /// `[vocab, dim]`, present only when the classifier is not shared with the embedding.
    pub wcls: Option<Vec<f32>>,
}
