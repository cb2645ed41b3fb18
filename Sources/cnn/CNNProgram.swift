import ArgumentParser
import ChapterSupport
import ConvolutionLayers
import Datasets
import Foundation
import GradientCheck
import LinearAlgebra
import Pictures
import Training
import Workbook

/// `swift run -c release cnn`: chapter 6 on real CIFAR-10, cell by cell, with the Workbook's layers.
@main
struct CNNProgram: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn",
        abstract: "Chapter 6: convolutional networks on CIFAR-10, with your layers.",
        discussion: """
            Runs the chapter as a notebook, cell by cell: the lecture's bookkeeping (output sizes, parameters, \
            receptive fields) with your functions; your naive convolution and max pooling against the given \
            fast layers, timed, on real images; the three-layer convnet (conv 32 7x7 - ReLU - 2x2 pool - fc 100 - \
            ReLU - fc 10 - softmax) trained with Adam by the Solver, with its accuracy per epoch, the test accuracy \
            and a checkpoint after each best epoch; pictures of its filters, feature maps, loss, accuracy and \
            confusion matrix. Writes them with report.md to --output.

            Examples:
              swift run -c release cnn
                  one epoch on 49,000 images
              swift run -c release cnn --epochs 10 --learning-rate-decay 0.9
              swift run -c release cnn --epochs 10 --resume
                  continue a run stopped part-way
              swift run -c release cnn --architecture "[conv32-relu]x2-pool-fc100-relu"
              swift run -c release cnn --smoke-test
                  a run of seconds
            """)

    @OptionGroup var options: ProgramOptions
    @OptionGroup var dataset: DataOptions

    @Option(name: .customLong("compare-count"), parsing: .unconditional, help: ArgumentHelp(
        "Images on which your naive layers are timed against the fast ones (default: 10; 2 with --smoke-test).",
        valueName: "n"))
    var givenCompareCount: Int?

    @Option(name: .customLong("filters"), parsing: .unconditional, help: ArgumentHelp(
        "Filters of the three-layer convnet's convolution (default: 32); not with --architecture, whose conv<F> says it.",
        valueName: "n"))
    var givenFilters: Int?

    @Option(name: .customLong("filter-size"), parsing: .unconditional, help: ArgumentHelp(
        "Side of the three-layer convnet's square filters (default: 7; odd: the padding (F - 1) / 2 keeps the size); not with --architecture, whose conv<F>k<K> says it.",
        valueName: "n"))
    var givenFilterSize: Int?

    @Option(name: .customLong("hidden-size"), parsing: .unconditional, help: ArgumentHelp(
        "Hidden units of the three-layer convnet's affine layer after the pooling (default: 100); not with --architecture, whose fc<H> says it.",
        valueName: "n"))
    var givenHiddenSize: Int?

    @Option(name: .long, help: ArgumentHelp("""
        Train another net of the lecture's pattern instead, written as layers joined by '-': conv<F> (3x3), conv<F>k<K>, \
        relu, pool (2x2), fc<H>, and [...]x<M> for a repeated group, e.g. "[conv32-relu]x2-pool-fc100-relu" \
        (the last affine layer and the softmax are implied; weights start as He et al.'s).
        """, valueName: "form"))
    var architecture: String?

    @Option(name: .customLong("epochs"), parsing: .unconditional, help: ArgumentHelp(
        "Passes over the training set, a resumed run's earlier epochs included. 0 only evaluates the checkpoint that --resume reads.",
        valueName: "n"))
    var epochs = 1

    @Option(name: .long, parsing: .unconditional, help: "Images per minibatch.")
    var batchSize = 50

    @Option(name: .long, parsing: .unconditional, help: "Adam's learning rate in the first epoch.")
    var learningRate = 1e-3

    @Option(name: .long, parsing: .unconditional, help: "The learning rate is multiplied by this after every epoch (1 keeps it).")
    var learningRateDecay = 1.0

    @Option(name: .long, parsing: .unconditional, help: "Regularization strength λ of the L2 penalty λ Σ W² (weights only).")
    var reg = 1e-3

    @Option(name: .customLong("weight-scale"), parsing: .unconditional, help: ArgumentHelp(
        "Standard deviation of the three-layer convnet's initial weights (default: 0.001); not with --architecture, whose weights start as He et al.'s.",
        valueName: "s"))
    var givenWeightScale: Double?

    @Option(name: .customLong("train-count"), parsing: .unconditional, help: ArgumentHelp(
        "Training images (default: 49,000; 500 with --smoke-test).", valueName: "n"))
    var givenTrainCount: Int?

    @Option(name: .customLong("validation-count"), parsing: .unconditional, help: ArgumentHelp(
        "Validation images, right after the training images (default: 1,000; 100 with --smoke-test).", valueName: "n"))
    var givenValidationCount: Int?

    @Option(name: .customLong("test-count"), parsing: .unconditional, help: ArgumentHelp(
        "Test images (default: 1,000; 100 with --smoke-test).", valueName: "n"))
    var givenTestCount: Int?

    @Flag(name: .long, help: """
        Continue from the checkpoint of the last run with this --output (the one stopped part-way, if any, in <output>.failed): \
        its parameters after the last finished epoch, Adam's moments, the epoch count and the best validation accuracy; the run \
        then trains the epochs left of --epochs as the stopped run would have (with the same flags and --seed).
        """)
    var resume = false

    @Flag(name: .long, help: """
        A quick check that everything runs: 2 images timed, 500 training, 100 validation and 100 test images, one epoch. \
        Counts given, if any, win over these numbers.
        """)
    var smokeTest = false

    /// Images timed with the naive layers: --compare-count, or the preset's.
    var compareCount: Int { givenCompareCount ?? (smokeTest ? 2 : 10) }
    var trainCount: Int { givenTrainCount ?? (smokeTest ? 500 : 49_000) }
    var validationCount: Int { givenValidationCount ?? (smokeTest ? 100 : 1_000) }
    var testCount: Int { givenTestCount ?? (smokeTest ? 100 : 1_000) }
    /// The three-layer convnet's sizes: the flags, or the lecture's net (32 filters 7 x 7, 100 hidden units).
    var filters: Int { givenFilters ?? 32 }
    var filterSize: Int { givenFilterSize ?? 7 }
    var hiddenSize: Int { givenHiddenSize ?? 100 }
    var weightScale: Double { givenWeightScale ?? 1e-3 }
    /// The convolution whose naive and fast layers are timed: the first of the net trained (--architecture's
    /// first conv layer, else the three-layer convnet's). An --architecture without a convolution times the
    /// three-layer convnet's.
    var timedConvolution: (filters: Int, size: Int) { architectureConvolution ?? (filters, filterSize) }

    /// --architecture's first convolution; nil without --architecture, or if it has none.
    var architectureConvolution: (filters: Int, size: Int)? {
        guard let architecture, let layers = try? NetworkArchitecture(parsing: architecture).layers else { return nil }
        for case let .convolution(filters, size) in layers { return (filters, size) }
        return nil
    }

    func validate() throws {
        try requirePositive(compareCount, flag: "--compare-count")
        try requirePositive(filters, flag: "--filters")
        try requirePositive(filterSize, flag: "--filter-size")
        guard filterSize % 2 == 1 else {
            throw ValidationError("--filter-size \(filterSize) is even: the padding (F - 1) / 2 keeps the size only for an odd F (3, 5, 7)")
        }
        guard filterSize <= CIFAR10.imageWidth else {
            throw ValidationError("--filter-size \(filterSize) is larger than a CIFAR-10 image (32 x 32)")
        }
        // As two-layer-net's --epochs 0 with --load: training nothing makes sense only for a net that exists.
        if epochs == 0 && !resume {
            throw ValidationError("""
                --epochs 0 only evaluates a checkpoint: add --resume to test the last run's (the one with this --output), \
                or train for at least one epoch (--epochs 1)
                """)
        }
        if !resume || epochs != 0 { try requirePositive(epochs, flag: "--epochs") }
        for (value, flag) in [(hiddenSize, "--hidden-size"), (batchSize, "--batch-size"), (trainCount, "--train-count"),
                              (validationCount, "--validation-count"), (testCount, "--test-count")] {
            try requirePositive(value, flag: flag)
        }
        try requirePositive(learningRate, flag: "--learning-rate")
        try requirePositive(learningRateDecay, flag: "--learning-rate-decay")
        try requireNotNegative(reg, flag: "--reg")
        try requireNotNegative(weightScale, flag: "--weight-scale")
        guard trainCount + validationCount <= CIFAR10.trainingRecordCount else {
            throw ValidationError("--train-count \(trainCount) and --validation-count \(validationCount) add up to more than CIFAR-10's 50,000 training images")
        }
        guard testCount <= CIFAR10.testRecordCount else { throw ValidationError("--test-count \(testCount) is more than CIFAR-10's 10,000 test images") }
        guard batchSize <= trainCount else {
            throw ValidationError("--batch-size \(batchSize) is larger than the \(trainCount) training images")
        }
        if let architecture {
            do {
                _ = try NetworkArchitecture(parsing: architecture).shapes(input: [3, 32, 32])
            } catch let error as ArchitectureError {
                throw ValidationError("--architecture \"\(architecture)\": \(error)")
            }
            // These set the three-layer convnet, which --architecture replaces: given with it, they would
            // be silently ignored by the net (and half-used by the timing cell).
            let given = [("--filters", givenFilters.map(String.init)), ("--filter-size", givenFilterSize.map(String.init)),
                         ("--hidden-size", givenHiddenSize.map(String.init)), ("--weight-scale", givenWeightScale.map { "\($0)" })]
                .compactMap { flag, value in value.map { "\(flag) \($0)" } }
            if !given.isEmpty {
                throw ValidationError("""
                    \(given.joined(separator: ", ")) set\(given.count == 1 ? "s" : "") the three-layer convnet, which --architecture \
                    replaces, so \(given.count == 1 ? "it cannot go" : "they cannot go") with --architecture, whose layers give their own \
                    sizes (conv<F> for F filters 3 x 3, conv<F>k<K> for K x K, fc<H> for H hidden units; weights start as He et al.'s). \
                    Write the sizes into --architecture, e.g. \
                    "conv\(givenFilters ?? 32)k\(givenFilterSize ?? 7)-relu-pool-fc\(givenHiddenSize ?? 100)-relu", or leave out --architecture.
                    """)
            }
        }
    }

    func run() throws {
        let notebook = try Notebook(title: "Chapter 6 · convolutional networks", program: "cnn", track: workbookTrack,
                                    options: options, chapterTests: "ConvolutionalNetworkTests", preset: smokeTest ? "smoke-test" : nil)
        try bookkeeping(notebook)
        let cifar = try loadData(notebook)!
        try compareLayers(notebook, images: cifar.train.images)
        if let data = try loadSplit(notebook) {
            try trainAndTest(notebook, data)
        }
        try notebook.finish()
    }

    // MARK: Cells

    private func bookkeeping(_ notebook: Notebook) throws {
        try notebook.cell("The lecture's bookkeeping") { cell in
            // Four exercises, each part on its own: a stub stops only its part, and says which it is.
            do {
                var sizes: [[String]] = []
                var misfits: [String] = []      // why, below the table: the error is a sentence, too wide for a column
                for (input, filter, stride, padding) in [(7, 3, 1, 0), (7, 3, 2, 0), (7, 3, 3, 0), (32, 5, 1, 2), (32, 7, 1, 3), (32, 3, 2, 1)] {
                    let result: String
                    do {
                        result = String(try convOutputSize(inputSize: input, filterSize: filter, stride: stride, padding: padding))
                    } catch let error as ConvolutionGeometryError {
                        let note = misfits.count + 1
                        misfits.append("(\(note)) Width \(input), filter \(filter) x \(filter), stride \(stride), padding \(padding): \(error).")
                        result = "does not fit (\(note))"
                    }
                    sizes.append(["\(input)", "\(filter) x \(filter)", "\(stride)", "\(padding)", result])
                }
                cell.table(["input width", "filter", "stride", "padding", "output width"], sizes)
                for misfit in misfits { cell.say(misfit) }
            } catch let stub as NotImplemented {
                notebook.note(stub, in: cell)
            }
            do {
                let input = VolumeShape(width: 32, height: 32, depth: 3)
                let volume = try convOutputVolume(input, filterCount: 10, filterSize: 5, stride: 1, padding: 2)
                let parameters = try convParameterCount(inputDepth: 3, filterCount: 10, filterSize: 5)
                cell.say("Ten 5 x 5 filters at stride 1 with padding 2 on a \(input) image: output \(volume), \(format(count: parameters)) parameters "
                         + "(an affine layer with the same input and output would have \(format(count: 3_072 * 10_240 + 10_240))).")
            } catch let stub as NotImplemented {
                notebook.note(stub, in: cell)
            }
            do {
                let fields = try (1 ... 4).map { try receptiveField(convolutions: $0) }
                cell.say("Receptive field of 1, 2, 3 and 4 stacked 3 x 3 convolutions: \(fields.map { "\($0) x \($0)" }.joined(separator: ", ")).")
            } catch let stub as NotImplemented {
                notebook.note(stub, in: cell)
            }
        }
    }

    private func loadData(_ notebook: Notebook) throws -> CIFAR10? {
        try notebook.cell("Load CIFAR-10") { cell in
            let (cifar, seconds) = try timed {
                try CIFAR10(directory: dataset.directory, trainCount: compareCount, testCount: 0)
            }
            cell.say("Read \(cifar.train.count) training images from \(dataset.directory.path) in \(format(seconds: seconds)).")
            return cifar
        }
    }

    /// The student's naive layers against the given fast ones on `compareCount` real images: the same
    /// numbers, and how long each takes.
    private func compareLayers(_ notebook: Notebook, images: Matrix) throws {
        try notebook.cell("Your naive layers against the fast ones") { cell in
            let n = images.rows
            // Pixels scaled to about -1 ... 1, filters and upstream gradients from the seed.
            let x = Tensor(reshaping: images.map { $0 / 127.5 - 1 }, shape: [n, 3, 32, 32])
            var rng = SeededGenerator(seed: options.seed)
            let (filters, filterSize) = timedConvolution
            let w = Tensor.gaussian([filters, 3, filterSize, filterSize], standardDeviation: 0.1, using: &rng)
            let b = Tensor.gaussian([filters], standardDeviation: 0.1, using: &rng)
            let padding = (filterSize - 1) / 2
            let which = architecture != nil && architectureConvolution == nil
                ? "the three-layer convnet's: the net of --architecture has no convolution" : "the first convolution of the net trained below"
            cell.say("\(n) images (\(n), 3, 32, 32), \(filters) filters \(filterSize) x \(filterSize) (\(which)), stride 1, "
                     + "padding \(padding); then 2 x 2 max pooling at stride 2.")
            var rows: [[String]] = []
            func row(_ name: String, _ naive: Double, _ fast: Double, _ difference: Double) {
                rows.append([name, format(seconds: naive), format(seconds: fast), String(format: "%.0fx", naive / max(fast, 1e-9)),
                             String(format: "%.1e", difference)])
            }
            // The fast layers take milliseconds: each is timed as the best of five runs (the first pays for
            // starting threads and for memory the process has not touched yet).
            func best<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
                var (value, seconds) = try timed(body)
                for _ in 1 ..< 5 {
                    let again = try timed(body)
                    (value, seconds) = (again.value, min(seconds, again.seconds))
                }
                return (value, seconds)
            }
            let (fast, fastForward) = try best { try convForwardFast(x, w, b, stride: 1, padding: padding) }
            let dout = Tensor.gaussian(fast.out.shape, using: &rng)
            let (fastGradients, fastBackward) = try best { try convBackwardFast(dout, cache: fast.cache) }
            let (_, fastParameterGradients) = try best { try convParameterGradientsFast(dout, cache: fast.cache) }
            let (pooledFast, poolFastForward) = try best { try maxPoolForwardFast(fast.out) }
            let dpool = Tensor.gaussian(pooledFast.out.shape, using: &rng)
            let (dpoolFast, poolFastBackward) = try best { try maxPoolBackwardFast(dpool, cache: pooledFast.cache) }
            cell.say("The fast convolution's backward pass without dx (a first layer's): \(format(seconds: fastParameterGradients)).")
            do {
                let (naive, naiveForward) = try timed { try convForwardNaive(x, w, b, stride: 1, padding: padding) }
                row("convolution, forward", naiveForward, fastForward, relativeDifference(naive.out, fast.out))
                let (naiveGradients, naiveBackward) = try timed { try convBackwardNaive(dout, cache: naive.cache) }
                let difference = [relativeDifference(naiveGradients.dx, fastGradients.dx), relativeDifference(naiveGradients.dw, fastGradients.dw),
                                  relativeDifference(naiveGradients.db, fastGradients.db)].max()!
                row("convolution, backward", naiveBackward, fastBackward, difference)
            } catch let stub as NotImplemented {
                notebook.note(stub, in: cell)
            }
            do {
                let (pooled, naiveForward) = try timed { try maxPoolForwardNaive(fast.out, poolHeight: 2, poolWidth: 2, stride: 2) }
                row("max pooling, forward", naiveForward, poolFastForward, relativeDifference(pooled.out, pooledFast.out))
                let (dx, naiveBackward) = try timed { try maxPoolBackwardNaive(dpool, cache: pooled.cache) }
                row("max pooling, backward", naiveBackward, poolFastBackward, relativeDifference(dx, dpoolFast))
            } catch let stub as NotImplemented {
                notebook.note(stub, in: cell)
            }
            // With both naive layers still stubs there is nothing to compare: the two lines above say so.
            guard !rows.isEmpty else { return }
            cell.table(["layer", "naive (yours)", "fast (given)", "speed-up", "largest relative difference"], rows)
            cell.say(fastConvolutionMethod(stride: 1) + "; a difference of 1e-12 or less is rounding. Times are wall-clock, on "
                     + "\(Parallelism.threadCount) thread(s).")
        }
    }
}

/// The largest |a - b| / max(1, |b|) over the entries, or infinity when the shapes differ.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.storage, b.storage).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
}
