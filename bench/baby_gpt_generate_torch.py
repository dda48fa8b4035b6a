"""PyTorch side of the baby-GPT generation benchmark: the model of baby_gpt_torch.py with a key/value cache,
63 new tokens after a one-token prompt, greedy, repeated; prints the median tokens per second."""
import sys
import time

import torch
import torch.nn.functional as F

import baby_gpt_torch as g


def attend_cached(block, x, cache):
    b, t, _ = x.shape
    q, k, v = block.c_attn(x).split(g.C, dim=2)
    q, k, v = (z.view(b, t, g.H, g.C // g.H).transpose(1, 2) for z in (q, k, v))
    if cache:
        k = torch.cat([cache[0], k], dim=2)
        v = torch.cat([cache[1], v], dim=2)
    cache[:] = [k, v]
    s = (q @ k.transpose(-2, -1)) / (g.C // g.H) ** 0.5   # one query: it sees every cached key
    y = F.softmax(s, dim=-1) @ v
    return block.attn_proj(y.transpose(1, 2).reshape(b, t, g.C))


def generate(model, first, new_tokens):
    caches = [[] for _ in model.h]
    token = torch.tensor([[first]])
    out = []
    for pos in range(new_tokens):
        x = model.wte(token) + model.wpe(torch.tensor([pos]))
        for block, cache in zip(model.h, caches):
            x = x + attend_cached(block, block.ln_1(x), cache)
            x = x + block.mlp_proj(F.gelu(block.c_fc(block.ln_2(x)), approximate="tanh"))
        logits = model.ln_f(x) @ model.wte.weight.t()
        token = logits[:, -1].argmax(-1, keepdim=True)
        out.append(token.item())
    return out


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    torch.manual_seed(1337)
    torch.set_num_threads(2)
    model = g.Gpt().eval()
    rates = []
    with torch.no_grad():
        for r in range(repeats + 5):
            t0 = time.perf_counter()
            n = len(generate(model, r % g.V, 63))
            if r >= 5:
                rates.append(n / (time.perf_counter() - t0))
    rates.sort()
    print(f"pytorch {torch.__version__}: generation {rates[repeats // 2]:.0f} tokens/s median (max {rates[-1]:.0f}), "
          f"63 tokens a run, KV cache")


if __name__ == "__main__":
    main()
