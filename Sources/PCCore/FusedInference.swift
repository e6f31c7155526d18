import PCNumerics

// The fused settle kernel (PCNumerics' DensePCKernel): the whole inference loop of synchronous
// gradient descent, or of SeqIL's sequential sweep, with the input and output clamped and a
// squared-error output, in one kernel call. Same mathematics, stopping rules, divergence recovery
// and report as the generic loop in Inference.swift, which stays the reference
// (InferenceOptions.kernel = .generic) and handles every other method and clamp pattern.

extension PCNetwork {
    /// Whether ``settle(_:workspace:clamps:options:)`` runs the fused kernel for this call.
    func usesFusedKernel(_ clamps: Clamps<Scalar>, _ options: InferenceOptions) -> Bool {
        guard options.kernel == .automatic, options.method == .gradientDescent || options.method == .sequential,
              outputEnergy == .squaredError,
              depth <= 62 else { return false }
        guard case .clamped = clamps.input, case .clamped = clamps.output else { return false }
        return true
    }

    /// The fused settle; `state` and `workspace` have been checked to fit.
    func settleFused(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                     options: InferenceOptions) throws -> InferenceReport {
        let L = depth, B = state.batchSize, T = options.maxIterations
        let roles = DensePCKernel.roles
        // T + 1 trace slots (within the reserved capacity), trimmed after the call.
        workspace.buffers.energyTrace.removeAll(keepingCapacity: true)
        // (A plain loop: appending a repeated collection allocates per element in debug builds.)
        for _ in 0...T { workspace.buffers.energyTrace.append(0) }
        var outcome = DensePCKernel.Outcome()

        withUnsafeTemporaryAllocation(of: Int.self, capacity: L + 1) { sizes in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: L) { codes in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * L) { scalars in
        withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: 3 * L) { parameters in
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: roles * (L + 1)) { buffers in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: L + 1) { inAlternate in
            let slopes = scalars.baseAddress!, offsets = scalars.baseAddress! + L
            sizes[0] = layers[0].inputSize
            for l in 0..<L {
                sizes[l + 1] = layers[l].outputSize
                let kernel = layers[l].inputActivation.kernelCodeAndSlope
                codes[l] = kernel.code
                slopes[l] = kernel.slope
                let precision = layers[l].precision
                var offset = 0.0
                if precision.isLearned {
                    for j in 0..<precision.count { offset += Double(precision.logVariance[j]) }
                    offset *= 0.5 * Double(B)
                }
                offsets[l] = offset
            }
            for i in 0..<(roles * (L + 1)) { buffers[i] = nil }
            let table = buffers.baseAddress!
            let stride = L + 1
            withParameterPointers(0, parameters.baseAddress!) {
                state.activities.withMutableStorages(into: table) {
                workspace.buffers.best.withMutableStorages(into: table + stride) {
                state.predictions.withMutableStorages(into: table + 2 * stride) {
                state.errors.withMutableStorages(into: table + 3 * stride) {
                workspace.weightedErrors.withMutableStorages(into: table + 4 * stride) {
                workspace.engine.rates.withMutableStorages(into: table + 5 * stride) {
                workspace.engine.derivatives.withMutableStorages(into: table + 6 * stride) {
                workspace.buffers.feedback.withMutableStorages(into: table + 7 * stride) {
                workspace.buffers.energyTrace.withUnsafeMutableBufferPointer { trace in
                    outcome = DensePCKernel.settle(
                        Scalar.self, depth: L, batch: B, sizes: sizes.baseAddress!, activations: codes.baseAddress!,
                        slopes: slopes, energyOffsets: offsets, parameters: parameters.baseAddress!,
                        buffers: UnsafePointer(table), stepSize: options.stepSize, maxIterations: T,
                        tolerance: options.tolerance, divergenceThreshold: options.divergenceThreshold,
                        feedforward: options.initialization == .feedforward, sequential: options.method == .sequential,
                        trace: trace.baseAddress!, traceCapacity: trace.count, inAlternate: inAlternate.baseAddress!)
                }
                }}}}}}}}
            }
            // Layers whose final state is in buffer 1 swap it in (no copy). On a kernel failure the
            // flags were never written: nothing is swapped.
            if outcome.status == 0 {
                for l in 0...L where inAlternate[l] != 0 { swap(&state.activities[l], &workspace.buffers.best[l]) }
            }
        }}}}}}
        guard outcome.status == 0 else {
            throw PCCoreError.numerics(.kernelFailure(function: "pck_pc_dense_settle", status: outcome.status))
        }
        workspace.buffers.energyTrace.removeLast(T + 1 - outcome.traceCount)
        let stop: InferenceStop = switch outcome.stop {
        case 1: .converged
        case 2: .diverged
        default: .iterationBudget
        }
        return InferenceReport(iterations: outcome.iterations, energies: workspace.buffers.energyTrace, stop: stop,
                               bestIteration: outcome.bestIteration, finalEnergy: outcome.finalEnergy)
    }

    /// Writes W_ℓ, b_ℓ (or nil) and π_ℓ (nil for an identity precision) of layers `l`… into
    /// `table[3l…]`, then calls `body` with every address valid.
    private func withParameterPointers(_ l: Int, _ table: UnsafeMutablePointer<UnsafeRawPointer?>, _ body: () -> Void) {
        if l == depth { return body() }
        let layer = layers[l]
        layer.weight.withUnsafeStorage { w, _ in
            table[3 * l] = UnsafeRawPointer(w)
            func precision() {
                if layer.precision.isIdentity {
                    table[3 * l + 2] = nil
                    withParameterPointers(l + 1, table, body)
                } else {
                    layer.precision.values.withUnsafeBufferPointer { pi in
                        table[3 * l + 2] = UnsafeRawPointer(pi.baseAddress!)
                        withParameterPointers(l + 1, table, body)
                    }
                }
            }
            if let bias = layer.bias {
                bias.withUnsafeBufferPointer { b in
                    table[3 * l + 1] = UnsafeRawPointer(b.baseAddress!)
                    precision()
                }
            } else {
                table[3 * l + 1] = nil
                precision()
            }
        }
    }
}
