// Counting labels and scoring predictions.

/// How many labels fall in each class.
/// - Parameters:
///   - labels: class indices, each in 0 ..< classes.
///   - classes: number of classes C (10 for CIFAR-10).
/// - Returns: C counts; `counts[c]` is how many labels equal c.
/// - Precondition: every label is in 0 ..< classes; an outlier traps naming its position and value.
public func classCounts(_ labels: [Int], classes: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: classes)
    for (i, label) in labels.enumerated() {
        precondition((0 ..< classes).contains(label),
                     "classCounts: label \(label) at position \(i) is outside 0 ..< \(classes)")
        counts[label] += 1
    }
    return counts
}

/// The fraction of predictions equal to their label, 0...1.
///
/// Different lengths are a programming error (the predictions belong to another set of images), so
/// they trap rather than throw; so does an empty set, whose accuracy is undefined.
/// - Parameters:
///   - predicted: predicted class indices, N values.
///   - labels: true class indices, N values.
/// - Precondition: `predicted.count == labels.count > 0`; a mismatch traps naming both counts.
public func accuracy(predicted: [Int], labels: [Int]) -> Double {
    precondition(predicted.count == labels.count,
                 "accuracy: \(predicted.count) predictions for \(labels.count) labels")
    precondition(!labels.isEmpty, "accuracy: no predictions to score")
    let correct = zip(predicted, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    return Double(correct) / Double(labels.count)
}
