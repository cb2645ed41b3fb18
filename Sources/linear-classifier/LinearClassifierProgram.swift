import ArgumentParser
import ChapterSupport
import Datasets
import Foundation
import GradientCheck
import LinearAlgebra
import Pictures
import Workbook

/// `swift run -c release linear-classifier`: chapter 2 on real CIFAR-10, cell by cell, with the
/// Workbook's losses, SGD and random search.
@main
struct LinearClassifierProgram: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-classifier",
        abstract: "Chapter 2: a linear SVM or softmax classifier on CIFAR-10, with \(workbookTrack == "solutions" ? "the reference solutions" : "your code").",
        discussion: """
            Runs the chapter as a notebook, cell by cell: load and split the data (49,000 training, 1,000 \
            validation, 1,000 test images and a 500-image development set); subtract the mean image and \
            append the bias feature; check the loss and its gradient on the development set; time the naive \
            and vectorized losses; train with minibatch SGD; search learning rate and regularization strength \
            on the validation set; test the best model once; and compare with the lecture's random search. \
            Writes weight_templates.png, loss_history.svg, hyperparameter_search.svg and report.md to --output.

            Examples:
              swift run -c release linear-classifier                 the SVM, L2
              swift run -c release linear-classifier --loss softmax
              swift run -c release linear-classifier --reg-type l1 --search-size 6
              swift run -c release linear-classifier --quick         a run of seconds
            """)

    /// The list options, whose values may be negative numbers (see `attachingListValues`).
    static let listOptions: Set<String> = ["--learning-rate-range", "--reg-range"]

    static func main() { main(attachingListValues(CommandLine.arguments.dropFirst(), to: listOptions)) }

    @OptionGroup var options: ProgramOptions
    @OptionGroup var dataset: DataOptions

    @Option(name: .long, help: "The loss to train: svm (the multiclass hinge loss) or softmax (cross-entropy).")
    var loss: LossKind = .svm

    @Option(name: .long, help: "The regularization penalty: l2 (reg * sum W^2), l1 (reg * sum |W|) or elastic (reg * sum (beta W^2 + |W|)).")
    var regType: RegularizationKind = .l2

    @Option(name: .long, parsing: .unconditional, help: "The elastic net's beta: the weight size 1/beta at which its W^2 and |W| terms are equal (trained weights are about 1e-5 to 1e-4).")
    var elasticBeta = 1e4

    // --iterations, --search-size and --random-search-tries are optional so that --quick fills in only the
    // ones not given: a number typed on the command line always wins over the preset.

    @Option(name: .customLong("iterations"), parsing: .unconditional, help: ArgumentHelp(
        "SGD iterations for every training run; an epoch is 49,000 / batch size iterations (default: 1,500; 100 with --quick).",
        valueName: "n"))
    var givenIterations: Int?

    @Option(name: .long, parsing: .unconditional, help: "Images per minibatch, drawn with replacement.")
    var batchSize = 200

    @Option(name: .long, parsing: .unconditional, help: "Learning rate of the first training run (the loss-curve cell).")
    var learningRate = 1e-7

    @Option(name: .long, parsing: .unconditional, help: "Regularization strength of the first training run (default: 2.5e4 for l2, 5 for l1, 0.3 for elastic).")
    var reg: Double?

    @Option(name: .customLong("search-size"), parsing: .unconditional, help: ArgumentHelp(
        "Settings tried by the hyperparameter search, drawn log-uniformly; 0 skips the search (default: 12; 3 with --quick).",
        valueName: "n"))
    var givenSearchSize: Int?

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("The search's learning-rate range.", valueName: "low high"))
    var learningRateRange = [1e-7, 1e-6]

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp(
        "The search's regularization-strength range (default: 1e3 3e4 for l2, 0.3 30 for l1, 0.03 3 for elastic).", valueName: "low high"))
    var regRange: [Double] = []

    @Option(name: .customLong("random-search-tries"), parsing: .unconditional, help: ArgumentHelp(
        "Random weight matrices tried by the random-search baseline; 0 skips it (default: the lecture's 1,000; 50 with --quick).",
        valueName: "n"))
    var givenRandomSearchTries: Int?

    @Flag(name: [.customLong("quick"), .customLong("smoke-test")], help: """
        A quick check that everything runs: 2,000 training images, 100 iterations, 3 search settings, 50 random tries. \
        --iterations, --search-size and --random-search-tries, if given, win over these numbers.
        """)
    var quick = false

    func validate() throws {
        try requirePositive(iterations, flag: "--iterations")
        try requirePositive(batchSize, flag: "--batch-size")
        guard batchSize <= splitCounts.train else {
            throw ValidationError("""
                --batch-size \(batchSize) is larger than the \(splitCounts.train) training images: a minibatch is a small \
                random sample of the training set (the course uses 200)
                """)
        }
        try requireNotNegative(searchSize, flag: "--search-size")
        try requireNotNegative(randomSearchTries, flag: "--random-search-tries")
        try requirePositive(learningRate, flag: "--learning-rate")
        if let reg { try requireNotNegative(reg, flag: "--reg") }
        try requireNotNegative(elasticBeta, flag: "--elastic-beta")
        for (name, range, example) in [("--learning-rate-range", learningRateRange, "1e-7 1e-6"), ("--reg-range", regRange, "1e3 3e4")]
        where !range.isEmpty {
            guard range.count == 2, range[0] > 0, range[0] <= range[1], range[1].isFinite else {
                let given = range.map { "\($0)" }.joined(separator: " ")
                throw ValidationError("\(name) takes two positive numbers, low then high, e.g. \(name) \(example); got \(given)")
            }
        }
    }

    func run() throws {
        let notebook = try Notebook(title: "Chapter 2 · linear classifiers (\(loss.title), \(regularization))",
                                    program: "linear-classifier", track: workbookTrack, options: options, chapterTests: "LinearClassifierTests",
                                    preset: quick ? "quick" : nil)
        guard let data = try loadData(notebook) else { return try notebook.finish() }
        try checkLoss(notebook, data)
        try compareImplementations(notebook, data)
        let first = try trainOnce(notebook, data)
        switch try searchHyperparameters(notebook, data) {
        case let .best(best):
            try testBestModel(notebook, data, best, firstRun: first)
        case .notRun:
            if let first { try testBestModel(notebook, data, first, firstRun: nil) }
        case .everySettingDiverged:
            break       // the search cell said so: no model was chosen, and the test set stays unseen
        }
        try randomSearchBaseline(notebook, data)
        try notebook.finish()
    }

    // MARK: Settings

    /// The images of each split: the course's 49,000 / 1,000 / 1,000 and a 500-image development set,
    /// or a small split with --quick.
    var splitCounts: (train: Int, validation: Int, test: Int, development: Int) {
        quick ? (train: 2_000, validation: 200, test: 200, development: 100)
              : (train: 49_000, validation: 1_000, test: 1_000, development: 500)
    }

    /// SGD iterations of every training run: --iterations, or the default (--quick's without it).
    var iterations: Int { givenIterations ?? (quick ? 100 : 1_500) }

    /// Settings the hyperparameter search tries: --search-size, or the default (--quick's without it).
    var searchSize: Int { givenSearchSize ?? (quick ? 3 : 12) }

    /// Weight matrices the random-search baseline tries: --random-search-tries, or the default (--quick's without it).
    var randomSearchTries: Int { givenRandomSearchTries ?? (quick ? 50 : 1_000) }

    /// The penalty chosen by --reg-type.
    var regularization: Regularization {
        switch regType {
        case .l2: return .l2
        case .l1: return .l1
        case .elastic: return .elasticNet(beta: elasticBeta)
        }
    }

    /// The first run's strength: --reg, or the penalty's default.
    var firstStrength: Double { reg ?? regType.firstStrength }

    /// The search's strength range: --reg-range, or the penalty's default.
    var strengthRange: [Double] { regRange.isEmpty ? regType.searchRange : regRange }

    /// A fresh, untrained classifier of the chosen kind.
    func makeClassifier() -> any LinearClassifier {
        loss == .svm ? LinearSVM(regularization: regularization) : Softmax(regularization: regularization)
    }

    /// The naive and vectorized loss functions of the chosen kind.
    var lossFunctions: (naive: LossFunction, vectorized: LossFunction) {
        loss == .svm ? ({ try svmLossNaive(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) },
                        { try svmLossVectorized(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) })
                     : ({ try softmaxLossNaive(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) },
                        { try softmaxLossVectorized(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) })
    }

    // MARK: Cells

    private func loadData(_ notebook: Notebook) throws -> PreparedData? {
        let loaded = try notebook.cell("Load CIFAR-10 and split it") { cell -> (DataSplit, [String]) in
            let counts = splitCounts
            let (cifar, seconds) = try timed {
                try CIFAR10(directory: dataset.directory, trainCount: counts.train + counts.validation, testCount: counts.test)
            }
            cell.say("Read \(cifar.train.count) training and \(cifar.test.count) test images from \(dataset.directory.path) in \(format(seconds: seconds)).")
            let split = try DataSplit(cifar, trainCount: counts.train, validationCount: counts.validation, testCount: counts.test,
                                      developmentCount: counts.development, seed: options.seed)
            cell.table(["part", "images", "use"], [
                ["train", "\(split.train.count)", "SGD"],
                ["validation", "\(split.validation.count)", "choosing the learning rate and regularization strength"],
                ["test", "\(split.test.count)", "the chosen model, once"],
                ["development", "\(split.development.count)", "quick checks (drawn from train, seed \(options.seed))"],
            ])
            return (split, cifar.classNames)
        }
        guard let (split, classNames) = loaded else { return nil }
        return try notebook.cell("Preprocessing: mean image and bias trick") { cell in
            let mean = meanImage(split.train.images)
            func prepared(_ part: LabeledImages) -> LabeledImages {
                LabeledImages(images: appendingBiasColumn(subtractingMeanImage(mean, from: part.images)), labels: part.labels)
            }
            let data = PreparedData(train: prepared(split.train), validation: prepared(split.validation), test: prepared(split.test),
                                    development: prepared(split.development), classNames: classNames)
            cell.say("Subtracted the mean training image from every image (its pixels average \(String(format: "%.1f", mean.mean())) of 255), then appended a constant feature 1, so the bias is the last row of W.")
            cell.say("Training images \(data.train.images.shapeDescription), W \(Matrix.zeros(data.features, data.classes).shapeDescription): D = \(data.features) = 3,072 pixels + 1.")
            return data
        }
    }

    /// The naive loss at small random weights, then a sparse gradient check without and with regularization.
    private func checkLoss(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("\(loss.title) loss and gradient check on the development set") { cell in
            let dev = data.development
            var rng = SeededGenerator(seed: options.seed &+ 1)
            let w = Matrix.gaussian(data.features, data.classes, standardDeviation: 1e-4, using: &rng)
            let naive = lossFunctions.naive
            let (value, _) = try naive(w, dev.images, dev.labels, 0, regularization)
            let expected = loss == .svm ? Double(data.classes - 1) : log(Double(data.classes))
            cell.say(String(format: "Loss at W = 0.0001 × standard normal, without regularization: %.4f (expected close to %@ = %.4f: %@).",
                            value, loss == .svm ? "C − 1" : "ln C", expected,
                            loss == .svm ? "every margin is about 1" : "every class has probability about 1/C"))
            for strength in [0, firstStrength] {
                let (_, dW) = try naive(w, dev.images, dev.labels, strength, regularization)
                let check = try checkGradient(of: naive, at: w, analytic: dW, x: dev.images, y: dev.labels, strength: strength,
                                              samples: 8, seed: options.seed &+ 2)
                let counted = check.filter { $0.kink == nil }
                let measured = counted.filter { $0.sample.relativeError <= Self.gradientTolerance || !$0.agrees }
                cell.say("Sparse gradient check, \(strength == 0 ? "no regularization" : "\(regularization) at strength \(format(strength))"): largest relative error \(String(format: "%.2e", measured.map(\.sample.relativeError).max() ?? 0))\(counted.count < check.count ? " over the \(counted.count) entries not on a kink" : "").")
                cell.table(["entry (row, class)", "numerical", "analytic", "relative error", "note"], check.map {
                    ["(\($0.sample.row), \(data.classNames[$0.sample.column]))", String(format: "%+.6e", $0.sample.numerical),
                     String(format: "%+.6e", $0.sample.analytic), String(format: "%.2e", $0.sample.relativeError),
                     $0.kink.map { "on a kink (\($0)): not counted" }
                        ?? ($0.sample.relativeError > Self.gradientTolerance && $0.agrees ? "both 0 up to rounding" : "")]
                })
                let kinks = check.count - counted.count
                if kinks > 0 {
                    cell.say("\(kinks) of the \(check.count) entries \(kinks == 1 ? "sits" : "sit") on a kink: the centred difference W ± h spans a point where the loss has no derivative (\(loss == .svm ? "a hinge margin crossing 0, or " : "")|W| at 0), so the numerical value there is not a derivative and the entry is not counted.")
                }
                let wrong = counted.filter { !$0.agrees }.count
                if wrong > 0 {
                    cell.say("✗ The gradient check fails: \(wrong) of \(counted.count) entries away from kinks differ (relative error above \(Self.gradientTolerance)). " +
                             "`swift test --filter LinearClassifierTests` shows which exercise is wrong.")
                } else if counted.isEmpty {
                    cell.say("Every sampled entry sits on a kink, so this check says nothing; run with another --seed.")
                }
            }
            if !(value.isFinite && abs(value - expected) < 0.5 * expected) {
                cell.say(String(format: "✗ The first loss %.4f is far from %.4f: check the loss (is it the mean over the batch?).", value, expected))
            }
        }
    }

    private func compareImplementations(_ notebook: Notebook, _ data: PreparedData) throws {
        try notebook.cell("Naive against vectorized \(loss.title) loss") { cell in
            let dev = data.development
            var rng = SeededGenerator(seed: options.seed &+ 3)
            let w = Matrix.gaussian(data.features, data.classes, standardDeviation: 1e-4, using: &rng)
            let (naive, vectorized) = lossFunctions
            let (slow, slowSeconds) = try timed { try naive(w, dev.images, dev.labels, firstStrength, regularization) }
            let (fast, fastSeconds) = try timed { try vectorized(w, dev.images, dev.labels, firstStrength, regularization) }
            cell.table(["implementation", "time", "loss", "dW"], [
                ["naive (loops)", format(seconds: slowSeconds), String(format: "%.6f", slow.loss), "—"],
                ["vectorized", format(seconds: fastSeconds), String(format: "%.6f", fast.loss),
                 String(format: "Frobenius difference %.2e", (fast.dW - slow.dW).squared.sum().squareRoot())],
            ])
            cell.say(String(format: "On %d images: loss difference %.2e; the vectorized version is %.1f× faster.",
                            dev.count, abs(fast.loss - slow.loss), slowSeconds / max(fastSeconds, 1e-9)))
        }
    }

    /// One SGD run with --learning-rate and the first strength: the loss curve and the accuracies.
    func trainOnce(_ notebook: Notebook, _ data: PreparedData) throws -> TrainedModel? {
        try notebook.cell("Minibatch SGD") { cell -> TrainedModel? in
            cell.say("Learning rate \(format(learningRate)), \(regularization) regularization at strength \(format(firstStrength)), \(iterations) iterations of \(batchSize) images (\(String(format: "%.1f", Double(iterations * batchSize) / Double(data.train.count))) epochs).")
            let run = try train(data, learningRate: learningRate, strength: firstStrength, seed: options.seed &+ 4) { iteration, value in
                print(String(format: "    iteration %d / %d: loss %.4f", iteration, iterations, value))
            }
            guard let model = run.model else {
                cell.say("Training stopped: \(run.failure ?? "it failed"). Try a smaller --learning-rate (the default is \(format(1e-7))).")
                return nil
            }
            cell.say(String(format: "Trained in %@: training accuracy %.3f, validation accuracy %.3f.", format(seconds: run.seconds),
                            model.trainAccuracy, model.validationAccuracy))
            // One line: its setting goes in the title rather than a legend, and a logarithmic axis keeps
            // the noise of the late iterations visible beside the early loss, which is 100 times larger.
            var plot = LinePlot(title: "\(loss.title) training loss, lr \(format(learningRate)), reg \(format(firstStrength))",
                                xLabel: "iteration", yLabel: "minibatch loss (log scale)", logarithmicY: true)
            plot.addSeries("", x: model.history.indices.map { Double($0 + 1) }, y: model.history)
            try cell.plot(plot, file: "loss_history.svg",
                          caption: "The minibatch loss of every SGD iteration, on a logarithmic scale: noisy, because each is measured on \(batchSize) random images.")
            return model
        } ?? nil
    }

    /// Trains one model per log-uniform (learning rate, strength) sample and keeps the best on validation.
    func searchHyperparameters(_ notebook: Notebook, _ data: PreparedData) throws -> SearchOutcome {
        guard searchSize > 0 else { return .notRun }
        return try notebook.cell("Search over learning rate and regularization strength") { cell -> SearchOutcome in
            let (lrLow, lrHigh) = (learningRateRange[0], learningRateRange[1])
            let (regLow, regHigh) = (strengthRange[0], strengthRange[1])
            cell.say("\(searchSize) settings drawn log-uniformly: learning rate in [\(format(lrLow)), \(format(lrHigh))], strength in [\(format(regLow)), \(format(regHigh))]; \(iterations) iterations each; the best validation accuracy wins.")
            var rng = SeededGenerator(seed: options.seed &+ 5)
            func logUniform(_ low: Double, _ high: Double) -> Double { exp(rng.uniform(log(low), log(max(high, low)))) }
            let settings = (0 ..< searchSize).map { _ in (learningRate: logUniform(lrLow, lrHigh), strength: logUniform(regLow, regHigh)) }
            var progress = ProgressLine("setting", total: settings.count)
            var runs: [(setting: (learningRate: Double, strength: Double), run: TrainingRun)] = []
            for (k, setting) in settings.enumerated() {
                let run = try train(data, learningRate: setting.learningRate, strength: setting.strength, seed: options.seed &+ 6 &+ UInt64(k))
                runs.append((setting, run))
                let best = runs.compactMap(\.run.model?.validationAccuracy).max()
                progress.update(k + 1, detail: best.map { String(format: "best validation accuracy %.3f", $0) } ?? "")
            }
            let ordered = runs.sorted { ($0.setting.learningRate, $0.setting.strength) < ($1.setting.learningRate, $1.setting.strength) }
            cell.table(["learning rate", "strength", "train accuracy", "validation accuracy", "final loss"], ordered.map { entry in
                let (setting, run) = entry
                guard let model = run.model else {
                    return [format(setting.learningRate), format(setting.strength), "—", "—",
                            run.divergedAt.map { "diverged at iteration \($0)" } ?? "failed"]
                }
                let finalLoss = model.history.suffix(50).reduce(0, +) / Double(min(50, model.history.count))
                return [format(setting.learningRate), format(setting.strength), String(format: "%.3f", model.trainAccuracy),
                        String(format: "%.3f", model.validationAccuracy), String(format: "%.3f", finalLoss)]
            })
            let diverged = runs.filter { $0.run.model == nil }.count
            guard diverged < runs.count else {
                cell.say("""
                    ✗ Every one of the \(runs.count) settings diverged (\(runs.first?.run.failure ?? "")): no setting is chosen, and \
                    the test set is not used. Lower the learning-rate range (--learning-rate-range \(format(lrLow / 10)) \(format(lrHigh / 10)), \
                    for example) or the strength range.
                    """)
                return .everySettingDiverged
            }
            if diverged > 0 {
                cell.say("\(diverged) of the \(runs.count) settings diverged (their learning rate is likely too large) and take no part in the choice.")
            }
            var plot = ColorScatterPlot(title: "\(loss.title), \(regularization): validation accuracy", xLabel: "learning rate",
                                        yLabel: "regularization strength", colorLabel: "validation accuracy",
                                        logarithmicX: true, logarithmicY: true)
            for (setting, run) in runs {
                if let model = run.model { plot.addPoint(x: setting.learningRate, y: setting.strength, value: model.validationAccuracy) }
            }
            try cell.plot(plot, file: "hyperparameter_search.svg",
                          caption: "Each point is one training run, coloured by its validation accuracy; the best is ringed.")
            let best = runs.compactMap(\.run.model).max(by: { $0.validationAccuracy < $1.validationAccuracy })!
            cell.say(String(format: "Best: learning rate %@, strength %@, validation accuracy %.3f (training %.3f).",
                            format(best.learningRate), format(best.strength), best.validationAccuracy, best.trainAccuracy))
            return .best(best)
        } ?? .notRun
    }

    /// The chosen model's test accuracy, and its templates above those of the first run (if there was a search).
    private func testBestModel(_ notebook: Notebook, _ data: PreparedData, _ model: TrainedModel, firstRun: TrainedModel?) throws {
        try notebook.cell("The chosen model on the test set, and its weight templates") { cell in
            let accuracy = try testAccuracy(model.classifier, data)
            cell.say(String(format: "Learning rate %@, strength %@: validation accuracy %.3f, test accuracy %.3f (%d test images, seen once).",
                            format(model.learningRate), format(model.strength), model.validationAccuracy, accuracy, data.test.count))
            let rows = [(label: "chosen", model: model)] + (firstRun.map { [(label: "first run", model: $0)] } ?? [])
            let settings = rows.map { "\($0.label): learning rate \(format($0.model.learningRate)), strength \(format($0.model.strength))" }
            try cell.picture(templateGrid(rows, classNames: data.classNames), file: "weight_templates.png", caption: """
                The ten columns of W (bias row left out) as 32 × 32 colour images, each row rescaled together: one template \
                per class (\(settings.joined(separator: "; "))). Where the regularization is weak, the random initial \
                weights have not decayed away and show as noise.
                """)
        }
    }

    private func randomSearchBaseline(_ notebook: Notebook, _ data: PreparedData) throws {
        guard randomSearchTries > 0 else { return }
        try notebook.cell("Baseline: random search over W (the lecture's very bad idea)") { cell in
            let dev = data.development
            let vectorized = lossFunctions.vectorized
            cell.say("\(randomSearchTries) random W of 0.0001 × standard normal entries; each is scored by the \(loss.title) loss (no regularization) on the \(dev.count) development images, and the lowest loss is kept.")
            var progress = ProgressLine("try", total: randomSearchTries)
            let (best, seconds) = try timed {
                try randomWeightSearch(features: data.features, classes: data.classes, tries: randomSearchTries, scale: 1e-4,
                                       seed: options.seed &+ 7,
                                       loss: { try vectorized($0, dev.images, dev.labels, 0, regularization).loss },
                                       progress: { done, bestLoss in progress.update(done, detail: String(format: "lowest loss %.4f", bestLoss)) })
            }
            var classifier = makeClassifier()
            classifier.weights = best.weights
            let accuracy = try testAccuracy(classifier, data)
            cell.say(String(format: "Lowest loss %.4f after %@; test accuracy %.3f (the lecture reports about 0.155; chance is 0.100).",
                            best.loss, format(seconds: seconds), accuracy))
        }
    }

    // MARK: Gradient check

    /// The largest relative error a correct gradient shows away from kinks (the centred difference in
    /// Double gives about 1e-7 or less where the loss is smooth, and is exact where it is piecewise linear).
    static let gradientTolerance = 1e-5

    /// The difference below which the numerical and analytic values agree whatever their relative error:
    /// the centred difference's rounding error is about eps |L| / h = 2e-16 × 10 / 1e-5 = 2e-10, so an
    /// entry whose true gradient is 0 (the bias row, when the labels are balanced) shows a relative error
    /// near 1e-2 with a difference near 1e-10.
    static let roundingTolerance = 1e-8

    /// One entry of the sparse gradient check, with the kink its centred difference spans, if any.
    struct CheckedEntry {
        let sample: GradientSample
        /// "|W| at 0" or "a hinge margin at 0" when f is not differentiable somewhere in W ± h e_ij.
        let kink: String?
        /// Whether the two values agree: relative error within ``gradientTolerance``, or a difference
        /// within ``roundingTolerance`` (both about 0).
        var agrees: Bool {
            sample.relativeError <= LinearClassifierProgram.gradientTolerance
                || abs(sample.numerical - sample.analytic) <= LinearClassifierProgram.roundingTolerance
        }
    }

    /// The sparse gradient check of `lossFunction` (at strength `strength` with the chosen penalty), each
    /// entry marked with the kink that makes its numerical value meaningless, so that a correct gradient
    /// never fails: the hinge max(0, margin) and |W| are piecewise linear, and a centred difference that
    /// spans their corner measures an average of two slopes.
    func checkGradient(of lossFunction: LossFunction, at w: Matrix, analytic: Matrix, x: Matrix, y: [Int], strength: Double,
                       samples: Int, seed: UInt64, step: Double = 1e-5) throws -> [CheckedEntry] {
        let checked = try sparseGradientCheck(of: { try lossFunction($0, x, y, strength, regularization).loss },
                                              at: w, analytic: analytic, samples: samples, seed: seed, step: step)
        let scores = loss == .svm ? matmul(x, w) : nil
        return checked.map { sample in
            CheckedEntry(sample: sample, kink: kink(at: w, row: sample.row, column: sample.column, scores: scores, x: x, y: y,
                                                    strength: strength, step: step))
        }
    }

    /// Which kink, if any, lies within W ± h e_ij. `scores` = x W for the SVM (nil for softmax, which is smooth).
    ///
    /// W_ij moves the scores of column j by h x_nj for every image n. For an image of another class the
    /// margin s_nj - s_ny + 1 moves with it; for an image of class j every other margin s_nk - s_nj + 1
    /// moves against it. A margin m crosses 0 within the step when |m| < h |x_ni|.
    func kink(at w: Matrix, row i: Int, column j: Int, scores: Matrix?, x: Matrix, y: [Int], strength: Double,
              step h: Double) -> String? {
        if strength > 0, regularization != .l2, abs(w[i, j]) <= h { return "|W| at 0" }
        guard let scores else { return nil }
        for n in 0 ..< x.rows {
            let reach = h * abs(x[n, i]) * (1 + 1e-9)
            guard reach > 0 else { continue }
            if y[n] != j {
                if abs(scores[n, j] - scores[n, y[n]] + 1) <= reach { return "a hinge margin at 0" }
            } else {
                for k in 0 ..< scores.cols where k != j && abs(scores[n, k] - scores[n, j] + 1) <= reach {
                    return "a hinge margin at 0"
                }
            }
        }
        return nil
    }

    // MARK: Training

    /// One SGD run: its model with accuracies, or why it stopped.
    struct TrainingRun {
        var model: TrainedModel?
        /// Why training stopped, in the library's words ("… the learning rate is likely too large").
        var failure: String?
        /// The iteration at which the loss diverged, for the search table.
        var divergedAt: Int?
        var seconds: Double
    }

    /// What the hyperparameter search gives the test cell.
    enum SearchOutcome {
        /// Skipped (--search-size 0) or stopped by a stub: the first run is tested, if it trained.
        case notRun
        /// The setting with the best validation accuracy.
        case best(TrainedModel)
        /// No setting trained: nothing is chosen, and the test set stays unseen.
        case everySettingDiverged
    }

    /// Trains a fresh classifier; a divergence becomes a `failure` instead of an error.
    private func train(_ data: PreparedData, learningRate: Double, strength: Double, seed: UInt64,
                       progress: (Int, Double) -> Void = { _, _ in }) throws -> TrainingRun {
        var classifier = makeClassifier()
        let start = Date()
        do {
            let history = try classifier.train(x: data.train.images, y: data.train.labels, learningRate: learningRate, reg: strength,
                                               iterations: iterations, batchSize: batchSize, seed: seed,
                                               progressEvery: max(iterations / 10, 1), progress: progress)
            let trainAccuracy = accuracy(predicted: try classifier.predict(data.train.images), labels: data.train.labels)
            let validationAccuracy = accuracy(predicted: try classifier.predict(data.validation.images), labels: data.validation.labels)
            let model = TrainedModel(classifier: classifier, learningRate: learningRate, strength: strength, history: history,
                                     trainAccuracy: trainAccuracy, validationAccuracy: validationAccuracy)
            return TrainingRun(model: model, failure: nil, divergedAt: nil, seconds: Date().timeIntervalSince(start))
        } catch let error as LinearClassifierError {
            guard case let .diverged(iteration, _) = error else { throw error }
            return TrainingRun(model: nil, failure: "\(error)", divergedAt: iteration, seconds: Date().timeIntervalSince(start))
        }
    }

    private func testAccuracy(_ classifier: any LinearClassifier, _ data: PreparedData) throws -> Double {
        accuracy(predicted: try classifier.predict(data.test.images), labels: data.test.labels)
    }

    // MARK: Pictures

    /// One row of class templates per model: W without its bias row, one column per class, read as a
    /// (3, 32, 32) image, each row rescaled together (a constant W gives flat grey templates), labelled
    /// with the class names.
    private func templateGrid(_ rows: [(label: String, model: TrainedModel)], classNames: [String]) -> RGBImage {
        var grid = ImageGrid(scale: 4, padding: 6)
        for (label, model) in rows {
            let pixels = model.classifier.weights.rows(0 ..< CIFAR10.featureCount).transposed      // (C, 3072)
            let templates = templateImages(fromRows: pixels, channels: CIFAR10.channelCount,
                                           height: CIFAR10.imageHeight, width: CIFAR10.imageWidth)
            grid.addRow(templates.enumerated().map { GridCell($1, caption: classNames[$0]) }, label: label)
        }
        return grid.makeImage()
    }
}

