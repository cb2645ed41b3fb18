import ChapterSupport
import ConvolutionLayers
import Datasets
import Foundation
import LectureNetworks
import LinearAlgebra
import Pictures
import Training
import Workbook
#if canImport(Glibc)
import Glibc
#endif

/// The normalised split the training cells use: images (N, 3, 32, 32).
struct PreparedData {
    let train: (images: Tensor, labels: [Int])
    let validation: (images: Tensor, labels: [Int])
    let test: (images: Tensor, labels: [Int])
    let classNames: [String]
    let normalisation: String
}

extension CNNProgram {
    /// The architecture trained: the three-layer convnet's, or --architecture's.
    var architectureText: String { architecture ?? "conv\(filters)k\(filterSize)-relu-pool-fc\(hiddenSize)-relu" }

    func loadSplit(_ notebook: Notebook) throws -> PreparedData? {
        try notebook.cell("Load CIFAR-10, split it and normalise each channel") { cell in
            let split = try cell.loadNormalizedSplit(from: dataset.directory, trainCount: trainCount, validationCount: validationCount,
                                                     testCount: testCount, seed: options.seed)
            func prepared(_ part: NormalizedSplit.Part) -> (images: Tensor, labels: [Int]) {
                (Tensor(reshaping: part.images, shape: [part.images.rows, 3, 32, 32]), part.labels)
            }
            cell.table(["part", "images", "use"], [
                ["train", format(count: split.train.labels.count), "the Solver's minibatches"],
                ["validation", format(count: split.validation.labels.count), "the best epoch (the checkpoint)"],
                ["test", format(count: split.test.labels.count), "the trained net, once"],
            ])
            cell.say("Each colour channel is centred and scaled by the training images' mean and standard deviation.")
            return PreparedData(train: prepared(split.train), validation: prepared(split.validation), test: prepared(split.test),
                                classNames: split.classNames, normalisation: split.normalisationMetadata)
        }
    }

    /// Runs the training cells with the model the flags choose.
    func trainAndTest(_ notebook: Notebook, _ data: PreparedData) throws {
        if let architecture {
            let parsed = try NetworkArchitecture(parsing: architecture)
            let net = try PatternConvNet(parsed, inputShape: [3, 32, 32], classCount: 10, reg: reg, seed: options.seed &+ 1)
            try train(notebook, data, net)
        } else {
            let net = try ThreeLayerConvNet(inputShape: [3, 32, 32], filterCount: filters, filterSize: filterSize, hiddenSize: hiddenSize,
                                            classCount: 10, weightScale: weightScale, reg: reg, seed: options.seed &+ 1)
            try train(notebook, data, net)
        }
    }

    private func train<Model: TrainableModel>(_ notebook: Notebook, _ data: PreparedData, _ initial: Model) throws {
        let heading = "The trained net: test accuracy and pictures"
        guard let trained = try trainingCell(notebook, data, initial) else {
            return notebook.cellNotRun(heading, needs: "the trained net")
        }
        try notebook.cell(heading) { cell in
            if !trained.losses.isEmpty {
                var losses = LinePlot(title: "Training loss", xLabel: "iteration", yLabel: "minibatch loss")
                losses.addSeries("", y: trained.losses)
                try cell.plot(losses, file: "loss_history.svg", caption: "The loss of every minibatch of \(batchSize) images.")
                var accuracy = LinePlot(title: "Classification accuracy", xLabel: "epoch", yLabel: "accuracy")
                let epochs = trained.history.map { Double($0.epoch) }
                accuracy.addSeries("train (sample of 1,000)", x: epochs, y: trained.history.map(\.trainAccuracy))
                accuracy.addSeries("validation", x: epochs, y: trained.history.map(\.validationAccuracy))
                try cell.plot(accuracy, file: "accuracy.svg", caption: "Training and validation accuracy after each epoch.")
            }
            let predicted = try predictions(of: trained.model, images: data.test.images)
            let correct = zip(predicted, data.test.labels).filter { $0 == $1 }.count
            cell.say(String(format: "Test accuracy: %.3f (%d / %d).", Double(correct) / Double(predicted.count), correct, predicted.count))
            var confusion = ConfusionMatrixPlot(classNames: data.classNames, title: "Test set: true class (rows) against prediction (columns)")
            for (truth, guess) in zip(data.test.labels, predicted) { confusion.add(truth: truth, predicted: guess) }
            try cell.plot(confusion, file: "confusion_matrix.svg", caption: "Counts on the \(predicted.count) test images; the last column is each class's recall.")
            try drawFirstLayer(cell, trained.model.parameters, data)
        }
    }

