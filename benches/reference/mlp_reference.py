#!/usr/bin/env python3
"""PyTorch reference for the 1-D/2-D world in `diffusion-playground bench`.

The same ε-prediction MLP as src/model/mlp.rs (input [x, sin/cos(π 2^k x) for k < 4, the
same sinusoidal t-embedding of width 32], 3 hidden layers of 128 with SiLU) and the same
training step as src/train/toy.rs: 256 two-moons points, t uniform in 1..100 on the linear
schedule scaled to T = 100, x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, L_simple, read the loss back, Adam
(lr 2e-3), EMA (0.995) of every parameter. On the CPU.

Prints one JSON object with steps_per_s. Run: python3 benches/reference/mlp_reference.py --json
"""
import argparse
import json
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print(json.dumps({"error": "PyTorch is not installed (pip install torch)"}))
    sys.exit(3)
except Exception as e:  # installed but broken, e.g. a CUDA build without its libraries
    print(json.dumps({"error": f"PyTorch cannot be imported: {str(e).splitlines()[0]}"}))
    sys.exit(3)


def embedding(t, dim=32):
    half = dim // 2
    i = torch.arange(half, dtype=torch.float64)
    freq = torch.exp(-math.log(10000.0) * i / (half - 1))
    arg = t.double()[:, None] * freq[None, :]
    out = torch.zeros(t.shape[0], dim, dtype=torch.float64)
    out[:, 0::2] = torch.sin(arg)
    out[:, 1::2] = torch.cos(arg)
    return out.float()


class Mlp(nn.Module):
    def __init__(self, dim=2, hidden=128, layers=3, embed=32, octaves=4):
        super().__init__()
        self.octaves = octaves
        width = dim * (1 + 2 * octaves) + embed
        mods = []
        for k in range(layers):
            mods += [nn.Linear(width if k == 0 else hidden, hidden), nn.SiLU()]
        self.body = nn.Sequential(*mods)
        self.out = nn.Linear(hidden, dim)

    def forward(self, x, temb):
        feats = [x]
        for k in range(self.octaves):
            s = x * (math.pi * 2**k)
            feats += [torch.sin(s), torch.cos(s)]
        return self.out(self.body(torch.cat(feats + [temb], 1)))


def moons(n):
    u = torch.rand(n) * math.pi
    upper = torch.rand(n) < 0.5
    x = torch.where(upper, torch.cos(u), 1 - torch.cos(u))
    y = torch.where(upper, torch.sin(u), 0.5 - torch.sin(u))
    pts = torch.stack([(x - 0.5) * 1.3, (y - 0.25) * 1.3], 1)
    return pts + 0.06 * torch.randn(n, 2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--json", action="store_true")
    p.add_argument("--steps", type=int, default=1000)
    args = p.parse_args()
    torch.manual_seed(0)
    T = 100
    scale = 1000.0 / T
    betas = torch.linspace(scale * 1e-4, scale * 0.02, T, dtype=torch.float64).clamp(max=0.999)
    abar = torch.cumprod(1 - betas, 0).float()
    model = Mlp()
    ema = Mlp()
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def step():
        x0 = moons(256)
        t = torch.randint(1, T + 1, (256,))
        eps = torch.randn_like(x0)
        a = abar[t - 1][:, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = ((model(xt, embedding(t)) - eps) ** 2).mean()
        loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(0.995).add_(pm, alpha=0.005)

    for _ in range(50):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"steps_per_s": args.steps / seconds, "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
