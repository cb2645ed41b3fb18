import Foundation
import LinearAlgebra
import XCTest
@testable import Training

/// `.safetensors` checkpoints: against a file written by the Python `safetensors` package
/// (Fixtures/make_fixture.py), round trips, the exact bytes written, and damaged or foreign files.
final class CheckpointTests: XCTestCase {
    private let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny.safetensors")

    private func temporaryFile(_ name: String) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("TrainingTests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.appendingPathComponent(name)
    }

    func testReadsTheFileThePythonPackageWrote() throws {
        let checkpoint = try Checkpoint(contentsOf: fixture)
        XCTAssertEqual(checkpoint.tensors.keys.sorted(), ["W1", "b1", "half", "scale"])
        XCTAssertEqual(checkpoint.tensors["W1"], Tensor(shape: [2, 3], [-0.5, -0.25, 0, 0.25, 0.5, 0.75]))
        XCTAssertEqual(checkpoint.tensors["b1"], Tensor(shape: [3], [1e-300, -2.5, Double.pi]))
        XCTAssertEqual(checkpoint.tensors["scale"], Tensor(shape: [], [3]))
        XCTAssertEqual(checkpoint.tensors["half"], Tensor(shape: [2], [1.5, -0.125]), "F32 widened to Double")
        XCTAssertEqual(checkpoint.metadata, ["model": "fixture", "seed": "7"])
    }