    /// The training cell: a fresh run, or with --resume the run of the last checkpoint with this
    /// --output, continued where its last finished epoch left it (see ``ResumableCheckpoint``). Nil
    /// when a stub stopped it.
    func trainingCell<Model: TrainableModel>(_ notebook: Notebook, _ data: PreparedData, _ initial: Model) throws
        -> (model: Model, history: [EpochRecord], losses: [Double])? {
        // Written into the run's working folder, so that it moves into place with the report; a run
        // stopped part-way leaves it in <output>.failed, where --resume looks first.
        let checkpoint = notebook.fileURL("cnn.safetensors")
        let finalCheckpoint = notebook.directory.appendingPathComponent("cnn.safetensors")
        let previous = [notebook.failedDirectory, notebook.directory].map { $0.appendingPathComponent("cnn.safetensors") }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
            .max { (modified($0) ?? .distantPast) < (modified($1) ?? .distantPast) }
        let schedule = StepDecay(initial: learningRate, factor: learningRateDecay, every: 1)
        let run = "seed \(options.seed), \(data.train.labels.count) training and \(data.validation.labels.count) validation images, "
            + "batch size \(batchSize)"
        return try notebook.cell("Train with the Solver") { cell in
            var model = initial
            var restored: ResumableCheckpoint.Restored?
            if resume {
                guard let previous else {
                    throw CNNError.noCheckpoint(notebook.failedDirectory.appendingPathComponent("cnn.safetensors").path + " or " + finalCheckpoint.path)
                }
                let saved = try Checkpoint(contentsOf: previous)
                guard saved.metadata["architecture"] == architectureText else {
                    throw CNNError.otherArchitecture(path: previous.path, saved: saved.metadata["architecture"] ?? "unknown", wanted: architectureText)
                }
                try saved.load(into: &model, source: previous.path)
                let state = try ResumableCheckpoint.restore(saved, parameters: model.parameters, adam: Adam(), source: previous.path)
                model.parameters = state.state.parameters
                restored = state
                if previous.deletingLastPathComponent().standardizedFileURL == notebook.failedDirectory.standardizedFileURL {
                    notebook.continuesStoppedRun()
                }
                // The resumed run's own checkpoint starts as the one it resumed from.
                try saved.write(to: checkpoint)
                let done = state.state.epochsDone
                var line = String(format: "Resumed from %@: epoch %d done, best validation accuracy %.3f (epoch %d); ", previous.path, done,
                                  state.state.bestValidationAccuracy, state.state.bestEpoch)
                line += state.adamRestored ? "Adam's moments restored" : "Adam's moments restart (the checkpoint has no optimizer state)"
                if let reached = state.learningRate, done > 0, let planned = try? schedule.learningRate(epoch: done - 1), reached != planned {
                    line += String(format: "; its learning rate had reached %.1e, these flags' schedule gives %.1e there", reached, planned)
                }
                cell.say(line + ".")
                if let saving = saved.metadata["run"], saving != run {
                    cell.say("✗ The checkpoint's run had \(saving); this one has \(run): it goes on, but not as that run would have.")
                }
            }
            let done = restored?.state.epochsDone ?? 0
            let sample = min(50, data.train.labels.count)
            let imageShape = Array(data.train.images.shape.dropFirst())
            let x = Tensor(reshaping: Matrix(reshaping: data.train.images, rows: data.train.labels.count, cols: imageShape.reduce(1, *)).rows(0 ..< sample),
                           shape: [sample] + imageShape)
            var probe = model
            let first = try probe.loss(x, labels: Array(data.train.labels[0 ..< sample])).loss
            cell.say(resume
                ? String(format: "%@: loss %.4f on %d images at the checkpoint.", architectureText, first, sample)
                : architecture == nil
                    ? String(format: "%@: initial loss %.4f on %d images (ln 10 = %.4f with tiny weights and no regularization).",
                             architectureText, first, sample, log(10.0))
                    : String(format: "%@: initial loss %.4f on %d images (He et al.'s initial weights are not tiny, so the first loss "
                             + "is above ln 10 = %.4f).", architectureText, first, sample, log(10.0)))
            guard epochs > done else {
                cell.say(epochs == done ? "The checkpoint has all \(epochs) epochs already: nothing to train; its best epoch is tested."
                         : "The checkpoint has \(done) epoch\(done == 1 ? "" : "s") done and --epochs asks for \(epochs): nothing to train; its best epoch is tested.")
                if let restored {
                    model.parameters = restored.state.bestParameters
                    if !restored.epochs.isEmpty { epochTable(cell, restored.epochs) }
                }
                return (model, restored?.epochs ?? [], restored?.losses ?? [])
            }
            var solver = try Solver(model: model, training: data.train, validation: data.validation, updateRule: Adam(), schedule: schedule,
                                    epochs: epochs, batchSize: batchSize, seed: options.seed &+ 2)
            if let restored { try solver.resume(from: restored.state) }
            cell.say("Adam, learning rate \(learningRate) × \(learningRateDecay) per epoch, λ \(reg), \(epochs - done) epoch(s) of "
                     + "\(format(count: solver.iterationsPerEpoch)) minibatches of \(batchSize), on \(Parallelism.threadCount) thread(s). "
                     + "After every epoch the best epoch's parameters, with what --resume needs, are written to \(finalCheckpoint.path).")
            // The run's curves, the resumed run's earlier epochs first: kept in each checkpoint, shown whole.
            let record = RunRecord(epochs: restored?.epochs ?? [], losses: restored?.losses ?? [])
            var progress: ProgressLine?
            solver.progress = { p in
                record.losses.append(p.loss)
                if p.iteration == 1 { progress = ProgressLine("epoch \(p.epoch) iteration", total: p.iterationsPerEpoch) }
                progress?.update(p.iteration, detail: String(format: "loss %.3f, ", p.loss) + "\(format(count: Int(p.imagesPerSecond.rounded()))) images/s")
            }
            solver.log = { print($0) }
            let (architecture, normalisation, seed) = (architectureText, data.normalisation, options.seed)
            solver.epochEnded = { summary, state in
                record.epochs.append(EpochRecord(summary))
                try ResumableCheckpoint.make(state, learningRate: summary.learningRate, epochs: record.epochs, losses: record.losses, metadata: [
                    "architecture": architecture, "seed": "\(seed)", "run": run,
                    "channel_means;standard_deviations": normalisation,
                    "note": "CIFAR-10 images (N, 3, 32, 32), each channel c as (x - mean[c]) / std[c]",
                ]).write(to: checkpoint)
            }
            let (_, seconds) = try timed {
                do { try solver.train() } catch let error as SolverError {
                    cell.say("✗ Stopped: \(error). " + (solver.epochsDone == 0 ? "No epoch finished, so no checkpoint was written."
                        : String(format: "The best parameters so far (validation accuracy %.3f) are in %@.", solver.bestValidationAccuracy,
                                 notebook.failedDirectory.appendingPathComponent("cnn.safetensors").path)))
                    if case .diverged = error { cell.say(Self.divergenceHint(parameters: model.parameters, learningRate: learningRate)) }
                    throw error
                }
            }
            epochTable(cell, record.epochs)
            cell.say(String(format: "Trained in %@ (%@ images per second, %.1f ms per step); the best epoch is %d (validation accuracy %.3f).",
                            format(seconds: seconds), format(count: Int((Double(solver.lossHistory.count * batchSize) / seconds).rounded())),
                            1e3 * seconds / Double(max(solver.lossHistory.count, 1)), solver.bestEpoch, solver.bestValidationAccuracy))
            var trainedModel = solver.model
            trainedModel.parameters = solver.bestParameters
            return (trainedModel, record.epochs, record.losses)
        }
    }

