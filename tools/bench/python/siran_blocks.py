"""The SiRAN blocks in PyTorch, shared by the reference scripts.

The blocks mirror the TypeScript packages so that one definition serves every suite: the DMRB of
@siran/dmrb-layers (residual convolution blocks densely connected through 1x1 reductions, a 1x1 fusion,
residual scale 0.2) and the FSGT attention of @siran/graph-attention (window nodes, exponential
adjacency, normalised Laplacian, eigh, per-head high-pass keys, attention over all windows).
"""
import math

import torch
from torch import nn
from torch.nn import functional as F


def leaky(x):
    return F.leaky_relu(x, 0.2)


class ResidualConvBlock(nn.Module):
    """conv3x3 -> LeakyReLU(0.2) -> conv3x3, identity skip (NCHW)."""

    def __init__(self, channels):
        super().__init__()
        self.first = nn.Conv2d(channels, channels, 3, padding=1)
        self.second = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.second(leaky(self.first(x)))


class Dmrb(nn.Module):
    """Densely connected residual convolution blocks with a 1x1 fusion and a scaled residual (NCHW)."""

    def __init__(self, channels, block_count=3, residual_scale=0.2):
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


def pad_to_windows(x, ws):
    """Zero-pads NHWC rows and columns up to multiples of the window size."""
    return F.pad(x, (0, 0, 0, -x.shape[2] % ws, 0, -x.shape[1] % ws))


def partition(x, ws):
    """[b, h, w, c] -> [b, nodes, ws*ws, c] (windows in row-major order)."""
    b, h, w, c = x.shape
    x = x.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // ws) * (w // ws), ws * ws, c)


def reverse(nodes, b, h, w, ws):
    """Inverse of partition."""
    c = nodes.shape[-1]
    x = nodes.view(b, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def head_cutoffs(nodes, heads):
    """Per-head cut-offs spread over {floor(N/2) .. N-1}, head 0 keeping the widest band."""
    lowest = nodes // 2
    span = nodes - 1 - lowest
    return [lowest + int(math.floor((0.5 if heads == 1 else m / (heads - 1)) * span + 0.5)) for m in range(heads)]


def fsgt_attention(q, k, v, f1, f2, key_bias, heads, ws):
    """FSGT multi-head attention on padded NHWC projections; returns the attended features [b, hp, wp, c].

    q, k and v come without bias except q and v; f1, f2 are the adjacency maps; key_bias is added to the keys
    after the graph filter, as the TypeScript layer does.
    """
    b, hp, wp, c = q.shape
    n = (hp // ws) * (wp // ws)
    dh = c // heads
    features = ws * ws * dh

    def to_heads(t):
        return partition(t, ws).view(b, n, ws * ws, heads, dh).permute(0, 3, 1, 2, 4).reshape(b, heads, n, features)

    s1 = partition(f1, ws).reshape(b, n, -1)
    s2 = partition(f2, ws).reshape(b, n, -1)
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
    attended = torch.softmax(to_heads(q) @ keys.transpose(2, 3) / math.sqrt(features), -1) @ to_heads(v)
    merged = attended.view(b, heads, n, ws * ws, dh).permute(0, 2, 3, 1, 4).reshape(b, n, ws * ws, c)
    return reverse(merged, b, hp, wp, ws)
