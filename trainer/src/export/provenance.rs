//! The `seq2exp.provenance` metadata: where an exported model came from.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::train::TrainState;

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (H. Hinnant).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

pub fn provenance(run: &Path, checkpoint: &Path, state: &TrainState) -> anyhow::Result<String> {
    let bytes = std::fs::read(checkpoint)?;
    let run_abs = std::fs::canonicalize(run).unwrap_or_else(|_| run.to_path_buf());
    Ok(serde_json::json!({
        "run_dir": run_abs.display().to_string(),
        "checkpoint": checkpoint.file_name().map(|n| n.to_string_lossy().into_owned()),
        "checkpoint_sha256": hex::encode(Sha256::digest(&bytes)),
        "step": state.step,
        "best_step": state.best_step,
        "best_valid_mse": state.best_valid_mse,
        "trainer_version": concat!("seq2exp-trainer ", env!("CARGO_PKG_VERSION")),
        "command": seq2exp_cli_util::command_line(),
        "date": utc_now(),
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil(0), (1970, 1, 1));
        assert_eq!(super::civil(19_782), (2024, 2, 29));
        assert_eq!(super::civil(-1), (1969, 12, 31));
    }
}
