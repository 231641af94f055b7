"""Export the trained default model to ONNX the way users' models arrive (inputs input_ids,
attention_mask, position_ids, past_key_values.N.key/value; outputs logits, present.N.key/value; no
internals as outputs), write its Hugging Face-style config and tokenizer, and compute the golden
fixtures in PyTorch that lmscope's tests compare against.

    /usr/bin/python3 models/export.py
"""
import json
import os

import torch
import torch.nn.functional as F

import bpe
from gpt import GPT

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, ".build")
OUT = os.path.join(HERE, "default")
GOLDEN = os.path.join(OUT, "golden")

GOLDEN_PROMPTS = [
    "In the beginning God created the heaven",
    "And the LORD spake unto Moses, saying,",
    "The doctor said that the king of Egypt",
]
SAMPLE_PROMPTS = ["In the beginning", "And the king said unto", "The doctor said that", "Blessed are the"]


class Exported(torch.nn.Module):
    """Flat tensor arguments for torch.onnx.export."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        return (logits, *[t for kv in presents for t in kv])


def load():
    ckpt = torch.load(f"{BUILD}/model.pt")
    c = ckpt["cfg"]
    model = GPT(vocab=c["vocab_size"], n_pos=c["n_positions"], d=c["n_embd"], n_layer=c["n_layer"],
                n_head=c["n_head"], inner=c["n_inner"], dropout=0.0)
    model.load_state_dict(ckpt["state"])
    model.eval()
    return model, bpe.Encoder(ckpt["vocab"], ckpt["merges"]), ckpt


def export_onnx(model, path):
    c = model.cfg
    n_layer, hd = c["n_layer"], c["n_embd"] // c["n_head"]
    b, t, p = 1, 3, 2
    ids = torch.randint(0, c["vocab_size"], (b, t))
    mask = torch.ones(b, p + t, dtype=torch.long)
    pos = torch.arange(p, p + t).unsqueeze(0)
    past = [torch.randn(b, c["n_head"], p, hd) for _ in range(2 * n_layer)]
    past_names = [f"past_key_values.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_names:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad():
        torch.onnx.export(Exported(model), (ids, mask, pos, *past), path, opset_version=17,
                          do_constant_folding=False,
                          input_names=["input_ids", "attention_mask", "position_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_axes=dyn)


def top(values, k):
    v, i = torch.topk(values, k)
    return {"ids": i.tolist(), "values": [round(x, 6) for x in v.tolist()]}


def r(x, nd=7):
    if isinstance(x, list):
        return [r(y, nd) for y in x]
    return round(float(x), nd)


@torch.no_grad()
def golden(model, enc, prompt, n_greedy=12):
    ids = enc.encode(prompt)
    x = torch.tensor([ids])
    t = len(ids)
    rec = {"attention": [], "residual": [], "mlp": []}
    logits, _ = model(x, torch.ones(1, t, dtype=torch.long), torch.arange(t).unsqueeze(0), model.empty_past(), rec)
    logits = logits[0]
    lens = [F.softmax(model.lens(h[0]), dim=-1) for h in rec["residual"]]
    mlp_stats = []
    for h in rec["mlp"]:
        h = h[0]
        mlp_stats.append({"mean": r(h.mean(-1).tolist()), "max": r(h.max(-1).values.tolist()),
                          "argmax": h.argmax(-1).tolist(), "norm": r(h.norm(dim=-1).tolist()),
                          "last_top5": top(h[-1], 5)})
    greedy = []
    seq = list(ids)
    for _ in range(n_greedy):
        xs = torch.tensor([seq])
        lg, _ = model(xs, torch.ones_like(xs), torch.arange(len(seq)).unsqueeze(0), model.empty_past())
        nxt = int(lg[0, -1].argmax())
        greedy.append(nxt)
        seq.append(nxt)
    return {
        "prompt": prompt,
        "ids": ids,
        "logits_top5": [top(logits[i], 5) for i in range(t)],
        "attention": [r(a[0].tolist()) for a in rec["attention"]],
        "residual_norm": [r(h[0].norm(dim=-1).tolist(), 6) for h in rec["residual"]],
        "mlp": mlp_stats,
        "logit_lens_top5": [[top(p[i], 5) for i in range(t)] for p in lens],
        "greedy_ids": greedy,
    }


@torch.no_grad()
def samples(model, enc, n_new=40):
    eos = enc.vocab[bpe.EOS]
    out = []
    for prompt in SAMPLE_PROMPTS:
        for mode in ("greedy", "sample"):
            g = torch.Generator().manual_seed(7)
            seq = enc.encode(prompt)
            for _ in range(n_new):
                xs = torch.tensor([seq[-model.cfg["n_positions"]:]])
                lg, _ = model(xs, torch.ones_like(xs), torch.arange(xs.shape[1]).unsqueeze(0), model.empty_past())
                lg = lg[0, -1]
                if mode == "greedy":
                    nxt = int(lg.argmax())
                else:
                    nxt = int(torch.multinomial(F.softmax(lg / 0.8, -1), 1, generator=g))
                if nxt == eos:
                    break
                seq.append(nxt)
            out.append({"prompt": prompt, "mode": mode, "text": enc.decode(seq)})
    return out


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model, enc, ckpt = load()
    os.makedirs(GOLDEN, exist_ok=True)
    c = model.cfg
    eos = enc.vocab[bpe.EOS]
    config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": c["vocab_size"],
              "n_positions": c["n_positions"], "n_ctx": c["n_positions"], "n_embd": c["n_embd"],
              "n_layer": c["n_layer"], "n_head": c["n_head"], "n_inner": c["n_inner"],
              "activation_function": "gelu", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True,
              "bos_token_id": eos, "eos_token_id": eos, "use_cache": True,
              "lmscope_corpus": "King James Bible (Debian bible-kjv), public domain"}
    with open(f"{OUT}/config.json", "w") as f:
        json.dump(config, f, indent=2)
    bpe.save_hf(ckpt["vocab"], ckpt["merges"], OUT, c["n_positions"])
    export_onnx(model, f"{OUT}/model.onnx")
    for i, prompt in enumerate(GOLDEN_PROMPTS):
        with open(f"{GOLDEN}/prompt{i + 1}.json", "w") as f:
            json.dump(golden(model, enc, prompt), f, separators=(",", ":"))
    with open(f"{OUT}/samples.json", "w") as f:
        json.dump(samples(model, enc), f, indent=2)
    # The training run's figures travel with the model so the model card can be checked against them.
    with open(f"{BUILD}/train_stats.json") as f:
        stats = json.load(f)
    with open(f"{OUT}/training.json", "w") as f:
        json.dump(stats, f, indent=2)
    print("exported", os.path.getsize(f"{OUT}/model.onnx"), "bytes")


if __name__ == "__main__":
    main()
