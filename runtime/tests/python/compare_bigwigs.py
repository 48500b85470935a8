"""Compares two bigWigs base by base (pyBigWig): the same chromosomes and sizes, and at every base the
same value or both without one. Usage: compare_bigwigs.py A.bw B.bw; prints a JSON summary."""
import json
import math
import sys

import pyBigWig

a, b = pyBigWig.open(sys.argv[1]), pyBigWig.open(sys.argv[2])
same_chroms = a.chroms() == b.chroms()
bases = covered = mismatches = 0
for chrom, size in a.chroms().items():
    if chrom not in b.chroms():
        continue
    va, vb = a.values(chrom, 0, size), b.values(chrom, 0, size)
    for x, y in zip(va, vb):
        bases += 1
        nx, ny = math.isnan(x), math.isnan(y)
        if nx != ny or (not nx and x != y):
            mismatches += 1
        covered += not nx
same_intervals = all(a.intervals(c) == b.intervals(c) for c in a.chroms() if c in b.chroms())
print(json.dumps({"same_chroms": same_chroms, "bases": bases, "covered_bases": covered,
                  "mismatches": mismatches, "same_intervals": same_intervals}))
