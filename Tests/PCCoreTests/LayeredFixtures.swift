import Testing
import PCCore
import PCNumerics
import _PCTestSupport
import _PCAllocationCounter

/// Layered models whose parameters can be read and replaced as one flat list, in the order of
/// ``ParameterGradients/flattened`` (per group: weight, then bias).
protocol FlatParameterModel: LayeredPCModel where Scalar == Double {
    var flatParameters: [Double] { get }
    func withFlatParameters(_ values: [Double]) throws -> Self
}

extension ConvolutionalNetwork<Double>: FlatParameterModel {
    var flatParameters: [Double] {
        layers.flatMap { ($0.weight?.elements ?? []) + ($0.bias?.elements ?? []) }
    }
    func withFlatParameters(_ values: [Double]) throws -> ConvolutionalNetwork<Double> {
        var copy = self
        var k = 0
        for (i, layer) in layers.enumerated() {
            guard let w = layer.weight else { continue }
            let weight = try Matrix(rows: w.rows, columns: w.columns, elements: Array(values[k..<(k + w.count)]))
            k += w.count
            var bias: Vector<Double>? = nil
            if let b = layer.bias { bias = try Vector(Array(values[k..<(k + b.count)])); k += b.count }
            try copy.setParameters(layer: i, weight: weight, bias: bias)
        }
        return copy
    }
}

extension RecurrentNetwork<Double>: FlatParameterModel {
    var flatParameters: [Double] {
        inputWeight.elements + (hiddenBias?.elements ?? []) + recurrentWeight.elements + outputWeight.elements + (outputBias?.elements ?? [])
    }
    func withFlatParameters(_ values: [Double]) throws -> RecurrentNetwork<Double> {
        var copy = self
        var k = 0
        func take(_ n: Int) -> [Double] { defer { k += n }; return Array(values[k..<(k + n)]) }
        let input = try Matrix(rows: hiddenSize, columns: inputSize, elements: take(inputWeight.count))
        let hidden = hiddenBias != nil ? try Vector(take(hiddenSize)) : nil
        let recurrent = try Matrix(rows: hiddenSize, columns: hiddenSize, elements: take(recurrentWeight.count))
        let output = try Matrix(rows: outputSize, columns: hiddenSize, elements: take(outputWeight.count))
        let outputBias = self.outputBias != nil ? try Vector(take(outputSize)) : nil
        try copy.setParameters(inputWeight: input, recurrentWeight: recurrent, hiddenBias: hidden, outputWeight: output,
                               outputBias: outputBias)
        return copy
    }
}

/// Oracle checks shared by the convolutional and recurrent tests.
enum LayeredChecks {
    /// Input (N(0,1)) and one-hot target for `model`.
    static func batch<M: LayeredPCModel>(_ model: M, _ batch: Int, seed: UInt64) throws -> (Matrix<Double>, Matrix<Double>) where M.Scalar == Double {
        var rng = Xoshiro256(seed: seed)
        let x = try Matrix<Double>(rows: batch, columns: model.sizes[0], initializer: .normal(standardDeviation: 1), using: &rng)
        return (x, try Fixtures.oneHot(batch: batch, classes: model.sizes.last!, seed: seed + 1))
    }

    /// A state with every activity random (N(0, 0.5²)), so every error is non-zero.
    static func randomState<M: LayeredPCModel>(_ model: M, batch: Int, seed: UInt64) throws -> PCState<Double> where M.Scalar == Double {
        var rng = Xoshiro256(seed: seed)
        var state = try PCState(for: model, batchSize: batch)
        for l in 0...model.depth {
            state.activities[l] = try Matrix(rows: batch, columns: model.sizes[l], initializer: .normal(standardDeviation: 0.5), using: &rng)
        }
        if model.outputEnergy == .crossEntropy { try state.setOutput(try Fixtures.oneHot(batch: batch, classes: model.sizes.last!, seed: seed + 7)) }
        return state
    }

    /// Max relative difference of ∂F/∂x (per sample) from finite differences of B·F_B over every hidden
    /// activity, and over x_L's free entries when `clamps` leaves the output free or masked (the
    /// analytic gradient of a masked output's clamped entries must be exactly 0).
    static func activityGradientError<M: LayeredPCModel>(_ model: M, batch: Int, seed: UInt64,
                                                         clamps: Clamps<Double> = .supervised) throws -> Double where M.Scalar == Double {
        var state = try randomState(model, batch: batch, seed: seed)
        let analytic = try model.activityGradients(of: &state, clamps: clamps)
        var worst = 0.0
        var layers = Array(1..<model.depth)
        var mask: [Double]? = nil
        switch clamps.output {
        case .clamped: break
        case .free: layers.append(model.depth)
        case .masked(let m): layers.append(model.depth); mask = m.elements
        }
        for l in layers {
            var numeric = finiteDifferenceGradient(at: state.activities[l].elements) { values in
                var probe = state
                probe.activities[l] = try! Matrix(rows: batch, columns: model.sizes[l], elements: values)
                return Double(batch) * (try! model.freeEnergy(of: &probe))
            }
            if l == model.depth, let mask {
                for i in numeric.indices where mask[i] == 1 {
                    if analytic[l].elements[i] != 0 { return .infinity }
                    numeric[i] = 0
                }
            }
            worst = max(worst, maxRelativeDifference(analytic[l].elements, numeric, floor: 1e-2))
        }
        return worst
    }

