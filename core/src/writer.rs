//! Writing the model format (feature `alloc`): quantises [`F32Weights`] to a configuration's
//! precision and lays out header, tensor table and payload with their checksums.

use alloc::vec;
use alloc::vec::Vec;

use crate::config::ModelConfig;
use crate::error::EncodeError;
use crate::format::{
    align_up, attention_fields, field, precision_code, DType, TensorKind, ENTRY_LEN,
    FLAG_SHARED_CLASSIFIER, HEADER_LEN, MAGIC, NAME_LEN, SCALE_BYTES, VERSION,
};
use crate::quantize::{norm_to_q16, quantize_matrix, rope_phases};
use crate::weights::F32Weights;

/// One tensor in stored form, ready to be laid out.
struct EncodedTensor {
    kind: TensorKind,
    data: Vec<u8>,
    scales: Vec<u8>,
    shift: u8,
}

/// The f32 source values of a tensor, if the configuration holds it (not the rotary table).
fn source(weights: &F32Weights, kind: TensorKind) -> Option<&[f32]> {
    Some(match kind {
        TensorKind::TokenEmbedding => &weights.token_embedding,
        TensorKind::RmsAtt => &weights.rms_att,
        TensorKind::Wq => &weights.wq,
        TensorKind::Wk => &weights.wk,
        TensorKind::Wv => &weights.wv,
        TensorKind::Wo => &weights.wo,
        TensorKind::RmsFfn => &weights.rms_ffn,
        TensorKind::W1 => &weights.w1,
        TensorKind::W2 => &weights.w2,
        TensorKind::W3 => &weights.w3,
        TensorKind::RmsFinal => &weights.rms_final,
        TensorKind::Wcls => weights.wcls.as_deref()?,
        TensorKind::RopePhase => return None,
    })
}

/// Number of elements of a tensor of `config`.
fn element_count(kind: TensorKind, config: &ModelConfig) -> u64 {
    let (rank, dims) = kind.shape(config);
    dims[..usize::from(rank)]
        .iter()
        .map(|&d| u64::from(d))
        .product()
}

/// Converts one tensor to its stored form.
fn encode_tensor(
    kind: TensorKind,
    config: &ModelConfig,
    weights: &F32Weights,
) -> Result<EncodedTensor, EncodeError> {
    let encoded = |data: Vec<u8>| EncodedTensor {
        kind,
        data,
        scales: Vec::new(),
        shift: 0,
    };
    let Some(values) = source(weights, kind) else {
        let phases = rope_phases(config);
        return Ok(encoded(
            phases.iter().flat_map(|p| p.to_le_bytes()).collect(),
        ));
    };
    let expected = element_count(kind, config);
    if values.len() as u64 != expected {
        return Err(EncodeError::WrongLength {
            tensor: kind,
            expected,
            found: values.len() as u64,
        });
    }
    match kind.dtype(config) {
        DType::F32 => Ok(encoded(
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        )),
        DType::Q16 => Ok(encoded(
            norm_to_q16(values, kind)?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        )),
        _ => {
            let (stack, rows, cols) = kind.matrix_shape(config);
            let all_rows = stack as usize * rows as usize;
            let matrix = quantize_matrix(values, all_rows, cols as usize, config.precision, kind)?;
            Ok(EncodedTensor {
                kind,
                data: matrix.data,
                scales: matrix
                    .multipliers
                    .iter()
                    .flat_map(|m| m.to_le_bytes())
                    .collect(),
                shift: matrix.shift,
            })
        }
    }
}

