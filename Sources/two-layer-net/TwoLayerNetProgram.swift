import ArgumentParser
import ChapterSupport
import Datasets
import Foundation
import GradientCheck
import LinearAlgebra
import Pictures
import Training
import Workbook

/// `swift run -c release two-layer-net`: chapter 4 on real CIFAR-10, cell by cell, with the Workbook's
/// two-layer net, update rules, schedules and initializations, trained by the given `Solver`.
@main
struct TwoLayerNetProgram: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "two-layer-net",
        abstract: "Chapter 4: a two-layer neural network on CIFAR-10, and the practice of training it, with your code.",
        discussion: """
            Runs the chapter as a notebook, cell by cell: load and split the data (49,000 training, 1,000 validation, \
            1,000 test images), normalise each colour channel; the lecture's sanity checks (the initial loss, the loss \
            with regularization, overfitting 20 images); train the net with the Solver (SGD with momentum and step decay \
            by default), keeping the best parameters as a .safetensors checkpoint; a few short runs at too low, too high \
            and good learning rates; a random search, coarse then fine, over learning rate, regularization and hidden \
            size; the best net on the test set; the six update rules on a small problem; and the initialization \
            experiment (ten tanh or ReLU layers). Writes loss_history.svg, accuracy.svg, first_layer_weights.png, \
            learning_rates.svg, hyperparameter_search.svg, update_rules.svg, activations_<init>.svg, \
            two_layer_net.safetensors and report.md to --output.

            The checkpoint loads in Python with `safetensors.numpy.load_file(...)`; --load reads one back (its shapes must \
            fit --hidden-size) and continues training from it, or only evaluates it with --epochs 0.

            Examples:
              swift run -c release two-layer-net
                  the default run (a few minutes)
              swift run -c release two-layer-net --update-rule adam --learning-rate 1e-3
              swift run -c release two-layer-net --epochs 0 \\
                  --load out/two-layer-net/two_layer_net.safetensors
                  evaluates a checkpoint without training
              swift run -c release two-layer-net --quick
                  a run of seconds
            """)

    @OptionGroup var options: ProgramOptions
    @OptionGroup var dataset: DataOptions

    // Optional so that --quick fills in only the numbers not given: a number typed on the command line wins.

    @Option(name: .customLong("hidden-size"), parsing: .unconditional, help: ArgumentHelp(
        "Hidden units of the net (default: 200; 50 with --quick).", valueName: "n"))
    var givenHiddenSize: Int?

    @Option(name: .customLong("epochs"), parsing: .unconditional, help: ArgumentHelp(
        "Passes over the training set (default: 10; 3 with --quick). 0 only evaluates the net given by --load.", valueName: "n"))
    var givenEpochs: Int?

    @Option(name: .long, parsing: .unconditional, help: "Images per minibatch; each epoch is a fresh permutation of the training set.")
    var batchSize = 200

    @Option(name: .long, help: "The update rule: sgd, momentum, nesterov, adagrad, rmsprop or adam.")
    var updateRule: UpdateRuleKind = .momentum

    @Option(name: .long, parsing: .unconditional, help: "The learning rate of the first epoch.")
    var learningRate = 1e-2

    @Option(name: .long, parsing: .unconditional, help: "Step decay: the learning rate is multiplied by this after every epoch (1 keeps it).")
    var learningRateDecay = 0.9

    @Option(name: .long, parsing: .unconditional, help: "Regularization strength λ of the L2 penalty λ Σ W² (weights only).")
    var reg = 1e-3

    @Option(name: .long, parsing: .unconditional, help: "Standard deviation of the initial weights.")
    var weightScale = 1e-2

    @Option(name: .customLong("search-trials"), parsing: .unconditional, help: ArgumentHelp(
        "Settings of the search's coarse stage; 0 skips the search (default: 8; 2 with --quick).", valueName: "n"))
    var givenSearchTrials: Int?

    @Option(name: .customLong("fine-trials"), parsing: .unconditional, help: ArgumentHelp(
        "Settings of the search's fine stage, around the best coarse ones (default: 3; 1 with --quick).", valueName: "n"))
    var givenFineTrials: Int?

    @Option(name: .customLong("search-epochs"), parsing: .unconditional, help: ArgumentHelp(
        "Epochs of each coarse setting (default: 2; 1 with --quick).", valueName: "n"))
    var givenSearchEpochs: Int?

    @Option(name: .customLong("fine-epochs"), parsing: .unconditional, help: ArgumentHelp(
        "Epochs of each fine setting: the fine stage trains longer (default: 5; 1 with --quick).", valueName: "n"))
    var givenFineEpochs: Int?

    @Option(name: .long, help: ArgumentHelp("A .safetensors checkpoint to start from (W1, b1, W2, b2 of the net's shapes).", valueName: "file"))
    var load: String?

    @Flag(name: [.customLong("quick"), .customLong("smoke-test")], help: """
        A quick check that everything runs: 2,000 training images, hidden size 50, 3 epochs, a search of 2 + 1 settings of 1 \
        epoch. --hidden-size, --epochs, --search-trials, --fine-trials, --search-epochs and --fine-epochs, if given, win over \
        these numbers.
        """)
    var quick = false

    func validate() throws {
        try requirePositive(hiddenSize, flag: "--hidden-size")
        if epochs == 0 && load == nil {
            throw ValidationError("--epochs 0 only evaluates a checkpoint: give it with --load FILE, or train for at least one epoch")
        }
        if load == nil || epochs != 0 { try requirePositive(epochs, flag: "--epochs") }
        try requirePositive(batchSize, flag: "--batch-size")
        guard batchSize <= splitCounts.train else {
            throw ValidationError("""
                --batch-size \(batchSize) is larger than the \(splitCounts.train) training images: a minibatch is a small \
                part of the training set (the course uses 200)
                """)
        }
        try requirePositive(learningRate, flag: "--learning-rate")
        guard learningRateDecay > 0, learningRateDecay <= 1 else {
            throw ValidationError("--learning-rate-decay must be above 0 and at most 1, got \(String(format: "%g", learningRateDecay))")
        }
        try requireNotNegative(reg, flag: "--reg")
        try requirePositive(weightScale, flag: "--weight-scale")
        try requireNotNegative(searchTrials, flag: "--search-trials")
        try requireNotNegative(fineTrials, flag: "--fine-trials")
        try requirePositive(searchEpochs, flag: "--search-epochs")
        try requirePositive(fineEpochs, flag: "--fine-epochs")
    }

    func run() throws {
        let notebook = try Notebook(title: "Chapter 4 · a two-layer neural network", program: "two-layer-net", track: workbookTrack,
                                    options: options, chapterTests: "NeuralNetworkTests", preset: quick ? "quick" : nil)
        do {
            guard let data = try loadData(notebook) else { return try notebook.finish() }
            try sanityChecks(notebook, data)
            let trained = try trainDefault(notebook, data)
            try learningRatePicture(notebook, data)
            let searched = try search(notebook, data)
            try testBest(notebook, data, trained: trained, searched: searched)
            try compareUpdateRules(notebook, data)
            try initializationExperiment(notebook)
            try notebook.finish()
        } catch {
            // An error between cells goes into the report too (a cell's own error has stopped the run
            // already). The Notebook's last line names the checkpoint the stopped run keeps ("kept with it").
            notebook.stop(reason: "\(error)")
            throw error
        }
    }

    // MARK: Settings

    /// The course's 49,000 / 1,000 / 1,000, or a small split with --quick.
    var splitCounts: (train: Int, validation: Int, test: Int) {
        quick ? (train: 2_000, validation: 200, test: 200) : (train: 49_000, validation: 1_000, test: 1_000)
    }

    var hiddenSize: Int { givenHiddenSize ?? (quick ? 50 : 200) }
    var epochs: Int { givenEpochs ?? (quick ? 3 : 10) }
    var searchTrials: Int { givenSearchTrials ?? (quick ? 2 : 8) }
    var fineTrials: Int { givenFineTrials ?? (quick ? 1 : 3) }
    var searchEpochs: Int { givenSearchEpochs ?? (quick ? 1 : 2) }
    var fineEpochs: Int { givenFineEpochs ?? (quick ? 1 : 5) }

    /// The checkpoint's file name; it is written into the run's folder (`Notebook.fileURL`).
    static let checkpointName = "two_layer_net.safetensors"

    /// A warning when the checkpoint at `path`, with `metadata`, may have been trained on this run's
    /// validation images (CIFAR-10 training records `train ..< train + validation` of ``splitCounts``),
    /// so that its validation accuracy here would be partly a training accuracy; nil when it cannot
    /// have been. The checkpoint's "training_records" ("0..<49000") says which records it was trained
    /// on; a checkpoint without it is suspect only with --quick, whose validation images lie among a
    /// default run's training images. The test images (test records) are never trained on.
    func trainedOnValidationImages(_ metadata: [String: String], path: String) -> String? {
        let validation = splitCounts.train ..< splitCounts.train + splitCounts.validation
        let these = "this run's \(validation.count) validation images (training records \(validation.lowerBound) ..< \(validation.upperBound))"
        let bounds = metadata["training_records"]?.components(separatedBy: "..<").compactMap { Int($0) } ?? []
        if bounds.count == 2, bounds[0] <= bounds[1] {
            guard (bounds[0] ..< bounds[1]).overlaps(validation) else { return nil }
            return "⚠ \(path) was trained on CIFAR-10 training records \(bounds[0]) ..< \(bounds[1]), which include \(these): "
                + "its validation accuracy here is partly a training accuracy. Its test accuracy is still on images it never saw."
        }
        guard quick else { return nil }
        return "⚠ \(path) does not say which images it was trained on; if by a default run (training records 0 ..< 49000), "
            + "those include \(these), and its validation accuracy here is partly a training accuracy."
    }

    /// A fresh net of the given size, seeded from --seed.
    func makeNet(hiddenSize: Int, weightScale: Double, reg: Double, seed: UInt64) throws -> TwoLayerNet {
        try TwoLayerNet(inputSize: CIFAR10.featureCount, hiddenSize: hiddenSize, classCount: CIFAR10.classCount,
                        weightScale: weightScale, reg: reg, seed: seed)
    }

    // MARK: Cells

    private func loadData(_ notebook: Notebook) throws -> PreparedData? {
        try notebook.cell("Load CIFAR-10, split it and normalise each channel") { cell in
            let counts = splitCounts
            let split = try cell.loadNormalizedSplit(from: dataset.directory, trainCount: counts.train, validationCount: counts.validation,
                                                     testCount: counts.test, seed: options.seed)
            let (means, deviations) = (split.channelMeans, split.channelDeviations)
            func prepared(_ part: NormalizedSplit.Part) -> Part {
                Part(images: Tensor(reshaping: part.images, shape: [part.images.rows, part.images.cols]), labels: part.labels)
            }
            let data = PreparedData(train: prepared(split.train), validation: prepared(split.validation), test: prepared(split.test),
                                    classNames: split.classNames, channelMeans: means, channelDeviations: deviations)
            cell.table(["part", "images", "use"], [
                ["train", "\(data.train.count)", "the Solver's minibatches"],
                ["validation", "\(data.validation.count)", "the best epoch, the learning rate, regularization and hidden size"],
                ["test", "\(data.test.count)", "the chosen net, once"],
            ])
            cell.say("Each colour channel is centred and scaled by the training images' mean and standard deviation (R, G, B means "
                     + means.map { String(format: "%.1f", $0) }.joined(separator: ", ") + "; deviations "
                     + deviations.map { String(format: "%.1f", $0) }.joined(separator: ", ") + ", of 255).")
            return data
        }
    }

    /// The lecture's checks before training: the initial loss, the loss with regularization, overfitting 20 images.
    private func sanityChecks(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("Sanity checks") { cell in
            let n = min(200, data.train.count)
            let x = data.train.rows(0 ..< n)
            var net = try makeNet(hiddenSize: hiddenSize, weightScale: 1e-4, reg: 0, seed: options.seed &+ 1)
            let plain = try net.loss(x.images, labels: x.labels).loss
            net.reg = 1e3
            let regularized = try net.loss(x.images, labels: x.labels).loss
            let squares = ["W1", "W2"].map { net.parameters[$0]!.storage.reduce(0) { $0 + $1 * $1 } }.reduce(0, +)
            cell.table(["check", "loss", "expected", "why"], [
                ["weights 1e-4 · randn, λ = 0", String(format: "%.4f", plain), String(format: "%.4f", log(10.0)),
                 "tiny scores give each class probability 1/10: ln 10"],
                ["the same, λ = 1e3", String(format: "%.4f", regularized), String(format: "%.4f", log(10.0) + 1e3 * squares),
                 String(format: "ln 10 + λ Σ W² (Σ W² = %.3g); the lecture's ½ λ Σ W² would add half as much", squares)],
            ])
            if abs(plain - log(10.0)) > 0.05 { cell.say(String(format: "✗ The initial loss %.4f is not within 0.05 of ln 10: check the softmax loss.", plain)) }
            if !(regularized > plain) { cell.say("✗ The loss did not rise with regularization: check the L2 term of the loss.") }

            // Overfitting a tiny set: a net that cannot reach 100% here has a bug.
            let tiny = data.train.rows(0 ..< min(20, data.train.count))
            var solver = try Solver(model: try makeNet(hiddenSize: hiddenSize, weightScale: weightScale, reg: 0, seed: options.seed &+ 2),
                                    training: (tiny.images, tiny.labels), validation: (tiny.images, tiny.labels),
                                    updateRule: SGDMomentum(momentum: 0.9), schedule: StepDecay(initial: 1e-2, factor: 1, every: 1),
                                    epochs: 40, batchSize: tiny.count, seed: options.seed &+ 3)
            try solver.train()
            let final = solver.epochHistory.last!
            cell.say(String(format: "Overfitting %d training images (no regularization, SGD with momentum, learning rate 1e-2, %d steps): training accuracy %.3f, loss %.2e%@.",
                            tiny.count, solver.lossHistory.count, final.trainAccuracy, solver.lossHistory.last ?? .nan,
                            final.trainAccuracy == 1 ? " (as it should be)" : " ✗ (it should reach 1.000: check the gradients)"))
        }
    }

    /// The run of the chapter: the Solver with the flags' settings, its log, pictures and checkpoint.
    private func trainDefault(_ notebook: Notebook, _ data: PreparedData) throws -> TrainedNet? {
        try notebook.cell("Training with the Solver") { cell -> TrainedNet? in
            var net = try makeNet(hiddenSize: hiddenSize, weightScale: weightScale, reg: reg, seed: options.seed &+ 4)
            if let load {
                let saved = try Checkpoint(contentsOf: URL(fileURLWithPath: load))
                try saved.load(into: &net, source: load)
                let accuracy = try Training.accuracy(of: net, images: data.validation.images, labels: data.validation.labels)
                cell.say(String(format: "Loaded %@: validation accuracy %.3f.", load, accuracy))
                if let warning = trainedOnValidationImages(saved.metadata, path: load) { cell.say(warning) }
                if epochs == 0 {
                    return TrainedNet(net: net, validationAccuracy: accuracy, setting: "loaded from \(load)")
                }
            }
            let setting = "hidden size \(hiddenSize), \(updateRule.title), learning rate \(format(learningRate)) × \(format(learningRateDecay)) per epoch, λ \(format(reg)), weight scale \(format(weightScale))"
            cell.say("\(setting); \(epochs) epochs of \(data.train.count / batchSize) minibatches of \(batchSize). The best epoch's parameters are written to \(Self.checkpointName) as soon as they appear.")
            var solver = try Solver(model: net, training: (data.train.images, data.train.labels),
                                    validation: (data.validation.images, data.validation.labels),
                                    updateRule: updateRule.rule, schedule: StepDecay(initial: learningRate, factor: learningRateDecay, every: 1),
                                    epochs: epochs, batchSize: batchSize, seed: options.seed &+ 5)
            var progress: ProgressLine?
            solver.progress = { p in
                if p.iteration == 1 { progress = ProgressLine("epoch \(p.epoch) iteration", total: p.iterationsPerEpoch) }
                progress?.update(p.iteration, detail: String(format: "loss %.3f, ", p.loss) + "\(format(count: Int(p.imagesPerSecond.rounded()))) images/s")
            }
            solver.log = { print($0) }
            let checkpoint = notebook.fileURL(Self.checkpointName), seed = options.seed, trainingRecords = "0..<\(data.train.count)"
            let normalisation = NormalizedSplit.normalisationMetadata(means: data.channelMeans, deviations: data.channelDeviations)
            solver.newBest = { summary, parameters in
                try Checkpoint(tensors: parameters, metadata: [
                    "channel_means;standard_deviations": normalisation,
                    "model": "TwoLayerNet", "hidden_size": "\(hiddenSize)", "epoch": "\(summary.epoch)",
                    "validation_accuracy": String(format: "%.4f", summary.validationAccuracy), "seed": "\(seed)",
                    "training_records": trainingRecords,
                    "note": "CIFAR-10 images as rows of 3,072 (C, H, W) values 0-255, each channel c as (x - mean[c]) / std[c]; scores = relu(x W1 + b1) W2 + b2",
                ]).write(to: checkpoint)
            }
            var stopped: Error?
            let (_, seconds) = try timed {
                do { try solver.train() } catch let error as SolverError {
                    guard case .diverged = error else { throw error }
                    stopped = error
                }
            }
            cell.table(["epoch", "loss", "train", "validation", "learning rate", "‖ΔW1‖/‖W1‖", "‖ΔW2‖/‖W2‖", "time"], solver.epochHistory.map { e in
                ["\(e.epoch)", String(format: "%.3f", e.loss), String(format: "%.3f", e.trainAccuracy), String(format: "%.3f", e.validationAccuracy),
                 String(format: "%.1e", e.learningRate), String(format: "%.1e", e.updateRatios["W1"] ?? .nan),
                 String(format: "%.1e", e.updateRatios["W2"] ?? .nan), format(seconds: e.seconds)]
            })
            try drawTraining(cell, solver, setting: setting)
            if let stopped {
                cell.say("✗ Stopped: \(stopped). " + (solver.epochHistory.isEmpty ? "No epoch finished, so no checkpoint was written."
                    : String(format: "The best parameters so far (validation accuracy %.3f) are kept in %@ with the partial report.", solver.bestValidationAccuracy,
                             notebook.failedDirectory.appendingPathComponent(Self.checkpointName).path)))
                throw stopped
            }
            net.parameters = solver.bestParameters
            let best = solver.bestValidationAccuracy
            cell.say(String(format: "Trained in %@ (%@ images per second): best validation accuracy %.3f; the lecture's rule of thumb for the update/weight ratio is about 1e-3. Checkpoint: %@.",
                            format(seconds: seconds), format(count: Int((Double(solver.lossHistory.count * batchSize) / seconds).rounded())), best,
                            notebook.directory.appendingPathComponent(Self.checkpointName).path))
            return TrainedNet(net: net, validationAccuracy: best, setting: setting)
        } ?? nil
    }

    private func drawTraining(_ cell: Cell, _ solver: Solver<TwoLayerNet>, setting: String) throws {
        var losses = LinePlot(title: "Training loss (\(updateRule.title))", xLabel: "iteration", yLabel: "minibatch loss")
        losses.addSeries("", x: solver.lossHistory.indices.map { Double($0 + 1) }, y: solver.lossHistory)
        try cell.plot(losses, file: "loss_history.svg", caption: "The loss of every minibatch of \(batchSize) images (\(setting)).")
        var accuracy = LinePlot(title: "Classification accuracy", xLabel: "epoch", yLabel: "accuracy")
        let epochs = solver.epochHistory.map { Double($0.epoch) }
        accuracy.addSeries("train (fixed sample of 1,000)", x: epochs, y: solver.epochHistory.map(\.trainAccuracy))
        accuracy.addSeries("validation", x: epochs, y: solver.epochHistory.map(\.validationAccuracy))
        try cell.plot(accuracy, file: "accuracy.svg", caption: "Training and validation accuracy after each epoch: a widening gap is overfitting (raise λ); no gap at a low accuracy, too small a model.")
        let w1 = solver.bestParameters["W1"]!
        let columns = Matrix(reshaping: w1, rows: w1.shape[0], cols: w1.count / w1.shape[0]).transposed        // (H, 3072)
        let images = templateImages(fromRows: columns, channels: CIFAR10.channelCount, height: CIFAR10.imageHeight, width: CIFAR10.imageWidth)
        var grid = ImageGrid(scale: 2, padding: 2)
        for start in stride(from: 0, to: images.count, by: 20) {
            grid.addRow(images[start ..< min(start + 20, images.count)].map { GridCell($0) })
        }
        try cell.picture(grid.makeImage(), file: "first_layer_weights.png", caption: """
            The \(images.count) columns of W1 of the best epoch, each a 32 × 32 colour template, rescaled together: \
            smooth colour blobs and edges are learned features; pure noise means too little training or too little regularization.
            """)
    }

    /// A few short runs at a too low, a too high and a good learning rate, their losses in one plot.
    private func learningRatePicture(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("Learning rates: too low, too high, good") { cell in
            let subset = data.train.rows(0 ..< min(10_000, data.train.count))
            let batch = min(batchSize, subset.count)
            let rates: [(String, Double)] = [("too low", learningRate / 100), ("good", learningRate), ("too high", learningRate * 30)]
            cell.say("SGD with momentum for 2 epochs on \(subset.count) training images, hidden size \(hiddenSize), λ \(format(reg)), at three learning rates.")
            var plot = LinePlot(title: "Loss at three learning rates", xLabel: "iteration", yLabel: "minibatch loss (log scale)", logarithmicY: true)
            var rows: [[String]] = []
            for (k, (name, rate)) in rates.enumerated() {
                var solver = try Solver(model: try makeNet(hiddenSize: hiddenSize, weightScale: weightScale, reg: reg, seed: options.seed &+ 6),
                                        training: (subset.images, subset.labels), validation: (data.validation.images, data.validation.labels),
                                        updateRule: SGDMomentum(momentum: 0.9), schedule: StepDecay(initial: rate, factor: 1, every: 1),
                                        epochs: 2, batchSize: batch, seed: options.seed &+ 7 &+ UInt64(k))
                var outcome: String
                do {
                    try solver.train()
                    outcome = String(format: "validation accuracy %.3f", solver.bestValidationAccuracy)
                } catch let error as SolverError {
                    guard case .diverged = error else { throw error }
                    outcome = "\(error)"
                }
                plot.addSeries("\(name): \(format(rate))", x: solver.lossHistory.indices.map { Double($0 + 1) }, y: solver.lossHistory)
                rows.append([name, format(rate), solver.lossHistory.last.map { String(format: "%.3f", $0) } ?? "—", outcome])
            }
            cell.table(["", "learning rate", "last loss", "outcome"], rows)
            try cell.plot(plot, file: "learning_rates.svg", caption: "Too low a learning rate barely moves the loss; too high a one makes it explode (the Solver stops it); a good one falls fast, then levels.")
        }
    }

    /// Random search in log space, coarse then fine, over learning rate, λ and hidden size.
    private func search(_ notebook: Notebook, _ data: PreparedData) throws -> TrainedNet? {
        guard searchTrials > 0 else { return nil }
        return try notebook.cell("Hyperparameter search: random, coarse then fine") { cell -> TrainedNet? in
            let ranges = [HyperparameterSearch.Range("learning rate", 2e-3, 5e-2), HyperparameterSearch.Range("λ", 1e-4, 1e-2),
                          HyperparameterSearch.Range("hidden size", 100, 400, integer: true)]
            cell.say("\(searchTrials) coarse settings of \(searchEpochs) epoch\(searchEpochs == 1 ? "" : "s"), then \(fineTrials) fine one\(fineTrials == 1 ? "" : "s") of \(fineEpochs) epoch\(fineEpochs == 1 ? "" : "s") around the best \(min(3, searchTrials)), drawn log-uniformly: "
                     + ranges.map { "\($0.name) in [\(format($0.low)), \(format($0.high))]" }.joined(separator: ", ")
                     + "; \(updateRule.title), learning rate × \(format(learningRateDecay)) per epoch; the validation accuracy decides.")
            var search = HyperparameterSearch(ranges: ranges, coarseTrials: searchTrials, fineTrials: fineTrials, seed: options.seed &+ 8)
            var nets: [Int: TrainedNet] = [:]
            var progress = ProgressLine("setting", total: searchTrials + fineTrials)
            let results = try search.run { trial in
                let (rate, strength, hidden) = (trial.values["learning rate"]!, trial.values["λ"]!, Int(trial.values["hidden size"]!))
                var net = try makeNet(hiddenSize: hidden, weightScale: weightScale, reg: strength, seed: options.seed &+ 9 &+ UInt64(trial.number))
                var solver = try Solver(model: net, training: (data.train.images, data.train.labels),
                                        validation: (data.validation.images, data.validation.labels), updateRule: updateRule.rule,
                                        schedule: StepDecay(initial: rate, factor: learningRateDecay, every: 1),
                                        epochs: trial.stage == .coarse ? searchEpochs : fineEpochs, batchSize: batchSize,
                                        seed: options.seed &+ 100 &+ UInt64(trial.number))
                defer {
                    let best = nets.values.map(\.validationAccuracy).max()
                    progress.update(trial.number, detail: best.map { String(format: "best validation accuracy %.3f", $0) } ?? "")
                }
                do {
                    try solver.train()
                } catch let error as SolverError {
                    guard case .diverged = error else { throw error }
                    return .failed("diverged")
                }
                net.parameters = solver.bestParameters
                let setting = "hidden size \(hidden), learning rate \(format(rate)), λ \(format(strength)) (search setting \(trial.number))"
                nets[trial.number] = TrainedNet(net: net, validationAccuracy: solver.bestValidationAccuracy, setting: setting)
                return .trained(validationAccuracy: solver.bestValidationAccuracy, trainAccuracy: solver.epochHistory.last!.trainAccuracy)
            }
            cell.table(["#", "stage", "learning rate", "λ", "hidden size", "train", "validation"], results.map { r in
                let v = r.trial.values
                let scores: [String]
                switch r.outcome {
                case let .trained(validation, train): scores = [String(format: "%.3f", train), String(format: "%.3f", validation)]
                case let .failed(reason): scores = ["—", reason]
                }
                return ["\(r.trial.number)", r.trial.stage.rawValue, format(v["learning rate"]!), format(v["λ"]!), "\(Int(v["hidden size"]!))"] + scores
            })
            var plot = ColorScatterPlot(title: "Random search: validation accuracy", xLabel: "learning rate", yLabel: "regularization strength λ",
                                        colorLabel: "validation accuracy", logarithmicX: true, logarithmicY: true)
            for r in results {
                if let accuracy = r.outcome.validationAccuracy { plot.addPoint(x: r.trial.values["learning rate"]!, y: r.trial.values["λ"]!, value: accuracy) }
            }
            try cell.plot(plot, file: "hyperparameter_search.svg", caption: "Each point is one setting (coarse and fine), coloured by its best validation accuracy; the best is ringed.")
            guard let best = results.best, let net = nets[best.trial.number] else {
                cell.say("Every setting diverged: lower the learning-rate range.")
                return nil
            }
            cell.say(String(format: "Best: %@, validation accuracy %.3f.", net.setting, net.validationAccuracy))
            return net
        } ?? nil
    }

    /// The net with the best validation accuracy, on the test set, once.
    private func testBest(_ notebook: Notebook, _ data: PreparedData, trained: TrainedNet?, searched: TrainedNet?) throws {
        let candidates = [("the training run", trained), ("the search", searched)].compactMap { name, net in net.map { (name, $0) } }
        guard !candidates.isEmpty else { return }
        try notebook.cell("The best net on the test set") { cell in
            let chosen = candidates.max { $0.1.validationAccuracy < $1.1.validationAccuracy }!
            cell.table(["net", "setting", "validation", "test"], try candidates.map { name, net in
                let test = try Training.accuracy(of: net.net, images: data.test.images, labels: data.test.labels)
                return [name + (name == chosen.0 ? " (chosen)" : ""), net.setting, String(format: "%.3f", net.validationAccuracy), String(format: "%.3f", test)]
            })
            cell.say("The net is chosen by its validation accuracy; its test accuracy (\(data.test.count) images) estimates how it does on new images. The course asks for more than 0.48 on validation.")
            if chosen.0 == "the search" {
                let url = notebook.fileURL("search_best.safetensors")
                try Checkpoint(tensors: chosen.1.net.parameters, metadata: ["model": "TwoLayerNet", "setting": chosen.1.setting,
                                                                            "training_records": "0..<\(data.train.count)"]).write(to: url)
                cell.say("The search's best net is written to \(notebook.directory.appendingPathComponent(url.lastPathComponent).path).")
            }
        }
    }

    /// The six update rules on one small problem, their losses in one plot.
    private func compareUpdateRules(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("Update rules compared") { cell in
            let subset = data.train.rows(0 ..< min(quick ? 500 : 4_000, data.train.count))
            let epochs = quick ? 3 : 5, batch = 100
            cell.say("\(subset.count) training images, hidden size 100, λ 0, \(epochs) epochs of batches of \(batch), the same initial weights and minibatches for every rule.")
            var plot = LinePlot(title: "Update rules", xLabel: "iteration", yLabel: "minibatch loss")
            var rows: [[String]] = []
            for kind in UpdateRuleKind.allCases {
                var solver = try Solver(model: try makeNet(hiddenSize: 100, weightScale: weightScale, reg: 0, seed: options.seed &+ 10),
                                        training: (subset.images, subset.labels), validation: (data.validation.images, data.validation.labels),
                                        updateRule: kind.rule, schedule: StepDecay(initial: kind.comparisonLearningRate, factor: 1, every: 1),
                                        epochs: epochs, batchSize: min(batch, subset.count), seed: options.seed &+ 11)
                var outcome = ""
                do { try solver.train() } catch let error as SolverError {
                    guard case .diverged = error else { throw error }
                    outcome = "\(error)"
                }
                plot.addSeries(kind.title, x: solver.lossHistory.indices.map { Double($0 + 1) }, y: solver.lossHistory)
                let last = solver.epochHistory.last
                rows.append([kind.title, format(kind.comparisonLearningRate), solver.lossHistory.last.map { String(format: "%.3f", $0) } ?? "—",
                             last.map { String(format: "%.3f", $0.trainAccuracy) } ?? "—", last.map { String(format: "%.3f", $0.validationAccuracy) } ?? outcome])
            }
            cell.table(["rule", "learning rate", "last loss", "train", "validation"], rows)
            try cell.plot(plot, file: "update_rules.svg", caption: "The minibatch loss under each update rule, from the same start: momentum and the adaptive rules fall faster than plain SGD.")
        }
    }

    /// Ten layers of 500 units on 1,000 Gaussian inputs: the activations' spread per layer under each initialization.
    private func initializationExperiment(_ notebook: Notebook) throws {
        try notebook.cell("Initialization: activations through ten layers") { cell in
            let (layers, width, n) = (10, 500, quick ? 200 : 1_000)
            cell.say("\(n) inputs of \(width) standard normal values through \(layers) layers of \(width) units (no biases); the mean and standard deviation of each layer's outputs.")
            let experiments: [(file: String, title: String, initialization: WeightInitialization, relu: Bool)] = [
                ("small_random", "0.01 · randn, tanh", .smallRandom(scale: 0.01), false),
                ("large_random", "1.0 · randn, tanh", .smallRandom(scale: 1.0), false),
                ("xavier_tanh", "Xavier, tanh", .xavier, false),
                ("xavier_relu", "Xavier, ReLU", .xavier, true),
                ("he_relu", "He, ReLU", .he, true),
            ]
            var columns: [[String]] = []
            for (k, experiment) in experiments.enumerated() {
                var rng = SeededGenerator(seed: options.seed &+ 12 &+ UInt64(k))
                var h = Tensor.gaussian([n, width], using: &rng)
                var plot = LinePlot(title: "Activations per layer: \(experiment.title)", xLabel: "activation", yLabel: "fraction of units")
                var column: [String] = []
                for layer in 1 ... layers {
                    let w = try experiment.initialization.weights(fanIn: width, fanOut: width, using: &rng)
                    let z = Tensor(reshaping: matmul(Matrix(reshaping: h, rows: n, cols: width), Matrix(reshaping: w, rows: width, cols: width)), shape: [n, width])
                    h = experiment.relu ? try reluForward(z).out : try tanhForward(z).out
                    let values = h.storage
                    let mean = values.reduce(0, +) / Double(values.count)
                    let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
                    column.append(String(format: "%.2g / %.2g", mean, deviation))
                    let (centres, fractions) = histogram(values, bins: 40)
                    plot.addSeries("layer \(layer)", x: centres, y: fractions)
                }
                columns.append(column)
                try cell.plot(plot, file: "activations_\(experiment.file).svg",
                              caption: "Histograms of the outputs of each of the \(layers) layers, \(experiment.title).")
            }
            cell.say("Mean / standard deviation of each layer's outputs:")
            cell.table(["layer"] + experiments.map(\.title), (0 ..< layers).map { layer in ["\(layer + 1)"] + columns.map { $0[layer] } })
            cell.say("Small weights shrink the activations to zero layer after layer (and with them the gradients); large ones saturate tanh at ±1; Xavier (Glorot & Bengio 2010) keeps tanh's spread; ReLU halves the variance at each layer, which He et al. (2015) make up for with a factor 2.")
        }
    }
}

