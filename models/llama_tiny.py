"""A tiny Llama-style causal LM (RMSNorm, rotary position embedding, grouped-query attention,
SwiGLU MLP, untied unembedding), random weights (seeded), exported the way Optimum exports Llama
models, with golden internals computed in PyTorch. A test fixture for graph discovery on the
Llama family, not a model to use: lmscope's tests compare its internals with these values.

    /usr/bin/python3 models/llama_tiny.py     # writes test/fixtures/llama-tiny/
"""
import json
import math
import os
import shutil

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "llama-tiny")
CFG = dict(vocab_size=2048, hidden_size=64, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2,
           intermediate_size=128, max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=10000.0)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = d // self.h
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def forward(self, x, cos, sin, allowed, pk, pv, record):
        b, t, _ = x.shape
        q = self.q_proj(x).reshape(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).reshape(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).reshape(b, t, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat([pk, k], dim=2)
        v = torch.cat([pv, v], dim=2)
        rep = self.h // self.kv
        kr = k[:, :, None].expand(b, self.kv, rep, k.shape[2], self.hd).reshape(b, self.h, k.shape[2], self.hd)
        vr = v[:, :, None].expand(b, self.kv, rep, v.shape[2], self.hd).reshape(b, self.h, v.shape[2], self.hd)
        scores = torch.matmul(q, kr.transpose(-2, -1)) / math.sqrt(self.hd)
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        probs = F.softmax(scores, dim=-1)
        if record is not None:
            record["attention"].append(probs.detach())
        y = torch.matmul(probs, vr).transpose(1, 2).reshape(b, t, self.h * self.hd)
        return self.o_proj(y), k, v


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], c["hidden_size"], bias=False)

    def forward(self, x, record):
        h = F.silu(self.gate_proj(x)) * self.up_proj(x)
        if record is not None:
            record["mlp"].append(h.detach())
        return self.down_proj(h)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, allowed, pk, pv, record):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, allowed, pk, pv, record)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x), record)
        return x, k, v


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        hd = c["hidden_size"] // c["num_attention_heads"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        freqs = torch.outer(torch.arange(c["max_position_embeddings"]).float(), inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.register_buffer("cos_cached", emb.cos())
        self.register_buffer("sin_cached", emb.sin())

    def forward(self, input_ids, attention_mask, position_ids, past, record=None):
        t = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        total = past_len + t
        qpos = torch.arange(t).unsqueeze(1) + past_len
        kpos = torch.arange(total).unsqueeze(0)
        allowed = (kpos <= qpos)[None, None] & attention_mask.bool()[:, None, None, :]
        cos = self.cos_cached[position_ids].unsqueeze(1)
        sin = self.sin_cached[position_ids].unsqueeze(1)
        x = self.embed_tokens(input_ids)
        if record is not None:
            record["residual"].append(x.detach())
        presents = []
        for layer, (pk, pv) in zip(self.layers, past):
            x, k, v = layer(x, cos, sin, allowed, pk, pv, record)
            presents.append((k, v))
            if record is not None:
                record["residual"].append(x.detach())
        return self.lm_head(self.norm(x)), presents

    def empty_past(self):
        c = self.c
        z = torch.zeros(1, c["num_key_value_heads"], 0, c["hidden_size"] // c["num_attention_heads"])
        return [(z, z) for _ in range(c["num_hidden_layers"])]


class Exported(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.model = m

    def forward(self, input_ids, attention_mask, position_ids, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        return (logits, *[t for kv in presents for t in kv])


def main():
    torch.manual_seed(3)
    os.makedirs(OUT, exist_ok=True)
    model = Llama(CFG).eval()
    for p in model.parameters():
        if p.dim() == 2:
            nn.init.normal_(p, std=0.15)
    n = CFG["num_hidden_layers"]
    names_past = [f"past_key_values.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    names_present = [f"present.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    hd = CFG["hidden_size"] // CFG["num_attention_heads"]
    past = [torch.randn(1, CFG["num_key_value_heads"], 2, hd) for _ in range(2 * n)]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size", 1: "sequence_length"}}
    dyn.update({k: {0: "batch_size", 2: "past_sequence_length"} for k in names_past})
    dyn.update({k: {0: "batch_size", 2: "total_sequence_length"} for k in names_present})
    with torch.no_grad():
        torch.onnx.export(Exported(model), (torch.tensor([[5, 6, 7]]), torch.ones(1, 5, dtype=torch.long), torch.tensor([[2, 3, 4]]), *past),
                          os.path.join(OUT, "model.onnx"), opset_version=17, do_constant_folding=False,
                          input_names=["input_ids", "attention_mask", "position_ids", *names_past],
                          output_names=["logits", *names_present], dynamic_axes=dyn)
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], **CFG, "tie_word_embeddings": False, "eos_token_id": 2047, "bos_token_id": 2047}
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(HERE, "default", name), os.path.join(OUT, name))
    ids = [1171, 258, 1807, 1255, 386, 279, 550, 282, 258, 736]  # "In the beginning God created the heaven"
    rec = {"attention": [], "residual": [], "mlp": []}
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long), torch.arange(len(ids)).unsqueeze(0), model.empty_past(), rec)
        lens = [F.softmax(model.lm_head(model.norm(h[0])), -1) for h in rec["residual"]]
    r = lambda x: [round(float(v), 7) for v in x]
    golden = {
        "ids": ids,
        "attention": [[[r(row) for row in head] for head in a[0]] for a in rec["attention"]],
        "residual_norm": [r(h[0].norm(dim=-1)) for h in rec["residual"]],
        "mlp_norm": [r(h[0].norm(dim=-1)) for h in rec["mlp"]],
        "logits_last": r(logits[0, -1]),
        "lens_top1_last": [int(p[-1].argmax()) for p in lens],
        "lens_p_last": [round(float(p[-1].max()), 7) for p in lens],
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print("wrote", OUT, os.path.getsize(os.path.join(OUT, "model.onnx")), "bytes")


if __name__ == "__main__":
    main()
