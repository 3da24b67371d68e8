//! The vectors that pass between operations (and between chips): hidden states, logits and
//! partial sums, in the representation of the model's precision.
//!
//! Integer models carry Q16.16 `i32` activations and exact `i64` partial sums; f32 models carry
//! f32 for both. The enums let one API serve both without generics at every call site.

/// A mutable hidden state or logits vector.
#[derive(Debug)]
pub enum VecMut<'a> {
    /// Q16.16 fixed point (integer models).
    Q16(&'a mut [i32]),
    /// f32 (f32 models).
    F32(&'a mut [f32]),
}

/// A read-only hidden state or logits vector.
#[derive(Clone, Copy, Debug)]
pub enum VecRef<'a> {
    /// Q16.16 fixed point (integer models).
    Q16(&'a [i32]),
    /// f32 (f32 models).
    F32(&'a [f32]),
}

/// A mutable vector of partial sums, the contribution of one shard of heads or feed-forward
/// units to the residual stream.
#[derive(Debug)]
pub enum PartialMut<'a> {
    /// Integer models: exact sums of `accumulator * activation step` products, not yet scaled by
    /// the output projection's row scales. Adding such vectors is exact in any order or grouping.
    Exact(&'a mut [i64]),
    /// f32 models: running f32 sums; bit-identical to the unsplit pass when each shard continues
    /// the previous shard's sums in head (unit) order.
    F32(&'a mut [f32]),
}

/// A read-only vector of partial sums.
#[derive(Clone, Copy, Debug)]
pub enum PartialRef<'a> {
    /// Integer models, see [`PartialMut::Exact`].
    Exact(&'a [i64]),
    /// f32 models, see [`PartialMut::F32`].
    F32(&'a [f32]),
}

impl VecMut<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            VecMut::Q16(v) => v.len(),
            VecMut::F32(v) => v.len(),
        }
    }

    /// Whether the vector is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A shorter-lived mutable view, to pass on without giving the vector up.
    pub fn reborrow(&mut self) -> VecMut<'_> {
        match self {
            VecMut::Q16(v) => VecMut::Q16(v),
            VecMut::F32(v) => VecMut::F32(v),
        }
    }

    /// A read-only view.
    pub fn as_ref(&self) -> VecRef<'_> {
        match self {
            VecMut::Q16(v) => VecRef::Q16(v),
            VecMut::F32(v) => VecRef::F32(v),
        }
    }
}

impl VecRef<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            VecRef::Q16(v) => v.len(),
            VecRef::F32(v) => v.len(),
        }
    }

    /// Whether the vector is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialMut<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            PartialMut::Exact(v) => v.len(),
            PartialMut::F32(v) => v.len(),
        }
    }

    /// Whether the vector is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets every element to zero (the start of a reduction).
    pub fn clear(&mut self) {
        match self {
            PartialMut::Exact(v) => v.iter_mut().for_each(|x| *x = 0),
            PartialMut::F32(v) => v.iter_mut().for_each(|x| *x = 0.0),
        }
    }

    /// A shorter-lived mutable view.
    pub fn reborrow(&mut self) -> PartialMut<'_> {
        match self {
            PartialMut::Exact(v) => PartialMut::Exact(v),
            PartialMut::F32(v) => PartialMut::F32(v),
        }
    }

    /// A read-only view.
    pub fn as_ref(&self) -> PartialRef<'_> {
        match self {
            PartialMut::Exact(v) => PartialRef::Exact(v),
            PartialMut::F32(v) => PartialRef::F32(v),
        }
    }
}

#[cfg(feature = "alloc")]
mod owned {
    use alloc::vec;
    use alloc::vec::Vec;

    use super::{PartialMut, PartialRef, VecMut, VecRef};
    use crate::config::Precision;

    /// An owned hidden state or logits vector (feature `alloc`).
    #[derive(Clone, Debug, PartialEq)]
    pub enum Vector {
        /// Q16.16 fixed point (integer models).
        Q16(Vec<i32>),
        /// f32 (f32 models).
        F32(Vec<f32>),
    }

    /// An owned partial-sum vector (feature `alloc`).
    #[derive(Clone, Debug, PartialEq)]
    pub enum Partial {
        /// Integer models, see [`PartialMut::Exact`].
        Exact(Vec<i64>),
        /// f32 models, see [`PartialMut::F32`].
        F32(Vec<f32>),
    }

    impl Vector {
        /// A zero vector of `len` elements in the representation of `precision`.
        pub fn zeros(precision: Precision, len: usize) -> Vector {
            if precision.is_integer() {
                Vector::Q16(vec![0; len])
            } else {
                Vector::F32(vec![0.0; len])
            }
        }

        /// A mutable view.
        pub fn as_mut(&mut self) -> VecMut<'_> {
            match self {
                Vector::Q16(v) => VecMut::Q16(v),
                Vector::F32(v) => VecMut::F32(v),
            }
        }

        /// A read-only view.
        pub fn as_ref(&self) -> VecRef<'_> {
            match self {
                Vector::Q16(v) => VecRef::Q16(v),
                Vector::F32(v) => VecRef::F32(v),
            }
        }

        /// The values as f64 (Q16.16 divided by 2^16), for reporting and comparison.
        pub fn to_f64(&self) -> Vec<f64> {
            match self {
                Vector::Q16(v) => v.iter().map(|&x| f64::from(x) / 65536.0).collect(),
                Vector::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            }
        }

        /// The little-endian bytes of the values (for hashing and byte-exact comparison).
        pub fn to_le_bytes(&self) -> Vec<u8> {
            match self {
                Vector::Q16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                Vector::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            }
        }
    }

    impl Partial {
        /// A zero partial-sum vector of `len` elements for `precision`.
        pub fn zeros(precision: Precision, len: usize) -> Partial {
            if precision.is_integer() {
                Partial::Exact(vec![0; len])
            } else {
                Partial::F32(vec![0.0; len])
            }
        }

        /// A mutable view.
        pub fn as_mut(&mut self) -> PartialMut<'_> {
            match self {
                Partial::Exact(v) => PartialMut::Exact(v),
                Partial::F32(v) => PartialMut::F32(v),
            }
        }

        /// A read-only view.
        pub fn as_ref(&self) -> PartialRef<'_> {
            match self {
                Partial::Exact(v) => PartialRef::Exact(v),
                Partial::F32(v) => PartialRef::F32(v),
            }
        }
    }
}

#[cfg(feature = "alloc")]
pub use owned::{Partial, Vector};
