import Foundation
import XCTest
@testable import Pictures

/// A full device is said in plain words, like the other reasons, not as libpng's "Write Error".
final class FullDiskTests: XCTestCase {
    func testAFullDeviceIsSaidInPlainWords() {
        XCTAssertEqual(pngFailure("Write Error", errno: ENOSPC), "no space left on the device (libpng: Write Error)")
        XCTAssertEqual(pngFailure("Write Error", errno: EDQUOT), "no space left on the device within your disk quota (libpng: Write Error)")
        XCTAssertEqual(pngFailure("No such file or directory", errno: ENOENT), "libpng: No such file or directory")
        errno = ENOSPC
        XCTAssertEqual(systemErrorMessage(), "no space left on the device")
    }

    #if os(Linux)
    /// /dev/full fails every write with ENOSPC: the text writer's reason is the plain one.
    func testWritingToAFullDevice() throws {
        guard let file = fopen("/dev/full", "wb") else { throw XCTSkip("no /dev/full") }
        setvbuf(file, nil, _IONBF, 0)
        let bytes = Array(repeating: UInt8(1), count: 1 << 16)
        let failed = fwrite(bytes, 1, bytes.count, file) < bytes.count
        let reason = systemErrorMessage()
        fclose(file)
        XCTAssertTrue(failed)
        XCTAssertEqual(reason, "no space left on the device")
    }
    #endif
}
