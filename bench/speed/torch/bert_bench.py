"""The PyTorch side of bertft's speed benchmarks.

Our own small BERT (post-LN, exact erf GELU, parameter names as in Hugging Face's
BertForSequenceClassification, so a HF model.safetensors loads into it), trained and run the way
bertft does it. Prints one JSON line per run on stdout; everything else goes to stderr.
Speed reference only: bertft's own tests check correctness against float64 references.

  python3 bert_bench.py train-throughput --shape tiny --batch 32 --seq 128 --steps 10 --warmup 2
  python3 bert_bench.py train-throughput --task token --num-labels 9 [--token-batch FILE]   (BertForTokenClassification)
  python3 bert_bench.py infer-throughput --shape mini
  python3 bert_bench.py train-throughput --shape modernbert-base --batch 8 [--ids-batch FILE]   (DistilBERT/ModernBERT-base shapes, below)
  python3 bert_bench.py train-e2e --ids sst2-ids.json --epochs 1 --batch 32 [--init-from DIR] [--eval-ids dev.json]
  python3 bert_bench.py mlm --shape mini --batch 128 --seq 128 --steps 5 --warmup 2 --dropout 0 [--mlm-batches FILE]
  python3 bert_bench.py gemm --gemm 1024x768x3072 --steps 9   (one float32 matrix product, M x K times K x N)

The family shapes (distilbert-base, modernbert-base; throughput modes only) are hand-written
re-implementations of transformers' DistilBertForSequenceClassification and
ModernBertForSequenceClassification (Debian has no python3-transformers), written to do the same work
as bertft's models (src/models/bert/bert.ts, modernbert.ts, heads/classification.ts): see
DistilBertForSequenceClassification and ModernBertForSequenceClassification below.

Old mode names (train, infer, e2e) are accepted as aliases. Needs Debian's python3-torch
(bench/speed/torch/ensure-torch.sh); exits with status 3 and a hint when torch is missing.
"""
import argparse
import contextlib
import fcntl
import json
import math
import os
import random
import resource
import struct
import sys
import time

