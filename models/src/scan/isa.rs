//! Instruction-set selection. The kernels are written once as portable code over fixed-size
//! arrays; each is compiled again inside `#[target_feature]` wrappers so that the same source
//! becomes AVX2+FMA or AVX-512 code, chosen at run time (no global rustflags needed).

/// Code path of a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Baseline codegen of the target (SSE2 on x86-64), no fused multiply-adds.
    Portable,
    /// x86-64 AVX2 + FMA.
    Avx2Fma,
    /// x86-64 AVX-512F (+ AVX2, FMA).
    Avx512,
}

impl Isa {
    /// The best path this CPU supports.
    pub fn detect() -> Isa {
        [Isa::Avx512, Isa::Avx2Fma].into_iter().find(|i| i.is_available()).unwrap_or(Isa::Portable)
    }

    /// Whether this CPU can run the path.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => Isa::Avx2Fma.is_available() && std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// All paths this CPU supports, portable first.
    pub fn available() -> Vec<Isa> {
        [Isa::Portable, Isa::Avx2Fma, Isa::Avx512].into_iter().filter(|i| i.is_available()).collect()
    }
}

/// Defines `$name::<T>(args) -> ret`: a safe dispatcher that runs `$body::<T, FUSED>(args)` compiled
/// for the requested ISA. `$body` and everything it calls must be `#[inline(always)]` so that
/// it is compiled inside the `#[target_feature]` function (otherwise `mul_add` would become a libm
/// call). The caller guarantees `isa.is_available()`.
macro_rules! isa_dispatch {
    ($vis:vis fn $name:ident<T>($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident) => {
        $vis fn $name<T: $crate::scan::ScanFloat>(
            isa: $crate::scan::Isa, $($arg: $ty),*
        ) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<T: $crate::scan::ScanFloat>($($arg: $ty),*) $(-> $ret)? {
                $body::<T, true>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            unsafe fn avx512<T: $crate::scan::ScanFloat>($($arg: $ty),*) $(-> $ret)? {
                $body::<T, true>($($arg),*)
            }
            match isa {
                // SAFETY: the public entry points return `IsaUnavailable` unless the CPU has these
                // features, so the target-feature functions only run where they are supported.
                #[cfg(target_arch = "x86_64")]
                $crate::scan::Isa::Avx2Fma => unsafe { avx2::<T>($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                $crate::scan::Isa::Avx512 => unsafe { avx512::<T>($($arg),*) },
                _ => $body::<T, false>($($arg),*),
            }
        }
    };
}
pub(crate) use isa_dispatch;
