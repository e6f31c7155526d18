#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment

/// The dynamics of Gymnasium's MountainCarContinuous-v0 (Moore 1990; <doc:Tasks#Mountain-car>).
///
/// State (x, v): position on the hill y = sin(3x)/3 (m) and velocity (m/step). Per step, with
/// F = clip(a, −1, 1):
/// ```text
/// v′ = clip(v + (0.0015·F − 0.0025·cos(3x)), −0.07, 0.07);   x′ = clip(x + v′, −1.2, 0.6)
/// if x′ = −1.2 and v′ < 0 then v′ = 0;   terminated when x′ ≥ 0.45 and v′ ≥ 0
/// r = 100·[terminated] − 0.1·a²    (a as given, unclipped, like Gymnasium)
/// ```
/// Like Gymnasium, the stored state is rounded to float32 after every step, and 3x is then
/// formed in float32 (NumPy multiplies a float32 by a Python int in float32): the model does so
/// whenever x is exactly representable in float32, which is every state a step produced.
public struct MountainCarModel: TransitionModel, Sendable, Equatable {
    /// Force scale (0.0015).
    public let power = 0.0015
    /// Velocity bound (0.07).
    public let maxSpeed = 0.07
    /// Track bounds (−1.2, 0.6).
    public let minPosition = -1.2, maxPosition = 0.6
    /// Goal position (0.45).
    public let goalPosition = 0.45

    public init() {}
    public static let gymnasium = MountainCarModel()

    public var stateDimension: Int { 2 }
    public var actionDimension: Int { 1 }
    /// One step is one unit of the task's time (the velocity is in m/step).
    public var timeStep: Double { 1 }

    /// One step: the post-step (x′, v′) rounded to float32, and whether it is terminal.
    @inline(__always)
    public func advance(position x: Double, velocity v: Double, action: Double) -> (position: Double, velocity: Double, terminated: Bool) {
        let force = min(max(action, -1.0), 1.0)
        let single = Float(x)
        let threeX = Double(single) == x ? Double(3 * single) : 3 * x
        var velocity = v + (force * power - 0.0025 * cos(threeX))
        if velocity > maxSpeed { velocity = maxSpeed }
        if velocity < -maxSpeed { velocity = -maxSpeed }
        var position = x + velocity
        if position > maxPosition { position = maxPosition }
        if position < minPosition { position = minPosition }
        if position == minPosition && velocity < 0 { velocity = 0 }
        let terminated = position >= goalPosition && velocity >= 0
        return (Double(Float(position)), Double(Float(velocity)), terminated)
    }

    /// 100 on the terminating step, minus 0.1a².
    @inline(__always)
    public func reward(action: Double, terminated: Bool) -> Double {
        (terminated ? 100.0 : 0.0) - action * action * 0.1
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let r = advance(position: state[0], velocity: state[1], action: action[0])
        next[0] = r.position
        next[1] = r.velocity
    }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        reward(action: action[0], terminated: advance(position: state[0], velocity: state[1], action: action[0]).terminated)
    }
}
