"""Train lmscope's encoder-classifier test model: a small BERT-style encoder (post-LayerNorm,
bidirectional attention, [CLS] pooler, classification head) that reads one King James Bible verse
and says which section of the Bible it comes from (law, history, wisdom, prophets, gospels,
epistles). Then export it to ONNX the way Optimum exports BertForSequenceClassification (inputs
input_ids, attention_mask, token_type_ids; output logits; no internals as outputs) and compute the
golden fixtures with the PyTorch module.

    /usr/bin/python3 models/classifier.py [--steps N] [--out DIR]

Needs Debian's python3-torch, python3-onnx and bible-kjv, and models/default/tokenizer.json (the
default model's byte-level BPE, reused). Deterministic for a given seed and thread count.
Writes models/classifier/: model.onnx, config.json, tokenizer.json, tokenizer_config.json,
golden.json, training.json.
"""
import argparse
import json
import math
import os
import re
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import bpe

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "classifier")
DEFAULT_TOKENIZER = os.path.join(HERE, "default", "tokenizer.json")

LABELS = ["law", "history", "wisdom", "prophets", "gospels", "epistles"]
# Book abbreviations exactly as Debian's `bible` command prints them, in canonical order.
SECTIONS = {
    "law": "Ge Exo Lev Num Deu",
    "history": "Josh Jdgs Ruth 1Sm 2Sm 1Ki 2Ki 1Chr 2Chr Ezra Neh Est",
    "wisdom": "Job Psa Prv Eccl SSol",
    "prophets": "Isa Jer Lam Eze Dan Hos Joel Amos Obad Jonah Mic Nahum Hab Zep Hag Zec Mal",
    "gospels": "Mat Mark Luke John Acts",
    "epistles": "Rom 1Cor 2Cor Gal Eph Phi Col 1Th 2Th 1Tim 2Tim Titus Phmn Heb Jas 1Pet 2Pet 1Jn 2Jn 3Jn Jude Rev",
}
BOOK_LABEL = {book: LABELS.index(sec) for sec, books in SECTIONS.items() for book in books.split()}

MAX_LEN = 64        # tokens including the [CLS] token
CLS = bpe.EOS       # <|endoftext|>, id 2047, doubles as the classification token (and padding)
CONFIG = {"vocab_size": 2048, "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
          "intermediate_size": 512, "max_position_embeddings": MAX_LEN, "type_vocab_size": 2,
          "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
          "initializer_range": 0.02}

# Held-out verses for the golden fixtures: different sections, moderate lengths.
GOLDEN_REFS = ["Ge8:1", "Isa9:2", "Jas2:26"]


# ---------------------------------------------------------------------------------------------
# Data

def load_verses():
    """Every verse of the KJV as (reference, text, label, held_out); every 20th chapter is held out,
    counted as in train.py (chapter index % 20 == 7)."""
    raw = subprocess.run(["bible", "-f", "gen1:1-rev22:21"], stdin=subprocess.DEVNULL, capture_output=True,
                         check=True).stdout.decode("ascii")
    verses = []
    n_chapters = -1
    last = None
    for line in raw.splitlines():
        ref, _, text = line.partition(" ")
        chapter = ref.split(":")[0]
        if chapter != last:
            n_chapters += 1
            last = chapter
        book = re.fullmatch(r"(\d?[A-Za-z]+)(\d+)", chapter).group(1)
        verses.append((ref, text.strip(), BOOK_LABEL[book], n_chapters % 20 == 7))
    books = {re.fullmatch(r"(\d?[A-Za-z]+)\d+", v[0].split(":")[0]).group(1) for v in verses}
    assert books == set(BOOK_LABEL), sorted(books ^ set(BOOK_LABEL))
    return verses, n_chapters + 1


def load_tokenizer():
    with open(DEFAULT_TOKENIZER) as f:
        tok = json.load(f)
    model = tok["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return tok, bpe.Encoder(model["vocab"], merges)


def encode(enc, text):
    """What the exported tokenizer gives with add_special_tokens=true: [CLS] + BPE ids, truncated."""
    return [enc.vocab[CLS]] + enc.encode(text)[:MAX_LEN - 1]


def save_tokenizer(tok):
    """The default model's tokenizer with a TemplateProcessing post-processor that prepends
    <|endoftext|> as the classification token (BERT's [CLS]). ByteLevel stays first in a Sequence
    (it only touches offsets)."""
    tok = dict(tok)
    cls_id = tok["model"]["vocab"][CLS]
    special = {"id": CLS, "type_id": 0}
    template = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": special}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": special}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {CLS: {"id": CLS, "ids": [cls_id], "tokens": [CLS]}},
    }
    old = tok.get("post_processor")
    tok["post_processor"] = {"type": "Sequence", "processors": [old, template]} if old else template
    with open(f"{OUT}/tokenizer.json", "w") as f:
        json.dump(tok, f, ensure_ascii=False)
    cfg = {"tokenizer_class": "GPT2Tokenizer", "model_max_length": MAX_LEN, "cls_token": CLS, "bos_token": CLS,
           "eos_token": CLS, "unk_token": CLS, "pad_token": CLS, "add_bos_token": False, "add_prefix_space": False,
           "clean_up_tokenization_spaces": False, "padding_side": "right", "truncation_side": "right"}
    with open(f"{OUT}/tokenizer_config.json", "w") as f:
        json.dump(cfg, f, indent=2)