SHAPES = {  # layers, hidden, heads, intermediate (Turc et al. 2019 compact BERTs)
    "tiny": (2, 128, 2, 512),
    "mini": (4, 256, 4, 1024),
    "small": (4, 512, 8, 2048),
    "base": (12, 768, 12, 3072),
}
# Base shapes of other families, as their published config.json has them (family keys spelled as BERT's
# here); dropout rates are the published ones too, so --dropout does not apply to them.
FAMILY_SHAPES = {
    "distilbert-base": dict(family="distilbert", vocab_size=30522, hidden_size=768, num_hidden_layers=6, num_attention_heads=12,
                            intermediate_size=3072, max_position_embeddings=512, type_vocab_size=0, layer_norm_eps=1e-12,
                            pad_token_id=0, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, classifier_dropout=0.2),
    "modernbert-base": dict(family="modernbert", vocab_size=50368, hidden_size=768, num_hidden_layers=22, num_attention_heads=12,
                            intermediate_size=1152, max_position_embeddings=8192, norm_eps=1e-5, pad_token_id=50283,
                            global_attn_every_n_layers=3, local_attention=128, global_rope_theta=160000.0, local_rope_theta=10000.0,
                            embedding_dropout=0.0, attention_dropout=0.0, mlp_dropout=0.0, classifier_dropout=0.0,
                            classifier_pooling="mean"),
}
ALIASES = {"train": "train-throughput", "infer": "infer-throughput", "e2e": "train-e2e"}
MODES = ["train-throughput", "infer-throughput", "train-e2e", "mlm", "gemm"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=MODES + list(ALIASES))
    ap.add_argument("--shape", default="tiny", choices=list(SHAPES) + list(FAMILY_SHAPES),
                    help="a BERT shape, or (throughput modes, --task sequence) distilbert-base / modernbert-base")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--task", choices=["sequence", "token"], default="sequence",
                    help="throughput modes: BertForSequenceClassification (sequence) or BertForTokenClassification (token)")
    ap.add_argument("--num-labels", type=int, help="labels of the classifier; default 2 (sequence), 9 (token)")
    ap.add_argument("--token-batch", metavar="FILE",
                    help="--task token: JSON {batch, seq, num_labels, input_ids, labels} (flat B*S, -100 = ignored; bench/speed/run.ts writes "
                         "bertft's), so both sides train on the same ids and labelled positions; without it random ids, ~70%% of the "
                         "positions but [CLS]/[SEP] labelled at random here")
    ap.add_argument("--ids-batch", metavar="FILE",
                    help="throughput modes, --task sequence: JSON {batch, seq, input_ids (flat B*S), labels (B)} (bench/speed/run.ts writes "
                         "bertft's for the family rows), so both sides run the same ids; without it random ids here")
    ap.add_argument("--label-rate", type=float, default=0.7, help="--task token without --token-batch: share of positions labelled")
    ap.add_argument("--seq", type=int, default=128, help="sequence length of the random batch (throughput modes, mlm)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps (throughput modes)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first (throughput modes)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--omp-wait", choices=["passive", "active"], default="passive",
                    help="OpenMP wait policy; active is GNU OpenMP's default and much slower here (see below)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gemm", default="1024x768x3072", metavar="MxKxN", help="gemm: the product's shape")
    ap.add_argument("--lr", type=float, help="peak LR; default 2e-5 for train-throughput, bertft's default (1e-4 if hidden <= 256 else 3e-5) for train-e2e")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup-ratio", type=float, default=0.1, help="train-e2e: share of steps with linear LR warm-up")
    ap.add_argument("--dropout", type=float, help="default 0.1; 0 for mlm (pre-training without dropout, as bertft pretrain)")
    ap.add_argument("--ids", help="train-e2e: JSON {input_ids: number[][], labels: number[]} (written by bench/speed/pytorch.ts)")
    ap.add_argument("--eval-ids", help="train-e2e: optional held-out file of the same format; accuracy after training (not timed)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--wait-idle", type=float, default=0, metavar="S",
                    help="before timing, take /tmp/bertft-bench.lock and wait up to S seconds for an idle machine (no other runnable process for 5 s)")
    ap.add_argument("--torch-default-init", action="store_true",
                    help="train-e2e from scratch: keep PyTorch's default init (Embedding N(0, 1), Linear Kaiming-uniform) instead of BERT's N(0, 0.02)")
    ap.add_argument("--init-from", help="train-e2e: a HF folder (config.json + model.safetensors); its shape replaces --shape")
    ap.add_argument("--mlm-batches", metavar="FILE",
                    help="mlm: JSON {batch, seq, steps: [{input_ids, positions, labels}]} of already-masked batches (bench/speed/run.ts writes "
                         "bertft's), one per warm-up and timed step; without it the batches are random ids masked here (15%%, 80/10/10)")
    ap.add_argument("--mlm-probability", type=float, default=0.15, help="mlm without --mlm-batches: selection rate per token")
    a = ap.parse_args()
    a.mode = ALIASES.get(a.mode, a.mode)
    if a.dropout is None:
        a.dropout = 0.0 if a.mode == "mlm" else 0.1
    if a.num_labels is None:
        a.num_labels = 9 if a.task == "token" else 2
    if a.mode == "train-e2e" and not a.ids:
        ap.error("train-e2e needs --ids FILE")
    if a.shape in FAMILY_SHAPES and (a.mode not in ("train-throughput", "infer-throughput") or a.task != "sequence"):
        ap.error(f"--shape {a.shape}: train-throughput / infer-throughput with --task sequence only")
    return a


ARGS = parse_args()
# Debian's torch runs matrix products in OpenBLAS's own pthread pool and everything else in a GNU
# OpenMP pool. OpenMP threads spin (actively wait) after each parallel region, so on 2 cores they
# steal the cores OpenBLAS needs next: measured here, passive waiting makes BERT-Tiny training 1.6x
# and inference 2x faster. Both are read once when torch loads, so they are set before the import.
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))
os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))
os.environ["OMP_WAIT_POLICY"] = ARGS.omp_wait.upper()
try:
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:
    print(f"PyTorch is not installed for {sys.executable} ({e}); run: bash bench/speed/torch/ensure-torch.sh", file=sys.stderr)
    sys.exit(3)


# ---- the model: module tree mirrors transformers' BertForSequenceClassification -----------------

class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        # DistilBERT has no token types (type_vocab_size 0).
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"]) if c["type_vocab_size"] else None
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids, types):
        x = self.word_embeddings(ids) + self.position_embeddings.weight[: ids.shape[1]]
        if self.token_type_embeddings is not None:
            x = x + self.token_type_embeddings(types)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads, self.head_dim = c["num_attention_heads"], h // c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def split(self, x):  # [B, S, H] -> [B, heads, S, head_dim]
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias
        ctx = self.dropout(torch.softmax(scores, dim=-1)) @ v
        return ctx.transpose(1, 2).reshape(x.shape)


