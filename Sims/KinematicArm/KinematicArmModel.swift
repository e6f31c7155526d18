#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment

/// A kinematic planar arm of any number of links under joint-velocity control (<doc:Tasks#Kinematic-arm>,
/// after Priorelli et al.'s deep kinematic inference arm).
///
/// State x = (q (n), target (2)); joint k turns link k relative to link k − 1 (link 0 relative to
/// +x). One step under action a (n, joint velocities):
/// ```text
/// q′ = clamp(q + Δt · clip(a, −maxVelocity, maxVelocity), lowerLimit, upperLimit)
/// r  = −‖tip(q′) − target‖
/// ```
/// Lengths are in any unit (the reference arm uses pixels); angles in radians.
public struct KinematicArmModel: TransitionModel, Sendable, Equatable {
    /// Link lengths, (n).
    public let lengths: [Double]
    /// Joint limits, (n) rad.
    public let lowerLimits: [Double], upperLimits: [Double]
    /// Δt per step (the reference uses 0.3).
    public let timeStep: Double
    /// Joint speeds are clipped to ±maxVelocity (∞ for none), rad per unit time.
    public let maxVelocity: Double

    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for no links, mismatched lengths,
    ///   a non-positive length, limits with lower ≥ upper, a non-positive step or maxVelocity.
    public init(lengths: [Double], lowerLimits: [Double], upperLimits: [Double], timeStep: Double,
                maxVelocity: Double = .infinity) throws {
        let n = lengths.count
        guard n >= 1, lowerLimits.count == n, upperLimits.count == n else {
            throw EnvironmentError.invalidConfiguration("KinematicArm needs n ≥ 1 lengths and n limits each")
        }
        guard lengths.allSatisfy({ $0 > 0 && $0.isFinite }),
              zip(lowerLimits, upperLimits).allSatisfy({ !$0.isNaN && !$1.isNaN && $0 < $1 }) else {
            throw EnvironmentError.invalidConfiguration("KinematicArm lengths \(lengths), limits \(lowerLimits) … \(upperLimits)")
        }
        guard timeStep > 0, timeStep.isFinite, maxVelocity > 0 else {
            throw EnvironmentError.invalidConfiguration("KinematicArm timeStep \(timeStep), maxVelocity \(maxVelocity)")
        }
        self.lengths = lengths
        self.lowerLimits = lowerLimits
        self.upperLimits = upperLimits
        self.timeStep = timeStep
        self.maxVelocity = maxVelocity
    }

    /// Number of links n.
    public var linkCount: Int { lengths.count }
    public var stateDimension: Int { lengths.count + 2 }
    public var actionDimension: Int { lengths.count }
    /// Σ lengths.
    public var reach: Double { lengths.reduce(0, +) }

    /// The end of the last link for angles q, (n) read from `angles(k)`.
    @inline(__always)
    func tip(_ angles: (Int) -> Double) -> SIMD2<Double> {
        var phi = 0.0, x = 0.0, y = 0.0
        for k in 0..<lengths.count {
            phi += angles(k)
            x += lengths[k] * cos(phi)
            y += lengths[k] * sin(phi)
        }
        return SIMD2(x, y)
    }

    /// The end effector for joint angles q, (n).
    public func endEffector(q: [Double]) -> SIMD2<Double> {
        precondition(q.count == linkCount, "endEffector: q has \(q.count) values, expected \(linkCount)")
        return tip { q[$0] }
    }

    /// The joint angle after one step from `angle` under velocity `velocity` for joint k.
    @inline(__always)
    func advance(_ angle: Double, velocity: Double, joint k: Int) -> Double {
        let v = min(max(velocity, -maxVelocity), maxVelocity)
        return min(max(angle + timeStep * v, lowerLimits[k]), upperLimits[k])
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let n = linkCount
        for k in 0..<n { next[k] = advance(state[k], velocity: action[k], joint: k) }
        next[n] = state[n]
        next[n + 1] = state[n + 1]
    }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        let n = linkCount
        let d = tip { next[$0] } - SIMD2(next[n], next[n + 1])
        return -(d * d).sum().squareRoot()
    }
}
