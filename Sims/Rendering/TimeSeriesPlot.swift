#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One named curve of a ``TimeSeriesPlot``: a value per time sample (NaN leaves a gap).
public struct TimeSeries: Sendable {
    /// The legend label, e.g. "θ (rad)".
    public var name: String
    /// One value per entry of the plot's time axis.
    public var values: [Double]
    /// An SVG colour; nil picks the next colour of the (colour-blind safe) palette.
    public var color: String?
    /// Draw dashed (e.g. for references and set-points).
    public var dashed: Bool

    public init(_ name: String, _ values: [Double], color: String? = nil, dashed: Bool = false) {
        self.name = name
        self.values = values
        self.color = color
        self.dashed = dashed
    }
}

/// One stacked panel of a ``TimeSeriesPlot``: a y axis shared by its series.
public struct PlotPanel: Sendable {
    /// Shown at the top left of the panel.
    public var title: String
    /// The y-axis label (quantity and unit).
    public var yLabel: String
    public var series: [TimeSeries]

    public init(title: String, yLabel: String, series: [TimeSeries]) {
        self.title = title
        self.yLabel = yLabel
        self.series = series
    }
}

/// Stacked time-series panels sharing one time axis, rendered to SVG with axes, ticks, grid,
/// labels and a legend per panel.
///
/// ```swift
/// let plot = TimeSeriesPlot(title: "Pendulum, seed 0", time: t, panels: [
///     PlotPanel(title: "Angle", yLabel: "θ (rad)", series: [TimeSeries("θ", angles)]),
///     PlotPanel(title: "Torque", yLabel: "u (N·m)", series: [TimeSeries("u", torques)]),
///     PlotPanel(title: "Free energy", yLabel: "F (nats)", series: [TimeSeries("F", energies)]),
/// ])
/// try plot.write(to: "pendulum.svg")
/// ```
public struct TimeSeriesPlot: Sendable {
    public var title: String
    /// The shared time axis, (samples).
    public var time: [Double]
    /// The time-axis label.
    public var xLabel: String
    public var panels: [PlotPanel]

    /// The Okabe–Ito palette (readable with colour-vision deficiencies).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    public init(title: String, time: [Double], xLabel: String = "time (s)", panels: [PlotPanel]) {
        self.title = title
        self.time = time
        self.xLabel = xLabel
        self.panels = panels
    }

    /// Renders the plot; each panel is `panelHeight` px tall.
    public func svg(width: Double = 960, panelHeight: Double = 190) -> SVGDocument {
        let left = 86.0, right = 190.0, top = 70.0, gap = 52.0, bottom = 56.0
        let plotWidth = width - left - right
        let height = top + Double(panels.count) * panelHeight + Double(max(0, panels.count - 1)) * gap + bottom
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, at: (left, 30), size: 17, weight: "bold")
        let (t0, t1) = Self.range(time)
        let xTicks = Self.niceTicks(t0, t1)
        func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * plotWidth }
        var colorIndex = 0
        for (p, panel) in panels.enumerated() {
            let y0 = top + Double(p) * (panelHeight + gap)
            let (v0, v1) = Self.range(panel.series.flatMap(\.values))
            let yTicks = Self.niceTicks(v0, v1)
            let lo = min(v0, yTicks.first ?? v0), hi = max(v1, yTicks.last ?? v1)
            func y(_ v: Double) -> Double { y0 + panelHeight - (v - lo) / (hi - lo) * panelHeight }
            // Frame, grid and ticks.
            svg.rectangle(x: left, y: y0, width: plotWidth, height: panelHeight, fill: "#fbfbfb", stroke: "#444444")
            for tick in yTicks where tick >= lo && tick <= hi {
                svg.line(from: (left, y(tick)), to: (left + plotWidth, y(tick)), stroke: "#e2e2e2")
                svg.line(from: (left - 5, y(tick)), to: (left, y(tick)), stroke: "#444444")
                svg.text(Self.label(tick, step: yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1), at: (left - 8, y(tick) + 4), size: 11, anchor: "end")
            }
            for tick in xTicks where tick >= t0 && tick <= t1 {
                svg.line(from: (x(tick), y0), to: (x(tick), y0 + panelHeight), stroke: "#ececec")
                svg.line(from: (x(tick), y0 + panelHeight), to: (x(tick), y0 + panelHeight + 5), stroke: "#444444")
                svg.text(Self.label(tick, step: xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1), at: (x(tick), y0 + panelHeight + 18), size: 11, anchor: "middle")
            }
            if lo < 0 && hi > 0 { svg.line(from: (left, y(0)), to: (left + plotWidth, y(0)), stroke: "#9a9a9a") }
            svg.text(panel.title, at: (left, y0 - 9), size: 13, weight: "bold")
            svg.text(panel.yLabel, at: (left - 58, y0 + panelHeight / 2), size: 12, anchor: "middle", rotation: -90)
            // Curves and the legend.
            for (s, series) in panel.series.enumerated() {
                let color = series.color ?? Self.palette[colorIndex % Self.palette.count]
                colorIndex += 1
                let count = min(series.values.count, time.count)
                let stride = max(1, count / 4000)
                let points = Swift.stride(from: 0, to: count, by: stride).map { (x(time[$0]), y(series.values[$0])) }
                svg.polyline(points, stroke: color, strokeWidth: 1.6)
                if series.dashed { svg.polyline(points, stroke: "#ffffff", strokeWidth: 0.8) }
                let ly = y0 + 14 + Double(s) * 18
                svg.line(from: (left + plotWidth + 14, ly - 4), to: (left + plotWidth + 40, ly - 4), stroke: color, strokeWidth: 2.5)
                svg.text(series.name, at: (left + plotWidth + 46, ly), size: 12)
            }
        }
        svg.text(xLabel, at: (left + plotWidth / 2, height - 14), size: 12, anchor: "middle")
        return svg
    }

    /// Renders and writes the plot to `path`.
    public func write(to path: String, width: Double = 960, panelHeight: Double = 190) throws {
        try svg(width: width, panelHeight: panelHeight).write(to: path)
    }

    /// Finite min and max, widened when degenerate.
    static func range(_ values: [Double]) -> (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        if !lo.isFinite { return (0, 1) }
        if hi - lo < 1e-12 * max(1, abs(lo)) { return (lo - 0.5 * max(1, abs(lo)), hi + 0.5 * max(1, abs(lo))) }
        return (lo, hi)
    }

    /// About five round tick values (steps 1, 2 or 5 × 10ᵏ) covering [lo, hi].
    static func niceTicks(_ lo: Double, _ hi: Double, target: Double = 5) -> [Double] {
        let raw = (hi - lo) / target
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var t = floor(lo / step) * step
        while t <= hi + step * 0.5 && ticks.count < 20 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return ticks
    }

    static func label(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int(-floor(log10(abs(step)) + 1e-9)))
        if decimals == 0 { return String(Int(value.rounded())) }
        let scale = pow(10, Double(decimals))
        let r = (value * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) - 1 < decimals {
            s += String(repeating: "0", count: decimals - (s.distance(from: dot, to: s.endIndex) - 1))
        }
        return s
    }
}
