"""The default model: a small GPT-2-shaped causal LM (pre-LayerNorm, learned positions, packed
QKV, GELU MLP, tied embeddings) written so that torch.onnx.export produces what users' torch and
Optimum exports look like: attention decomposed into MatMul -> Mul -> Where -> Softmax -> MatMul,
node names from the module path (/transformer/h.N/attn/...), a KV cache as extra inputs/outputs.

`record` collects the internals lmscope must recover from the ONNX graph on its own; the golden
fixtures are computed from it, independently of ONNX."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d, n_head, dropout):
        super().__init__()
        self.n_head, self.head_dim = n_head, d // n_head
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, allowed, past_k, past_v, record=None):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.reshape(b, t, self.n_head, self.head_dim).transpose(1, 2)
        k = k.reshape(b, t, self.n_head, self.head_dim).transpose(1, 2)
        v = v.reshape(b, t, self.n_head, self.head_dim).transpose(1, 2)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        probs = F.softmax(scores, dim=-1)
        if record is not None:
            record["attention"].append(probs.detach())
        y = torch.matmul(self.drop(probs), v)
        y = y.transpose(1, 2).reshape(b, t, c)
        return self.drop(self.c_proj(y)), k, v


class MLP(nn.Module):
    def __init__(self, d, inner, dropout):
        super().__init__()
        self.c_fc = nn.Linear(d, inner)
        self.act = nn.GELU()
        self.c_proj = nn.Linear(inner, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, record=None):
        h = self.act(self.c_fc(x))
        if record is not None:
            record["mlp"].append(h.detach())
        return self.drop(self.c_proj(h))


class Block(nn.Module):
    def __init__(self, d, n_head, inner, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = Attention(d, n_head, dropout)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = MLP(d, inner, dropout)

    def forward(self, x, allowed, past_k, past_v, record=None):
        a, k, v = self.attn(self.ln_1(x), allowed, past_k, past_v, record)
        x = x + a
        x = x + self.mlp(self.ln_2(x), record)
        return x, k, v


class Transformer(nn.Module):
    def __init__(self, vocab, n_pos, d, n_layer, n_head, inner, dropout):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(n_pos, d)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList([Block(d, n_head, inner, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)


class GPT(nn.Module):
    def __init__(self, vocab=2048, n_pos=128, d=128, n_layer=4, n_head=4, inner=512, dropout=0.1):
        super().__init__()
        self.cfg = dict(vocab_size=vocab, n_positions=n_pos, n_embd=d, n_layer=n_layer, n_head=n_head,
                        n_inner=inner)
        self.transformer = Transformer(vocab, n_pos, d, n_layer, n_head, inner, dropout)
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask, position_ids, past, record=None):
        """past: list of (key, value) [batch, heads, past_len, head_dim]. Returns logits and presents."""
        tr = self.transformer
        t = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        total = past_len + t
        query_pos = torch.arange(t, device=input_ids.device).unsqueeze(1) + past_len
        key_pos = torch.arange(total, device=input_ids.device).unsqueeze(0)
        causal = (key_pos <= query_pos).unsqueeze(0).unsqueeze(0)
        allowed = causal & attention_mask.bool().unsqueeze(1).unsqueeze(2)
        x = tr.drop(tr.wte(input_ids) + tr.wpe(position_ids))
        if record is not None:
            record["residual"].append(x.detach())
        presents = []
        for block, (pk, pv) in zip(tr.h, past):
            x, k, v = block(x, allowed, pk, pv, record)
            presents.append((k, v))
            if record is not None:
                record["residual"].append(x.detach())
        logits = F.linear(tr.ln_f(x), tr.wte.weight)
        return logits, presents

    def empty_past(self, batch=1):
        c = self.cfg
        hd = c["n_embd"] // c["n_head"]
        z = torch.zeros(batch, c["n_head"], 0, hd)
        return [(z, z) for _ in range(c["n_layer"])]

    def lens(self, residual):
        """Logit lens: the model's own final norm and unembedding applied to a residual stream."""
        return F.linear(self.transformer.ln_f(residual), self.transformer.wte.weight)
