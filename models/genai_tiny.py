"""Four test fixtures in the layout of ONNX Runtime GenAI's model builder
(onnxruntime_genai.models.builder), carrying the weights of the tiny random-weight Llama fixture.

    /usr/bin/python3 models/genai_tiny.py     # reads test/fixtures/llama-tiny/, writes the four folders below

onnxruntime-genai's builder itself cannot be installed here (no pip, no network, and it needs
transformers and onnxruntime), so this script writes the graphs the builder would write for a
fp32 Llama, node for node and name for name, straight from the llama-tiny model.onnx initializers
(torch Linear weights [out, in] are stored pre-transposed to [in, out], as the builder does).
The math is that of models/llama_tiny.py, so the logits equal llama-tiny's golden.json.
These are test fixtures for lmscope's graph discovery on the model-builder family, not models:

  test/fixtures/genai-gqa/   the builder's CPU layout: SimplifiedLayerNormalization then
      com.microsoft SkipSimplifiedLayerNormalization chaining the residual through output 3,
      separate Q/K/V MatMuls into com.microsoft GroupQueryAttention (do_rotary=1, cos/sin caches
      [128, 8]), seqlens_k / total_sequence_length from the attention_mask subgraph, SwiGLU MLP as
      Sigmoid + Mul + Mul. Inputs input_ids, attention_mask, past_key_values.N.key/value
      [batch, 2, past, 16] (no position_ids: GQA computes positions itself).
  test/fixtures/genai-mha/   the separate-rotary layout: com.microsoft RotaryEmbedding on Q and K
      (position_ids is a graph input), com.microsoft MultiHeadAttention (unidirectional=1, padding
      through key_padding_mask = Cast(int32)(attention_mask)). MultiHeadAttention has as many
      key/value heads as query heads, so the 2 key/value heads are duplicated into 4 (new kv head j
      = old kv head j // 2, which is exactly the GQA sharing of llama-tiny): past/present are
      [batch, 4, seq, 16] and num_key_value_heads is 4 in config.json and genai_config.json.
  test/fixtures/genai-gqa-packed/   what the current builder writes for `-e cpu -p fp32` (use_packed_matmul):
      genai-gqa with ONE packed projection /model/layers.N/attn/qkv_proj/MatMul (weight
      model.layers.N.attn.qkv_proj.MatMul.weight [64, 128] = torch.cat([q, k, v] weights).T, columns Q heads
      0-3, K heads 0-1, V heads 0-1, 16 each) feeding GroupQueryAttention's query, key and value inputs "":
      GQA splits the packed [batch, seq, (4 + 2*2) * 16] itself. Same attributes, mask subgraph and
      past/present [batch, 2, seq, 16] as genai-gqa; fp32 only. (Like genai-gqa it stops at the 9th input,
      sin_cache; the current builder also lists position_ids and attention_bias there, both "".)
  test/fixtures/genai-mha-bias/   the builder's MultiHeadAttention path when kv heads < heads (any EP/precision
      pair outside is_gqa_supported, e.g. `-e cuda -p fp32`), node for node and name for name after
      builders/base.py (make_attention_mask_reformatting_for_mha, make_repeat_kv, make_multi_head_attention):
      RotaryEmbedding on Q and K (position_ids input), then per K and V a repeat_kv subgraph
      (/model/layers.N/attn/{k,v}_proj/repeat_kv/...): Reshape [b, s, 2, 16] -> Transpose -> Concat_1(past, new)
      on axis 2 whose output IS the graph output present.N.key / .value (2 kv heads) -> Unsqueeze(2) -> Expand
      [b, 2, 2, total, 16] -> Reshape [b, 4, total, 16] (query head i uses kv head i // 2) -> Transpose ->
      Reshape_4 [b, total, 64] = MultiHeadAttention's key / value. MultiHeadAttention (num_heads=4, scale=0.25,
      no unidirectional attribute, i.e. 0) has inputs [q, k, v, "", "", attention_bias, "", ""] and outputs
      [out, "", ""]: its own past/present are empty, so past_key_values.N.* are [batch, 2, past, 16] and
      num_key_value_heads stays 2. attention_bias = /model/attn_mask_reformat/Tile/output_0
      [batch, 4, seq, total], float32: 0 where visible, float32 min where masked (min + min = -inf where both
      the causal and the padding part mask), built from input_ids' shape, past_key_values.0.key's shape and
      attention_mask (input_ids_subgraph: a [seq, seq] causal block Expanded to [batch, 1, seq, total];
      attn_mask_subgraph: Where(1 - mask, min, 0); Add; Tile to 4 heads). As in the builder, that Expand
      only broadcasts for past = 0 (prompt) or seq = 1 (one token a step): a multi-token chunk on top of a
      past fails in ORT ("invalid expand shape" at /model/attn_mask_reformat/input_ids_subgraph/Expand).
      The builder sorts its graph (its mask subgraph uses a value before making it), so does this script.

Each folder holds model.onnx (fp32, weights inline, opset 17 + com.microsoft 1), genai_config.json
(the builder's shape), and config.json / tokenizer.json / tokenizer_config.json from llama-tiny.

genai-gqa/ also holds model_fp16.onnx (to_fp16): the same graph as the builder writes with
`-p fp16`: float16 weights, norm weights and cos/sin caches, float16 past_key_values.* / present.* /
logits and activations; input_ids / attention_mask int64 and the mask subgraph int64 / int32; same
nodes, names and attributes, no Casts. (The builder itself picks GroupQueryAttention for fp16 only
with a GPU EP, `-e cuda` / `dml` / `webgpu`: its valid_gqa_configurations pair cpu with fp32 only,
so `-e cpu -p fp16` would write the MultiHeadAttention + RotaryEmbedding layout instead. The fp16
GQA graph runs on ORT's CPU provider all the same.) genai_config.json still names model.onnx.
Measured with onnxruntime-node 1.31 (CPU provider; GroupQueryAttention, SimplifiedLayerNormalization,
SkipSimplifiedLayerNormalization and the Gathers run in float16, ORT inserts Casts to run the
MatMuls and the Sigmoid / Mul of the SwiGLU in fp32), llama-tiny golden ids (10 tokens):
    max |d logits| at the last position vs golden.json logits_last: 8.3e-3 (fp32 model.onnx: 2.8e-6;
    |logits| <= 4.2); vs model.onnx over all positions 2.2e-2, top-1 agrees 10/10; presents 8.4e-3.
    KV: 7 tokens then 3 single steps (fp16 presents fed back) vs its own full pass: 0 with the
    default optimizations, 2.0e-3 (one fp16 rounding flip) with graph optimizations disabled.
    model_fp16.onnx 689,989 bytes (model.onnx 1,366,477).
Measured with onnxruntime-node 1.31 (CPU, default and disabled graph optimizations alike), golden ids,
mask ones, empty past (position_ids 0..9 where an input):
    genai-gqa-packed (1,365,045 bytes, 33 nodes): last-position logits vs golden 2.8e-6, all positions vs
    the PyTorch module 5.4e-6; 7 tokens then 3 single steps vs its full pass 2.7e-6 (presents 1.4e-6);
    7 tokens then one 3-token chunk: 0.
    genai-mha-bias (1,417,582 bytes, 211 nodes): vs golden 2.9e-6, all positions vs PyTorch 4.4e-6; steps vs
    full pass 2.1e-6 (presents 1.2e-6); attention_mask with holes ([1,1,1,0,1,1,1,1,1,1] and
    [1,1,1,0,1,1,1,0,1,1]) vs models/llama_tiny.py on the same weights and mask: 5.5e-6 over all positions,
    full pass and stepped alike (the hole moves the last logits by 1.6).
Deterministic: no randomness, the same bytes on every run.
"""
import ast
import copy
import json
import os
import shutil

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "test", "fixtures")
SRC = os.path.join(FIXTURES, "llama-tiny")