    /// Why Adam diverges on a net with a wide layer, and what to type: measured on `--architecture conv32k33`
    /// and `conv32k3-relu` (a scores layer of 32,768 inputs), which diverge at 1e-3 even when their last
    /// layer starts so small that the first loss is ln 10, and train at 1e-4.
    static func divergenceHint(parameters: [String: Tensor], learningRate: Double) -> String {
        // A weight's inputs: the rows of an affine layer's (D, M), C · K · K of a convolution's (F, C, K, K).
        let widest = parameters.filter { $0.key.hasPrefix("W") && $0.value.rank >= 2 }
            .map { (name: $0.key, inputs: $0.value.rank == 2 ? $0.value.shape[0] : $0.value.shape.dropFirst().reduce(1, *)) }
            .max { ($0.inputs, $1.name) < ($1.inputs, $0.name) }
        let layer = widest.map { " (here \($0.name) takes \(format(count: $0.inputs)) inputs)" } ?? ""
        return "Adam moves every weight by about the learning rate at each step, whatever the size of its gradient, so the outputs "
            + "of a layer with many inputs move the most\(layer). "
            + String(format: "Try a smaller --learning-rate (e.g. %.0e), or pool before the last layers.", learningRate / 10)
    }

    /// The table of epochs: loss, accuracies, learning rate and time ("(an earlier run)" for a resumed run's earlier epochs).
    private func epochTable(_ cell: Cell, _ epochs: [EpochRecord]) {
        cell.table(["epoch", "loss", "train", "validation", "learning rate", "time"], epochs.map { e in
            ["\(e.epoch)", String(format: "%.3f", e.loss), String(format: "%.3f", e.trainAccuracy),
             String(format: "%.3f", e.validationAccuracy), String(format: "%.1e", e.learningRate),
             e.seconds.map { format(seconds: $0) } ?? "(an earlier run)"]
        })
    }

