"""PyTorch CPU reference for the conv2d suite: conv 3x3 64->64 on NCHW [4,64,128,128].

Prints a JSON list of results in the shape the siran-bench CLI reads. Thread count follows
the environment (OMP_NUM_THREADS / torch defaults); it is reported in params.
"""
import argparse
import json

import torch
from bench_timing import result, timed

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

torch.manual_seed(0)
x = torch.randn(4, 64, 128, 128)
w = (torch.randn(64, 64, 3, 3) * 0.05).requires_grad_(True)
xg = x.clone().requires_grad_(True)


def forward():
    with torch.no_grad():
        torch.nn.functional.conv2d(x, w, padding=1)


def forward_backward():
    loss = torch.nn.functional.conv2d(xg, w, padding=1).square().mean()
    gx, gw = torch.autograd.grad(loss, [xg, w])


params = {"backend": "pytorch-cpu", "threads": torch.get_num_threads(), "torch": torch.__version__}
rows = []
for name, fn in [("conv2d/forward/pytorch", forward), ("conv2d/forward+backward/pytorch", forward_backward)]:
    rows.append(result(name, params, timed(fn, args.repeats)))
print(json.dumps(rows))