class DenseAddNorm(nn.Module):
    """dense -> dropout -> residual add -> LayerNorm (HF's BertSelfOutput and BertOutput)."""

    def __init__(self, c, n_in):
        super().__init__()
        self.dense = nn.Linear(n_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(residual + self.dropout(self.dense(x)))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseAddNorm(c, c["hidden_size"])

    def forward(self, x, bias):
        return self.output(self.self(x, bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # default approximate='none': the erf GELU of BERT's "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseAddNorm(c, c["intermediate_size"])

    def forward(self, x, bias):
        x = self.attention(x, bias)
        return self.output(self.intermediate(x), x)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))

    def forward(self, x, bias):
        for layer in self.layer:
            x = layer(x, bias)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c, add_pooling_layer=True):
        super().__init__()
        self.embeddings, self.encoder = Embeddings(c), Encoder(c)
        self.pooler = Pooler(c) if add_pooling_layer else None

    def forward(self, ids, mask, types):
        """The pooled [CLS] features, or without a pooler the sequence output [B, S, H]."""
        # -10000 for padded keys, as bertft (src/models/bert/bert.ts) and the original BERT.
        bias = (1.0 - mask[:, None, None, :].to(torch.float32)) * -10000.0
        x = self.encoder(self.embeddings(ids, types), bias)
        return x if self.pooler is None else self.pooler(x)


def bert_init(m):
    """BERT's init: N(0, 0.02) weights, zero biases, LayerNorm (1, 0) (nn.LayerNorm's own default)."""
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=0.02)
    if isinstance(m, nn.Linear) and m.bias is not None:  # ModernBERT's linears have none
        nn.init.zeros_(m.bias)
    if isinstance(m, nn.Embedding) and m.padding_idx is not None:
        with torch.no_grad():
            m.weight[m.padding_idx].zero_()


class BertForSequenceClassification(nn.Module):
    def __init__(self, c, num_labels=2):
        super().__init__()
        self.bert = BertModel(c)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], num_labels)
        if not c.get("torch_default_init"):
            self.apply(bert_init)

    def forward(self, ids, mask, types=None):
        types = torch.zeros_like(ids) if types is None else types
        return self.classifier(self.dropout(self.bert(ids, mask, types)))


class BertForTokenClassification(nn.Module):
    """HF's BertForTokenClassification: no pooler (add_pooling_layer=False), dropout, a classifier on every token."""

    def __init__(self, c, num_labels=9):
        super().__init__()
        self.bert = BertModel(c, add_pooling_layer=False)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], num_labels)
        self.apply(bert_init)

    def forward(self, ids, mask, types=None):
        types = torch.zeros_like(ids) if types is None else types
        return self.classifier(self.dropout(self.bert(ids, mask, types)))  # [B, S, C]


def token_loss(logits, labels):
    """HF's loss: CrossEntropyLoss over [B*S, C], labels -100 ignored (the mean over the labelled tokens)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


# ---- other families' base shapes (re-implementations: Debian has no python3-transformers) ------

def drop(p):
    """nn.Dropout, or nothing at rate 0 (bertft's graphs have no node there either)."""
    return nn.Dropout(p) if p > 0 else nn.Identity()


class DistilBertForSequenceClassification(nn.Module):
    """transformers' DistilBertForSequenceClassification, re-implemented: BERT's post-LN layer stack
    (above) without token types or pooler, LayerNorm eps 1e-12, then the hidden state of the first
    token → pre_classifier (H→H) → ReLU → dropout (seq_classif_dropout) → classifier. Its layers are
    BertModel's, with the dropout after the attention output that bertft's DistilBERT has too
    (bert.ts attentionOutput), so both sides do the same work."""

    def __init__(self, c, num_labels=2):
        super().__init__()
        h = c["hidden_size"]
        self.distilbert = BertModel(c, add_pooling_layer=False)
        self.pre_classifier = nn.Linear(h, h)
        self.dropout = drop(c["classifier_dropout"])
        self.classifier = nn.Linear(h, num_labels)
        self.apply(bert_init)

    def forward(self, ids, mask, types=None):
        first = self.distilbert(ids, mask, None)[:, 0]
        return self.classifier(self.dropout(F.relu(self.pre_classifier(first))))


class Norm(nn.Module):
    """LayerNorm without a bias (norm_bias false; torch 1.13's nn.LayerNorm has no bias=False)."""

    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, None, self.eps)


