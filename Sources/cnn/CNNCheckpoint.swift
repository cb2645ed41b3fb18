import Foundation
import LinearAlgebra
import Training
import Workbook

/// `cnn.safetensors`, written after every epoch: the best epoch's parameters under their own names
/// (what `Checkpoint.load(into:)`, the pictures and `safetensors.numpy.load_file` read), and beside
/// them what `--resume` needs to go on as if the run had never stopped.
///
/// | tensor | what |
/// | --- | --- |
/// | "W1", "b1", … | the parameters of the best epoch |
/// | "last.W1", … | the parameters after the last finished epoch, only when that epoch is not the best |
/// | "adam.m.W1", "adam.v.W1", … | Adam's first and second moments of each parameter, its shape |
/// | "history.loss" | the loss of every minibatch so far, earlier runs' included, (iterations,) |
///
/// Metadata (strings): "epochs_done" (the epoch reached), "epoch" and "validation_accuracy" (the best
/// epoch and its accuracy, 4 decimals), "best_validation_accuracy" and "first_loss" (exact, Swift's
/// shortest round-trip form), "learning_rate" (the last finished epoch's), "adam.t.W1" (Adam's step
/// count per parameter), "adam" (β1, β2, ε), "run" (seed, split and batch size), and the program's own
/// keys (architecture, normalisation), and "history.epochs": each finished epoch as "epoch loss train
/// validation learning-rate", separated by "; ", so that a resumed run's table and plots show the whole
/// run. The prefixes "last.", "adam." and "history." hold no parameter's name, so they never clash with
/// a net's parameters ("W1", "b1", …). (No times are kept: a run stopped and resumed writes the same
/// checkpoint, bit for bit, as one that never stopped.)
///
/// A checkpoint written before the optimizer state was saved (parameters and "epoch" only) resumes too:
/// its parameters are then both the last and the best, and Adam's moments start afresh.
enum ResumableCheckpoint {
    /// The checkpoint of `state` after an epoch whose learning rate was `learningRate`, with the run's
    /// `epochs` and minibatch `losses` so far; `metadata` adds the program's own keys.
    static func make(_ state: SolverState, learningRate: Double, epochs: [EpochRecord], losses: [Double], metadata: [String: String]) -> Checkpoint {
        var tensors = state.bestParameters
        var pairs = metadata
        tensors["history.loss"] = Tensor(shape: [losses.count], losses)
        pairs["history.epochs"] = epochs.map(\.text).joined(separator: "; ")
        if state.bestEpoch != state.epochsDone {
            for (name, tensor) in state.parameters { tensors["last." + name] = tensor }
        }
        for (name, rule) in state.rules {
            guard let adam = rule as? Adam, let m = adam.m, let v = adam.v else { continue }
            tensors["adam.m." + name] = m
            tensors["adam.v." + name] = v
            pairs["adam.t." + name] = "\(adam.t)"
            pairs["adam"] = "beta1 \(adam.beta1), beta2 \(adam.beta2), epsilon \(adam.epsilon)"
        }
        pairs["epochs_done"] = "\(state.epochsDone)"
        pairs["epoch"] = "\(state.bestEpoch)"
        pairs["validation_accuracy"] = String(format: "%.4f", state.bestValidationAccuracy)
        pairs["best_validation_accuracy"] = "\(state.bestValidationAccuracy)"
        pairs["learning_rate"] = "\(learningRate)"
        if let firstLoss = state.firstLoss { pairs["first_loss"] = "\(firstLoss)" }
        return Checkpoint(tensors: tensors, metadata: pairs)
    }

    /// What a checkpoint gives a resumed run.
    struct Restored {
        /// The Solver's state to resume from.
        let state: SolverState
        /// True when every parameter's Adam moments and step count were in the checkpoint (else none is restored).
        let adamRestored: Bool
        /// The learning rate of the checkpoint's last epoch, if it says.
        let learningRate: Double?
        /// The epochs and minibatch losses of the run so far (none from a checkpoint written before they were kept).
        let epochs: [EpochRecord]
        let losses: [Double]
    }

