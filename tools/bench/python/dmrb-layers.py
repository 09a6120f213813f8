"""PyTorch CPU reference for the dmrb-layers suite: the same DMRB as @siran/dmrb-layers' defaults.

Three residual convolution blocks (conv3x3 -> LeakyReLU(0.2) -> conv3x3, identity skip), densely
connected through 1x1 reductions, a 1x1 fusion of the block input and every RCB output, and the
block residual scaled by 0.2; 64 channels, NCHW [2, 64, 128, 128]. Forward (no grad) and
forward+backward (gradients of mean(y^2) for every weight). Timed with 1 thread and with torch's
default thread count. Prints a JSON list of results in the shape the siran-bench CLI reads.
"""
import argparse
import json

import torch
from bench_timing import result, timed
from siran_blocks import Dmrb

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()


torch.manual_seed(0)
model = Dmrb(64)
x = torch.randn(2, 64, 128, 128)
parameters = list(model.parameters())


def forward():
    with torch.no_grad():
        model(x)


def forward_backward():
    loss = model(x).square().mean()
    torch.autograd.grad(loss, parameters)


default_threads = torch.get_num_threads()
rows = []
for threads in sorted({1, default_threads}):
    torch.set_num_threads(threads)
    params = {"backend": "pytorch-cpu", "threads": threads, "torch": torch.__version__, "shape": "2x128x128x64"}
    for name, fn in [("forward", forward), ("forward+backward", forward_backward)]:
        rows.append(result(f"dmrb/{name}/pytorch-{threads}t", params, timed(fn, args.repeats)))
print(json.dumps(rows))
