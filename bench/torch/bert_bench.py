"""The PyTorch side of bertft's speed benchmarks: our own small BERT (post-LN, exact GELU, the
BertForSequenceClassification layout), trained and run the way bertft does it, printing one JSON
line per measurement. Not a test of correctness: bertft's tests do that against float64 references.

  python3 bert_bench.py train --shape tiny [--batch 32 --seq 128 --steps 10 --warmup 2]
  python3 bert_bench.py infer --shape mini
  python3 bert_bench.py e2e --ids FILE --epochs 1
"""
import argparse, json, math, time
import torch
from torch import nn

SHAPES = {  # layers, hidden, heads, intermediate
    "tiny": (2, 128, 2, 512),
    "mini": (4, 256, 4, 1024),
    "small": (4, 512, 8, 2048),
}


class Layer(nn.Module):
    def __init__(self, h, heads, inter, p):
        super().__init__()
        self.heads, self.hd = heads, h // heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(h, inter), nn.Linear(inter, h)
        self.drop = nn.Dropout(p)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.hd).transpose(1, 2)

    def forward(self, x, bias):
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        att = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias, -1))
        ctx = (att @ v).transpose(1, 2).reshape(x.shape)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.fc2(nn.functional.gelu(self.fc1(x)))))


class Bert(nn.Module):
    def __init__(self, shape, vocab=30522, positions=512, labels=2, p=0.1):
        super().__init__()
        L, h, heads, inter = SHAPES[shape]
        self.word, self.pos, self.typ = nn.Embedding(vocab, h), nn.Embedding(positions, h), nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, inter, p) for _ in range(L))
        self.pooler, self.cls, self.drop = nn.Linear(h, h), nn.Linear(h, labels), nn.Dropout(p)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, ids, mask):
        s = ids.shape[1]
        x = self.word(ids) + self.pos.weight[:s] + self.typ.weight[0]
        x = self.drop(self.ln(x))
        bias = (1.0 - mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return self.cls(self.drop(torch.tanh(self.pooler(x[:, 0]))))


def optimizer(model, lr):
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    rest = [p for n, p in model.named_parameters() if p.dim() <= 1]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=lr)


def step(model, opt, ids, mask, labels):
    loss = nn.functional.cross_entropy(model(ids, mask), labels)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "infer", "e2e"])
    ap.add_argument("--shape", default="tiny", choices=list(SHAPES))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ids")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Bert(a.shape)
    info = {"mode": a.mode, "shape": a.shape, "threads": torch.get_num_threads(), "torch": torch.__version__}
    if a.mode in ("train", "infer"):
        ids = torch.randint(1000, 30000, (a.batch, a.seq))
        mask = torch.ones(a.batch, a.seq, dtype=torch.long)
        labels = torch.randint(0, 2, (a.batch,))
        if a.mode == "train":
            model.train()
            opt = optimizer(model, a.lr)
            run = lambda: step(model, opt, ids, mask, labels)
        else:
            model.eval()
            def run():
                with torch.no_grad():
                    model(ids, mask)
        for _ in range(a.warmup):
            run()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            run()
        dt = (time.perf_counter() - t0) / a.steps
        info.update(batch=a.batch, seq=a.seq, ms_per_step=dt * 1000, examples_per_s=a.batch / dt)
    else:
        data = json.load(open(a.ids))
        rows, labels = data["input_ids"], data["labels"]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        batches = [order[i:i + a.batch] for i in range(0, len(order), a.batch)]
        g = torch.Generator().manual_seed(0)
        opt = optimizer(model, a.lr)
        total = len(batches) * a.epochs
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / max(1, total // 10), max(0.0, (total - s) / max(1, total - total // 10))))
        model.train()
        t0 = time.perf_counter()
        loss = 0.0
        for _ in range(a.epochs):
            for bi in torch.randperm(len(batches), generator=g).tolist():
                idx = batches[bi]
                s = max(len(rows[i]) for i in idx)
                ids = torch.zeros(len(idx), s, dtype=torch.long)
                mask = torch.zeros(len(idx), s, dtype=torch.long)
                for r, i in enumerate(idx):
                    ids[r, : len(rows[i])] = torch.tensor(rows[i])
                    mask[r, : len(rows[i])] = 1
                loss = step(model, opt, ids, mask, torch.tensor([labels[i] for i in idx]))
                sched.step()
        wall = time.perf_counter() - t0
        info.update(examples=len(rows), epochs=a.epochs, wall_s=wall, examples_per_s=len(rows) * a.epochs / wall, final_loss=loss)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
