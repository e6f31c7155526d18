import PCEnvironment
import PCNumerics
import PCSims

/// The environments `pcctl run` and `pcctl bench sims` know, by command-line name.
enum SimulatorName: String, CaseIterable {
    case pendulum, cartpole, cartpoleSwingUp = "cartpole-swingup", acrobot, acrobotContinuous = "acrobot-continuous"
    case mountaincar, invertedPendulum = "inverted-pendulum", reacher, arm2, arm3, arm7, armUnbiasedAIC = "arm-uaic", kinematicArm = "kinematic-arm"
    case lightdark, lightdarkCounter = "lightdark-counter"

    /// A fresh environment, its episode length, and labels of its state components.
    func make(seed: UInt64) throws -> SimulatorEntry {
        switch self {
        case .pendulum: SimulatorEntry(Pendulum(seed: seed), steps: Pendulum.episodeSteps, labels: ["θ (rad)", "θ̇ (rad/s)"],
                                       starts: GymnasiumInitialStates.pendulum)
        case .cartpole: SimulatorEntry(CartPole(seed: seed), steps: 500, labels: ["x (m)", "ẋ (m/s)", "θ (rad)", "θ̇ (rad/s)"],
                                       starts: GymnasiumInitialStates.cartPole)
        case .cartpoleSwingUp: SimulatorEntry(CartPole(model: .swingUp, seed: seed), steps: 1000,
                                              labels: ["x (m)", "ẋ (m/s)", "θ (rad)", "θ̇ (rad/s)"])
        case .acrobot: SimulatorEntry(Acrobot(seed: seed), steps: Acrobot.episodeSteps,
                                      labels: ["θ₁ (rad)", "θ₂ (rad)", "θ̇₁ (rad/s)", "θ̇₂ (rad/s)"], starts: GymnasiumInitialStates.acrobot)
        case .acrobotContinuous: SimulatorEntry(Acrobot(model: .continuous, seed: seed), steps: Acrobot.episodeSteps,
                                                labels: ["θ₁ (rad)", "θ₂ (rad)", "θ̇₁ (rad/s)", "θ̇₂ (rad/s)"])
        case .mountaincar: SimulatorEntry(MountainCar(seed: seed), steps: MountainCar.episodeSteps, labels: ["x (m)", "v (m/step)"],
                                          starts: GymnasiumInitialStates.mountainCar)
        case .invertedPendulum: SimulatorEntry(InvertedPendulum(seed: seed), steps: InvertedPendulum.episodeSteps,
                                               labels: ["x (m)", "θ (rad)", "ẋ (m/s)", "θ̇ (rad/s)"])
        case .reacher: SimulatorEntry(PlanarArm.reacher(seed: seed), steps: 50, labels: Self.armLabels(2))
        case .arm2: SimulatorEntry(try PlanarArm.rods(count: 2, seed: seed), steps: 500, labels: Self.armLabels(2))
        case .arm3: SimulatorEntry(try PlanarArm.rods(count: 3, seed: seed), steps: 500, labels: Self.armLabels(3))
        case .arm7: SimulatorEntry(try PlanarArm.rods(count: 7, seed: seed), steps: 500, labels: Self.armLabels(7))
        case .armUnbiasedAIC: SimulatorEntry(PlanarArm.unbiasedAICPlant(seed: seed), steps: 10_000, labels: Self.armLabels(2))
        case .kinematicArm: SimulatorEntry(KinematicArm.priorelliReference(seed: seed), steps: 500,
                                           labels: ["trunk (rad)", "shoulder (rad)", "elbow (rad)", "wrist (rad)", "target x (px)", "target y (px)"])
        case .lightdark: SimulatorEntry(LightDark(seed: seed), steps: LightDark.episodeSteps,
                                        labels: ["target x", "target y", "sensor x", "sensor y"])
        case .lightdarkCounter: SimulatorEntry(LightDark(model: .counterCheck, seed: seed), steps: LightDark.episodeSteps,
                                               labels: ["target x", "target y", "sensor x", "sensor y"])
        }
    }

    static func armLabels(_ n: Int) -> [String] {
        (1...n).map { "q\($0) (rad)" } + (1...n).map { "q̇\($0) (rad/s)" } + ["target x (m)", "target y (m)"]
    }
}

/// An environment with what the CLI needs to run and draw it.
struct SimulatorEntry {
    var environment: any ModelBasedEnvironment & FrameRenderable
    var episodeSteps: Int
    var stateLabels: [String]
    /// Gymnasium's starts for seeds 0..99, when the environment is a Gymnasium one.
    var gymnasiumStarts: [[Double]]?

    init(_ environment: any ModelBasedEnvironment & FrameRenderable, steps: Int, labels: [String], starts: [[Double]]? = nil) {
        self.environment = environment
        self.episodeSteps = steps
        self.stateLabels = labels
        self.gymnasiumStarts = starts
    }
}

/// Starts an episode from a given physical state.
func reset(_ environment: inout any ModelBasedEnvironment & FrameRenderable, state: [Double]) throws -> [Double] {
    guard var env = environment as? any StateResettable & ModelBasedEnvironment & FrameRenderable else {
        throw EnvironmentError.invalidConfiguration("this environment cannot start from a given state")
    }
    let observation = try env.reset(state: state)
    environment = env
    return observation
}
