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

import torch
from bench_timing import result, timed
from siran_blocks import fsgt_attention, pad_to_windows, partition, reverse

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
torch.manual_seed(0)
B, H, W, C, WS, CA = 2, 128, 128, 64, 7, 16


def fsgt(x, weights, heads):
    kernel, bias, fk, fb = weights
    xp = pad_to_windows(x, WS)
    q, k, v, a1, a2 = torch.split(xp @ kernel, [C, C, C, CA, CA], -1)
    bq, bk, bv, b1, b2 = torch.split(bias, [C, C, C, CA, CA])
    out = fsgt_attention(q + bq, k, v + bv, a1 + b1, a2 + b2, bk, heads, WS)[:, : x.shape[1], : x.shape[2]]
    return x + out @ fk + fb


coords = torch.stack(torch.meshgrid(torch.arange(WS), torch.arange(WS), indexing="ij")).flatten(1)
rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + WS - 1
REL_INDEX = rel[..., 0] * (2 * WS - 1) + rel[..., 1]


def wmsa(x, weights, heads):
    qkv_k, qkv_b, table, ok, ob = weights
    xp = pad_to_windows(x, WS)
    b, hp, wp, _ = xp.shape
    nodes = partition(xp, WS).reshape(-1, WS * WS, C)
    dh = C // heads
    qkv = (nodes @ qkv_k + qkv_b).view(-1, WS * WS, 3, heads, dh).permute(2, 0, 3, 1, 4)
    logits = qkv[0] @ qkv[1].transpose(-1, -2) / math.sqrt(dh)
    logits = logits + table[REL_INDEX].permute(2, 0, 1)[None]
    out = (torch.softmax(logits, -1) @ qkv[2]).transpose(1, 2).reshape(-1, WS * WS, C) @ ok + ob
    out = reverse(out.view(b, -1, WS * WS, C), b, hp, wp, WS)[:, : x.shape[1], : x.shape[2]]
    return x + out


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
            rows.append(result(f"graph-attention/{variant}-{heads}/{label}/pytorch", {**base, "heads": heads},
                               timed(fn, args.repeats)))
a = torch.randn(2, 361, 361)
a = a + a.transpose(1, 2)
rows.append(result("graph-attention/symmetric-eigen-2x361x361/forward/pytorch", {**base, "shape": "2x361x361"},
                   timed(lambda: torch.linalg.eigh(a), args.repeats)))
print(json.dumps(rows))
