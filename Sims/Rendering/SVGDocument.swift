#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal SVG 1.1 writer: shapes and text appended in drawing order, coordinates in pixels
/// with y pointing down (SVG's convention).
///
/// ```swift
/// var svg = SVGDocument(width: 200, height: 100)
/// svg.line(from: (10, 50), to: (190, 50), stroke: "#000")
/// try svg.write(to: "line.svg")
/// ```
public struct SVGDocument: Sendable {
    /// Canvas width and height, px.
    public let width: Double, height: Double
    private var body: [String] = []

    public init(width: Double, height: Double, background: String? = "#ffffff") {
        self.width = width
        self.height = height
        if let background { rectangle(x: 0, y: 0, width: width, height: height, fill: background) }
    }

    /// The complete document.
    public var text: String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
        viewBox="0 0 \(number(width)) \(number(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    /// Writes the document to `path`.
    public func write(to path: String) throws {
        guard let file = fopen(path, "w") else { throw SVGWriteError(path: path, code: errno) }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw SVGWriteError(path: path, code: errno) }
    }

    public mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: String = "none",
                                   stroke: String? = nil, strokeWidth: Double = 1, radius: Double = 0) {
        body.append("<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(width))\" height=\"\(number(height))\" rx=\"\(number(radius))\" fill=\"\(fill)\"\(strokeAttributes(stroke, strokeWidth))/>")
    }

    public mutating func line(from a: (Double, Double), to b: (Double, Double), stroke: String, strokeWidth: Double = 1,
                              dash: String? = nil) {
        body.append("<line x1=\"\(number(a.0))\" y1=\"\(number(a.1))\" x2=\"\(number(b.0))\" y2=\"\(number(b.1))\"\(strokeAttributes(stroke, strokeWidth))\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") stroke-linecap=\"round\"/>")
    }

    /// A polyline; non-finite points split it into separate pieces.
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, strokeWidth: Double = 1.5, fill: String = "none") {
        var piece: [String] = []
        func flush() {
            if piece.count > 1 {
                body.append("<polyline points=\"\(piece.joined(separator: " "))\" fill=\"\(fill)\"\(strokeAttributes(stroke, strokeWidth)) stroke-linejoin=\"round\"/>")
            }
            piece.removeAll(keepingCapacity: true)
        }
        for (x, y) in points {
            if x.isFinite && y.isFinite { piece.append("\(number(x)),\(number(y))") } else { flush() }
        }
        flush()
    }

    public mutating func circle(center: (Double, Double), radius: Double, fill: String, stroke: String? = nil, strokeWidth: Double = 1) {
        body.append("<circle cx=\"\(number(center.0))\" cy=\"\(number(center.1))\" r=\"\(number(radius))\" fill=\"\(fill)\"\(strokeAttributes(stroke, strokeWidth))/>")
    }

    /// Text anchored at (x, y): `anchor` is start, middle or end; `rotation` in degrees about the anchor.
    public mutating func text(_ string: String, at p: (Double, Double), size: Double = 12, anchor: String = "start",
                              fill: String = "#222222", weight: String = "normal", rotation: Double = 0) {
        let transform = rotation == 0 ? "" : " transform=\"rotate(\(number(rotation)) \(number(p.0)) \(number(p.1)))\""
        body.append("<text x=\"\(number(p.0))\" y=\"\(number(p.1))\" font-size=\"\(number(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\" font-weight=\"\(weight)\"\(transform)>\(escaped(string))</text>")
    }

    /// A closed polygon.
    public mutating func polygon(_ points: [(Double, Double)], fill: String, stroke: String? = nil, strokeWidth: Double = 1,
                                 opacity: Double = 1) {
        let list = points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
        body.append("<polygon points=\"\(list)\" fill=\"\(fill)\" fill-opacity=\"\(number(opacity))\"\(strokeAttributes(stroke, strokeWidth))/>")
    }

    private func strokeAttributes(_ stroke: String?, _ width: Double) -> String {
        stroke.map { " stroke=\"\($0)\" stroke-width=\"\(number(width))\"" } ?? ""
    }

    private func escaped(_ s: String) -> String {
        s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
    }
}

/// Writing an SVG file failed.
public struct SVGWriteError: Error, CustomStringConvertible {
    public let path: String
    public let code: Int32
    public var description: String { "cannot write \(path) (errno \(code))" }
}

/// A coordinate with at most two decimals (compact files, sub-pixel precision).
func number(_ x: Double) -> String {
    let rounded = (x * 100).rounded() / 100
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
    return String(rounded)
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
