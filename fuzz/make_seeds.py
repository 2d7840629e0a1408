"""Writes the seed corpora of the fuzz targets into a build folder (never into
the repository): real models from ../shared/models and examples/, small
synthetic ONNX graphs (one per op family), small Keras files, configurations
and event tables.

    .venv/bin/python fuzz/make_seeds.py OUT_DIR

OUT_DIR/<target>/ gets one file per seed; existing files are overwritten.
Needs numpy and onnx (tests/requirements.txt); Keras seeds are written when
keras imports (skipped with a note otherwise).
"""
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "models"
MAX_SEED = 300_000  # bytes: larger real models only slow the fuzzer down


def model(nodes, inits, in_shape, out_shape=None, opset=13, qonnx=False):
    """A ModelProto with input x [N, *in_shape], output y, and the given initializers."""
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    ops = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("qonnx.custom_op.general", 1)] if qonnx else [])
    m = helper.make_model(g, opset_imports=ops)
    m.ir_version = 8
    return m


def quant(x, y, bits, name):
    """A QONNX Quant of x (scale 2^-3, signed, bits) and its constant inputs."""
    return (helper.make_node("Quant", [x, "s", "z", f"b{bits}"], [y], name=name, domain="qonnx.custom_op.general",
                             signed=1, narrow=0, rounding_mode="ROUND"),
            {"s": np.array(0.125, np.float32), "z": np.array(0.0, np.float32), f"b{bits}": np.array(bits, np.float32)})


def synthetic_onnx():
    """Small graphs covering the op families the frontend reads."""
    r = np.random.default_rng(1)
    f = lambda *s: r.normal(0, 0.5, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    cases = {}
    cases["gemm_relu_softmax"] = model(
        [helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["a"]),
         helper.make_node("Softmax", ["a"], ["y"], axis=-1)], {"w": f(4, 6), "b": f(4)}, [6])
    cases["matmul_add_sigmoid"] = model(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["a"]),
         helper.make_node("Sigmoid", ["a"], ["y"])], {"w": f(6, 3), "b": f(3)}, [6])
    cases["conv_maxpool_flatten"] = model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[1, 1]),
         helper.make_node("Relu", ["c"], ["r"]), helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Flatten", ["p"], ["y"], axis=1)], {"w": f(2, 1, 3, 3), "b": f(2)}, [1, 4, 4])
    cases["avgpool_pad_resize"] = model(
        [helper.make_node("Pad", ["x", "p"], ["pd"], mode="constant"),
         helper.make_node("AveragePool", ["pd"], ["a"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Resize", ["a", "", "sc"], ["y"], mode="nearest")],
        {"p": i64(0, 0, 1, 1, 0, 0, 1, 1), "sc": np.array([1, 1, 2, 2], np.float32)}, [2, 4, 4])
    cases["reshape_transpose_gather_concat"] = model(
        [helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
         helper.make_node("Gather", ["t", "idx"], ["g"], axis=2), helper.make_node("Flatten", ["g"], ["fl"], axis=1),
         helper.make_node("Concat", ["fl", "fl"], ["y"], axis=1)], {"shape": i64(-1, 2, 3), "idx": i64(1, 0)}, [6])
    cases["batchnorm_leakyrelu"] = model(
        [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["n"], epsilon=1e-3),
         helper.make_node("LeakyRelu", ["n"], ["y"], alpha=0.125)],
        {"g": f(6) + 1, "b": f(6), "m": f(6), "v": np.abs(f(6)) + 0.5}, [6])
    cases["unsqueeze_reducesum_squeeze"] = model(
        [helper.make_node("Unsqueeze", ["x", "a1"], ["u"]), helper.make_node("ReduceSum", ["u", "a2"], ["s"], keepdims=1),
         helper.make_node("Squeeze", ["s", "a2"], ["y"])], {"a1": i64(1), "a2": i64(2)}, [6])
    q0, qi0 = quant("x", "xq", 4, "qin")
    q1, qi1 = quant("w", "wq", 3, "qw")
    q2, qi2 = quant("h", "y", 6, "qout")
    cases["qonnx_dense"] = model([q0, q1, helper.make_node("MatMul", ["xq", "wq"], ["h"]), q2],
                                 {**qi0, **qi1, **qi2, "w": f(6, 4)}, [6], qonnx=True)
    q3, qi3 = quant("c", "y", 6, "qc")
    cases["qonnx_conv"] = model([q0, helper.make_node("Conv", ["xq", "w"], ["c"], group=1), q3],
                                {**qi0, **qi3, "w": np.round(f(2, 1, 2, 2) * 8) / 8}, [1, 3, 3], qonnx=True)
    bn = {"g": f(4) + 1, "bb": f(4), "m": f(4), "v": np.abs(f(4)) + 0.5}
    fs = lambda i, o, s, name: helper.make_node("Quant", [i, s, "z", "b4"], [o], name=name, domain="qonnx.custom_op.general",
                                               signed=1, narrow=0, rounding_mode="ROUND")
    cases["qonnx_float_scale_batchnorm"] = model(  # float scales + BatchNorm: the Threshold path (absorb_scales)
        [fs("x", "xq", "s3", "qin"), fs("w", "wq", "s7", "qw"), helper.make_node("MatMul", ["xq", "wq"], ["h"]),
         helper.make_node("BatchNormalization", ["h", "g", "bb", "m", "v"], ["n"]), helper.make_node("Relu", ["n"], ["r"]),
         fs("r", "y", "s7", "qout")],
        {**bn, "w": f(6, 4), "s3": np.array(0.3, np.float32), "s7": np.array(0.7, np.float32),
         "z": np.array(0.0, np.float32), "b4": np.array(4.0, np.float32)}, [6], qonnx=True)
    return cases


def copy_real(out, patterns):
    for pattern in patterns:
        for p in sorted(list(MODELS.glob(pattern)) + list((ROOT / "examples").glob(pattern))):
            if p.stat().st_size <= MAX_SEED:
                shutil.copy(p, out / p.name)


def keras_seeds(out):
    try:
        import os
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras
    except Exception as e:  # noqa: BLE001 - any import failure only drops these seeds
        print(f"make_seeds: keras not importable ({e}); real .keras seeds only")
        return
    keras.utils.set_random_seed(1)
    dense = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(3), keras.layers.Softmax()])
    conv = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(2)])
    for name, m in (("dense", dense), ("conv", conv)):
        m.save(out / f"{name}.keras")
        reproducible(out / f"{name}.keras")
        m.save(out / f"{name}.h5")


