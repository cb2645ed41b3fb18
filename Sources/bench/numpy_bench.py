"""NumPy timings for the Swift `bench` program: the same workloads, the same shapes, the same math.

A benchmark tool only: nothing in the workbook imports or needs it. `swift run -c release bench` starts
it once per workload and thread count with `--serve`, with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to
that count, and times it in rounds beside the Swift side over a line protocol on stdin and stdout:

    ← {"numpy": "2.4.6", "blas": "OpenBLAS ... SkylakeX ...", "core": "SkylakeX"}   once, the data prepared
    → warmup    ← {"seconds": 0.0071}     one untimed-by-the-table run; it sets the inner repeat count
    → run       ← {"seconds": 0.0065}     one timed run (the mean of the inner repeats)
    → quit      (or the end of stdin)     the process exits

By hand it times `--repeats` runs after a warm-up and prints one JSON object:

    {"times": [seconds per run, ...], "numpy": "2.4.6", "blas": "OpenBLAS ... SkylakeX ...", "core": "SkylakeX"}

    OPENBLAS_NUM_THREADS=1 python3 Sources/bench/numpy_bench.py gemm --size 512 --repeats 5
"""
import argparse
import ctypes
import glob
import json
import os

import numpy as np

from bench_protocol import Runs, serve


def gemm(rng, n):
    """C = A B with A, B (n, n) standard normal."""
    a = rng.standard_normal((n, n))
    b = rng.standard_normal((n, n))
    return lambda: a @ b


def knn(rng, _):
    """No-loop L2 distances, 500 test x 5,000 training images of 3,072 pixels in [0, 255)."""
    test = rng.uniform(0, 255, (500, 3072))
    train = rng.uniform(0, 255, (5000, 3072))

    def run():
        test_norms = np.sum(test**2, axis=1, keepdims=True)      # (500, 1)
        train_norms = np.sum(train**2, axis=1)                   # (5000,)
        products = test @ train.T                                # (500, 5000)
        return np.sqrt(np.maximum(test_norms + train_norms - 2 * products, 0))

    return run


def knnfull(rng, _):
    """The full CIFAR-10 distances, 10,000 x 50,000 x 3,072, a block of 1,000 test images at a time."""
    test = rng.uniform(0, 255, (10000, 3072))
    train = rng.uniform(0, 255, (50000, 3072))

    def run():
        train_norms = np.sum(train**2, axis=1)                   # (50000,)
        checksum = 0.0
        for start in range(0, 10000, 1000):
            block = test[start:start + 1000]
            block_norms = np.sum(block**2, axis=1, keepdims=True)
            products = block @ train.T                           # (1000, 50000)
            checksum += np.sqrt(np.maximum(block_norms + train_norms - 2 * products, 0))[0, 0]
        return checksum

    return run


def softmax(rng, _):
    """Vectorised softmax loss and gradient: X (49,000, 3,073) with the bias column, W (3,073, 10)."""
    n, d, c, reg = 49000, 3073, 10, 5e-6
    x = rng.uniform(-1, 1, (n, d))
    w = 1e-4 * rng.standard_normal((d, c))
    y = rng.integers(0, c, n)
    rows = np.arange(n)

    def run():
        scores = x @ w                                           # (N, C)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.log(probs[rows, y]).sum() / n + reg * np.sum(w * w)
        dscores = probs
        dscores[rows, y] -= 1
        dscores /= n
        dw = x.T @ dscores + 2 * reg * w                         # (D, C)
        return loss, dw

    return run


def twolayer(rng, _):
    """Two-layer net affine - ReLU - affine - softmax, forward and backward: N 200, D 3,072, H 100, C 10."""
    n, d, h, c, reg = 200, 3072, 100, 10, 0.05
    x = rng.standard_normal((n, d))
    y = rng.integers(0, c, n)
    w1 = 1e-4 * rng.standard_normal((d, h))
    b1 = np.zeros(h)
    w2 = 1e-4 * rng.standard_normal((h, c))
    b2 = np.zeros(c)
    rows = np.arange(n)

    def run():
        hidden = np.maximum(0, x @ w1 + b1)                      # (N, H)
        scores = hidden @ w2 + b2                                # (N, C)
        shifted = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.log(probs[rows, y]).sum() / n + reg * (np.sum(w1 * w1) + np.sum(w2 * w2))
        dscores = probs.copy()
        dscores[rows, y] -= 1
        dscores /= n
        dw2 = hidden.T @ dscores + 2 * reg * w2
        db2 = dscores.sum(axis=0)
        dhidden = dscores @ w2.T
        dhidden[hidden <= 0] = 0
        dw1 = x.T @ dhidden + 2 * reg * w1
        db1 = dhidden.sum(axis=0)
        return loss, dw1, db1, dw2, db2

    return run


