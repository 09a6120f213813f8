"""PyTorch CPU reference for the graph-attention suite: FSGT and Swin W-MSA blocks as in
@siran/graph-attention (7x7 windows, 64 channels, 8 and 16 heads) on [2, 128, 128, 64] (NHWC,
as the TypeScript suite), forward and forward+backward (gradients of mean(y^2) for every weight),
plus torch.linalg.eigh on the [2, 361, 361] window-graph Laplacians.

FSGT: Q/K/V and adjacency maps f1, f2 (16 channels) as one 1x1 projection, adjacency
exp((S + S^T)/2 - max), normalised Laplacian, eigh (analytic backward), per-head high-pass
keys P[:, k:] P[:, k:]^T K with k spread over {floor(N/2) .. N-1}, attention over all windows,
1x1 fusion, residual. W-MSA: qkv, relative position bias, per-window attention, projection,
residual. Prints a JSON list of results in the shape the siran-bench CLI reads.
"""
import argparse
import json
import math
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
torch.manual_seed(0)
B, H, W, C, WS, CA = 2, 128, 128, 64, 7, 16


def partition(x):
    b, h, w, c = x.shape
    x = x.view(b, h // WS, WS, w // WS, WS, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // WS) * (w // WS), WS * WS, c)


def reverse(nodes, b, h, w):
    c = nodes.shape[-1]
    x = nodes.view(b, h // WS, w // WS, WS, WS, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def pad(x):
    ph, pw = -x.shape[1] % WS, -x.shape[2] % WS
    return torch.nn.functional.pad(x, (0, 0, 0, pw, 0, ph))


def cutoffs(n, heads):
    low = n // 2
    return [low + int(math.floor(m / (heads - 1) * (n - 1 - low) + 0.5)) for m in range(heads)]


def fsgt(x, weights, heads):
    kernel, bias, fk, fb = weights
    xp = pad(x)
    b, hp, wp, _ = xp.shape
    proj = xp @ kernel
    q, k, v, a1, a2 = torch.split(proj, [C, C, C, CA, CA], -1)
    bq, bk, bv, b1, b2 = torch.split(bias, [C, C, C, CA, CA])
    n = (hp // WS) * (wp // WS)
    dh = C // heads
    f = WS * WS * dh

    def to_heads(t):
        return partition(t).view(b, n, WS * WS, heads, dh).permute(0, 3, 1, 2, 4).reshape(b, heads, n, f)

    s1 = partition(a1 + b1).reshape(b, n, -1)
    s2 = partition(a2 + b2).reshape(b, n, -1)
    s = s1 @ s2.transpose(1, 2) / math.sqrt(s1.shape[-1])
    s = 0.5 * (s + s.transpose(1, 2))
    a = torch.exp(s - s.amax(dim=(1, 2), keepdim=True))
    d = a.sum(-1).clamp_min(1e-12).rsqrt()
    lap = torch.eye(n) - a * d[:, :, None] * d[:, None, :]
    _, p = torch.linalg.eigh(lap)
    keys = to_heads(k)
    filtered = []
    for m, cut in enumerate(cutoffs(n, heads)):
        basis = p[:, :, cut:]
        filtered.append(basis @ (basis.transpose(1, 2) @ keys[:, m]))
    keys = torch.stack(filtered, 1).view(b, heads, n, WS * WS, dh) + bk.view(1, heads, 1, 1, dh)
    keys = keys.reshape(b, heads, n, f)
    att = torch.softmax(to_heads(q + bq) @ keys.transpose(2, 3) / math.sqrt(f), -1) @ to_heads(v + bv)
    merged = att.view(b, heads, n, WS * WS, dh).permute(0, 2, 3, 1, 4).reshape(b, n, WS * WS, C)
    out = reverse(merged, b, hp, wp)[:, : x.shape[1], : x.shape[2]]
    return x + out @ fk + fb


coords = torch.stack(torch.meshgrid(torch.arange(WS), torch.arange(WS), indexing="ij")).flatten(1)
rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + WS - 1
REL_INDEX = rel[..., 0] * (2 * WS - 1) + rel[..., 1]


def wmsa(x, weights, heads):
    qkv_k, qkv_b, table, ok, ob = weights
    xp = pad(x)
    b, hp, wp, _ = xp.shape
    nodes = partition(xp).reshape(-1, WS * WS, C)
    dh = C // heads
    qkv = (nodes @ qkv_k + qkv_b).view(-1, WS * WS, 3, heads, dh).permute(2, 0, 3, 1, 4)
    logits = qkv[0] @ qkv[1].transpose(-1, -2) / math.sqrt(dh)
    logits = logits + table[REL_INDEX].permute(2, 0, 1)[None]
    out = (torch.softmax(logits, -1) @ qkv[2]).transpose(1, 2).reshape(-1, WS * WS, C) @ ok + ob
    out = reverse(out.view(b, -1, WS * WS, C), b, hp, wp)[:, : x.shape[1], : x.shape[2]]
    return x + out


def timed(fn):
    fn()
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


x = torch.randn(B, H, W, C)
rows = []
base = {"backend": "pytorch-cpu", "threads": torch.get_num_threads(), "torch": torch.__version__, "shape": f"{B}x{H}x{W}x{C}"}
for heads in (8, 16):
    variants = {
        "wmsa": (wmsa, [torch.randn(C, 3 * C) * 0.1, torch.zeros(3 * C), torch.randn(169, heads) * 0.02, torch.randn(C, C) * 0.1, torch.zeros(C)]),
        "fsgt": (fsgt, [torch.randn(C, 3 * C + 2 * CA) * 0.1, torch.zeros(3 * C + 2 * CA), torch.randn(C, C) * 0.1, torch.zeros(C)]),
    }
    for variant, (block, weights) in variants.items():
        params = [w.requires_grad_(True) for w in weights]

        def forward():
            with torch.no_grad():
                block(x, params, heads)

        def forward_backward():
            loss = block(x, params, heads).square().mean()
            torch.autograd.grad(loss, params)

        for label, fn in (("forward", forward), ("forward+backward", forward_backward)):
            s = timed(fn)
            rows.append({"name": f"graph-attention/{variant}-{heads}/{label}/pytorch", "params": {**base, "heads": heads},
                         "medianMs": statistics.median(s), "minMs": min(s), "maxMs": max(s), "repeats": len(s)})
a = torch.randn(2, 361, 361)
a = a + a.transpose(1, 2)
s = timed(lambda: torch.linalg.eigh(a))
rows.append({"name": "graph-attention/symmetric-eigen-2x361x361/forward/pytorch", "params": {**base, "shape": "2x361x361"},
             "medianMs": statistics.median(s), "minMs": min(s), "maxMs": max(s), "repeats": len(s)})
print(json.dumps(rows))
