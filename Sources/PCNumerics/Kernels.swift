import _PCKernels

/// The instruction-set path of the numerical kernels.
///
/// The kernels are compiled once per instruction set — baseline (x86-64 with SSE2, or aarch64),
/// AVX2 + FMA and AVX-512 — and the first kernel call chooses the fastest one this CPU supports,
/// or the one named by the environment variable `PCKIT_KERNELS` (`baseline`, `avx2`, `avx512`,
/// `auto`). A build made with `PCKIT_NATIVE=1` has a single path, `native`.
public enum KernelPath: String, CaseIterable, Sendable {
    case baseline, avx2, avx512, native

    var code: Int32 {
        switch self {
        case .baseline: Int32(PCK_PATH_BASELINE)
        case .avx2: Int32(PCK_PATH_AVX2)
        case .avx512: Int32(PCK_PATH_AVX512)
        case .native: Int32(PCK_PATH_NATIVE)
        }
    }

    /// The path this thread's kernel calls use now (chosen at the first call; see
    /// ``selectForCurrentThread(_:)``).
    public static var current: KernelPath {
        let code = pck_kernels_path()
        return allCases.first { $0.code == code } ?? .baseline
    }

    /// The paths this build has and this CPU can run.
    public static var available: [KernelPath] { allCases.filter { pck_kernels_path_available($0.code) == 1 } }

    /// Runs every later kernel call on `path` (`nil`: the CPU's best, ignoring `PCKIT_KERNELS`).
    /// For tests and benchmarks; calls already running finish on their path.
    /// - Throws: `NumericsError.invalidArgument` when the path is not in ``available``.
    public static func select(_ path: KernelPath?) throws {
        let status = pck_kernels_select(path?.code ?? Int32(PCK_PATH_AUTO))
        if status != 0 {
            throw NumericsError.invalidArgument("kernel path \(path?.rawValue ?? "auto") is not available (available: \(available.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Runs the calling thread's later kernel calls on `path` (`nil`: back to the process-wide
    /// path); other threads, and work this thread hands to a ``WorkerPool``, are not affected.
    /// For tests that compare paths while other code runs.
    /// - Throws: `NumericsError.invalidArgument` when the path is not in ``available``.
    public static func selectForCurrentThread(_ path: KernelPath?) throws {
        let status = pck_kernels_select_thread(path?.code ?? Int32(PCK_PATH_AUTO))
        if status != 0 {
            throw NumericsError.invalidArgument("kernel path \(path?.rawValue ?? "auto") is not available (available: \(available.map(\.rawValue).joined(separator: ", ")))")
        }
    }
}