def rope_tables(theta, d, positions):
    """RoPE's cos and sin [P, d], as transformers' default rotary embedding computes them."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    freqs = torch.outer(torch.arange(positions, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class ModernBertLayer(nn.Module):
    """Pre-LN: x + Wo(attention(attn_norm(x))), then x + mlp.Wo(gelu(a)·g) with [a, g] = mlp.Wi(mlp_norm(x));
    no biases; layer 0's attn_norm is the identity. Attention as transformers' eager path: fused Wqkv,
    RoPE on q and k, softmax(q·kᵀ/√d + mask), the sliding layers' mask also hiding keys beyond ±window/2."""

    def __init__(self, c, i):
        super().__init__()
        h, eps = c["hidden_size"], c["norm_eps"]
        self.heads, self.head_dim = c["num_attention_heads"], h // c["num_attention_heads"]
        self.sliding = i % c["global_attn_every_n_layers"] != 0
        self.attn_norm = nn.Identity() if i == 0 else Norm(h, eps)
        self.Wqkv = nn.Linear(h, 3 * h, bias=False)
        self.attn_Wo = nn.Linear(h, h, bias=False)
        self.attn_drop = drop(c["attention_dropout"])
        self.out_drop = drop(c["attention_dropout"])
        self.mlp_norm = Norm(h, eps)
        self.Wi = nn.Linear(h, 2 * c["intermediate_size"], bias=False)
        self.mlp_Wo = nn.Linear(c["intermediate_size"], h, bias=False)
        self.mlp_drop = drop(c["mlp_dropout"])

    def attention(self, x, mask, cos, sin):
        b, s, h = x.shape
        qkv = self.Wqkv(x).view(b, s, 3, self.heads, self.head_dim)
        q, k, v = qkv.transpose(3, 1).unbind(dim=2)  # [B, heads, S, d] each
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask
        ctx = self.attn_drop(torch.softmax(scores, dim=-1)) @ v
        return self.out_drop(self.attn_Wo(ctx.transpose(1, 2).reshape(b, s, h)))

    def forward(self, x, masks, ropes):
        kind = "sliding" if self.sliding else "full"
        x = x + self.attention(self.attn_norm(x), masks[kind], *ropes[kind])
        a, g = self.Wi(self.mlp_norm(x)).chunk(2, dim=-1)
        return x + self.mlp_Wo(self.mlp_drop(F.gelu(a) * g))


class ModernBertForSequenceClassification(nn.Module):
    """transformers' ModernBertForSequenceClassification (CPU, no unpadding), re-implemented to match
    bertft's src/models/bert/modernbert.ts and its dense-act-norm head: tok_embeddings → norm → dropout,
    the layers (full attention every global_attn_every_n_layers-th layer from layer 0, RoPE θ
    global_rope_theta; the others a ±local_attention/2 window, θ local_rope_theta), final_norm, then the
    pooled features (classifier_pooling: masked mean or the first token) → head.dense (no bias) → GELU →
    head.norm (no bias) → dropout → classifier."""

    def __init__(self, c, num_labels=2):
        super().__init__()
        h, eps = c["hidden_size"], c["norm_eps"]
        self.c = c
        self.tok_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c["pad_token_id"])
        self.embeddings_norm = Norm(h, eps)
        self.embeddings_drop = drop(c["embedding_dropout"])
        self.layers = nn.ModuleList(ModernBertLayer(c, i) for i in range(c["num_hidden_layers"]))
        self.final_norm = Norm(h, eps)
        self.head_dense = nn.Linear(h, h, bias=False)
        self.head_norm = Norm(h, eps)
        self.drop = drop(c["classifier_dropout"])
        self.classifier = nn.Linear(h, num_labels)
        d = h // c["num_attention_heads"]
        for kind, theta in (("full", c["global_rope_theta"]), ("sliding", c["local_rope_theta"])):
            cos, sin = rope_tables(theta, d, c["max_position_embeddings"])
            self.register_buffer(f"cos_{kind}", cos, persistent=False)
            self.register_buffer(f"sin_{kind}", sin, persistent=False)
        self.apply(bert_init)

    def forward(self, ids, mask, types=None):
        s = ids.shape[1]
        # As transformers: padding keys and (sliding layers) keys beyond the window get dtype-min added.
        low = torch.finfo(torch.float32).min
        full = (1.0 - mask[:, None, None, :].to(torch.float32)) * low
        pos = torch.arange(s)
        outside = (pos[:, None] - pos[None, :]).abs() > self.c["local_attention"] // 2
        masks = {"full": full, "sliding": full.masked_fill(outside[None, None], low)}
        ropes = {k: (getattr(self, f"cos_{k}")[:s], getattr(self, f"sin_{k}")[:s]) for k in ("full", "sliding")}
        x = self.embeddings_drop(self.embeddings_norm(self.tok_embeddings(ids)))
        for layer in self.layers:
            x = layer(x, masks, ropes)
        x = self.final_norm(x)
        if self.c["classifier_pooling"] == "mean":
            m = mask.unsqueeze(-1).to(x.dtype)
            pooled = (x * m).sum(dim=1) / m.sum(dim=1)
        else:
            pooled = x[:, 0]
        return self.classifier(self.drop(self.head_norm(F.gelu(self.head_dense(pooled)))))


