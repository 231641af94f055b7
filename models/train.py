"""Train the default model: byte-level BPE on the King James Bible (Debian's bible-kjv), then a
small GPT. Deterministic for a given seed and thread count. Writes models/.build/ (ignored by git).

    /usr/bin/python3 models/train.py [--steps N]
"""
import argparse
import json
import math
import os
import random
import subprocess
import time

import torch

import bpe
from gpt import GPT

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, ".build")


def load_corpus():
    """Verses of the KJV, one a line, grouped by chapter; every 20th chapter is held out."""
    raw = subprocess.run(["bible", "-f", "gen1:1-rev22:21"], stdin=subprocess.DEVNULL, capture_output=True,
                         check=True).stdout.decode("ascii")
    chapters = []
    last = None
    for line in raw.splitlines():
        ref, _, text = line.partition(" ")
        chapter = ref.split(":")[0]
        if chapter != last:
            chapters.append([])
            last = chapter
        chapters[-1].append(text.strip())
    train = [c for i, c in enumerate(chapters) if i % 20 != 7]
    held = [c for i, c in enumerate(chapters) if i % 20 == 7]
    join = lambda cs: "".join("\n".join(c) + "\n" for c in cs)
    return join(train), join(held), len(chapters), len(held)


def batches(data, n_ctx, batch, gen):
    while True:
        ix = torch.randint(len(data) - n_ctx - 1, (batch,), generator=gen)
        x = torch.stack([data[i:i + n_ctx] for i in ix])
        y = torch.stack([data[i + 1:i + n_ctx + 1] for i in ix])
        yield x, y


def forward(model, x):
    b, t = x.shape
    pos = torch.arange(t).unsqueeze(0).expand(b, t)
    logits, _ = model(x, torch.ones(b, t, dtype=torch.long), pos, model.empty_past(b))
    return logits


@torch.no_grad()
def perplexity(model, data, n_ctx):
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(data) - 1, n_ctx):
        x = data[i:i + n_ctx].unsqueeze(0)
        y = data[i + 1:i + n_ctx + 1].unsqueeze(0)
        x = x[:, :y.shape[1]]
        logits = forward(model, x)
        total += torch.nn.functional.cross_entropy(logits[0], y[0], reduction="sum").item()
        count += y.shape[1]
    model.train()
    return math.exp(total / count)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    os.makedirs(BUILD, exist_ok=True)

    train_text, held_text, n_chapters, n_held = load_corpus()
    t0 = time.time()
    vocab, merges = bpe.train(train_text, 2048)
    enc = bpe.Encoder(vocab, merges)
    train_ids = torch.tensor(enc.encode(train_text), dtype=torch.long)
    held_ids = torch.tensor(enc.encode(held_text), dtype=torch.long)
    print(f"tokenizer: {len(vocab)} tokens in {time.time() - t0:.1f}s; train {len(train_ids)} tokens "
          f"({len(train_text) / len(train_ids):.2f} chars/token), held-out {len(held_ids)}", flush=True)

    model = GPT(vocab=len(vocab))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(args.seed)
    n_ctx = model.cfg["n_positions"]
    warmup = 100
    t0 = time.time()
    log = []
    for step, (x, y) in zip(range(args.steps), batches(train_ids, n_ctx, args.batch, gen)):
        lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        logits = forward(model, x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            el = time.time() - t0
            print(f"step {step} loss {loss.item():.3f} lr {lr:.2e} {el:.0f}s "
                  f"{(step + 1) * args.batch * n_ctx / max(el, 1e-9):.0f} tok/s", flush=True)
            log.append({"step": step, "loss": round(loss.item(), 4)})
    train_seconds = time.time() - t0
    held_ppl = perplexity(model, held_ids, n_ctx)
    train_ppl = perplexity(model, train_ids[:len(held_ids)], n_ctx)
    print(f"held-out perplexity {held_ppl:.2f}, train perplexity {train_ppl:.2f}, {train_seconds:.0f}s", flush=True)
    torch.save({"state": model.state_dict(), "cfg": model.cfg, "vocab": vocab, "merges": merges}, f"{BUILD}/model.pt")
    stats = {"steps": args.steps, "batch": args.batch, "n_ctx": n_ctx, "lr": args.lr, "seed": args.seed,
             "parameters": n_params, "train_seconds": round(train_seconds), "train_tokens": len(train_ids),
             "held_out_tokens": len(held_ids), "chapters": n_chapters, "held_out_chapters": n_held,
             "chars_per_token": round(len(train_text) / len(train_ids), 3),
             "held_out_perplexity": round(held_ppl, 2), "train_perplexity": round(train_ppl, 2),
             "tokens_seen": args.steps * args.batch * n_ctx, "loss_log": log,
             "torch": torch.__version__}
    with open(f"{BUILD}/train_stats.json", "w") as f:
        json.dump(stats, f, indent=2)


if __name__ == "__main__":
    main()
