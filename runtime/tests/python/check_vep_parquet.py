"""Reads vep.parquet with pyarrow and checks it against vep.tsv: the same columns in the same order with
the documented types, and every row equal (strings and integers exactly, floats as the TSV's float32
bit for bit, NA as null). Prints `rows N nulls N` on success; exits non-zero naming the first difference.

usage: check_vep_parquet.py DIR
"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TYPES = {
    "pos": pa.int64(), "tss_distance": pa.int64(),
    "ref_prediction": pa.float32(), "alt_prediction": pa.float32(), "delta": pa.float32(),
    "mask_ref": pa.float32(), "mask_alt": pa.float32(), "in_element": pa.bool_(),
}
OPTIONAL = {"mask_ref", "mask_alt", "in_element"}


def fail(msg):
    sys.exit(f"vep.parquet: {msg}")


def expected(col, text):
    if col in OPTIONAL and text == "NA":
        return None
    t = TYPES.get(col, pa.string())
    if t == pa.int64():
        return int(text)
    if t == pa.float32():
        return np.float32(text)
    if t == pa.bool_():
        return {"true": True, "false": False}[text]
    return text


def main(d):
    lines = open(f"{d}/vep.tsv").read().splitlines()
    header, rows = lines[0].split("\t"), [l.split("\t") for l in lines[1:]]
    table = pq.read_table(f"{d}/vep.parquet")
    if table.schema.names != header:
        fail(f"columns {table.schema.names} != vep.tsv's {header}")
    for field in table.schema:
        want = TYPES.get(field.name, pa.string())
        if field.type != want or field.nullable != (field.name in OPTIONAL):
            fail(f"column {field.name}: {field.type} nullable={field.nullable}, want {want}")
    if table.num_rows != len(rows):
        fail(f"{table.num_rows} rows, vep.tsv has {len(rows)}")
    cols = {name: table.column(name).to_pylist() for name in header}
    nulls = 0
    for i, row in enumerate(rows):
        for name, text in zip(header, row):
            got, want = cols[name][i], expected(name, text)
            nulls += got is None
            if isinstance(want, np.float32):
                same = got is not None and np.float32(got).tobytes() == want.tobytes()
            else:
                same = got == want
            if not same:
                fail(f"row {i + 2}, column {name}: {got!r}, vep.tsv says {text!r}")
    print(f"rows {len(rows)} nulls {nulls}")


main(sys.argv[1])
