#!/usr/bin/python3
"""PyTorch CPU reference for the sinkhorn suite: debiased Sinkhorn divergence, forward + backward.

GeomLoss is not installable here (PyPI is unreachable and Debian does not package it), so this is a
re-implementation of GeomLoss's *tensorized* debiased Sinkhorn (``SamplesLoss('sinkhorn', p=2,
debias=True, backend='tensorized')``) with the settings of the TypeScript suite:

* cost ``C_ij = |x_i - y_j|^2`` (not halved), ``eps = 0.1`` (absolute), uniform weights;
* log-domain softmin ``-eps * logsumexp(h_j - C_ij / eps)``;
* GeomLoss's loop with a constant epsilon and ``T = 10`` iterations (no epsilon scaling): symmetric
  (averaged) updates for ``W(x, y)``, ``W(x, x)`` and ``W(y, y)``, iterations without autograd, then the
  "last extrapolation" step with autograd through ``C(x, y.detach())`` etc., value ``<a, f> + <b, g>``.
  The TypeScript counterpart is ``gradient: 'envelope'``.

A second variant, ``unrolled``, back-propagates through all ``T = 10`` iterations with alternating updates
for ``W(x, y)`` and symmetric ones for the self terms, like the TypeScript default ``gradient: 'unrolled'``.

Prints a JSON list of results in the shape the siran-bench CLI reads. One thread (torch.set_num_threads(1)).
"""
import argparse
import json

import torch
from bench_timing import result, selected, timed

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
torch.set_num_threads(args.threads)

EPSILON = 0.1
ITERATIONS = 10
SIZES = [(16, 16384), (1024, 16), (4096, 16)]


def squared_distances(x, y):
    centre = 0.5 * (x.mean(0, keepdim=True) + y.mean(0, keepdim=True))
    x, y = x - centre, y - centre
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * x @ y.T
    return d.clamp_min(0)


def softmin(eps, cost, h):
    return -eps * torch.logsumexp(h[None, :] - cost / eps, dim=1)


def geomloss_tensorized(x, y, eps=EPSILON, iterations=ITERATIONS):
    n, m = x.shape[0], y.shape[0]
    a_log = torch.full((n,), -torch.log(torch.tensor(float(n))))
    b_log = torch.full((m,), -torch.log(torch.tensor(float(m))))
    c_xy, c_yx = squared_distances(x, y.detach()), squared_distances(y, x.detach())
    c_xx, c_yy = squared_distances(x, x.detach()), squared_distances(y, y.detach())
    with torch.no_grad():
        f_ba, g_ab = softmin(eps, c_xy, b_log), softmin(eps, c_yx, a_log)
        f_aa, g_bb = softmin(eps, c_xx, a_log), softmin(eps, c_yy, b_log)
        for _ in range(iterations):
            ft_ba = softmin(eps, c_xy, b_log + g_ab / eps)
            gt_ab = softmin(eps, c_yx, a_log + f_ba / eps)
            ft_aa = softmin(eps, c_xx, a_log + f_aa / eps)
            gt_bb = softmin(eps, c_yy, b_log + g_bb / eps)
            f_ba, g_ab = 0.5 * (f_ba + ft_ba), 0.5 * (g_ab + gt_ab)
            f_aa, g_bb = 0.5 * (f_aa + ft_aa), 0.5 * (g_bb + gt_bb)
    f_ba, g_ab = softmin(eps, c_xy, (b_log + g_ab / eps).detach()), softmin(eps, c_yx, (a_log + f_ba / eps).detach())
    f_aa = softmin(eps, c_xx, (a_log + f_aa / eps).detach())
    g_bb = softmin(eps, c_yy, (b_log + g_bb / eps).detach())
    return (a_log.exp() * (f_ba - f_aa)).sum() + (b_log.exp() * (g_ab - g_bb)).sum()


def unrolled(x, y, eps=EPSILON, iterations=ITERATIONS):
    n, m = x.shape[0], y.shape[0]
    a_log = torch.full((n,), -torch.log(torch.tensor(float(n))))
    b_log = torch.full((m,), -torch.log(torch.tensor(float(m))))
    c_xy, c_xx, c_yy = squared_distances(x, y), squared_distances(x, x), squared_distances(y, y)
    c_yx = c_xy.T
    f, g = torch.zeros(n), torch.zeros(m)
    f_aa, g_bb = softmin(eps, c_xx, a_log), softmin(eps, c_yy, b_log)
    for t in range(iterations):
        f = softmin(eps, c_xy, b_log + g / eps)
        g = softmin(eps, c_yx, a_log + f / eps)
        if t > 0:
            f_aa = 0.5 * (f_aa + softmin(eps, c_xx, a_log + f_aa / eps))
            g_bb = 0.5 * (g_bb + softmin(eps, c_yy, b_log + g_bb / eps))
    a, b = a_log.exp(), b_log.exp()
    return (a * f).sum() + (b * g).sum() - (a * f_aa).sum() - (b * g_bb).sum()


rows = []
for n, d in SIZES:
    generator = torch.Generator().manual_seed(n * 31 + d)
    x0 = torch.rand(n, d, generator=generator)
    y0 = torch.rand(n, d, generator=generator) + 0.25
    for variant, loss in [("geomloss-tensorized", geomloss_tensorized), ("unrolled", unrolled)]:
        name = f"sinkhorn/{variant}/n{n}-d{d}/pytorch"
        if not selected(name):
            continue
        x, y = x0.clone().requires_grad_(True), y0.clone().requires_grad_(True)

        def forward_backward():
            value = loss(x, y)
            torch.autograd.grad(value, [x, y])

        # as many untimed runs as the TypeScript side (SINKHORN_WARMUP in src/cases/sinkhorn.ts)
        s = timed(forward_backward, args.repeats, warmup=10 if n <= 1024 else 1)
        params = {
            "backend": "pytorch-cpu",
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "n": n,
            "d": d,
            "gradient": variant,
        }
        rows.append(result(name, params, s))
print(json.dumps(rows))
