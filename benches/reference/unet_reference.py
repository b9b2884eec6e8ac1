#!/usr/bin/env python3
"""PyTorch reference for `diffusion-playground bench`.

Builds the same ε-prediction U-Net as src/model/unet.rs (same layers, widths, GroupNorm
groups, zero-initialised output convolutions, host sinusoidal time embedding), and times
the same work as the Rust benchmark on the same device:

* one training step: draw t and ε, build x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, forward, L_simple,
  read the loss back (the Rust trainer does too, to catch NaN within one step), backward,
  clip the gradient norm to 1, Adam (lr 2e-4), EMA update of every parameter;
* DDIM sampling with 50 steps (η = 0) of 16 images with the EMA weights.

Prints one JSON object. Run: python3 benches/reference/unet_reference.py --json
"""
import argparse
import copy
import json
import math
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # the Rust side reports this plainly
    print(json.dumps({"error": "PyTorch is not installed (pip install torch)"}))
    sys.exit(3)


def groups_for(channels, groups):
    g = min(groups, channels)
    while channels % g != 0:
        g -= 1
    return g


def conv3(c_in, c_out, stride=1, zero=False):
    conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
    if zero:
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
    return conv


class ResBlock(nn.Module):
    def __init__(self, c_in, c_out, time_dim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(c_in, groups), c_in)
        self.conv1 = conv3(c_in, c_out)
        self.time = nn.Linear(time_dim, c_out)
        self.norm2 = nn.GroupNorm(groups_for(c_out, groups), c_out)
        self.conv2 = conv3(c_out, c_out, zero=True)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    def __init__(self, ch, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups_for(ch, groups), ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        self.ch = ch

    def forward(self, x):
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, 3 * c, h * w)
        q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
        attn = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(self.ch), dim=2)
        out = (v @ attn.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj(out)


class UNet(nn.Module):
    def __init__(self, image_size=32, channels=3, base=48, mults=(1, 2, 2), res_blocks=1,
                 attention=True, groups=8):
        super().__init__()
        self.base = base
        time_dim = 4 * base
        self.time1 = nn.Linear(base, time_dim)
        self.time2 = nn.Linear(time_dim, time_dim)
        c0 = base * mults[0]
        self.stem = conv3(channels, c0)
        skips = [c0]
        ch = c0
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        for level, m in enumerate(mults):
            out = base * m
            blocks = nn.ModuleList()
            for _ in range(res_blocks):
                blocks.append(ResBlock(ch, out, time_dim, groups))
                ch = out
                skips.append(ch)
            self.down.append(blocks)
            if level + 1 < len(mults):
                skips.append(ch)
                self.downsample.append(conv3(ch, ch, stride=2))
            else:
                self.downsample.append(nn.Identity())
        self.mid1 = ResBlock(ch, ch, time_dim, groups)
        self.attention = Attention(ch, groups) if attention else None
        self.mid2 = ResBlock(ch, ch, time_dim, groups)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for level in reversed(range(len(mults))):
            out = base * mults[level]
            blocks = nn.ModuleList()
            for _ in range(res_blocks + 1):
                skip = skips.pop()
                blocks.append(ResBlock(ch + skip, out, time_dim, groups))
                ch = out
            self.up.append(blocks)
            self.upsample.append(conv3(ch, ch) if level > 0 else nn.Identity())
        self.out_norm = nn.GroupNorm(groups_for(ch, groups), ch)
        self.out_conv = conv3(ch, channels, zero=True)
        self.n_levels = len(mults)

    def embed(self, ts, device):
        half = max(self.base // 2, 1)
        i = torch.arange(half, dtype=torch.float64)
        freq = torch.exp(-math.log(10000.0) * i / (max(half, 2) - 1))
        arg = ts.double()[:, None].cpu() * freq[None, :]
        e = torch.stack([arg.sin(), arg.cos()], dim=2).reshape(len(ts), 2 * half)
        return e[:, : self.base].float().to(device)

    def forward(self, x, ts):
        temb = F.silu(self.time2(F.silu(self.time1(self.embed(ts, x.device)))))
        h = self.stem(x)
        skips = [h]
        for level, blocks in enumerate(self.down):
            for block in blocks:
                h = block(h, temb)
                skips.append(h)
            if level + 1 < self.n_levels:
                h = self.downsample[level](h)
                skips.append(h)
        h = self.mid1(h, temb)
        if self.attention is not None:
            h = self.attention(h)
        h = self.mid2(h, temb)
        for i, blocks in enumerate(self.up):
            for block in blocks:
                h = block(torch.cat([h, skips.pop()], dim=1), temb)
            if i + 1 < self.n_levels:
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.out_conv(F.silu(self.out_norm(h)))


def linear_alpha_bar(T):
    scale = 1000.0 / T
    betas = torch.linspace(scale * 1e-4, scale * 0.02, T, dtype=torch.float64).clamp(max=0.999)
    return torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - betas, 0)])