def sequence_model(shape, num_labels):
    """The sequence classifier of a shape: BERT's, or a family's (FAMILY_SHAPES)."""
    if shape not in FAMILY_SHAPES:
        return BertForSequenceClassification(config_for(shape), num_labels)
    c = FAMILY_SHAPES[shape]
    return (DistilBertForSequenceClassification if c["family"] == "distilbert" else ModernBertForSequenceClassification)(c, num_labels)


class PredictionHeadTransform(nn.Module):
    """HF's BertPredictionHeadTransform: dense(H->H) -> GELU -> LayerNorm."""

    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class LMPredictionHead(nn.Module):
    """HF's BertLMPredictionHead: the transform, then the decoder tied to the word embeddings, plus a bias."""

    def __init__(self, c):
        super().__init__()
        self.transform = PredictionHeadTransform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))

    def forward(self, x, decoder_weight):
        return F.linear(self.transform(x), decoder_weight, self.bias)


class MLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = LMPredictionHead(c)


class BertForMaskedLM(nn.Module):
    """HF's BertForMaskedLM (no pooler, tied decoder), with the head applied to the masked rows only,
    as bertft's masked-LM step graph does (src/heads/masked-lm.ts): logits are [M, V], not [B, S, V]."""

    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, add_pooling_layer=False)
        self.cls = MLMHead(c)
        self.apply(bert_init)

    def forward(self, ids, mask, types, positions):
        h = self.bert(ids, mask, types)
        rows = h.reshape(-1, h.shape[-1]).index_select(0, positions)  # positions: flat b*S + s
        return self.cls.predictions(rows, self.bert.embeddings.word_embeddings.weight)


def config_for(shape):
    layers, hidden, heads, inter = SHAPES[shape]
    p = ARGS.dropout
    return dict(vocab_size=30522, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                intermediate_size=inter, max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                pad_token_id=0, hidden_dropout_prob=p, attention_probs_dropout_prob=p)


# ---- a minimal safetensors reader (Debian ships no python3-safetensors) ----------------------------

DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64"}


def read_safetensors(path):
    """8-byte little-endian header size, a JSON header {name: {dtype, shape, data_offsets}}, raw bytes."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        dtype = getattr(torch, DTYPES[t["dtype"]])
        out[name] = torch.frombuffer(data, dtype=dtype, count=(end - start) // torch.empty(0, dtype=dtype).element_size(),
                                     offset=start).reshape(t["shape"]).to(torch.float32 if dtype.is_floating_point else dtype)
    return out


def load_pretrained(dir_):
    """Model from a HF folder: the encoder's weights; the classifier stays freshly initialised."""
    c = json.load(open(os.path.join(dir_, "config.json")))
    c.setdefault("pad_token_id", 0)
    c["hidden_dropout_prob"] = c["attention_probs_dropout_prob"] = ARGS.dropout
    model = BertForSequenceClassification(c)
    own = model.state_dict()
    state = {}
    for name, t in read_safetensors(os.path.join(dir_, "model.safetensors")).items():
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        if not name.startswith(("bert.", "cls.", "classifier.")):
            name = "bert." + name  # a bare BertModel checkpoint
        if name in own and own[name].shape == t.shape:
            state[name] = t
    missing = [k for k in own if k not in state]
    model.load_state_dict(state, strict=False)
    print(f"init from {dir_}: {len(state)} tensors loaded; fresh: {', '.join(missing)}", file=sys.stderr)
    if any(not k.startswith("classifier.") for k in missing):
        raise SystemExit(f"{dir_}: encoder tensors missing from model.safetensors: {missing}")
    return model, c


# ---- training pieces, as bertft's Trainer does them ---------------------------------------------

def adamw(model, lr, weight_decay):
    """AdamW; no weight decay on biases and LayerNorm (bertft's schedule.ts `decays`, HF Trainer)."""
    decay, rest = [], []
    for name, p in model.named_parameters():
        (rest if name.endswith(".bias") or "LayerNorm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def linear_schedule(warmup, total):
    """LR multiplier: linear warm-up to 1 over `warmup` steps, then linear decay to 0 at `total` (bertft's linearSchedule)."""
    def f(step):
        if warmup > 0 and step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))
    return f


