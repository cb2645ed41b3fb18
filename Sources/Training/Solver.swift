import Foundation
import LinearAlgebra

/// The training loop of the lecture ("Training Neural Networks"), written once for every model of
/// chapters 4 to 6: epochs of minibatches, one update rule per parameter, a learning-rate schedule,
/// accuracies each epoch, the loss history and the best parameters on the validation set.
///
/// ```swift
/// var solver = try Solver(model: net, training: (xTrain, yTrain), validation: (xVal, yVal),
///                         updateRule: SGDMomentum(momentum: 0.9), schedule: StepDecay(initial: 1e-3, factor: 0.95, every: 1),
///                         epochs: 10, batchSize: 200, seed: 0)
/// solver.log = { print($0) }          // "Finished epoch 3 / 10: loss 1.94, train 0.376, val 0.352, lr 3.0e-03"
/// try solver.train()
/// net.parameters = solver.bestParameters
/// ```
///
/// - Minibatches: each epoch draws a fresh permutation of the training set from the seeded generator and
///   cuts it into ⌊N / batch size⌋ minibatches, so every example is reached once per epoch (the last,
///   incomplete batch is left out, as the course's solver does); the same seed gives the same run.
/// - Update rules: the rule handed in is copied once per parameter name, so a velocity or Adam's moments
///   belong to one parameter.
/// - Accuracies: on a fixed subsample of the training set (`accuracySampleCount` images, drawn once) and
///   on the whole validation set, after every epoch.
/// - Divergence: a loss that turns NaN or infinite, or exceeds three times the run's first loss, stops
///   the run with ``SolverError/diverged(epoch:iteration:loss:firstLoss:learningRate:)``; the best
///   parameters so far stay in ``bestParameters`` (a throwing `mutating` method keeps what it changed).
/// - Resuming: after every epoch ``state`` holds all that the run has reached (the parameters, each
///   parameter's rule with its state, the best epoch, the first loss); a new `Solver` with the same data,
///   settings and seed that ``resume(from:)`` such a state trains the remaining epochs and ends with the
///   same parameters, bit for bit, as the run that never stopped. Epochs keep their numbers in the whole
///   run (the schedule's `epoch`, ``EpochSummary/epoch``). The caller saves the state in between (the
///   `cnn` program writes it into its checkpoint).
///
/// The minibatch is gathered into one buffer that is reused from step to step.
public struct Solver<Model: TrainableModel> {
    /// The model being trained; after ``train()`` it holds the last parameters, not the best.
    public var model: Model
    /// The update rule each parameter starts with (its copies keep their own state).
    public let updateRule: any UpdateRule
    /// The learning rate of each epoch.
    public let schedule: any LearningRateSchedule
    /// Passes over the training set in the whole run, resumed epochs included.
    public let epochs: Int
    /// Images per minibatch.
    public let batchSize: Int
    /// Training images the training accuracy is measured on each epoch (all of them when fewer).
    public let accuracySampleCount: Int

    /// Called with the lecture's log line after every epoch.
    public var log: ((String) -> Void)?
    /// Called after every iteration, for a progress line.
    public var progress: ((SolverProgress) -> Void)?
    /// Called whenever the validation accuracy beats the best so far, with the new best (to write a
    /// checkpoint at once, so that a later divergence or interruption loses nothing).
    public var newBest: ((EpochSummary, [String: Tensor]) throws -> Void)?
    /// Called after every epoch (after `newBest`), with the epoch's summary and the run's ``state``,
    /// for a checkpoint that a later run can resume from.
    public var epochEnded: ((EpochSummary, SolverState) throws -> Void)?

    /// Every minibatch loss, in order.
    public private(set) var lossHistory: [Double] = []
    /// One summary per finished epoch.
    public private(set) var epochHistory: [EpochSummary] = []
    /// The parameters of the epoch with the highest validation accuracy (the initial ones before any epoch ends).
    public private(set) var bestParameters: [String: Tensor]
    /// The highest validation accuracy reached so far, -1 before the first epoch ends.
    public private(set) var bestValidationAccuracy = -1.0
    /// The epoch (1 … `epochs`) whose parameters are ``bestParameters``, 0 before the first epoch ends.
    public private(set) var bestEpoch = 0
    /// Epochs finished, resumed ones included: ``train()`` runs epochs `epochsDone + 1 … epochs`.
    public private(set) var epochsDone = 0
    /// Each parameter's copy of the update rule, with its state (a velocity, Adam's moments and step
    /// count), by parameter name; a parameter without one (before its first step) starts from ``updateRule``.
    public private(set) var rules: [String: any UpdateRule] = [:]
    /// The run's first minibatch loss, the yardstick of the divergence test; nil before the first step.
    public private(set) var firstLoss: Double?

