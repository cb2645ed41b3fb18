import LinearAlgebra

// Preprocessing of image matrices (N, D): mean subtraction, per-channel normalisation and the bias
// trick.
//
// Statistics are always computed on the training set and then applied, unchanged, to the
// validation and test sets: computing them on the test set would let it leak into training.
//
// The per-channel functions read a row as `channels` consecutive planes of D / channels features,
// the loader's layout (for CIFAR-10, red 0 ..< 1024, green 1024 ..< 2048, blue 2048 ..< 3072).
//
// Source: the course's notes on data preprocessing (zero-centring, normalisation) and on linear
// classification (the bias trick).

// MARK: - Mean image

/// The mean image of a set of images: the mean of every feature over the N rows.
/// - Parameter x: images, shape (N, D), N > 0.
/// - Returns: shape (1, D); for CIFAR-10 its values are pixel intensities 0...255.
/// - Precondition: `x.rows > 0`.
public func meanImage(_ x: Matrix) -> Matrix {
    precondition(x.rows > 0, "meanImage: the matrix \(x.shapeDescription) has no images")
    return x.mean(axis: 0)
}

/// Zero-centres images by subtracting a mean image from every row (broadcast).
/// - Parameters:
///   - mean: shape (1, D), usually ``meanImage(_:)`` of the training images.
///   - x: images, shape (N, D).
/// - Returns: `x - mean`, shape (N, D).
/// - Precondition: `mean` is (1, x.cols).
public func subtractingMeanImage(_ mean: Matrix, from x: Matrix) -> Matrix {
    precondition(mean.rows == 1 && mean.cols == x.cols,
                 "subtractingMeanImage: the mean image must be (1, \(x.cols)) for images \(x.shapeDescription), not \(mean.shapeDescription)")
    return x - mean
}

// MARK: - Per-channel statistics

/// The mean of each colour channel over all images and all pixels of that channel.
/// - Parameters:
///   - x: images, shape (N, D), N > 0, rows made of `channels` planes of D / channels features.
///   - channels: number of planes C, 3 (red, green, blue) by default.
/// - Returns: C means, in plane order.
/// - Precondition: `x.rows > 0` and D is a multiple of `channels`.
public func channelMeans(_ x: Matrix, channels: Int = CIFAR10.channelCount) -> [Double] {
    let sums = channelSums(x, channels: channels) { value, _ in value }
    let perChannel = Double(x.rows * (x.cols / channels))
    return sums.map { $0 / perChannel }
}

/// The standard deviation of each colour channel over all images and all pixels of that channel
/// (the population form: dividing by the number of values, not one less).
/// - Parameters:
///   - x: images, shape (N, D), N > 0, rows made of `channels` planes of D / channels features.
///   - channels: number of planes C, 3 (red, green, blue) by default.
/// - Returns: C standard deviations, in plane order, in the units of `x`.
/// - Precondition: `x.rows > 0` and D is a multiple of `channels`.
public func channelStandardDeviations(_ x: Matrix, channels: Int = CIFAR10.channelCount) -> [Double] {
    let means = channelMeans(x, channels: channels)
    let squares = channelSums(x, channels: channels) { value, channel in
        (value - means[channel]) * (value - means[channel])
    }
    let perChannel = Double(x.rows * (x.cols / channels))
    return squares.map { ($0 / perChannel).squareRoot() }
}

/// Normalises each colour channel: `(x - means[c]) / standardDeviations[c]` on every feature of plane c.
/// - Parameters:
///   - x: images, shape (N, D), rows made of C planes of D / C features.
///   - means: C values, usually ``channelMeans(_:channels:)`` of the training images.
///   - standardDeviations: C positive values, usually ``channelStandardDeviations(_:channels:)`` of
///     the training images.
/// - Returns: shape (N, D), unitless.
/// - Precondition: `means` and `standardDeviations` have the same count C > 0, D is a multiple of C,
///   and every standard deviation is positive.
public func normalizingChannels(_ x: Matrix, means: [Double], standardDeviations: [Double]) -> Matrix {
    let channels = means.count
    precondition(channels > 0 && standardDeviations.count == channels,
                 "normalizingChannels: \(means.count) means but \(standardDeviations.count) standard deviations")
    precondition(x.cols % channels == 0,
                 "normalizingChannels: \(x.cols) features do not split into \(channels) channels")
    precondition(standardDeviations.allSatisfy { $0 > 0 },
                 "normalizingChannels: standard deviations must be positive, not \(standardDeviations)")
    let plane = x.cols / channels
    var scale = Matrix(rows: 1, cols: x.cols)
    var shift = Matrix(rows: 1, cols: x.cols)
    for channel in 0 ..< channels {
        for k in channel * plane ..< (channel + 1) * plane {
            shift[0, k] = means[channel]
            scale[0, k] = 1 / standardDeviations[channel]
        }
    }
    return (x - shift) * scale
}

// MARK: - Bias trick

/// Appends a column of ones, so that a bias can live in the weight matrix as its last row:
/// `x w + b` becomes `[x, 1] [w; b]`.
/// - Parameter x: images, shape (N, D).
/// - Returns: shape (N, D + 1), the last column all ones (3,072 features become 3,073).
public func appendingBiasColumn(_ x: Matrix) -> Matrix {
    let (n, d) = (x.rows, x.cols)
    var out = Matrix(rows: n, cols: d + 1, repeating: 1)
    x.withUnsafeBufferPointer { source in
        out.withUnsafeMutableBufferPointer { target in
            for i in 0 ..< n {
                (target.baseAddress! + i * (d + 1)).update(from: source.baseAddress! + i * d, count: d)
            }
        }
    }
    return out
}

// MARK: - Helpers

/// For each of `channels` planes, the sum of `term(value, channel)` over the plane's features in
/// every row of `x`.
private func channelSums(_ x: Matrix, channels: Int, _ term: (Double, Int) -> Double) -> [Double] {
    precondition(x.rows > 0, "channel statistics: the matrix \(x.shapeDescription) has no images")
    precondition(channels > 0 && x.cols % channels == 0,
                 "channel statistics: \(x.cols) features do not split into \(channels) channels")
    let plane = x.cols / channels
    var sums = [Double](repeating: 0, count: channels)
    x.withUnsafeBufferPointer { p in
        for i in 0 ..< x.rows {
            for channel in 0 ..< channels {
                let start = i * x.cols + channel * plane
                var total = 0.0
                for k in start ..< start + plane { total += term(p[k], channel) }
                sums[channel] += total
            }
        }
    }
    return sums
}
