import Foundation
import XCTest
@testable import two_layer_net

/// `two-layer-net --load`: a checkpoint that may have been trained on the images it is now validated
/// on says so. (Where a stopped run keeps its checkpoint, the Notebook's last line says once: RunFolderTests.)
final class TwoLayerNetCheckpointTests: XCTestCase {
    func testALoadedCheckpointTrainedOnTheValidationImagesIsFlagged() throws {
        let quick = try TwoLayerNetProgram.parse(["--quick", "--load", "net.safetensors"])
        let fromDefaultRun = try XCTUnwrap(quick.trainedOnValidationImages(["training_records": "0..<49000"], path: "net.safetensors"))
        XCTAssertTrue(fromDefaultRun.contains("was trained on CIFAR-10 training records 0 ..< 49000, which include this run's 200 validation images (training records 2000 ..< 2200)"),
                      fromDefaultRun)
        XCTAssertNil(quick.trainedOnValidationImages(["training_records": "0..<2000"], path: "net.safetensors"), "a quick run's own checkpoint")
        let unknown = try XCTUnwrap(quick.trainedOnValidationImages(["model": "TwoLayerNet"], path: "net.safetensors"))
        XCTAssertTrue(unknown.contains("does not say which images it was trained on"), unknown)

        let full = try TwoLayerNetProgram.parse(["--load", "net.safetensors"])
        XCTAssertNil(full.trainedOnValidationImages(["training_records": "0..<49000"], path: "net.safetensors"), "validation is records 49000 ..< 50000")
        XCTAssertNil(full.trainedOnValidationImages([:], path: "net.safetensors"), "without --quick a checkpoint without the key is not suspect")
        XCTAssertNotNil(full.trainedOnValidationImages(["training_records": "0..<49500"], path: "net.safetensors"))
    }
}