    private let trainingImages: Tensor, trainingLabels: [Int]
    private let validationImages: Tensor, validationLabels: [Int]
    private var generator: SeededGenerator
    private let accuracySample: [Int]

    /// - Parameters:
    ///   - model: the model to train, with its initial parameters.
    ///   - training: images (N, d1, …, dk) and N labels.
    ///   - validation: images (M, d1, …, dk) and M labels, M ≥ 1.
    ///   - updateRule: the rule every parameter starts with, in its initial state.
    ///   - schedule: the learning rate of each epoch.
    ///   - epochs: passes over the training set, at least 1 (in a resumed run, the whole run's, resumed epochs included).
    ///   - batchSize: images per minibatch, 1 … N.
    ///   - accuracySampleCount: training images for the training accuracy each epoch (default 1,000).
    ///   - seed: the generator of the permutations and of the accuracy subsample.
    /// - Throws: ``SolverError`` naming the value when a setting is impossible.
    public init(model: Model, training: (images: Tensor, labels: [Int]), validation: (images: Tensor, labels: [Int]),
                updateRule: any UpdateRule, schedule: any LearningRateSchedule,
                epochs: Int, batchSize: Int, accuracySampleCount: Int = 1_000, seed: UInt64 = 0) throws {
        let n = training.images.shape.first ?? 0
        guard training.images.rank >= 2, n == training.labels.count else {
            throw SolverError.labelsDoNotMatchImages(part: "training", images: training.images.shapeDescription, labels: training.labels.count)
        }
        guard validation.images.rank >= 2, validation.images.shape[0] == validation.labels.count,
              Array(validation.images.shape.dropFirst()) == Array(training.images.shape.dropFirst()) else {
            throw SolverError.labelsDoNotMatchImages(part: "validation", images: validation.images.shapeDescription, labels: validation.labels.count)
        }
        guard n >= 1 else { throw SolverError.invalidSetting(name: "training images", value: "0", rule: "need at least one") }
        guard !validation.labels.isEmpty else { throw SolverError.invalidSetting(name: "validation images", value: "0", rule: "need at least one") }
        guard epochs >= 1 else { throw SolverError.invalidSetting(name: "epochs", value: "\(epochs)", rule: "must be at least 1") }
        guard batchSize >= 1 else { throw SolverError.invalidSetting(name: "batch size", value: "\(batchSize)", rule: "must be at least 1") }
        guard batchSize <= n else { throw SolverError.batchLargerThanData(batchSize: batchSize, trainingCount: n) }
        guard accuracySampleCount >= 1 else {
            throw SolverError.invalidSetting(name: "accuracy sample", value: "\(accuracySampleCount)", rule: "must be at least 1")
        }
        self.model = model
        self.trainingImages = training.images
        self.trainingLabels = training.labels
        self.validationImages = validation.images
        self.validationLabels = validation.labels
        self.updateRule = updateRule
        self.schedule = schedule
        self.epochs = epochs
        self.batchSize = batchSize
        self.accuracySampleCount = accuracySampleCount
        self.generator = SeededGenerator(seed: seed)
        self.accuracySample = accuracySampleCount >= n ? Array(0 ..< n) : generator.indices(accuracySampleCount, below: n)
        self.bestParameters = model.parameters
    }

    /// Minibatches per epoch: ⌊N / batch size⌋.
    public var iterationsPerEpoch: Int { trainingLabels.count / batchSize }

    /// All that the run has reached after its last finished epoch (or before the first): what
    /// ``resume(from:)`` needs, besides the data, settings and seed, to continue it.
    public var state: SolverState {
        SolverState(epochsDone: epochsDone, parameters: model.parameters, rules: rules, bestEpoch: bestEpoch,
                    bestValidationAccuracy: bestValidationAccuracy, bestParameters: bestParameters, firstLoss: firstLoss)
    }

