"""Checks bert_bench.py's DistilBERT and ModernBERT re-implementations against transformers: loads the
tiny `seq/` models of shared/fixtures/hf-families (made with transformers 5.17) and compares the logits
with their expected.json (a padded batch; ModernBERT's has full and sliding-window layers).

  /usr/bin/python3 bench/speed/torch/check_families.py   (BERTFT_SHARED, else ../shared beside the checkout)

Prints the largest logit difference per family and exits 1 when one exceeds 1e-5.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.argv = [sys.argv[0], "infer-throughput"]  # bert_bench.py parses its arguments on import
sys.path.insert(0, HERE)
import bert_bench as bb  # noqa: E402
import torch  # noqa: E402

SHARED = os.environ.get("BERTFT_SHARED") or os.path.join(HERE, "..", "..", "..", "..", "shared")
F = os.path.join(SHARED, "fixtures", "hf-families")
worst = 0.0

def load(model, path, rename):
    st = bb.read_safetensors(path)
    own = model.state_dict()
    state = {}
    for k, t in st.items():
        n = rename(k)
        if n in own:
            state[n] = t.to(torch.float32)
    missing = [k for k in own if k not in state]
    model.load_state_dict(state, strict=False)
    return missing

def check(fam, model, rename):
    e = json.load(open(f"{F}/{fam}/expected.json"))
    missing = load(model, f"{F}/{fam}/seq/model.safetensors", rename)
    model.eval()
    ids = torch.tensor(e["input_ids"]); mask = torch.tensor(e["attention_mask"])
    with torch.no_grad():
        out = model(ids, mask)
    ref = torch.tensor(e["seq"]["logits"])
    global worst
    if missing:
        raise SystemExit(f"{fam}: parameters not in the fixture: {missing}")
    diff = (out - ref).abs().max().item()
    worst = max(worst, diff)
    print(f"{fam}: max |logit difference| {diff:.2e} (logits up to {ref.abs().max().item():.2f})")

# DistilBERT
c = json.load(open(f"{F}/distilbert/seq/config.json"))
dc = dict(family="distilbert", vocab_size=c["vocab_size"], hidden_size=c["dim"], num_hidden_layers=c["n_layers"], num_attention_heads=c["n_heads"],
          intermediate_size=c["hidden_dim"], max_position_embeddings=c["max_position_embeddings"], type_vocab_size=0, layer_norm_eps=1e-12,
          pad_token_id=c["pad_token_id"], hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
def dren(k):
    k = k.replace("distilbert.transformer.layer.", "distilbert.encoder.layer.")
    for a, b in [("attention.q_lin", "attention.self.query"), ("attention.k_lin", "attention.self.key"), ("attention.v_lin", "attention.self.value"),
                 ("attention.out_lin", "attention.output.dense"), ("sa_layer_norm", "attention.output.LayerNorm"), ("ffn.lin1", "intermediate.dense"),
                 ("ffn.lin2", "output.dense"), ("output_layer_norm", "output.LayerNorm")]:
        k = k.replace(a, b)
    return k
check("distilbert", bb.DistilBertForSequenceClassification(dc, 3), dren)

c = json.load(open(f"{F}/modernbert/seq/config.json"))
mc = dict(family="modernbert", vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], num_hidden_layers=c["num_hidden_layers"],
          num_attention_heads=c["num_attention_heads"], intermediate_size=c["intermediate_size"], max_position_embeddings=c["max_position_embeddings"],
          norm_eps=c["norm_eps"], pad_token_id=c["pad_token_id"], global_attn_every_n_layers=c["global_attn_every_n_layers"],
          local_attention=c["local_attention"], global_rope_theta=160000.0, local_rope_theta=10000.0, embedding_dropout=0.0,
          attention_dropout=0.0, mlp_dropout=0.0, classifier_dropout=0.0, classifier_pooling=c["classifier_pooling"])
assert c["layer_types"] == ["full_attention" if i % c["global_attn_every_n_layers"] == 0 else "sliding_attention" for i in range(c["num_hidden_layers"])]
def mren(k):
    k = k.replace("model.", "", 1) if k.startswith("model.") else k
    for a, b in [("embeddings.tok_embeddings", "tok_embeddings"), ("embeddings.norm", "embeddings_norm"), ("attn.Wqkv", "Wqkv"), ("attn.Wo", "attn_Wo"),
                 ("mlp.Wi", "Wi"), ("mlp.Wo", "mlp_Wo"), ("head.dense", "head_dense"), ("head.norm", "head_norm")]:
        k = k.replace(a, b)
    return k
check("modernbert", bb.ModernBertForSequenceClassification(mc, 3), mren)
sys.exit(1 if worst > 1e-5 else 0)
