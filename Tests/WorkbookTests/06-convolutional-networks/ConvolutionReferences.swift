import LinearAlgebra
import GradientCheck

/// Chapter 6's references, written here independently of the exercises: a convolution as a direct
/// sum over an explicitly zero-padded copy of the images, max pooling as a direct maximum, and
/// numerical gradients of tensor-valued functions.
enum ConvolutionReference {
    /// n evenly spaced values from `low` to `high` (both included), read as `shape`.
    static func linspace(_ low: Double, _ high: Double, _ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, (0 ..< n).map { n == 1 ? low : low + (high - low) * Double($0) / Double(n - 1) })
    }

    /// Seeded standard normal entries.
    static func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.gaussian(shape, using: &rng)
    }

    /// The images with `padding` zeros on each side of every map: (N, C, H + 2p, W + 2p).
    static func padded(_ x: Tensor, _ padding: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (hp, wp) = (h + 2 * padding, w + 2 * padding)
        var values = [Double](repeating: 0, count: n * c * hp * wp)
        let xs = x.storage
        for plane in 0 ..< n * c {
            for i in 0 ..< h {
                for j in 0 ..< w { values[(plane * hp + i + padding) * wp + j + padding] = xs[(plane * h + i) * w + j] }
            }
        }
        return Tensor(shape: [n, c, hp, wp], values)
    }

    /// out[n, f, i, j] = b[f] + sum of w[f] times the window of the padded images at (i·stride, j·stride).
    static func convolution(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, padding: Int) -> Tensor {
        let xp = padded(x, padding)
        let (n, c, hp, wp) = (xp.shape[0], xp.shape[1], xp.shape[2], xp.shape[3])
        let (f, hh, ww) = (w.shape[0], w.shape[2], w.shape[3])
        let (ho, wo) = ((hp - hh) / stride + 1, (wp - ww) / stride + 1)
        let (xs, ws, bs) = (xp.storage, w.storage, b.storage)
        var out = [Double](repeating: 0, count: n * f * ho * wo)
        for image in 0 ..< n {
            for filter in 0 ..< f {
                for i in 0 ..< ho {
                    for j in 0 ..< wo {
                        // The dot product of the filter with the window at (i · stride, j · stride).
                        var sum = 0.0
                        for channel in 0 ..< c {
                            for di in 0 ..< hh {
                                let row = ((image * c + channel) * hp + i * stride + di) * wp + j * stride
                                let filterRow = ((filter * c + channel) * hh + di) * ww
                                for dj in 0 ..< ww { sum += xs[row + dj] * ws[filterRow + dj] }
                            }
                        }
                        out[((image * f + filter) * ho + i) * wo + j] = bs[filter] + sum
                    }
                }
            }
        }
        return Tensor(shape: [n, f, ho, wo], out)
    }

    /// out[n, c, i, j] = the largest entry of the window at (i·stride, j·stride) of map x[n, c].
    static func maxPool(_ x: Tensor, poolHeight: Int, poolWidth: Int, stride: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = ((h - poolHeight) / stride + 1, (w - poolWidth) / stride + 1)
        let xs = x.storage
        var out = [Double](repeating: 0, count: n * c * ho * wo)
        for plane in 0 ..< n * c {
            for i in 0 ..< ho {
                for j in 0 ..< wo {
                    let window = (0 ..< poolHeight).flatMap { di in
                        (0 ..< poolWidth).map { dj in xs[(plane * h + i * stride + di) * w + j * stride + dj] }
                    }
                    out[(plane * ho + i) * wo + j] = window.max()!
                }
            }
        }
        return Tensor(shape: [n, c, ho, wo], out)
    }

    /// dL/dx by centred differences, where L = sum of f(x) · upstream.
    static func numericalGradient(of f: (Tensor) -> Tensor, at x: Tensor, upstream: Tensor, step: Double = 1e-5) -> Tensor {
        let row = { (t: Tensor) in Matrix(reshaping: t, rows: 1, cols: t.count) }
        let gradient = GradientCheck.numericalGradient(of: { m in row(f(Tensor(reshaping: m, shape: x.shape))) },
                                                       at: row(x), upstream: row(upstream), step: step)
        return Tensor(reshaping: gradient, shape: x.shape)
    }

    /// The relative error max |a - b| / max(1e-8, |a| + |b|) of two tensors of the same shape.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        GradientCheck.relativeError(Matrix(reshaping: a, rows: 1, cols: a.count), Matrix(reshaping: b, rows: 1, cols: b.count))
    }

    /// The largest absolute difference between two tensors of the same count.
    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
    }
}