    /// Continues a run from its ``state`` after an epoch: the model's parameters, each parameter's rule
    /// and the best epoch become the state's, and the minibatch order moves on to epoch
    /// `state.epochsDone + 1` of this seed (the earlier epochs' permutations are drawn and dropped), so
    /// that ``train()`` then goes on exactly as the stopped run would have. A rule missing from
    /// `state.rules` (a checkpoint without it) starts afresh from ``updateRule``.
    ///
    /// Call it before ``train()``, on a `Solver` made with the run's data, settings and seed; the
    /// model's state outside its parameters (batch normalization's running averages) is not part of it.
    /// - Throws: ``SolverError/invalidSetting(name:value:rule:)`` when training has already begun, when
    ///   `epochsDone` is outside 0 … `epochs`, when `bestEpoch` is outside 0 … `epochsDone` or the best
    ///   accuracy outside [0, 1] (-1 with best epoch 0); ``SolverError/stateDoesNotMatchParameters(part:reason:)``
    ///   when the parameters, the best parameters or the rules do not have the model's names and shapes.
    ///   Nothing changes when it throws.
    public mutating func resume(from state: SolverState) throws {
        guard epochsDone == 0, lossHistory.isEmpty else {
            throw SolverError.invalidSetting(name: "resume", value: "after \(lossHistory.count) steps", rule: "must come before train()")
        }
        guard (0 ... epochs).contains(state.epochsDone) else {
            throw SolverError.invalidSetting(name: "epochs done", value: "\(state.epochsDone)", rule: "must be in 0 … \(epochs), the run's epochs")
        }
        guard (0 ... state.epochsDone).contains(state.bestEpoch) else {
            throw SolverError.invalidSetting(name: "best epoch", value: "\(state.bestEpoch)", rule: "must be in 0 … \(state.epochsDone), the epochs done")
        }
        let accuracyFits = state.bestEpoch == 0 ? state.bestValidationAccuracy <= 1 : (0 ... 1).contains(state.bestValidationAccuracy)
        guard accuracyFits else {
            throw SolverError.invalidSetting(name: "best validation accuracy", value: "\(state.bestValidationAccuracy)", rule: "must be in [0, 1]")
        }
        let shapes = model.parameters.mapValues(\.shape)
        for (part, tensors) in [("parameters", state.parameters), ("best parameters", state.bestParameters)] {
            if let reason = Solver.mismatch(tensors.mapValues(\.shape), shapes) {
                throw SolverError.stateDoesNotMatchParameters(part: part, reason: reason)
            }
        }
        if let unknown = state.rules.keys.sorted().first(where: { shapes[$0] == nil }) {
            throw SolverError.stateDoesNotMatchParameters(part: "update rules", reason: "a rule for \(unknown), which the model does not have")
        }
        model.parameters = state.parameters
        rules = state.rules
        bestEpoch = state.bestEpoch
        bestValidationAccuracy = state.bestValidationAccuracy
        bestParameters = state.bestParameters
        firstLoss = state.firstLoss
        epochsDone = state.epochsDone
        for _ in 0 ..< epochsDone { _ = generator.permutation(trainingLabels.count) }
    }

