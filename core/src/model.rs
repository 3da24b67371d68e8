//! Zero-copy reading of a model file: [`Model::parse`] validates a byte slice (on a chip it sits
//! in flash) and hands out views of its tensors without copying.

use crate::config::ModelShape;
use core::ops::Range;

use crate::config::{ModelConfig, Precision};
use crate::format::{
    align_up, attention_from_fields, field, precision_from_code, DType, FormatError, TensorKind,
    ALIGN, ENTRY_LEN, FLAG_SHARED_CLASSIFIER, HEADER_LEN, MAGIC, MAX_SCALE_SHIFT, NAME_LEN,
    SCALE_BYTES, VERSION,
};

/// Location of one validated tensor in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TensorEntry {
    data: Range<usize>,
    scales: Range<usize>,
    scale_shift: u32,
}

/// A validated model: its configuration and zero-copy access to its tensors.
#[derive(Clone)]
pub struct Model<'a> {
    config: ModelConfig,
    bytes: &'a [u8],
    tensors: [Option<TensorEntry>; TensorKind::ALL.len()],
}

/// A view of one weight matrix (one layer's slice of a stacked tensor): row-major data at the
/// model's precision plus one scale multiplier per row.
///
/// The real value of a quantised weight is `q * multiplier(row) / 2^scale_shift`.
#[derive(Clone, Copy)]
pub struct MatrixRef<'a> {
    precision: Precision,
    rows: u32,
    cols: u32,
    row_bytes: usize,
    data: &'a [u8],
    scales: &'a [u8],
    scale_shift: u32,
}

impl<'a> MatrixRef<'a> {
    /// Precision of the stored weights.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Number of rows (outputs).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Number of columns (inputs).
    pub fn cols(&self) -> u32 {
        self.cols
    }

    /// Bytes of one stored row, padding included.
    pub fn row_bytes(&self) -> usize {
        self.row_bytes
    }

    /// The stored bytes of row `row` (which must be below [`MatrixRef::rows`]).
    #[inline]
    pub fn row(&self, row: u32) -> &'a [u8] {
        let start = row as usize * self.row_bytes;
        &self.data[start..start + self.row_bytes]
    }

    /// The scale multiplier of row `row` (integer precisions).
    #[inline]
    pub fn multiplier(&self, row: u32) -> u32 {
        read_u32(self.scales, row as usize * SCALE_BYTES)
    }

    /// The shift shared by all row multipliers.
    pub fn scale_shift(&self) -> u32 {
        self.scale_shift
    }
}

/// Shows the configuration and size, not the (possibly megabytes of) weights.
impl core::fmt::Debug for Model<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Model")
            .field("config", &self.config)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Shows the shape and precision, not the weights.
impl core::fmt::Debug for MatrixRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MatrixRef")
            .field("precision", &self.precision)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("scale_shift", &self.scale_shift)
            .finish()
    }
}

#[inline]
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    // One bounds check for the four bytes lets them load as one word.
    let word = &bytes[at..at + 4];
    u32::from_le_bytes([word[0], word[1], word[2], word[3]])
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Fails with [`FormatError::Truncated`] unless the file has `needed` bytes.
fn require(bytes: &[u8], needed: u64, what: &'static str) -> Result<(), FormatError> {
    if (bytes.len() as u64) < needed {
        Err(FormatError::Truncated {
            what,
            needed,
            actual: bytes.len() as u64,
        })
    } else {
        Ok(())
    }
}

/// Fails with [`FormatError::Reserved`] unless the `u32` at `offset` is zero.
fn require_zero(bytes: &[u8], offset: usize) -> Result<(), FormatError> {
    if read_u32(bytes, offset) == 0 {
        Ok(())
    } else {
        Err(FormatError::Reserved {
            offset: offset as u64,
        })
    }
}

