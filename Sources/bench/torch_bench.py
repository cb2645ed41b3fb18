"""PyTorch (CPU) timings for the Swift `bench` program: the workloads of numpy_bench.py, the same shapes.

A benchmark reference only, used when torch is installed by hand (`pip install torch`): nothing in the
workbook imports or needs it. `swift run -c release bench` starts it once per workload, thread count and
precision with `--serve`, with OMP_NUM_THREADS and MKL_NUM_THREADS set to the thread count, `--threads`
passed to torch.set_num_threads, and OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment,
and times it in rounds beside the Swift side over the line protocol of numpy_bench.py:

    ← {"torch": "2.13.0+cpu", "dtype": "float64", "threads": 2, "capability": "AVX512",
       "blas": "MKL 2024.2", "onednn": "v3.12.0"}                    once, the data prepared
    → warmup    ← {"seconds": 0.41}       one run that sets the inner repeat count
    → run       ← {"seconds": 0.39}       one timed run (the mean of the inner repeats)
    → quit      (or the end of stdin)     the process exits

By hand it times `--repeats` runs after a warm-up and prints one JSON object, the details above with
"times": [seconds per run, ...].

The workloads are written as a PyTorch user writes them: the layers from torch.nn.functional, the
backward pass by autograd (loss.backward()), the update rules from torch.optim. The math is that of
numpy_bench.py; the data are drawn from torch's own generator with the same distributions.

By hand: `python3 Sources/bench/torch_bench.py convnetstep --threads 2 --dtype float32 --repeats 5`.
"""

import argparse
import json
import re

import torch
import torch.nn.functional as F

from bench_protocol import Runs, serve


def gemm(g, dtype, n):
    """C = A B with A, B (n, n) standard normal."""
    a = torch.randn(n, n, generator=g, dtype=dtype)
    b = torch.randn(n, n, generator=g, dtype=dtype)
    return lambda: (a @ b)[0, 0].item()


def uniform(g, dtype, shape, low, high):
    return low + (high - low) * torch.rand(*shape, generator=g, dtype=dtype)


def knn(g, dtype, _):
    """No-loop L2 distances, 500 test x 5,000 training images of 3,072 pixels in [0, 255)."""
    test = uniform(g, dtype, (500, 3072), 0, 255)
    train = uniform(g, dtype, (5000, 3072), 0, 255)

    def run():
        test_norms = (test * test).sum(dim=1, keepdim=True)     # (500, 1)
        train_norms = (train * train).sum(dim=1)                 # (5000,)
        products = test @ train.T                                # (500, 5000)
        return (test_norms + train_norms - 2 * products).clamp_(min=0).sqrt_()[0, 0].item()

    return run


def knnfull(g, dtype, _):
    """The full CIFAR-10 distances, 10,000 x 50,000 x 3,072, a block of 1,000 test images at a time."""
    test = uniform(g, dtype, (10000, 3072), 0, 255)
    train = uniform(g, dtype, (50000, 3072), 0, 255)

    def run():
        train_norms = (train * train).sum(dim=1)                 # (50000,)
        checksum = 0.0
        for start in range(0, 10000, 1000):
            block = test[start:start + 1000]
            block_norms = (block * block).sum(dim=1, keepdim=True)
            products = block @ train.T                           # (1000, 50000)
            checksum += (block_norms + train_norms - 2 * products).clamp_(min=0).sqrt_()[0, 0].item()
        return checksum

    return run


def softmax(g, dtype, _):
    """Softmax loss and its gradient with respect to W: X (49,000, 3,073) with the bias column, W (3,073, 10)."""
    n, d, c, reg = 49000, 3073, 10, 5e-6
    x = uniform(g, dtype, (n, d), -1, 1)
    w = (1e-4 * torch.randn(d, c, generator=g, dtype=dtype)).requires_grad_()
    y = torch.randint(0, c, (n,), generator=g)

    def run():
        w.grad = None
        loss = F.cross_entropy(x @ w, y) + reg * (w * w).sum()
        loss.backward()
        return loss.item() + w.grad[0, 0].item()

    return run