/// `bins` equal bins from the smallest to the largest value: their centres and the fraction of values in each.
func histogram(_ values: [Double], bins: Int) -> (centres: [Double], fractions: [Double]) {
    guard let low = values.min(), let high = values.max(), high > low else { return ([values.first ?? 0], [1]) }
    let width = (high - low) / Double(bins)
    var counts = [Int](repeating: 0, count: bins)
    for v in values { counts[min(bins - 1, Int((v - low) / width))] += 1 }
    return ((0 ..< bins).map { low + (Double($0) + 0.5) * width }, counts.map { Double($0) / Double(values.count) })
}

/// One part of the data: images (N, 3072) as a tensor, and labels.
struct Part {
    let images: Tensor
    let labels: [Int]
    var count: Int { labels.count }

    /// The images and labels of `range`.
    func rows(_ range: Range<Int>) -> Part {
        let d = images.count / max(count, 1)
        let m = Matrix(reshaping: images, rows: count, cols: d).rows(range)
        return Part(images: Tensor(reshaping: m, shape: [range.count, d]), labels: Array(labels[range]))
    }
}

struct PreparedData {
    let train: Part, validation: Part, test: Part
    let classNames: [String]
    /// The training images' per-channel means and standard deviations, which the checkpoint records.
    let channelMeans: [Double], channelDeviations: [Double]
}

