// swift-tools-version: 6.2
//
// PCKit: hierarchical predictive-coding networks as predictive controllers and active-sensing
// agents for robots. The targets and the direction of imports are explained in the PCKit
// article Architecture (Sources/PCKit/Documentation.docc/Architecture.md):
//
//   pcctl, Examples ─► PCKit ─► PCBridge ─► PCWire, CZeroMQ, PCAgents ─► PCCore ─► PCNumerics ─► _PCKernels ─► CEigen
//   PCSims ─► PCEnvironment        PCAgents ─► PCEnvironment
//
// `_`-prefixed targets are implementation details: never products, no stable API.
import PackageDescription

// Eigen is only fast with these flags: SwiftPM's defaults give C++ -O2, no NDEBUG and no AVX
// (Eigen then runs 3–5x slower, and ~100x slower in debug). They are set for every configuration
// so that `swift test` also runs fast kernels. Functions start on 64-byte boundaries so that a
// kernel's hot loops keep their cache-line alignment wherever the linker places them: with the
// default 16 bytes, a change in the size of unrelated Swift code moved the pooling kernels and made
// the CNN rows of `pcctl bench pc` 3–6% slower with no change to the kernels (aligned: equal).
let kernelFlags: [CXXSetting] = [
    .unsafeFlags(["-O3", "-fno-math-errno", "-falign-functions=64"]),
    .define("NDEBUG"),
    .define("EIGEN_NO_DEBUG"),
    .define("EIGEN_DONT_PARALLELIZE"),
]

// Portable kernels: a default build runs on any x86-64 (or aarch64) CPU. The kernels are compiled
// three times — baseline (_PCKernels: x86-64 with SSE2, or aarch64), AVX2 + FMA (_PCKernelsAVX2,
// x86-64-v3) and AVX-512 (_PCKernelsAVX512, x86-64-v4) — and _PCKernels picks one at run time
// from the CPU's features (PCKIT_KERNELS=baseline|avx2|avx512 forces one).
// PCKIT_NATIVE=1 in the environment of `swift build` opts into a native build instead: one path,
// compiled with -march=native, that may not run on another CPU.
let nativeBuild = Context.environment["PCKIT_NATIVE"] == "1"
let baselineFlags: [CXXSetting] = nativeBuild ? [.unsafeFlags(["-march=native"]), .define("PCK_NATIVE_BUILD")] : []
// Swift takes its target CPU from the Clang importer's flags: in a native build the Swift hot
// loops (controllers, sims) use the build machine's instruction set too.
let nativeSwift: [SwiftSetting] = nativeBuild ? [.unsafeFlags(["-Xcc", "-march=native"])] : []
#if arch(x86_64)
// The manifest is evaluated on the build machine: these flags assume it builds for x86-64.
let avx2Flags: [CXXSetting] = [.unsafeFlags(["-march=x86-64-v3"])]
// 512-bit vectors for the compiler's own loops too (it prefers 256 bits for x86-64-v4 by default).
let avx512Flags: [CXXSetting] = [.unsafeFlags(["-march=x86-64-v4", "-mprefer-vector-width=512"])]
#else
let avx2Flags: [CXXSetting] = []     // the variant targets compile nothing off x86-64
let avx512Flags: [CXXSetting] = []
#endif

var targets: [Target] = []
var products: [Product] = []

// MARK: - System libraries
targets += [
    .systemLibrary(name: "CEigen", path: "Sources/CEigen", pkgConfig: "eigen3",
                   providers: [.apt(["libeigen3-dev"])]),
    // libzmq's C API for the bridge; linked by name from the module map.
    .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
]

