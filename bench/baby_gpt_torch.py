"""PyTorch side of the baby-GPT training-step benchmark: the same GPT-2-style model, optimizer and batch as
Carpathia's BabyGptStepProbe (n_layer 4, n_head 4, n_embd 128, block 64, batch 12, vocab 65, dropout 0, AdamW with
weight decay on matrices only, gradient clipping at 1.0), written here in plain torch.nn. Prints the median step
time and the peak resident memory. Run by bench/baby-gpt.sh."""
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

L, H, C, T, B, V = 4, 4, 128, 64, 12, 65
WARMUP = 30  # steps left out of the figures, as BabyGptStepProbe does (the JVM's JIT warms up in them)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.attn_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).tril())

    def attention(self, x):
        b, t, _ = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        s = s.masked_fill(~self.mask[:t, :t], float("-inf"))
        y = F.softmax(s, dim=-1) @ v
        return self.attn_proj(y.transpose(1, 2).reshape(b, t, C))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.h = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(C)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 130
    torch.manual_seed(1337)
    torch.set_num_threads(2)
    model = Gpt()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99))
    data = torch.randint(0, V, (100_000,))
    gen = torch.Generator().manual_seed(2)
    times = []
    for step in range(steps):
        ix = torch.randint(len(data) - T - 1, (B,), generator=gen)
        x = torch.stack([data[i:i + T] for i in ix])
        y = torch.stack([data[i + 1:i + T + 1] for i in ix])
        t0 = time.perf_counter()
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    steady = sorted(times[WARMUP:])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/self/maps") as maps:
        blas = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
    print(f"pytorch {torch.__version__}: median step {steady[len(steady) // 2] * 1e3:.1f} ms "
          f"(min {steady[0] * 1e3:.1f}), peak RSS {rss_mb:.0f} MB, {torch.get_num_threads()} threads, BLAS {blas}")


if __name__ == "__main__":
    main()
