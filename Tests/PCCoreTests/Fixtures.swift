import PCCore
import PCNumerics

/// Small random networks and states for the exactness tests (Double).
enum Fixtures {
    /// A random state for `network`: input and output from N(0, 1), hidden activities from
    /// N(0, 1) too (not at equilibrium), so every error is non-zero.
    static func randomState(_ network: PCNetwork<Double>, batch: Int, seed: UInt64) throws -> PCState<Double> {
        var rng = Xoshiro256(seed: seed)
        var state = try PCState(for: network, batchSize: batch)
        for l in 0...network.depth {
            state.activities[l] = try Matrix(rows: batch, columns: network.sizes[l], initializer: .normal(standardDeviation: 1), using: &rng)
        }
        return state
    }

    /// A one-hot target matrix (B × classes) with random classes.
    static func oneHot(batch: Int, classes: Int, seed: UInt64) throws -> Matrix<Double> {
        var rng = Xoshiro256(seed: seed)
        var m = try Matrix<Double>(rows: batch, columns: classes)
        for i in 0..<batch { m[i, rng.nextInt(below: classes)] = 1 }
        return m
    }

    /// Every trainable parameter of `network` flattened in the order of ``ParameterGradients/flattened``.
    static func parameters(_ network: PCNetwork<Double>) -> [Double] {
        var out: [Double] = []
        for layer in network.layers {
            out += layer.weight.elements
            if let b = layer.bias { out += b.elements }
            if layer.precision.isLearned { out += layer.precision.logVariance.elements }
        }
        return out
    }

    /// `network` with its parameters replaced by `values` (same order as ``parameters(_:)``).
    static func withParameters(_ network: PCNetwork<Double>, _ values: [Double]) throws -> PCNetwork<Double> {
        var copy = network
        var k = 0
        for l in copy.layers.indices {
            let n = copy.layers[l].weight.count
            try copy.setWeight(try Matrix(rows: copy.layers[l].outputSize, columns: copy.layers[l].inputSize,
                                          elements: Array(values[k..<(k + n)])), layer: l)
            k += n
            if copy.layers[l].bias != nil {
                try copy.setBias(try Vector(Array(values[k..<(k + copy.layers[l].outputSize)])), layer: l)
                k += copy.layers[l].outputSize
            }
            if copy.layers[l].precision.isLearned {
                var precision = copy.layers[l].precision
                try precision.setLogVariance(Vector(Array(values[k..<(k + copy.layers[l].outputSize)])))
                try copy.setPrecision(precision, layer: l)
                k += copy.layers[l].outputSize
            }
        }
        return copy
    }

    /// Max |a − b| / max(|b|) over two equally shaped parameter lists.
    static func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-300)
    }
}