def median_ms(fn, warmup, repeats, sync):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--batches", default="32,64")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--base", type=int, default=48)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sample-n", type=int, default=16)
    p.add_argument("--ddim-steps", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.add_argument("--profile", action="store_true",
                   help="after timing each batch, print torch.profiler's key averages of 3 more "
                        "training steps to stderr (BENCHMARKS.md: where PyTorch's step goes)")
    args = p.parse_args()

    device = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    T = 1000
    ab = linear_alpha_bar(T).to(device)
    s = args.image_size
    out = {
        "torch_version": torch.__version__,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "train": [],
    }
    for batch in [int(b) for b in args.batches.split(",")]:
        model = UNet(image_size=s, base=args.base).to(device)
        ema = copy.deepcopy(model).requires_grad_(False)
        opt = torch.optim.Adam(model.parameters(), lr=2e-4)
        x0 = torch.rand(batch, 3, s, s, device=device) * 2 - 1
        out["params"] = sum(p.numel() for p in model.parameters())
        step = [0]

        def train_step():
            t = torch.randint(1, T + 1, (batch,), device=device)
            eps = torch.randn_like(x0)
            a = ab[t].float()[:, None, None, None]
            x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
            loss = (model(x_t, t) - eps).pow(2).mean()
            if not math.isfinite(loss.item()):
                raise RuntimeError("non-finite loss")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step[0] += 1
            d = min(0.999, (1 + step[0]) / (10 + step[0]))
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(d).add_(pm, alpha=1 - d)

        ms = median_ms(train_step, args.warmup, args.repeats, sync)
        out["train"].append({"batch": batch, "ms_per_step": ms, "images_per_s": batch * 1000.0 / ms})
        if args.profile:
            from torch.profiler import profile, ProfilerActivity
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(3):
                    train_step()
            print(f"torch.profiler, batch {batch}, 3 training steps:", file=sys.stderr)
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25),
                  file=sys.stderr)

    # DDIM, η = 0, with the EMA weights.
    n = args.sample_n
    steps = args.ddim_steps
    # τ_i = round(i·T/K), i = K … 1, as src/diffusion/sampler.rs::timesteps_for.
    ts = [max(1, int(math.floor(i * T / steps + 0.5))) for i in range(steps, 0, -1)]

    @torch.no_grad()
    def ddim():
        x = torch.randn(n, 3, s, s, device=device)
        for i, t in enumerate(ts):
            t_prev = ts[i + 1] if i + 1 < len(ts) else 0
            a_t, a_prev = ab[t].float(), ab[t_prev].float()
            eps = ema(x, torch.full((n,), t, device=device))
            x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        return x

    ms = median_ms(ddim, 1, max(args.repeats // 2, 1), sync)
    out["ddim"] = {"n": n, "steps": steps, "total_ms": ms, "ms_per_step": ms / steps}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