    func testTheBytesWrittenFollowTheFormat() {
        let data = [UInt8](Checkpoint(tensors: ["a": Tensor(shape: [1], [1.0])]).safetensorsData())
        let header = #"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#      // 54 bytes, padded to 56
        XCTAssertEqual(Array(data[0 ..< 8]), [56, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(String(decoding: data[8 ..< 64], as: UTF8.self), header + "  ")
        XCTAssertEqual(Array(data[64...]), [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])          // 1.0, little-endian
    }

    func testRoundTripKeepsEveryValueNameShapeAndMetadata() throws {
        var rng = SeededGenerator(seed: 3)
        let original = Checkpoint(tensors: ["W1": Tensor.gaussian([5, 4], using: &rng), "b1": Tensor(shape: [1, 4], [0, -0.0, .infinity, -Double.leastNonzeroMagnitude * 3]),
                                            "empty": Tensor(shape: [0, 3]), "scalar": Tensor(shape: [], [42]), "ü \"quoted\"": Tensor(shape: [1], [7])],
                                  metadata: ["note": "line\nbreak \"and\" \\ slash", "lr": "1e-3"])
        let url = temporaryFile("round.safetensors")
        try original.write(to: url)
        let read = try Checkpoint(contentsOf: url)
        XCTAssertEqual(read, original)
        XCTAssertEqual(read.tensors["b1"]!.storage[1].sign, .minus, "-0 stays -0")
        XCTAssertEqual([UInt8](try Data(contentsOf: url)).count % 8, 0, "header padded, all data F64")
    }

    func testATruncatedFileIsRefused() throws {
        let bytes = try Data(contentsOf: fixture)
        XCTAssertThrowsError(try Checkpoint(safetensors: bytes.dropLast(1), source: "cut.safetensors")) { error in
            XCTAssertEqual("\(error)", "the checkpoint cut.safetensors is truncated: half's data ends at byte 88 of the data, which has only 87")
        }
        XCTAssertThrowsError(try Checkpoint(safetensors: bytes.prefix(100), source: "cut")) { error in
            XCTAssertEqual("\(error)", "the checkpoint cut is truncated: the header needs 280 bytes after the first 8, the file has 92")
        }
        XCTAssertThrowsError(try Checkpoint(safetensors: bytes.prefix(5), source: "cut")) { error in
            XCTAssertEqual("\(error)", "the checkpoint cut is truncated: 5 bytes, fewer than the 8 of the header length")
        }
    }

    func testAForeignFileIsRefused() {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        XCTAssertThrowsError(try Checkpoint(safetensors: png, source: "picture.png")) { error in
            guard case .notSafetensors(path: "picture.png", _)? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
        // A plausible length, but the header is not JSON.
        XCTAssertThrowsError(try Checkpoint(safetensors: Data([4, 0, 0, 0, 0, 0, 0, 0]) + Data("abcd".utf8), source: "x")) { error in
            XCTAssertEqual("\(error)", "x is not a .safetensors file: its header is not a JSON object")
        }
        XCTAssertThrowsError(try Checkpoint(contentsOf: URL(fileURLWithPath: "/nonexistent/w.safetensors"))) { error in
            guard case .unreadable(path: "/nonexistent/w.safetensors", _)? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
    }

    private func file(header: String, dataBytes: Int) -> Data {
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes[0] = UInt8(header.utf8.count)
        return Data(bytes + Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes))
    }

    func testMalformedEntriesAreNamed() {
        let int16 = file(header: #"{"W":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4)
        XCTAssertThrowsError(try Checkpoint(safetensors: int16, source: "f")) { error in
            XCTAssertEqual("\(error)", "the checkpoint f stores W as I16; only F64 and F32 can be read")
        }
        let short = file(header: #"{"W":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 16)
        XCTAssertThrowsError(try Checkpoint(safetensors: short, source: "f")) { error in
            XCTAssertEqual("\(error)", "the checkpoint f has a malformed entry W: data_offsets [0, 8] do not hold 2 F64 values of shape [2]")
        }
        let overlap = file(header: #"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8)
        XCTAssertThrowsError(try Checkpoint(safetensors: overlap, source: "f")) { error in
            XCTAssertEqual("\(error)", "the checkpoint f has a malformed entry b: its data overlaps a's")
        }
        let noShape = file(header: #"{"W":{"dtype":"F64","data_offsets":[0,8]}}"#, dataBytes: 8)
        XCTAssertThrowsError(try Checkpoint(safetensors: noShape, source: "f")) { error in
            XCTAssertEqual("\(error)", "the checkpoint f has a malformed entry W: it needs a dtype, a shape and two data_offsets")
        }
    }

    func testLoadingChecksEveryNameAndShape() throws {
        var model = SoftmaxRegression(features: 3, classes: 2)
        let original = model.parameters
        let fits = Checkpoint(tensors: ["W": Tensor(shape: [3, 2], [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [1, 2], [7, 8])])
        var wrongShape = fits
        wrongShape.tensors["W"] = Tensor(shape: [2, 3])
        XCTAssertThrowsError(try wrongShape.load(into: &model, source: "w.safetensors")) { error in
            XCTAssertEqual("\(error)", "the checkpoint w.safetensors does not fit the net: its W is (2, 3), the net's is (3, 2)")
        }
        var missing = fits
        missing.tensors["b"] = nil
        XCTAssertThrowsError(try missing.load(into: &model, source: "w")) { error in
            XCTAssertEqual("\(error)", "the checkpoint w does not fit the net: it has no b (it has W)")
        }
        var extra = fits
        extra.tensors["W2"] = Tensor(shape: [1])
        XCTAssertThrowsError(try extra.load(into: &model, source: "w")) { error in
            XCTAssertEqual("\(error)", "the checkpoint w does not fit the net: it has W2, which the net does not (the net has W, b)")
        }
        XCTAssertEqual(model.parameters, original, "a refused checkpoint changes nothing")
        try fits.load(into: &model)
        XCTAssertEqual(model.parameters, fits.tensors)
    }

    func testATrainingRunsStateIsAcceptedButNotLoaded() throws {
        var model = SoftmaxRegression(features: 3, classes: 2)
        let parameters = ["W": Tensor(shape: [3, 2], [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [1, 2], [7, 8])]
        var withState = Checkpoint(tensors: parameters, metadata: ["adam.t.W": "12"])
        withState.tensors["adam.m.W"] = Tensor(shape: [3, 2], repeating: 0.5)
        withState.tensors["adam.v.b"] = Tensor(shape: [1, 2], repeating: 0.25)
        withState.tensors["last.W"] = Tensor(shape: [3, 2], repeating: 9)
        withState.tensors["history.loss"] = Tensor(shape: [4], [2.3, 2.1, 1.9, 1.8])     // a run's curve, not a parameter's
        try withState.load(into: &model, source: "w")
        XCTAssertEqual(model.parameters, parameters, "the parameters, not the state")
        XCTAssertEqual(withState.tensors(prefixed: "adam.m."), ["W": Tensor(shape: [3, 2], repeating: 0.5)])
        XCTAssertEqual(withState.tensors(prefixed: "last.").keys.sorted(), ["W"])
        XCTAssertEqual(withState.tensors(prefixed: "adam.").keys.sorted(), ["m.W", "v.b"])
        // The state of a parameter this net does not have is another architecture's.
        var foreign = withState
        foreign.tensors["adam.m.W2"] = Tensor(shape: [1])
        XCTAssertThrowsError(try foreign.load(into: &model, source: "w")) { error in
            XCTAssertEqual("\(error)", "the checkpoint w does not fit the net: it has adam.m.W2, which the net does not (the net has W, b)")
        }
        for name in [".W", "adamW", "W."] {
            var odd = withState
            odd.tensors[name] = Tensor(shape: [1])
            XCTAssertThrowsError(try odd.load(into: &model, source: "w"), name)
        }
    }

    func testAnUnwritablePathIsNamed() {
        XCTAssertThrowsError(try Checkpoint(tensors: [:]).write(to: URL(fileURLWithPath: "/proc/w.safetensors"))) { error in
            guard case .unwritable(path: "/proc/w.safetensors", _)? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
    }
}
