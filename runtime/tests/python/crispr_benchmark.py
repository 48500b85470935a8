"""Independent check of `runtime eval-links` on CRISPR_comparison's worked example.

Written from the R workflow (EngreitzLab/CRISPR_comparison, workflow/scripts), stdlib + numpy only:

- loadExpt / qcExperiment(remove_na_pos=TRUE): Regulated NA rows dropped;
- filterExptGeneUniverse: pairs whose measuredGeneSymbol is not a gene of the TSS universe dropped
  (a merge by gene, so a gene listed k times would repeat its pairs k times);
- filterPredictionsTSS: unique (chr, start, end, name) elements as GRanges with 0-based starts, TSS
  regions likewise; elements overlapping any TSS dropped; prediction rows kept by element name;
- fill_pred_na, map_cell_type (unmapped cell types kept), cell types not in the screen dropped;
- combineSingleExptPred: GRanges seqnames "CellType:chrom:gene", IRanges(chromStart, chromEnd) and
  IRanges(start, end) (closed, no 0-based conversion), findOverlaps; aggregate per pair and
  PredictionCellType; unmatched pairs get fill_value;
- processMergedData: ValidConnection == "TRUE";
- calcPRCurves (ROCR prediction/performance prec vs rec) + computePerfGivenSensitivity (0.7);
- calculate_performance_one_pred (yardstick pr_curve, head(-1)[-1, ]) + calculate_auprc (head(-1),
  caTools::trapz) + calculate_performance_at_threshold.

Usage: crispr_benchmark.py PRED EXPT CELL_MAP TSS_BED PRED_COL AGG FILL  -> prints JSON.
"""

import csv
import gzip
import json
import sys

import numpy as np


def open_text(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", newline="")
    return open(path, "r", newline="")


def read_tsv(path):
    with open_text(path) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if r]


def r_logical(x):
    return {"TRUE": True, "FALSE": False, "NA": None, "": None}[x]