def train_step(model, opt, ids, mask, types, labels, loss_fn=F.cross_entropy):
    loss = loss_fn(model(ids, mask, types), labels)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


def bucketed_batches(lengths, batch, rng):
    """Seeded shuffle, sort by length inside chunks of 50 batches, shuffle the batch order (bertft's bucketedBatches)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk, batches = 50 * batch, []
    for s in range(0, len(order), chunk):
        part = sorted(order[s:s + chunk], key=lambda i: (lengths[i], i))
        batches += [part[i:i + batch] for i in range(0, len(part), batch)]
    rng.shuffle(batches)
    return batches


def pad(rows, types, idx):
    """Dynamic padding: the batch is as long as its longest row."""
    s = max(len(rows[i]) for i in idx)
    ids = torch.zeros(len(idx), s, dtype=torch.long)
    mask = torch.zeros(len(idx), s, dtype=torch.long)
    tt = torch.zeros(len(idx), s, dtype=torch.long)
    for r, i in enumerate(idx):
        n = len(rows[i])
        ids[r, :n] = torch.tensor(rows[i])
        mask[r, :n] = 1
        if types is not None:
            tt[r, :n] = torch.tensor(types[i])
    return ids, mask, tt


def load_ids(path):
    d = json.load(open(path))
    rows, labels = d["input_ids"], [int(x) for x in d["labels"]]
    if len(rows) != len(labels) or not rows:
        raise SystemExit(f"{path}: {len(rows)} input_ids rows but {len(labels)} labels")
    return rows, d.get("token_type_ids"), labels


# ---- modes ---------------------------------------------------------------------------------------

def token_batch(a, g):
    """ids [B, S] and per-token labels [B, S] (-100 ignored): bertft's batch (--token-batch) or random ones made here."""
    if a.token_batch:
        d = json.load(open(a.token_batch))
        if d["batch"] != a.batch or d["seq"] != a.seq or d["num_labels"] != a.num_labels:
            raise SystemExit(f"{a.token_batch}: {d['batch']} x {d['seq']}, {d['num_labels']} labels, "
                             f"but --batch {a.batch} --seq {a.seq} --num-labels {a.num_labels}")
        return (torch.tensor(d["input_ids"], dtype=torch.long).view(a.batch, a.seq),
                torch.tensor(d["labels"], dtype=torch.long).view(a.batch, a.seq))
    ids = torch.randint(1000, 30000, (a.batch, a.seq), generator=g)
    ids[:, 0], ids[:, -1] = 101, 102
    labels = torch.randint(0, a.num_labels, (a.batch, a.seq), generator=g)
    ignored = torch.rand(a.batch, a.seq, generator=g) >= a.label_rate
    ignored[:, 0] = ignored[:, -1] = True
    labels[ignored] = -100
    return ids, labels


def sequence_batch(a, g):
    """ids [B, S] and labels [B]: bertft's batch (--ids-batch) or random ones made here."""
    if a.ids_batch:
        d = json.load(open(a.ids_batch))
        if d["batch"] != a.batch or d["seq"] != a.seq:
            raise SystemExit(f"{a.ids_batch}: {d['batch']} x {d['seq']}, but --batch {a.batch} --seq {a.seq}")
        return torch.tensor(d["input_ids"], dtype=torch.long).view(a.batch, a.seq), torch.tensor(d["labels"], dtype=torch.long)
    return torch.randint(1000, 30000, (a.batch, a.seq), generator=g), torch.randint(0, a.num_labels, (a.batch,), generator=g)


