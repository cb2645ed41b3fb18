import LinearAlgebra
import GradientCheck

// Chapter 1: choosing k by cross-validation.
//
// The training set is cut into folds; each fold in turn is held out for validation while the others
// train the classifier. Source: the lecture "Image Classification" (setting hyperparameters,
// cross-validation).

/// Splits `count` examples, in order, into `folds` contiguous folds whose sizes differ by at most one
/// (the first `count % folds` folds hold one example more), as NumPy's `array_split` does.
///
/// - Returns: `folds` arrays of indices; together they hold every index in 0 ..< count exactly once.
/// - Throws: ``KNNError/invalidFolds(folds:count:)`` unless 2 <= folds <= count.
public func makeFolds(count: Int, folds: Int) throws -> [[Int]] {
    try checkFolds(count: count, folds: folds)
    let (base, extra) = count.quotientAndRemainder(dividingBy: folds)
    var start = 0
    return (0 ..< folds).map { f in
        let size = base + (f < extra ? 1 : 0)
        defer { start += size }
        return Array(start ..< start + size)
    }
}

/// k-fold cross-validation of the kNN classifier over several values of k.
///
/// For each fold: train on the other folds, compute the distances from the held-out fold once, and
/// predict with every k from those same distances.
///
/// - Parameters:
///   - x: images, shape (N, D).
///   - y: their N labels.
///   - kChoices: the values of k to try, e.g. [1, 3, 5, 8, 10, 12, 15, 20, 50, 100].
///   - folds: the number of folds (5 in the lecture), split by ``makeFolds(count:folds:)``.
///   - metric: the distance to use.
///   - progress: called after each fold with (folds done, folds in all), for a progress line.
/// - Returns: for every k, the validation accuracy (0...1) of each fold, in fold order.
/// - Throws: ``KNNError`` for bad folds, mismatched labels, or a k larger than the training part of a fold.
public func crossValidate(x: Matrix, y: [Int], kChoices: [Int], folds: Int, metric: DistanceMetric = .l2,
                          progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> [Int: [Double]] {
    guard x.rows == y.count else { throw KNNError.labelCountMismatch(images: x.rows, labels: y.count) }
    let parts = try makeFolds(count: x.rows, folds: folds)
    var accuracies: [Int: [Double]] = [:]
    for (f, validation) in parts.enumerated() {
        let training = parts.enumerated().filter { $0.offset != f }.flatMap { $0.element }
        var classifier = KNearestNeighbor()
        try classifier.train(x: x.rows(at: training), y: training.map { y[$0] })
        let held = x.rows(at: validation)
        let distances = metric == .l2
            ? try classifier.computeDistancesNoLoops(held)
            : try classifier.computeL1Distances(held)
        for k in kChoices {
            let predicted = try classifier.predictLabels(distances: distances, k: k)
            let correct = zip(predicted, validation).filter { $0.0 == y[$0.1] }.count
            accuracies[k, default: []].append(Double(correct) / Double(validation.count))
        }
        progress(f + 1, parts.count)
    }
    return accuracies
}
