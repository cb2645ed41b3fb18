import ConvolutionLayers
import LectureNetworks
import XCTest
@testable import cnn

/// `cnn`'s flags as the program parses them: presets fill in only what is not given; impossible
/// settings are refused before anything runs.
final class CNNFlagTests: XCTestCase {
    func testDefaultsAndSmokeTest() throws {
        let run = try CNNProgram.parse([])
        XCTAssertEqual([run.compareCount, run.filters, run.filterSize], [10, 32, 7])
        XCTAssertEqual(try CNNProgram.parse(["--smoke-test"]).compareCount, 2)
        XCTAssertEqual(try CNNProgram.parse(["--compare-count", "5", "--smoke-test"]).compareCount, 5, "a count given wins over the preset")
    }

    func testTrainingDefaultsAreTheIssues() throws {
        let run = try CNNProgram.parse([])
        XCTAssertEqual([run.epochs, run.batchSize, run.hiddenSize, run.trainCount, run.validationCount, run.testCount], [1, 50, 100, 49_000, 1_000, 1_000])
        XCTAssertEqual(run.learningRate, 1e-3)
        XCTAssertEqual(run.architectureText, "conv32k7-relu-pool-fc100-relu", "the three-layer convnet")
        let smoke = try CNNProgram.parse(["--smoke-test", "--train-count", "800"])
        XCTAssertEqual([smoke.trainCount, smoke.validationCount, smoke.testCount, smoke.epochs], [800, 100, 100, 1])
        XCTAssertEqual(try CNNProgram.parse(["--filters", "16", "--filter-size", "5", "--hidden-size", "50"]).architectureText,
                       "conv16k5-relu-pool-fc50-relu")
        XCTAssertEqual(try CNNProgram.parse(["--architecture", "[conv32-relu]x2-pool-fc100-relu"]).architectureText,
                       "[conv32-relu]x2-pool-fc100-relu")
    }

    func testAnArchitectureThatDoesNotParseOrFitIsRefusedNamingTheLayer() {
        for (form, expected) in [("conv32-sigmoid", "'sigmoid' (at character 8) is not a layer"),
                                 ("[conv8-pool]x6", "layer 12 (pool) does not fit"),
                                 ("fc10-conv8", "layer 2 (conv8) is out of the lecture's pattern")] {
            XCTAssertThrowsError(try CNNProgram.parse(["--architecture", form]), form) { error in
                let message = CNNProgram.message(for: error)
                XCTAssertTrue(message.contains(expected), message)
            }
        }
    }

    /// Issue: `--filters` was silently ignored with `--architecture` (the timing cell still used it). The
    /// three-layer convnet's flags are refused beside it, saying why (not that one of them "wins") and what to write; the naive
    /// layers are timed on the first convolution of the net that is trained.
    func testTheThreeLayerNetsFlagsAreRefusedBesideAnArchitecture() throws {
        let form = "[conv32-relu]x2-pool-fc100-relu"
        for (arguments, expected) in [(["--filters", "16"], "--filters 16 sets the three-layer convnet, which --architecture replaces, so it cannot go with --architecture, whose layers give their own sizes"),
                                      (["--hidden-size", "50", "--weight-scale", "0.01"], "--hidden-size 50, --weight-scale 0.01 set the three-layer convnet, which --architecture replaces, so they cannot go with --architecture"),
                                      (["--filter-size", "5"], "e.g. \"conv32k5-relu-pool-fc100-relu\"")] {
            XCTAssertThrowsError(try CNNProgram.parse(["--architecture", form] + arguments), "\(arguments)") { error in
                let message = CNNProgram.message(for: error)
                XCTAssertTrue(message.contains(expected), message)
            }
        }
        let architecture = try CNNProgram.parse(["--architecture", "conv16k5-relu-pool-fc50-relu"])
        XCTAssertEqual([architecture.timedConvolution.filters, architecture.timedConvolution.size], [16, 5], "the trained net's first convolution")
        let threeLayer = try CNNProgram.parse(["--filters", "8", "--filter-size", "3"])
        XCTAssertEqual([threeLayer.timedConvolution.filters, threeLayer.timedConvolution.size], [8, 3])
        let affineOnly = try CNNProgram.parse(["--architecture", "fc100-relu"])
        XCTAssertNil(affineOnly.architectureConvolution)
        XCTAssertEqual([affineOnly.timedConvolution.filters, affineOnly.timedConvolution.size], [32, 7], "no convolution: the three-layer net's")
    }

    /// Issue: `--epochs 0` was refused without a reason. As two-layer-net's with --load, it evaluates a
    /// checkpoint: with --resume, the last run's.
    func testEpochsZeroEvaluatesTheCheckpointOfAResume() throws {
        XCTAssertEqual(try CNNProgram.parse(["--epochs", "0", "--resume"]).epochs, 0)
    }

    /// Issue: `--architecture conv32k33` diverged blaming the learning rate. It is the learning rate (the
    /// same net trains at 1e-4, and diverges at 1e-3 even with a tiny last layer); the hint says why and
    /// what to type, naming the widest layer.
    func testTheDivergenceHintNamesTheWidestLayer() throws {
        let net = try PatternConvNet(try NetworkArchitecture(parsing: "conv32k33"), seed: 1)
        let hint = CNNProgram.divergenceHint(parameters: net.parameters, learningRate: 1e-3)
        XCTAssertTrue(hint.contains("(here W2 takes 32,768 inputs)"), hint)
        XCTAssertTrue(hint.hasSuffix("Try a smaller --learning-rate (e.g. 1e-04), or pool before the last layers."), hint)
    }

    func testImpossibleSettingsAreRefused() {
        for (arguments, expected) in [(["--filter-size", "4"], "--filter-size 4 is even"),
                                      (["--filter-size", "33"], "larger than a CIFAR-10 image"),
                                      (["--compare-count", "0"], "--compare-count"),
                                      (["--filters", "0"], "--filters"),
                                      (["--epochs", "0"], "--epochs 0 only evaluates a checkpoint: add --resume"),
                                      (["--epochs", "-1", "--resume"], "--epochs must be positive, got -1"),
                                      (["--batch-size", "600", "--smoke-test"], "--batch-size 600 is larger than the 500 training images"),
                                      (["--train-count", "49500", "--validation-count", "1000"], "more than CIFAR-10's 50,000"),
                                      (["--learning-rate", "0"], "--learning-rate")] {
            XCTAssertThrowsError(try CNNProgram.parse(arguments), "\(arguments)") { error in
                let message = CNNProgram.message(for: error)
                XCTAssertTrue(message.contains(expected), message)
            }
        }
    }
}