def throughput(a, info):
    g = torch.Generator().manual_seed(a.seed)
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    types = torch.zeros(a.batch, a.seq, dtype=torch.long)
    if a.task == "token":
        model = BertForTokenClassification(config_for(a.shape), a.num_labels)
        ids, labels = token_batch(a, g)
        loss_fn = token_loss
        info.update(task="token", num_labels=a.num_labels, labelled_per_step=int((labels != -100).sum()))
    else:
        model = sequence_model(a.shape, a.num_labels)
        ids, labels = sequence_batch(a, g)
        loss_fn = F.cross_entropy
    if a.mode == "train-throughput":
        model.train()
        opt = adamw(model, a.lr if a.lr is not None else 2e-5, a.weight_decay)
        run = lambda: train_step(model, opt, ids, mask, types, labels, loss_fn)
    else:
        model.eval()

        def run():
            with torch.no_grad():
                model(ids, mask, types)
    for _ in range(a.warmup):
        run()
    with timed_section(info):
        times, cpu0 = [], time.process_time()
        for _ in range(a.steps):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
    # The median step, not the mean: one step slowed by another process on this shared 2-core machine
    # should not move the number (the best step and the mean are reported too).
    median, best, mean = sorted(times)[len(times) // 2], min(times), sum(times) / len(times)
    info.update(batch=a.batch, seq=a.seq, steps=a.steps, examples_per_s=a.batch / median, ms_per_step=median * 1000,
                examples_per_s_best=a.batch / best, ms_per_step_min=best * 1000, ms_per_step_mean=mean * 1000,
                params=sum(p.numel() for p in model.parameters()), cpu_per_wall=cpu / sum(times))


def mlm_batches(a, n):
    """n masked batches: bertft's (--mlm-batches, so both sides train on the same ids and masks) or
    random ids in [1000, 30000) framed by [CLS]/[SEP], masked as BERT does (rate per token; 80% [MASK],
    10% a random token, 10% unchanged). Built before timing, as bench/speed/run.ts builds bertft's."""
    if a.mlm_batches:
        d = json.load(open(a.mlm_batches))
        if d["batch"] != a.batch or d["seq"] != a.seq:
            raise SystemExit(f"{a.mlm_batches}: batch {d['batch']} x {d['seq']}, but --batch {a.batch} --seq {a.seq}")
        if len(d["steps"]) < n:
            raise SystemExit(f"{a.mlm_batches}: {len(d['steps'])} batches, but warm-up + steps need {n}")
        return [(torch.tensor(s["input_ids"], dtype=torch.long).view(a.batch, a.seq),
                 torch.tensor(s["positions"], dtype=torch.long), torch.tensor(s["labels"], dtype=torch.long)) for s in d["steps"][:n]]
    g = torch.Generator().manual_seed(a.seed)
    out = []
    for _ in range(n):
        ids = torch.randint(1000, 30000, (a.batch, a.seq), generator=g)
        ids[:, 0], ids[:, -1] = 101, 102
        selected = torch.rand(a.batch, a.seq, generator=g) < a.mlm_probability
        selected[:, 0] = selected[:, -1] = False
        positions = selected.flatten().nonzero().squeeze(1)
        labels = ids.flatten()[positions]
        r = torch.rand(len(positions), generator=g)
        masked = ids.flatten().clone()
        masked[positions[r < 0.8]] = 103
        rnd = positions[(r >= 0.8) & (r < 0.9)]
        masked[rnd] = torch.randint(0, 30522, (len(rnd),), generator=g)
        out.append((masked.view(a.batch, a.seq), positions, labels))
    return out


def mlm(a, info):
    """Masked-LM pre-training steps: forward, cross-entropy at the masked rows, backward, clipping, AdamW."""
    c = config_for(a.shape)
    model = BertForMaskedLM(c)
    model.train()
    opt = adamw(model, a.lr if a.lr is not None else 1e-3, a.weight_decay)
    batches = mlm_batches(a, a.warmup + a.steps)
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    types = torch.zeros(a.batch, a.seq, dtype=torch.long)

    def run(ids, positions, labels):
        loss = F.cross_entropy(model(ids, mask, types, positions), labels)  # mean over the masked tokens
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    losses = [run(*b) for b in batches[:a.warmup]]
    with timed_section(info):
        times, cpu0 = [], time.process_time()
        for b in batches[a.warmup:]:
            t0 = time.perf_counter()
            losses.append(run(*b))
            times.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
    median, best = sorted(times)[len(times) // 2], min(times)
    tokens = a.batch * a.seq
    info.update(batch=a.batch, seq=a.seq, steps=a.steps, dropout=a.dropout, tokens_per_s=tokens / median, ms_per_step=median * 1000,
                tokens_per_s_best=tokens / best, ms_per_step_min=best * 1000, ms_per_step_mean=sum(times) / len(times) * 1000,
                masked_per_step=sum(len(b[1]) for b in batches[a.warmup:]) / a.steps, first_loss=losses[0], final_loss=losses[-1],
                batches="bertft's (--mlm-batches)" if a.mlm_batches else "random, masked here",
                params=sum(p.numel() for p in model.parameters()), cpu_per_wall=cpu / sum(times))


def evaluate(model, path, batch):
    rows, types, labels = load_ids(path)
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i]), i))
    model.eval()
    right = 0
    with torch.no_grad():
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            ids, mask, tt = pad(rows, types, idx)
            pred = model(ids, mask, tt).argmax(-1)
            right += sum(int(p == labels[i]) for p, i in zip(pred.tolist(), idx))
    return right / len(rows)


