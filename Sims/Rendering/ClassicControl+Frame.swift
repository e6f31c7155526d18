#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Pendulum: FrameRenderable {
    /// The rod from the pivot (θ = 0 up, counter-clockwise positive) and the last torque as text.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let l = model.length
        let view = Viewport(world: (-1.3 * l, 1.3 * l, -1.3 * l, 1.3 * l), width: width, height: height)
        let tip = view(-l * sin(angle), l * cos(angle))
        svg.circle(center: view(0, 0), radius: view.scale * l, fill: "none", stroke: "#dddddd")
        svg.line(from: view(0, 0), to: view(0, 1.15 * l), stroke: "#aaaaaa", dash: "4 4")
        svg.line(from: view(0, 0), to: tip, stroke: "#C0392B", strokeWidth: max(4, view.scale * 0.08))
        svg.circle(center: tip, radius: max(6, view.scale * 0.07), fill: "#C0392B")
        svg.circle(center: view(0, 0), radius: 5, fill: "#222222")
        svg.text("θ = \(number(wrappedAngle(angle))) rad   θ̇ = \(number(velocity)) rad/s   u = \(number(lastTorque)) N·m", at: (10, 18), size: 13)
        return svg
    }
}

extension CartPole: FrameRenderable {
    /// Track, cart and pole (length 2l), with the track limits marked.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let limit = model.trackLimit, pole = 2 * model.halfLength
        let view = Viewport(world: (-limit - 0.3, limit + 0.3, -pole - 0.2, pole + 0.3), width: width, height: height)
        let x = physicalState[0], theta = physicalState[2]
        svg.line(from: view(-limit - 0.3, 0), to: view(limit + 0.3, 0), stroke: "#555555", strokeWidth: 2)
        for side in [-limit, limit] { svg.line(from: view(side, -0.15), to: view(side, 0.15), stroke: "#C0392B", strokeWidth: 2) }
        let (cx, cy) = view(x - 0.25, 0.08)
        svg.rectangle(x: cx, y: cy, width: view.scale * 0.5, height: view.scale * 0.16, fill: "#34495E", radius: 3)
        // θ is clockwise from upright in Gymnasium's convention.
        let top = view(x + pole * sin(theta), pole * cos(theta))
        svg.line(from: view(x, 0), to: top, stroke: "#E67E22", strokeWidth: max(4, view.scale * 0.05))
        svg.circle(center: view(x, 0), radius: 4, fill: "#222222")
        svg.text("x = \(number(x)) m   θ = \(number(wrappedAngle(theta))) rad", at: (10, 18), size: 13)
        return svg
    }
}

extension Acrobot: FrameRenderable {
    /// Both links from the base (θ₁ = 0 hangs down), with the goal line one link above the base.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let view = Viewport(world: (-2.2, 2.2, -2.2, 2.2), width: width, height: height)
        let t1 = physicalState[0], t2 = physicalState[1]
        let elbow = (sin(t1), -cos(t1))
        let tip = (elbow.0 + sin(t1 + t2), elbow.1 - cos(t1 + t2))
        svg.line(from: view(-2.2, 1), to: view(2.2, 1), stroke: "#27AE60", strokeWidth: 2, dash: "6 4")
        svg.line(from: view(0, 0), to: view(elbow.0, elbow.1), stroke: "#2C3E50", strokeWidth: 8)
        svg.line(from: view(elbow.0, elbow.1), to: view(tip.0, tip.1), stroke: "#2980B9", strokeWidth: 8)
        for p in [(0.0, 0.0), elbow] { svg.circle(center: view(p.0, p.1), radius: 5, fill: "#E67E22") }
        svg.text("θ₁ = \(number(t1))  θ₂ = \(number(t2)) rad; goal line dashed", at: (10, 18), size: 13)
        return svg
    }
}

extension MountainCar: FrameRenderable {
    /// The hill y = sin(3x)/3 (scaled by 0.45 like Gymnasium's picture), the car and the flag at 0.45.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let view = Viewport(world: (-1.25, 0.65, -0.6, 0.75), width: width, height: height)
        func hill(_ x: Double) -> Double { 0.45 * sin(3 * x) }
        let xs = stride(from: -1.2, through: 0.6, by: 0.01).map { $0 }
        svg.polyline(xs.map { view($0, hill($0)) }, stroke: "#7F8C8D", strokeWidth: 2.5)
        let flag = view(model.goalPosition, hill(model.goalPosition))
        svg.line(from: flag, to: (flag.0, flag.1 - 36), stroke: "#222222", strokeWidth: 2)
        svg.polygon([(flag.0, flag.1 - 36), (flag.0 + 18, flag.1 - 30), (flag.0, flag.1 - 24)], fill: "#F1C40F")
        svg.circle(center: view(position, hill(position) + 0.04), radius: 9, fill: "#C0392B")
        svg.text("x = \(number(position)) m   v = \(number(velocity * 1000)) mm/step", at: (10, 18), size: 13)
        return svg
    }
}

extension InvertedPendulum: FrameRenderable {
    /// Slider, cart and pole (θ = 0 upright, positive towards +x), with the ±0.2 rad failure cone.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let limit = model.trackLimit, pole = 2 * model.poleCenterOfMass
        let view = Viewport(world: (-limit - 0.2, limit + 0.2, -0.3, pole + 0.2), width: width, height: height)
        let x = physicalState[0], theta = physicalState[1]
        svg.line(from: view(-limit, 0), to: view(limit, 0), stroke: "#555555", strokeWidth: 2)
        for side in [-limit, limit] { svg.line(from: view(side, -0.08), to: view(side, 0.08), stroke: "#C0392B", strokeWidth: 2) }
        for edge in [-0.2, 0.2] { svg.line(from: view(x, 0), to: view(x + pole * sin(edge), pole * cos(edge)), stroke: "#cccccc", dash: "4 4") }
        let (cx, cy) = view(x - 0.2, 0.1)
        svg.rectangle(x: cx, y: cy, width: view.scale * 0.4, height: view.scale * 0.2, fill: "#34495E", radius: 6)
        svg.line(from: view(x, 0), to: view(x + pole * sin(theta), pole * cos(theta)), stroke: "#E67E22", strokeWidth: max(5, view.scale * 0.098))
        svg.text("x = \(number(x)) m   θ = \(number(theta)) rad (fails beyond the dashed ±0.2)", at: (10, 18), size: 13)
        return svg
    }
}
