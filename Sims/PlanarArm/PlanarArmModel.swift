import PCEnvironment

/// The transition of ``PlanarArm``: a ``PlanarChain`` driven by motors, integrated over one control period.
///
/// State x = (q (n) rad, q̇ (n) rad/s, target (2) m), dimension 2n + 2; the target never moves.
/// Action a (n), clipped to ±``controlLimit``; joint torques τ = gear ⊙ a (N·m). One step runs
/// ``substeps`` steps of Δt/substeps with ``integrator``; after each, a joint past a limit is put
/// back on it and its velocity into the limit is zeroed (an inelastic stop).
/// Reward (Reacher's, on the post-step state): r = −‖tip − target‖ − w_c‖a‖².
public struct PlanarArmModel: TransitionModel, Sendable, Equatable {
    /// The rigid chain.
    public let chain: PlanarChain
    /// Control period Δt, s.
    public let timeStep: Double
    /// Integration steps per control period.
    public let substeps: Int
    /// The integrator of each sub-step.
    public let integrator: Integrator
    /// Torque per unit of action for each joint, N·m, (n).
    public let gear: [Double]
    /// Actions are clipped to ±controlLimit (∞: torques unlimited).
    public let controlLimit: Double
    /// w_c, the weight of ‖a‖² in the reward.
    public let controlCost: Double

    let gearLanes: SIMD8<Double>

    /// Creates the model.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for a non-positive step, substeps < 1,
    ///   a gear of the wrong length or non-positive, a non-positive control limit or a negative control cost.
    public init(chain: PlanarChain, timeStep: Double, substeps: Int = 1, integrator: Integrator = .rk4,
                gear: [Double]? = nil, controlLimit: Double = 1, controlCost: Double = 1) throws {
        let gear = gear ?? [Double](repeating: 1, count: chain.linkCount)
        guard timeStep.isFinite, timeStep > 0, substeps >= 1 else {
            throw EnvironmentError.invalidConfiguration("PlanarArm timeStep \(timeStep), substeps \(substeps)")
        }
        guard gear.count == chain.linkCount, gear.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EnvironmentError.invalidConfiguration("PlanarArm gear must hold \(chain.linkCount) positive values, got \(gear)")
        }
        guard controlLimit > 0, controlCost >= 0, controlCost.isFinite else {
            throw EnvironmentError.invalidConfiguration("PlanarArm controlLimit \(controlLimit), controlCost \(controlCost)")
        }
        self.chain = chain
        self.timeStep = timeStep
        self.substeps = substeps
        self.integrator = integrator
        self.gear = gear
        self.controlLimit = controlLimit
        self.controlCost = controlCost
        self.gearLanes = chain.lanes(gear)
    }

    public var stateDimension: Int { 2 * chain.linkCount + 2 }
    public var actionDimension: Int { chain.linkCount }

    /// The clipped action, (n in 8 lanes).
    @inline(__always)
    func clippedAction(_ action: SIMD8<Double>) -> SIMD8<Double> {
        guard controlLimit.isFinite else { return action }
        return action.clamped(lowerBound: SIMD8(repeating: -controlLimit), upperBound: SIMD8(repeating: controlLimit))
    }

    /// One control period from (q, q̇) under action a (unclipped).
    @inline(__always)
    func advance(position q: inout SIMD8<Double>, velocity v: inout SIMD8<Double>, action: SIMD8<Double>) {
        let torque = gearLanes * clippedAction(action)
        let h = timeStep / Double(substeps)
        for _ in 0..<substeps {
            integrate(integrator, position: &q, velocity: &v, timeStep: h) { q, v in
                chain.acceleration(q, v, torque: torque)
            }
            if chain.hasLimits { enforceLimits(&q, &v) }
        }
    }

    @inline(__always)
    func enforceLimits(_ q: inout SIMD8<Double>, _ v: inout SIMD8<Double>) {
        let below = q .< chain.lowerLimit
        let above = q .> chain.upperLimit
        q.replace(with: chain.lowerLimit, where: below)
        q.replace(with: chain.upperLimit, where: above)
        v.replace(with: 0, where: (below .& (v .< 0)) .| (above .& (v .> 0)))
    }

    /// −‖tip − target‖ − w_c‖clip(a)‖².
    @inline(__always)
    func reward(position q: SIMD8<Double>, target: SIMD2<Double>, action: SIMD8<Double>) -> Double {
        let d = chain.endEffector(q) - target
        let a = clippedAction(action)
        return -(d * d).sum().squareRoot() - controlCost * (a * a).sum()
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let n = chain.linkCount
        var q = SIMD8<Double>(), v = SIMD8<Double>(), a = SIMD8<Double>()
        for i in 0..<n { q[i] = state[i]; v[i] = state[n + i]; a[i] = action[i] }
        advance(position: &q, velocity: &v, action: a)
        for i in 0..<n { next[i] = q[i]; next[n + i] = v[i] }
        next[2 * n] = state[2 * n]
        next[2 * n + 1] = state[2 * n + 1]
    }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        let n = chain.linkCount
        var q = SIMD8<Double>(), a = SIMD8<Double>()
        for i in 0..<n { q[i] = next[i]; a[i] = action[i] }
        return reward(position: q, target: SIMD2(next[2 * n], next[2 * n + 1]), action: a)
    }
}