def train_e2e(a, info):
    t_load = time.perf_counter()
    rows, types, labels = load_ids(a.ids)
    if a.init_from:
        model, c = load_pretrained(a.init_from)
        dims = (c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], c["intermediate_size"])
        info["shape"] = next((k for k, v in SHAPES.items() if v == dims), "custom")
        info["init"] = os.path.basename(os.path.normpath(a.init_from))
    else:
        c = dict(config_for(a.shape), torch_default_init=a.torch_default_init)
        model = BertForSequenceClassification(c)
        info["init"] = "random (PyTorch default init)" if a.torch_default_init else "random"
    lr = a.lr if a.lr is not None else (1e-4 if c["hidden_size"] <= 256 else 3e-5)
    opt = adamw(model, lr, a.weight_decay)
    rng = random.Random(a.seed)
    epochs = [bucketed_batches([len(r) for r in rows], a.batch, rng) for _ in range(a.epochs)]
    total = sum(len(e) for e in epochs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(round(a.warmup_ratio * total), total))
    load_s = time.perf_counter() - t_load

    model.train()
    losses, tokens, padded = [], 0, 0
    with timed_section(info):
        t0, cpu0 = time.perf_counter(), time.process_time()
        for batches in epochs:
            for idx in batches:
                ids, mask, tt = pad(rows, types, idx)
                tokens += int(mask.sum())
                padded += ids.numel()
                losses.append(train_step(model, opt, ids, mask, tt, torch.tensor([labels[i] for i in idx])))
                sched.step()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    last = losses[-len(epochs[-1]):]
    info.update(examples=len(rows), epochs=a.epochs, batch=a.batch, steps=total, lr=lr, wall_s=wall,
                examples_per_s=len(rows) * a.epochs / wall, ms_per_step=wall / total * 1000,
                final_loss=losses[-1], last_epoch_mean_loss=sum(last) / len(last),
                mean_tokens_per_example=tokens / (len(rows) * a.epochs), padding_share=1 - tokens / padded, load_s=load_s,
                cpu_per_wall=cpu / wall)
    if a.eval_ids:
        # Timed on its own (eval_s), so a caller can compare training alone or training + evaluation.
        t_eval = time.perf_counter()
        info["eval_accuracy"] = evaluate(model, a.eval_ids, 128)
        info["eval_s"] = time.perf_counter() - t_eval


def wait_idle(limit):
    """Waits until /proc/stat shows no runnable process but this one for 5 samples in a row; returns (idle, seconds waited)."""
    t0, quiet = time.perf_counter(), 0
    while time.perf_counter() - t0 < limit:
        with open("/proc/stat") as f:
            running = next(int(l.split()[1]) for l in f if l.startswith("procs_running"))
        quiet = quiet + 1 if running <= 1 else 0
        if quiet >= 5:
            return True, time.perf_counter() - t0
        time.sleep(1)
    return False, time.perf_counter() - t0


LOCK = "/tmp/bertft-bench.lock"


@contextlib.contextmanager
def timed_section(info):
    """With --wait-idle: holds an exclusive flock on /tmp/bertft-bench.lock (so benchmarks that use it
    never time at once) and waits for an idle machine before the timed code runs."""
    if ARGS.wait_idle <= 0:
        yield
        return
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        idle, waited = wait_idle(ARGS.wait_idle)
        print(f"waited {waited:.0f} s for an idle machine ({'found' if idle else 'gave up'})", file=sys.stderr)
        info["started_idle"] = idle
        yield


def gemm(a, info):
    """Median and best ms of one float32 product (the BLAS torch.matmul calls), after one warm-up."""
    m, k, n = (int(x) for x in a.gemm.split("x"))
    x = torch.randn(m, k)
    w = torch.randn(k, n)
    x @ w
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        x @ w
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    info.update({"gemm": a.gemm, "median_ms": times[len(times) // 2], "best_ms": times[0]})


def main():
    a = ARGS
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    info = {"mode": a.mode, "shape": a.shape, "threads": torch.get_num_threads(),
            "openblas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")), "omp_wait": a.omp_wait,
            "torch": torch.__version__}
    {"train-e2e": train_e2e, "mlm": mlm, "gemm": gemm}.get(a.mode, throughput)(a, info)
    # Other work on this 2-core machine skews every number: cpu_per_wall near --threads and a low load
    # average say the run had the cores to itself (OpenMP spin-waits inflate cpu_per_wall under contention).
    info["load_avg_1m"] = os.getloadavg()[0]
    # Peak resident memory of the whole process (Linux reports ru_maxrss in KiB).
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
