# Sourced by demo.sh and results.sh: the simulated benchmark both train on, made once per OUT.
#   genome: 23 chromosomes × 16 genes; 1–2 causal elements per gene (an 8-mer planted 6 times) within
#           ±4 kb of the TSS, one open decoy (accessible, no motif) and one motif decoy (motif, closed);
#   store:  WINDOW-bp windows around each TSS.
# Needs BIN (the release binaries), OUT and WINDOW; writes OUT/sim.json, OUT/sim/ and OUT/store.h5,
# reusing any that exist.
benchmark() {
  local S=$OUT/sim
  if [ ! -f "$S/manifest.json" ]; then
    cat >"$OUT/sim.json" <<JSON
{"seed": 11, "genes_per_chrom": 16, "gene_spacing": 20000, "design_window": $WINDOW, "effect_range": 4000,
 "causal_per_gene": [1, 2], "open_decoys_per_gene": 1, "motif_decoys_per_gene": 1, "motif_length": 8,
 "motif_copies": 6}
JSON
    "$BIN/data-prep" simulate --config "$OUT/sim.json" --out "$S" --overwrite
  else
    echo "reusing $S" >&2
  fi
  if [ ! -f "$OUT/store.h5" ]; then
    "$BIN/data-prep" build --fasta "$S/genome.fa" --genes "$S/genes.gtf" \
      --bigwig "h3k27ac=$S/h3k27ac.bw" --bigwig "dnase=$S/dnase.bw" --hic "$S/contacts.mcool::resolutions/5000" \
      --expression "$S/expression.csv" --id-col ENSID --value-col 'K562_CAGE_128*3_sum' \
      --features "$S/features.csv" --blacklist "$S/blacklist.bed" --window "$WINDOW" --genome-build sim \
      --out "$OUT/store.h5"
  else
    echo "reusing $OUT/store.h5" >&2
  fi
}
