// swift-tools-version: 6.1
//
// PCKit: hierarchical predictive-coding networks as predictive controllers and active-sensing
// agents for robots. The targets and the direction of imports follow DESIGN.md §2:
//
//   pcctl, Examples ─► PCKit ─► PCBridge ─► PCWire, CZeroMQ, PCAgents ─► PCCore ─► PCNumerics ─► _PCKernels ─► CEigen
//   PCSims ─► PCEnvironment        PCAgents ─► PCEnvironment
//
// `_`-prefixed targets are implementation details: never products, no stable API.
import PackageDescription

// Eigen is only fast with these flags: SwiftPM's defaults give C++ -O2, no NDEBUG and no AVX
// (Eigen then runs 3–5x slower, and ~100x slower in debug). They are set for every configuration
// so that `swift test` also runs fast kernels.
let kernelFlags: [CXXSetting] = [
    .unsafeFlags(["-O3", "-march=native", "-fno-math-errno"]),
    .define("NDEBUG"),
    .define("EIGEN_NO_DEBUG"),
    .define("EIGEN_DONT_PARALLELIZE"),
]

var targets: [Target] = []
var products: [Product] = []

// MARK: - System libraries
targets += [
    .systemLibrary(name: "CEigen", path: "Sources/CEigen", pkgConfig: "eigen3",
                   providers: [.apt(["libeigen3-dev"])]),
]

// MARK: - Implementation details
targets += [
    // Counts heap allocations per thread by interposing malloc; linked only by pcctl and tests.
    .target(name: "_PCAllocationCounter", path: "Sources/_PCAllocationCounter"),
    // Test helpers: the one tolerance helper, finite differences, fixtures.
    .target(name: "_PCTestSupport", path: "Sources/_PCTestSupport"),
]

// MARK: - Public API: numerics and predictive coding
targets += [
    .target(name: "PCNumerics", dependencies: [], path: "Sources/PCNumerics"),
]
products += [.library(name: "PCNumerics", targets: ["PCNumerics"])]

// MARK: - Public API: environments and simulator (sources under Sims/)
targets += [
    .target(name: "PCEnvironment", dependencies: [], path: "Sources/PCEnvironment"),
    // The simulator: physics core, environments, noise wrappers, SVG rendering, Gymnasium fixtures.
    .target(name: "PCSims", dependencies: ["PCEnvironment", "PCNumerics"], path: "Sims",
            exclude: ["Fixtures/export_gymnasium.py"]),
]
products += [.library(name: "PCEnvironment", targets: ["PCEnvironment"])]
products += [.library(name: "PCSims", targets: ["PCSims"])]

// MARK: - Public API: agents
targets += [
    .target(name: "PCAgents", dependencies: ["PCEnvironment", "PCNumerics"], path: "Sources/PCAgents"),
]
products += [.library(name: "PCAgents", targets: ["PCAgents"])]

// MARK: - Public API: wire protocol and ZeroMQ bridge
targets += [
]

// MARK: - Command-line tool and examples
targets += [
    .executableTarget(
        name: "pcctl",
        dependencies: [
            "_PCAllocationCounter", "PCAgents",
            "PCEnvironment", "PCNumerics", "PCSims",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/pcctl"),
]
products += [.executable(name: "pcctl", targets: ["pcctl"])]
// Examples: each a short, teaching executable (agents).
targets += [
    .executableTarget(name: "PendulumSwingUp", dependencies: ["PCAgents", "PCSims"], path: "Examples/PendulumSwingUp"),
    .executableTarget(name: "ArmReaching", dependencies: ["PCAgents", "PCSims"], path: "Examples/ArmReaching"),
    .executableTarget(name: "ActiveSensing", dependencies: ["PCAgents", "PCSims"], path: "Examples/ActiveSensing"),
]

// MARK: - Tests
targets += [
    .testTarget(name: "PCAgentsTests",
                dependencies: ["PCAgents", "PCSims", "PCEnvironment", "PCNumerics", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCAgentsTests"),
    .testTarget(name: "PCEnvironmentTests",
                dependencies: ["PCEnvironment", "_PCTestSupport"],
                path: "Tests/PCEnvironmentTests"),
    .testTarget(name: "PCSimsTests",
                dependencies: ["PCSims", "PCEnvironment", "PCNumerics", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCSimsTests",
                exclude: ["Fixtures"]),
]

let package = Package(
    name: "PCKit",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: targets,
    cxxLanguageStandard: .cxx17
)
