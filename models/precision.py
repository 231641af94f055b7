"""Convert the default model (models/default/model.onnx, fp32) into three of the other precisions
that the Hugging Face Hub's ONNX repos ship next to model.onnx, for lmscope's precision tests:

- test/fixtures/precision/model_fp16.onnx: what Optimum / transformers.js `model_fp16.onnx` files
  look like. Every float initializer and Constant is float16, the float graph inputs and outputs
  (past_key_values.*, logits, present.*) are float16, the integer inputs (input_ids,
  attention_mask, position_ids) are unchanged, Cast-to-float nodes are retargeted to float16 and
  value_info types are converted. Node and tensor names are those of model.onnx. Constants beyond
  the float16 range are clamped to +-65504 (the attention mask's -3.4e38 becomes -65504, not
  -inf). No op had to be pinned to fp32: ONNX Runtime's CPU provider runs the fp16 ops it has no
  fp16 kernel for in fp32 by itself, inserting Casts around them (onnxruntime-node 1.31: MatMul,
  Add, Mul, Div, Erf, Where, Softmax and 5 of the 9 LayerNormalizations compute in fp32; the
  Gathers, ln_1 LayerNormalizations and the reshaping ops run in fp16; the tensors between those
  regions, e.g. the residual stream, q/k/v, present.* and logits, are rounded to fp16).
- test/fixtures/precision/model_quantized.onnx: what ONNX Runtime's `quantize_dynamic` writes (the
  transformers.js `model_quantized.onnx` files): weights constant-folded first (the export keeps
  `Transpose(weight)` nodes; ORT's recommended pre-processing folds them and the folded tensor
  keeps the Transpose output's name), then every MatMul whose B is a 2-D float initializer becomes
      x -> DynamicQuantizeLinear `<x>_QuantizeLinear` -> `<x>_quantized` (uint8), `<x>_scale`,
           `<x>_zero_point`
      MatMulInteger `<node>_quant`(`<x>_quantized`, `<w>_quantized`, `<x>_zero_point`,
           `<w>_zero_point`) -> `<Y>_output_quantized` (int32)
      Cast `<Y>_output_quantized_cast` (to float) -> `<Y>_output_quantized_cast_output`
      Mul `<node>_quant_scales_mul`(`<x>_scale`, `<w>_scale`) -> `<node>_quant_scales_mul:0`
      Mul `<node>_quant_output_scale_mul` -> `<Y>` (the original MatMul output)
  with the weight quantized offline per tensor to int8, symmetric (zero point 0, scale
  max|w| / 127), as quantize_dynamic does with its defaults (QInt8 weights, no per-channel, no
  reduce_range). Activation x activation MatMuls (Q.K^T, probabilities.V) and the embedding Gather
  stay float; graph I/O stays fp32. Unused float weights are removed (wte stays: the Gather uses it).
- test/fixtures/precision/model_q4.onnx: what ONNX Runtime's MatMulNBitsQuantizer (formerly
  MatMul4BitsQuantizer, onnxruntime/python/tools/quantization/matmul_nbits_quantizer.py, "DEFAULT"
  algorithm, QOperator format) writes with the settings of its command line and of transformers.js'
  `model_q4.onnx` (scripts/quantize.py: block_size 32, is_symmetric True, no accuracy_level).
  The same Transpose folding as above, then every MatMul whose B is a 2-D float initializer [K, N]
  becomes
      com.microsoft MatMulNBits `<node>_Q4`(A, `<w>_Q4` uint8 [N, K/32, 16], `<w>_scales` float
          [N * K/32]) -> the original MatMul output;  attributes K, N, bits=4, block_size=32
  e.g. /model/h.0/mlp/c_proj/MatMul_Q4(/model/h.0/mlp/act/Mul_1_output_0,
  /model/h.0/mlp/c_proj/Transpose_output_0_Q4 [128, 16, 16], ..._scales [2048]), K=512, N=128.
  Symmetric: no zero_points input (MatMulNBits then uses 8); the asymmetric form (symmetric=False)
  adds `<w>_zero_points` uint8 [N * ceil(K/32 / 2)]. The quantization math and the nibble order are
  those of the C++ kernel the quantizer calls (MLAS BlockwiseQuantizer::quantizeAndTranspose), see
  quantize_block_q4. The opset imports gain com.microsoft 1; node names, value names, the
  embedding Gather (float), the activation x activation MatMuls and fp32 graph I/O are unchanged.

Neither Optimum's fp16 conversion (onnxconverter-common) nor onnxruntime's Python quantizer is
installable here, so the conversions are written with the `onnx` package alone.

    /usr/bin/python3 models/precision.py

Measured with onnxruntime-node 1.31 (CPU) on golden prompt1 (10 tokens, empty past, mask ones,
positions 0..9), against model.onnx (which matches the PyTorch golden top-5 logits to 7e-6):
    fp16:  max |d logits| 9.1e-3 at the last position (1.1e-2 over all positions); max |d softmax|
           2.4e-4 last (1.2e-3 all); top-1 agrees at 10/10 positions. Prefix of 9 + 1 step with
           the fp16 presents as past vs its own full pass: identical (max |d| 0).
    int8:  max |d logits| 0.228 last (0.262 all); max |d softmax| 7.1e-3 last (1.3e-2 all); top-1
           agrees at 10/10. Prefix + 1 step vs its own full pass: 0.110 (expected: the dynamic
           activation scales depend on which tokens are in the call).
    q4:    max |d logits| 1.10 last (1.36 all); max |d softmax| 3.1e-2 last (9.2e-2 all); top-1
           agrees at 10/10 (and equals the golden top-1 at 10/10). The 17 dequantized weights
           (dequantize_block_q4) differ from the fp32 ones by at most 0.068 (lm_head, max |w| 0.67;
           0.029 at most in the blocks; mean 0.002-0.0075), always within one quantization step;
           ORT's MatMulNBits(identity, B) reproduces dequantize_block_q4 exactly (max |d| 0), and
           model.onnx with the dequantized weights swapped in matches model_q4.onnx to 1.1e-5, so
           the deltas above are all quantization error (swapping the nibbles gives top-1 0/10).
           Prefix of 9 + 1 step, and of 7 + 3 single steps, vs its own full pass: 6.7e-6 / 1.1e-5.
    sizes: model.onnx 4,341,731 bytes; model_fp16.onnx 2,197,947; model_quantized.onnx 2,261,869
           (the embedding stays fp32 for the Gather, 1 MB, next to its int8 transposed copy);
           model_q4.onnx 1,852,263 (the same fp32 embedding next to its 4-bit transposed copy).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "default", "model.onnx")
OUT = os.path.join(HERE, "..", "test", "fixtures", "precision")

FP16_MAX = float(np.finfo(np.float16).max)  # 65504


# ---------------------------------------------------------------------------------------------
# fp16
# ---------------------------------------------------------------------------------------------

def _fp16_array(arr):
    """float32 array -> float16, clamping finite values beyond the fp16 range to +-65504."""
    a = np.asarray(arr, dtype=np.float32)
    finite = np.isfinite(a)
    a = np.where(finite, np.clip(a, -FP16_MAX, FP16_MAX), a)
    return a.astype(np.float16)


def _fp16_tensor(t):
    """A float TensorProto converted to float16 in place of the original (same name)."""
    return numpy_helper.from_array(_fp16_array(numpy_helper.to_array(t)), t.name)


def _retype_value_info(vi):
    tt = vi.type.tensor_type
    if tt.elem_type == TensorProto.FLOAT:
        tt.elem_type = TensorProto.FLOAT16


def to_fp16(model):
    """An fp16 copy of a float32 model: initializers, Constants, float I/O, Casts, value_info."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph

    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(_fp16_tensor(t))

    for vi in list(g.input) + list(g.output) + list(g.value_info):
        _retype_value_info(vi)

    for node in g.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.FLOAT:
                # Constant's value, ConstantOfShape's value
                attr.t.CopyFrom(_fp16_tensor(attr.t))
            elif node.op_type == "Constant" and attr.name in ("value_float", "value_floats"):
                raise NotImplementedError("Constant with value_float(s): convert to a float16 tensor")
        if node.op_type == "Cast":
            for attr in node.attribute:
                if attr.name == "to" and attr.i == TensorProto.FLOAT:
                    attr.i = TensorProto.FLOAT16
        if node.op_type in ("RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                            "EyeLike", "Multinomial"):
            raise NotImplementedError(f"{node.op_type}: dtype attribute not handled")
    return m


# ---------------------------------------------------------------------------------------------
# int8 dynamic quantization (ORT quantize_dynamic, QOperator / IntegerOps form)
# ---------------------------------------------------------------------------------------------

def _consumers(graph):
    out = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            out.setdefault(name, []).append((node, i))
    return out


def fold_weight_transposes(model):
    """Constant-fold Transpose(initializer) nodes whose only consumers are MatMul B inputs.

    The folded initializer takes the Transpose output's name, as ORT's constant folding does."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    cons = _consumers(g)
    keep = []
    for node in g.node:
        if (node.op_type == "Transpose" and node.input[0] in inits
                and inits[node.input[0]].data_type == TensorProto.FLOAT
                and all(c.op_type == "MatMul" and i == 1 for c, i in cons.get(node.output[0], []))):
            perm = [a for a in node.attribute if a.name == "perm"]
            arr = numpy_helper.to_array(inits[node.input[0]])
            arr = np.transpose(arr, list(perm[0].ints) if perm else None)
            g.initializer.append(numpy_helper.from_array(np.ascontiguousarray(arr), node.output[0]))
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    _remove_unused_initializers(g)
    return m


def _remove_unused_initializers(g):
    used = {name for node in g.node for name in node.input} | {o.name for o in g.output}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)


def _quantize_weight_int8(w):
    """Per-tensor symmetric int8, as ORT quantize_data(symmetric=True, reduce_range=False)."""
    w = np.asarray(w, dtype=np.float32)
    absmax = max(abs(float(min(w.min(), 0.0))), abs(float(max(w.max(), 0.0))))
    qmin, qmax = -127, 127
    scale = np.float32((2 * absmax) / (qmax - qmin)) if absmax > 0 else np.float32(1.0)
    zero_point = np.int8(0)
    q = np.clip(np.round(w / scale) + zero_point, qmin, qmax).astype(np.int8)
    return q, scale, zero_point


def quantize_dynamic_int8(model):
    """MatMul(x, W) with W a 2-D float initializer -> DynamicQuantizeLinear + MatMulInteger + Cast
    + Mul, exactly as onnxruntime.quantization.quantize_dynamic names and wires them."""
    m = fold_weight_transposes(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes, new_inits = [], []
    activations = {}  # x -> (x_q, x_scale, x_zp): one DynamicQuantizeLinear per activation
    weights = {}      # w -> (w_q, w_scale, w_zp)

    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2:
            new_nodes.append(node)
            continue
        x, y = node.input[0], node.output[0]
        if x not in activations:
            activations[x] = (x + "_quantized", x + "_scale", x + "_zero_point")
            new_nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(activations[x]),
                                              x + "_QuantizeLinear"))
        if w.name not in weights:
            q, scale, zp = _quantize_weight_int8(numpy_helper.to_array(w))
            weights[w.name] = (w.name + "_quantized", w.name + "_scale", w.name + "_zero_point")
            new_inits.append(helper.make_tensor(w.name + "_scale", TensorProto.FLOAT, [], [float(scale)]))
            new_inits.append(helper.make_tensor(w.name + "_zero_point", TensorProto.INT8, [], [int(zp)]))
            new_inits.append(numpy_helper.from_array(q, w.name + "_quantized"))
        xq, xs, xz = activations[x]
        wq, ws, wz = weights[w.name]
        name = node.name + "_quant"
        mmi_out = y + "_output_quantized"
        new_nodes.append(helper.make_node("MatMulInteger", [xq, wq, xz, wz], [mmi_out], name))
        new_nodes.append(helper.make_node("Cast", [mmi_out], [mmi_out + "_cast_output"], mmi_out + "_cast",
                                          to=TensorProto.FLOAT))
        new_nodes.append(helper.make_node("Mul", [xs, ws], [name + "_scales_mul:0"], name + "_scales_mul"))
        new_nodes.append(helper.make_node("Mul", [mmi_out + "_cast_output", name + "_scales_mul:0"], [y],
                                          name + "_output_scale_mul"))

    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend(new_inits)
    _remove_unused_initializers(g)
    del g.value_info[:]
    m.producer_name = "onnx.quantize"  # what ORT's quantizer stamps
    m.producer_version = "0.1.0"
    return m


# ---------------------------------------------------------------------------------------------
# 4-bit block-wise weights (ORT MatMulNBitsQuantizer / MatMul4BitsQuantizer, "DEFAULT" algorithm)
# ---------------------------------------------------------------------------------------------

Q4_BLOCK_SIZE = 32      # the quantizer's CLI default and transformers.js' (`block_size or 32`)
Q4_SYMMETRIC = True     # the CLI default (--symmetric True) and transformers.js' (is_symmetric=True)


def _roundf(x):
    """C roundf: halves away from zero (numpy's round is half-to-even). x is float32."""
    x = np.asarray(x, dtype=np.float64)  # |x| + 0.5 is exact in float64 for float32 x
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_block_q4(w, block_size=Q4_BLOCK_SIZE, symmetric=Q4_SYMMETRIC):
    """A [K, N] float32 weight -> (packed uint8 [N, k_blocks, block_size/2], scales float32
    [N * k_blocks], zero_points uint8 [N * ceil(k_blocks/2)] or None), as MLAS'
    BlockwiseQuantizer<float, 32, 4, Columnwise=true>::quantizeAndTranspose computes them (the
    C++ kernel behind onnxruntime.capi._pybind_state.quantize_matmul_4bits):

    - a block is `block_size` consecutive rows (k) of one column (n);
    - symmetric: m = the block's min or max, whichever has the larger magnitude (max on ties),
      scale = -m / 8 (the larger half maps onto -8..0), q = clamp(roundf(w * (1/scale) + 8), 0, 15),
      no zero point input (MatMulNBits then uses 8);
    - asymmetric: min = min(min, 0), max = max(max, 0), scale = (max - min) / 15,
      zp = clamp(roundf(-min / scale), 0, 15), q = clamp(roundf(w * (1/scale) + zp), 0, 15);
    - scale 0 (an all-zero block) gives reciprocal 0, so every q is the zero point;
    - packing: byte i of a block holds row 2i in its low nibble and row 2i+1 in its high nibble;
      zero points are packed the same way, two consecutive blocks of a column per byte.
    All arithmetic in float32, as the kernel does it."""
    w = np.asarray(w, dtype=np.float32)
    K, N = w.shape
    assert block_size >= 16 and block_size & (block_size - 1) == 0, "MatMulNBits block_size: a power of 2, >= 16"
    k_blocks = (K + block_size - 1) // block_size
    blob = block_size // 2
    # [N, k_blocks, block_size]; padded rows are excluded from min/max and stored as 0 nibbles
    wt = np.zeros((N, k_blocks * block_size), dtype=np.float32)
    wt[:, :K] = w.T
    valid = np.zeros(k_blocks * block_size, dtype=bool)
    valid[:K] = True
    wt, valid = wt.reshape(N, k_blocks, block_size), valid.reshape(k_blocks, block_size)
    big = np.float32(np.finfo(np.float32).max)
    mn = np.where(valid, wt, big).min(axis=2)
    mx = np.where(valid, wt, -big).max(axis=2)
    if symmetric:
        m = np.where(np.abs(mx) > np.abs(mn), mx, mn)
        scale = (-m / np.float32(8.0)).astype(np.float32)
        zp = np.full((N, k_blocks), 8, dtype=np.uint8)
    else:
        mn, mx = np.minimum(mn, np.float32(0)), np.maximum(mx, np.float32(0))
        scale = ((mx - mn) / np.float32(15.0)).astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            zp_fp = np.where(scale != 0, np.float32(0) - mn / scale, mn).astype(np.float32)
        zp = np.clip(_roundf(zp_fp), 0, 15).astype(np.uint8)
    with np.errstate(divide="ignore"):
        recip = np.where(scale != 0, np.float32(1.0) / scale, np.float32(0)).astype(np.float32)
    x = (wt * recip[:, :, None]).astype(np.float32) + zp[:, :, None].astype(np.float32)
    q = np.clip(_roundf(x.astype(np.float32)), 0, 15).astype(np.uint8)
    q = np.where(valid[None], q, 0).astype(np.uint8)
    packed = (q[:, :, 0::2] & 0xF) | ((q[:, :, 1::2] & 0xF) << 4)
    assert packed.shape == (N, k_blocks, blob)
    zero_points = None
    if not symmetric:
        zpp = np.zeros((N, (k_blocks + 1) // 2 * 2), dtype=np.uint8)
        zpp[:, :k_blocks] = zp
        zero_points = ((zpp[:, 0::2] & 0xF) | ((zpp[:, 1::2] & 0xF) << 4)).astype(np.uint8).reshape(-1)
    return packed.astype(np.uint8), scale.reshape(-1), zero_points


def dequantize_block_q4(packed, scales, zero_points, K, N, block_size=Q4_BLOCK_SIZE):
    """MatMulNBits' B back to a float32 [K, N] matrix (MLAS BlockwiseQuantizer::dequantize)."""
    k_blocks = packed.shape[1]
    q = np.empty((N, k_blocks, packed.shape[2] * 2), dtype=np.int32)
    q[:, :, 0::2] = packed & 0xF
    q[:, :, 1::2] = packed >> 4
    if zero_points is None:
        zp = np.full((N, k_blocks), 8, dtype=np.int32)
    else:
        zpb = zero_points.reshape(N, -1)
        zp = np.stack([zpb & 0xF, zpb >> 4], axis=2).reshape(N, -1)[:, :k_blocks].astype(np.int32)
    s = scales.reshape(N, k_blocks).astype(np.float32)
    w = ((q - zp[:, :, None]).astype(np.float32) * s[:, :, None]).reshape(N, -1)[:, :K]
    return np.ascontiguousarray(w.T)


def quantize_q4(model, block_size=Q4_BLOCK_SIZE, symmetric=Q4_SYMMETRIC):
    """MatMul(A, W) with W a 2-D float initializer [K, N] -> com.microsoft MatMulNBits
    `<node>_Q4`(A, `<W>_Q4`, `<W>_scales`[, `<W>_zero_points`]) with K, N, bits=4, block_size
    (no accuracy_level: the quantizer writes it only when one is given), as
    MatMulNBitsQuantizer(algo_config=DefaultWeightOnlyQuantConfig(...)).process() rewrites it.
    The weight Transposes are folded first (see fold_weight_transposes)."""
    m = fold_weight_transposes(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes, new_inits = [], []
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2:
            new_nodes.append(node)
            continue
        arr = numpy_helper.to_array(w)
        K, N = arr.shape
        packed, scales, zero_points = quantize_block_q4(arr, block_size, symmetric)
        inputs = [node.input[0], w.name + "_Q4", w.name + "_scales"]
        new_inits.append(numpy_helper.from_array(packed, w.name + "_Q4"))
        new_inits.append(numpy_helper.from_array(scales, w.name + "_scales"))
        if not symmetric:
            inputs.append(w.name + "_zero_points")
            new_inits.append(numpy_helper.from_array(zero_points, w.name + "_zero_points"))
        new_nodes.append(helper.make_node("MatMulNBits", inputs, [node.output[0]], node.name + "_Q4",
                                          domain="com.microsoft", K=K, N=N, bits=4, block_size=block_size))
    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend(new_inits)
    _remove_unused_initializers(g)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_operatorsetid("com.microsoft", 1))
    return m


def _check_q4_weights(src, q4):
    """Dequantize every MatMulNBits weight and compare it with the folded fp32 weight."""
    folded = {t.name: numpy_helper.to_array(t) for t in fold_weight_transposes(src).graph.initializer}
    inits = {t.name: t for t in q4.graph.initializer}
    worst = 0.0
    for node in q4.graph.node:
        if node.op_type != "MatMulNBits":
            continue
        attrs = {a.name: a.i for a in node.attribute}
        zp = numpy_helper.to_array(inits[node.input[3]]) if len(node.input) > 3 else None
        w = dequantize_block_q4(numpy_helper.to_array(inits[node.input[1]]), numpy_helper.to_array(inits[node.input[2]]),
                                zp, attrs["K"], attrs["N"], attrs["block_size"])
        ref = folded[node.input[1][: -len("_Q4")]]
        err = np.abs(w - ref)
        # a symmetric block can be off by up to one step where the side opposite its extreme gets clipped at +7
        step = np.abs(numpy_helper.to_array(inits[node.input[2]])).reshape(attrs["N"], -1).repeat(attrs["block_size"], axis=1)[:, : attrs["K"]].T
        assert np.all(err <= step * 1.0001 + 1e-12), node.name
        worst = max(worst, float(err.max()))
        print(f"  {node.name}: K={attrs['K']} N={attrs['N']} max |w - dequant(w)| {err.max():.3g} "
              f"(max |w| {np.abs(ref).max():.3g}, mean |err| {err.mean():.3g})")
    return worst


# ---------------------------------------------------------------------------------------------

def _check(model, path):
    onnx.checker.check_model(model, full_check=True)  # full_check: strict type/shape inference
    onnx.save(model, path)
    onnx.checker.check_model(path)
    print(f"{os.path.relpath(path)}: {os.path.getsize(path):,} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    model = onnx.load(SRC)
    _check(to_fp16(model), os.path.join(OUT, "model_fp16.onnx"))
    _check(quantize_dynamic_int8(model), os.path.join(OUT, "model_quantized.onnx"))
    q4 = quantize_q4(model)
    _check(q4, os.path.join(OUT, "model_q4.onnx"))
    _check_q4_weights(model, q4)


if __name__ == "__main__":
    main()
