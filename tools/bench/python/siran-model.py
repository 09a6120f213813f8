"""PyTorch CPU reference for the siran-model suite: the `paper` SiRAN generator, forward and forward+backward.

Same architecture as @siran/siran-model's `createGenerator('paper')` (64 channels, 6 hybrid blocks):
encoder conv3x3 (coarse, guide * attention: 4 -> 64) + LeakyReLU(0.2); each hybrid block runs a DMRB
(3 residual conv blocks, dense 1x1 transitions, 1x1 fusion, residual scale 0.2, as @siran/dmrb-layers)
and an FSGT (7x7 windows, 16 heads, 16 adjacency channels, exponential adjacency, normalised Laplacian,
eigh, per-head high-pass keys with cut-offs spread over {floor(N/2) .. N-1}, attention over all windows,
1x1 fusion and residual, as @siran/graph-attention) in parallel, concatenates them, fuses by a 1x1
convolution and adds the block input; decoder conv3x3 + global skip from the encoder + LeakyReLU(0.2);
1x1 output convolution; plus the coarse input (residual prediction).

Timed with torch.no_grad() on one 128 x 128 patch (NCHW [1, 1+3+1, 128, 128] split into coarse, guide,
attention), and forward+backward (gradients of mean(y^2) for every weight, eigh differentiated by autograd) on the
same patch. Prints a JSON list of results in the shape the siran-bench CLI reads; `params.params` is the
trainable parameter count (the TypeScript side counts 1,752,961 with generatorFlops('paper', 128, 128)).
"""
import argparse
import json
import sys

import torch
from bench_timing import result, selected, timed
from siran_blocks import Dmrb, fsgt_attention, leaky, pad_to_windows
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

CHANNELS, BLOCKS, RCBS, WINDOW, HEADS, ADJACENCY = 64, 6, 3, 7, 16, 16
SIZE = 128
TS_PARAMETERS = 1_752_961  # generatorFlops('paper', 128, 128).parameters


class Fsgt(nn.Module):
    """FSGT on NCHW input; internally NHWC like the TypeScript layer (1x1 projections as matmuls)."""

    def __init__(self, channels, window, heads, adjacency):
        super().__init__()
        self.c, self.ws, self.heads, self.ca = channels, window, heads, adjacency
        width = 3 * channels + 2 * adjacency
        self.projection = nn.Linear(channels, width)  # W_Q, W_K, W_V, f1, f2 side by side
        self.fusion = nn.Linear(channels, channels)

    def forward(self, x_nchw):
        x = x_nchw.permute(0, 2, 3, 1)
        c, ca = self.c, self.ca
        q, k, v, f1, f2 = torch.split(self.projection(pad_to_windows(x, self.ws)), [c, c, c, ca, ca], -1)
        key_bias = self.projection.bias[c : 2 * c]
        # the key bias is added after the graph filter, as in the TypeScript layer
        out = fsgt_attention(q, k - key_bias, v, f1, f2, key_bias, self.heads, self.ws)
        out = out[:, : x.shape[1], : x.shape[2]]
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


weights = [p for p in model.parameters() if p.requires_grad]


def forward_backward():
    loss = model(coarse, guide, attention).square().mean()
    torch.autograd.grad(loss, weights)


params = {"backend": "pytorch-cpu", "threads": torch.get_num_threads(), "torch": torch.__version__,
          "input": f"1x{SIZE}x{SIZE}x(1+3+1)", "params": parameters, "params_vs_ts": f"{relative:+.3%}"}
rows = []
for name, fn in [("generator-forward-paper", forward), ("generator-forward+backward-paper", forward_backward)]:
    if selected(f"siran-model/{name}/pytorch"):
        rows.append(result(f"siran-model/{name}/pytorch", params, timed(fn, args.repeats)))
print(json.dumps(rows))
