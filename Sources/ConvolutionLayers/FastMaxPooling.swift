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
    let count = planes * ho * wo
    // Every entry of the output and of the winners is written below: no zeros first.
    var values = [Double](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    var winners = [Int32](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    if count > 0 {
        x.withUnsafeBufferPointer { xs in
            values.withUnsafeMutableBufferPointer { os in
                winners.withUnsafeMutableBufferPointer { wins in
                    let (input, output, positions) = (xs.baseAddress!, os.baseAddress!, wins.baseAddress!)
                    inChunks(planes, workEach: h * w, minimumWork: poolingEntriesPerThread) { chunk in
                        for plane in chunk {
                            let map = input + plane * h * w
                            if ph == 2 && pw == 2 {
                                poolTwoByTwo(map, width: w, outputHeight: ho, outputWidth: wo,
                                             into: output + plane * ho * wo, winners: positions + plane * ho * wo)
                                continue
                            }
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
    let out = Tensor(shape: [x.shape[0], x.shape[1], ho, wo], values)
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
    let (planes, mapSize, outputsPerPlane) = (shape[0] * shape[1], g.height * g.width, g.positionsPerImage)
    let count = shape.reduce(1, *)
    guard count > 0 && dout.count > 0 else { return Tensor(shape: shape) }
    let (w, wo, ph, pw) = (g.width, g.outputWidth, g.filterHeight, g.filterWidth)
    // The windows tile the input, so every entry of dx is in exactly one window: each window writes
    // its own entries (the upstream gradient at its maximum, zeros elsewhere), and dx is written once
    // rather than zeroed first and then scattered into.
    let values = [Double](unsafeUninitializedCapacity: count) { dxs, initialized in
        defer { initialized = count }
        dout.withUnsafeBufferPointer { ds in
            cache.winners.withUnsafeBufferPointer { wins in
                let (upstream, positions, gradient) = (ds.baseAddress!, wins.baseAddress!, dxs.baseAddress!)
                inChunks(planes, workEach: mapSize, minimumWork: poolingEntriesPerThread) { chunk in
                    for plane in chunk {
                        let map = gradient + plane * mapSize
                        if ph == 2 && pw == 2 {
                            unpoolTwoByTwo(upstream + plane * outputsPerPlane, winners: positions + plane * outputsPerPlane,
                                           width: w, outputHeight: outputsPerPlane / wo, outputWidth: wo, into: map)
                            continue
                        }
                        for o in plane * outputsPerPlane ..< (plane + 1) * outputsPerPlane {
                            let (i, j) = ((o - plane * outputsPerPlane) / wo, (o - plane * outputsPerPlane) % wo)
                            let winner = Int(positions[o])
                            for di in 0 ..< ph {
                                for dj in 0 ..< pw {
                                    let index = (i * ph + di) * w + j * pw + dj
                                    map[index] = index == winner ? upstream[o] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return Tensor(shape: shape, values)
}

/// The backward pass of ``poolTwoByTwo(_:width:outputHeight:outputWidth:into:winners:)`` for one map:
/// each window's four entries of dx, the upstream gradient at its maximum and zeros elsewhere.
@inline(__always)
private func unpoolTwoByTwo(_ upstream: UnsafePointer<Double>, winners: UnsafePointer<Int32>, width w: Int,
                            outputHeight ho: Int, outputWidth wo: Int, into map: UnsafeMutablePointer<Double>) {
    for i in 0 ..< ho {
        let top = map + 2 * i * w, bottom = top + w
        let d = upstream + i * wo, at = winners + i * wo
        let base = 2 * i * w
        var j = 0
        // Four windows at a time: the corner each winner is in, as four masks, selects the upstream
        // gradient or zero for each corner, and the corners are interleaved back into the two rows.
        let zero = SIMD4<Double>()
        while j + 4 <= wo {
            let g = UnsafeRawPointer(d + j).loadUnaligned(as: SIMD4<Double>.self)
            let winners = SIMD4<Int64>(truncatingIfNeeded: UnsafeRawPointer(at + j).loadUnaligned(as: SIMD4<Int32>.self))
            let corner = winners &- (SIMD4<Int64>(0, 2, 4, 6) &+ Int64(base + 2 * j))
            let a = zero.replacing(with: g, where: corner .== 0), b = zero.replacing(with: g, where: corner .== 1)
            let c = zero.replacing(with: g, where: corner .== Int64(w)), e = zero.replacing(with: g, where: corner .== Int64(w + 1))
            store(SIMD4(a[0], b[0], a[1], b[1]), top + 2 * j); store(SIMD4(a[2], b[2], a[3], b[3]), top + 2 * j + 4)
            store(SIMD4(c[0], e[0], c[1], e[1]), bottom + 2 * j); store(SIMD4(c[2], e[2], c[3], e[3]), bottom + 2 * j + 4)
            j += 4
        }
        while j < wo {
            defer { j += 1 }
            let winner = Int(at[j]) - base - 2 * j          // 0, 1 (top row), w, w + 1 (bottom row)
            let g = d[j]
            top[2 * j] = winner == 0 ? g : 0
            top[2 * j + 1] = winner == 1 ? g : 0
            bottom[2 * j] = winner == w ? g : 0
            bottom[2 * j + 1] = winner == w + 1 ? g : 0
        }
    }
}

/// The 2 x 2 windows of one H x W map: each output entry and the position of its window's first
/// maximum (row-major order, as in the general loop). Four windows at a time: their four corners are
/// gathered into four vectors (top-left, top-right, bottom-left, bottom-right) and compared without
/// branches, which on noisy activations a branch per comparison mispredicted about half the time.
@inline(__always)
private func poolTwoByTwo(_ map: UnsafePointer<Double>, width w: Int, outputHeight ho: Int, outputWidth wo: Int,
                          into output: UnsafeMutablePointer<Double>, winners: UnsafeMutablePointer<Int32>) {
    typealias Quad = SIMD4<Double>
    for i in 0 ..< ho {
        let top = map + 2 * i * w, bottom = top + w
        let o = output + i * wo, at = winners + i * wo
        let base = Int32(truncatingIfNeeded: 2 * i * w), below = Int32(truncatingIfNeeded: w)
        var j = 0
        while j + 4 <= wo {
            let t0 = load(top + 2 * j), t1 = load(top + 2 * j + 4)
            let b0 = load(bottom + 2 * j), b1 = load(bottom + 2 * j + 4)
            let a = Quad(t0[0], t0[2], t1[0], t1[2]), b = Quad(t0[1], t0[3], t1[1], t1[3])
            let c = Quad(b0[0], b0[2], b1[0], b1[2]), d = Quad(b0[1], b0[3], b1[1], b1[3])
            var best = a
            var offset = SIMD4<Int64>(repeating: 0)
            var larger = b .> best
            best.replace(with: b, where: larger)
            offset.replace(with: 1, where: larger)
            larger = c .> best
            best.replace(with: c, where: larger)
            offset.replace(with: Int64(below), where: larger)
            larger = d .> best
            best.replace(with: d, where: larger)
            offset.replace(with: Int64(below) + 1, where: larger)
            UnsafeMutableRawPointer(o + j).storeBytes(of: best, as: Quad.self)
            let first = SIMD4<Int64>(0, 2, 4, 6) &+ Int64(base + Int32(truncatingIfNeeded: 2 * j))
            UnsafeMutableRawPointer(at + j).storeBytes(of: SIMD4<Int32>(truncatingIfNeeded: first &+ offset), as: SIMD4<Int32>.self)
            j += 4
        }
        while j < wo {
            var best = top[2 * j], winner = 2 * i * w + 2 * j
            if top[2 * j + 1] > best { (best, winner) = (top[2 * j + 1], winner + 1) }
            if bottom[2 * j] > best { (best, winner) = (bottom[2 * j], 2 * i * w + w + 2 * j) }
            if bottom[2 * j + 1] > best { (best, winner) = (bottom[2 * j + 1], 2 * i * w + w + 2 * j + 1) }
            o[j] = best
            at[j] = Int32(truncatingIfNeeded: winner)
            j += 1
        }
    }
}

@inline(__always)
private func load(_ p: UnsafePointer<Double>) -> SIMD4<Double> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self) }

@inline(__always)
private func store(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self) }

/// Input entries below which pooling stays on one thread: it only reads and compares, so a second
/// thread pays off on less work than a product's million multiply-adds.
private let poolingEntriesPerThread = 1 << 17