    /// Runs the epochs not yet done; see the type's documentation for what is kept and when it stops.
    /// - Throws: ``SolverError/diverged(epoch:iteration:loss:firstLoss:learningRate:)``,
    ///   ``SolverError/gradientsDoNotMatchParameters(missing:extra:)``, and whatever the model, the
    ///   update rule, `newBest` or `epochEnded` throws (a stub's `NotImplemented` among them).
    public mutating func train() throws {
        let sampleShape = Array(trainingImages.shape.dropFirst())
        let rowSize = sampleShape.reduce(1, *)
        var batch = [Double](repeating: 0, count: batchSize * rowSize)
        var batchLabels = [Int](repeating: 0, count: batchSize)
        let perEpoch = iterationsPerEpoch
        for epoch in epochsDone ..< epochs {
            let learningRate = try schedule.learningRate(epoch: epoch)
            let order = generator.permutation(trainingLabels.count)
            let start = Date()
            var epochLossSum = 0.0
            var ratios: [String: Double] = [:]
            for iteration in 0 ..< perEpoch {
                let indices = order[iteration * batchSize ..< (iteration + 1) * batchSize]
                Solver.gather(trainingImages, rows: indices, rowSize: rowSize, into: &batch)
                for (k, i) in indices.enumerated() { batchLabels[k] = trainingLabels[i] }
                // The tensor shares `batch`'s storage; once the model has let go of it, the next gather
                // writes into the same memory again.
                let x = Tensor(shape: [batchSize] + sampleShape, batch)
                let (loss, gradients) = try model.loss(x, labels: batchLabels)
                let done = epoch * perEpoch + iteration + 1
                if firstLoss == nil { firstLoss = loss }
                if !loss.isFinite || loss > 3 * firstLoss! {
                    throw SolverError.diverged(epoch: epoch + 1, iteration: done, loss: loss, firstLoss: firstLoss!, learningRate: learningRate)
                }
                lossHistory.append(loss)
                epochLossSum += loss
                let measured = try step(gradients, learningRate: learningRate, measuringRatios: iteration == perEpoch - 1)
                if !measured.isEmpty { ratios = measured }
                if let progress {
                    let seconds = Date().timeIntervalSince(start)
                    progress(SolverProgress(epoch: epoch + 1, epochCount: epochs, iteration: iteration + 1, iterationsPerEpoch: perEpoch,
                                            loss: loss, imagesPerSecond: Double((iteration + 1) * batchSize) / max(seconds, 1e-9)))
                }
            }
            let summary = EpochSummary(
                epoch: epoch + 1, epochCount: epochs, loss: epochLossSum / Double(max(perEpoch, 1)),
                trainAccuracy: try accuracy(of: model, images: trainingImages, labels: trainingLabels, rows: accuracySample),
                validationAccuracy: try accuracy(of: model, images: validationImages, labels: validationLabels),
                learningRate: learningRate, updateRatios: ratios, seconds: Date().timeIntervalSince(start))
            epochHistory.append(summary)
            log?(summary.logLine)
            epochsDone = epoch + 1
            if summary.validationAccuracy > bestValidationAccuracy {
                bestValidationAccuracy = summary.validationAccuracy
                bestEpoch = epoch + 1
                bestParameters = model.parameters
                try newBest?(summary, bestParameters)
            }
            try epochEnded?(summary, state)
        }
    }

    /// Applies each parameter's own copy of the rule; with `measuringRatios`, returns ‖Δw‖ / ‖w‖ per parameter.
    private mutating func step(_ gradients: [String: Tensor], learningRate: Double, measuringRatios: Bool) throws -> [String: Double] {
        let names = model.parameters.keys.sorted()
        guard gradients.count == names.count, names.allSatisfy({ gradients[$0] != nil }) else {
            throw SolverError.gradientsDoNotMatchParameters(missing: names.filter { gradients[$0] == nil },
                                                            extra: gradients.keys.filter { model.parameters[$0] == nil }.sorted())
        }
        var ratios: [String: Double] = [:]
        for name in names {
            var rule = rules.removeValue(forKey: name) ?? updateRule
            // A copy of the parameter only on the step that is measured: elsewhere the update stays in place.
            let before = measuringRatios ? model.parameters[name]! : nil
            try rule.update(&model.parameters[name]!, gradient: gradients[name]!, learningRate: learningRate)
            rules[name] = rule
            if let before { ratios[name] = updateRatio(before: before, after: model.parameters[name]!) }
        }
        return ratios
    }

    /// Nil when `tensors` has exactly the names and shapes of `wanted`; else the first difference, in words.
    private static func mismatch(_ tensors: [String: [Int]], _ wanted: [String: [Int]]) -> String? {
        if let missing = wanted.keys.sorted().first(where: { tensors[$0] == nil }) { return "no \(missing)" }
        if let extra = tensors.keys.sorted().first(where: { wanted[$0] == nil }) { return "\(extra), which the model does not have" }
        if let name = wanted.keys.sorted().first(where: { tensors[$0] != wanted[$0] }) {
            return "\(name) of shape \(tensors[name]!), the model's is \(wanted[name]!)"
        }
        return nil
    }

    /// Copies rows `rows` of `x` (read as (N, rowSize)) into `buffer`, one after another.
    private static func gather(_ x: Tensor, rows: ArraySlice<Int>, rowSize: Int, into buffer: inout [Double]) {
        x.withUnsafeBufferPointer { source in
            buffer.withUnsafeMutableBufferPointer { destination in
                for (k, i) in rows.enumerated() {
                    (destination.baseAddress! + k * rowSize).update(from: source.baseAddress! + i * rowSize, count: rowSize)
                }
            }
        }
    }
}