def twolayer(g, dtype, _):
    """Two-layer net affine - ReLU - affine - softmax, forward and backward: N 200, D 3,072, H 100, C 10."""
    n, d, h, c, reg = 200, 3072, 100, 10, 0.05
    x = torch.randn(n, d, generator=g, dtype=dtype)
    y = torch.randint(0, c, (n,), generator=g)
    w1 = (1e-4 * torch.randn(d, h, generator=g, dtype=dtype)).requires_grad_()
    b1 = torch.zeros(h, dtype=dtype, requires_grad=True)
    w2 = (1e-4 * torch.randn(h, c, generator=g, dtype=dtype)).requires_grad_()
    b2 = torch.zeros(c, dtype=dtype, requires_grad=True)
    parameters = [w1, b1, w2, b2]

    def run():
        for p in parameters:
            p.grad = None
        hidden = F.relu(x @ w1 + b1)                             # (N, H)
        scores = hidden @ w2 + b2                                # (N, C)
        loss = F.cross_entropy(scores, y) + reg * ((w1 * w1).sum() + (w2 * w2).sum())
        loss.backward()
        return loss.item()

    return run


def conv(g, dtype, _):
    """A convolutional layer, forward and backward (dx, dW, db from an upstream gradient): x (50, 3, 32, 32),
    32 filters (3, 7, 7), stride 1, padding 3; F.conv2d and autograd (MKL-DNN in fp32, im2col and a
    matrix product in fp64, which MKL-DNN does not do)."""
    n, c, size, f, k, pad = 50, 3, 32, 32, 7, 3
    x = torch.randn(n, c, size, size, generator=g, dtype=dtype).requires_grad_()
    w = (1e-2 * torch.randn(f, c, k, k, generator=g, dtype=dtype)).requires_grad_()
    b = torch.randn(f, generator=g, dtype=dtype).requires_grad_()
    dout = torch.randn(n, f, size, size, generator=g, dtype=dtype)

    def run():
        for t in (x, w, b):
            t.grad = None
        out = F.conv2d(x, w, b, stride=1, padding=pad)           # (N, F, H', W')
        out.backward(dout)
        return out[0, 0, 0, 0].item() + b.grad[0].item() + w.grad[0, 0, 0, 0].item() + x.grad[0, 0, 0, 0].item()

    return run