    /// Max relative difference of ∂F_B/∂θ at a random state from finite differences of F_B.
    static func parameterGradientError<M: FlatParameterModel>(_ model: M, batch: Int, seed: UInt64) throws -> Double {
        var state = try randomState(model, batch: batch, seed: seed)
        let analytic = try model.parameterGradients(of: &state).flattened
        let numeric = finiteDifferenceGradient(at: model.flatParameters) { values in
            var probe = state
            return try! model.withFlatParameters(values).freeEnergy(of: &probe)
        }
        return maxRelativeDifference(analytic, numeric, floor: 1e-2)
    }

    /// The gradients of one rule on a batch.
    static func gradients<M: LayeredPCModel>(_ model: M, _ x: Matrix<Double>, _ y: Matrix<Double>, zeroDivergence: Bool) throws -> (loss: Double, flat: [Double]) where M.Scalar == Double {
        var state = try PCState(for: model, batchSize: x.rows)
        var workspace = try LayeredWorkspace(for: model, batchSize: x.rows)
        var g = try model.makeGradients()
        try state.setInput(x); try state.setOutput(y)
        let loss = zeroDivergence ? try model.zeroDivergenceGradients(&state, workspace: &workspace, into: &g)
                                  : try model.backpropGradients(&state, workspace: &workspace, into: &g)
        return (loss, g.flattened)
    }

    /// Max relative difference of the backprop gradients from finite differences of the backprop loss.
    static func backpropError<M: FlatParameterModel>(_ model: M, batch: Int, seed: UInt64) throws -> Double {
        let (x, y) = try self.batch(model, batch, seed: seed)
        let analytic = try gradients(model, x, y, zeroDivergence: false).flat
        let numeric = finiteDifferenceGradient(at: model.flatParameters) { values in
            try! gradients(try! model.withFlatParameters(values), x, y, zeroDivergence: false).loss
        }
        return maxRelativeDifference(analytic, numeric, floor: 1e-2)
    }

    /// (relative difference of the parameters after one SGD step of Z-IL and of backprop,
    ///  relative size of the update, relative difference of the gradients).
    static func zeroDivergenceVersusBackprop<M: FlatParameterModel>(_ model: M, batch: Int, seed: UInt64) throws -> (parameters: Double, change: Double, gradients: Double) {
        let (x, y) = try self.batch(model, batch, seed: seed)
        var afterZIL = model, afterBP = model
        var zil = try PCLearner(for: model, batchSize: batch, options: LearningOptions(rule: .zeroDivergence, optimizer: .sgd(learningRate: 0.1)))
        var bp = try PCLearner(for: model, batchSize: batch, options: LearningOptions(rule: .backprop, optimizer: .sgd(learningRate: 0.1)))
        try zil.step(&afterZIL, input: x, target: y)
        try bp.step(&afterBP, input: x, target: y)
        let gz = try gradients(model, x, y, zeroDivergence: true).flat, gb = try gradients(model, x, y, zeroDivergence: false).flat
        return (Fixtures.relativeDifference(afterZIL.flatParameters, afterBP.flatParameters),
                Fixtures.relativeDifference(afterBP.flatParameters, model.flatParameters),
                Fixtures.relativeDifference(gz, gb))
    }
}

/// Workspaces (PCCore article EnergyAndInference): a settle of `network` (batch 64, 64 inputs, 10 outputs, Float) allocates nothing,
/// however many iterations it runs, for gradient descent, momentum and SeqIL.
func expectSettleDoesNotAllocate<Model: LayeredPCModel>(_ network: Model, rng: inout Xoshiro256,
                                                        sourceLocation: SourceLocation = #_sourceLocation) throws
where Model.Scalar == Float {
    var state = try PCState(for: network, batchSize: 64)
    var workspace = try LayeredWorkspace(for: network, batchSize: 64)
    try state.setInput(try Matrix<Float>(rows: 64, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng))
    try state.setOutput(try Matrix<Float>(rows: 64, columns: 10, initializer: .uniform(low: 0, high: 1), using: &rng))
    try expectSettlesDoNotAllocate(methods: [.gradientDescent, .momentum(0.5), .sequential], iterations: (3, 23),
                                   sourceLocation: sourceLocation) { options in
        _ = try network.settle(&state, workspace: &workspace, options: options)
    }
}

/// For each method, a warmed-up `settle` of `iterations.short` and of `iterations.long` iterations
/// (step 0.05) allocates the same number of times, and that number is 0.
func expectSettlesDoNotAllocate(methods: [InferenceMethod], iterations: (short: Int, long: Int),
                                sourceLocation: SourceLocation = #_sourceLocation,
                                settle: (InferenceOptions) throws -> Void) throws {
    #expect(pck_allocation_counter_active() == 1, sourceLocation: sourceLocation)
    for method in methods {
        func run(_ count: Int) throws -> UInt64 {
            let options = try InferenceOptions(stepSize: 0.05, maxIterations: count, method: method)
            try settle(options)
            let before = pck_thread_allocation_count()
            try settle(options)
            return pck_thread_allocation_count() - before
        }
        let short = try run(iterations.short), long = try run(iterations.long)
        #expect(long == short, "\(method): \(long - short) allocations in \(iterations.long - iterations.short) extra iterations",
                sourceLocation: sourceLocation)
        #expect(long == 0, "\(method): a whole settle allocated \(long) times", sourceLocation: sourceLocation)
    }
}