def main():
    pred_path, expt_path, map_path, tss_path, pred_col, agg, fill = sys.argv[1:8]
    fill = float(fill)
    agg_fn = {"sum": sum, "max": max, "mean": lambda v: sum(v) / len(v)}[agg]

    # experiment
    expt = read_tsv(expt_path)
    expt = [e for e in expt if r_logical(e["Regulated"]) is not None]

    # TSS universe: chrTSS startTSS endTSS gene score strand (first 6 columns; header row skipped)
    tss = []
    with open_text(tss_path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            c = line.rstrip("\n").split("\t")
            tss.append((c[0], int(c[1]), int(c[2]), c[3]))
    gene_count = {}
    for t in tss:
        gene_count[t[3]] = gene_count.get(t[3], 0) + 1
    expt = [e for e in expt for _ in range(gene_count.get(e["measuredGeneSymbol"], 0))]

    # predictions
    preds = read_tsv(pred_path)
    for p in preds:
        v = p[pred_col]
        p["score"] = fill if v in ("NA", "") else float(v)
        p["start_i"], p["end_i"] = int(p["start"]), int(p["end"])

    # TSS filter: GRanges with 0-based starts -> closed [start + 1, end]
    tss_by_chr = {}
    for c, s, e, _ in tss:
        tss_by_chr.setdefault(c, []).append((s + 1, e))
    for c in tss_by_chr:
        tss_by_chr[c].sort()
    tss_arrays = {
        c: (np.array([a for a, _ in v]), np.maximum.accumulate(np.array([b for _, b in v])))
        for c, v in tss_by_chr.items()
    }
    elements = {}
    for p in preds:
        elements[(p["chr"], p["start_i"], p["end_i"], p["name"])] = True
    kept_names = set()
    n_removed = 0
    for (c, s, e, name) in elements:
        a, b = s + 1, e
        hit = False
        if c in tss_arrays:
            starts, max_end = tss_arrays[c]
            k = np.searchsorted(starts, b, side="right")  # TSS with start <= b
            hit = k > 0 and max_end[k - 1] >= a
        if hit:
            n_removed += 1
        else:
            kept_names.add(name)
    n_pred_before = len(preds)
    preds = [p for p in preds if p["name"] in kept_names]

    # cell type mapping
    with open_text(map_path) as f:
        lines = [l.split() for l in f if l.strip()]
    hdr = lines[0]
    ie, ip = hdr.index("experiment"), hdr.index("predictions")
    ct_map = {l[ip]: l[ie] for l in lines[1:]}
    expt_cts = set(e["CellType"] for e in expt)
    for p in preds:
        p["ExperimentCellType"] = ct_map.get(p["CellType"], p["CellType"])
    preds = [p for p in preds if p["ExperimentCellType"] in expt_cts]

    # overlap: same "CellType:chrom:gene", closed IRanges as given
    by_key = {}
    for p in preds:
        key = "%s:%s:%s" % (p["ExperimentCellType"], p["chr"], p["TargetGene"])
        by_key.setdefault(key, []).append(p)
    merged = []
    for e in expt:
        key = "%s:%s:%s" % (e["CellType"], e["chrom"], e["measuredGeneSymbol"])
        cs, ce = int(e["chromStart"]), int(e["chromEnd"])
        groups = {}
        for p in by_key.get(key, []):
            if cs <= p["end_i"] and p["start_i"] <= ce:
                groups.setdefault(p["CellType"], []).append(p["score"])
        if groups:
            for v in groups.values():
                merged.append((e, agg_fn(v), 1))
        else:
            merged.append((e, fill, 0))

    # ValidConnection == "TRUE"
    merged = [m for m in merged if m[0]["ValidConnection"] == "TRUE"]
    scores = np.array([m[1] for m in merged], dtype=float)
    labels = np.array([r_logical(m[0]["Regulated"]) for m in merged], dtype=bool)

    # ROCR: cutoffs = Inf + unique predictions decreasing, counts of pred >= cutoff
    order = np.argsort(-scores, kind="stable")
    s_sorted, l_sorted = scores[order], labels[order]
    tp_cum, fp_cum = np.cumsum(l_sorted), np.cumsum(~l_sorted)
    last_of_run = np.append(s_sorted[1:] != s_sorted[:-1], True)
    cut = s_sorted[last_of_run]
    tp, fp = tp_cum[last_of_run].astype(float), fp_cum[last_of_run].astype(float)
    n_pos = labels.sum()
    rocr_alpha = np.concatenate([[np.inf], cut])
    rocr_prec = np.concatenate([[np.nan], tp / (tp + fp)])
    rocr_rec = np.concatenate([[0.0], tp / n_pos])

    # computePerfGivenSensitivity
    cutoff_sens = rocr_rec[rocr_rec >= 0.7].min()
    idx = np.where(rocr_rec == cutoff_sens)[0]
    idx2 = idx[np.nanargmax(rocr_prec[idx])]
    alpha_min_sens = rocr_alpha[idx2]

    # yardstick pr_curve: Inf/recall 0/precision 1 row, then unique thresholds
    y_thr = np.concatenate([[np.inf], cut])
    y_rec = np.concatenate([[0.0], tp / tp[-1]])
    y_prec = np.concatenate([[1.0], tp / (tp + fp)])
    # head(pr, -1)[-1, ]
    y_thr, y_rec, y_prec = y_thr[1:-1], y_rec[1:-1], y_prec[1:-1]
    # precision at threshold: idx = sum(alpha >= threshold)
    k = int(np.sum(y_thr >= alpha_min_sens))
    prec_min_sens = float(y_prec[k - 1])
    rec_min_sens = float(y_rec[k - 1])
    # calculate_auprc: head(pr, -1), caTools::trapz
    x, y = y_rec[:-1], y_prec[:-1]
    auprc = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])) / 2.0)

    print(json.dumps({
        "auprc": auprc,
        "precision_at_recall_0.7": prec_min_sens,
        "recall_at_recall_0.7": rec_min_sens,
        "threshold_at_recall_0.7": float(alpha_min_sens),
        "pairs": int(len(merged)),
        "positives": int(n_pos),
        "matched_pairs": int(sum(m[2] for m in merged)),
        "dropped_tss_elements": n_removed,
        "dropped_tss_predictions": n_pred_before - len(preds),
    }))


if __name__ == "__main__":
    main()