DTYPES = {"INT64": (TensorProto.INT64, np.int64), "INT32": (TensorProto.INT32, np.int32), "FLOAT": (TensorProto.FLOAT, np.float32)}


class Graph:
    """A small stand-in for the builder's Model class: the same node, value and constant naming."""

    def __init__(self, cfg, variant):
        self.variant = variant  # "gqa", "mha", "gqa-packed" or "mha-bias"
        self.family = variant.split("-")[0]  # the attention op family: "gqa" (GroupQueryAttention) or "mha" (MultiHeadAttention)
        self.hidden_size = cfg["hidden_size"]
        self.num_attn_heads = cfg["num_attention_heads"]
        self.head_size = cfg["hidden_size"] // cfg["num_attention_heads"]
        # genai-mha duplicates the kv heads in the weights; the other variants keep llama-tiny's 2
        self.num_kv_heads = cfg["num_attention_heads"] if variant == "mha" else cfg["num_key_value_heads"]
        self.num_layers = cfg["num_hidden_layers"]
        self.intermediate_size = cfg["intermediate_size"]
        self.vocab_size = cfg["vocab_size"]
        self.context_length = cfg["max_position_embeddings"]
        self.epsilon = cfg["rms_norm_eps"]
        self.theta = cfg["rope_theta"]
        self.scale = float(1 / np.sqrt(self.head_size))
        self.nodes, self.initializers, self.value_infos = [], [], []
        self.node_names, self.known_values = set(), set()
        self.inputs, self.outputs = [], []
        self.layernorm = {"first": True, "last": False, "root_input": "", "skip_input": "", "output_0": ""}
        self.caches_made = False

    # ---- primitives (named as in builder.py) -------------------------------------------------
    def value(self, name, dtype, shape):
        if name in self.known_values:
            return
        self.known_values.add(name)
        self.value_infos.append(helper.make_tensor_value_info(name, dtype, shape))

    def op(self, op_type, name, inputs, dtype, shape, **attrs):
        # the builder's make_shape / make_gather / make_unsqueeze / ... helpers: one output "{name}/output_0"
        output = f"{name}/output_0"
        self.node(op_type, inputs, [output], name=name, **attrs)
        self.value(output, dtype, shape)
        return output

    def initializer(self, array, name):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        self.known_values.add(name)

    def constant(self, name):
        # "/model/constants/{DTYPE}/{literal}": a scalar for "1", a 1-D tensor for "[1]"
        dtype_name, literal = name.split("/")[-2], name.split("/")[-1]
        onnx_dtype, np_dtype = DTYPES[dtype_name]
        array = np.array(ast.literal_eval(literal), dtype=np_dtype)
        self.node("Constant", [], [name], name=name.replace("constants", "constant_nodes"), value=numpy_helper.from_array(array, name))
        self.value(name, onnx_dtype, list(array.shape))

    def node(self, op_type, inputs, outputs, name, domain="", **attrs):
        assert name not in self.node_names, name
        for i in inputs:
            if i.startswith("/model/constants/") and i.replace("constants", "constant_nodes") not in self.node_names:
                self.constant(i)
        n = helper.make_node(op_type, inputs, outputs, name=name, domain=domain or None)
        for key in attrs:  # keep the attribute order given, as the builder does
            n.attribute.append(helper.make_attribute(key, attrs[key]))
        self.nodes.append(n)
        self.node_names.add(name)

    def matmul(self, weight_out_in, name, root_input, logits=False):
        weight = name[1:].replace("/", ".") + ".weight"
        self.initializer(weight_out_in.T.astype(np.float32), weight)
        output = "logits" if logits else f"{name}/output_0"
        self.node("MatMul", [root_input, weight], [output], name=name)
        if not logits:
            self.value(output, TensorProto.FLOAT, ["batch_size", "sequence_length", weight_out_in.shape[0]])
        return output

    # ---- graph pieces ------------------------------------------------------------------------
    def make_inputs_and_outputs(self):
        names = ["input_ids", "attention_mask"] + (["position_ids"] if self.family == "mha" else [])
        shapes = {"input_ids": ["batch_size", "sequence_length"], "attention_mask": ["batch_size", "total_sequence_length"],
                  "position_ids": ["batch_size", "sequence_length"]}
        self.inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, shapes[n]) for n in names]
        self.outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", self.vocab_size])]
        for i in range(self.num_layers):
            for kv in ("key", "value"):
                self.inputs.append(helper.make_tensor_value_info(
                    f"past_key_values.{i}.{kv}", TensorProto.FLOAT, ["batch_size", self.num_kv_heads, "past_sequence_length", self.head_size]))
                self.outputs.append(helper.make_tensor_value_info(
                    f"present.{i}.{kv}", TensorProto.FLOAT, ["batch_size", self.num_kv_heads, "total_sequence_length", self.head_size]))
        self.known_values.update(v.name for v in self.inputs + self.outputs)

    def make_attention_mask_reformatting(self):
        base = "/model/attn_mask_reformat/attn_mask_subgraph"
        if self.family == "gqa":
            # attention_mask -> ReduceSum(axis 1, keepdims 0) -> Sub 1 -> Cast int32 = seqlens_k [batch]
            # attention_mask -> Shape -> Gather(1) -> Cast int32 = total_sequence_length (scalar)
            self.node("ReduceSum", ["attention_mask", "/model/constants/INT64/[1]"], [f"{base}/ReduceSum/output_0"], name=f"{base}/ReduceSum", keepdims=0)
            self.value(f"{base}/ReduceSum/output_0", TensorProto.INT64, ["batch_size"])
            self.node("Sub", [f"{base}/ReduceSum/output_0", "/model/constants/INT64/[1]"], [f"{base}/Sub/output_0"], name=f"{base}/Sub")
            self.value(f"{base}/Sub/output_0", TensorProto.INT64, ["batch_size"])
            self.node("Cast", [f"{base}/Sub/output_0"], [f"{base}/Sub/Cast/output_0"], name=f"{base}/Sub/Cast", to=TensorProto.INT32)
            self.value(f"{base}/Sub/Cast/output_0", TensorProto.INT32, ["batch_size"])
            self.node("Shape", ["attention_mask"], [f"{base}/Shape/output_0"], name=f"{base}/Shape")
            self.value(f"{base}/Shape/output_0", TensorProto.INT64, [2])
            self.node("Gather", [f"{base}/Shape/output_0", "/model/constants/INT64/1"], [f"{base}/Gather/output_0"], name=f"{base}/Gather", axis=0)
            self.value(f"{base}/Gather/output_0", TensorProto.INT64, [])
            self.node("Cast", [f"{base}/Gather/output_0"], [f"{base}/Gather/Cast/output_0"], name=f"{base}/Gather/Cast", to=TensorProto.INT32)
            self.value(f"{base}/Gather/Cast/output_0", TensorProto.INT32, [])
            self.seqlens_k, self.total_seq_len = f"{base}/Sub/Cast/output_0", f"{base}/Gather/Cast/output_0"
        elif self.variant == "mha-bias":
            self.make_attention_mask_reformatting_for_mha()
        else:
            # MultiHeadAttention's key_padding_mask (batch, total_sequence_length) wants int32
            self.node("Cast", ["attention_mask"], [f"{base}/Cast/output_0"], name=f"{base}/Cast", to=TensorProto.INT32)
            self.value(f"{base}/Cast/output_0", TensorProto.INT32, ["batch_size", "total_sequence_length"])
            self.key_padding_mask = f"{base}/Cast/output_0"

    def make_attention_mask_reformatting_for_mha(self):
        """The builder's make_attention_mask_reformatting_for_mha, node for node: the 2-D attention_mask
        (batch, total) becomes the additive 4-D attention_bias (batch, num_heads, seq, total), 0 where a
        key is visible and float32 min where it is not (min + min = -inf where both the causal and the
        padding part mask it). The causal part is a [seq, seq] block (key j visible from query i iff
        j <= i) Expanded to [batch, 1, seq, past + seq]: that Expand broadcasts only when past = 0 (the
        prompt) or seq = 1 (one token a step, every past key visible), as in the builder's own graphs."""
        F, I, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
        fmin = float(np.finfo(np.float32).min)  # torch.finfo(torch.float32).min, -3.4028234663852886e+38
        base = "/model/attn_mask_reformat"
        ids, pk, am = f"{base}/input_ids_subgraph", f"{base}/past_key_subgraph", f"{base}/attn_mask_subgraph"
        # make_past_key_subgraph: past length = Shape(past_key_values.0.key)[2]
        shape = self.op("Shape", f"{pk}/Shape", ["past_key_values.0.key"], I, [4])
        past_len = self.op("Gather", f"{pk}/Gather", [shape, "/model/constants/INT64/2"], I, [], axis=0)
        # make_input_ids_subgraph (ids/Gather_2/output_0 = sequence length, made below by the common subgraph;
        # the builder relies on graph.sort(), and so does build())
        seq = f"{ids}/Gather_2/output_0"
        total = self.op("Add", f"{ids}/Add_1", [seq, past_len], I, [])
        unsqueeze_3 = self.op("Unsqueeze", f"{ids}/Unsqueeze_3", [total, "/model/constants/INT64/[0]"], I, [1])
        unsqueeze_4 = self.op("Unsqueeze", f"{ids}/Unsqueeze_4", [seq, "/model/constants/INT64/[0]"], I, [1])
        unsqueeze_5 = self.op("Unsqueeze", f"{ids}/Unsqueeze_5", [seq, "/model/constants/INT64/[0]"], I, [1])
        unsqueeze_6 = self.op("Unsqueeze", f"{ids}/Unsqueeze_6", [seq, "/model/constants/INT64/[0]"], I, [1])
        concat_2 = self.op("Concat", f"{ids}/Concat_2", [unsqueeze_4, unsqueeze_5], I, [2], axis=0)
        full = self.op("ConstantOfShape", f"{ids}/ConstantOfShape_2", [concat_2], F, ["unk", "unk"],
                       value=numpy_helper.from_array(np.array([fmin], dtype=np.float32), "make_input_ids_subgraph_shape"))
        int64_max = f"/model/constants/INT64/[{np.iinfo(np.int64).max}]"
        shape_4 = self.op("Shape", f"{ids}/Shape_4", [full], I, [2])
        slice_1 = self.op("Slice", f"{ids}/Slice_1", [shape_4, "/model/constants/INT64/[-1]", int64_max, "/model/constants/INT64/[0]"], I, [1])
        squeeze_1 = self.op("Squeeze", f"{ids}/Squeeze_1", [slice_1, "/model/constants/INT64/[0]"], I, [])
        unsqueeze_7 = self.op("Unsqueeze", f"{ids}/output_0", [squeeze_1, "/model/constants/INT64/[0]"], I, [1])  # (sic)
        concat_3 = self.op("Concat", f"{ids}/Concat_3", [unsqueeze_7, "/model/constants/INT64/[1]"], I, [2], axis=0)
        shape_5 = self.op("Shape", f"{ids}/Shape_5", [full], I, [2])
        slice_2 = self.op("Slice", f"{ids}/Slice_2", [shape_5, "/model/constants/INT64/[-1]", int64_max, "/model/constants/INT64/[0]"], I, [1])
        squeeze_2 = self.op("Squeeze", f"{ids}/Squeeze_2", [slice_2, "/model/constants/INT64/[0]"], I, [])
        rng = self.op("Range", f"{ids}/Range", ["/model/constants/INT64/0", squeeze_2, "/model/constants/INT64/1"], I, ["unk"])
        add_2 = self.op("Add", f"{ids}/Add_2", [rng, "/model/constants/INT64/1"], I, ["unk"])
        reshape = self.op("Reshape", f"{ids}/Reshape", [add_2, concat_3], I, None)
        less = self.op("Less", f"{ids}/Less", [rng, reshape], B, None)
        causal = self.op("Where", f"{ids}/Where_2", [less, "/model/constants/FLOAT/0", full], F, None)
        unsqueeze_8 = self.op("Unsqueeze", f"{ids}/Unsqueeze_8", [causal, "/model/constants/INT64/[0]"], F, None)
        unsqueeze_9 = self.op("Unsqueeze", f"{ids}/Unsqueeze_9", [unsqueeze_8, "/model/constants/INT64/[1]"], F, None)
        causal_4d = self.make_common_mask_reformat_subgraph(ids, "input_ids", unsqueeze_3, unsqueeze_9, input_ids_subgraph=True)
        # make_attention_mask_subgraph
        m3 = self.op("Unsqueeze", f"{am}/Unsqueeze_3", ["attention_mask", "/model/constants/INT64/[1]"], I, ["batch_size", 1, "total_sequence_length"])
        m4 = self.op("Unsqueeze", f"{am}/Unsqueeze_4", [m3, "/model/constants/INT64/[2]"], I, ["batch_size", 1, 1, "total_sequence_length"])
        expand = self.make_common_mask_reformat_subgraph(am, "attention_mask", unsqueeze_6, m4)
        unk4 = ["unk", "unk", "unk", "unk"]
        cast_1 = self.op("Cast", f"{am}/Cast_1", [expand], F, unk4, to=TensorProto.FLOAT)
        sub = self.op("Sub", f"{am}/Sub", ["/model/constants/FLOAT/1", cast_1], F, unk4)
        cast_2 = self.op("Cast", f"{am}/Cast_2", [sub], B, unk4, to=TensorProto.BOOL)
        padding = self.op("Where", f"{am}/Where_2", [cast_2, f"/model/constants/FLOAT/{fmin}", sub], F, unk4)
        add = self.op("Add", f"{base}/Add", [padding, causal_4d], F, ["batch_size", 1, "source_sequence_length", "target_sequence_length"])
        self.attention_bias = self.op("Tile", f"{base}/Tile", [add, f"/model/constants/INT64/[1, {self.num_attn_heads}, 1, 1]"], F,
                                      ["batch_size", self.num_attn_heads, "source_sequence_length", "target_sequence_length"])

    def make_common_mask_reformat_subgraph(self, base, root_input, unsqueeze_for_concat, unsqueeze_for_expand, input_ids_subgraph=False):
        # Expand unsqueeze_for_expand to [batch, 1, seq, total] (Where turns any -1 of the Concat into 1)
        I = TensorProto.INT64
        shape_1 = self.op("Shape", f"{base}/Shape_1", [root_input], I, [2])
        shape_2 = self.op("Shape", f"{base}/Shape_2", [root_input], I, [2])
        gather_1 = self.op("Gather", f"{base}/Gather_1", [shape_1, "/model/constants/INT64/0"], I, [], axis=0)
        gather_2 = self.op("Gather", f"{base}/Gather_2", [shape_2, "/model/constants/INT64/1"], I, [], axis=0)
        unsqueeze_1 = self.op("Unsqueeze", f"{base}/Unsqueeze_1", [gather_1, "/model/constants/INT64/[0]"], I, [1])
        unsqueeze_2 = self.op("Unsqueeze", f"{base}/Unsqueeze_2", [gather_2, "/model/constants/INT64/[0]"], I, [1])
        last_two = [unsqueeze_2, unsqueeze_for_concat] if input_ids_subgraph else [unsqueeze_for_concat, unsqueeze_2]
        concat = self.op("Concat", f"{base}/Concat_1" if input_ids_subgraph else f"{base}/Concat",
                         [unsqueeze_1, "/model/constants/INT64/[1]"] + last_two, I, [4], axis=0)
        shape_3 = self.op("Shape", f"{base}/Shape_3", [concat], I, [1])
        ones = self.op("ConstantOfShape", f"{base}/ConstantOfShape_1" if input_ids_subgraph else f"{base}/ConstantOfShape",
                       [shape_3], I, ["unk"], value=numpy_helper.from_array(np.array([1], dtype=np.int64)))
        mul = self.op("Mul", f"{base}/Mul", [ones, "/model/constants/INT64/-1"], I, ["unk"])
        equal = self.op("Equal", f"{base}/Equal", [concat, mul], TensorProto.BOOL, [4])
        where = self.op("Where", f"{base}/Where_1", [equal, ones, concat], I, [4])
        return self.op("Expand", f"{base}/Expand", [unsqueeze_for_expand, where], TensorProto.FLOAT if input_ids_subgraph else I,
                       None if input_ids_subgraph else ["unk", "unk", "unk", "unk"])

    def make_repeat_kv(self, layer_id, root_input, past_kv, present_kv):
        """The builder's make_repeat_kv, node for node: [batch, seq, kv*16] -> Reshape/Transpose -> [batch, kv, seq, 16],
        Concat(past_kv, it) on axis 2 = present_kv (the graph output, kv heads), then Unsqueeze(2) ->
        Expand [batch, kv, heads/kv, total, 16] -> Reshape [batch, heads, total, 16] (query head i reads kv head
        i // (heads/kv)) -> Transpose -> Reshape [batch, total, heads*16], the key / value input of MultiHeadAttention."""
        F, I = TensorProto.FLOAT, TensorProto.INT64
        kv, h, hs, rep = self.num_kv_heads, self.num_attn_heads, self.head_size, self.num_attn_heads // self.num_kv_heads
        base = f"/model/layers.{layer_id}/attn/{'k_proj' if past_kv.endswith('key') else 'v_proj'}/repeat_kv"
        reshape_1 = self.op("Reshape", f"{base}/Reshape_1", [root_input, f"/model/constants/INT64/[0, 0, {kv}, -1]"], F,
                            ["batch_size", "sequence_length", kv, hs])
        transpose_1 = self.op("Transpose", f"{base}/Transpose_1", [reshape_1], F, ["batch_size", kv, "sequence_length", hs], perm=[0, 2, 1, 3])
        self.node("Concat", [past_kv, transpose_1], [present_kv], name=f"{base}/Concat_1", axis=2)
        shape_1 = self.op("Shape", f"{base}/Shape_1", [present_kv], I, [4])
        dims = []
        for i in range(4):
            gather = self.op("Gather", f"{base}/Gather_{i + 1}", [shape_1, f"/model/constants/INT64/{i}"], I, [], axis=0)
            dims.append(self.op("Unsqueeze", f"{base}/Unsqueeze_{i + 1}", [gather, "/model/constants/INT64/[0]"], I, [1]))
        concat_2 = self.op("Concat", f"{base}/Concat_2", [dims[0], dims[1], f"/model/constants/INT64/[{rep}]", dims[2], dims[3]], I, [5], axis=0)
        mul_1 = self.op("Mul", f"{base}/Mul_1", [dims[1], f"/model/constants/INT64/{rep}"], I, None)
        concat_3 = self.op("Concat", f"{base}/Concat_3", [dims[0], mul_1, dims[2], dims[3]], I, [4], axis=0)
        reshape_2 = self.op("Reshape", f"{base}/Reshape_2", [concat_2, "/model/constants/INT64/[-1]"], I, None)
        shape_2 = self.op("Shape", f"{base}/Shape_2", [reshape_2], I, [1])
        ones = self.op("ConstantOfShape", f"{base}/ConstantOfShape", [shape_2], I, [5], value=numpy_helper.from_array(np.array([1], dtype=np.int64)))
        mul = self.op("Mul", f"{base}/Mul", [ones, "/model/constants/INT64/-1"], I, [5])
        equal = self.op("Equal", f"{base}/Equal", [reshape_2, mul], TensorProto.BOOL, [5])
        where = self.op("Where", f"{base}/Where", [equal, ones, reshape_2], I, [5])
        unsqueeze_5 = self.op("Unsqueeze", f"{base}/Unsqueeze_5", [present_kv, "/model/constants/INT64/[2]"], F, ["batch_size", kv, 1, "sequence_length", hs])
        expand = self.op("Expand", f"{base}/Expand", [unsqueeze_5, where], F, ["batch_size", kv, rep, "sequence_length", hs])
        reshape_3 = self.op("Reshape", f"{base}/Reshape_3", [expand, concat_3], F, ["batch_size", h, "sequence_length", hs])
        transpose_2 = self.op("Transpose", f"{base}/Transpose_2", [reshape_3], F, ["batch_size", "sequence_length", h, hs], perm=[0, 2, 1, 3])
        return self.op("Reshape", f"{base}/Reshape_4", [transpose_2, f"/model/constants/INT64/[0, 0, {h * hs}]"], F,
                       ["batch_size", "sequence_length", h * hs])

    def make_embedding(self, weight):
        self.initializer(weight.astype(np.float32), "model.embed_tokens.weight")
        out = "/model/embed_tokens/Gather/output_0"
        self.node("Gather", ["model.embed_tokens.weight", "input_ids"], [out], name="/model/embed_tokens/Gather")
        self.value(out, TensorProto.FLOAT, ["batch_size", "sequence_length", self.hidden_size])
        self.layernorm["root_input"] = self.layernorm["skip_input"] = out

    def make_layernorm(self, layer_id, weight, skip, location):
        ln = self.layernorm
        w = f"model.layers.{layer_id}.{location}_layernorm.weight"
        self.initializer(weight.astype(np.float32), w)
        # Skip norms: input 0 = the residual stream so far (embeddings, or output 3 of the previous
        # Skip norm), input 1 = the sublayer output (o_proj / down_proj MatMul); output 3 = their sum.
        inputs = [ln["root_input"], ln["skip_input"], w] if skip else [ln["root_input"], w]
        name = f"/model/layers.{layer_id}/{location}_layernorm/{'Skip' if skip else ''}LayerNorm"
        op_type = "SkipSimplifiedLayerNormalization" if skip else "SimplifiedLayerNormalization"
        attrs = {"epsilon": self.epsilon} if skip else {"epsilon": self.epsilon, "axis": -1, "stash_type": 1}
        output_0 = f"/model/layers.{layer_id}/{location}_layernorm/output_0"
        output_3 = f"/model/layers.{layer_id}/{location}_layernorm/output_3"
        with_sum = skip and not ln["last"]
        outputs = [output_0, "", "", output_3] if with_sum else [output_0]
        self.node(op_type, inputs, outputs, name=name, domain="com.microsoft" if skip else "", **attrs)
        self.value(output_0, TensorProto.FLOAT, ["batch_size", "sequence_length", self.hidden_size])
        if with_sum:
            self.value(output_3, TensorProto.FLOAT, ["batch_size", "sequence_length", self.hidden_size])
            ln["root_input"] = output_3
        ln["output_0"] = output_0
        return output_0

    def make_rotary_embedding_caches(self):
        if not self.caches_made:
            # builder: make_rotary_embedding_caches_from_scratch, then sliced from (M, H) to (M, H/2)
            inv_freq = 1.0 / (self.theta ** (torch.arange(0, self.head_size, 2, dtype=torch.int64).float() / self.head_size))
            t = torch.arange(self.context_length, dtype=torch.int64).type_as(inv_freq)
            freqs = torch.outer(t, inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            half = self.head_size // 2
            self.initializer(emb.cos()[:, :half].numpy().astype(np.float32), "cos_cache")
            self.initializer(emb.sin()[:, :half].numpy().astype(np.float32), "sin_cache")
            self.caches_made = True
        return "cos_cache", "sin_cache"

    def make_rotary_embedding(self, name, root_input, num_heads):
        cos, sin = self.make_rotary_embedding_caches()
        out = f"{name}/output_0"
        self.node("RotaryEmbedding", [root_input, "position_ids", cos, sin], [out], name=name, domain="com.microsoft",
                  interleaved=0, num_heads=0, rotary_embedding_dim=0)
        self.value(out, TensorProto.FLOAT, ["batch_size", "sequence_length", self.head_size * num_heads])
        return out

    def make_attention(self, layer_id, W, root_input):
        p = f"model.layers.{layer_id}.self_attn"
        wq, wk, wv, wo = (W[f"{p}.{n}_proj.weight"] for n in "qkvo")
        if self.variant == "mha":
            # kv head j of the new model = kv head j // group of llama-tiny (rows are [head, head_size])
            group = self.num_attn_heads // (wk.shape[0] // self.head_size)
            dup = lambda w: np.repeat(w.reshape(-1, self.head_size, w.shape[1]), group, axis=0).reshape(-1, w.shape[1])
            wk, wv = dup(wk), dup(wv)
        if self.variant == "gqa-packed":
            # builder make_packed_matmul_float: torch.cat([q, k, v] weights, dim=0) = [(4+2+2)*16, 64] = [128, 64],
            # stored transposed [64, 128]; GroupQueryAttention splits the packed query itself (key/value "")
            q = self.matmul(np.concatenate([wq, wk, wv], axis=0), f"/model/layers.{layer_id}/attn/qkv_proj/MatMul", root_input)
            k = v = ""
        else:
            q = self.matmul(wq, f"/model/layers.{layer_id}/attn/q_proj/MatMul", root_input)
            k = self.matmul(wk, f"/model/layers.{layer_id}/attn/k_proj/MatMul", root_input)
            v = self.matmul(wv, f"/model/layers.{layer_id}/attn/v_proj/MatMul", root_input)
        past_k, past_v = f"past_key_values.{layer_id}.key", f"past_key_values.{layer_id}.value"
        present_k, present_v = f"present.{layer_id}.key", f"present.{layer_id}.value"
        if self.family == "gqa":
            cos, sin = self.make_rotary_embedding_caches()
            name = f"/model/layers.{layer_id}/attn/GroupQueryAttention"
            self.node("GroupQueryAttention", [q, k, v, past_k, past_v, self.seqlens_k, self.total_seq_len, cos, sin],
                      [f"{name}/output_0", present_k, present_v], name=name, domain="com.microsoft",
                      num_heads=self.num_attn_heads, kv_num_heads=self.num_kv_heads, scale=self.scale,
                      local_window_size=-1, softcap=0.0, do_rotary=1, rotary_interleaved=0)
        elif self.variant == "mha-bias":
            q = self.make_rotary_embedding(f"/model/layers.{layer_id}/attn/q_rotary/RotaryEmbedding", q, self.num_attn_heads)
            k = self.make_rotary_embedding(f"/model/layers.{layer_id}/attn/k_rotary/RotaryEmbedding", k, self.num_kv_heads)
            # builder make_attention_qk_subgraph: num_attn_heads != num_kv_heads with MultiHeadAttention, so the
            # repeat_kv subgraphs take the KV cache (past -> Concat -> present, 2 kv heads) and hand MultiHeadAttention
            # the repeated [batch, total_sequence_length, 4 * 16] key / value; the op's own past/present stay empty
            k = self.make_repeat_kv(layer_id, k, past_k, present_k)
            v = self.make_repeat_kv(layer_id, v, past_v, present_v)
            name = f"/model/layers.{layer_id}/attn/MultiHeadAttention"
            self.node("MultiHeadAttention", [q, k, v, "", "", self.attention_bias, "", ""],
                      [f"{name}/output_0", "", ""], name=name, domain="com.microsoft",
                      num_heads=self.num_attn_heads, scale=self.scale)
        else:
            q = self.make_rotary_embedding(f"/model/layers.{layer_id}/attn/q_rotary/RotaryEmbedding", q, self.num_attn_heads)
            k = self.make_rotary_embedding(f"/model/layers.{layer_id}/attn/k_rotary/RotaryEmbedding", k, self.num_kv_heads)
            name = f"/model/layers.{layer_id}/attn/MultiHeadAttention"
            self.node("MultiHeadAttention", [q, k, v, "", self.key_padding_mask, "", past_k, past_v],
                      [f"{name}/output_0", present_k, present_v], name=name, domain="com.microsoft",
                      num_heads=self.num_attn_heads, scale=self.scale, unidirectional=1)
        self.value(f"{name}/output_0", TensorProto.FLOAT, ["batch_size", "sequence_length", self.head_size * self.num_attn_heads])
        self.layernorm["skip_input"] = self.matmul(wo, f"/model/layers.{layer_id}/attn/o_proj/MatMul", f"{name}/output_0")

    def make_mlp(self, layer_id, W, root_input):
        p = f"model.layers.{layer_id}.mlp"
        gate = self.matmul(W[f"{p}.gate_proj.weight"], f"/model/layers.{layer_id}/mlp/gate_proj/MatMul", root_input)
        up = self.matmul(W[f"{p}.up_proj.weight"], f"/model/layers.{layer_id}/mlp/up_proj/MatMul", root_input)
        shape = ["batch_size", "sequence_length", self.intermediate_size]
        act = f"/model/layers.{layer_id}/mlp/act_fn"
        self.node("Sigmoid", [gate], [f"{act}/Sigmoid/output_0"], name=f"{act}/Sigmoid")
        self.value(f"{act}/Sigmoid/output_0", TensorProto.FLOAT, shape)
        self.node("Mul", [gate, f"{act}/Sigmoid/output_0"], [f"{act}/Mul/output_0"], name=f"{act}/Mul")
        self.value(f"{act}/Mul/output_0", TensorProto.FLOAT, shape)
        mul = f"/model/layers.{layer_id}/mlp/Mul"
        self.node("Mul", [f"{act}/Mul/output_0", up], [f"{mul}/output_0"], name=mul)
        self.value(f"{mul}/output_0", TensorProto.FLOAT, shape)
        self.layernorm["skip_input"] = self.matmul(W[f"{p}.down_proj.weight"], f"/model/layers.{layer_id}/mlp/down_proj/MatMul", f"{mul}/output_0")

    def build(self, W):
        self.make_inputs_and_outputs()
        self.make_attention_mask_reformatting()
        self.make_embedding(W["model.embed_tokens.weight"])
        for i in range(self.num_layers):
            self.make_layernorm(i, W[f"model.layers.{i}.input_layernorm.weight"], skip=not self.layernorm["first"], location="input")
            self.make_attention(i, W, self.layernorm["output_0"])
            self.make_layernorm(i, W[f"model.layers.{i}.post_attention_layernorm.weight"], skip=True, location="post_attention")
            self.make_mlp(i, W, self.layernorm["output_0"])
            self.layernorm["first"] = False
            if i == self.num_layers - 1:
                self.layernorm["last"] = True
        # final norm: a Skip norm named after layer L (= num_layers), output 0 only
        self.make_layernorm(self.num_layers, W["model.norm.weight"], skip=True, location="final_norm")
        self.matmul(W["model.lm_head.weight"], "/lm_head/MatMul", self.layernorm["output_0"], logits=True)

        if self.variant == "mha-bias":  # the builder's graph.sort(): its mask subgraph uses a value before making it
            self.nodes = topological_sort(self.nodes, {v.name for v in self.inputs} | {t.name for t in self.initializers})
        graph = helper.make_graph(self.nodes, "main_graph", self.inputs, self.outputs, self.initializers, value_info=self.value_infos)
        model = helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", 17), helper.make_operatorsetid("com.microsoft", 1)],
                                  producer_name="onnxruntime-genai", producer_version="0.0.0")
        model.ir_version = 8
        return model

    def genai_config(self, cfg, filename="model.onnx"):
        inputs = {"input_ids": "input_ids", "attention_mask": "attention_mask"}
        if self.family == "mha":
            inputs["position_ids"] = "position_ids"
        inputs.update({"past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"})
        return {
            "model": {
                "bos_token_id": cfg["bos_token_id"],
                "context_length": self.context_length,
                "decoder": {
                    "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                    "filename": filename,
                    "head_size": self.head_size,
                    "hidden_size": self.hidden_size,
                    "inputs": inputs,
                    "outputs": {"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value"},
                    "num_attention_heads": self.num_attn_heads,
                    "num_hidden_layers": self.num_layers,
                    "num_key_value_heads": self.num_kv_heads,
                },
                "eos_token_id": cfg["eos_token_id"],
                "pad_token_id": cfg["eos_token_id"],
                "type": "llama",
                "vocab_size": self.vocab_size,
            },
            "search": {
                "diversity_penalty": 0.0,
                "do_sample": False,
                "early_stopping": True,
                "length_penalty": 1.0,
                "max_length": self.context_length,
                "min_length": 0,
                "no_repeat_ngram_size": 0,
                "num_beams": 1,
                "num_return_sequences": 1,
                "past_present_share_buffer": self.family == "gqa",  # the builder sets it for GroupQueryAttention
                "repetition_penalty": 1.0,
                "temperature": 1.0,
                "top_k": 50,
                "top_p": 1.0,
            },
        }