/// A loss function of the Workbook: (W, x, y, strength, penalty) to (loss, dW).
typealias LossFunction = (Matrix, Matrix, [Int], Double, Regularization) throws -> (loss: Double, dW: Matrix)

/// The four parts of the split after preprocessing (mean image subtracted, bias feature appended).
struct PreparedData {
    let train: LabeledImages, validation: LabeledImages, test: LabeledImages, development: LabeledImages
    let classNames: [String]
    /// D, bias feature included.
    var features: Int { train.images.cols }
    /// C.
    var classes: Int { classNames.count }
}

/// A trained classifier with the settings that made it and how well it does.
struct TrainedModel {
    let classifier: any LinearClassifier
    let learningRate: Double, strength: Double
    let history: [Double]
    let trainAccuracy: Double, validationAccuracy: Double
}

/// --loss.
enum LossKind: String, ExpressibleByArgument, CaseIterable {
    case svm, softmax
    var title: String { self == .svm ? "SVM (hinge)" : "Softmax (cross-entropy)" }
}

/// --reg-type, with strengths that suit each penalty's scale.
///
/// Trained CIFAR-10 weights (mean image subtracted, pixels 0...255) are about 1e-5 to 1e-4, and the data
/// gradient is about 1 per entry. L2's gradient 2 lambda W is comparable at lambda near 1e4 (the course's
/// 2.5e4); L1's lambda sign(W) at lambda near 1 to 10; the elastic net's with beta = 1e4 at lambda near 0.1 to 1.
/// The ranges were checked on the full split with 1,500 iterations.
enum RegularizationKind: String, ExpressibleByArgument, CaseIterable {
    case l2, l1, elastic

    /// The strength of the first training run.
    var firstStrength: Double {
        switch self {
        case .l2: return 2.5e4
        case .l1: return 5
        case .elastic: return 0.3
        }
    }

    /// The search's strength range, low then high.
    var searchRange: [Double] {
        switch self {
        case .l2: return [1e3, 3e4]
        case .l1: return [0.3, 30]
        case .elastic: return [0.03, 3]
        }
    }
}

/// Numbers such as learning rates and strengths, short: 1e-07, 2.5e+04, 0.3.
func format(_ x: Double) -> String { String(format: "%.3g", x) }
