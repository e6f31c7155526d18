import PCEnvironment
import PCWire

extension WireSpace {
    /// The wire form of an environment's space: infinite bounds become `null` (JSON has no infinity).
    public init(_ space: BoxSpace) {
        self.init(low: space.low.map { $0.isFinite ? $0 : nil }, high: space.high.map { $0.isFinite ? $0 : nil })
    }
}