/// Reads and validates the configuration fields of the header.
fn read_config(bytes: &[u8]) -> Result<ModelConfig, FormatError> {
    let dims: [u32; 7] = core::array::from_fn(|i| read_u32(bytes, field::DIMS + 4 * i));
    let flags = read_u32(bytes, field::FLAGS);
    if flags & !FLAG_SHARED_CLASSIFIER != 0 {
        return Err(FormatError::UnknownFlags(flags));
    }
    let precision_code = read_u32(bytes, field::PRECISION);
    let precision =
        precision_from_code(precision_code).ok_or(FormatError::UnknownPrecision(precision_code))?;
    let kind = read_u32(bytes, field::ATTENTION_KIND);
    let params: [u32; 3] =
        core::array::from_fn(|i| read_u32(bytes, field::ATTENTION_PARAMS + 4 * i));
    require_zero(bytes, field::ATTENTION_RESERVED)?;
    let attention = attention_from_fields(kind, params, read_u64(bytes, field::ATTENTION_SEED))
        .ok_or(FormatError::UnknownAttention(kind))?;
    let config = ModelConfig {
        shape: ModelShape {
            dim: dims[0],
            hidden_dim: dims[1],
            n_layers: dims[2],
            n_heads: dims[3],
            n_kv_heads: dims[4],
            vocab_size: dims[5],
            seq_len: dims[6],
            shared_classifier: flags & FLAG_SHARED_CLASSIFIER != 0,
        },
        precision,
        attention,
    };
    config.validate()?;
    Ok(config)
}

/// Reads and validates one tensor table entry against the configuration and payload bounds.
fn read_entry(
    bytes: &[u8],
    index: u32,
    config: &ModelConfig,
    payload: Range<u64>,
) -> Result<(TensorKind, TensorEntry), FormatError> {
    let at = HEADER_LEN + index as usize * ENTRY_LEN;
    let entry = &bytes[at..at + ENTRY_LEN];
    let name = &entry[..NAME_LEN];
    let name_len = name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    let tensor = TensorKind::from_name(&name[..name_len])
        .filter(|_| name[name_len..].iter().all(|&b| b == 0))
        .ok_or(FormatError::UnknownTensor { index })?;
    if !tensor.present_in(config) {
        return Err(FormatError::UnexpectedTensor(tensor));
    }
    let code = entry[16];
    let dtype = DType::from_code(code).ok_or(FormatError::UnknownDType { tensor, code })?;
    let expected_dtype = tensor.dtype(config);
    if dtype != expected_dtype {
        return Err(FormatError::WrongDType {
            tensor,
            expected: expected_dtype,
            found: dtype,
        });
    }
    let found_rank = entry[17];
    let found: [u32; 3] = core::array::from_fn(|i| read_u32(entry, 20 + 4 * i));
    let (expected_rank, expected) = tensor.shape(config);
    if (found_rank, found) != (expected_rank, expected) {
        return Err(FormatError::ShapeMismatch {
            tensor,
            expected_rank,
            expected,
            found_rank,
            found,
        });
    }
    let shift = entry[18];
    if shift > MAX_SCALE_SHIFT || (shift != 0 && !dtype.is_quantised()) {
        return Err(FormatError::ScaleShift { tensor, shift });
    }
    if entry[19] != 0 {
        return Err(FormatError::Reserved {
            offset: (at + 19) as u64,
        });
    }
    let (stack, rows, cols) = if tensor.is_matrix() {
        tensor.matrix_shape(config)
    } else {
        // Vectors: every leading dimension is a row of one element per column.
        match expected_rank {
            2 => (1, expected[0], expected[1]),
            _ => (1, 1, expected[0]),
        }
    };
    let all_rows = u64::from(stack) * u64::from(rows);
    let expected_data = all_rows * dtype.row_bytes(cols);
    let expected_scales = if dtype.is_quantised() {
        all_rows * SCALE_BYTES as u64
    } else {
        0
    };
    let data = read_region(entry, 32, tensor, "data", expected_data, &payload)?;
    let scales = read_region(entry, 48, tensor, "scales", expected_scales, &payload)?;
    Ok((
        tensor,
        TensorEntry {
            data,
            scales,
            scale_shift: u32::from(shift),
        },
    ))
}

/// Reads an `(offset, len)` pair of a table entry and checks length, alignment and bounds.
fn read_region(
    entry: &[u8],
    at: usize,
    tensor: TensorKind,
    region: &'static str,
    expected: u64,
    payload: &Range<u64>,
) -> Result<Range<usize>, FormatError> {
    let offset = read_u64(entry, at);
    let len = read_u64(entry, at + 8);
    if len != expected {
        return Err(FormatError::LengthMismatch {
            tensor,
            region,
            expected,
            found: len,
        });
    }
    if len == 0 {
        // An absent region (no scales) must say so with offset 0.
        return if offset == 0 {
            Ok(0..0)
        } else {
            Err(FormatError::OutOfRange {
                tensor,
                region,
                offset,
                len,
            })
        };
    }
    if !offset.is_multiple_of(ALIGN as u64) {
        return Err(FormatError::Misaligned {
            tensor,
            region,
            offset,
        });
    }
    match offset.checked_add(len) {
        Some(end) if offset >= payload.start && end <= payload.end => {
            Ok(offset as usize..end as usize)
        }
        _ => Err(FormatError::OutOfRange {
            tensor,
            region,
            offset,
            len,
        }),
    }
}