def topological_sort(nodes, available):
    """Stable: each node goes as early as its inputs allow, ties in the order built."""
    available, pending, ordered = set(available) | {""}, list(nodes), []
    while pending:
        ready = next(i for i, n in enumerate(pending) if all(x in available for x in n.input))
        node = pending.pop(ready)
        ordered.append(node)
        available.update(node.output)
    return ordered


def to_fp16(model):
    """The fp16 twin of a built fp32 graph, as the builder writes it with `-p fp16`: every float
    initializer (weights, norm weights, cos/sin caches) is float16 (the builder casts the fp32
    tensors with torch `.to(float16)`: round to nearest even, as numpy's astype), every float
    value (past_key_values.*, present.*, logits and the value_info of the activations) is float16;
    input_ids / attention_mask stay int64 and the attention-mask subgraph int64 / int32. Nodes,
    names and attributes are unchanged (the only float attributes, epsilon and scale, are
    attributes, not tensors), so no Cast is needed anywhere."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            arr = numpy_helper.to_array(t)
            assert np.all(np.abs(arr) <= np.finfo(np.float16).max), t.name
            g.initializer[i].CopyFrom(numpy_helper.from_array(arr.astype(np.float16), t.name))
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    for node in g.node:
        for a in node.attribute:
            assert a.type != onnx.AttributeProto.TENSOR or a.t.data_type != TensorProto.FLOAT, node.name
            assert not (node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT), node.name
    return m


def main():
    src = onnx.load(os.path.join(SRC, "model.onnx"))
    W = {t.name: numpy_helper.to_array(t) for t in src.graph.initializer}
    # llama-tiny's MatMuls take Transpose(weight): torch Linear layout [out, in]
    transposed = {n.input[0] for n in src.graph.node if n.op_type == "Transpose"}
    assert all(f"model.layers.{i}.{m}.weight" in transposed for i in range(2)
               for m in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"))
    assert "model.lm_head.weight" in transposed
    with open(os.path.join(SRC, "config.json")) as f:
        cfg = json.load(f)

    for variant in ("gqa", "mha", "gqa-packed", "mha-bias"):
        out = os.path.join(FIXTURES, f"genai-{variant}")
        os.makedirs(out, exist_ok=True)
        g = Graph(cfg, variant)
        model = g.build(W)
        if variant == "gqa":  # the builder's from-scratch caches equal llama-tiny's baked ones
            inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
            assert np.array_equal(inits["cos_cache"], W["model.cos_cached"][:, : g.head_size // 2])
            assert np.array_equal(inits["sin_cache"], W["model.sin_cached"][:, : g.head_size // 2])
        # (onnx.checker would refuse SimplifiedLayerNormalization: ORT registers it in the ai.onnx
        # domain but ONNX itself has no such op; onnxruntime loads and runs these graphs.)
        onnx.save(model, os.path.join(out, "model.onnx"))
        if variant == "gqa":
            onnx.save(to_fp16(model), os.path.join(out, "model_fp16.onnx"))
            print("wrote", os.path.normpath(os.path.join(out, "model_fp16.onnx")), os.path.getsize(os.path.join(out, "model_fp16.onnx")), "bytes")
        with open(os.path.join(out, "genai_config.json"), "w") as f:
            json.dump(g.genai_config(cfg), f, indent=4)
        model_cfg = copy.deepcopy(cfg)
        model_cfg["num_key_value_heads"] = g.num_kv_heads
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(model_cfg, f, indent=2)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(SRC, name), os.path.join(out, name))
        print("wrote", os.path.normpath(out), os.path.getsize(os.path.join(out, "model.onnx")), "bytes,", len(model.graph.node), "nodes")


if __name__ == "__main__":
    main()