/// All that a training run has reached after a finished epoch, to continue it later with
/// ``Solver/resume(from:)``: the run's own values, with no reference to its data or settings.
public struct SolverState {
    /// Epochs finished, 0 … the run's epochs.
    public var epochsDone: Int
    /// The model's parameters after those epochs, by name.
    public var parameters: [String: Tensor]
    /// Each parameter's update rule with its state after those epochs (a velocity; Adam's m, v and t),
    /// by parameter name; a parameter without one restarts from the `Solver`'s ``Solver/updateRule``.
    public var rules: [String: any UpdateRule]
    /// The epoch with the highest validation accuracy (1 … `epochsDone`), 0 before any.
    public var bestEpoch: Int
    /// That epoch's validation accuracy, in [0, 1]; -1 before any epoch.
    public var bestValidationAccuracy: Double
    /// That epoch's parameters, by name (the initial ones before any epoch).
    public var bestParameters: [String: Tensor]
    /// The run's first minibatch loss (nats), the yardstick of the divergence test; nil before the first
    /// step (the resumed run's first loss then takes its place).
    public var firstLoss: Double?

    public init(epochsDone: Int, parameters: [String: Tensor], rules: [String: any UpdateRule], bestEpoch: Int,
                bestValidationAccuracy: Double, bestParameters: [String: Tensor], firstLoss: Double?) {
        self.epochsDone = epochsDone
        self.parameters = parameters
        self.rules = rules
        self.bestEpoch = bestEpoch
        self.bestValidationAccuracy = bestValidationAccuracy
        self.bestParameters = bestParameters
        self.firstLoss = firstLoss
    }
}

/// Where an epoch is, for a progress line.
public struct SolverProgress: Sendable {
    /// The epoch, 1 … `epochCount`.
    public let epoch: Int, epochCount: Int
    /// The minibatch within the epoch, 1 … `iterationsPerEpoch`.
    public let iteration: Int, iterationsPerEpoch: Int
    /// This minibatch's loss.
    public let loss: Double
    /// Training images per second so far in this epoch.
    public let imagesPerSecond: Double
}

/// What one epoch did.
public struct EpochSummary: Sendable, Equatable {
    /// The epoch, 1 … `epochCount`.
    public let epoch: Int, epochCount: Int
    /// The mean minibatch loss of the epoch.
    public let loss: Double
    /// Accuracy on the fixed training subsample and on the validation set, after the epoch.
    public let trainAccuracy: Double, validationAccuracy: Double
    /// The epoch's learning rate.
    public let learningRate: Double
    /// ‖Δw‖ / ‖w‖ of each parameter at the epoch's last step: about 1e-3 is healthy (the lecture's rule
    /// of thumb); far below, learning is slow; far above, it is unstable. Infinite for a zero parameter
    /// that moved (biases start at 0).
    public let updateRatios: [String: Double]
    /// Wall-clock seconds of the epoch, accuracies included.
    public let seconds: Double

    /// The lecture's line: `Finished epoch 3 / 10: loss 1.94, train 0.376, val 0.352, lr 3.0e-03`.
    public var logLine: String {
        String(format: "Finished epoch %d / %d: loss %.2f, train %.3f, val %.3f, lr %.1e", epoch, epochCount, loss,
               trainAccuracy, validationAccuracy, learningRate)
    }
}

/// Why the `Solver` stopped or would not start.
public enum SolverError: Error, CustomStringConvertible, Equatable {
    /// The loss turned NaN or infinite, or exceeded three times the run's first loss.
    case diverged(epoch: Int, iteration: Int, loss: Double, firstLoss: Double, learningRate: Double)
    /// The minibatch is larger than the training set.
    case batchLargerThanData(batchSize: Int, trainingCount: Int)
    /// A count that cannot work (epochs 0, batch size 0, no images).
    case invalidSetting(name: String, value: String, rule: String)
    /// A part of the data whose labels do not match its images (or whose image shape differs from training).
    case labelsDoNotMatchImages(part: String, images: String, labels: Int)
    /// The model's gradients do not have the names of its parameters.
    case gradientsDoNotMatchParameters(missing: [String], extra: [String])
    /// A state handed to ``Solver/resume(from:)`` whose `part` (parameters, best parameters, update rules)
    /// does not have the model's names and shapes.
    case stateDoesNotMatchParameters(part: String, reason: String)

