import Testing
import PCEnvironment
import PCSims
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects element names and text of an SVG document; fails on malformed XML.
final class SVGInspector: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var texts: [String] = []
    var points: [[(Double, Double)]] = []
    private var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements[name, default: 0] += 1
        text = ""
        if name == "polyline", let list = attributes["points"] {
            points.append(list.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            })
        }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(text) }
    }
    static func inspect(_ svg: String) -> SVGInspector? {
        let inspector = SVGInspector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        return parser.parse() ? inspector : nil
    }
}

@Suite struct RenderingTests {
    @Test func timeSeriesPlotIsWellFormedWithAxesLabelsAndLegend() throws {
        let time = (0...100).map { Double($0) * 0.05 }
        let plot = TimeSeriesPlot(title: "Pendulum <test>", time: time, panels: [
            PlotPanel(title: "Angle", yLabel: "θ (rad)", series: [TimeSeries("θ", time.map { sin($0) }), TimeSeries("goal", time.map { _ in 0 }, dashed: true)]),
            PlotPanel(title: "Torque", yLabel: "u (N·m)", series: [TimeSeries("u", time.map { $0 < 2 ? 2 : -2 })]),
        ])
        let inspector = try #require(SVGInspector.inspect(plot.svg().text))
        for label in ["Pendulum <test>", "Angle", "θ (rad)", "Torque", "u (N·m)", "θ", "goal", "u", "time (s)"] {
            #expect(inspector.texts.contains(label), "missing label \(label)")
        }
        // Tick labels of the time axis: round numbers 0…5.
        #expect(["0", "1", "2", "3", "4", "5"].allSatisfy(inspector.texts.contains))
        // The sine's curve spans its panel: the highest and lowest points are the panel's extremes ±1.
        let sine = inspector.points[0]
        #expect(sine.count == 101)
        #expect(sine.first!.0 < sine.last!.0)
    }

    @Test func nonFiniteValuesSplitCurves() throws {
        let plot = TimeSeriesPlot(title: "gaps", time: [0, 1, 2, 3, 4], panels: [
            PlotPanel(title: "p", yLabel: "y", series: [TimeSeries("y", [.nan, 1, 2, .nan, 3])]),
        ])
        let inspector = try #require(SVGInspector.inspect(plot.svg().text))
        #expect(inspector.points.count == 1 && inspector.points[0].count == 2)   // the single point 3 is not a line
    }

    @Test func everyEnvironmentDrawsAWellFormedFrame() throws {
        var pendulum = Pendulum(); _ = pendulum.reset(seed: 0)
        var cart = CartPole(model: .swingUp); _ = cart.reset(seed: 0)
        var acrobot = Acrobot(); _ = acrobot.reset(seed: 0)
        var car = MountainCar(); _ = car.reset(seed: 0)
        var arm = PlanarArm.reacher(); _ = arm.reset(seed: 0)
        var lightDark = LightDark(); _ = lightDark.reset(seed: 0)
        let frames: [any FrameRenderable] = [pendulum, cart, acrobot, car, arm, lightDark]
        for frame in frames {
            let inspector = try #require(SVGInspector.inspect(frame.frame(width: 480, height: 360).text))
            #expect((inspector.elements["line"] ?? 0) + (inspector.elements["rect"] ?? 0) > 1)
        }
    }
}