# ---------------------------------------------------------------------------------------------
# Model: Hugging Face BertForSequenceClassification's module layout (so node names read
# /bert/encoder/layer.0/attention/self/Softmax etc.), written out here because the transformers
# library is not available. `record` collects the internals the golden fixtures need.

class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], d)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], d)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids, token_type_ids):
        pos = torch.arange(input_ids.shape[1], dtype=torch.long).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.n_head = c["num_attention_heads"]
        self.head_dim = d // self.n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def heads(self, x):
        b, t, _ = x.shape
        return x.reshape(b, t, self.n_head, self.head_dim).transpose(1, 2)

    def forward(self, x, mask_add, record=None):
        b, t, d = x.shape
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        scores = scores + mask_add
        probs = F.softmax(scores, dim=-1)
        if record is not None:
            record["attention"].append(probs.detach())
        ctx = torch.matmul(self.dropout(probs), v)
        return ctx.transpose(1, 2).reshape(b, t, d)


class DenseLayerNorm(nn.Module):
    """BertSelfOutput / BertOutput: LN(residual + dropout(dense(x)))."""

    def __init__(self, c, d_in):
        super().__init__()
        self.dense = nn.Linear(d_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(residual + self.dropout(self.dense(x)))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseLayerNorm(c, c["hidden_size"])

    def forward(self, x, mask_add, record=None):
        return self.output(self.self(x, mask_add, record), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLayerNorm(c, c["intermediate_size"])

    def forward(self, x, mask_add, record=None):
        x = self.attention(x, mask_add, record)
        h = self.intermediate(x)
        if record is not None:
            record["mlp"].append(h.detach())
        return self.output(h, x)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask_add, record=None):
        for layer in self.layer:
            x = layer(x, mask_add, record)
            if record is not None:
                record["hidden"].append(x.detach())
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, hidden):
        return torch.tanh(self.dense(hidden[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids, record=None):
        # Additive padding mask on the keys, as Hugging Face's BERT builds it.
        mask_add = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids, token_type_ids)
        if record is not None:
            record["hidden"].append(x.detach())
        return self.pooler(self.encoder(x, mask_add, record))


class BertForSequenceClassification(nn.Module):
    def __init__(self, c, num_labels):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], num_labels)
        for m in self.modules():  # BERT's initialisation
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=c["initializer_range"])
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask, token_type_ids, record=None):
        return self.classifier(self.dropout(self.bert(input_ids, attention_mask, token_type_ids, record)))

    def lens(self, hidden_cls):
        """The classifier head applied to any layer's [CLS] vector: a classifier's logit lens."""
        return self.classifier(torch.tanh(self.bert.pooler.dense(hidden_cls)))


# ---------------------------------------------------------------------------------------------
# Training

def pad_batch(seqs, pad_id):
    t = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), t), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), t), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask, torch.zeros_like(ids)


def balanced_batches(seqs, labels, batch, gen, group=16):
    """Class-balanced sampling (weight 1/class size), with replacement. Each draw of `group`
    batches is sorted by length before splitting so batches carry little padding; the batch order
    is then shuffled."""
    counts = torch.bincount(labels, minlength=len(LABELS)).float()
    weights = 1.0 / counts[labels]
    lengths = torch.tensor([len(s) for s in seqs])
    while True:
        ix = torch.multinomial(weights, batch * group, replacement=True, generator=gen)
        ix = ix[torch.argsort(lengths[ix], stable=True)]
        chunks = ix.split(batch)
        for j in torch.randperm(len(chunks), generator=gen).tolist():
            yield chunks[j]


@torch.no_grad()
def predict(model, seqs, pad_id, batch=128):
    model.eval()
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    preds = [0] * len(seqs)
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        ids, mask, tt = pad_batch([seqs[i] for i in idx], pad_id)
        for i, p in zip(idx, model(ids, mask, tt).argmax(-1).tolist()):
            preds[i] = p
    model.train()
    return preds


