import _PCKernels

/// Raw entry to the fused settle kernel of a dense predictive-coding network
/// (`pck_pc_dense_settle_*`, synchronous gradient descent with the input and output clamped).
///
/// An implementation detail of PCCore (package access): the pointer tables are not checked
/// against any Swift value. Use `PCNetwork.settle` instead.
package enum DensePCKernel {
    /// Buffer roles, in the order of the `buffers` table (each role has L + 1 entries).
    package static let roles = Int(PCK_PC_ROLES)

    /// The outcome of one kernel call.
    package struct Outcome: Sendable {
        /// Kernel status (0 = success).
        package var status: Int32
        /// Updates applied.
        package var iterations: Int
        /// Energies written to the trace.
        package var traceCount: Int
        /// Iteration of the lowest energy.
        package var bestIteration: Int
        /// F_B of the returned state.
        package var finalEnergy: Double
        /// 0: budget, 1: converged, 2: diverged.
        package var stop: Int32

        /// An empty outcome (status 0, nothing run).
        package init() { status = 0; iterations = 0; traceCount = 0; bestIteration = 0; finalEnergy = 0; stop = 0 }

        init(status: Int32, iterations: Int, traceCount: Int, bestIteration: Int, finalEnergy: Double, stop: Int32) {
            self.status = status; self.iterations = iterations; self.traceCount = traceCount
            self.bestIteration = bestIteration; self.finalEnergy = finalEnergy; self.stop = stop
        }
    }

    /// Runs the settle loop.
    /// - Parameters:
    ///   - scalar: Float or Double (the element type behind every pointer).
    ///   - depth: L.
    ///   - batch: B.
    ///   - sizes: n₀…n_L.
    ///   - activations: L kernel activation codes and `slopes` their leaky slopes.
    ///   - energyOffsets: L constants added to Σ_i F_i, or `nil`.
    ///   - parameters: 3L pointers: W_ℓ, b_ℓ (or nil), π_ℓ (or nil).
    ///   - buffers: ``roles`` × (L + 1) pointers, role-major.
    ///   - sequential: SeqIL's top-down sweep (step γ/(1 + t)) instead of synchronous gradient descent.
    ///   - trace: at least `maxIterations + 1` energies.
    ///   - inAlternate: L + 1 flags: the final activities of layer ℓ are in buffer 1.
    package static func settle<Scalar: PCScalar>(
        _ scalar: Scalar.Type, depth: Int, batch: Int, sizes: UnsafePointer<Int>, activations: UnsafePointer<Int32>,
        slopes: UnsafePointer<Double>, energyOffsets: UnsafePointer<Double>?,
        parameters: UnsafePointer<UnsafeRawPointer?>, buffers: UnsafePointer<UnsafeMutableRawPointer?>,
        stepSize: Double, maxIterations: Int, tolerance: Double, divergenceThreshold: Double, feedforward: Bool,
        sequential: Bool = false, trace: UnsafeMutablePointer<Double>, traceCapacity: Int, inAlternate: UnsafeMutablePointer<UInt8>
    ) -> Outcome {
        var net = pck_pc_dense(depth: depth, batch: batch, sizes: sizes, activations: activations, slopes: slopes,
                               energy_offsets: energyOffsets, parameters: parameters,
                               buffers: UnsafeRawPointer(buffers).assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
        var options = pck_pc_settle_options(step_size: stepSize, max_iterations: maxIterations, tolerance: tolerance,
                                            divergence_threshold: divergenceThreshold, feedforward: feedforward ? 1 : 0,
                                            sequential: sequential ? 1 : 0)
        var result = pck_pc_settle_result()
        let status = switch Scalar.kernelPrecision {
        case .single: pck_pc_dense_settle_f32(&net, &options, trace, traceCapacity, inAlternate, &result)
        case .double: pck_pc_dense_settle_f64(&net, &options, trace, traceCapacity, inAlternate, &result)
        }
        return Outcome(status: status, iterations: result.iterations, traceCount: result.trace_count,
                       bestIteration: result.best_iteration, finalEnergy: result.final_energy, stop: result.stop)
    }
}

extension Array {
    /// Calls `body` with the mutable base address of every matrix's storage written to
    /// `table[0..<count]` (each made unique first); the addresses are valid only inside `body`.
    /// Allocates nothing when the array and its matrices are uniquely referenced.
    package mutating func withMutableStorages<Scalar: PCScalar, R>(
        into table: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ body: () throws -> R
    ) rethrows -> R where Element == Matrix<Scalar> {
        try withUnsafeMutableBufferPointer { buffer in try gatherStorages(buffer, 0, table, body) }
    }
}

private func gatherStorages<Scalar: PCScalar, R>(
    _ buffer: UnsafeMutableBufferPointer<Matrix<Scalar>>, _ i: Int,
    _ table: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ body: () throws -> R
) rethrows -> R {
    if i == buffer.count { return try body() }
    return try buffer[i].withUnsafeMutableStorage { pointer, _ in
        table[i] = UnsafeMutableRawPointer(pointer)
        return try gatherStorages(buffer, i + 1, table, body)
    }
}