/// Whether two half-open byte ranges share a byte.
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    !a.is_empty() && !b.is_empty() && a.start < b.end && b.start < a.end
}

impl<'a> Model<'a> {
    /// Validates `bytes` as a model file and returns zero-copy access to it.
    ///
    /// Checks, in order: length of each structure before reading it, magic, version, header
    /// checksum, configuration, payload placement and length, payload checksum, and every tensor
    /// (name, element type, shape, lengths, alignment, bounds, overlaps, presence). Never panics.
    pub fn parse(bytes: &'a [u8]) -> Result<Model<'a>, FormatError> {
        require(bytes, MAGIC.len() as u64, "magic")?;
        if bytes[..MAGIC.len()] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        require(bytes, field::VERSION as u64 + 4, "version")?;
        let version = read_u32(bytes, field::VERSION);
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        require(bytes, HEADER_LEN as u64, "header")?;
        let count = read_u32(bytes, field::TENSOR_COUNT);
        if count as usize > TensorKind::ALL.len() {
            return Err(FormatError::TooManyTensors(count));
        }
        let table_end = (HEADER_LEN + count as usize * ENTRY_LEN) as u64;
        let payload_start = align_up(table_end);
        require(bytes, payload_start, "tensor table")?;
        let stored = read_u32(bytes, field::HEADER_CRC);
        let computed = crc32fast::hash(&bytes[field::DIMS..payload_start as usize]);
        if stored != computed {
            return Err(FormatError::HeaderChecksum { stored, computed });
        }
        for offset in [field::RESERVED, field::RESERVED2] {
            require_zero(bytes, offset)?;
        }
        let config = read_config(bytes)?;
        let found = read_u64(bytes, field::PAYLOAD_OFFSET);
        if found != payload_start {
            return Err(FormatError::PayloadOffset {
                expected: payload_start,
                found,
            });
        }
        let payload_len = read_u64(bytes, field::PAYLOAD_LEN);
        let payload_end = payload_start
            .checked_add(payload_len)
            .ok_or(FormatError::Truncated {
                what: "payload",
                needed: u64::MAX,
                actual: bytes.len() as u64,
            })?;
        require(bytes, payload_end, "payload")?;
        if (bytes.len() as u64) > payload_end {
            return Err(FormatError::TrailingBytes {
                extra: bytes.len() as u64 - payload_end,
            });
        }
        let stored = read_u32(bytes, field::PAYLOAD_CRC);
        let computed = crc32fast::hash(&bytes[payload_start as usize..]);
        if stored != computed {
            return Err(FormatError::PayloadChecksum { stored, computed });
        }
        let tensors = read_table(bytes, count, &config, payload_start..payload_end)?;
        Ok(Model {
            config,
            bytes,
            tensors,
        })
    }

    /// The model's configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn entry(&self, kind: TensorKind) -> &TensorEntry {
        // `parse` guarantees every tensor the configuration needs is present; callers only ask
        // for those.
        self.tensors[kind.index()]
            .as_ref()
            .expect("validated model holds every tensor its configuration needs")
    }

    /// Bytes of a tensor's data and scales, if the model holds it.
    pub fn tensor_bytes(&self, kind: TensorKind) -> Option<u64> {
        self.tensors[kind.index()]
            .as_ref()
            .map(|entry| (entry.data.len() + entry.scales.len()) as u64)
    }

