/// An opaque colour: red, green and blue intensities, bytes 0...255 (sRGB, as PNG and SVG read them).
///
/// Used for image pixels, cell borders, text, and the strokes and fills of plots.
public struct Color: Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A grey with all three intensities equal to `level` (0 black, 255 white).
    public init(gray level: UInt8) { self.init(red: level, green: level, blue: level) }

    public static let black = Color(gray: 0)
    public static let white = Color(gray: 255)
    /// Borders of correctly classified cells.
    public static let green = Color(red: 30, green: 160, blue: 60)
    /// Borders of misclassified cells.
    public static let red = Color(red: 210, green: 40, blue: 40)

    /// The colour as SVG and CSS write it, e.g. `#1ea03c`.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        return "#" + String([red, green, blue].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// The colour a fraction `t` of the way from `self` to `other` (t is clamped to 0...1; NaN gives `self`).
    func mixed(with other: Color, by t: Double) -> Color {
        let t = t.isNaN ? 0 : Swift.min(Swift.max(t, 0), 1)
        func channel(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        return Color(red: channel(red, other.red), green: channel(green, other.green), blue: channel(blue, other.blue))
    }
}