def conv(rng, _):
    """A convolutional layer by im2col, forward and backward: x (50, 3, 32, 32), 32 filters (3, 7, 7),
    stride 1, padding 3. Windows are gathered and scattered with one strided slice per filter offset
    (49 slices), the fastest way in plain NumPy; rows are window positions, as in the Swift side."""
    n, c, size, f, k, stride, pad = 50, 3, 32, 32, 7, 1, 3
    out_size = (size + 2 * pad - k) // stride + 1
    x = rng.standard_normal((n, c, size, size))
    w = 1e-2 * rng.standard_normal((f, c, k, k))
    b = rng.standard_normal(f)
    dout = rng.standard_normal((n, f, out_size, out_size))
    span = stride * out_size

    def run():
        # Forward.
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = np.empty((n, out_size, out_size, c, k, k))
        for di in range(k):
            for dj in range(k):
                windows[..., di, dj] = padded[:, :, di:di + span:stride, dj:dj + span:stride].transpose(0, 2, 3, 1)
        columns = windows.reshape(n * out_size * out_size, c * k * k)   # (N·H'·W', C·7·7)
        filters = w.reshape(f, -1)                                      # (F, C·7·7)
        out = (columns @ filters.T + b).reshape(n, out_size, out_size, f).transpose(0, 3, 1, 2)
        # Backward.
        dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, f)           # (N·H'·W', F)
        db = dout_rows.sum(axis=0)
        dw = dout_rows.T @ columns                                      # (F, C·7·7)
        dwindows = (dout_rows @ filters).reshape(n, out_size, out_size, c, k, k)
        dpadded = np.zeros_like(padded)
        for di in range(k):
            for dj in range(k):
                dpadded[:, :, di:di + span:stride, dj:dj + span:stride] += dwindows[..., di, dj].transpose(0, 3, 1, 2)
        dx = dpadded[:, :, pad:pad + size, pad:pad + size]
        return out, db, dw, dx

    return run


