"""Checks mask.bw (pyBigWig) against masks.h5 (h5py): every base covered by some gene's window holds the
max of the overlapping masks to within quantum/2, and bases covered by no window have no value.
Usage: check_mask_bigwig.py masks.h5 mask.bw QUANTUM; prints a JSON summary."""
import json
import sys

import h5py
import numpy as np
import pyBigWig

masks_path, bw_path, quantum = sys.argv[1], sys.argv[2], float(sys.argv[3])
with h5py.File(masks_path, "r") as f:
    chroms = [c.decode() if isinstance(c, bytes) else c for c in f["chrom"][:]]
    starts = f["start"][:].astype(np.int64)
    masks = f["mask"][:]
window = masks.shape[1]
bw = pyBigWig.open(bw_path)
sizes = bw.chroms()
checked = overlap = mismatches = 0
max_err = 0.0
for chrom in sorted(set(chroms)):
    size = sizes[chrom]
    expected = np.full(size, np.nan, dtype=np.float64)
    count = np.zeros(size, dtype=np.int64)
    for r in (i for i, c in enumerate(chroms) if c == chrom):
        a, b = max(starts[r], 0), min(starts[r] + window, size)
        if b <= a:
            continue
        vals = masks[r, a - starts[r]:b - starts[r]].astype(np.float64)
        expected[a:b] = np.fmax(expected[a:b], vals)
        count[a:b] += 1
    got = np.array(bw.values(chrom, 0, size), dtype=np.float64)
    covered = count > 0
    mismatches += int(np.sum(covered != ~np.isnan(got)))
    both = covered & ~np.isnan(got)
    if both.any():
        max_err = max(max_err, float(np.max(np.abs(got[both] - expected[both]))))
    checked += int(both.sum())
    overlap += int(np.sum(count > 1))
print(json.dumps({"checked_bases": checked, "overlap_bases": overlap, "coverage_mismatches": mismatches, "max_abs_error": max_err, "quantum": quantum}))
