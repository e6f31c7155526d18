/// Weight initialisation schemes. Each draws from a ``Xoshiro256`` passed in, so the same seed
/// gives the same weights on every machine.
public enum Initializer: Sendable, Hashable, Codable {
    /// Every weight 0.
    case zeros
    /// N(0, σ²).
    case normal(standardDeviation: Double)
    /// U[low, high).
    case uniform(low: Double, high: Double)
    /// Xavier/Glorot uniform: U[−a, a], a = √(6 / (fanIn + fanOut)) (Glorot & Bengio 2010).
    case xavierUniform
    /// Xavier/Glorot normal: N(0, 2 / (fanIn + fanOut)).
    case xavierNormal
    /// He/Kaiming normal: N(0, 2 / fanIn) (He et al. 2015), for ReLU layers.
    case heNormal
    /// He/Kaiming uniform: U[−a, a], a = √(6 / fanIn).
    case heUniform
}

extension Matrix {
    /// A (rows × columns) weight matrix drawn by `initializer`, reading fanOut = rows and
    /// fanIn = columns (the layout W·x of a layer with `columns` inputs).
    public init(rows: Int, columns: Int, initializer: Initializer, using generator: inout Xoshiro256) throws {
        try self.init(rows: rows, columns: columns)
        let fanIn = Double(columns), fanOut = Double(rows)
        func draw(_ g: inout Xoshiro256) -> Double {
            switch initializer {
            case .zeros: return 0
            case .normal(let sd): return sd * g.nextNormal()
            case .uniform(let low, let high): return g.uniform(low, high)
            case .xavierUniform: let a = (6 / (fanIn + fanOut)).squareRoot(); return g.uniform(-a, a)
            case .xavierNormal: return (2 / (fanIn + fanOut)).squareRoot() * g.nextNormal()
            case .heNormal: return (2 / fanIn).squareRoot() * g.nextNormal()
            case .heUniform: let a = (6 / fanIn).squareRoot(); return g.uniform(-a, a)
            }
        }
        for i in 0..<count { storage[i] = Scalar(draw(&generator)) }
    }
}
