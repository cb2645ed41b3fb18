import LinearAlgebra
import ExerciseSupport

// Given code of chapter 6: fast max pooling for windows that tile the input (stride = window, the
// lecture's 2 x 2 at stride 2). The input is read as (N, C, H / ph, ph, W / pw, pw), and each
// output entry is the maximum over the two window axes of that reshape: no window matrix at all.
// The forward pass records where each maximum was (the first one in row-major order when entries
// tie, as the naive layer does), so the backward pass only scatters the upstream gradient there.

/// What the fast backward pass needs: where each window's maximum was, and the shapes.
public struct FastMaxPoolCache: Sendable {
    /// The input's shape, (N, C, H, W).
    public let inputShape: [Int]
    /// The windows and the stride.
    public let geometry: ConvolutionGeometry
    /// For every output entry, row-major, the position (row · W + column) of its window's first
    /// maximum within its channel's H x W map.
    let winners: [Int32]
}

/// Forward pass of max pooling over windows that tile the input: out[n, c, i, j] is the largest
/// entry of x[n, c, i·ph ..< (i+1)·ph, j·pw ..< (j+1)·pw].
///
/// - Parameters:
///   - x: input, shape (N, C, H, W).
///   - poolHeight, poolWidth: the window, ph x pw.
///   - stride: must equal both poolHeight and poolWidth.
/// - Returns: `out` (N, C, H / ph, W / pw) and the cache for ``maxPoolBackwardFast(_:cache:)``.
/// - Throws: ``ConvolutionalNetworkError/poolDoesNotTile(layer:poolHeight:poolWidth:stride:)`` for overlapping
///   or gapped windows; `ConvolutionGeometryError` when H or W is not a multiple of the window.
public func maxPoolForwardFast(_ x: Tensor, poolHeight: Int = 2, poolWidth: Int = 2, stride: Int = 2) throws
    -> (out: Tensor, cache: FastMaxPoolCache) {
    let g = try checkPoolingInput(x, poolHeight: poolHeight, poolWidth: poolWidth, stride: stride, layer: "maxPoolForwardFast")
    guard stride == poolHeight && stride == poolWidth else {
        throw ConvolutionalNetworkError.poolDoesNotTile(layer: "maxPoolForwardFast", poolHeight: poolHeight,
                                                        poolWidth: poolWidth, stride: stride)
    }
    let (planes, h, w) = (x.shape[0] * x.shape[1], g.height, g.width)
    let (ho, wo, ph, pw) = (g.outputHeight, g.outputWidth, poolHeight, poolWidth)
    var out = Tensor(shape: [x.shape[0], x.shape[1], ho, wo])
    var winners = [Int32](repeating: 0, count: out.count)
    if out.count > 0 {
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { os in
                winners.withUnsafeMutableBufferPointer { wins in
                    let (input, output, positions) = (xs.baseAddress!, os.baseAddress!, wins.baseAddress!)
                    inChunks(planes, workEach: h * w, minimumWork: poolingEntriesPerThread) { chunk in
                        for plane in chunk {
                            let map = input + plane * h * w
                            for i in 0 ..< ho {
                                let o = output + (plane * ho + i) * wo, at = positions + (plane * ho + i) * wo
                                for j in 0 ..< wo {
                                    var best = map[i * ph * w + j * pw], winner = i * ph * w + j * pw
                                    for di in 0 ..< ph {
                                        for dj in 0 ..< pw {
                                            let index = (i * ph + di) * w + j * pw + dj
                                            if map[index] > best { (best, winner) = (map[index], index) }
                                        }
                                    }
                                    o[j] = best
                                    at[j] = Int32(truncatingIfNeeded: winner)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return (out, FastMaxPoolCache(inputShape: x.shape, geometry: g, winners: winners))
}

/// Backward pass of the fast max pooling: each window's upstream gradient goes to its first maximum.
///
/// - Parameters:
///   - dout: the upstream gradient, shape (N, C, H / ph, W / pw).
///   - cache: from ``maxPoolForwardFast(_:poolHeight:poolWidth:stride:)``.
/// - Returns: `dx`, shape (N, C, H, W).
/// - Throws: ``ConvolutionalNetworkError/upstreamShapeMismatch(layer:expected:got:)``.
public func maxPoolBackwardFast(_ dout: Tensor, cache: FastMaxPoolCache) throws -> Tensor {
    let g = cache.geometry
    let shape = cache.inputShape
    try checkUpstreamGradient(dout, batchSize: shape[0], channels: shape[1], g, layer: "maxPoolBackwardFast")
    var dx = Tensor(shape: shape)
    let (planes, mapSize, outputsPerPlane) = (shape[0] * shape[1], g.height * g.width, g.positionsPerImage)
    guard dx.count > 0 && dout.count > 0 else { return dx }
    dout.withUnsafeBufferPointer { ds in
        cache.winners.withUnsafeBufferPointer { wins in
            dx.withUnsafeMutableBufferPointer { dxs in
                let (upstream, positions, gradient) = (ds.baseAddress!, wins.baseAddress!, dxs.baseAddress!)
                inChunks(planes, workEach: mapSize, minimumWork: poolingEntriesPerThread) { chunk in
                    for plane in chunk {
                        let map = gradient + plane * mapSize
                        for o in plane * outputsPerPlane ..< (plane + 1) * outputsPerPlane {
                            map[Int(positions[o])] += upstream[o]
                        }
                    }
                }
            }
        }
    }
    return dx
}

/// Input entries below which pooling stays on one thread: it only reads and compares, so a second
/// thread pays off on less work than a product's million multiply-adds.
private let poolingEntriesPerThread = 1 << 17
