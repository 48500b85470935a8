"""Checks and runs a seq2exp ONNX file with stock onnx/onnxruntime (no seq2exp code).

usage: run_portable.py MODEL DIR BATCH WINDOW CHANNELS NFEATURES [--structural-only]
DIR holds dna.bin (uint8), signals.bin, features.bin (float32), blacklist.bin (uint8), raw row-major.
Writes DIR/expression.bin and, if the model has a mask output, DIR/mask.bin (float32).
With --structural-only (the fast flavour, whose custom op stock onnxruntime lacks) it only runs
onnx.checker.check_model without the full check; otherwise full_check=True and a run.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, d = sys.argv[1], sys.argv[2]
b, l, c, nf = (int(x) for x in sys.argv[3:7])
m = onnx.load(model_path)
if "--structural-only" in sys.argv:
    onnx.checker.check_model(m)
    print("structural check ok")
    sys.exit(0)
onnx.checker.check_model(m, full_check=True)
meta = {p.key: p.value for p in m.metadata_props}
assert meta["seq2exp.format"] == "seq2exp-onnx", meta
sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
feeds = {
    "dna": np.fromfile(os.path.join(d, "dna.bin"), dtype=np.uint8).reshape(b, l),
    "signals": np.fromfile(os.path.join(d, "signals.bin"), dtype=np.float32).reshape(b, l, c),
    "features": np.fromfile(os.path.join(d, "features.bin"), dtype=np.float32).reshape(b, nf),
    "blacklist": np.fromfile(os.path.join(d, "blacklist.bin"), dtype=np.uint8).reshape(b, l),
}
names = [o.name for o in sess.get_outputs()]
outs = dict(zip(names, sess.run(names, feeds)))
outs["expression"].astype(np.float32).tofile(os.path.join(d, "expression.bin"))
if "mask" in outs:
    outs["mask"].astype(np.float32).tofile(os.path.join(d, "mask.bin"))
print("full check ok; ran", names)
