#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PlanarArm: FrameRenderable {
    /// The links from the base, the joints, the target and the end effector's distance to it.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let reach = model.chain.reach
        let view = Viewport(world: (-1.1 * reach, 1.1 * reach, -1.1 * reach, 1.1 * reach), width: width, height: height)
        svg.circle(center: view(0, 0), radius: view.scale * reach, fill: "none", stroke: "#e5e5e5")
        var point = (0.0, 0.0), angle = 0.0
        let colors = TimeSeriesPlot.palette
        for i in 0..<linkCount {
            angle += jointAngles[i]
            let next = (point.0 + model.chain.links[i].length * cos(angle), point.1 + model.chain.links[i].length * sin(angle))
            svg.line(from: view(point.0, point.1), to: view(next.0, next.1), stroke: colors[i % colors.count], strokeWidth: 7)
            svg.circle(center: view(point.0, point.1), radius: 5, fill: "#222222")
            point = next
        }
        svg.circle(center: view(target.x, target.y), radius: 8, fill: "none", stroke: "#C0392B", strokeWidth: 2.5)
        svg.circle(center: view(point.0, point.1), radius: 4, fill: "#C0392B")
        let d = ((point.0 - target.x) * (point.0 - target.x) + (point.1 - target.y) * (point.1 - target.y)).squareRoot()
        svg.text("\(linkCount)-link arm; distance to target (red ring) \(number(d * 1000) ) mm", at: (10, 18), size: 13)
        return svg
    }
}

extension KinematicArm: FrameRenderable {
    /// The links from the base, the target with its reach-distance ring, and the distance.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let reach = model.reach
        let view = Viewport(world: (-1.05 * reach, 1.05 * reach, -1.05 * reach, 1.05 * reach), width: width, height: height)
        var point = (0.0, 0.0), angle = 0.0
        let colors = TimeSeriesPlot.palette
        for k in 0..<model.linkCount {
            angle += jointAngles[k]
            let next = (point.0 + model.lengths[k] * cos(angle), point.1 + model.lengths[k] * sin(angle))
            svg.line(from: view(point.0, point.1), to: view(next.0, next.1), stroke: colors[k % colors.count], strokeWidth: 6)
            svg.circle(center: view(point.0, point.1), radius: 4, fill: "#222222")
            point = next
        }
        svg.circle(center: view(target.x, target.y), radius: max(3, view.scale * reachDistance), fill: "none", stroke: "#C0392B", strokeWidth: 2)
        svg.text("\(model.linkCount)-link kinematic arm; distance to target \(number(distance))", at: (10, 18), size: 13)
        return svg
    }
}

extension LightDark: FrameRenderable {
    /// The world shaded by the sensor noise σ (light where σ is small), the sensor and the hidden target.
    public func frame(width: Double, height: Double) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let size = model.worldSize
        let view = Viewport(world: (0, size, 0, size), width: width, height: height, margin: 30)
        let cells = 40
        let cell = size / Double(cells)
        for i in 0..<cells {
            for j in 0..<cells {
                let centre = SIMD2((Double(i) + 0.5) * cell, (Double(j) + 0.5) * cell)
                let sigma = model.sensorNoise(target: target, sensor: centre)
                let brightness = Int(255 * max(0, min(1, 1 - (sigma - 0.1) / 3)))
                let hex = String(brightness, radix: 16)
                let grey = "#" + String(repeating: hex.count == 1 ? "0" + hex : hex, count: 3)
                let (x, y) = view(Double(i) * cell, Double(j + 1) * cell)
                svg.rectangle(x: x, y: y, width: view.scale * cell + 0.5, height: view.scale * cell + 0.5, fill: grey)
            }
        }
        svg.rectangle(x: view(0, size).0, y: view(0, size).1, width: view.scale * size, height: view.scale * size, stroke: "#444444")
        svg.circle(center: view(target.x, target.y), radius: 7, fill: "#C0392B")
        svg.circle(center: view(sensor.x, sensor.y), radius: 7, fill: "#2980B9", stroke: "#ffffff", strokeWidth: 2)
        svg.text("light = low sensor noise; sensor blue, hidden target red", at: (10, 18), size: 13)
        return svg
    }
}
