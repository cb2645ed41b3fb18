import Foundation
import LinearAlgebra

/// Named tensors saved as a `.safetensors` file, the open format of Hugging Face's `safetensors`
/// package, so that a net trained here loads in Python with
/// `safetensors.numpy.load_file("two_layer_net.safetensors")` (or `safetensors.torch.load_file`).
///
/// The format (https://github.com/huggingface/safetensors, "Format"):
/// ```
/// 8 bytes    N, the header's length, an unsigned 64-bit little-endian integer
/// N bytes    a JSON object: for each tensor, "name": {"dtype": "F64", "shape": [3072, 100],
///            "data_offsets": [begin, end]}; optionally "__metadata__": {string: string}
/// the rest   the tensors' bytes, little-endian, row-major; offsets count from the start of this part
/// ```
/// Written here: dtype F64 (the workbook's `Double`), tensors in the order of their names, the header
/// padded with spaces to a multiple of 8 bytes (as the Python package does). Read: F64, and F32 (what
/// PyTorch usually saves), widened to `Double`. Every offset and length is checked, so a truncated or
/// foreign file is refused with ``CheckpointError`` instead of being read as garbage.
///
/// Besides a net's parameters, under their own names ("W1"), a checkpoint may carry what a training
/// run needs to resume, each tensor of it named after the parameter it belongs to behind a prefix that
/// ends in a dot ("adam.m.W1", "last.W1"; see ``tensors(prefixed:)``), and the run's history under
/// "history." ("history.loss"). ``load(into:source:)`` loads the parameters and accepts such tensors, as
/// long as the parameter they name is one of the net's.
public struct Checkpoint: Equatable, Sendable {
    /// The tensors by name, e.g. "W1" (3072, 100).
    public var tensors: [String: Tensor]
    /// Free-form string pairs stored in the header's `__metadata__` (the settings of a run, say).
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads a `.safetensors` file.
    /// - Throws: ``CheckpointError`` naming the file and what is wrong with it.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckpointError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(safetensors: data, source: url.path)
    }

    /// Decodes the bytes of a `.safetensors` file; `source` names it in errors.
    /// - Throws: ``CheckpointError``.
    public init(safetensors data: Data, source: String = "the checkpoint") throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw CheckpointError.truncated(path: source, reason: "\(bytes.count) bytes, fewer than the 8 of the header length") }
        var headerLength: UInt64 = 0
        for i in 0 ..< 8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        // The first 8 bytes of a PNG, a text file or a NumPy .npy read as an absurd length.
        guard headerLength >= 2, headerLength <= 100_000_000 else {
            throw CheckpointError.notSafetensors(path: source, reason: "its first 8 bytes give a header length of \(headerLength) bytes")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw CheckpointError.truncated(path: source, reason: "the header needs \(headerLength) bytes after the first 8, the file has \(bytes.count - 8)")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8 ..< headerEnd])), let header = object as? [String: Any] else {
            throw CheckpointError.notSafetensors(path: source, reason: "its header is not a JSON object")
        }
        let payload = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(range: Range<Int>, name: String)] = []
        for name in header.keys.sorted() {      // sorted, so that the first error named is always the same
            let value = header[name]!
            if name == "__metadata__" {
                guard let pairs = value as? [String: String] else {
                    throw CheckpointError.badEntry(path: source, name: name, reason: "metadata must map strings to strings")
                }
                metadata = pairs
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), shape.count == (entry["shape"] as? [Any])?.count,
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2 else {
                throw CheckpointError.badEntry(path: source, name: name, reason: "it needs a dtype, a shape and two data_offsets")
            }
            let width: Int
            switch dtype {
            case "F64": width = 8
            case "F32": width = 4
            default: throw CheckpointError.unsupportedDType(path: source, name: name, dtype: dtype)
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw CheckpointError.badEntry(path: source, name: name, reason: "negative shape \(shape)")
            }
            let count = shape.reduce(1, *)
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end - begin == count * width else {
                throw CheckpointError.badEntry(path: source, name: name,
                                               reason: "data_offsets [\(begin), \(end)] do not hold \(count) \(dtype) values of shape \(shape)")
            }
            guard end <= payload else {
                throw CheckpointError.truncated(path: source, reason: "\(name)'s data ends at byte \(end) of the data, which has only \(payload)")
            }
            var values = [Double](repeating: 0, count: count)
            let base = headerEnd + begin
            for i in 0 ..< count {
                let at = base + i * width
                if width == 8 {
                    var bits: UInt64 = 0
                    for b in 0 ..< 8 { bits |= UInt64(bytes[at + b]) << (8 * UInt64(b)) }
                    values[i] = Double(bitPattern: bits)
                } else {
                    var bits: UInt32 = 0
                    for b in 0 ..< 4 { bits |= UInt32(bytes[at + b]) << (8 * UInt32(b)) }
                    values[i] = Double(Float(bitPattern: bits))
                }
            }
            tensors[name] = Tensor(shape: shape, values)
            ranges.append((begin ..< end, name))
        }
        ranges.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw CheckpointError.badEntry(path: source, name: b.name, reason: "its data overlaps \(a.name)'s")
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// The bytes of the `.safetensors` file: F64 tensors in the order of their names.
    public func safetensorsData() -> Data {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let end = offset + tensor.count * 8
            entries.append("\(jsonString(name)):{\"dtype\":\"F64\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        for i in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i)))) }
        bytes += header
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { values in
                for value in values {
                    let bits = value.bitPattern
                    for b in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b)))) }
                }
            }
        }
        return Data(bytes)
    }

    /// Writes the file atomically (to a temporary file, then renamed), so that an interrupted write leaves
    /// the previous checkpoint whole.
    /// - Throws: ``CheckpointError/unwritable(path:reason:)``.
    public func write(to url: URL) throws {
        do {
            try safetensorsData().write(to: url, options: .atomic)
        } catch {
            throw CheckpointError.unwritable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The tensors whose names begin with `prefix` (e.g. "adam.m."), by the rest of their names ("W1").
    public func tensors(prefixed prefix: String) -> [String: Tensor] {
        var found: [String: Tensor] = [:]
        for (name, tensor) in tensors where name.hasPrefix(prefix) && name.count > prefix.count {
            found[String(name.dropFirst(prefix.count))] = tensor
        }
        return found
    }

    /// Replaces the model's parameters with the checkpoint's, after checking that every name and shape fits.
    ///
    /// Tensors of a training run's state ("adam.m.W1": a prefix ending in a dot, then the name of one of
    /// the net's parameters) and of its history (any name under "history.", e.g. "history.loss") are
    /// accepted and left out; their shapes are checked by whoever restores them.
    /// - Parameter source: names the checkpoint in errors (its path).
    /// - Throws: ``CheckpointError/doesNotFit(path:reason:)`` naming the first parameter that is missing,
    ///   extra or of another shape (a state tensor of a parameter the net does not have counts as extra);
    ///   the model is then unchanged.
    public func load(into model: inout some TrainableModel, source: String = "the checkpoint") throws {
        let wanted = model.parameters
        for name in wanted.keys.sorted() {
            guard let tensor = tensors[name] else {
                throw CheckpointError.doesNotFit(path: source, reason: "it has no \(name) (it has \(tensors.keys.sorted().joined(separator: ", ")))")
            }
            guard tensor.shape == wanted[name]!.shape else {
                throw CheckpointError.doesNotFit(path: source, reason: "its \(name) is \(tensor.shapeDescription), the net's is \(wanted[name]!.shapeDescription)")
            }
        }
        func isState(_ name: String) -> Bool {
            name.hasPrefix("history.")
                || name.indices.dropFirst().contains { name[$0] == "." && wanted[String(name[name.index(after: $0)...])] != nil }
        }
        if let extra = tensors.keys.sorted().first(where: { wanted[$0] == nil && !isState($0) }) {
            throw CheckpointError.doesNotFit(path: source, reason: "it has \(extra), which the net does not (the net has \(wanted.keys.sorted().joined(separator: ", ")))")
        }
        model.parameters = tensors.filter { wanted[$0.key] != nil }
    }
}

/// What is wrong with a checkpoint file.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file cannot be read at all.
    case unreadable(path: String, reason: String)
    /// The file ends before its header or its data says it should.
    case truncated(path: String, reason: String)
    /// The file is something else (an image, a NumPy file, text).
    case notSafetensors(path: String, reason: String)
    /// One entry of the header is malformed.
    case badEntry(path: String, name: String, reason: String)
    /// A tensor's dtype is neither F64 nor F32.
    case unsupportedDType(path: String, name: String, dtype: String)
    /// The file cannot be written.
    case unwritable(path: String, reason: String)
    /// The tensors do not fit the model's parameters.
    case doesNotFit(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the checkpoint \(path): \(reason)"
        case let .truncated(path, reason): return "the checkpoint \(path) is truncated: \(reason)"
        case let .notSafetensors(path, reason): return "\(path) is not a .safetensors file: \(reason)"
        case let .badEntry(path, name, reason): return "the checkpoint \(path) has a malformed entry \(name): \(reason)"
        case let .unsupportedDType(path, name, dtype):
            return "the checkpoint \(path) stores \(name) as \(dtype); only F64 and F32 can be read"
        case let .unwritable(path, reason): return "cannot write the checkpoint \(path): \(reason)"
        case let .doesNotFit(path, reason): return "the checkpoint \(path) does not fit the net: \(reason)"
        }
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