/// A trained net with its best validation accuracy and the setting that made it.
struct TrainedNet {
    var net: TwoLayerNet
    let validationAccuracy: Double
    let setting: String
}

/// --update-rule.
enum UpdateRuleKind: String, ExpressibleByArgument, CaseIterable {
    case sgd, momentum, nesterov, adagrad, rmsprop, adam

    var title: String {
        switch self {
        case .sgd: return "SGD"
        case .momentum: return "SGD with momentum 0.9"
        case .nesterov: return "Nesterov momentum 0.9"
        case .adagrad: return "AdaGrad"
        case .rmsprop: return "RMSProp"
        case .adam: return "Adam"
        }
    }

    /// The rule, in its initial state, with the course's default settings.
    var rule: any UpdateRule {
        switch self {
        case .sgd: return SGD()
        case .momentum: return SGDMomentum(momentum: 0.9)
        case .nesterov: return NesterovMomentum(momentum: 0.9)
        case .adagrad: return AdaGrad()
        case .rmsprop: return RMSProp()
        case .adam: return Adam()
        }
    }

    /// A learning rate that suits the rule on the comparison's problem (the adaptive rules take much smaller ones).
    var comparisonLearningRate: Double {
        switch self {
        case .sgd: return 1e-2
        case .momentum, .nesterov: return 1e-2
        case .adagrad: return 1e-2
        case .rmsprop, .adam: return 1e-3
        }
    }
}

/// A run that stopped (an error, a diverged loss) after writing its checkpoint: the error, then where
/// the checkpoint is kept, as the run's last line.
/// Learning rates and strengths, short: 0.001, 2.5e-05.
func format(_ x: Double) -> String { String(format: "%.3g", x) }