    /// Matrix `layer` of a matrix tensor (layer 0 for the embedding and classifier), or `None`
    /// when the model has no such tensor or layer.
    pub fn try_matrix(&self, kind: TensorKind, layer: u32) -> Option<MatrixRef<'a>> {
        let (stack, _, _) = kind.matrix_shape(&self.config);
        (kind.is_matrix() && self.tensors[kind.index()].is_some() && layer < stack)
            .then(|| self.matrix(kind, layer))
    }

    /// Matrix `layer` of a matrix tensor the model holds (callers inside the crate check `layer`).
    pub(crate) fn matrix(&self, kind: TensorKind, layer: u32) -> MatrixRef<'a> {
        let entry = self.entry(kind);
        let (_, rows, cols) = kind.matrix_shape(&self.config);
        let precision = self.config.precision;
        let row_bytes = DType::from(precision).row_bytes(cols) as usize;
        let data_len = rows as usize * row_bytes;
        let data_start = entry.data.start + layer as usize * data_len;
        let scales = if entry.scales.is_empty() {
            &self.bytes[0..0]
        } else {
            let start = entry.scales.start + layer as usize * rows as usize * SCALE_BYTES;
            &self.bytes[start..start + rows as usize * SCALE_BYTES]
        };
        MatrixRef {
            precision,
            rows,
            cols,
            row_bytes,
            data: &self.bytes[data_start..data_start + data_len],
            scales,
            scale_shift: entry.scale_shift,
        }
    }

    /// The classifier matrix: `wcls`, or the token embedding when shared.
    pub fn classifier(&self) -> MatrixRef<'a> {
        if self.config.shape.shared_classifier {
            self.matrix(TensorKind::TokenEmbedding, 0)
        } else {
            self.matrix(TensorKind::Wcls, 0)
        }
    }

    /// Raw little-endian bytes of row `row` of a vector tensor (norm weights: one row per layer).
    fn vector_bytes(&self, kind: TensorKind, row: u32, width: usize) -> &'a [u8] {
        let start = self.entry(kind).data.start + row as usize * width;
        &self.bytes[start..start + width]
    }

    /// Norm weights of `layer` (layer 0 for the final norm) as Q16.16 (integer models; `layer`
    /// must be below `n_layers`).
    pub(crate) fn norm_q16(&self, kind: TensorKind, layer: u32) -> impl Iterator<Item = i32> + 'a {
        self.vector_bytes(kind, layer, 4 * self.config.shape.dim as usize)
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Norm weights of `layer` (layer 0 for the final norm) as f32 (f32 models; `layer` must be
    /// below `n_layers`).
    pub(crate) fn norm_f32(&self, kind: TensorKind, layer: u32) -> impl Iterator<Item = f32> + 'a {
        self.vector_bytes(kind, layer, 4 * self.config.shape.dim as usize)
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Rotary phase increment of frequency pair `pair`, in turns as a wrapping Q64 fraction per
    /// position (integer models; `pair` below `head_size / 2`).
    pub(crate) fn rope_phase(&self, pair: u32) -> u64 {
        let pairs = self.config.shape.head_size() as usize / 2;
        read_u64(
            self.vector_bytes(TensorKind::RopePhase, 0, 8 * pairs),
            8 * pair as usize,
        )
    }
}

/// Reads every table entry, rejecting duplicates, overlaps and missing tensors.
fn read_table(
    bytes: &[u8],
    count: u32,
    config: &ModelConfig,
    payload: Range<u64>,
) -> Result<[Option<TensorEntry>; TensorKind::ALL.len()], FormatError> {
    let mut tensors: [Option<TensorEntry>; TensorKind::ALL.len()] = Default::default();
    for index in 0..count {
        let (kind, entry) = read_entry(bytes, index, config, payload.clone())?;
        if overlaps(&entry.data, &entry.scales) {
            return Err(FormatError::Overlap {
                first: kind,
                second: kind,
            });
        }
        for (other_kind, other) in TensorKind::ALL.iter().zip(&tensors) {
            let Some(other) = other else { continue };
            if *other_kind == kind {
                return Err(FormatError::DuplicateTensor(kind));
            }
            let clash = [&entry.data, &entry.scales]
                .into_iter()
                .any(|a| overlaps(a, &other.data) || overlaps(a, &other.scales));
            if clash {
                return Err(FormatError::Overlap {
                    first: *other_kind,
                    second: kind,
                });
            }
        }
        tensors[kind.index()] = Some(entry);
    }
    if let Some(missing) = TensorKind::ALL
        .into_iter()
        .find(|kind| kind.present_in(config) && tensors[kind.index()].is_none())
    {
        return Err(FormatError::MissingTensor(missing));
    }
    Ok(tensors)
}