/// `steps` learning steps of a dense PCLearner and a PCLearner on the same batch agree: the
/// energies before and after inference, the iterations and every gradient to 1e-12 (Double).
func expectLearnersAgree<Model: LayeredPCModel>(_ dense: inout PCNetwork<Double>, _ denseLearner: inout PCLearner<PCNetwork<Double>>,
                                                _ model: inout Model, _ learner: inout PCLearner<Model>,
                                                input x: Matrix<Double>, target y: Matrix<Double>, steps: Int = 3,
                                                sourceLocation: SourceLocation = #_sourceLocation) throws where Model.Scalar == Double {
    for _ in 0..<steps {
        let a = try denseLearner.step(&dense, input: x, target: y)
        let b = try learner.step(&model, input: x, target: y)
        #expect(abs(a.energy - b.energy) <= 1e-12 * abs(a.energy), sourceLocation: sourceLocation)
        #expect(abs(a.finalEnergy - b.finalEnergy) <= 1e-12 * abs(a.finalEnergy), sourceLocation: sourceLocation)
        #expect(a.iterations == b.iterations, sourceLocation: sourceLocation)
        #expect(Fixtures.relativeDifference(learner.gradients.flattened, denseLearner.gradients.flattened) <= 1e-12, sourceLocation: sourceLocation)
    }
}

/// A dense network seen only through ``LayeredPCModel``'s requirements: ``PCLearner`` trains it with
/// the layered engine's generic defaults (not the dense engine's own settle, gradients and fused
/// kernel), so the two engines can be compared on one model — and a user's own layered type
/// conforms the same way.
struct LayeredView: LayeredPCModel {
    typealias Scalar = Double
    var network: PCNetwork<Double>
    var sizes: [Int] { network.sizes }
    var outputEnergy: OutputEnergy { network.outputEnergy }
    func rateActivation(_ l: Int) -> Activation { network.rateActivation(l) }
    func makeScratch(batchSize: Int) throws -> NoScratch { NoScratch() }
    func makeGradients() throws -> ParameterGradients<Double> { try network.makeGradients() }
    func predict(_ l: Int, rate: Matrix<Double>, input: Matrix<Double>, into prediction: inout Matrix<Double>, scratch: inout NoScratch) throws {
        try network.predict(l, rate: rate, input: input, into: &prediction, scratch: &scratch)
    }
    func feedback(_ l: Int, error: Matrix<Double>, into feedback: inout Matrix<Double>, scratch: inout NoScratch) throws {
        try network.feedback(l, error: error, into: &feedback, scratch: &scratch)
    }
    func accumulateParameterGradient(_ l: Int, error: Matrix<Double>, rate: Matrix<Double>, input: Matrix<Double>, alpha: Double,
                                     into gradients: inout ParameterGradients<Double>, scratch: inout NoScratch) throws {
        try network.accumulateParameterGradient(l, error: error, rate: rate, input: input, alpha: alpha, into: &gradients, scratch: &scratch)
    }
    mutating func applyGradients(_ gradients: ParameterGradients<Double>, optimizer: inout Optimizer<Double>) throws {
        try network.applyGradients(gradients, optimizer: &optimizer)
    }
    func precision(_ l: Int) -> LayerPrecision<Double>? { network.precision(l) }
    mutating func updatePrecisions(_ gradients: ParameterGradients<Double>, learningRate: Double) throws {
        try network.updatePrecisions(gradients, learningRate: learningRate)
    }
}

/// A learner's `step`, warmed up, allocates the same number of times on each of four steps, and
/// (in optimised builds) never.
func expectStepsDoNotAllocate(_ label: String, sourceLocation: SourceLocation = #_sourceLocation, _ step: () throws -> Void) throws {
    for _ in 0..<3 { try step() }
    var counts = [UInt64](repeating: 0, count: 4)
    for i in counts.indices {
        let before = pck_thread_allocation_count()
        try step()
        counts[i] = pck_thread_allocation_count() - before
    }
    #expect(Set(counts).count == 1, "\(label): allocations per step changed: \(counts)", sourceLocation: sourceLocation)
    #if !DEBUG
    #expect(counts.allSatisfy { $0 == 0 }, "\(label): allocations per step: \(counts)", sourceLocation: sourceLocation)
    #endif
}
