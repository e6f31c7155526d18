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

    /// Every built-in plant model by task name.
    public static let builtIn: [String: PlantModel] = ["pendulum": .pendulum]
}

extension PCAgentFactory {
    /// PCKit agents on the built-in plant models, with the bridge's reference controllers
    /// (`"type": "linear"` or `"pendulumSwingUp"`) for configurations that name no `agent`.
    public static var builtIn: PCAgentFactory { PCAgentFactory(models: PlantModel.builtIn) }
}