// MARK: - Implementation details
targets += [
    // Eigen kernels behind a C ABI (include/pc_kernels.h); only PCNumerics imports it. Holds the
    // baseline variant and the run-time dispatcher; the other variants are linked in from:
    .target(name: "_PCKernels", dependencies: ["CEigen", "_PCKernelsAVX2", "_PCKernelsAVX512"], path: "Sources/_PCKernels",
            cxxSettings: kernelFlags + baselineFlags),
    .target(name: "_PCKernelsAVX2", dependencies: ["CEigen"], path: "Sources/_PCKernelsAVX2", publicHeadersPath: ".",
            cxxSettings: kernelFlags + avx2Flags),
    .target(name: "_PCKernelsAVX512", dependencies: ["CEigen"], path: "Sources/_PCKernelsAVX512", publicHeadersPath: ".",
            cxxSettings: kernelFlags + avx512Flags),
    // Counts heap allocations per thread by interposing malloc; linked only by pcctl and tests.
    .target(name: "_PCAllocationCounter", path: "Sources/_PCAllocationCounter"),
    // Test helpers: the one tolerance helper, finite differences, fixtures.
    .target(name: "_PCTestSupport", path: "Sources/_PCTestSupport"),
]

// MARK: - Public API: numerics and predictive coding
targets += [
    .target(name: "PCNumerics", dependencies: ["_PCKernels"], path: "Sources/PCNumerics", swiftSettings: nativeSwift),
]
products += [.library(name: "PCNumerics", targets: ["PCNumerics"])]

targets += [
    // Predictive-coding networks: energy, gradients, inference, learning rules, optimisers,
    // training, datasets (the digits data ship as resources), checkpoints.
    // Cross-module optimisation lets clients (pcctl) specialise the generic hot loops for Float.
    .target(name: "PCCore", dependencies: ["PCNumerics"], path: "Sources/PCCore",
            exclude: ["Resources/DIGITS-LICENSE.md", "Resources/export_digits.py"],
            resources: [.copy("Resources/digits.csv"), .copy("Resources/digits_split.csv")],
            swiftSettings: nativeSwift + [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]),
]
products += [.library(name: "PCCore", targets: ["PCCore"])]

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
    .target(name: "PCAgents", dependencies: ["PCEnvironment", "PCNumerics", "PCCore", "_PCKernels"], path: "Sources/PCAgents"),
]
products += [.library(name: "PCAgents", targets: ["PCAgents"])]

// MARK: - Public API: wire protocol and ZeroMQ bridge
targets += [
    // Messages and their encoding (mirrors Interfaces/protocol); imports nothing of ours.
    .target(name: "PCWire", dependencies: [], path: "Sources/PCWire"),
    // ZeroMQ transport: server, client, broker, telemetry; hosts PCAgents' agents (PCAgentFactory).
    .target(name: "PCBridge", dependencies: ["PCWire", "CZeroMQ", "PCEnvironment", "PCAgents", "PCNumerics", "PCRecording"], path: "Sources/PCBridge"),
]
products += [
    .library(name: "PCWire", targets: ["PCWire"]),
    .library(name: "PCBridge", targets: ["PCBridge"]),
]

// MARK: - Public API: session recordings
targets += [
    // MCAP writer and reader, and the session recorder (ring buffer + writer thread); imports nothing of ours.
    .target(name: "PCRecording", dependencies: [], path: "Sources/PCRecording"),
]
products += [.library(name: "PCRecording", targets: ["PCRecording"])]

// MARK: - Public API: the umbrella
targets += [
    // Re-exports every public module; also the catalog of simulator models the bridge's agents
    // plan with (the one place that sees both PCSims and PCBridge).
    .target(name: "PCKit", dependencies: ["PCNumerics", "PCCore", "PCEnvironment", "PCSims", "PCAgents", "PCWire", "PCRecording", "PCBridge"],
            path: "Sources/PCKit"),
]
products += [.library(name: "PCKit", targets: ["PCKit"])]

// MARK: - C ABI (libpckit)
targets += [
    // The C ABI of Interfaces/c/pckit.h: agents from the bridge's factory, stepped in process.
    .target(name: "PCKitC", dependencies: ["PCKit", "PCBridge", "PCWire", "PCEnvironment"], path: "Sources/PCKitC"),
]
// `swift build --product pckit` → .build/<configuration>/libpckit.so, for C, C++ and Python (ctypes).
products += [.library(name: "pckit", type: .dynamic, targets: ["PCKitC"])]

