import ArgumentParser
import ChapterSupport
import Datasets
import Foundation
import GradientCheck
import LinearAlgebra
import Pictures
import Training
import Workbook

/// `swift run -c release dropout`: chapter 5 on real CIFAR-10, cell by cell, with the Workbook's dropout,
/// batch normalization and fully connected net, trained by the given `Solver`.
@main
struct DropoutProgram: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dropout",
        abstract: "Chapter 5: dropout, batch normalization and deeper fully connected nets on CIFAR-10, with your code.",
        discussion: """
            Runs the chapter as a notebook, cell by cell: load and split the data (49,000 training, 1,000 validation, \
            1,000 test images), normalise each colour channel; the chapter's checks (dropout's statistics and gradient, \
            batch normalization's statistics and its two backward passes, the net's gradients and initial loss, \
            overfitting 50 images); the lecture's dropout experiment (the same net on 500 images with keep probability \
            1, 0.75, 0.5 and 0.25); the batch-normalization experiment (a six-layer net with and without batch \
            normalization over a range of initial weight scales); and a deeper net trained on all the data, its test \
            accuracy and its checkpoint. Writes dropout.svg, batchnorm_weight_scale.svg, batchnorm_loss.svg, \
            deep_net_accuracy.svg, deep_net.safetensors and report.md to --output.

            Examples:
              swift run -c release dropout
                  the default run (under 10 minutes on 2 cores)
              swift run -c release dropout --hidden-sizes 512 256 128 \\
                  --keep-probability 0.8
              swift run -c release dropout --quick
                  a run of seconds
            """)

    /// The list options, whose values may be negative numbers (see `attachingListValues`).
    static let listOptions: Set<String> = ["--hidden-sizes"]

    static func main() { main(attachingListValues(CommandLine.arguments.dropFirst(), to: listOptions)) }

    @OptionGroup var options: ProgramOptions
    @OptionGroup var dataset: DataOptions

    // Optional so that --quick fills in only the numbers not given: a number typed on the command line wins.

    @Option(name: .customLong("hidden-sizes"), parsing: .upToNextOption, help: ArgumentHelp(
        "The deeper net's hidden layers (default: 512 256 128; 100 50 with --quick).", valueName: "sizes"))
    var givenHiddenSizes: [Int] = []

    @Option(name: .customLong("epochs"), parsing: .unconditional, help: ArgumentHelp(
        "Epochs of the deeper net on the full training set (default: 10; 2 with --quick).", valueName: "n"))
    var givenEpochs: Int?

    @Option(name: .long, parsing: .unconditional, help: "The deeper net's keep probability p of each hidden unit (1: no dropout).")
    var keepProbability = 0.85

    @Flag(name: .customLong("batch-norm"), inversion: .prefixedNo, help: "Batch normalization in every hidden layer of the deeper net.")
    var batchNorm = true

    @Option(name: .long, parsing: .unconditional, help: "The deeper net's Adam learning rate of the first epoch.")
    var learningRate = 1e-3

    @Option(name: .long, parsing: .unconditional, help: "Step decay: the learning rate is multiplied by this after every epoch.")
    var learningRateDecay = 0.8

    @Option(name: .long, parsing: .unconditional, help: "The deeper net's L2 strength λ (penalty λ Σ W², weights only).")
    var reg = 1e-4

    @Option(name: .long, parsing: .unconditional, help: "Images per minibatch; each epoch is a fresh permutation of the training set.")
    var batchSize = 200

    @Option(name: .customLong("weight-scales"), parsing: .unconditional, help: ArgumentHelp(
        "Weight scales of the batch-normalization experiment, log-spaced from 1e-4 to 1 (default: 9; 3 with --quick).", valueName: "n"))
    var givenWeightScaleCount: Int?

    @Flag(name: [.customLong("quick"), .customLong("smoke-test")], help: """
        A quick check that everything runs: 2,000 training images, a deeper net of 100 50 for 2 epochs, 3 weight scales, \
        fewer epochs in the experiments. --hidden-sizes, --epochs and --weight-scales, if given, win over these numbers.
        """)
    var quick = false

    func validate() throws {
        guard !hiddenSizes.isEmpty else { throw ValidationError("--hidden-sizes needs at least one size, e.g. --hidden-sizes 512 256 128") }
        for size in hiddenSizes { try requirePositive(size, flag: "--hidden-sizes") }
        try requirePositive(epochs, flag: "--epochs")
        guard keepProbability > 0, keepProbability <= 1 else {
            throw ValidationError("--keep-probability is the probability of KEEPING a unit, above 0 and at most 1 (1: no dropout); got \(String(format: "%g", keepProbability))")
        }
        try requirePositive(learningRate, flag: "--learning-rate")
        guard learningRateDecay > 0, learningRateDecay <= 1 else {
            throw ValidationError("--learning-rate-decay must be above 0 and at most 1, got \(String(format: "%g", learningRateDecay))")
        }
        try requireNotNegative(reg, flag: "--reg")
        try requirePositive(batchSize, flag: "--batch-size")
        guard batchSize >= 2 || !batchNorm else {
            throw ValidationError("--batch-size 1 with batch normalization: the variance of one image is 0; use a larger minibatch or --no-batch-norm")
        }
        guard batchSize <= splitCounts.train else {
            throw ValidationError("--batch-size \(batchSize) is larger than the \(splitCounts.train) training images: a minibatch is a small part of the training set (the course uses 200)")
        }
        try requirePositive(weightScaleCount, flag: "--weight-scales")
    }

    func run() throws {
        let notebook = try Notebook(title: "Chapter 5 · dropout and batch normalization", program: "dropout", track: workbookTrack,
                                    options: options, chapterTests: "DropoutTests", preset: quick ? "quick" : nil)
        guard let data = try loadData(notebook) else { return try notebook.finish() }
        try layerChecks(notebook)
        try netChecks(notebook, data)
        try dropoutExperiment(notebook, data)
        try batchNormExperiment(notebook, data)
        try deepNet(notebook, data)
        try notebook.finish()
    }

    // MARK: Settings

    /// The course's 49,000 / 1,000 / 1,000, or a small split with --quick.
    var splitCounts: (train: Int, validation: Int, test: Int) {
        quick ? (train: 2_000, validation: 200, test: 200) : (train: 49_000, validation: 1_000, test: 1_000)
    }
    var hiddenSizes: [Int] { givenHiddenSizes.isEmpty ? (quick ? [100, 50] : [512, 256, 128]) : givenHiddenSizes }
    var epochs: Int { givenEpochs ?? (quick ? 2 : 10) }
    var weightScaleCount: Int { givenWeightScaleCount ?? (quick ? 3 : 9) }
    /// The experiments' epochs: the dropout experiment's and the batch-normalization experiment's.
    var experimentEpochs: (dropout: Int, batchNorm: Int) { quick ? (3, 2) : (25, 10) }

    /// The checkpoint's file name, in the output folder.
    static let checkpointName = "deep_net.safetensors"

    func makeNet(hiddenSizes: [Int], keepProbability: Double = 1, batchNorm: Bool = false, initialization: WeightInitialization,
                 reg: Double = 0, seed: UInt64) throws -> FullyConnectedNet {
        try FullyConnectedNet(inputSize: CIFAR10.featureCount, hiddenSizes: hiddenSizes, classCount: CIFAR10.classCount,
                              keepProbability: keepProbability, batchNormalization: batchNorm, initialization: initialization,
                              reg: reg, seed: seed, dropoutSeed: seed &+ 1)
    }

    /// What every checkpoint of the deeper net says about itself.
    var checkpointMetadata: [String: String] {
        ["model": "FullyConnectedNet", "hidden_sizes": hiddenSizes.map(String.init).joined(separator: ","),
         "batch_norm": "\(batchNorm)", "keep_probability": "\(keepProbability)", "seed": "\(options.seed)",
         "note": "CIFAR-10 images as rows of 3,072 (C, H, W) values, each channel normalised; {affine - [batch norm] - relu - [dropout]} per hidden layer, then affine; running_mean<l>, running_var<l> are layer l's batch-normalization averages"]
    }

    // MARK: Cells

    private func loadData(_ notebook: Notebook) throws -> PreparedData? {
        try notebook.cell("Load CIFAR-10, split it and normalise each channel") { cell in
            let counts = splitCounts
            let split = try cell.loadNormalizedSplit(from: dataset.directory, trainCount: counts.train, validationCount: counts.validation,
                                                     testCount: counts.test, seed: options.seed)
            func prepared(_ part: NormalizedSplit.Part) -> Part {
                Part(images: Tensor(reshaping: part.images, shape: [part.images.rows, part.images.cols]), labels: part.labels)
            }
            let data = PreparedData(train: prepared(split.train), validation: prepared(split.validation), test: prepared(split.test))
            cell.table(["part", "images", "use"], [
                ["train", "\(data.train.count)", "the experiments' small subsets and the deeper net's minibatches"],
                ["validation", "\(data.validation.count)", "the best epoch and the comparisons"],
                ["test", "\(data.test.count)", "the deeper net, once"],
            ])
            return data
        }
    }

    /// The layers against their definitions and their numerical gradients (no data needed).
    private func layerChecks(_ notebook: Notebook) throws {
        try notebook.cell("Dropout: statistics and gradient") { cell in
            var rng = SeededGenerator(seed: options.seed &+ 20)
            let x = Tensor.uniform([500, 500], low: 5, high: 15, using: &rng)
            let inputMean = x.storage.reduce(0, +) / Double(x.count)
            var rows: [[String]] = []
            for p in [0.25, 0.4, 0.7, 1.0] {
                var generator = SeededGenerator(seed: options.seed &+ 21)
                let train = try dropoutForward(x, keepProbability: p, mode: .train, using: &generator).out
                let test = try dropoutForward(x, keepProbability: p, mode: .test, using: &generator).out
                var vanillaGenerator = SeededGenerator(seed: options.seed &+ 21)
                let vanillaTrain = try vanillaDropoutForward(x, keepProbability: p, mode: .train, using: &vanillaGenerator)
                let vanillaTest = try vanillaDropoutForward(x, keepProbability: p, mode: .test, using: &vanillaGenerator)
                func mean(_ t: Tensor) -> Double { t.storage.reduce(0, +) / Double(t.count) }
                let zeros = Double(train.storage.filter { $0 == 0 }.count) / Double(x.count)
                rows.append([format(p), String(format: "%.4f", zeros), String(format: "%.4f", 1 - p),
                             String(format: "%.3f", mean(train)), String(format: "%.3f", mean(test)),
                             String(format: "%.3f", mean(vanillaTrain)), String(format: "%.3f", mean(vanillaTest))])
            }
            cell.say(String(format: "500 × 500 inputs uniform in [5, 15) (mean %.3f), one mask per keep probability p:", inputMean))
            cell.table(["p", "fraction of zeros", "1 − p", "inverted: train mean", "inverted: test mean", "vanilla: train mean", "vanilla: test mean"], rows)
            cell.say("Both versions have the same expected output in training as at test time; the inverted one needs no change at test time.")
            let small = Tensor.gaussian([10, 12], using: &rng), dout = Tensor.gaussian([10, 12], using: &rng)
            var generator = SeededGenerator(seed: options.seed &+ 22)
            let cache = try dropoutForward(small, keepProbability: 0.6, mode: .train, using: &generator).cache
            let dx = try dropoutBackward(dout, cache: cache)
            let numerical = try numericalGradient(of: { point -> Matrix in
                var fresh = SeededGenerator(seed: options.seed &+ 22)
                let out = try dropoutForward(Tensor(reshaping: point, shape: [10, 12]), keepProbability: 0.6, mode: .train, using: &fresh).out
                return Matrix(reshaping: out, rows: 10, cols: 12)
            }, at: Matrix(reshaping: small, rows: 10, cols: 12), upstream: Matrix(reshaping: dout, rows: 10, cols: 12), step: 1e-2)
            cell.say(String(format: "dropoutBackward against the numerical gradient (p = 0.6, mask fixed by the seed): relative error %.1e (a right one is below 1e-10).",
                            relativeError(Matrix(reshaping: dx, rows: 10, cols: 12), numerical)))
        }
        try notebook.cell("Batch normalization: statistics and the two backward passes") { cell in
            var rng = SeededGenerator(seed: options.seed &+ 23)
            let (n, d) = (200, 3)
            let x = Matrix.gaussian(n, d, using: &rng) * Matrix(row: [2, 0.5, 4]) + Matrix(row: [5, -3, 12])
            func statistics(_ m: Matrix) -> String {
                let mean = m.mean(axis: 0), std = (m - mean).squared.mean(axis: 0).squareRoot
                return (0 ..< d).map { String(format: "%.3f / %.3f", mean[0, $0], std[0, $0]) }.joined(separator: ", ")
            }
            var state = try BatchNormState(features: d)
            let gamma = Tensor(shape: [d], [1, 2, 3]), beta = Tensor(shape: [d], [0, -1, 4])
            let plain = try batchNormForward(Tensor(reshaping: x, shape: [n, d]), gamma: Tensor(shape: [d], repeating: 1),
                                             beta: Tensor(shape: [d]), mode: .train, state: &state).out
            let scaled = try batchNormForward(Tensor(reshaping: x, shape: [n, d]), gamma: gamma, beta: beta, mode: .train, state: &state).out
            cell.table(["", "mean / standard deviation of each feature"], [
                ["x", statistics(x)],
                ["train mode, gamma 1, beta 0", statistics(Matrix(reshaping: plain, rows: n, cols: d))],
                ["train mode, gamma (1, 2, 3), beta (0, −1, 4)", statistics(Matrix(reshaping: scaled, rows: n, cols: d))],
            ])
            var averaged = try BatchNormState(features: d)
            for _ in 0 ..< 100 {
                let batch = Matrix.gaussian(50, d, using: &rng) * Matrix(row: [2, 0.5, 4]) + Matrix(row: [5, -3, 12])
                _ = try batchNormForward(Tensor(reshaping: batch, shape: [50, d]), gamma: Tensor(shape: [d], repeating: 1),
                                         beta: Tensor(shape: [d]), mode: .train, state: &averaged)
            }
            let fresh = Matrix.gaussian(n, d, using: &rng) * Matrix(row: [2, 0.5, 4]) + Matrix(row: [5, -3, 12])
            let testOut = try batchNormForward(Tensor(reshaping: fresh, shape: [n, d]), gamma: Tensor(shape: [d], repeating: 1),
                                               beta: Tensor(shape: [d]), mode: .test, state: &averaged).out
            cell.say("After 100 train-mode passes on batches of 50, the test-mode output of new data: " + statistics(Matrix(reshaping: testOut, rows: n, cols: d))
                     + " (about 0 / 1: the running averages match the data's statistics, mean (5, −3, 12) and deviation (2, 0.5, 4)).")

            let small = Matrix.gaussian(8, 5, using: &rng) * 2 + 1
            let g = Tensor.gaussian([5], using: &rng), b = Tensor.gaussian([5], using: &rng)
            let dout = Tensor.gaussian([8, 5], using: &rng)
            var scratch = try BatchNormState(features: 5)
            let cache = try batchNormForward(Tensor(reshaping: small, shape: [8, 5]), gamma: g, beta: b, mode: .train, state: &scratch).cache
            let (timedStaged, stagedSeconds) = try timed { try (0 ..< 200).map { _ in try batchNormBackward(dout, cache: cache) }.last! }
            let (timedSimplified, simplifiedSeconds) = try timed { try (0 ..< 200).map { _ in try batchNormBackwardSimplified(dout, cache: cache) }.last! }
            func forward(_ x: Matrix, _ gamma: Tensor, _ beta: Tensor) throws -> Matrix {
                var s = try BatchNormState(features: 5)
                return Matrix(reshaping: try batchNormForward(Tensor(reshaping: x, shape: [8, 5]), gamma: gamma, beta: beta, mode: .train, state: &s).out, rows: 8, cols: 5)
            }
            let upstream = Matrix(reshaping: dout, rows: 8, cols: 5)
            let numericalDx = try numericalGradient(of: { try forward($0, g, b) }, at: small, upstream: upstream)
            let numericalDgamma = try numericalGradient(of: { try forward(small, Tensor(reshaping: $0, shape: [5]), b) }, at: Matrix(reshaping: g, rows: 1, cols: 5), upstream: upstream)
            let numericalDbeta = try numericalGradient(of: { try forward(small, g, Tensor(reshaping: $0, shape: [5])) }, at: Matrix(reshaping: b, rows: 1, cols: 5), upstream: upstream)
            func row(_ name: String, _ r: (dx: Tensor, dgamma: Tensor, dbeta: Tensor), _ seconds: Double) -> [String] {
                [name, String(format: "%.1e", relativeError(Matrix(reshaping: r.dx, rows: 8, cols: 5), numericalDx)),
                 String(format: "%.1e", relativeError(Matrix(reshaping: r.dgamma, rows: 1, cols: 5), numericalDgamma)),
                 String(format: "%.1e", relativeError(Matrix(reshaping: r.dbeta, rows: 1, cols: 5), numericalDbeta)),
                 String(format: "%.1f µs", seconds / 200 * 1e6)]
            }
            cell.table(["backward", "dx rel. error", "dgamma rel. error", "dbeta rel. error", "time per call (8 × 5)"],
                       [row("batchNormBackward (the graph)", timedStaged, stagedSeconds), row("batchNormBackwardSimplified", timedSimplified, simplifiedSeconds)])
            cell.say(String(format: "The two backward passes differ by a relative error of %.1e in dx (a right pair agrees below 1e-12).",
                            relativeError(Matrix(reshaping: timedStaged.dx, rows: 8, cols: 5), Matrix(reshaping: timedSimplified.dx, rows: 8, cols: 5))))
        }
    }

    /// FullyConnectedNet: gradients, initial loss, overfitting 50 images.
    private func netChecks(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("The fully connected net: gradients, initial loss, overfitting") { cell in
            var rng = SeededGenerator(seed: options.seed &+ 30)
            let x = Tensor.gaussian([6, 15], using: &rng)
            let labels = (0 ..< 6).map { _ in rng.integer(below: 10) }
            var rows: [[String]] = []
            for (name, p, bn) in [("no dropout, no batch norm", 1.0, false), ("dropout p = 0.5", 0.5, false), ("batch norm", 1.0, true), ("both", 0.75, true)] {
                for reg in [0.0, 3.14] {
                    let net = try FullyConnectedNet(inputSize: 15, hiddenSizes: [20, 30], classCount: 10, keepProbability: p,
                                                    batchNormalization: bn, initialization: .he, reg: reg,
                                                    seed: options.seed &+ 31, dropoutSeed: 123)
                    var copy = net
                    let (_, gradients) = try copy.loss(x, labels: labels)
                    var worst = (error: 0.0, name: "")
                    var biasesBeforeBatchNorm = 0.0
                    for (key, value) in net.parameters.sorted(by: { $0.key < $1.key }) {
                        let numerical = try numericalGradient(of: { point -> Double in
                            var trial = net                   // a copy: the same dropout masks and running averages every time
                            trial.parameters[key] = Tensor(reshaping: point, shape: value.shape)
                            return try trial.loss(x, labels: labels).loss
                        }, at: Matrix(reshaping: value, rows: 1, cols: value.count))
                        let analytic = Matrix(reshaping: gradients[key]!, rows: 1, cols: value.count)
                        if bn && key.hasPrefix("b") && !key.hasPrefix("beta") && key != "b3" {
                            // A bias just before a batch normalization is subtracted again with the mean: its gradient is 0.
                            biasesBeforeBatchNorm = max(biasesBeforeBatchNorm, analytic.magnitude.max(), numerical.magnitude.max())
                            continue
                        }
                        let difference = (analytic - numerical).squared.sum().squareRoot()
                        let error = difference / max(1e-12, analytic.squared.sum().squareRoot() + numerical.squared.sum().squareRoot())
                        if error > worst.error { worst = (error, key) }
                    }
                    rows.append([name, format(reg), "\(net.parameters.count)", String(format: "%.1e (%@)", worst.error, worst.name),
                                 bn ? String(format: "%.1e", biasesBeforeBatchNorm) : "—"])
                }
            }
            cell.table(["net (hidden 20, 30)", "λ", "parameters", "largest relative error (where)", "largest |gradient| of b1, b2"], rows)
            cell.say("Every parameter against the numerical gradient, by the relative error ‖analytic − numerical‖ / (‖analytic‖ + ‖numerical‖) over the parameter; a right net is below 1e-6 (the dropout masks are fixed by the generator, which a copy of the net shares). With batch normalization the biases b1 and b2 have no effect (the mean subtracts them again): both their gradients are 0, up to rounding.")

            let n = min(500, data.train.count)
            let sample = data.train.rows(0 ..< n)
            var net = try makeNet(hiddenSizes: [100, 100], initialization: .smallRandom(scale: 1e-3), seed: options.seed &+ 32)
            let initial = try net.loss(sample.images, labels: sample.labels).loss
            cell.say(String(format: "Initial loss of a three-layer net with weights 1e-3 · randn on %d images: %.4f (ln 10 = %.4f)%@.",
                            n, initial, log(10.0), abs(initial - log(10.0)) < 0.05 ? "" : " ✗ it should be within 0.05"))

            let tiny = data.train.rows(0 ..< min(50, data.train.count))
            var solver = try Solver(model: try makeNet(hiddenSizes: [100, 100], initialization: .he, seed: options.seed &+ 33),
                                    training: (tiny.images, tiny.labels), validation: (data.validation.images, data.validation.labels),
                                    updateRule: Adam(), schedule: StepDecay(initial: 1e-3, factor: 1, every: 1),
                                    epochs: 20, batchSize: 25, seed: options.seed &+ 34)
            try solver.train()
            let last = solver.epochHistory.last!
            cell.say(String(format: "Overfitting %d images with a three-layer net (hidden 100, 100, He initialization; Adam, learning rate 1e-3, %d steps): training accuracy %.3f, validation %.3f%@.",
                            tiny.count, solver.lossHistory.count, last.trainAccuracy, last.validationAccuracy,
                            last.trainAccuracy == 1 ? " (as it should be)" : " ✗ (it should reach 1.000)"))
        }
    }

    /// The lecture's experiment: 500 images, keep probability 1, 0.75, 0.5, 0.25.
    private func dropoutExperiment(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("Dropout on 500 training images") { cell in
            let tiny = data.train.rows(0 ..< min(500, data.train.count))
            let epochs = experimentEpochs.dropout
            cell.say("A two-layer net (hidden 500, weights 0.01 · randn, no other regularization), Adam with learning rate 5e-4, \(epochs) epochs of batches of 100 on \(tiny.count) images, with each keep probability; the same initial weights and minibatches for all.")
            var plot = LinePlot(title: "Dropout on \(tiny.count) images", xLabel: "epoch", yLabel: "accuracy")
            var rows: [[String]] = []
            for p in [1.0, 0.75, 0.5, 0.25] {
                var solver = try Solver(model: try makeNet(hiddenSizes: [500], keepProbability: p, initialization: .smallRandom(scale: 1e-2), seed: options.seed &+ 40),
                                        training: (tiny.images, tiny.labels), validation: (data.validation.images, data.validation.labels),
                                        updateRule: Adam(), schedule: StepDecay(initial: 5e-4, factor: 1, every: 1),
                                        epochs: epochs, batchSize: min(100, tiny.count), seed: options.seed &+ 41)
                try solver.train()
                let history = solver.epochHistory
                let x = history.map { Double($0.epoch) }
                plot.addSeries("p = \(format(p)) train", x: x, y: history.map(\.trainAccuracy))
                plot.addSeries("p = \(format(p)) validation", x: x, y: history.map(\.validationAccuracy))
                let last = history.last!
                rows.append([format(p), String(format: "%.3f", last.trainAccuracy), String(format: "%.3f", last.validationAccuracy),
                             String(format: "%.3f", last.trainAccuracy - last.validationAccuracy), String(format: "%.3f", solver.bestValidationAccuracy)])
            }
            try cell.plot(plot, file: "dropout.svg", caption: "Training and validation accuracy per epoch for each keep probability: with less kept, training accuracy rises more slowly and the gap to validation narrows.")
            cell.table(["keep probability", "train (last epoch)", "validation (last epoch)", "gap", "best validation"], rows)
        }
    }

    /// Six layers with and without batch normalization over a range of initial weight scales.
    private func batchNormExperiment(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("Batch normalization and the initial weight scale") { cell in
            let subset = data.train.rows(0 ..< min(1_000, data.train.count))
            let epochs = experimentEpochs.batchNorm, count = weightScaleCount
            let scales = (0 ..< count).map { count == 1 ? 1e-2 : pow(10, -4 + 4 * Double($0) / Double(count - 1)) }
            let hidden = [100, 100, 100, 100, 100]
            cell.say("A six-layer net (five hidden layers of 100), Adam with learning rate 1e-3, \(epochs) epochs of batches of 50 on \(subset.count) images, initial weights scale · randn, with and without batch normalization.")
            var rows: [[String]] = []
            var accuracy: [Bool: [Double]] = [false: [], true: []]
            var curves: [Bool: [Double]] = [:]
            let curveScale = scales.min { abs(log10($0) + 1.5) < abs(log10($1) + 1.5) }!     // nearest 10^-1.5
            var progress = ProgressLine("setting", total: 2 * scales.count)
            for (k, scale) in scales.enumerated() {
                var row = [format(scale)]
                for bn in [false, true] {
                    var solver = try Solver(model: try makeNet(hiddenSizes: hidden, batchNorm: bn, initialization: .smallRandom(scale: scale), seed: options.seed &+ 50),
                                            training: (subset.images, subset.labels), validation: (data.validation.images, data.validation.labels),
                                            updateRule: Adam(), schedule: StepDecay(initial: 1e-3, factor: 1, every: 1),
                                            epochs: epochs, batchSize: 50, seed: options.seed &+ 51)
                    var outcome: Double = .nan
                    do {
                        try solver.train()
                        outcome = solver.epochHistory.last!.validationAccuracy
                    } catch let error as SolverError {
                        guard case .diverged = error else { throw error }
                    }
                    accuracy[bn]!.append(outcome)
                    row.append(outcome.isNaN ? "diverged" : String(format: "%.3f", outcome))
                    if scale == curveScale { curves[bn] = solver.lossHistory }
                    progress.update(2 * k + (bn ? 2 : 1))
                }
                rows.append(row)
            }
            cell.table(["weight scale", "validation, plain", "validation, batch norm"], rows)
            var plot = LinePlot(title: "Final validation accuracy against the initial weight scale", xLabel: "weight scale", yLabel: "validation accuracy", logarithmicX: true)
            for bn in [false, true] {
                let points = zip(scales, accuracy[bn]!).filter { !$0.1.isNaN }
                plot.addSeries(bn ? "with batch norm" : "without", x: points.map(\.0), y: points.map(\.1))
            }
            try cell.plot(plot, file: "batchnorm_weight_scale.svg", caption: "With batch normalization the six-layer net trains over a wide range of initial scales; without it only a narrow band works.")
            var losses = LinePlot(title: "Training loss at weight scale \(format(curveScale))", xLabel: "iteration", yLabel: "minibatch loss")
            for bn in [false, true] {
                if let curve = curves[bn] { losses.addSeries(bn ? "with batch norm" : "without", x: curve.indices.map { Double($0 + 1) }, y: curve) }
            }
            try cell.plot(losses, file: "batchnorm_loss.svg", caption: "The two loss curves at one weight scale: batch normalization brings the loss down from the first epoch.")
        }
    }

    /// A deeper net on the full data with the chapter's best settings, its test accuracy and checkpoint.
    private func deepNet(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("A deeper net on all the training data") { cell in
            let setting = "hidden \(hiddenSizes.map(String.init).joined(separator: ", ")), \(batchNorm ? "batch norm, " : "")keep probability \(format(keepProbability)), He initialization, Adam learning rate \(format(learningRate)) × \(format(learningRateDecay)) per epoch, λ \(format(reg))"
            cell.say("\(setting); \(epochs) epochs of \(data.train.count / batchSize) minibatches of \(batchSize). The best epoch's parameters (and the running averages after re-estimating them) go to \(Self.checkpointName).")
            let net = try makeNet(hiddenSizes: hiddenSizes, keepProbability: keepProbability, batchNorm: batchNorm, initialization: .he, reg: reg, seed: options.seed &+ 60)
            var solver = try Solver(model: net, training: (data.train.images, data.train.labels),
                                    validation: (data.validation.images, data.validation.labels),
                                    updateRule: Adam(), schedule: StepDecay(initial: learningRate, factor: learningRateDecay, every: 1),
                                    epochs: epochs, batchSize: batchSize, seed: options.seed &+ 61)
            var progress: ProgressLine?
            solver.progress = { p in
                if p.iteration == 1 { progress = ProgressLine("epoch \(p.epoch) iteration", total: p.iterationsPerEpoch) }
                progress?.update(p.iteration, detail: String(format: "loss %.3f, ", p.loss) + "\(format(count: Int(p.imagesPerSecond.rounded()))) images/s")
            }
            solver.log = { print($0) }
            // Each better epoch's parameters are written at once, so that a run that diverges or is interrupted
            // keeps them; the end of the run rewrites the file with the running averages added.
            let checkpoint = notebook.fileURL(Self.checkpointName), metadata = checkpointMetadata
            solver.newBest = { summary, parameters in
                try Checkpoint(tensors: parameters, metadata: metadata.merging([
                    "epoch": "\(summary.epoch)", "validation_accuracy": String(format: "%.4f", summary.validationAccuracy),
                    "note": "the best epoch so far, without the batch normalizations' running averages (the run did not finish)",
                ]) { $1 }).write(to: checkpoint)
            }
            var stopped: Error?
            let (_, seconds) = try timed {
                do { try solver.train() } catch let error as SolverError {
                    guard case .diverged = error else { throw error }
                    stopped = error
                }
            }
            if let stopped {
                cell.say("✗ Stopped: \(stopped). " + (solver.epochHistory.isEmpty ? "No epoch finished, so no checkpoint was written."
                    : String(format: "The best parameters so far (validation accuracy %.3f) are kept in %@, with this partial report.",
                             solver.bestValidationAccuracy, notebook.failedDirectory.appendingPathComponent(Self.checkpointName).path)))
                throw stopped
            }
            cell.table(["epoch", "loss", "train", "validation", "learning rate", "time"], solver.epochHistory.map { e in
                ["\(e.epoch)", String(format: "%.3f", e.loss), String(format: "%.3f", e.trainAccuracy), String(format: "%.3f", e.validationAccuracy),
                 String(format: "%.1e", e.learningRate), format(seconds: e.seconds)]
            })
            var plot = LinePlot(title: "The deeper net", xLabel: "epoch", yLabel: "accuracy")
            let x = solver.epochHistory.map { Double($0.epoch) }
            plot.addSeries("train (fixed sample of 1,000)", x: x, y: solver.epochHistory.map(\.trainAccuracy))
            plot.addSeries("validation", x: x, y: solver.epochHistory.map(\.validationAccuracy))
            try cell.plot(plot, file: "deep_net_accuracy.svg", caption: "Training and validation accuracy after each epoch (\(setting)).")

            // The Solver keeps the best epoch's parameters, not the batch normalizations' running averages
            // (state outside the parameters): re-estimate them for those parameters on training minibatches.
            var best = solver.model
            best.parameters = solver.bestParameters
            if batchNorm {
                var rng = SeededGenerator(seed: options.seed &+ 62)
                for _ in 0 ..< 50 {
                    let rows = rng.indices(batchSize, below: data.train.count)
                    let batch = data.train.rows(at: rows)
                    _ = try best.loss(batch.images, labels: batch.labels)
                }
            }
            let validation = try Training.accuracy(of: best, images: data.validation.images, labels: data.validation.labels)
            let test = try Training.accuracy(of: best, images: data.test.images, labels: data.test.labels)
            var tensors = best.parameters
            for (i, state) in best.batchNormStates.enumerated() {
                tensors["running_mean\(i + 1)"] = state.runningMean
                tensors["running_var\(i + 1)"] = state.runningVariance
            }
            try Checkpoint(tensors: tensors, metadata: checkpointMetadata.merging([
                "validation_accuracy": String(format: "%.4f", validation), "test_accuracy": String(format: "%.4f", test),
            ]) { $1 }).write(to: checkpoint)
            cell.say(String(format: "Trained in %@ (%@ images per second). Best epoch's parameters: validation accuracy %.3f, test accuracy %.3f (%d images). Checkpoint: %@.",
                            format(seconds: seconds), format(count: Int((Double(solver.lossHistory.count * batchSize) / seconds).rounded())), validation, test, data.test.count,
                            notebook.directory.appendingPathComponent(Self.checkpointName).path))
            cell.say("The course asks a fully connected net for at least 0.50 on validation; this chapter's target is 0.55.")
        }
    }
}

/// One part of the data: images (N, 3072) as a tensor, and labels.
struct Part {
    let images: Tensor
    let labels: [Int]
    var count: Int { labels.count }

    /// The images and labels of `range`.
    func rows(_ range: Range<Int>) -> Part { rows(at: Array(range)) }

    /// The images and labels at `indices`, in that order.
    func rows(at indices: [Int]) -> Part {
        let d = images.count / max(count, 1)
        let m = Matrix(reshaping: images, rows: count, cols: d).rows(at: indices)
        return Part(images: Tensor(reshaping: m, shape: [indices.count, d]), labels: indices.map { labels[$0] })
    }
}

struct PreparedData {
    let train: Part, validation: Part, test: Part
}

/// Keep probabilities, learning rates and strengths, short: 0.75, 0.001, 2.5e-05.
func format(_ x: Double) -> String { String(format: "%.3g", x) }
