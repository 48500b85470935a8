//! Reversal of the positions of a `[rows, L]` tensor (BiMamba's reverse direction): one parallel
//! pass, where ONNX `Slice` with step −1 copies element by element.

use rayon::prelude::*;

use crate::scan::dims::check;
use crate::scan::ScanError;

/// y[r, t] = x[r, L − 1 − t].
pub fn flip_positions<T: Copy + Send + Sync>(len: usize, x: &[T], y: &mut [T]) -> Result<(), ScanError> {
    check("y", y.len(), x.len())?;
    if len == 0 {
        return Ok(());
    }
    check("x (a whole number of rows)", x.len() % len, 0)?;
    y.par_chunks_mut(len).zip(x.par_chunks(len)).for_each(|(y, x)| {
        for (o, &v) in y.iter_mut().zip(x.iter().rev()) {
            *o = v;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverses_each_row() {
        let x: Vec<i32> = (0..12).collect();
        let mut y = vec![0; 12];
        flip_positions(4, &x, &mut y).unwrap();
        assert_eq!(y, [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]);
        assert!(flip_positions(5, &x, &mut y).is_err());
        assert!(flip_positions(4, &x, &mut y[..8]).is_err());
    }
}