    /// conv1_filters.png and feature_maps.png from the first layer's weights.
    private func drawFirstLayer(_ cell: Cell, _ parameters: [String: Tensor], _ data: PreparedData) throws {
        guard let w = parameters["W1"], let b = parameters["b1"], w.rank == 4 else { return }
        let (f, c, k) = (w.shape[0], w.shape[1], w.shape[2])
        let rows = Matrix(reshaping: w, rows: f, cols: c * k * k)
        var grid = ImageGrid(scale: 6, padding: 2)
        let tiles = (0 ..< f).map { templateImages(fromRows: rows.rows($0 ..< $0 + 1), channels: c, height: k, width: k)[0] }
        for start in stride(from: 0, to: tiles.count, by: 8) { grid.addRow(tiles[start ..< min(start + 8, tiles.count)].map { GridCell($0) }) }
        try cell.picture(grid.makeImage(), file: "conv1_filters.png", caption: "The \(f) first-layer filters (\(k) × \(k), colour), each rescaled to its own range and enlarged six times.")
        let image = Tensor(reshaping: Matrix(reshaping: data.test.images, rows: data.test.labels.count, cols: 3_072).rows(0 ..< 1), shape: [1, 3, 32, 32])
        let maps = try reluForward(try convForwardFast(image, w, b, stride: 1, padding: (k - 1) / 2).out).out
        var features = ImageGrid(scale: 3, padding: 2)
        let raw = try CIFAR10.loadTestImages(from: dataset.directory, count: 1)
        features.addRow([GridCell(RGBImage(width: 32, height: 32, bytes: CIFAR10.hwcBytes(row: 0, of: raw.images)), caption: data.classNames[raw.labels[0]])])
        let plane = maps.shape[2] * maps.shape[3]
        let mapImages = (0 ..< maps.shape[1]).map { m in
            RGBImage(GrayImage(scaling: Matrix(rows: maps.shape[2], cols: maps.shape[3], Array(maps.storage[m * plane ..< (m + 1) * plane]))))
        }
        for start in stride(from: 0, to: mapImages.count, by: 8) { features.addRow(mapImages[start ..< min(start + 8, mapImages.count)].map { GridCell($0) }) }
        try cell.picture(features.makeImage(), file: "feature_maps.png", caption: "The first test image and its \(mapImages.count) activation maps after the first conv – ReLU, each rescaled to its own range (white: strongest).")
    }
}

/// The program's own errors, with what to do.
enum CNNError: Error, CustomStringConvertible {
    case noCheckpoint(String)
    case otherArchitecture(path: String, saved: String, wanted: String)
    case badState(path: String, reason: String)

    var description: String {
        switch self {
        case let .noCheckpoint(paths): return "--resume: there is no checkpoint at \(paths) yet; run once without --resume (with the same --output)"
        case let .otherArchitecture(path, saved, wanted):
            return "--resume: \(path) holds a net of another architecture (\(saved)), not \(wanted); resume with the same --architecture "
                + "(or --filters, --filter-size, --hidden-size), or use another --output"
        case let .badState(path, reason):
            return "--resume: the training state in \(path) does not fit the net: \(reason); start afresh with another --output"
        }
    }
}

/// The modification date of a file, if it has one.
private func modified(_ url: URL) -> Date? {
    (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
}

/// What a training run has done so far, filled in by the Solver's callbacks.
private final class RunRecord {
    var epochs: [EpochRecord]
    var losses: [Double]

    init(epochs: [EpochRecord], losses: [Double]) { (self.epochs, self.losses) = (epochs, losses) }
}
