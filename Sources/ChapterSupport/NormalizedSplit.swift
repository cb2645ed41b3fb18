import Datasets
import Foundation
import LinearAlgebra

/// The standard split of CIFAR-10 with each colour channel centred and scaled by the training part's mean
/// and standard deviation, as chapters 4 to 6 feed their networks.
public struct NormalizedSplit {
    /// Images as rows of 3,072 normalised values (channel, then row, then column), and their labels.
    public typealias Part = (images: Matrix, labels: [Int])
    public let train: Part, validation: Part, test: Part
    public let classNames: [String]
    /// Per channel (R, G, B), on the 0-255 scale: what was subtracted, and what the difference was divided by.
    public let channelMeans: [Double], channelDeviations: [Double]

    /// The normalisation as a checkpoint's metadata records it: "meanR,meanG,meanB;deviationR,…".
    public var normalisationMetadata: String { Self.normalisationMetadata(means: channelMeans, deviations: channelDeviations) }

    /// "meanR,meanG,meanB;deviationR,deviationG,deviationB", six decimals each.
    public static func normalisationMetadata(means: [Double], deviations: [Double]) -> String {
        means.map { String(format: "%.6f", $0) }.joined(separator: ",") + ";"
            + deviations.map { String(format: "%.6f", $0) }.joined(separator: ",")
    }
}

extension Cell {
    /// Reads CIFAR-10, draws the split with `seed` and normalises each channel by the training part's
    /// statistics, saying in the cell what was read from where and how long it took.
    /// - Throws: the loader's `CIFAR10Error` (missing or truncated files, too many images asked for).
    public func loadNormalizedSplit(from directory: URL, trainCount: Int, validationCount: Int, testCount: Int,
                                    seed: UInt64) throws -> NormalizedSplit {
        let (cifar, seconds) = try timed {
            try CIFAR10(directory: directory, trainCount: trainCount + validationCount, testCount: testCount)
        }
        say("Read \(format(count: cifar.train.count)) training and \(format(count: cifar.test.count)) test images from \(directory.path) in \(format(seconds: seconds)).")
        let split = try DataSplit(cifar, trainCount: trainCount, validationCount: validationCount, testCount: testCount,
                                  developmentCount: min(500, trainCount), seed: seed)
        let means = channelMeans(split.train.images), deviations = channelStandardDeviations(split.train.images)
        func normalized(_ part: LabeledImages) -> NormalizedSplit.Part {
            (normalizingChannels(part.images, means: means, standardDeviations: deviations), part.labels)
        }
        return NormalizedSplit(train: normalized(split.train), validation: normalized(split.validation), test: normalized(split.test),
                               classNames: cifar.classNames, channelMeans: means, channelDeviations: deviations)
    }
}
