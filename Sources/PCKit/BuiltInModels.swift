/// The simulator's models that PCKit agents can plan with when a robot connects over the bridge.
///
/// This catalog lives in the umbrella because it is the one module that sees both the simulator
/// (PCSims, which must not know agents) and the bridge (PCBridge, which must not import the
/// simulator). A robot's hello names the task: `{"agent": "predictiveController", "task": "pendulum"}`.
extension PlantModel {
    /// Gymnasium's Pendulum-v1 (state (θ, θ̇), torque ±2 N·m, Δt = 0.05 s), linearised by central
    /// differences; preset ``PCAgents/PredictiveControllerOptions/pendulumSwingUp``.
    ///
    /// Settable in a hello's `"parameters"`: `mass` (kg, 0.01…100, default 1), `length` (m,
    /// 0.01…100, default 1), `gravity` (m/s², 0…100, default 10).
    public static let pendulum = PlantModel(predictiveControllerPreset: .pendulumSwingUp, parameters: [
        PlantParameter(name: "mass", defaultValue: 1, range: 0.01...100, unit: "kg"),
        PlantParameter(name: "length", defaultValue: 1, range: 0.01...100, unit: "m"),
        PlantParameter(name: "gravity", defaultValue: 10, range: 0...100, unit: "m/s²"),
    ]) { values in
        FiniteDifferenceLinearization(try PendulumModel(gravity: values["gravity"]!, mass: values["mass"]!, length: values["length"]!))
    }

    /// PCKit's cart-pole swing-up (state (x, ẋ, θ, θ̇), F = 10·clip(a, −1, 1) N, RK4 at 0.01 s;
    /// observation (x, ẋ, cos θ, sin θ, θ̇)), planned with each action held 5 steps (latent step
    /// 0.05 s); the robot's control period is 0.01 s. Preset ``PCAgents/PredictiveControllerOptions/cartPoleSwingUp``.
    ///
    /// Settable: `cartMass` (kg, 0.01…100, default 1), `poleMass` (kg, 0.01…100, default 0.1),
    /// `halfLength` (m, 0.05…10, default 0.5), `forceMagnitude` (N, 0.1…1000, default 10),
    /// `gravity` (m/s², 0…100, default 9.8).
    public static let cartPoleSwingUp = PlantModel(predictiveControllerPreset: .cartPoleSwingUp, parameters: [
        PlantParameter(name: "cartMass", defaultValue: 1, range: 0.01...100, unit: "kg"),
        PlantParameter(name: "poleMass", defaultValue: 0.1, range: 0.01...100, unit: "kg"),
        PlantParameter(name: "halfLength", defaultValue: 0.5, range: 0.05...10, unit: "m"),
        PlantParameter(name: "forceMagnitude", defaultValue: 10, range: 0.1...1000, unit: "N"),
        PlantParameter(name: "gravity", defaultValue: 9.8, range: 0...100, unit: "m/s²"),
    ], controlPeriod: 0.01) { values in
        FiniteDifferenceLinearization(ActionRepeat(try CartPoleModel(
            task: .swingUp, gravity: values["gravity"]!, cartMass: values["cartMass"]!, poleMass: values["poleMass"]!,
            halfLength: values["halfLength"]!, forceMagnitude: values["forceMagnitude"]!), count: 5))
    }

    /// Gymnasium's MountainCarContinuous-v0 (state and observation (x, v), a ∈ [−1, 1], one step
    /// per action), planned with each action held 5 steps; the robot's control period is 1 (the
    /// environment has no physical time step: give `control_period` 1). No settable parameters.
    /// Preset ``PCAgents/PredictiveControllerOptions/mountainCar``.
    public static let mountainCar = PlantModel(predictiveControllerPreset: .mountainCar, parameters: [], controlPeriod: 1) { _ in
        FiniteDifferenceLinearization(ActionRepeat(MountainCarModel.gymnasium, count: 5))
    }

    /// InvertedPendulum-v5's geometry (state and observation (x, θ, ẋ, θ̇), a ∈ [−3, 3], Δt = 0.04 s).
    /// Preset ``PCAgents/PredictiveControllerOptions/invertedPendulum``.
    ///
    /// Settable: `gravity` (m/s², 0…100, default 9.81), `cartDamping` (N·s/m, 0…100, default 1),
    /// `poleDamping` (N·m·s/rad, 0…100, default 1).
    public static let invertedPendulum = PlantModel(predictiveControllerPreset: .invertedPendulum, parameters: [
        PlantParameter(name: "gravity", defaultValue: 9.81, range: 0...100, unit: "m/s²"),
        PlantParameter(name: "cartDamping", defaultValue: 1, range: 0...100, unit: "N·s/m"),
        PlantParameter(name: "poleDamping", defaultValue: 1, range: 0...100, unit: "N·m·s/rad"),
    ]) { values in
        FiniteDifferenceLinearization(InvertedPendulumModel(cartDamping: values["cartDamping"]!, poleDamping: values["poleDamping"]!,
                                                            gravity: values["gravity"]!))
    }

    /// Acrobot with continuous elbow torque in [−1, 1] N·m (state (θ₁, θ₂, θ̇₁, θ̇₂), Δt = 0.2 s;
    /// observation Gymnasium's (cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂)). No settable parameters.
    /// Preset ``PCAgents/PredictiveControllerOptions/acrobotSwingUp``.
    public static let acrobotContinuous = PlantModel(predictiveControllerPreset: .acrobotSwingUp, parameters: []) { _ in
        FiniteDifferenceLinearization(AcrobotModel.continuous)
    }

    /// Reacher-v5 rebuilt on the planar arm (state (q₁, q₂, q̇₁, q̇₂, target), a ∈ [−1, 1]², Δt = 0.02 s;
    /// observation Reacher's (cos q, sin q, target, q̇, tip − target)). No settable parameters.
    /// Preset ``PCAgents/PredictiveControllerOptions/reacher``.
    public static let reacher = PlantModel(predictiveControllerPreset: .reacher, parameters: []) { _ in
        FiniteDifferenceLinearization(PlanarArm.reacher().model)
    }

    /// Every built-in plant model by task name.
    public static let builtIn: [String: PlantModel] = [
        "pendulum": .pendulum, "cartpole-swingup": .cartPoleSwingUp, "mountaincar": .mountainCar,
        "inverted-pendulum": .invertedPendulum, "acrobot-continuous": .acrobotContinuous, "reacher": .reacher,
    ]
}

extension PCAgentFactory {
    /// PCKit agents on the built-in plant models, with the bridge's reference controllers
    /// (`"type": "linear"` or `"pendulumSwingUp"`) for configurations that name no `agent`.
    public static var builtIn: PCAgentFactory { PCAgentFactory(models: PlantModel.builtIn) }
}
