#!/usr/bin/env python3
"""Reference pipeline for `data-prep bench`: the same windows built the obvious Python way
(pyfaidx + pyBigWig + h5py), written with the same chunking and LZF compression.

Usage: python_reference.py GENES.tsv GENOME.fa TRACK=BW [TRACK=BW ...] WINDOW OUT.h5
GENES.tsv: chrom, tss (0-based) per line. Prints one JSON line: genes, seconds, peak_rss_bytes.
It does DNA and bigWig tracks (not Hi-C), so it does less work than `data-prep build`.
"""
import json
import resource
import sys
import time

import h5py
import numpy as np
import pyBigWig
import pyfaidx

CODES = np.full(256, 4, dtype=np.uint8)
for i, b in enumerate(b"ACGT"):
    CODES[b] = i
    CODES[b + 32] = i  # lower case


def main():
    genes_tsv, fasta, *tracks, window, out = sys.argv[1:]
    window = int(window)
    genes = [(c, int(t)) for c, t in (line.split()[:2] for line in open(genes_tsv))]
    t0 = time.perf_counter()
    fa = pyfaidx.Fasta(fasta, as_raw=True, sequence_always_upper=False)
    bws = [pyBigWig.open(path.split("=", 1)[1]) for path in tracks]
    with h5py.File(out, "w") as f:
        dna = f.create_dataset("dna", (len(genes), window), dtype="u1", chunks=(1, window), compression="lzf")
        sig = f.create_dataset("signals", (len(genes), len(bws), window), dtype="f4",
                               chunks=(1, len(bws), window), compression="lzf", shuffle=True)
        for i, (chrom, tss) in enumerate(genes):
            start, end = tss - window // 2, tss + window // 2
            clen = len(fa[chrom])
            lo, hi = max(start, 0), min(end, clen)
            seq = np.full(window, ord("N"), dtype=np.uint8)
            seq[lo - start:hi - start] = np.frombuffer(fa[chrom][lo:hi].encode(), dtype=np.uint8)
            dna[i] = CODES[seq]
            rows = np.zeros((len(bws), window), dtype=np.float32)
            for k, bw in enumerate(bws):
                if chrom in bw.chroms():
                    blen = bw.chroms()[chrom]
                    b0, b1 = max(start, 0), min(end, blen)
                    rows[k, b0 - start:b1 - start] = np.nan_to_num(np.array(bw.values(chrom, b0, b1), dtype=np.float32))
            sig[i] = rows
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"genes": len(genes), "seconds": seconds, "peak_rss_bytes": rss}))


if __name__ == "__main__":
    main()