def solverepoch(g, dtype, _):
    """One Solver epoch of the two-layer net: 49,000 x 3,072 images, H 100, batches of 200, SGD momentum 0.9
    (torch.optim.SGD: the same steps as v = 0.9 v - lr dw, w += v at a constant rate), then the accuracies
    on 1,000 training and 1,000 validation images."""
    n, d, h, c, reg, lr, batch = 49000, 3072, 100, 10, 0.05, 1e-3, 200
    x = torch.randn(n, d, generator=g, dtype=dtype)
    y = torch.randint(0, c, (n,), generator=g)
    x_val = torch.randn(1000, d, generator=g, dtype=dtype)
    y_val = torch.randint(0, c, (1000,), generator=g)
    initial = [1e-2 * torch.randn(d, h, generator=g, dtype=dtype), torch.zeros(h, dtype=dtype),
               1e-2 * torch.randn(h, c, generator=g, dtype=dtype), torch.zeros(c, dtype=dtype)]
    sample = torch.randperm(n, generator=g)[:1000]

    def scores(p, xs):
        return F.relu(xs @ p[0] + p[1]) @ p[2] + p[3]

    def run():
        p = [t.clone().requires_grad_() for t in initial]
        optimizer = torch.optim.SGD(p, lr=lr, momentum=0.9)
        order = torch.randperm(n, generator=g)
        for it in range(n // batch):
            idx = order[it * batch:(it + 1) * batch]
            loss = F.cross_entropy(scores(p, x[idx]), y[idx]) + reg * ((p[0] * p[0]).sum() + (p[2] * p[2]).sum())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            train_accuracy = (scores(p, x[sample]).argmax(dim=1) == y[sample]).double().mean().item()
            val_accuracy = (scores(p, x_val).argmax(dim=1) == y_val).double().mean().item()
        return loss.item() + train_accuracy + val_accuracy

    return run


def convnetstep(g, dtype, _):
    """One training step of the three-layer convnet (ConvNetStepWorkload.swift): 50 images (3, 32, 32);
    conv 32 filters 7 x 7, stride 1, padding 3 - ReLU - 2 x 2 max pool - affine 8,192 x 100 - ReLU -
    affine 100 x 10 - softmax with reg * sum W^2; backward without the images' gradient (they do not
    require one); torch.optim.Adam (betas 0.9, 0.999, eps 1e-8, bias-corrected, as the Swift side)."""
    n, f, k, hidden, c, reg, lr, pad = 50, 32, 7, 100, 10, 1e-3, 1e-3, 3
    x = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    y = torch.randint(0, c, (n,), generator=g)
    w1 = (1e-3 * torch.randn(f, 3, k, k, generator=g, dtype=dtype)).requires_grad_()
    b1 = torch.zeros(f, dtype=dtype, requires_grad=True)
    w2 = (1e-3 * torch.randn(f * 16 * 16, hidden, generator=g, dtype=dtype)).requires_grad_()
    b2 = torch.zeros(hidden, dtype=dtype, requires_grad=True)
    w3 = (1e-3 * torch.randn(hidden, c, generator=g, dtype=dtype)).requires_grad_()
    b3 = torch.zeros(c, dtype=dtype, requires_grad=True)
    optimizer = torch.optim.Adam([w1, b1, w2, b2, w3, b3], lr=lr, betas=(0.9, 0.999), eps=1e-8)

    def run():
        optimizer.zero_grad(set_to_none=True)
        a1 = F.conv2d(x, w1, b1, stride=1, padding=pad)          # (N, F, 32, 32)
        pooled = F.max_pool2d(F.relu(a1), 2)                     # (N, F, 16, 16)
        h = F.relu(pooled.flatten(1) @ w2 + b2)                  # (N, hidden)
        scores = h @ w3 + b3                                     # (N, C)
        loss = F.cross_entropy(scores, y) + reg * ((w1 * w1).sum() + (w2 * w2).sum() + (w3 * w3).sum())
        loss.backward()
        optimizer.step()
        return loss.item()

    return run


WORKLOADS = {"conv": conv, "convnetstep": convnetstep, "gemm": gemm, "knn": knn, "knnfull": knnfull, "softmax": softmax,
             "solverepoch": solverepoch, "twolayer": twolayer}


def libraries():
    """The BLAS (MKL in the CPU wheels) and MKL-DNN (oneDNN) versions torch was built with, from its configuration."""
    config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", config)
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    onednn = re.search(r"MKL-DNN (v[\w.]+)", config)
    blas_name = blas.group(1) if blas else "unknown"
    if blas_name == "mkl" and mkl:
        blas_name = "MKL " + mkl.group(1)
    return blas_name, onednn.group(1) if onednn else "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--size", type=int, default=512, help="n for gemm")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own choice)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--min-seconds", type=float, default=0.05,
                        help="a run repeats a short workload until it takes this long, and reports the mean")
    parser.add_argument("--long-seconds", type=float, default=5.0,
                        help="a warm-up run longer than this counts as the first timed run (by hand; bench decides with --serve)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve", action="store_true",
                        help="prepare the data once, then time runs on request (the protocol bench speaks)")
    args = parser.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    runs = Runs(WORKLOADS[args.workload](generator, getattr(torch, args.dtype), args.size), args.min_seconds)
    blas, onednn = libraries()
    details = {"torch": torch.__version__, "dtype": args.dtype, "threads": torch.get_num_threads(),
               "capability": torch.backends.cpu.get_cpu_capability(), "blas": blas, "onednn": onednn}
    if args.serve:
        serve(runs, details)
        return
    once = runs.warm_up()
    times = [once] if once > args.long_seconds else []
    while len(times) < args.repeats:
        times.append(runs.timed())
    print(json.dumps({"times": times, **details}))

if __name__ == "__main__":
    main()
