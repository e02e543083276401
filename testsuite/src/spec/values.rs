//! Converting script arguments to values and matching results against expectations.

use sowa_runtime::{AnyKind, AnyRef, ExternRef, Store, Val};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// The value of a script argument (a host reference made in `store`).
pub fn arg(a: &WastArg<'_>, store: &Store) -> Result<Val, String> {
    let WastArg::Core(a) = a else {
        return Err("component arguments".into());
    };
    Ok(match a {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract { ty, .. }) => {
            use AbstractHeapType as A;
            match ty {
                A::Extern | A::NoExtern => Val::ExternRef(None),
                A::Exn | A::NoExn => Val::ExnRef(None),
                A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => Val::AnyRef(None),
                _ => Val::FuncRef(None),
            }
        }
        WastArgCore::RefNull(_) => Val::FuncRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::Host(*n as u64))),
        WastArgCore::RefHost(n) => Val::AnyRef(Some(
            AnyRef::host(store, *n as u64).map_err(|e| e.to_string())?,
        )),
    })
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    let nan = (bits & 0x7f80_0000) == 0x7f80_0000 && (bits & 0x007f_ffff) != 0;
    match p {
        NanPattern::CanonicalNan => (bits & 0x7fff_ffff) == 0x7fc0_0000,
        NanPattern::ArithmeticNan => nan && (bits & 0x0040_0000) != 0,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    let exp = 0x7ff0_0000_0000_0000u64;
    let nan = (bits & exp) == exp && (bits & 0x000f_ffff_ffff_ffff) != 0;
    match p {
        NanPattern::CanonicalNan => (bits & 0x7fff_ffff_ffff_ffff) == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => nan && (bits & 0x0008_0000_0000_0000) != 0,
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// Whether the lanes of `v` match `p`, lane by lane (NaN patterns per float lane).
fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    let lane = |i: usize, n: usize| {
        let mut x = [0u8; 8];
        x[..n].copy_from_slice(&b[i * n..i * n + n]);
        u64::from_le_bytes(x)
    };
    match p {
        V128Pattern::I8x16(w) => w
            .iter()
            .enumerate()
            .all(|(i, w)| lane(i, 1) as u8 == *w as u8),
        V128Pattern::I16x8(w) => w
            .iter()
            .enumerate()
            .all(|(i, w)| lane(i, 2) as u16 == *w as u16),
        V128Pattern::I32x4(w) => w
            .iter()
            .enumerate()
            .all(|(i, w)| lane(i, 4) as u32 == *w as u32),
        V128Pattern::I64x2(w) => w.iter().enumerate().all(|(i, w)| lane(i, 8) == *w as u64),
        V128Pattern::F32x4(w) => w
            .iter()
            .enumerate()
            .all(|(i, w)| f32_matches(w, lane(i, 4) as u32)),
        V128Pattern::F64x2(w) => w
            .iter()
            .enumerate()
            .all(|(i, w)| f64_matches(w, lane(i, 8))),
    }
}

fn core_matches(want: &WastRetCore<'_>, got: &Val, store: &Store) -> Result<bool, String> {
    let kind = |r: &Option<AnyRef>| r.and_then(|a| a.kind(store));
    Ok(match (want, got) {
        (WastRetCore::I32(w), Val::I32(g)) => w == g,
        (WastRetCore::I64(w), Val::I64(g)) => w == g,
        (WastRetCore::F32(p), Val::F32(g)) => f32_matches(p, *g),
        (WastRetCore::F64(p), Val::F64(g)) => f64_matches(p, *g),
        (WastRetCore::RefNull(_), Val::FuncRef(p)) => p.is_none(),
        (WastRetCore::RefNull(_), Val::ExternRef(r)) => r.is_none(),
        (WastRetCore::RefNull(_), Val::AnyRef(r)) => r.is_none(),
        (WastRetCore::RefNull(_), Val::ExnRef(r)) => r.is_none(),
        (WastRetCore::RefFunc(_), Val::FuncRef(p)) => p.is_some(),
        (WastRetCore::RefExtern(None), Val::ExternRef(r)) => r.is_some(),
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(r)) => {
            *r == Some(ExternRef::Host(*n as u64))
        }
        (WastRetCore::RefHost(n), Val::AnyRef(r)) => kind(r) == Some(AnyKind::Host(*n as u64)),
        (WastRetCore::RefAny, Val::AnyRef(r)) => r.is_some(),
        (WastRetCore::RefEq, Val::AnyRef(r)) => matches!(
            kind(r),
            Some(AnyKind::I31(_) | AnyKind::Struct | AnyKind::Array)
        ),
        (WastRetCore::RefI31, Val::AnyRef(r)) => matches!(kind(r), Some(AnyKind::I31(_))),
        (WastRetCore::RefStruct, Val::AnyRef(r)) => kind(r) == Some(AnyKind::Struct),
        (WastRetCore::RefArray, Val::AnyRef(r)) => kind(r) == Some(AnyKind::Array),
        (WastRetCore::Either(options), g) => {
            for o in options {
                if core_matches(o, g, store)? {
                    return Ok(true);
                }
            }
            false
        }
        (WastRetCore::V128(p), Val::V128(g)) => v128_matches(p, *g),
        _ => false,
    })
}

/// Whether `got` (a value of `store`) matches the expected result `want`.
pub fn matches(want: &WastRet<'_>, got: &Val, store: &Store) -> Result<bool, String> {
    match want {
        WastRet::Core(c) => core_matches(c, got, store),
        #[allow(unreachable_patterns)]
        _ => Err("component results".into()),
    }
}
