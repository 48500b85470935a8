//! One allele applied to one gene's window, keeping the window centred on the TSS.
//!
//! The edit replaces reference bases `[start, start + ref_len)` (0-based) by `alt` (after trimming the
//! bases REF and ALT share, so a VCF anchor base is not part of it). Substitutions (SNVs, MNVs) change
//! bases in place. An indel changes the length of the sequence on one side of the TSS, and that side is
//! shifted so the TSS stays at the window centre:
//! - edit after the TSS (`start > tss`): the bases left of the edit stay; the window's right end gains
//!   (deletion) or loses (insertion) bases;
//! - edit before the TSS (`start + ref_len ≤ tss`): the bases right of the edit stay; the left end
//!   gains or loses bases.
//!
//! An indel that removes the TSS base itself is not scored. Bases that enter the window from beyond
//! the stored one come from the FASTA (`N` outside the chromosome).
//!
//! Signals (and the blacklist) follow the bases, in reference coordinates: each ALT base that is a
//! reference base takes the value measured at its reference position; an inserted base takes the value
//! of the reference base just before the insertion; a base that entered from beyond the stored window
//! takes the value at the nearest window edge (the store holds nothing further out).

use seq2exp_store::dna_code;

/// A trimmed allele: reference `[start, start + ref_len)` becomes `alt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: i64,
    pub ref_len: usize,
    /// Upper-case bases.
    pub alt: Vec<u8>,
}

impl Edit {
    /// From VCF fields (1-based `pos`, REF, one ALT), trimming the shared suffix and then prefix.
    pub fn from_vcf(pos: u64, reference: &str, alt: &str) -> Self {
        let (mut r, mut a) = (reference.as_bytes().to_ascii_uppercase(), alt.as_bytes().to_ascii_uppercase());
        while r.len() > 1 && a.len() > 1 && r.last() == a.last() {
            r.pop();
            a.pop();
        }
        let shared = r.iter().zip(&a).take_while(|(x, y)| x == y).count();
        // Keep one base when REF == ALT (a no-op stays a substitution of itself).
        let shared = if shared == r.len() && shared == a.len() { shared.saturating_sub(1) } else { shared };
        Self { start: pos as i64 - 1 + shared as i64, ref_len: r.len() - shared, alt: a[shared..].to_vec() }
    }

    pub fn is_substitution(&self) -> bool {
        self.ref_len == self.alt.len()
    }

    /// Net change in sequence length.
    pub fn delta(&self) -> i64 {
        self.alt.len() as i64 - self.ref_len as i64
    }
}

/// Why an edit cannot be scored in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unscorable {
    /// The edited bases are not all inside the window.
    CrossesWindowEdge,
    /// An indel that removes the TSS base.
    SpansTss,
}

/// Where each base of the ALT window comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Reference position (absolute, 0-based).
    Reference(i64),
    /// The `k`-th ALT base of the edit; its signals are those of reference position `anchor`.
    Inserted { k: usize, anchor: i64 },
}

/// The ALT window as a list of sources, one per base (length `window`).
pub fn realign(edit: &Edit, window_start: i64, window: usize, tss: i64) -> Result<Vec<Source>, Unscorable> {
    let (s, e) = (edit.start, edit.start + edit.ref_len as i64);
    let end = window_start + window as i64;
    if s < window_start || e > end || (edit.ref_len == 0 && s == end) {
        return Err(Unscorable::CrossesWindowEdge);
    }
    let alt = |k: usize| Source::Inserted { k, anchor: s - 1 };
    let mut out = Vec::with_capacity(window);
    if edit.is_substitution() {
        out.extend((window_start..end).map(|p| {
            if (s..e).contains(&p) {
                alt((p - s) as usize)
            } else {
                Source::Reference(p)
            }
        }));
        return Ok(out);
    }
    if s > tss {
        // Right side: [window_start, s) + alt + [e, …) until the window is full.
        out.extend((window_start..s).map(Source::Reference));
        out.extend((0..edit.alt.len()).map(alt));
        let mut p = e;
        while out.len() < window {
            out.push(Source::Reference(p));
            p += 1;
        }
        out.truncate(window);
    } else if e <= tss {
        // Left side: (…, s) + alt + [e, end), filled from the left so the right part keeps its place.
        let right = (end - e) as usize + edit.alt.len();
        let mut left: Vec<Source> = Vec::new();
        let mut p = s - 1;
        while left.len() + right < window {
            left.push(Source::Reference(p));
            p -= 1;
        }
        left.reverse();
        out.extend(left);
        out.extend((0..edit.alt.len()).map(alt));
        out.extend((e..end).map(Source::Reference));
        let extra = out.len() - window;
        out.drain(..extra);
    } else {
        return Err(Unscorable::SpansTss);
    }
    Ok(out)
}