def solverepoch(rng, _):
    """One Solver epoch of the two-layer net: 49,000 x 3,072 images, H 100, batches of 200, SGD momentum 0.9,
    then the accuracies on 1,000 training and 1,000 validation images (SolverEpochWorkload.swift)."""
    n, d, h, c, reg, lr, batch = 49000, 3072, 100, 10, 0.05, 1e-3, 200
    x = rng.standard_normal((n, d))
    y = rng.integers(0, c, n)
    x_val = rng.standard_normal((1000, d))
    y_val = rng.integers(0, c, 1000)
    initial = {"W1": 1e-2 * rng.standard_normal((d, h)), "b1": np.zeros(h),
               "W2": 1e-2 * rng.standard_normal((h, c)), "b2": np.zeros(c)}
    sample = rng.choice(n, 1000, replace=False)
    rows = np.arange(batch)

    def predict(p, xs):
        return (np.maximum(0, xs @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]).argmax(axis=1)

    def run():
        p = {k: v.copy() for k, v in initial.items()}
        velocity = {k: np.zeros_like(v) for k, v in p.items()}
        order = rng.permutation(n)
        for it in range(n // batch):
            idx = order[it * batch:(it + 1) * batch]
            xb, yb = x[idx], y[idx]
            hidden = np.maximum(0, xb @ p["W1"] + p["b1"])
            scores = hidden @ p["W2"] + p["b2"]
            shifted = scores - scores.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            probs = exp / exp.sum(axis=1, keepdims=True)
            loss = -np.log(probs[rows, yb]).sum() / batch + reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
            dscores = probs.copy()
            dscores[rows, yb] -= 1
            dscores /= batch
            dhidden = dscores @ p["W2"].T
            dhidden[hidden <= 0] = 0
            grads = {"W1": xb.T @ dhidden + 2 * reg * p["W1"], "b1": dhidden.sum(axis=0),
                     "W2": hidden.T @ dscores + 2 * reg * p["W2"], "b2": dscores.sum(axis=0)}
            for k in p:
                velocity[k] = 0.9 * velocity[k] - lr * grads[k]
                p[k] += velocity[k]
        train_accuracy = (predict(p, x[sample]) == y[sample]).mean()
        val_accuracy = (predict(p, x_val) == y_val).mean()
        return loss, train_accuracy, val_accuracy

    return run


def convnetstep(rng, _):
    """One training step of the three-layer convnet (ConvNetStepWorkload.swift): 50 images (3, 32, 32);
    conv 32 filters 7 x 7, stride 1, padding 3 (strided-slice im2col) - ReLU - 2 x 2 max pool (a reshape) -
    affine 8,192 x 100 - ReLU - affine 100 x 10 - softmax with reg * sum W^2; backward without dx of the
    images; Adam on every parameter."""
    n, f, k, hidden, c, reg, lr, pad = 50, 32, 7, 100, 10, 1e-3, 1e-3, 3
    x = rng.standard_normal((n, 3, 32, 32))
    y = rng.integers(0, c, n)
    p = {"W1": 1e-3 * rng.standard_normal((f, 3 * k * k)), "b1": np.zeros(f),
         "W2": 1e-3 * rng.standard_normal((f * 16 * 16, hidden)), "b2": np.zeros(hidden),
         "W3": 1e-3 * rng.standard_normal((hidden, c)), "b3": np.zeros(c)}
    m = {name: np.zeros_like(value) for name, value in p.items()}
    v = {name: np.zeros_like(value) for name, value in p.items()}
    state = {"t": 0}
    rows = np.arange(n)

    def run():
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = np.empty((n, 32, 32, 3, k, k))
        for di in range(k):
            for dj in range(k):
                windows[..., di, dj] = padded[:, :, di:di + 32, dj:dj + 32].transpose(0, 2, 3, 1)
        columns = windows.reshape(n * 1024, 3 * k * k)
        a1 = (columns @ p["W1"].T + p["b1"]).reshape(n, 32, 32, f).transpose(0, 3, 1, 2)
        r1 = np.maximum(0, a1)
        blocks = r1.reshape(n, f, 16, 2, 16, 2)
        pooled = blocks.max(axis=(3, 5))
        flat = pooled.reshape(n, -1)
        h = np.maximum(0, flat @ p["W2"] + p["b2"])
        scores = h @ p["W3"] + p["b3"]
        shifted = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.log(probs[rows, y]).sum() / n + reg * sum(np.sum(p[w] * p[w]) for w in ("W1", "W2", "W3"))
        dscores = probs.copy()
        dscores[rows, y] -= 1
        dscores /= n
        g = {"W3": h.T @ dscores + 2 * reg * p["W3"], "b3": dscores.sum(axis=0)}
        dh = dscores @ p["W3"].T
        dh[h <= 0] = 0
        g["W2"] = flat.T @ dh + 2 * reg * p["W2"]
        g["b2"] = dh.sum(axis=0)
        dpooled = (dh @ p["W2"].T).reshape(pooled.shape)
        mask = blocks == pooled[:, :, :, None, :, None]
        dr1 = (mask * dpooled[:, :, :, None, :, None]).reshape(r1.shape)
        da1 = dr1 * (a1 > 0)
        dout_rows = da1.transpose(0, 2, 3, 1).reshape(-1, f)
        g["W1"] = dout_rows.T @ columns + 2 * reg * p["W1"]
        g["b1"] = dout_rows.sum(axis=0)
        state["t"] += 1
        t = state["t"]
        for name in sorted(p):
            m[name] = 0.9 * m[name] + 0.1 * g[name]
            v[name] = 0.999 * v[name] + 0.001 * g[name] ** 2
            p[name] -= lr * (m[name] / (1 - 0.9 ** t)) / (np.sqrt(v[name] / (1 - 0.999 ** t)) + 1e-8)
        return loss

    return run


WORKLOADS = {"conv": conv, "convnetstep": convnetstep, "gemm": gemm, "knn": knn, "knnfull": knnfull, "softmax": softmax,
             "solverepoch": solverepoch,
             "twolayer": twolayer}


def blas_info():
    """The OpenBLAS configuration and the core type it chose at run time, when numpy bundles OpenBLAS."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for config, core in [("scipy_openblas_get_config64_", "scipy_openblas_get_corename64_"),
                             ("openblas_get_config64_", "openblas_get_corename64_"),
                             ("openblas_get_config", "openblas_get_corename")]:
            if hasattr(lib, config) and hasattr(lib, core):
                getattr(lib, config).restype = ctypes.c_char_p
                getattr(lib, core).restype = ctypes.c_char_p
                return getattr(lib, config)().decode(), getattr(lib, core)().decode()
    return "unknown", "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--size", type=int, default=512, help="n for gemm")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--min-seconds", type=float, default=0.05,
                        help="a run repeats a short workload until it takes this long, and reports the mean")
    parser.add_argument("--long-seconds", type=float, default=5.0,
                        help="a warm-up run longer than this counts as the first timed run (by hand; bench decides with --serve)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve", action="store_true",
                        help="prepare the data once, then time runs on request (the protocol bench speaks)")
    args = parser.parse_args()

    runs = Runs(WORKLOADS[args.workload](np.random.default_rng(args.seed), args.size), args.min_seconds)
    config, core = blas_info()
    details = {"numpy": np.__version__, "blas": config, "core": core}
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
