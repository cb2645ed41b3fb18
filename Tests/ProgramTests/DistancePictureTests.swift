import LinearAlgebra
import Pictures
import XCTest
@testable import knn

/// `distances.png` is a picture for looking at: the first 500 training columns of the distance matrix.
final class DistancePictureTests: XCTestCase {
    func testTheCoursesSubsampleGivesASquareOfTheFirst500Columns() {
        // Entry (i, j) = j: the picture's grey rises from left to right; columns 500 and beyond are left out.
        let distances = Matrix(rows: 500, cols: 5_000, (0 ..< 500 * 5_000).map { Double($0 % 5_000) })
        let (image, shown) = KNN.distancePicture(distances)
        XCTAssertEqual(shown, 500)
        XCTAssertEqual([image.width, image.height], [500, 500])
        XCTAssertEqual(image[0, 0], 0)
        XCTAssertEqual(image[499, 0], 255, "column 499 is the largest shown, so it is white")
        XCTAssertEqual(image[250, 321], UInt8((250.0 / 499 * 255).rounded()))
    }

    func testFewRowsAreEnlargedWithinAThousandPixels() {
        let smoke = KNN.distancePicture(Matrix(rows: 50, cols: 500, repeating: 1))   // --smoke-test
        XCTAssertEqual([smoke.image.width, smoke.image.height, smoke.shownColumns], [1_000, 100, 500])
        let tiny = KNN.distancePicture(Matrix(rows: 8, cols: 45, repeating: 1))
        XCTAssertEqual([tiny.image.width, tiny.image.height, tiny.shownColumns], [180, 32, 45], "all columns, 4 times")
    }
}