def accuracy_report(preds, labels):
    n = len(LABELS)
    confusion = [[0] * n for _ in range(n)]
    for p, y in zip(preds, labels):
        confusion[y][p] += 1
    per_class = {LABELS[c]: round(confusion[c][c] / max(1, sum(confusion[c])), 4) for c in range(n)}
    overall = sum(confusion[c][c] for c in range(n)) / len(labels)
    return {"overall": round(overall, 4), "macro": round(sum(per_class.values()) / n, 4),
            "per_class": per_class, "confusion": confusion}


def train(model, seqs, labels, held_seqs, held_labels, pad_id, args):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    gen = torch.Generator().manual_seed(args.seed)
    y_all = torch.tensor(labels)
    log = []
    t0 = time.time()
    warmup = max(1, args.steps // 20)
    model.train()
    for step, ix in zip(range(args.steps), balanced_batches(seqs, y_all, args.batch, gen)):
        lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        ids, mask, tt = pad_batch([seqs[i] for i in ix.tolist()], pad_id)
        logits = model(ids, mask, tt)
        loss = F.cross_entropy(logits, y_all[ix])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            entry = {"step": step, "loss": round(loss.item(), 4)}
            msg = f"step {step} loss {loss.item():.3f} lr {lr:.2e} {time.time() - t0:.0f}s"
            if step % 500 == 0 or step == args.steps - 1:
                acc = accuracy_report(predict(model, held_seqs, pad_id), held_labels)
                entry["held_out_accuracy"] = acc["overall"]
                msg += f" held-out acc {acc['overall']:.3f} (macro {acc['macro']:.3f})"
            print(msg, flush=True)
            log.append(entry)
    return time.time() - t0, log


# ---------------------------------------------------------------------------------------------
# Export and golden fixtures

def export_onnx(model, path):
    model.eval()
    ids = torch.tensor([[2047, 5, 6, 7, 8], [2047, 9, 10, 2047, 2047]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    tt = torch.zeros_like(ids)
    axes = {0: "batch_size", 1: "sequence_length"}
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask, tt), path, opset_version=17, do_constant_folding=False,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "logits": {0: "batch_size"}})


def r(x, nd=7):
    if isinstance(x, list):
        return [r(y, nd) for y in x]
    return round(float(x), nd)


@torch.no_grad()
def golden_case(model, ref, text, label, ids):
    model.eval()
    x = torch.tensor([ids])
    rec = {"attention": [], "hidden": [], "mlp": []}
    logits = model(x, torch.ones_like(x), torch.zeros_like(x), rec)[0]
    probs = F.softmax(logits, -1)
    return {
        "ref": ref, "text": text, "label": LABELS[label], "label_id": label,
        "predicted": LABELS[int(logits.argmax())],
        "ids": ids,
        "logits": r(logits.tolist()),
        "probabilities": r(probs.tolist()),
        "attention": [r(a[0].tolist()) for a in rec["attention"]],
        "hidden_norm": [r(h[0].norm(dim=-1).tolist()) for h in rec["hidden"]],
        "hidden_first8": [r(h[0, :, :8].tolist()) for h in rec["hidden"]],
        "mlp_norm": [r(h[0].norm(dim=-1).tolist()) for h in rec["mlp"]],
        "lens_probabilities": [r(F.softmax(model.lens(h[0, 0]), -1).tolist()) for h in rec["hidden"]],
    }


