//! The element type of a scan: f32 (fast path, polynomial exp) or f64 (libm, for exact checks).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use super::math;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// f32 or f64. The `*_k` methods are the kernel's arithmetic; `F` selects fused multiply-adds.
pub trait ScanFloat:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    /// 0
    const ZERO: Self;
    /// 1
    const ONE: Self;
    /// Convert (rounding for f32).
    fn from_f64(v: f64) -> Self;
    /// Convert exactly.
    fn to_f64(self) -> f64;
    /// self·b + c, fused when `F`.
    #[doc(hidden)]
    fn madd_k<const F: bool>(self, b: Self, c: Self) -> Self;
    /// e^self as the kernel computes it.
    #[doc(hidden)]
    fn exp_k<const F: bool>(self) -> Self;
    /// 2^self as the kernel computes it.
    #[doc(hidden)]
    fn exp2_k<const F: bool>(self) -> Self;
    /// ln(1 + e^self) as the kernel computes it.
    #[doc(hidden)]
    fn softplus_k<const F: bool>(self) -> Self;
    /// 1 / (1 + e^−self) as the kernel computes it.
    #[doc(hidden)]
    fn sigmoid_k<const F: bool>(self) -> Self;
    /// √self (IEEE, a vector instruction in the ISA paths).
    #[doc(hidden)]
    fn sqrt_k(self) -> Self;
}

impl ScanFloat for f32 {
    #[inline(always)]
    fn sqrt_k(self) -> Self {
        self.sqrt()
    }
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn madd_k<const F: bool>(self, b: Self, c: Self) -> Self {
        math::madd::<F>(self, b, c)
    }
    #[inline(always)]
    fn exp_k<const F: bool>(self) -> Self {
        math::exp_impl::<F>(self)
    }
    #[inline(always)]
    fn exp2_k<const F: bool>(self) -> Self {
        math::exp2_impl::<F>(self)
    }
    #[inline(always)]
    fn softplus_k<const F: bool>(self) -> Self {
        math::softplus_impl::<F>(self)
    }
    #[inline(always)]
    fn sigmoid_k<const F: bool>(self) -> Self {
        math::sigmoid_impl::<F>(self)
    }
}

impl ScanFloat for f64 {
    #[inline(always)]
    fn sqrt_k(self) -> Self {
        self.sqrt()
    }
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn madd_k<const F: bool>(self, b: Self, c: Self) -> Self {
        if F {
            self.mul_add(b, c)
        } else {
            self * b + c
        }
    }
    // f64 is the checking path: libm accuracy matters more than speed.
    #[inline(always)]
    fn exp_k<const F: bool>(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn exp2_k<const F: bool>(self) -> Self {
        self.exp2()
    }
    #[inline(always)]
    fn softplus_k<const F: bool>(self) -> Self {
        self.max(0.0) + (-self.abs()).exp().ln_1p()
    }
    #[inline(always)]
    fn sigmoid_k<const F: bool>(self) -> Self {
        1.0 / (1.0 + (-self).exp())
    }
}
