"""Reference values for the engine's ops, computed by PyTorch (float64, CPU).

Run from this folder with Debian's python3-torch:  /usr/bin/python3 make_reference.py > ops.json
Every case lists its inputs, the op's output and the gradient of sum(output * w) for a fixed random w.
"""
import json
import math
import torch
import torch.nn.functional as F

torch.manual_seed(0)
cases = []


def t(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def case(name, fn, inputs, params=None, int_inputs=None):
    xs = {k: v.clone().double().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**xs, **(int_inputs or {}))
    w = torch.randn(out.shape, dtype=torch.float64)
    (out * w).sum().backward()
    cases.append({
        "name": name,
        "params": params or {},
        "inputs": {k: t(v) for k, v in inputs.items()},
        "int_inputs": {k: t(v) for k, v in (int_inputs or {}).items()},
        "weights": t(w),
        "output": t(out),
        "grads": {k: t(v.grad) for k, v in xs.items()},
    })


x = torch.randn(3, 5) * 3
case("softmax_dim1", lambda x: F.softmax(x, dim=1), {"x": x}, {"dim": 1})
case("softmax_dim0", lambda x: F.softmax(x, dim=0), {"x": x}, {"dim": 0})
case("log_softmax_dim1", lambda x: F.log_softmax(x, dim=1), {"x": x}, {"dim": 1})
case("gelu", lambda x: F.gelu(x), {"x": x})
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), {"x": x})
case("layer_norm", lambda x, w, b: F.layer_norm(x, (5,), w, b, 1e-5),
     {"x": torch.randn(2, 3, 5) * 2 + 1, "w": torch.randn(5), "b": torch.randn(5)}, {"eps": 1e-5})

logits = torch.randn(6, 7) * 2
targets = torch.tensor([0, 3, -100, 6, 2, -100])
for red in ["mean", "sum", "none"]:
    for eps in [0.0, 0.1]:
        case(f"cross_entropy_{red}_ls{eps}",
             lambda logits, targets, red=red, eps=eps: F.cross_entropy(logits, targets, ignore_index=-100,
                                                                      label_smoothing=eps, reduction=red),
             {"logits": logits}, {"reduction": red, "label_smoothing": eps, "ignore_index": -100},
             {"targets": targets})
case("mse_loss", lambda x, y: F.mse_loss(x, y), {"x": torch.randn(4, 3), "y": torch.randn(4, 3)})


def attention(q, k, v, causal):
    d = q.shape[-1]
    s = q @ k.transpose(-2, -1) / math.sqrt(d)
    if causal:
        tq, tk = s.shape[-2], s.shape[-1]
        mask = torch.ones(tq, tk, dtype=torch.bool).tril()
        s = s.masked_fill(~mask, float("-inf"))
    return F.softmax(s, dim=-1) @ v


qkv = {"q": torch.randn(2, 3, 4, 8), "k": torch.randn(2, 3, 4, 8), "v": torch.randn(2, 3, 4, 8)}
case("attention_causal", lambda q, k, v: attention(q, k, v, True), qkv, {"causal": True})
case("attention_full", lambda q, k, v: attention(q, k, v, False), qkv, {"causal": False})

print(json.dumps({"source": "PyTorch " + torch.__version__ + ", float64, CPU", "cases": cases}))
