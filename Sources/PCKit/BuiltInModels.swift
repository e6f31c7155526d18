/// The simulator's models that PCKit agents can plan with when a robot connects over the bridge.
///
/// This catalog lives in the umbrella because it is the one module that sees both the simulator
/// (PCSims, which must not know agents) and the bridge (PCBridge, which must not import the
/// simulator). A robot's hello names the task: `{"agent": "predictiveController", "task": "pendulum"}`.
extension PlantModel {
    /// Gymnasium's Pendulum-v1 (state (θ, θ̇), torque ±2 N·m, Δt = 0.05 s), linearised by central
    /// differences; preset ``PCAgents/PredictiveControllerOptions/pendulumSwingUp``.
    public static let pendulum = PlantModel(predictiveControllerPreset: .pendulumSwingUp) {
        FiniteDifferenceLinearization(PendulumModel.gymnasium)
    }

    /// Every built-in plant model by task name.
    public static let builtIn: [String: PlantModel] = ["pendulum": .pendulum]
}

extension PCAgentFactory {
    /// PCKit agents on the built-in plant models, with the bridge's reference controllers
    /// (`"type": "linear"` or `"pendulumSwingUp"`) for configurations that name no `agent`.
    public static var builtIn: PCAgentFactory { PCAgentFactory(models: PlantModel.builtIn) }
}
