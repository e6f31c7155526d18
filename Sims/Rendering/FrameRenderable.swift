/// An environment that can draw its current state as an SVG picture.
public protocol FrameRenderable {
    /// A picture of the current state, `width` × `height` px.
    func frame(width: Double, height: Double) -> SVGDocument
}

extension FrameRenderable {
    /// Writes ``frame(width:height:)`` to `path`.
    public func writeFrame(to path: String, width: Double = 480, height: Double = 360) throws {
        try frame(width: width, height: height).write(to: path)
    }
}

/// Maps a world rectangle (y up, metres) onto the canvas (y down, pixels) with equal scales on
/// both axes, centred.
struct Viewport {
    let scale: Double, offsetX: Double, offsetY: Double

    init(world: (minX: Double, maxX: Double, minY: Double, maxY: Double), width: Double, height: Double, margin: Double = 24) {
        let sx = (width - 2 * margin) / (world.maxX - world.minX)
        let sy = (height - 2 * margin) / (world.maxY - world.minY)
        scale = min(sx, sy)
        offsetX = width / 2 - scale * (world.minX + world.maxX) / 2
        offsetY = height / 2 + scale * (world.minY + world.maxY) / 2
    }

    func callAsFunction(_ x: Double, _ y: Double) -> (Double, Double) { (offsetX + scale * x, offsetY - scale * y) }
}