    /// The state of the run that wrote `checkpoint`, for a net with `parameters` (the checkpoint's
    /// parameters must fit them: `Checkpoint.load(into:)` first). `adam` gives β1, β2 and ε of the
    /// restored rules.
    /// - Throws: ``CNNError/badState(path:reason:)`` when a saved moment or last parameter does not
    ///   have its parameter's shape, or a number in the metadata does not read.
    static func restore(_ checkpoint: Checkpoint, parameters: [String: Tensor], adam template: Adam, source: String) throws -> Restored {
        let metadata = checkpoint.metadata
        func number<T: LosslessStringConvertible>(_ key: String, as _: T.Type) throws -> T? {
            guard let text = metadata[key] else { return nil }
            guard let value = T(text) else { throw CNNError.badState(path: source, reason: "its \(key) \"\(text)\" is not a number") }
            return value
        }
        let bestEpoch = try number("epoch", as: Int.self) ?? 0
        let epochsDone = try number("epochs_done", as: Int.self) ?? bestEpoch
        let bestAccuracy = try number("best_validation_accuracy", as: Double.self) ?? number("validation_accuracy", as: Double.self) ?? -1
        func checked(_ tensors: [String: Tensor], _ what: String) throws -> [String: Tensor] {
            for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) where parameters[name]?.shape != tensor.shape {
                throw CNNError.badState(path: source, reason: "its \(what) of \(name) is \(tensor.shapeDescription), "
                                        + "the parameter's is \(parameters[name]?.shapeDescription ?? "missing")")
            }
            return tensors
        }
        let last = try checked(checkpoint.tensors(prefixed: "last."), "last value")
        let (m, v) = (try checked(checkpoint.tensors(prefixed: "adam.m."), "Adam moment m"),
                      try checked(checkpoint.tensors(prefixed: "adam.v."), "Adam moment v"))
        var rules: [String: any UpdateRule] = [:]
        for name in parameters.keys {
            guard let m = m[name], let v = v[name], let t = try number("adam.t." + name, as: Int.self) else { continue }
            var rule = template
            (rule.m, rule.v, rule.t) = (m, v, t)
            rules[name] = rule
        }
        // All or nothing: a run whose rules restart restarts them all.
        if rules.count != parameters.count { rules = [:] }
        let state = SolverState(epochsDone: epochsDone, parameters: last.isEmpty ? parameters : last, rules: rules, bestEpoch: bestEpoch,
                                bestValidationAccuracy: bestAccuracy, bestParameters: parameters,
                                firstLoss: try number("first_loss", as: Double.self))
        var epochs: [EpochRecord] = []
        if let text = metadata["history.epochs"], !text.isEmpty {
            for entry in text.components(separatedBy: "; ") {
                guard let record = EpochRecord(text: entry) else {
                    throw CNNError.badState(path: source, reason: "its history.epochs entry \"\(entry)\" is not \"epoch loss train validation learning-rate\"")
                }
                epochs.append(record)
            }
        }
        return Restored(state: state, adamRestored: !rules.isEmpty,
                        learningRate: try number("learning_rate", as: Double.self),
                        epochs: epochs, losses: checkpoint.tensors["history.loss"]?.storage ?? [])
    }
}

/// One finished epoch, as the report's table and the accuracy plot show it and the checkpoint keeps it.
struct EpochRecord: Equatable {
    let epoch: Int
    let loss: Double, trainAccuracy: Double, validationAccuracy: Double, learningRate: Double
    /// Wall-clock seconds, for the epochs of this run only (a checkpoint keeps no times).
    let seconds: Double?

    init(_ summary: EpochSummary) {
        (epoch, loss, trainAccuracy, validationAccuracy, learningRate, seconds) =
            (summary.epoch, summary.loss, summary.trainAccuracy, summary.validationAccuracy, summary.learningRate, summary.seconds)
    }

    /// "epoch loss train validation learning-rate", the numbers exact (Swift's shortest round-trip form).
    var text: String { "\(epoch) \(loss) \(trainAccuracy) \(validationAccuracy) \(learningRate)" }

    /// The record `text` wrote; nil when it does not read.
    init?(text: String) {
        let fields = text.split(separator: " ")
        guard fields.count == 5, let epoch = Int(fields[0]) else { return nil }
        let numbers = fields.dropFirst().compactMap { Double($0) }
        guard numbers.count == 4 else { return nil }
        (self.epoch, loss, trainAccuracy, validationAccuracy, learningRate, seconds) = (epoch, numbers[0], numbers[1], numbers[2], numbers[3], nil)
    }
}
