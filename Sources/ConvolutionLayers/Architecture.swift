import LinearAlgebra

// Given code of chapter 6: nets of the lecture's pattern
//
//     [(CONV-RELU) x N - POOL?] x M - (FC-RELU) x K - FC - SOFTMAX
//
// written in a short form, checked against an input shape before anything is built, e.g.
//
//     "[conv32-relu]x2-pool-fc100-relu"        two 3 x 3 convolutions of 32 filters, a 2 x 2 pool, 100 hidden units
//     "conv32k7-relu-pool-fc100-relu"          the three-layer convnet: 32 filters 7 x 7
//
// Layers are separated by "-": `conv<F>` (F filters, 3 x 3; `conv<F>k<K>` for K x K, K odd), `relu`,
// `pool` (2 x 2 at stride 2), `fc<H>` (an affine layer of H units); `[…]x<M>` repeats a group M times.
// Convolutions run at stride 1 with padding (K − 1) / 2, so only the pools change the image size. The
// last affine layer (to the classes) and the softmax are implied.

/// One layer of a written architecture.
public enum ArchitectureLayer: Equatable, Sendable, CustomStringConvertible {
    /// `filters` square filters of side `size` (odd), stride 1, padding (size − 1) / 2.
    case convolution(filters: Int, size: Int)
    /// max(0, x).
    case relu
    /// 2 x 2 max pooling at stride 2.
    case pool
    /// A fully connected layer of `units` outputs.
    case affine(units: Int)

    public var description: String {
        switch self {
        case let .convolution(filters, size): return size == 3 ? "conv\(filters)" : "conv\(filters)k\(size)"
        case .relu: return "relu"
        case .pool: return "pool"
        case let .affine(units): return "fc\(units)"
        }
    }
}

/// A net of the lecture's pattern, parsed from its short written form.
public struct NetworkArchitecture: Equatable, Sendable, CustomStringConvertible {
    /// The layers in order, groups expanded, without the implied last affine layer and softmax.
    public let layers: [ArchitectureLayer]

    /// Parses the written form (see the file's header).
    /// - Throws: ``ArchitectureError`` naming what does not parse and where.
    public init(parsing text: String) throws {
        var parser = ArchitectureParser(text: text)
        let layers = try parser.sequence(closing: false)
        guard !layers.isEmpty else { throw ArchitectureError.empty }
        if let index = layers.firstIndex(where: { if case .affine = $0 { return true } else { return false } }),
           let late = layers[index...].firstIndex(where: { if case .convolution = $0 { return true }; return $0 == .pool }) {
            throw ArchitectureError.outOfPattern(layer: late + 1, name: layers[late].description,
                                                 reason: "convolutions and pools come before the fully connected layers")
        }
        self.layers = layers
    }

    /// The layers written out, groups expanded: "conv32-relu-conv32-relu-pool-fc100-relu".
    public var description: String { layers.map(\.description).joined(separator: "-") }

    /// The shape of one image after each layer, starting from `input` (C, H, W): (F, H, W) after a
    /// convolution, halved after a pool, (H,) after an affine layer.
    /// - Throws: ``ArchitectureError/doesNotFit(layer:name:reason:)`` naming the first layer that does not
    ///   fit its input (a pool over maps of an odd size).
    public func shapes(input: [Int]) throws -> [[Int]] {
        guard input.count == 3, input.allSatisfy({ $0 >= 1 }) else {
            throw ArchitectureError.doesNotFit(layer: 0, name: "input", reason: "the input must be (C, H, W), not \(input)")
        }
        var shape = input
        var shapes: [[Int]] = []
        var parameters = 0.0
        for (index, layer) in layers.enumerated() {
            func fail(_ reason: String) -> ArchitectureError {
                ArchitectureError.doesNotFit(layer: index + 1, name: layer.description, reason: reason)
            }
            // Sizes that would not fit in memory are refused here, before anything is allocated: the
            // weights (with Adam's two moments and the best epoch's copy, four times over) and one
            // layer's activations for a minibatch.
            let inputs = Double(shape.reduce(1, *))
            switch layer {
            case let .convolution(filters, size): parameters += Double(filters) * (Double(shape[0]) * Double(size * size) + 1)
            case let .affine(units): parameters += Double(units) * (inputs + 1)
            case .relu, .pool: break
            }
            guard parameters <= Double(maximumParameterCount) else {
                throw fail("the net would have more than \(maximumParameterCount) weights (\(String(format: "%.3g", parameters)) so far)")
            }
            switch layer {
            case let .convolution(filters, _):
                // Padded by (size − 1) / 2 on each side, the maps always fit the filter: the size is kept.
                guard shape.count == 3 else { throw fail("a convolution needs images, but its input is \(shape)") }
                shape = [filters, shape[1], shape[2]]
            case .relu:
                break
            case .pool:
                guard shape.count == 3 else { throw fail("a pool needs images, but its input is \(shape)") }
                guard shape[1] % 2 == 0 && shape[2] % 2 == 0 else {
                    throw fail("2 x 2 windows at stride 2 do not tile its \(shape[1]) x \(shape[2]) input maps: (N - F) / stride + 1 = "
                               + "(\(shape[1]) - 2) / 2 + 1 is not an integer")
                }
                shape = [shape[0], shape[1] / 2, shape[2] / 2]
            case let .affine(units):
                shape = [units]
            }
            guard shape.reduce(1.0, { $0 * Double($1) }) <= Double(maximumActivationsPerImage) else {
                throw fail("its output \(shape) has more than \(maximumActivationsPerImage) entries per image")
            }
            shapes.append(shape)
        }
        return shapes
    }
}

