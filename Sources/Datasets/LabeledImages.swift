import LinearAlgebra

/// A set of N examples: images as rows of a matrix, and one class label for each.
///
/// `images` is (N, D), one flattened image per row (D = 3,072 for CIFAR-10, pixel values 0...255
/// as loaded); `labels[i]` is the class index of row i. The course calls the pair `X` and `y`.
public struct LabeledImages: Equatable, Sendable {
    /// The examples, shape (N, D).
    public let images: Matrix
    /// The class of each example, N values in 0 ..< C.
    public let labels: [Int]

    /// Pairs images (N, D) with N labels.
    /// - Precondition: `images.rows == labels.count`; a mismatch traps naming both counts.
    public init(images: Matrix, labels: [Int]) {
        precondition(images.rows == labels.count,
                     "LabeledImages: \(images.rows) images \(images.shapeDescription) but \(labels.count) labels")
        self.images = images
        self.labels = labels
    }

    /// Number of examples N.
    public var count: Int { labels.count }

    /// The examples at positions `range`, in order: images (range.count, D).
    /// - Precondition: `range` lies within 0 ..< count.
    public func subset(_ range: Range<Int>) -> LabeledImages {
        LabeledImages(images: images.rows(range), labels: Array(labels[range]))
    }

    /// The examples at `indices`, in that order (repeats allowed): images (indices.count, D).
    /// - Precondition: every index lies within 0 ..< count.
    public func subset(at indices: [Int]) -> LabeledImages {
        LabeledImages(images: images.rows(at: indices), labels: indices.map { labels[$0] })
    }
}
