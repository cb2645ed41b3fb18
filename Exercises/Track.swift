// Given code: which track this Workbook module is built from, and the given code every track shares.

// Each chapter's error type and input checks (Sources/ExerciseSupport), seen by everyone who imports Workbook.
@_exported import ExerciseSupport

/// The folder this `Workbook` module was built from: "exercises" (your code in Exercises/) or
/// "solutions" (the reference code in Solutions/), as chosen by WORKBOOK when it was built. The chapter
/// programs print it and choose their default output folder by it.
public var workbookTrack: String { "exercises" }
