import Testing
import PCCore
import PCNumerics

/// A network's parameters change only through checked setters, and a learner or optimiser refuses
/// parts made for another network before any kernel indexes them. Regression: assigning a 1-value
/// bias to the first layer of a 64-128-128-10 network and then training used to end in a
/// segmentation fault (the optimiser's update ran over the bias's end); the assignment is no longer
/// expressible (`layers` and a layer's parameters are read-only outside PCCore) and the setter
/// refuses the shape.
struct SealedStateTests {
    @Test func wrongShapesAreRefusedAndTheNetworkStillTrains() throws {
        let all: Dataset<Float> = try Digits.load()
        let small = try all.subset(Array(0..<128))
        var rng = Xoshiro256(seed: 0)
        var network = try PCNetwork<Float>(sizes: [64, 128, 128, 10], activation: .relu, using: &rng)
        let original = network
        #expect(throws: PCCoreError.shapeMismatch(what: "bias", expected: Shape(128, 1), got: Shape(1, 1))) {
            try network.setBias(try Vector<Float>(count: 1), layer: 0)
        }
        #expect(throws: PCCoreError.shapeMismatch(what: "weight", expected: Shape(128, 64), got: Shape(64, 128))) {
            try network.setWeight(try Matrix<Float>(rows: 64, columns: 128), layer: 0)
        }
        #expect(throws: PCCoreError.shapeMismatch(what: "precision", expected: Shape(10, 1), got: Shape(3, 1))) {
            try network.setPrecision(try LayerPrecision(.identity, size: 3), layer: 2)
        }
        #expect(throws: PCCoreError.self) { try network.setPrecision(try LayerPrecision(.learnedLogVariance(initial: 0), size: 10), layer: 2) }
        #expect(throws: PCCoreError.self) { try network.setBias(try Vector<Float>(count: 128), layer: 3) }
        #expect(network == original, "a refused change leaves the network as it was")

        // A same-shape change is taken, and training runs.
        try network.setBias(try Vector<Float>((0..<128).map { Float($0) * 1e-3 }), layer: 0)
        #expect(network.layers[0].bias![5] == Float(5) * 1e-3)
        let options = try TrainingOptions(epochs: 1, batchSize: 64, seed: 0, learning: LearningOptions(rule: .il))
        let (history, _) = try Trainer.train(&network, on: small, options: options)
        #expect(history.count == 1 && history[0].meanEnergy.isFinite)
    }

    @Test func anOptimizerOrGradientsOfAnotherNetworkAreRefused() throws {
        var rng = Xoshiro256(seed: 1)
        var network = try PCNetwork<Double>(sizes: [4, 6, 3], activation: .tanh, using: &rng)
        let other = try PCNetwork<Double>(sizes: [4, 5, 3], activation: .tanh, using: &rng)
        let gradients = try ParameterGradients(for: network)
        var foreign = try Optimizer<Double>(.adam(), for: other)
        let before = network
        #expect(throws: PCCoreError.self) { try foreign.step(&network, gradients: gradients) }
        #expect(throws: PCCoreError.self) {
            var optimizer = try Optimizer<Double>(.adam(), for: network)
            try optimizer.step(&network, gradients: try ParameterGradients(for: other))
        }
        #expect(network == before && foreign.stepCount == 0, "nothing is updated before the check")

        // Trainer.train with an optimiser saved for another network refuses before its first batch.
        let all: Dataset<Double> = try Digits.load()
        let small = try all.subset(Array(0..<64))
        var digits = try PCNetwork<Double>(sizes: [64, 16, 10], activation: .tanh, using: &rng)
        let elsewhere = try PCNetwork<Double>(sizes: [64, 17, 10], activation: .tanh, using: &rng)
        let options = try TrainingOptions(epochs: 1, batchSize: 32, seed: 0, learning: LearningOptions(rule: .il))
        #expect(throws: PCCoreError.self) {
            _ = try Trainer.train(&digits, on: small, options: options, optimizer: try Optimizer(.adam(), for: elsewhere))
        }
    }

    @Test func assignParametersCopiesInPlaceOrRefuses() throws {
        var rng = Xoshiro256(seed: 2)
        let source = try PCNetwork<Double>(sizes: [3, 5, 2], activation: .tanh, using: &rng)
        var target = try PCNetwork<Double>(sizes: [3, 5, 2], activation: .tanh, using: &rng)
        try target.assignParameters(from: source)
        #expect(target == source)
        var narrow = try PCNetwork<Double>(sizes: [3, 4, 2], activation: .tanh, using: &rng)
        #expect(throws: PCCoreError.self) { try narrow.assignParameters(from: source) }
    }

    @Test func recurrentParametersKeepTheirShapes() throws {
        var rng = Xoshiro256(seed: 3)
        var rnn = try RecurrentNetwork<Double>(steps: 3, inputSize: 2, hiddenSize: 4, outputSize: 2, using: &rng)
        #expect(throws: PCCoreError.shapeMismatch(what: "recurrentWeight", expected: Shape(4, 4), got: Shape(3, 3))) {
            try rnn.setParameters(recurrentWeight: try Matrix(rows: 3, columns: 3))
        }
        #expect(throws: PCCoreError.shapeMismatch(what: "hiddenBias", expected: Shape(4, 1), got: Shape(1, 1))) {
            try rnn.setParameters(hiddenBias: try Vector(count: 1))
        }
        try rnn.setParameters(outputBias: try Vector([0.5, -0.5]))
        #expect(rnn.outputBias == (try Vector([0.5, -0.5])))
    }
    /// A CNN layer's weight and bias and a graph node's bias are read-only outside PCCore too (a
    /// 2-value bias on a 5-unit node used to be assignable before building the graph, and the
    /// prediction then read past the bias's end): the only way in is an initialiser, which refuses
    /// the wrong shape with a typed error.
    @Test func layerAndNodeParametersAreCheckedOnTheWayIn() throws {
        #expect(throws: PCCoreError.shapeMismatch(what: "weight", expected: Shape(5, 3), got: Shape(1, 1))) {
            try ConvolutionalLayer<Float>(kind: .dense(inputSize: 3, outputSize: 5), weight: Matrix(rows: 1, columns: 1), bias: nil)
        }
        #expect(throws: PCCoreError.shapeMismatch(what: "bias", expected: Shape(5, 1), got: Shape(2, 1))) {
            try ConvolutionalLayer<Float>(kind: .dense(inputSize: 3, outputSize: 5), weight: Matrix(rows: 5, columns: 3), bias: Vector(count: 2))
        }
        #expect(throws: PCCoreError.self) { try PCGraphNode<Float>(name: "hidden", size: 5, bias: try Vector(count: 2)) }
    }
    /// A state's matrices are public values a user may replace; one of another batch size or
    /// width (an activity, a prediction or an error) is refused by every engine before any loop
    /// indexes it by the workspace's shapes — a taller activity used to be written into the
    /// workspace's spare buffer past its end by the gradient step. The from-scratch helpers
    /// (free energy, activity and parameter gradients of a state) refuse them too.
    @Test func replacedStateMatricesAreRefusedByEveryEngine() throws {
        var rng = Xoshiro256(seed: 4)
        let dense = try PCNetwork<Float>(sizes: [6, 8, 3], activation: .tanh, using: &rng)
        let cnn = try ConvolutionalNetwork<Float>.digits(channels: 2, hidden: 8, using: &rng)
        let graph = try PCGraph<Float>.fullyConnected(size: 6, activation: .tanh, using: &rng)
        let options = try InferenceOptions(stepSize: 0.1, maxIterations: 5)
        for part in 0..<3 {
            func broken(_ state: PCState<Float>, _ l: Int) throws -> PCState<Float> {
                var state = state
                let tall = try Matrix<Float>(rows: 2 * state.batchSize, columns: state.activities[l].columns)
                switch part {
                case 0: state.activities[l] = tall
                case 1: state.predictions[l] = tall
                default: state.errors[l] = tall
                }
                return state
            }
            var denseState = try broken(try PCState(for: dense, batchSize: 4), 1)
            var denseWorkspace = try InferenceWorkspace(for: dense, batchSize: 4)
            #expect(throws: PCCoreError.self) { try dense.settle(&denseState, workspace: &denseWorkspace, options: options) }
            var gradients = try ParameterGradients(for: dense)
            #expect(throws: PCCoreError.self) { try dense.parameterGradients(denseState, workspace: denseWorkspace, into: &gradients) }
            var cnnState = try broken(try PCState(for: cnn, batchSize: 4), 1)
            var cnnWorkspace = try LayeredWorkspace(for: cnn, batchSize: 4)
            #expect(throws: PCCoreError.self) { try cnn.settle(&cnnState, workspace: &cnnWorkspace, options: options) }
            // The from-scratch helpers too (they make their own workspace, but index the state by it).
            #expect(throws: PCCoreError.self) { try dense.freeEnergy(of: &denseState) }
            #expect(throws: PCCoreError.self) { try dense.parameterGradients(of: &denseState) }
            #expect(throws: PCCoreError.self) { try cnn.freeEnergy(of: &cnnState) }
            #expect(throws: PCCoreError.self) { try cnn.activityGradients(of: &cnnState) }
            #expect(throws: PCCoreError.self) { try cnn.parameterGradients(of: &cnnState) }
            var graphState = try broken(try PCState(for: graph, batchSize: 4), 0)
            var graphWorkspace = try PCGraphWorkspace(for: graph, batchSize: 4)
            #expect(throws: PCCoreError.self) {
                try graph.settle(&graphState, workspace: &graphWorkspace, clamps: PCGraphClamps(nodeCount: 1, clamped: []),
                                 options: InferenceOptions(stepSize: 0.1, maxIterations: 5, initialization: .keep))
            }
            #expect(throws: PCCoreError.self) { try graph.freeEnergy(of: &graphState) }
            #expect(throws: PCCoreError.self) { try graph.parameterGradients(of: &graphState) }
        }
    }
}

