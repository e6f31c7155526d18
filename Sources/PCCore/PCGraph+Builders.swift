import PCNumerics

// Graphs built from familiar architectures: a layered network as a chain, and the masked N×N
// form (PCCore article GraphsAndMuPC, section Masked form: one node, a masked self-edge).

extension PCGraph {
    /// The layered network `network` as a graph: nodes x₀…x_L (node ℓ has layer ℓ's bias and
    /// precision; x_L the network's output energy, cross-entropy included), edges ℓ−1 → ℓ with W_ℓ and
    /// φ_{ℓ−1}, scale 1. Energies, activity gradients and weight gradients equal the layered
    /// network's (<doc:GraphsAndMuPC#Masked-form>).
    public init(layered network: PCNetwork<Scalar>) throws {
        var nodes = [try PCGraphNode<Scalar>(name: "x0", size: network.sizes[0])]
        var edges: [PCGraphEdge<Scalar>] = []
        for (index, layer) in network.layers.enumerated() {
            let l = index + 1
            let energy: OutputEnergy = l == network.depth ? network.outputEnergy : .squaredError
            nodes.append(try PCGraphNode(name: "x\(l)", size: layer.outputSize, bias: layer.bias, layerPrecision: layer.precision, energy: energy))
            edges.append(try PCGraphEdge(from: l - 1, to: l, weight: layer.weight, activation: layer.inputActivation))
        }
        try self.init(nodes: nodes, edges: edges)
    }

    /// The masked N×N form (PRECO's `PCgraph`): one node of N units, μ = (M ⊙ W) φ(x) + b.
    /// - Parameters:
    ///   - mask: M, (N × N) of 0s and 1s; M_ij = 1 keeps the edge j → i.
    ///   - activation: φ.
    ///   - bias: whether the node has a (learned) bias b, starting at 0 (default true).
    ///   - initializer: the distribution of W before masking (default N(0, 0.05²)).
    ///   - generator: the seeded source of the weights.
    public static func masked(_ mask: Matrix<Scalar>, activation: Activation, bias: Bool = true,
                              initializer: Initializer = .normal(standardDeviation: 0.05),
                              using generator: inout Xoshiro256) throws -> PCGraph {
        guard mask.rows == mask.columns else { throw PCCoreError.shapeMismatch(what: "graph mask", expected: Shape(mask.rows, mask.rows), got: mask.shape) }
        let n = mask.rows
        let weight = try Matrix<Scalar>(rows: n, columns: n, initializer: initializer, using: &generator)
        let node = try PCGraphNode<Scalar>(name: "x", size: n, bias: bias ? try Vector(count: n) : nil)
        return try PCGraph(nodes: [node], edges: [try PCGraphEdge(from: 0, to: 0, weight: weight, activation: activation, mask: mask)])
    }

    /// A fully connected cyclic graph of N units: every unit predicts every other, no self-loops
    /// (M = 1 − I in the masked N×N form).
    public static func fullyConnected(size: Int, activation: Activation, bias: Bool = true,
                                      initializer: Initializer = .normal(standardDeviation: 0.05),
                                      using generator: inout Xoshiro256) throws -> PCGraph {
        guard size >= 2 else { throw PCCoreError.invalidArchitecture("a fully connected graph needs at least 2 units (got \(size))") }
        var mask = try Matrix<Scalar>(rows: size, columns: size, repeating: 1)
        for i in 0..<size { mask[i, i] = 0 }
        return try masked(mask, activation: activation, bias: bias, initializer: initializer, using: &generator)
    }

    /// A fully connected cyclic graph for associative memory: a data node x (n units, with bias)
    /// and a memory node m (K units, with bias), every unit predicting every other unit and no unit
    /// itself. The memory's outgoing edges carry the competitive rate softmax(β m):
    /// ```text
    /// μ_x = A φ(x) + W softmax(β m) + b_x      (A: x → x, diagonal masked)
    /// μ_m = V φ(x) + C softmax(β m) + b_m      (C: m → m, diagonal masked)
    /// ```
    /// Nodes 0 (data) and 1 (memory); edges 0: x → x, 1: m → x, 2: x → m, 3: m → m.
    /// - Parameters:
    ///   - dataSize: n.
    ///   - memoryUnits: K (e.g. one per stored pattern).
    ///   - softmaxGain: β of the memory's rate.
    ///   - activation: φ of the data's outgoing edges (default identity).
    ///   - initializer: the distribution of every weight before masking (default N(0, 0.05²)).
    ///   - generator: the seeded source of the weights.
    public static func fullyConnectedMemory(dataSize: Int, memoryUnits: Int, softmaxGain: Double, activation: Activation = .identity,
                                            initializer: Initializer = .normal(standardDeviation: 0.05),
                                            using generator: inout Xoshiro256) throws -> PCGraph {
        guard dataSize >= 2, memoryUnits >= 2 else {
            throw PCCoreError.invalidArchitecture("a memory graph needs at least 2 data and 2 memory units (got \(dataSize), \(memoryUnits))")
        }
        func offDiagonal(_ n: Int) throws -> Matrix<Scalar> {
            var mask = try Matrix<Scalar>(rows: n, columns: n, repeating: 1)
            for i in 0..<n { mask[i, i] = 0 }
            return mask
        }
        func weight(_ rows: Int, _ columns: Int) throws -> Matrix<Scalar> {
            try Matrix(rows: rows, columns: columns, initializer: initializer, using: &generator)
        }
        let nodes = [try PCGraphNode<Scalar>(name: "data", size: dataSize, bias: try Vector(count: dataSize)),
                     try PCGraphNode<Scalar>(name: "memory", size: memoryUnits, bias: try Vector(count: memoryUnits))]
        let edges = [
            try PCGraphEdge(from: 0, to: 0, weight: try weight(dataSize, dataSize), activation: activation, mask: try offDiagonal(dataSize)),
            try PCGraphEdge(from: 1, to: 0, weight: try weight(dataSize, memoryUnits), softmaxGain: softmaxGain),
            try PCGraphEdge(from: 0, to: 1, weight: try weight(memoryUnits, dataSize), activation: activation),
            try PCGraphEdge(from: 1, to: 1, weight: try weight(memoryUnits, memoryUnits), mask: try offDiagonal(memoryUnits), softmaxGain: softmaxGain),
        ]
        return try PCGraph(nodes: nodes, edges: edges)
    }
}