    public var description: String {
        switch self {
        case let .diverged(epoch, iteration, loss, firstLoss, learningRate):
            let what = loss.isNaN ? "the loss turned NaN" : loss.isInfinite ? "the loss became infinite"
                : String(format: "the loss %.3g exceeded three times its first value %.3g", loss, firstLoss)
            return "training stopped at iteration \(iteration) (epoch \(epoch)): \(what); "
                + String(format: "the learning rate is likely too large: %.1e", learningRate)
        case let .batchLargerThanData(batchSize, trainingCount):
            return "the batch size \(batchSize) is larger than the \(trainingCount) training images"
        case let .invalidSetting(name, value, rule):
            return "\(name) \(value): \(rule)"
        case let .labelsDoNotMatchImages(part, images, labels):
            return "the \(part) images \(images) do not match their \(labels) labels (or the training images' shape)"
        case let .gradientsDoNotMatchParameters(missing, extra):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("no gradient for \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("gradients for unknown parameters \(extra.joined(separator: ", "))") }
            return "the model's loss returned " + parts.joined(separator: " and ") + ": every parameter needs a gradient of its name"
        case let .stateDoesNotMatchParameters(part, reason):
            return "the state to resume from does not fit the model: its \(part) have \(reason)"
        }
    }
}

/// The fraction of `rows` (all rows by default) of `images` whose highest score is the label.
///
/// Scores are computed ``evaluationChunk`` images at a time, so that a large set never needs one huge
/// score matrix, nor a convnet's activations for all of it at once.
/// - Parameters:
///   - images: (N, d1, …, dk). `labels`: N labels.
///   - rows: the images to count, each in 0 ..< N; nil for all.
/// - Throws: whatever the model's `scores` throws.
public func accuracy(of model: some TrainableModel, images: Tensor, labels: [Int], rows: [Int]? = nil) throws -> Double {
    let predicted = try predictions(of: model, images: images, rows: rows)
    let wanted = rows ?? Array(labels.indices)
    guard !wanted.isEmpty else { return 0 }
    return Double(zip(predicted, wanted).filter { $0.0 == labels[$0.1] }.count) / Double(wanted.count)
}

/// The class with the highest score (the first on a tie) for each of `rows` (all rows by default) of `images`.
public func predictions(of model: some TrainableModel, images: Tensor, rows: [Int]? = nil) throws -> [Int] {
    let sampleShape = Array(images.shape.dropFirst())
    let rowSize = sampleShape.reduce(1, *)
    let wanted = rows ?? Array(0 ..< (images.shape.first ?? 0))
    var predicted: [Int] = []
    predicted.reserveCapacity(wanted.count)
    for start in stride(from: 0, to: wanted.count, by: evaluationChunk) {
        let chunk = wanted[start ..< min(start + evaluationChunk, wanted.count)]
        var values = [Double](repeating: 0, count: chunk.count * rowSize)
        images.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { destination in
                for (k, i) in chunk.enumerated() {
                    (destination.baseAddress! + k * rowSize).update(from: source.baseAddress! + i * rowSize, count: rowSize)
                }
            }
        }
        let scores = try model.scores(Tensor(shape: [chunk.count] + sampleShape, values))
        let classes = scores.count / max(chunk.count, 1)
        scores.withUnsafeBufferPointer { s in
            for k in 0 ..< chunk.count {
                var best = 0
                for c in 1 ..< max(classes, 1) where s[k * classes + c] > s[k * classes + best] { best = c }
                predicted.append(best)
            }
        }
    }
    return predicted
}

/// Images scored at a time by ``accuracy(of:images:labels:rows:)`` and ``predictions(of:images:rows:)``:
/// 100 keeps the chapter 6 convnet's activations (32 maps of 32 x 32 per image, 26 MB for 100) under the
/// size the allocator reuses, where 1,000 images took 260 MB mapped afresh, and zeroed, for every chunk.
let evaluationChunk = 100

/// ‖after − before‖ / ‖before‖ (Frobenius norms); 0 when nothing moved.
func updateRatio(before: Tensor, after: Tensor) -> Double {
    var change = 0.0, size = 0.0
    before.withUnsafeBufferPointer { b in
        after.withUnsafeBufferPointer { a in
            for i in 0 ..< b.count {
                let d = a[i] - b[i]
                change += d * d
                size += b[i] * b[i]
            }
        }
    }
    if change == 0 { return 0 }
    return (change / size).squareRoot()
}
