import Foundation
import LinearAlgebra
import Training
import Workbook
import XCTest
import ChapterSupport
@testable import cnn

/// `cnn --resume` on a tiny synthetic set (no CIFAR-10 needed): 1 epoch, then `--epochs 2 --resume`,
/// writes the checkpoint that 2 epochs in one go write, bit for bit; a checkpoint of parameters only
/// (as written before the optimizer state was saved) still resumes, with Adam restarting. Skipped on
/// the exercises track, whose layers are stubs.
final class CNNResumeTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("CNNResumeTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        addTeardownBlock { [scratch] in try? FileManager.default.removeItem(at: scratch!) }
    }

    /// 30 training and 10 validation images (3, 8, 8) in 3 classes, each class brightening its own channel.
    private func data() -> PreparedData {
        var rng = SeededGenerator(seed: 3)
        func part(_ n: Int) -> (images: Tensor, labels: [Int]) {
            let labels = (0 ..< n).map { $0 % 3 }
            var values = Tensor.gaussian([n, 3, 8, 8], using: &rng).storage
            for i in 0 ..< n { for k in 0 ..< 64 { values[i * 192 + labels[i] * 64 + k] += 1 } }
            return (Tensor(shape: [n, 3, 8, 8], values), labels)
        }
        return PreparedData(train: part(30), validation: part(10), test: part(10), classNames: ["a", "b", "c"], normalisation: "0,0,0;1,1,1")
    }

    /// The program with the tiny net's flags and `arguments`, writing to `scratch/<folder>`.
    private func program(_ folder: String, _ arguments: [String]) throws -> CNNProgram {
        try CNNProgram.parse(["--filters", "4", "--filter-size", "3", "--hidden-size", "8", "--batch-size", "5", "--learning-rate", "5e-3",
                              "--learning-rate-decay", "0.9", "--reg", "1e-3", "--weight-scale", "0.05", "--seed", "4",
                              "--output", scratch.appendingPathComponent(folder).path] + arguments)
    }

    /// Runs the training cell as the program does; nil when a stub stopped it.
    private func train(_ program: CNNProgram, _ data: PreparedData) throws -> [String: Tensor]? {
        let notebook = try Notebook(title: "Test", program: "cnn", track: "solutions", options: program.options, chapterTests: "ConvolutionalNetworkTests")
        let net = try ThreeLayerConvNet(inputShape: [3, 8, 8], filterCount: program.filters, filterSize: program.filterSize,
                                        hiddenSize: program.hiddenSize, classCount: 3, weightScale: program.weightScale, reg: program.reg, seed: 1)
        guard let trained = try program.trainingCell(notebook, data, net) else { return nil }
        try notebook.finish()
        return trained.model.parameters
    }

    private func checkpoint(_ folder: String) throws -> Checkpoint {
        try Checkpoint(contentsOf: scratch.appendingPathComponent(folder).appendingPathComponent("cnn.safetensors"))
    }

    private func report(_ folder: String) throws -> String {
        try String(contentsOf: scratch.appendingPathComponent(folder).appendingPathComponent("report.md"), encoding: .utf8)
    }

    /// The names whose tensors differ from `expected`'s in shape or in any bit (missing or extra names too),
    /// each with how many entries differ: [] when all are the same, bit for bit.
    private func differences(_ tensors: [String: Tensor], _ expected: [String: Tensor]) -> [String] {
        Set(tensors.keys).union(expected.keys).sorted().compactMap { name in
            guard let a = tensors[name], let b = expected[name], a.shape == b.shape else { return "\(name) (missing or of another shape)" }
            let count = zip(a.storage, b.storage).filter { $0.bitPattern != $1.bitPattern }.count
            return count == 0 ? nil : "\(name) (\(count) of \(a.count) entries)"
        }
    }

    func testAResumedRunWritesTheCheckpointOfTheRunThatNeverStopped() throws {
        let data = data()
        guard let straight = try train(program("straight", ["--epochs", "2"]), data) else {
            throw XCTSkip("the chapter's layers are not written yet (exercises track)")
        }
        _ = try train(program("stopped", ["--epochs", "1"]), data)
        let afterOne = try checkpoint("stopped")
        XCTAssertEqual(afterOne.metadata["epochs_done"], "1")
        XCTAssertEqual(afterOne.tensors(prefixed: "adam.m.").keys.sorted(), ["W1", "W2", "W3", "b1", "b2", "b3"])
        XCTAssertEqual(afterOne.metadata["adam.t.W1"], "6", "30 images in minibatches of 5: six steps")

        let resumed = try train(program("stopped", ["--epochs", "2", "--resume"]), data)
        XCTAssertEqual(differences(try XCTUnwrap(resumed), straight), [], "the best parameters, bit for bit")
        let (a, b) = (try checkpoint("straight"), try checkpoint("stopped"))
        XCTAssertEqual(a.tensors.keys.sorted(), b.tensors.keys.sorted())
        XCTAssertEqual(differences(b.tensors, a.tensors), [], "parameters, last parameters and Adam's moments, bit for bit")
        XCTAssertEqual(b.metadata, a.metadata)
        XCTAssertEqual(a.metadata["epochs_done"], "2")
        XCTAssertEqual(a.metadata["learning_rate"], "\(5e-3 * 0.9)", "the second epoch's rate")
        XCTAssertEqual(a.tensors["history.loss"]?.shape, [12], "every minibatch's loss: two epochs of six")
        XCTAssertEqual(a.metadata["history.epochs"]?.components(separatedBy: "; ").map { $0.split(separator: " ").first }, ["1", "2"])
        let text = try report("stopped")
        XCTAssertTrue(text.contains("epoch 1 done, best validation accuracy"), text)
        XCTAssertTrue(text.contains("(an earlier run)"), "the table shows the checkpoint's epoch 1 too: \(text)")
        XCTAssertTrue(text.contains("Adam's moments restored"), text)
        XCTAssertFalse(text.contains("✗"), text)
    }

    func testACheckpointOfParametersOnlyStillResumesWithAdamRestarting() throws {
        let data = data()
        guard try train(program("old", ["--epochs", "1"]), data) != nil else {
            throw XCTSkip("the chapter's layers are not written yet (exercises track)")
        }
        // What the program wrote before the optimizer state was saved: the parameters and a few keys.
        let saved = try checkpoint("old")
        let old = Checkpoint(tensors: saved.tensors.filter { !$0.key.contains(".") },
                             metadata: ["architecture": saved.metadata["architecture"]!, "epoch": "1", "epochs_done": "1",
                                        "validation_accuracy": saved.metadata["validation_accuracy"]!, "seed": "4"])
        XCTAssertEqual(old.tensors.count, 6)
        try old.write(to: scratch.appendingPathComponent("old/cnn.safetensors"))
        let resumed = try train(program("old", ["--epochs", "2", "--resume"]), data)
        XCTAssertNotNil(resumed)
        let text = try report("old")
        XCTAssertTrue(text.contains("epoch 1 done"), text)
        XCTAssertTrue(text.contains("Adam's moments restart (the checkpoint has no optimizer state)"), text)
        XCTAssertEqual(try checkpoint("old").metadata["epochs_done"], "2", "the run went on to its second epoch")
    }

    /// A fresh run (no --resume) over a folder whose stopped run left a checkpoint in `<output>.failed`
    /// keeps that folder and says so; a --resume that carries on that checkpoint removes it when it finishes.
    func testAStoppedRunsCheckpointIsKeptUntilAResumeCarriesItOn() throws {
        let data = data()
        guard try train(program("keep", ["--epochs", "1"]), data) != nil else {
            throw XCTSkip("the chapter's layers are not written yet (exercises track)")
        }
        // What a run stopped after its first epoch leaves: its checkpoint in keep.failed.
        let failed = scratch.appendingPathComponent("keep.failed")
        try FileManager.default.createDirectory(at: failed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: scratch.appendingPathComponent("keep/cnn.safetensors"), to: failed.appendingPathComponent("cnn.safetensors"))
        let fresh = try program("keep", ["--epochs", "1", "--seed", "5"])
        let notebook = try Notebook(title: "Test", program: "cnn", track: "solutions", options: fresh.options, chapterTests: "ConvolutionalNetworkTests")
        let net = try ThreeLayerConvNet(inputShape: [3, 8, 8], filterCount: 4, filterSize: 3, hiddenSize: 8, classCount: 3, weightScale: 0.05, reg: 1e-3, seed: 1)
        _ = try fresh.trainingCell(notebook, data, net)
        try notebook.finish()
        XCTAssertTrue(FileManager.default.fileExists(atPath: failed.appendingPathComponent("cnn.safetensors").path), "the stopped run's checkpoint is kept")
        XCTAssertTrue(notebook.keptStoppedRunMessage?.hasPrefix("Kept \(failed.path): it holds \(failed.path)/cnn.safetensors of a run that stopped part-way") == true,
                      notebook.keptStoppedRunMessage ?? "no message")
        // The stopped run's checkpoint, made the newer one, is what --resume continues; then it is gone.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: failed.appendingPathComponent("cnn.safetensors").path)
        XCTAssertNotNil(try train(program("keep", ["--epochs", "2", "--resume"]), data))
        let text = try report("keep")
        XCTAssertTrue(text.contains("Resumed from \(failed.path)/cnn.safetensors"), text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: failed.path), "carried on, so removed")
    }

    /// `--epochs 0 --resume` trains nothing and hands on the checkpoint's best parameters to be tested.
    func testEpochsZeroWithResumeEvaluatesTheCheckpoint() throws {
        let data = data()
        guard let trained = try train(program("zero", ["--epochs", "1"]), data) else {
            throw XCTSkip("the chapter's layers are not written yet (exercises track)")
        }
        let evaluated = try train(program("zero", ["--epochs", "0", "--resume"]), data)
        XCTAssertEqual(differences(try XCTUnwrap(evaluated), trained), [], "the checkpoint's best parameters, untrained")
        XCTAssertTrue(try report("zero").contains("The checkpoint has 1 epoch done and --epochs asks for 0: nothing to train; its best epoch is tested."))
        XCTAssertEqual(try checkpoint("zero").metadata["epochs_done"], "1")
    }

    func testAnotherArchitecturesCheckpointIsRefused() throws {
        let data = data()
        guard try train(program("other", ["--epochs", "1"]), data) != nil else {
            throw XCTSkip("the chapter's layers are not written yet (exercises track)")
        }
        XCTAssertThrowsError(try train(program("other", ["--epochs", "2", "--resume", "--hidden-size", "9"]), data)) { error in
            XCTAssertTrue("\(error)".contains("holds a net of another architecture (conv4k3-relu-pool-fc8-relu), not conv4k3-relu-pool-fc9-relu"), "\(error)")
        }
        XCTAssertEqual(try checkpoint("other").metadata["epochs_done"], "1", "nothing lost")
    }
}
