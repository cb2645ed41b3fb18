import ArgumentParser
import ChapterSupport
import Datasets
import Foundation
import GradientCheck
import LinearAlgebra
import Pictures
import Workbook

/// `swift run -c release knn`: chapter 1 on real CIFAR-10, cell by cell, with the Workbook's kNN.
@main
struct KNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn",
        abstract: "Chapter 1: k-nearest neighbours on CIFAR-10, with \(workbookTrack == "solutions" ? "the reference kNN" : "your kNN").",
        discussion: """
            Runs the chapter as a notebook, cell by cell: load and look at the data; the three L2 distance \
            implementations, timed and compared; accuracy at k = 1 and k = 5; cross-validation over k; \
            the test accuracy at the best k. Writes report.md and the pictures to --output.

            Examples:
              swift run -c release knn
                  the course's 5,000 / 500 subsample
              swift run -c release knn --metric l1 --seed 3
                  about 2.5 minutes: L1 has no matrix-product shortcut
              swift run -c release knn --full --k 10
                  all 50,000 training and 10,000 test images
              swift run -c release knn --smoke-test
                  500 training and 50 test images, seconds
            """)

    /// The list options, whose values may be negative numbers (see `attachingListValues`).
    static let listOptions: Set<String> = ["--k-choices"]

    static func main() { main(attachingListValues(CommandLine.arguments.dropFirst(), to: listOptions)) }

    @OptionGroup var options: ProgramOptions
    @OptionGroup var data: DataOptions

    // The counts are optional so that --smoke-test and --full fill in only the ones not given: a count
    // typed on the command line always wins over a preset.

    @Option(name: .customLong("train-count"), parsing: .unconditional, help: ArgumentHelp(
        "Training images to use: the first N of the training set (default: 5,000; 500 with --smoke-test, all 50,000 with --full).",
        valueName: "n"))
    var givenTrainCount: Int?

    @Option(name: .customLong("test-count"), parsing: .unconditional, help: ArgumentHelp(
        "Test images to use: the first N of the test set (default: 500; 50 with --smoke-test, all 10,000 with --full).",
        valueName: "n"))
    var givenTestCount: Int?

    @Option(name: .long, help: "Distance for prediction and cross-validation: l1 or l2.")
    var metric: DistanceMetric = .l2

    @Option(name: .customLong("folds"), parsing: .unconditional, help: ArgumentHelp("Cross-validation folds (default: 5; 3 with --smoke-test).", valueName: "n"))
    var givenFolds: Int?

    @Option(name: .long, parsing: .upToNextOption, help: "Values of k to cross-validate.")
    var kChoices = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100]

    @Option(name: .customLong("compare-count"), parsing: .unconditional, help: ArgumentHelp(
        "Test images timed with the slow two-loop and one-loop distances; the no-loop version takes them all (default: 500; 20 with --smoke-test or --full, where the two-loop version would take minutes against 50,000 training images).",
        valueName: "n"))
    var givenCompareCount: Int?

    @Flag(name: .long, help: """
        Use all 50,000 training and 10,000 test images: no cross-validation, prediction at --k in blocks. \
        --train-count and --test-count, if given, still choose the counts.
        """)
    var full = false

    @Option(name: .long, parsing: .unconditional, help: "With --full: the k to predict with (default 10, the cross-validated choice on the subsample).")
    var k: Int?

    @Flag(name: .long, help: """
        A quick check that everything runs: 500 training and 50 test images, 3 folds, 20 images timed. \
        --train-count, --test-count, --folds and --compare-count, if given, win over these numbers.
        """)
    var smokeTest = false

    /// The counts of a run whose flags are not given: the course's subsample, or the preset's.
    private var preset: (trainCount: Int, testCount: Int, compareCount: Int, folds: Int) {
        if full { return (CIFAR10.trainingRecordCount, CIFAR10.testRecordCount, 20, 5) }
        if smokeTest { return (500, 50, 20, 3) }
        return (5_000, 500, 500, 5)
    }

    /// The first N training images are used: --train-count, or the preset's.
    var trainCount: Int { givenTrainCount ?? preset.trainCount }
    /// The first N test images are used: --test-count, or the preset's.
    var testCount: Int { givenTestCount ?? preset.testCount }
    /// Test images for the timed comparison of the distance implementations: --compare-count, or the preset's.
    var compareCount: Int { givenCompareCount ?? preset.compareCount }
    /// Cross-validation folds: --folds, or the preset's.
    var folds: Int { givenFolds ?? preset.folds }

    func validate() throws {
        guard !(smokeTest && full) else {
            throw ValidationError("--smoke-test and --full are two different runs: choose one (--full --train-count N --test-count M makes a small --full run)")
        }
        try requirePositive(trainCount, flag: "--train-count")
        try requirePositive(testCount, flag: "--test-count")
        try requirePositive(compareCount, flag: "--compare-count")
        if full {
            let k = self.k ?? 10
            guard k >= 1 && k <= trainCount else { throw ValidationError("--k \(k) is impossible: k must be between 1 and \(trainCount), the training images") }
        } else {
            guard k == nil else { throw ValidationError("--k goes with --full; without it the program chooses k by cross-validation over --k-choices") }
            guard folds >= 2 && folds <= trainCount else {
                throw ValidationError("--folds \(folds) is impossible with \(trainCount) training images: use 2 to \(trainCount) folds")
            }
            for choice in kChoices { try requirePositive(choice, flag: "--k-choices") }
            guard kChoices.contains(where: { $0 <= largestCrossValidatedK }) else {
                throw ValidationError("every --k-choices value is larger than \(largestCrossValidatedK), the training images of a fold: choose smaller ones")
            }
        }
    }

    /// The training part of the smallest fold: no k above it can be cross-validated.
    private var largestCrossValidatedK: Int { trainCount - (trainCount + folds - 1) / folds }

    func run() throws {
        let notebook = try Notebook(title: "Chapter 1 · k-nearest neighbours", program: "knn", track: workbookTrack, options: options,
                                    chapterTests: "KNNTests", preset: full ? "full" : smokeTest ? "smoke-test" : nil)
        let cifar = try loadData(notebook)!
        // Every cell appears, so that the count of cells not run is right: a cell that needs the trained
        // classifier says which stub stopped it; cross-validation trains classifiers of its own.
        let classifier = try train(notebook, cifar)
        let trainNote = classifier == nil ? notebook.lastNote : nil
        func needsClassifier(_ heading: String, _ body: (KNearestNeighbor) throws -> Void) throws {
            guard let classifier else { return notebook.cellNotRun(heading, needs: "the trained classifier", waitingFor: trainNote) }
            try body(classifier)
        }
        var l2Distances: Matrix?
        try needsClassifier(Self.distancesHeading) { l2Distances = try compareDistanceImplementations(notebook, $0, cifar).flatMap { $0 } }
        if full {
            try needsClassifier(fullHeading) { try predictFull(notebook, $0, cifar, k: k ?? 10) }
        } else {
            try needsClassifier(smallKHeading) { try accuracyAtSmallK(notebook, $0, cifar, l2Distances: l2Distances) }
            let bestK = try crossValidation(notebook, cifar)
            try needsClassifier(Self.bestKHeading) { try testAtBestK(notebook, $0, cifar, k: bestK ?? 1) }
        }
        try notebook.finish()
    }

    // MARK: Cells

    static let distancesHeading = "L2 distances, three ways"
    static let bestKHeading = "Test accuracy at the best k"
    var smallKHeading: String { "Accuracy at k = 1 and k = 5 (\(metric.rawValue.uppercased()))" }
    var fullHeading: String { "All 10,000 test images against all 50,000 training images, k = \(k ?? 10)" }

    private func loadData(_ notebook: Notebook) throws -> CIFAR10? {
        try notebook.cell("Load CIFAR-10") { cell in
            let (cifar, seconds) = try timed {
                try CIFAR10(directory: data.directory, trainCount: trainCount, testCount: testCount)
            }
            cell.say("Read \(cifar.train.count) training and \(cifar.test.count) test images from \(data.directory.path) in \(format(seconds: seconds)).")
            cell.say("Training images \(cifar.train.images.shapeDescription), test images \(cifar.test.images.shapeDescription): one row per image, 3,072 pixel values 0...255 (1,024 red, 1,024 green, 1,024 blue).")
            let trainCounts = classCounts(cifar.train.labels, classes: CIFAR10.classCount)
            let testCounts = classCounts(cifar.test.labels, classes: CIFAR10.classCount)
            cell.table(["class", "training images", "test images"],
                       cifar.classNames.indices.map { [cifar.classNames[$0], "\(trainCounts[$0])", "\(testCounts[$0])"] })
            var rng = SeededGenerator(seed: options.seed)
            var grid = ImageGrid(scale: 2, padding: 3)
            for label in 0 ..< CIFAR10.classCount {
                var members = cifar.train.labels.indices.filter { cifar.train.labels[$0] == label }
                rng.shuffle(&members)
                grid.addRow(members.prefix(8).map { GridCell(image(cifar.train.images, $0)) }, label: cifar.classNames[label])
            }
            try cell.picture(grid.makeImage(), file: "sample_images.png",
                             caption: "Eight random training images of each class (seed \(options.seed)).")
            return cifar
        }
    }

    private func train(_ notebook: Notebook, _ cifar: CIFAR10) throws -> KNearestNeighbor? {
        try notebook.cell("Train: memorise the training set") { cell in
            var classifier = KNearestNeighbor()
            try classifier.train(x: cifar.train.images, y: cifar.train.labels)
            cell.say("The classifier holds \(classifier.xTrain.rows) training images and \(classifier.yTrain.count) labels: kNN's training is remembering.")
            return classifier
        }
    }

    /// Times the three L2 implementations on the first `compareCount` test images and checks that they
    /// agree. Returns the no-loop distances when they cover the whole test set.
    private func compareDistanceImplementations(_ notebook: Notebook, _ classifier: KNearestNeighbor,
                                                _ cifar: CIFAR10) throws -> Matrix?? {
        try notebook.cell(Self.distancesHeading) { cell in
            let slice = cifar.test.images.rows(0 ..< min(compareCount, cifar.test.count))
            cell.say("Distances between \(slice.rows) test images and \(cifar.train.count) training images: a (\(slice.rows), \(cifar.train.count)) matrix.")
            let implementations: [(String, (Matrix) throws -> Matrix)] = [
                ("two loops", classifier.computeDistancesTwoLoops),
                ("one loop", classifier.computeDistancesOneLoop),
                ("no loops", classifier.computeDistancesNoLoops),
            ]
            var results: [(name: String, distances: Matrix, seconds: Double)] = []
            var rows: [[String]] = []
            for (name, compute) in implementations {
                print("    \(name)…")
                do {
                    let (distances, seconds) = try timed { try compute(slice) }
                    guard distances.rows == slice.rows && distances.cols == cifar.train.count else {
                        cell.say("⚠ \(name) returned shape \(distances.shapeDescription), not (\(slice.rows), \(cifar.train.count)): " +
                                 "one row per test image, one column per training image. `swift test --filter KNNTests` shows more.")
                        rows.append([name, format(seconds: seconds), "wrong shape"])
                        continue
                    }
                    let reference = results.first
                    let difference = reference.map { describe((distances - $0.distances).squared.sum().squareRoot()) } ?? "—"
                    results.append((name, distances, seconds))
                    rows.append([name, format(seconds: seconds), difference])
                } catch let stub as NotImplemented {
                    notebook.note(stub, in: cell)
                    rows.append([name, "not implemented", "—"])
                }
            }
            cell.table(["implementation", "time", "Frobenius difference from the first"], rows)
            guard let first = results.first, let last = results.last else { return nil }
            let tolerance = 1e-6 * Double(slice.rows)
            if results.count > 1 {
                let agree = results.allSatisfy { ($0.distances - first.distances).squared.sum().squareRoot() < tolerance }
                cell.say(agree ? "The implementations agree." : "⚠ The implementations disagree: check them with `swift test --filter KNNTests`.")
                let ratio = first.seconds / max(last.seconds, 1e-9)
                cell.say(ratio >= 1.5 ? String(format: "\(last.name) is %.0f× faster than \(first.name).", ratio)
                         : "\(last.name) and \(first.name) take about as long on this few images: the difference shows on the full subsample.")
            }
            let (picture, shownColumns) = Self.distancePicture(last.distances)
            let columns = shownColumns == last.distances.cols
                ? "one column per training image"
                : "one column for each of the first \(shownColumns) of the \(last.distances.cols) training images"
            try cell.picture(RGBImage(picture), file: "distances.png",
                             caption: "The L2 distances: one row per test image, \(columns); bright is far (grey levels span the 2nd to the 98th percentile).")
            return slice.rows == cifar.test.count && last.name == "no loops" ? last.distances : nil
        }
    }

    private func accuracyAtSmallK(_ notebook: Notebook, _ classifier: KNearestNeighbor, _ cifar: CIFAR10,
                                  l2Distances: Matrix?) throws {
        try notebook.cell(smallKHeading) { cell in
            let distances = try (metric == .l2 ? l2Distances : nil)
                ?? (metric == .l2 ? classifier.computeDistancesNoLoops(cifar.test.images) : classifier.computeL1Distances(cifar.test.images))
            var rows: [[String]] = []
            for k in [1, 5] where k <= cifar.train.count {
                let predicted = try classifier.predictLabels(distances: distances, k: k)
                let correct = zip(predicted, cifar.test.labels).filter { $0 == $1 }.count
                rows.append(["\(k)", "\(correct) / \(cifar.test.count)", String(format: "%.3f", Double(correct) / Double(cifar.test.count))])
            }
            cell.table(["k", "correct", "accuracy"], rows)
            cell.say("Chance is 0.100 with ten balanced classes.")
            try cell.picture(neighbourGrid(distances, cifar), file: "nearest_neighbours.png",
                             caption: "Test images (left) and their 7 nearest training images: green border when the neighbour's label is the test image's, red otherwise.")
        }
    }

    private func crossValidation(_ notebook: Notebook, _ cifar: CIFAR10) throws -> Int? {
        try notebook.cell("\(folds)-fold cross-validation over k") { cell in
            let usable = kChoices.filter { $0 <= largestCrossValidatedK }
            if usable.count < kChoices.count {
                cell.say("Left out k = \(kChoices.filter { !usable.contains($0) }.map(String.init).joined(separator: ", ")): larger than the training part of a fold.")
            }
            var progress = ProgressLine("fold", total: folds)
            let accuracies = try crossValidate(x: cifar.train.images, y: cifar.train.labels, kChoices: usable,
                                               folds: folds, metric: metric) { done, _ in progress.update(done) }
            let summary = usable.map { k -> (k: Int, mean: Double, deviation: Double) in
                let values = accuracies[k] ?? []
                let mean = values.reduce(0, +) / Double(max(values.count, 1))
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(values.count, 1))
                return (k, mean, variance.squareRoot())
            }
            cell.table(["k"] + (1 ... folds).map { "fold \($0)" } + ["mean", "std"], summary.map { row in
                ["\(row.k)"] + (accuracies[row.k] ?? []).map { String(format: "%.3f", $0) }
                    + [String(format: "%.3f", row.mean), String(format: "%.3f", row.deviation)]
            })
            if accuracies.values.joined().contains(where: { !(0 ... 1).contains($0) }) {
                cell.say("⚠ Some accuracies are outside 0...1: crossValidate must return fractions (correct / fold size).")
            }
            // Highest mean accuracy; on a tie the smaller k (the simpler model).
            let best = summary.max { ($0.mean, -$0.k) < ($1.mean, -$1.k) }!
            cell.say(String(format: "Best k = %d: mean validation accuracy %.3f ± %.3f.", best.k, best.mean, best.deviation))
            var plot = ErrorBarPlot(title: "Cross-validation accuracy (\(metric.rawValue.uppercased()), \(folds) folds)",
                                    xLabel: "k", yLabel: "validation accuracy", valueName: "each fold")
            for row in summary { plot.addValues(accuracies[row.k] ?? [], at: Double(row.k)) }
            try cell.plot(plot, file: "accuracy_vs_k.svg",
                          caption: "Each dot is one fold's accuracy; the line joins the means, with one standard deviation as error bars.")
            return best.k
        }
    }

    private func testAtBestK(_ notebook: Notebook, _ classifier: KNearestNeighbor, _ cifar: CIFAR10, k: Int) throws {
        try notebook.cell(Self.bestKHeading) { cell in
            let predicted = try classifier.predict(cifar.test.images, k: k, metric: metric)
            let correct = zip(predicted, cifar.test.labels).filter { $0 == $1 }.count
            cell.say(String(format: "k = %d, %@ distance: %d / %d correct, test accuracy %.3f.", k, metric.rawValue.uppercased(),
                            correct, cifar.test.count, Double(correct) / Double(cifar.test.count)))
        }
    }

    private func predictFull(_ notebook: Notebook, _ classifier: KNearestNeighbor, _ cifar: CIFAR10, k: Int) throws {
        try notebook.cell(fullHeading) { cell in
            let blockSize = 1_000
            var progress = ProgressLine("test block", total: (cifar.test.count + blockSize - 1) / blockSize)
            let (predicted, seconds) = try timed {
                try classifier.predict(cifar.test.images, k: k, metric: metric, blockSize: blockSize) { done, _ in progress.update(done) }
            }
            let correct = zip(predicted, cifar.test.labels).filter { $0 == $1 }.count
            cell.say(String(format: "%d / %d correct, test accuracy %.4f, in %@ (distances in blocks of %d test images).",
                            correct, cifar.test.count, Double(correct) / Double(cifar.test.count), format(seconds: seconds), blockSize))
        }
    }

    /// A number for the tables; NaN spelled out (a NaN distance is a missing clamp before the square root).
    private func describe(_ x: Double) -> String { x.isNaN ? "NaN" : String(format: "%.3g", x) }

    // MARK: Pictures

    /// The most training images (columns) `distances.png` shows: a (500, 5,000) matrix becomes a square.
    static let distancePictureColumns = 500

    /// The distance matrix as a grey picture, one pixel per distance, bright far: the first
    /// ``distancePictureColumns`` columns, each pixel enlarged (up to 4 times, at most 1,000 pixels
    /// across) when there are fewer than 100 rows.
    /// - Returns: the picture and how many columns (the first) it shows.
    static func distancePicture(_ distances: Matrix) -> (image: GrayImage, shownColumns: Int) {
        let shown = min(distances.cols, distancePictureColumns)
        let firstColumns = Matrix(rows: distances.rows, cols: shown,
                                  (0 ..< distances.rows).flatMap { distances.rowSlice($0).prefix(shown) })
        let factor = distances.rows < 100 ? max(1, min(4, 1_000 / max(shown, 1))) : 1
        // Grey levels span the 2nd to the 98th percentile, so that a few extreme distances do not
        // leave everything else mid-grey; the rows and columns of outliers stay visible.
        let sorted = firstColumns.storage.filter(\.isFinite).sorted()
        guard let last = sorted.indices.last else { return (GrayImage(scaling: firstColumns).upscaled(by: factor), shown) }
        let (low, high) = (sorted[last * 2 / 100], sorted[last * 98 / 100])
        return (GrayImage(scaling: firstColumns.maximum(low).minimum(high)).upscaled(by: factor), shown)
    }

    private func image(_ images: Matrix, _ row: Int) -> RGBImage {
        RGBImage(width: CIFAR10.imageWidth, height: CIFAR10.imageHeight, bytes: CIFAR10.hwcBytes(row: row, of: images))
    }

    /// Eight test images, each followed by its seven nearest training images, bordered by correctness.
    private func neighbourGrid(_ distances: Matrix, _ cifar: CIFAR10) -> RGBImage {
        let shown = 7
        var grid = ImageGrid(scale: 2, padding: 3, columnTitles: ["test"] + (1 ... shown).map { "\($0)" })
        for i in 0 ..< min(8, distances.rows) {
            let row = distances.rowSlice(i)
            let nearest = row.indices.sorted { (row[$0], $0) < (row[$1], $1) }.prefix(shown)
            let truth = cifar.test.labels[i]
            let cells = [GridCell(image(cifar.test.images, i))] + nearest.map { j -> GridCell in
                let label = cifar.train.labels[j - row.startIndex]
                return GridCell(image(cifar.train.images, j - row.startIndex), border: label == truth ? .green : .red,
                                caption: cifar.classNames[label])
            }
            grid.addRow(cells, label: cifar.classNames[truth])
        }
        return grid.makeImage()
    }
}

extension DistanceMetric: ExpressibleByArgument {}
