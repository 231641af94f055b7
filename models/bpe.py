"""Byte-level BPE (GPT-2 style), trained and applied here so the default model needs no
Python package beyond Debian's python3-torch. The result is saved in Hugging Face's
tokenizer.json format, which lmscope (via @huggingface/transformers) loads; the tests check that
both sides produce the same ids for the golden prompts."""
import collections
import json
import re

# GPT-2's pre-tokenisation pattern with ASCII classes in place of \p{L} and \p{N}: the corpus is
# ASCII, and for ASCII text the two patterns split identically (Python's re has no \p{..}).
PRETOKEN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
EOS = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_TO_CHAR = bytes_to_unicode()


def word_symbols(word):
    return tuple(BYTE_TO_CHAR[b] for b in word.encode("utf-8"))


def train(text, vocab_size):
    counts = collections.Counter(PRETOKEN.findall(text))
    words = [list(word_symbols(w)) for w in counts]
    freqs = [counts[w] for w in counts]
    pair_counts = collections.Counter()
    pair_words = collections.defaultdict(set)
    for i, syms in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += freqs[i]
            pair_words[(a, b)].add(i)
    base = [BYTE_TO_CHAR[b] for b in range(256)]
    vocab = {s: i for i, s in enumerate(base)}
    merges = []
    n_merges = vocab_size - len(vocab) - 1  # one id is kept for the end-of-text token
    for _ in range(n_merges):
        if not pair_counts:
            break
        # Highest count; ties broken by the pair itself so training is deterministic.
        best = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merged = best[0] + best[1]
        merges.append(best)
        vocab[merged] = len(vocab)
        for i in list(pair_words[best]):
            syms = words[i]
            f = freqs[i]
            for a, b in zip(syms, syms[1:]):
                pair_counts[(a, b)] -= f
                if pair_counts[(a, b)] <= 0:
                    del pair_counts[(a, b)]
                pair_words[(a, b)].discard(i)
            out, j = [], 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == best[0] and syms[j + 1] == best[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pair_counts[(a, b)] += f
                pair_words[(a, b)].add(i)
        pair_words.pop(best, None)
    vocab[EOS] = len(vocab)
    return vocab, merges


class Encoder:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.cache = {}

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        syms = list(word_symbols(word))
        while len(syms) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(syms, syms[1:]))]
            rank, k = min(pairs)
            if rank == 1 << 30:
                break
            first, second = syms[k], syms[k + 1]
            out, j = [], 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == first and syms[j + 1] == second:
                    out.append(first + second)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            syms = out
        ids = [self.vocab[s] for s in syms]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for w in PRETOKEN.findall(text):
            ids.extend(self.bpe(w))
        return ids

    def decode(self, ids):
        inv = {v: k for k, v in self.vocab.items()}
        char_to_byte = {c: b for b, c in BYTE_TO_CHAR.items()}
        out = bytearray()
        for i in ids:
            s = inv[i]
            if s == EOS:
                continue
            out.extend(char_to_byte[c] for c in s)
        return out.decode("utf-8", errors="replace")


def save_hf(vocab, merges, folder, max_length):
    eos_id = vocab[EOS]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": eos_id, "content": EOS, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    with open(f"{folder}/tokenizer.json", "w") as f:
        json.dump(tok, f, ensure_ascii=False)
    cfg = {"tokenizer_class": "GPT2Tokenizer", "model_max_length": max_length, "bos_token": EOS,
           "eos_token": EOS, "unk_token": EOS, "add_bos_token": False, "add_prefix_space": False,
           "clean_up_tokenization_spaces": False}
    with open(f"{folder}/tokenizer_config.json", "w") as f:
        json.dump(cfg, f, indent=2)
