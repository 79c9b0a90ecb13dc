# The PyTorch side of bertft's end-to-end GPU row (bench/speed/gpu/e2e.ts): one epoch of Hugging Face
# BertForSequenceClassification on the same packed SST-2 sentences, from the same random BERT init, with what
# `bertft train` does: batch 32 (bucketed by length, dynamic padding, max 128 tokens), AdamW (weight decay 0.01 off
# biases and LayerNorms), linear warm-up over 10 % of the steps then linear decay, clipping at norm 1, dropout 0.1,
# then loss and accuracy on the dev set. Needs only torch and transformers; no network (the tokenizer is built from
# the packed vocab.txt).
#
#   python3 gpu_e2e.py --data DIR [--shape base] [--limit 8000] [--lr 3e-5] [--mode fp32|tf32|bf16] [--device cuda]
#
# DIR: sst2-train.tsv, sentiment-dev.tsv, tokenizer/vocab.txt (bench/speed/gpu-pack.sh packs them). One JSON line.
import argparse, json, os, random, time
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

SHAPES = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8), "base": (12, 768, 12)}


def read_tsv(path, limit):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            text, label = line.rsplit("\t", 1)
            texts.append(text.strip())
            labels.append(label.strip())
            if limit and len(texts) >= limit:
                break
    return texts, labels


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


def pad(rows, idx, device):
    """Dynamic padding: the batch is as long as its longest row."""
    s = max(len(rows[i]) for i in idx)
    ids = torch.zeros(len(idx), s, dtype=torch.long)
    mask = torch.zeros(len(idx), s, dtype=torch.long)
    for r, i in enumerate(idx):
        ids[r, :len(rows[i])] = torch.tensor(rows[i])
        mask[r, :len(rows[i])] = 1
    return ids.to(device, non_blocking=True), mask.to(device, non_blocking=True)


def evaluate(model, rows, labels, device, amp):
    model.eval()
    correct, loss_sum = 0, 0.0
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    with torch.no_grad(), torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=amp):
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            ids, mask = pad(rows, idx, device)
            y = torch.tensor([labels[i] for i in idx], device=device)
            out = model(input_ids=ids, attention_mask=mask, labels=y)
            loss_sum += float(out.loss) * len(idx)
            correct += int((out.logits.argmax(-1) == y).sum())
    model.train()
    return correct / len(rows), loss_sum / len(rows)


def parse():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True)
    ap.add_argument("--shape", default="base", choices=SHAPES)
    ap.add_argument("--limit", type=int, default=8000)
    ap.add_argument("--dev-limit", type=int, default=0)
    ap.add_argument("--lr", type=float, help="default 1e-4 up to hidden 256, else 3e-5 (bertft's gpu e2e has the same rule)")
    ap.add_argument("--mode", default="fp32", choices=["fp32", "tf32", "bf16"])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--attn", default="eager", help="attention implementation (eager, as torch_ref.py; or sdpa)")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def main():
    a = parse()
    t_start = time.perf_counter()
    L, H, A = SHAPES[a.shape]
    lr = a.lr if a.lr is not None else (1e-4 if H <= 256 else 3e-5)
    torch.backends.cuda.matmul.allow_tf32 = a.mode == "tf32"
    torch.backends.cudnn.allow_tf32 = a.mode == "tf32"
    amp = a.mode == "bf16"
    tok = BertTokenizerFast(vocab_file=os.path.join(a.data, "tokenizer", "vocab.txt"), do_lower_case=True)
    texts, raw = read_tsv(os.path.join(a.data, "sst2-train.tsv"), a.limit)
    dev_texts, dev_raw = read_tsv(os.path.join(a.data, "sentiment-dev.tsv"), a.dev_limit)
    names = sorted(set(raw))  # label ids as bertft assigns them: sorted label names
    labels, dev_labels = [names.index(x) for x in raw], [names.index(x) for x in dev_raw]
    rows = tok(texts, truncation=True, max_length=128)["input_ids"]
    dev_rows = tok(dev_texts, truncation=True, max_length=128)["input_ids"]

    torch.manual_seed(a.seed)
    cfg = BertConfig(vocab_size=30522, hidden_size=H, num_hidden_layers=L, num_attention_heads=A, intermediate_size=4 * H,
                     num_labels=len(names), attn_implementation=a.attn)
    model = BertForSequenceClassification(cfg).to(a.device)
    no_decay = lambda n: n.endswith(".bias") or "LayerNorm" in n
    groups = [{"params": [p for n, p in model.named_parameters() if not no_decay(n)], "weight_decay": 0.01},
              {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr)
    batches = bucketed_batches([len(r) for r in rows], 32, random.Random(a.seed))
    total, warm = len(batches), round(0.1 * len(batches))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    dev_type = a.device.split(":")[0]

    model.train()
    losses = []
    if dev_type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for idx in batches:
        ids, mask = pad(rows, idx, a.device)
        y = torch.tensor([labels[i] for i in idx], device=a.device)
        with torch.autocast(dev_type, dtype=torch.bfloat16, enabled=amp):
            loss = model(input_ids=ids, attention_mask=mask, labels=y).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.detach())
    if dev_type == "cuda":
        torch.cuda.synchronize()
    train_s = time.perf_counter() - t0
    losses = [float(x) for x in losses]
    acc, dev_loss = evaluate(model, dev_rows, dev_labels, a.device, amp)
    last = losses[-20:]
    print(json.dumps({
        "kind": "torch-e2e", "shape": a.shape, "device": f"torch-{dev_type} {a.mode}", "examples": len(rows), "steps": total,
        "batch": 32, "lr": lr, "wallS": round(time.perf_counter() - t_start, 2), "trainS": round(train_s, 2),
        "examplesPerS": round(len(rows) / train_s, 2), "finalLoss": round(losses[-1], 4),
        "lastLossMean": round(sum(last) / len(last), 4), "devAccuracy": round(acc, 4), "devLoss": round(dev_loss, 4),
    }), flush=True)


if __name__ == "__main__":
    main()