// MARK: - Command-line tool and examples
targets += [
    .executableTarget(
        name: "pcctl",
        dependencies: [
            "_PCAllocationCounter", "PCKit", "PCKitC", "PCRecording", "PCNumerics", "PCAgents", "PCSims", "PCEnvironment", "PCBridge", "PCCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/pcctl"),
]
products += [.executable(name: "pcctl", targets: ["pcctl"])]
// Examples: each a short, teaching executable (agents).
// MARK: - Examples (each short and teaching; run by Tests/ExampleTests)
targets += [
    .executableTarget(name: "PendulumSwingUp", dependencies: ["PCAgents", "PCSims"], path: "Examples/PendulumSwingUp"),
    .executableTarget(name: "ArmReaching", dependencies: ["PCAgents", "PCSims"], path: "Examples/ArmReaching"),
    .executableTarget(name: "ActiveSensing", dependencies: ["PCAgents", "PCSims"], path: "Examples/ActiveSensing"),
    .executableTarget(name: "PendulumModelLearning", dependencies: ["PCAgents", "PCSims"], path: "Examples/PendulumModelLearning"),
    // A Swift robot program: the simulated pendulum, balanced by a PCKit agent over `pcctl serve`.
    .executableTarget(name: "pendulum-robot", dependencies: ["PCKit"], path: "Examples/pendulum-robot"),
    // μPC at depth: 128 residual layers trained with μPC and with the standard parameterisation.
    .executableTarget(name: "MuPCDepth", dependencies: ["PCCore", "PCNumerics"], path: "Examples/MuPCDepth"),
]

// MARK: - Tests
targets += [
    .testTarget(name: "PCNumericsTests",
                dependencies: ["PCNumerics", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCNumericsTests", exclude: ["Fixtures"]),
    // Every kernel path against the baseline path, and the automatic choice against /proc/cpuinfo.
    .testTarget(name: "PCKernelsTests", dependencies: ["_PCKernels", "PCNumerics", "_PCTestSupport"],
                path: "Tests/PCKernelsTests"),
    .testTarget(name: "PCCoreTests",
                dependencies: ["PCCore", "PCNumerics", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCCoreTests"),
    .testTarget(name: "PCAgentsTests",
                dependencies: ["PCAgents", "PCCore", "PCSims", "PCEnvironment", "PCNumerics", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCAgentsTests"),
    .testTarget(name: "PCEnvironmentTests",
                dependencies: ["PCEnvironment", "_PCTestSupport"],
                path: "Tests/PCEnvironmentTests"),
    .testTarget(name: "PCSimsTests",
                dependencies: ["PCSims", "PCEnvironment", "PCNumerics", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCSimsTests",
                exclude: ["Fixtures"]),
    .testTarget(name: "PCRecordingTests", dependencies: ["PCRecording", "_PCTestSupport", "_PCAllocationCounter"],
                path: "Tests/PCRecordingTests"),
    .testTarget(name: "PCWireTests", dependencies: ["PCWire", "_PCTestSupport"], path: "Tests/PCWireTests"),
    .testTarget(name: "PCBridgeTests", dependencies: ["PCBridge", "PCRecording", "PCWire", "PCAgents", "PCEnvironment", "_PCTestSupport", "_PCAllocationCounter"], path: "Tests/PCBridgeTests"),
    .testTarget(name: "PCKitTests", dependencies: ["PCKit", "_PCTestSupport", "_PCAllocationCounter"], path: "Tests/PCKitTests"),
    .testTarget(name: "PCKitCTests", dependencies: ["PCKitC", "PCKit", "_PCTestSupport", "_PCAllocationCounter"], path: "Tests/PCKitCTests"),
    // Runs the built example binaries against a real `pcctl serve` and checks their output.
    .testTarget(name: "ExampleTests", dependencies: ["_PCTestSupport"], path: "Tests/ExampleTests"),
]

let package = Package(
    name: "PCKit",
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: targets,
    cxxLanguageStandard: .cxx17
)
