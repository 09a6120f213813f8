"""PyTorch CPU reference for the dmrb-layers suite: the same DMRB as @siran/dmrb-layers' defaults.

Three residual convolution blocks (conv3x3 -> LeakyReLU(0.2) -> conv3x3, identity skip), densely
connected through 1x1 reductions, a 1x1 fusion of the block input and every RCB output, and the
block residual scaled by 0.2; 64 channels, NCHW [2, 64, 128, 128]. Forward (no grad) and
forward+backward (gradients of mean(y^2) for every weight). Timed with 1 thread and with torch's
default thread count. Prints a JSON list of results in the shape the siran-bench CLI reads.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()


class ResidualConvBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.first = nn.Conv2d(channels, channels, 3, padding=1)
        self.second = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.second(nn.functional.leaky_relu(self.first(x), 0.2))


class Dmrb(nn.Module):
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


def timed(fn):
    fn()
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


default_threads = torch.get_num_threads()
rows = []
for threads in sorted({1, default_threads}):
    torch.set_num_threads(threads)
    params = {"backend": "pytorch-cpu", "threads": threads, "torch": torch.__version__, "shape": "2x128x128x64"}
    for name, fn in [("forward", forward), ("forward+backward", forward_backward)]:
        s = timed(fn)
        rows.append({
            "name": f"dmrb/{name}/pytorch-{threads}t",
            "params": params,
            "medianMs": statistics.median(s),
            "minMs": min(s),
            "maxMs": max(s),
            "repeats": len(s),
        })
print(json.dumps(rows))