def reproducible(path):
    """Rewrites a .keras zip without what changes from run to run: the
    entries' modification times, metadata.json's date_saved, config.json's
    shared_object_id (Python object addresses; renumbered 1, 2, ... in order
    of appearance, so that shared objects stay shared). The same seeds on
    every run keep CI's fixed-run fuzz stage (scripts/fuzz.sh ci) reproducible."""
    ids = {}

    def renumber(v):
        if isinstance(v, dict):
            return {k: ids.setdefault(x, len(ids) + 1) if k == "shared_object_id" else renumber(x) for k, x in v.items()}
        return [renumber(x) for x in v] if isinstance(v, list) else v

    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, i.compress_type, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for name, compression, data in entries:
            if name == "metadata.json":
                meta = json.loads(data)
                meta.pop("date_saved", None)
                data = json.dumps(meta).encode()
            elif name == "config.json":
                data = json.dumps(renumber(json.loads(data))).encode()
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=compression)


def configs(out):
    digits = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
              "LayerName": {"Gemm_0": {"Precision": {"accum": "fixed<20,8>", "result": "auto"}}}}
    jet = {"Model": {"Precision": {"default": "fixed<16,6>", "result": "auto"}},
           "LayerType": {"Dense": {"Precision": {"weight": "fixed<8,2>", "bias": "fixed<8,2>"}}},
           "LayerName": {"Relu": {"Precision": {"result": "ufixed<8,4,RND,SAT>"}}},
           "Part": "xcvu13p-flga2577-2-e", "ClockPeriod": 5, "IOType": "io_parallel"}
    hls4ml = {"HLSConfig": jet, "ProjectName": "myproject", "OutputDir": "prj"}
    yaml_text = ("Model:\n  Precision: &p fixed<12,4>\n  ReuseFactor: 1\nLayerName:\n"
                 "  Gemm_1:\n    Precision:\n      result: *p\n")
    # byte 0: bit 0 = YAML, bit 1 = the jet model (fuzz_config.cpp)
    for name, lead, text in (("digits.json", 0, json.dumps(digits)), ("jet.json", 2, json.dumps(jet)),
                             ("hls4ml.json", 2, json.dumps(hls4ml)), ("digits.yaml", 1, yaml_text),
                             ("jet.yaml", 3, "Model:\n  Precision: fixed<10,3,RND_CONV,SAT>\n")):
        (out / name).write_bytes(bytes([lead]) + text.encode())


def tables(out):
    # byte 0: bit 0 = .npy (fuzz_table.cpp)
    def npy(name, a):
        buf = io.BytesIO()
        np.save(buf, a)
        (out / name).write_bytes(b"\x01" + buf.getvalue())

    digits = np.load(ROOT / "examples" / "default" / "digits_test_inputs.npy")
    npy("digits4.npy", digits[:4])
    npy("digits_f32.npy", digits[:2].astype(np.float32))
    npy("int8_3d.npy", np.arange(24, dtype=np.int8).reshape(2, 3, 4))
    npy("fortran.npy", np.asfortranarray(digits[:3]))
    npy("scalar.npy", np.array(1.5))
    (out / "digits2.csv").write_bytes(b"\x00" + "\n".join(",".join(f"{v:g}" for v in row) for row in digits[:2]).encode())
    (out / "header.csv").write_bytes(b"\x00a,b,\"c,d\"\n1,2,3\r\n-1.5e-3,+2,.5\n")
    for p in (MODELS / "toycar_ad" / "anomaly_score_ToyCar_id_01.csv", MODELS / "axol1tl" / "vectors" / "axol1tl_inputs.csv"):
        lines = p.read_bytes().splitlines(keepends=True)[:4]
        (out / p.name).write_bytes(b"\x00" + b"".join(lines))


def main():
    out = Path(sys.argv[1])
    dirs = {t: out / t for t in ("fuzz_onnx", "fuzz_onnx_structured", "fuzz_keras", "fuzz_config", "fuzz_table")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    copy_real(dirs["fuzz_onnx"], ["**/*.onnx"])
    for name, m in synthetic_onnx().items():
        onnx.save(m, dirs["fuzz_onnx"] / f"{name}.onnx")
    for p in dirs["fuzz_onnx"].iterdir():
        shutil.copy(p, dirs["fuzz_onnx_structured"] / p.name)
    copy_real(dirs["fuzz_keras"], ["**/*.keras", "**/*.h5"])
    keras_seeds(dirs["fuzz_keras"])
    configs(dirs["fuzz_config"])
    tables(dirs["fuzz_table"])
    for t, d in dirs.items():
        print(f"make_seeds: {d}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
