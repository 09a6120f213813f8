"""PyTorch CPU reference for the siran-model suite: the `paper` SiRAN generator, forward only.

Same architecture as @siran/siran-model's `createGenerator('paper')` (64 channels, 6 hybrid blocks):
encoder conv3x3 (coarse, guide * attention: 4 -> 64) + LeakyReLU(0.2); each hybrid block runs a DMRB
(3 residual conv blocks, dense 1x1 transitions, 1x1 fusion, residual scale 0.2, as @siran/dmrb-layers)
and an FSGT (7x7 windows, 16 heads, 16 adjacency channels, exponential adjacency, normalised Laplacian,
eigh, per-head high-pass keys with cut-offs spread over {floor(N/2) .. N-1}, attention over all windows,
1x1 fusion and residual, as @siran/graph-attention) in parallel, concatenates them, fuses by a 1x1
convolution and adds the block input; decoder conv3x3 + global skip from the encoder + LeakyReLU(0.2);
1x1 output convolution; plus the coarse input (residual prediction).

Timed with torch.no_grad() on one 128 x 128 patch (NCHW [1, 1+3+1, 128, 128] split into coarse, guide,
attention). Prints a JSON list of results in the shape the siran-bench CLI reads; `params.params` is the
trainable parameter count (the TypeScript side counts 1,752,961 with generatorFlops('paper', 128, 128)).
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

CHANNELS, BLOCKS, RCBS, WINDOW, HEADS, ADJACENCY = 64, 6, 3, 7, 16, 16
SIZE = 128
TS_PARAMETERS = 1_752_961  # generatorFlops('paper', 128, 128).parameters


def leaky(x):
    return F.leaky_relu(x, 0.2)


class ResidualConvBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.first = nn.Conv2d(channels, channels, 3, padding=1)
        self.second = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.second(leaky(self.first(x)))


class Dmrb(nn.Module):
    def __init__(self, channels, block_count, residual_scale=0.2):
        super().__init__()
        self.blocks = nn.ModuleList(ResidualConvBlock(channels) for _ in range(block_count))
        self.transitions = nn.ModuleList(nn.Conv2d((i + 1) * channels, channels, 1) for i in range(1, block_count))
        self.fusion = nn.Conv2d((block_count + 1) * channels, channels, 1)
        self.residual_scale = residual_scale

    def forward(self, x):
        features = [x]
        for index, block in enumerate(self.blocks):
            inp = x if index == 0 else self.transitions[index - 1](torch.cat(features, 1))
            features.append(block(inp))
        return x + self.residual_scale * self.fusion(torch.cat(features, 1))


def head_cutoffs(nodes, heads):
    lowest = nodes // 2
    span = nodes - 1 - lowest
    return [lowest + int(math.floor((0.5 if heads == 1 else m / (heads - 1)) * span + 0.5)) for m in range(heads)]


class Fsgt(nn.Module):
    """FSGT on NCHW input; internally NHWC like the TypeScript layer (1x1 projections as matmuls)."""

    def __init__(self, channels, window, heads, adjacency):
        super().__init__()
        self.c, self.ws, self.heads, self.ca = channels, window, heads, adjacency
        width = 3 * channels + 2 * adjacency
        self.projection = nn.Linear(channels, width)  # W_Q, W_K, W_V, f1, f2 side by side
        self.fusion = nn.Linear(channels, channels)

    def partition(self, x):  # [b, hp, wp, c] -> [b, nodes, ws*ws, c]
        b, h, w, c = x.shape
        ws = self.ws
        x = x.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(b, (h // ws) * (w // ws), ws * ws, c)

    def reverse(self, nodes, b, h, w):
        ws, c = self.ws, nodes.shape[-1]
        x = nodes.view(b, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(b, h, w, c)

    def forward(self, x_nchw):
        x = x_nchw.permute(0, 2, 3, 1)
        ws, c, heads, ca = self.ws, self.c, self.heads, self.ca
        height, width = x.shape[1], x.shape[2]
        xp = F.pad(x, (0, 0, 0, -width % ws, 0, -height % ws))
        b, hp, wp, _ = xp.shape
        q, k, v, f1, f2 = torch.split(self.projection(xp), [c, c, c, ca, ca], -1)
        key_bias = self.projection.bias[c : 2 * c]
        k = k - key_bias  # the key bias is added after the graph filter, as in the TypeScript layer
        n = (hp // ws) * (wp // ws)
        dh = c // heads
        features = ws * ws * dh

        def to_heads(t):
            return self.partition(t).view(b, n, ws * ws, heads, dh).permute(0, 3, 1, 2, 4).reshape(b, heads, n, features)

        s1 = self.partition(f1).reshape(b, n, -1)
        s2 = self.partition(f2).reshape(b, n, -1)
        s = s1 @ s2.transpose(1, 2) / math.sqrt(s1.shape[-1])
        s = 0.5 * (s + s.transpose(1, 2))
        adjacency = torch.exp(s - s.amax(dim=(1, 2), keepdim=True))
        inverse_root = adjacency.sum(-1).clamp_min(1e-12).rsqrt()
        laplacian = torch.eye(n) - adjacency * inverse_root[:, :, None] * inverse_root[:, None, :]
        _, vectors = torch.linalg.eigh(laplacian)
        keys = to_heads(k)
        filtered = []
        for m, cut in enumerate(head_cutoffs(n, heads)):
            basis = vectors[:, :, cut:]
            filtered.append(basis @ (basis.transpose(1, 2) @ keys[:, m]))
        keys = torch.stack(filtered, 1).view(b, heads, n, ws * ws, dh) + key_bias.view(1, heads, 1, 1, dh)
        keys = keys.reshape(b, heads, n, features)
        logits = to_heads(q) @ keys.transpose(2, 3) / math.sqrt(features)
        attended = torch.softmax(logits, -1) @ to_heads(v)
        merged = attended.view(b, heads, n, ws * ws, dh).permute(0, 2, 3, 1, 4).reshape(b, n, ws * ws, c)
        out = self.reverse(merged, b, hp, wp)[:, :height, :width]
        return (x + self.fusion(out)).permute(0, 3, 1, 2)


class HybridBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.dmrb = Dmrb(channels, RCBS)
        self.fsgt = Fsgt(channels, WINDOW, HEADS, ADJACENCY)
        self.fuse = nn.Conv2d(2 * channels, channels, 1)

    def forward(self, x):
        return x + self.fuse(torch.cat([self.dmrb(x), self.fsgt(x)], 1))


class Generator(nn.Module):
    def __init__(self, channels=CHANNELS, blocks=BLOCKS):
        super().__init__()
        self.encoder = nn.Conv2d(4, channels, 3, padding=1)
        self.blocks = nn.ModuleList(HybridBlock(channels) for _ in range(blocks))
        self.decoder = nn.Conv2d(channels, channels, 3, padding=1)
        self.output = nn.Conv2d(channels, 1, 1)

    def forward(self, coarse, guide, attention):
        encoded = leaky(self.encoder(torch.cat([coarse, guide * attention], 1)))
        features = encoded
        for block in self.blocks:
            features = block(features)
        return self.output(leaky(self.decoder(features) + encoded)) + coarse


torch.manual_seed(0)
model = Generator().eval()
parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
relative = parameters / TS_PARAMETERS - 1
if abs(relative) > 0.05:
    print(f"siran-model.py: PyTorch generator has {parameters} parameters, TypeScript {TS_PARAMETERS} "
          f"({relative:+.1%}); expected within 5%", file=sys.stderr)
    sys.exit(1)
inputs = torch.randn(1, 5, SIZE, SIZE)
coarse, guide, attention = inputs[:, :1], inputs[:, 1:4], torch.ones(1, 1, SIZE, SIZE)


def forward():
    with torch.no_grad():
        model(coarse, guide, attention)


def timed(fn):
    fn()
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


s = timed(forward)
params = {"backend": "pytorch-cpu", "threads": torch.get_num_threads(), "torch": torch.__version__,
          "input": f"1x{SIZE}x{SIZE}x(1+3+1)", "params": parameters, "params_vs_ts": f"{relative:+.3%}"}
print(json.dumps([{"name": "siran-model/generator-forward-paper/pytorch", "params": params,
                   "medianMs": statistics.median(s), "minMs": min(s), "maxMs": max(s), "repeats": len(s)}]))