@torch.no_grad()
def golden_padded(model, short, long_len, pad_id):
    ids = short["ids"]
    n_pad = long_len - len(ids)
    x = torch.tensor([ids + [pad_id] * n_pad])
    mask = torch.tensor([[1] * len(ids) + [0] * n_pad])
    logits = model(x, mask, torch.zeros_like(x))[0]
    unpadded = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long),
                     torch.zeros(1, len(ids), dtype=torch.long))[0]
    return {"ref": short["ref"], "ids": x[0].tolist(), "attention_mask": mask[0].tolist(),
            "token_type_ids": [0] * long_len, "logits": r(logits.tolist()), "unpadded_logits": r(unpadded.tolist()),
            "max_abs_diff": float((logits - unpadded).abs().max())}


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default=OUT, help="output folder (for trial runs)")
    args = ap.parse_args()
    OUT = args.out
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    os.makedirs(OUT, exist_ok=True)

    verses, n_chapters = load_verses()
    tok, enc = load_tokenizer()
    pad_id = enc.vocab[CLS]
    train_v = [v for v in verses if not v[3]]
    held_v = [v for v in verses if v[3]]
    seqs = [encode(enc, v[1]) for v in train_v]
    labels = [v[2] for v in train_v]
    held_seqs = [encode(enc, v[1]) for v in held_v]
    held_labels = [v[2] for v in held_v]
    train_counts = {LABELS[c]: labels.count(c) for c in range(len(LABELS))}
    held_counts = {LABELS[c]: held_labels.count(c) for c in range(len(LABELS))}
    print(f"{len(train_v)} training verses, {len(held_v)} held-out ({n_chapters} chapters); "
          f"train per class {train_counts}; held-out per class {held_counts}; "
          f"truncated {sum(len(enc.encode(v[1])) > MAX_LEN - 1 for v in verses)} verses", flush=True)

    model = BertForSequenceClassification(CONFIG, len(LABELS))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params}", flush=True)
    seconds, log = train(model, seqs, labels, held_seqs, held_labels, pad_id, args)
    acc = accuracy_report(predict(model, held_seqs, pad_id), held_labels)
    train_acc = accuracy_report(predict(model, seqs, pad_id), labels)
    majority = max(range(len(LABELS)), key=lambda c: labels.count(c))
    baseline = held_labels.count(majority) / len(held_labels)
    print(f"held-out accuracy {acc['overall']:.4f} (macro {acc['macro']:.4f}) per class {acc['per_class']}; "
          f"majority-class baseline ({LABELS[majority]}) {baseline:.4f}; training accuracy {train_acc['overall']:.4f}; "
          f"{seconds:.0f}s", flush=True)

    config = {"model_type": "bert", "architectures": ["BertForSequenceClassification"],
              **{k: v for k, v in CONFIG.items()}, "hidden_act": "gelu", "position_embedding_type": "absolute",
              "pad_token_id": pad_id, "cls_token_id": pad_id,
              "id2label": {str(i): l for i, l in enumerate(LABELS)}, "label2id": {l: i for i, l in enumerate(LABELS)},
              "problem_type": "single_label_classification", "torch_dtype": "float32",
              "lmscope_corpus": "King James Bible (Debian bible-kjv), public domain; label = section of the Bible"}
    with open(f"{OUT}/config.json", "w") as f:
        json.dump(config, f, indent=2)
    save_tokenizer(tok)
    export_onnx(model, f"{OUT}/model.onnx")

    by_ref = {v[0]: v for v in held_v}
    cases = []
    for ref in GOLDEN_REFS:
        v = by_ref[ref]
        cases.append(golden_case(model, ref, v[1], v[2], encode(enc, v[1])))
    short = min(cases, key=lambda c: len(c["ids"]))
    padded = golden_padded(model, short, max(len(c["ids"]) for c in cases), pad_id)
    golden = {"description": "PyTorch (float32) reference values for models/classifier/model.onnx. attention"
                             "[layer][head][query][key]; hidden_norm/hidden_first8[k][pos]: k=0 after the embedding"
                             " LayerNorm, k=i+1 output of layer i; mlp_norm[layer][pos]: L2 norm of the GELU output;"
                             " lens_probabilities[k] = softmax(classifier(pooler(hidden_k[CLS]))).",
              "labels": LABELS, "cases": cases, "padded": padded}
    with open(f"{OUT}/golden.json", "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    for c in cases:
        print(f"golden {c['ref']} ({c['label']}, {len(c['ids'])} tokens) -> {c['predicted']} "
              f"p={max(c['probabilities']):.3f}", flush=True)
    print(f"padded {padded['ref']} to {len(padded['ids'])}: max |logit diff| {padded['max_abs_diff']:.2e}", flush=True)

    stats = {"task": "KJV verse -> section of the Bible", "labels": LABELS,
             "sections": {s: b.split() for s, b in SECTIONS.items()},
             "config": CONFIG, "parameters": n_params, "seed": args.seed, "steps": args.steps, "batch": args.batch,
             "lr": args.lr, "schedule": "linear warm-up (5%), cosine decay", "optimizer": "AdamW (0.9, 0.98), wd 0.01",
             "sampling": "class-balanced (weight 1/class size), with replacement", "max_len": MAX_LEN,
             "threads": torch.get_num_threads(), "train_seconds": round(seconds, 1),
             "chapters": n_chapters, "held_out_rule": "chapter index % 20 == 7",
             "train_verses": len(train_v), "held_out_verses": len(held_v),
             "train_per_class": train_counts, "held_out_per_class": held_counts,
             "held_out_accuracy": acc["overall"], "held_out_macro_accuracy": acc["macro"],
             "held_out_accuracy_per_class": acc["per_class"], "held_out_confusion": acc["confusion"],
             "train_accuracy": train_acc["overall"],
             "majority_baseline": {"label": LABELS[majority], "held_out_accuracy": round(baseline, 4),
                                   "held_out_macro_accuracy": round(1 / len(LABELS), 4)},
             "loss_log": log, "torch": torch.__version__}
    with open(f"{OUT}/training.json", "w") as f:
        json.dump(stats, f, indent=2)
    print("exported", os.path.getsize(f"{OUT}/model.onnx"), "bytes", flush=True)


if __name__ == "__main__":
    main()