/// The most layers a written architecture may expand to (groups repeated), the most weights, and the most
/// activations per image after a layer (a minibatch of 50 then needs at most 3.2 GB for one layer).
public let maximumLayerCount = 64
public let maximumParameterCount = 50_000_000
public let maximumActivationsPerImage = 8 << 20

/// Why a written architecture cannot be used.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    /// Nothing to build.
    case empty
    /// A part that is not a layer, at a character offset of the text.
    case unknownLayer(String, offset: Int)
    /// A "[" without "]", or the other way round.
    case unbalancedBracket(offset: Int)
    /// A group not followed by x<M> with M at least 1, or a size below 1 or an even filter side.
    case badNumber(String, offset: Int, reason: String)
    /// A layer in the wrong place for the lecture's pattern (1-based layer number after expanding groups).
    case outOfPattern(layer: Int, name: String, reason: String)
    /// A layer that does not fit the shape of its input.
    case doesNotFit(layer: Int, name: String, reason: String)

    public var description: String {
        let form = "write layers as conv<F>, conv<F>k<K>, relu, pool and fc<H>, joined by '-', with [...]x<M> for a repeated group"
        switch self {
        case .empty: return "the architecture is empty: \(form)"
        case let .unknownLayer(text, offset): return "'\(text)' (at character \(offset + 1)) is not a layer: \(form)"
        case let .unbalancedBracket(offset): return "the bracket at character \(offset + 1) has no partner: \(form)"
        case let .badNumber(text, offset, reason): return "'\(text)' (at character \(offset + 1)): \(reason)"
        case let .outOfPattern(layer, name, reason): return "layer \(layer) (\(name)) is out of the lecture's pattern: \(reason)"
        case let .doesNotFit(layer, name, reason): return "layer \(layer) (\(name)) does not fit: \(reason)"
        }
    }
}

/// A recursive-descent reader of the written form.
private struct ArchitectureParser {
    let characters: [Character]
    var position = 0

    init(text: String) { characters = Array(text.filter { !$0.isWhitespace }) }

    /// Layers up to the end (or, inside a group, up to its "]").
    mutating func sequence(closing: Bool) throws -> [ArchitectureLayer] {
        var layers: [ArchitectureLayer] = []
        while position < characters.count {
            if characters[position] == "]" {
                guard closing else { throw ArchitectureError.unbalancedBracket(offset: position) }
                return layers
            }
            if characters[position] == "[" {
                let open = position
                position += 1
                let group = try sequence(closing: true)
                guard position < characters.count, characters[position] == "]" else { throw ArchitectureError.unbalancedBracket(offset: open) }
                position += 1
                guard position < characters.count, characters[position] == "x" else {
                    throw ArchitectureError.badNumber(String(characters[open ..< position]), offset: open, reason: "a group needs x<M> after it, e.g. [conv32-relu]x2")
                }
                position += 1
                let (count, text, start) = number()
                guard let count, count >= 1 else {
                    throw ArchitectureError.badNumber("x" + text, offset: start - 1, reason: "a group is repeated at least once")
                }
                let (expanded, overflow) = group.count.multipliedReportingOverflow(by: count)
                guard !overflow, layers.count + expanded <= maximumLayerCount else {
                    throw ArchitectureError.badNumber("x" + text, offset: start - 1,
                                                      reason: "the net would have more than \(maximumLayerCount) layers")
                }
                layers += Array(repeating: group, count: count).flatMap { $0 }
            } else {
                let start = position
                while position < characters.count, !"-[]".contains(characters[position]) { position += 1 }
                layers.append(try layer(String(characters[start ..< position]), offset: start))
                guard layers.count <= maximumLayerCount else {
                    throw ArchitectureError.badNumber(String(characters[start ..< position]), offset: start,
                                                      reason: "the net would have more than \(maximumLayerCount) layers")
                }
            }
            if position < characters.count, characters[position] == "-" {
                position += 1
                guard position < characters.count, characters[position] != "]" else {
                    throw ArchitectureError.unknownLayer("-", offset: position - 1)
                }
            } else if position < characters.count, characters[position] != "]" {
                throw ArchitectureError.unknownLayer(String(characters[position]), offset: position)
            }
        }
        return layers
    }

    /// The digits at `position`, read.
    mutating func number() -> (value: Int?, text: String, start: Int) {
        let start = position
        while position < characters.count, characters[position].isASCII, characters[position].isNumber { position += 1 }
        let text = String(characters[start ..< position])
        return (Int(text), text, start)
    }

    func layer(_ word: String, offset: Int) throws -> ArchitectureLayer {
        func positive(_ digits: Substring, _ what: String) throws -> Int {
            guard let value = Int(digits), value >= 1 else {
                let tooLarge = Int(digits) == nil && !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
                throw ArchitectureError.badNumber(word, offset: offset, reason: tooLarge ? "\(what) is far too large"
                                                  : "\(what) must be a whole number of at least 1")
            }
            return value
        }
        let lower = word.lowercased()
        if lower == "relu" { return .relu }
        if lower == "pool" { return .pool }
        if lower.hasPrefix("fc") { return .affine(units: try positive(lower.dropFirst(2), "the units of fc")) }
        if lower.hasPrefix("conv") {
            let parts = lower.dropFirst(4).split(separator: "k", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw ArchitectureError.unknownLayer(word, offset: offset) }
            let filters = try positive(parts[0], "the filters of conv")
            let size = parts.count == 2 ? try positive(parts[1], "the filter side after k") : 3
            guard size % 2 == 1 else {
                throw ArchitectureError.badNumber(word, offset: offset, reason: "the filter side must be odd, so that padding (K - 1) / 2 keeps the size")
            }
            return .convolution(filters: filters, size: size)
        }
        throw ArchitectureError.unknownLayer(word.isEmpty ? "-" : word, offset: offset)
    }
}