/// Quantises `weights` to `config.precision` and writes them in the model format.
pub fn encode_model(config: &ModelConfig, weights: &F32Weights) -> Result<Vec<u8>, EncodeError> {
    config.validate()?;
    if weights.wcls.is_some() == config.shape.shared_classifier {
        return Err(EncodeError::ClassifierPresence {
            present: weights.wcls.is_some(),
            shared: config.shape.shared_classifier,
        });
    }
    let tensors = TensorKind::ALL
        .into_iter()
        .filter(|kind| kind.present_in(config))
        .map(|kind| encode_tensor(kind, config, weights))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(layout(config, &tensors))
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Lays out header, table and payload (each region aligned) and fills in both checksums.
fn layout(config: &ModelConfig, tensors: &[EncodedTensor]) -> Vec<u8> {
    let table_end = (HEADER_LEN + tensors.len() * ENTRY_LEN) as u64;
    let payload_start = align_up(table_end);
    let mut regions = Vec::with_capacity(tensors.len());
    let mut offset = payload_start;
    for tensor in tensors {
        let data_offset = offset;
        offset = align_up(offset + tensor.data.len() as u64);
        let scale_offset = if tensor.scales.is_empty() {
            0
        } else {
            let at = offset;
            offset = align_up(offset + tensor.scales.len() as u64);
            at
        };
        regions.push((data_offset, scale_offset));
    }
    let mut bytes = vec![0u8; offset as usize];
    bytes[..MAGIC.len()].copy_from_slice(&MAGIC);
    put_u32(&mut bytes, field::VERSION, VERSION);
    let dims = [
        config.shape.dim,
        config.shape.hidden_dim,
        config.shape.n_layers,
        config.shape.n_heads,
        config.shape.n_kv_heads,
        config.shape.vocab_size,
        config.shape.seq_len,
    ];
    for (i, d) in dims.into_iter().enumerate() {
        put_u32(&mut bytes, field::DIMS + 4 * i, d);
    }
    let flags = if config.shape.shared_classifier {
        FLAG_SHARED_CLASSIFIER
    } else {
        0
    };
    put_u32(&mut bytes, field::FLAGS, flags);
    put_u32(
        &mut bytes,
        field::PRECISION,
        precision_code(config.precision),
    );
    let (kind, params, seed) = attention_fields(&config.attention);
    put_u32(&mut bytes, field::ATTENTION_KIND, kind);
    for (i, p) in params.into_iter().enumerate() {
        put_u32(&mut bytes, field::ATTENTION_PARAMS + 4 * i, p);
    }
    put_u64(&mut bytes, field::ATTENTION_SEED, seed);
    put_u32(&mut bytes, field::TENSOR_COUNT, tensors.len() as u32);
    put_u64(&mut bytes, field::PAYLOAD_OFFSET, payload_start);
    put_u64(&mut bytes, field::PAYLOAD_LEN, offset - payload_start);
    for (index, (tensor, &(data_offset, scale_offset))) in tensors.iter().zip(&regions).enumerate()
    {
        let at = HEADER_LEN + index * ENTRY_LEN;
        let name = tensor.kind.name().as_bytes();
        bytes[at..at + name.len().min(NAME_LEN)].copy_from_slice(name);
        bytes[at + 16] = tensor.kind.dtype(config).code();
        let (rank, shape) = tensor.kind.shape(config);
        bytes[at + 17] = rank;
        bytes[at + 18] = tensor.shift;
        for (i, d) in shape.into_iter().enumerate() {
            put_u32(&mut bytes, at + 20 + 4 * i, d);
        }
        put_u64(&mut bytes, at + 32, data_offset);
        put_u64(&mut bytes, at + 40, tensor.data.len() as u64);
        put_u64(&mut bytes, at + 48, scale_offset);
        put_u64(&mut bytes, at + 56, tensor.scales.len() as u64);
        let data_at = data_offset as usize;
        bytes[data_at..data_at + tensor.data.len()].copy_from_slice(&tensor.data);
        let scale_at = scale_offset as usize;
        bytes[scale_at..scale_at + tensor.scales.len()].copy_from_slice(&tensor.scales);
    }
    debug_assert!(tensors
        .iter()
        .all(|t| t.scales.len().is_multiple_of(SCALE_BYTES)));
    let payload_crc = crc32fast::hash(&bytes[payload_start as usize..]);
    put_u32(&mut bytes, field::PAYLOAD_CRC, payload_crc);
    let header_crc = crc32fast::hash(&bytes[field::DIMS..payload_start as usize]);
    put_u32(&mut bytes, field::HEADER_CRC, header_crc);
    bytes
}

/// Recomputes both checksums of a model file in place, after a deliberate edit of its header,
/// table or payload. Tests use it to reach the structural checks behind the checksums; it does
/// nothing to files shorter than their own header and table.
pub fn rewrite_checksums(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN {
        return;
    }
    let count = u32::from_le_bytes(
        bytes[field::TENSOR_COUNT..field::TENSOR_COUNT + 4]
            .try_into()
            .unwrap_or([0; 4]),
    ) as usize;
    let payload_start = align_up((HEADER_LEN + count.saturating_mul(ENTRY_LEN)) as u64) as usize;
    if bytes.len() < payload_start {
        return;
    }
    let payload_crc = crc32fast::hash(&bytes[payload_start..]);
    put_u32(bytes, field::PAYLOAD_CRC, payload_crc);
    let header_crc = crc32fast::hash(&bytes[field::DIMS..payload_start]);
    put_u32(bytes, field::HEADER_CRC, header_crc);
}