/// A gene's reference window as stored: `dna [L]` codes, `signals [L, C]`, `blacklist [L]`.
pub struct RefWindow<'a> {
    pub start: i64,
    pub dna: &'a [u8],
    pub signals: &'a [f32],
    pub channels: usize,
    pub blacklist: &'a [u8],
}

/// Fills ALT inputs from the sources; `flank(start, end)` gives the DNA codes of reference bases
/// outside the stored window (only called when a deletion pulls bases in).
pub fn build_alt(
    sources: &[Source],
    edit: &Edit,
    w: &RefWindow,
    mut flank: impl FnMut(i64, i64) -> Result<Vec<u8>, String>,
    dna: &mut Vec<u8>,
    signals: &mut Vec<f32>,
    blacklist: &mut Vec<u8>,
) -> Result<(), String> {
    let l = w.dna.len() as i64;
    let (c, first, last) = (w.channels, w.start, w.start + l);
    // Bases from beyond the window, fetched once per side.
    let outside: Vec<i64> = sources
        .iter()
        .filter_map(|s| match s {
            Source::Reference(p) if *p < first || *p >= last => Some(*p),
            _ => None,
        })
        .collect();
    let (lo, hi) = (outside.iter().min().copied(), outside.iter().max().copied());
    let left = match lo.filter(|&p| p < first) {
        Some(p) => flank(p, first)?,
        None => Vec::new(),
    };
    let right = match hi.filter(|&p| p >= last) {
        Some(p) => flank(last, p + 1)?,
        None => Vec::new(),
    };
    let left_start = first - left.len() as i64;
    dna.clear();
    signals.clear();
    blacklist.clear();
    for s in sources {
        let (code, at) = match *s {
            Source::Reference(p) if p < first => (left[(p - left_start) as usize], 0),
            Source::Reference(p) if p >= last => (right[(p - last) as usize], l - 1),
            Source::Reference(p) => (w.dna[(p - first) as usize], p - first),
            Source::Inserted { k, anchor } => (dna_code(edit.alt[k]), (anchor - first).clamp(0, l - 1)),
        };
        dna.push(code);
        let at = at as usize;
        signals.extend_from_slice(&w.signals[at * c..(at + 1) * c]);
        blacklist.push(w.blacklist[at]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_vcf_anchors() {
        assert_eq!(Edit::from_vcf(10, "A", "G"), Edit { start: 9, ref_len: 1, alt: b"G".to_vec() });
        assert_eq!(Edit::from_vcf(10, "A", "ATT"), Edit { start: 10, ref_len: 0, alt: b"TT".to_vec() });
        assert_eq!(Edit::from_vcf(10, "ACG", "A"), Edit { start: 10, ref_len: 2, alt: vec![] });
        assert_eq!(Edit::from_vcf(10, "CAG", "CTG"), Edit { start: 10, ref_len: 1, alt: b"T".to_vec() });
    }

    #[test]
    fn indels_shift_only_their_side_of_the_tss() {
        // Window [100, 120), TSS 110.
        let refs = |v: &[Source]| v.iter().filter(|s| matches!(s, Source::Reference(_))).count();
        let del_right = Edit { start: 115, ref_len: 2, alt: vec![] };
        let v = realign(&del_right, 100, 20, 110).unwrap();
        assert_eq!(v[10], Source::Reference(110));
        assert_eq!(v[15], Source::Reference(117));
        assert_eq!(v[19], Source::Reference(121));
        assert_eq!(refs(&v), 20);
        let ins_left = Edit { start: 105, ref_len: 0, alt: b"AAA".to_vec() };
        let v = realign(&ins_left, 100, 20, 110).unwrap();
        assert_eq!(v[10], Source::Reference(110));
        assert_eq!(v[0], Source::Reference(103));
        assert_eq!(v[2], Source::Inserted { k: 0, anchor: 104 });
        let spans = Edit { start: 109, ref_len: 3, alt: vec![] };
        assert_eq!(realign(&spans, 100, 20, 110), Err(Unscorable::SpansTss));
        let edge = Edit { start: 99, ref_len: 2, alt: vec![] };
        assert_eq!(realign(&edge, 100, 20, 110), Err(Unscorable::CrossesWindowEdge));
    }
}
