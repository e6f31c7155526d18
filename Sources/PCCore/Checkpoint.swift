import Foundation
import PCNumerics

/// A saved network and optimiser, with what a table's features and labels need to reach it: a
/// versioned little-endian binary file.
///
/// Layout (version 2): magic "PCKC"; version u32; scalar bytes u8 (4 or 8); output energy u8;
/// layer count u32; per layer: input size u32, output size u32, bias u8, activation code u8,
/// activation slope f64, precision kind u8 (0 identity, 1 fixed, 2 learned); optimiser kind u8,
/// hyper-parameter count u32 and f64 values, step count u64; feature preprocessing kind u8
/// (0 none; 1 scale: f64 c; 2 standardisation: feature count u32, then that many f64 means and
/// that many f64 standard deviations); class-name count u32 (0: none), then per name its UTF-8
/// length u32 and bytes; then the parameters (per layer W row-major, b, π (fixed) or s (learned)),
/// the optimiser moments (count u64 + scalars each) and MQ scales (count u64 + f64 each); last, an
/// FNV-1a 64-bit checksum of every byte before it. Version 1 is the same without the preprocessing
/// and class-name fields; it is still read (as a checkpoint without them).
/// The total length follows from the header, so a truncated file is told apart from a corrupted one.
public struct Checkpoint<Scalar: PCScalar>: Sendable, Equatable {
    /// The magic bytes "PCKC".
    public static var magic: [UInt8] { Array("PCKC".utf8) }
    /// The format version this build writes (it also reads version 1).
    public static var version: UInt32 { 2 }
    /// The longest class name stored, in UTF-8 bytes: 1,024.
    public static var maximumClassNameBytes: Int { 1_024 }

    /// The network.
    public var network: PCNetwork<Scalar>
    /// The optimiser and its state, if saved.
    public var optimizer: Optimizer<Scalar>?

    /// What is done to raw features before they reach the network's input (nil: nothing).
    /// A standardisation has one mean and one standard deviation per network input.
    public private(set) var preprocessing: FeaturePreprocessing?
    /// The label text of each class, output unit i naming class `classNames[i]` (nil: classes are
    /// the integers 0…K−1), (network output size).
    public private(set) var classNames: [String]?

    /// A checkpoint of a network and optionally its optimiser, without preprocessing or class names.
    public init(network: PCNetwork<Scalar>, optimizer: Optimizer<Scalar>? = nil) {
        self.network = network
        self.optimizer = optimizer
    }

    /// A checkpoint that also records how raw features were prepared and what the classes are called.
    /// - Parameters:
    ///   - network: the trained network, input size n₀ and output size K.
    ///   - optimizer: its optimiser and state, if they are to be resumed.
    ///   - preprocessing: the transform training applied to raw features (a standardisation has n₀ features).
    ///   - classNames: the label of each class, (K), each at most ``maximumClassNameBytes`` bytes of UTF-8.
    /// - Throws: ``CheckpointError/preprocessingMismatch(features:networkInputs:)`` or
    ///   ``CheckpointError/classNamesMismatch(names:networkOutputs:)`` when a count differs from the
    ///   network's; ``CheckpointError/invalidClassName(index:reason:)`` for a name that cannot be stored.
    public init(network: PCNetwork<Scalar>, optimizer: Optimizer<Scalar>? = nil,
                preprocessing: FeaturePreprocessing?, classNames: [String]?) throws {
        try Self.check(network: network, preprocessing: preprocessing, classNames: classNames)
        self.network = network
        self.optimizer = optimizer
        self.preprocessing = preprocessing
        self.classNames = classNames
    }

    /// Checks the preprocessing and class names against the network (counts and bounds).
    static func check(network: PCNetwork<Scalar>, preprocessing: FeaturePreprocessing?, classNames: [String]?) throws {
        if case .standardization(let statistics)? = preprocessing, statistics.featureCount != network.sizes[0] {
            throw CheckpointError.preprocessingMismatch(features: statistics.featureCount, networkInputs: network.sizes[0])
        }
        if case .scale(let c)? = preprocessing, !(c.isFinite && c != 0) {
            throw CheckpointError.corrupt("feature scale \(c) (it must be finite and non-zero)")
        }
        guard let classNames else { return }
        guard classNames.count == network.sizes[network.depth] else {
            throw CheckpointError.classNamesMismatch(names: classNames.count, networkOutputs: network.sizes[network.depth])
        }
        for (i, name) in classNames.enumerated() where name.utf8.count > maximumClassNameBytes {
            throw CheckpointError.invalidClassName(index: i, reason: "\(name.utf8.count) bytes of UTF-8; at most \(maximumClassNameBytes)")
        }
        if Set(classNames).count != classNames.count {
            let duplicate = classNames.enumerated().first { i, name in classNames[..<i].contains(name) }!
            throw CheckpointError.invalidClassName(index: duplicate.offset, reason: "'\(duplicate.element)' names an earlier class too")
        }
    }

    /// The encoded bytes.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes(Self.magic); w.u32(Self.version)
        w.u8(UInt8(MemoryLayout<Scalar>.size)); w.u8(network.outputEnergy == .squaredError ? 0 : 1)
        w.u32(UInt32(network.depth))
        for layer in network.layers {
            w.u32(UInt32(layer.inputSize)); w.u32(UInt32(layer.outputSize)); w.u8(layer.bias == nil ? 0 : 1)
            let (code, slope) = activationCode(layer.inputActivation)
            w.u8(code); w.f64(slope)
            w.u8(layer.precision.isLearned ? 2 : (layer.precision.isIdentity ? 0 : 1))
        }
        let (kind, hyper) = optimizerCode(optimizer?.kind)
        w.u8(kind); w.u32(UInt32(hyper.count)); hyper.forEach { w.f64($0) }; w.u64(UInt64(optimizer?.stepCount ?? 0))
        // The file must read back: a network swapped in after `init` has to fit the preprocessing and names.
        do { try Self.check(network: network, preprocessing: preprocessing, classNames: classNames) } catch {
            preconditionFailure("Checkpoint.encoded(): \(error)")
        }
        switch preprocessing {
        case nil: w.u8(0)
        case .scale(let c)?: w.u8(1); w.f64(c)
        case .standardization(let statistics)?:
            w.u8(2); w.u32(UInt32(statistics.featureCount))
            statistics.means.forEach { w.f64($0) }; statistics.standardDeviations.forEach { w.f64($0) }
        }
        w.u32(UInt32(classNames?.count ?? 0))
        for name in classNames ?? [] { w.u32(UInt32(name.utf8.count)); w.bytes(Array(name.utf8)) }
        for layer in network.layers {
            w.scalars(layer.weight.elements)
            if let b = layer.bias { w.scalars(b.elements) }
            if layer.precision.isLearned { w.scalars(layer.precision.logVariance.elements) }
            else if !layer.precision.isIdentity { w.scalars(layer.precision.values.elements) }
        }
        if let optimizer {
            for m in optimizer.firstMoments { w.u64(UInt64(m.count)); w.scalars(m) }
            for m in optimizer.secondMoments { w.u64(UInt64(m.count)); w.scalars(m) }
            w.u64(UInt64(optimizer.layerScales.count)); optimizer.layerScales.forEach { w.f64($0) }
        }
        w.u64(fnv1a(w.data[...]))
        return w.data
    }

    /// Writes the checkpoint atomically: to `path.tmp.<pid>`, then renamed over `path`.
    /// - Throws: ``CheckpointError/io(path:reason:)``.
    public func write(to path: String) throws {
        let temporary = "\(path).tmp.\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try Data(encoded()).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw CheckpointError.io(path: temporary, reason: error.localizedDescription)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CheckpointError.io(path: path, reason: "rename failed: \(reason)")
        }
    }

    /// Reads a checkpoint file.
    /// - Parameter expectedSizes: when given, the network's sizes must equal these.
    /// - Throws: ``CheckpointError``: a distinct case for a bad magic, a version, a truncated file,
    ///   a checksum mismatch, a scalar-type or architecture mismatch, preprocessing or class names
    ///   that do not fit the network.
    public static func read(from path: String, expectedSizes: [Int]? = nil) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError.io(path: path, reason: error.localizedDescription)
        }
        return try decode([UInt8](data), path: path, expectedSizes: expectedSizes)
    }

    /// Decodes checkpoint bytes (see ``read(from:expectedSizes:)``).
    public static func decode(_ bytes: [UInt8], path: String = "<bytes>", expectedSizes: [Int]? = nil) throws -> Checkpoint {
        var r = ByteReader(bytes: bytes)
        guard bytes.count >= 4 else { throw CheckpointError.truncated(expected: 4, got: bytes.count) }
        guard Array(bytes[0..<4]) == magic else { throw CheckpointError.notACheckpoint(path: path) }
        r.offset = 4
        let version = try r.u32()
        guard Self.readableVersions.contains(version) else { throw CheckpointError.unsupportedVersion(found: version, supported: Self.version) }
        let scalarBytes = Int(try r.u8())
        guard scalarBytes == MemoryLayout<Scalar>.size else {
            throw CheckpointError.scalarTypeMismatch(expectedBytes: MemoryLayout<Scalar>.size, foundBytes: scalarBytes)
        }
        let energyCode = try r.u8()
        guard energyCode <= 1 else { throw CheckpointError.corrupt("output energy code \(energyCode)") }
        let depth = Int(try r.u32())
        guard depth >= 1, depth <= 4096 else { throw CheckpointError.corrupt("layer count \(depth)") }
        var headers: [CheckpointLayerHeader] = []
        for l in 0..<depth {
            let input = Int(try r.u32()), output = Int(try r.u32())
            let bias = try r.u8()
            let code = try r.u8(), slope = try r.f64()
            let precision = try r.u8()
            guard input >= 1, output >= 1, input <= 1 << 24, output <= 1 << 24, bias <= 1, precision <= 2,
                  let activation = activation(code, slope) else {
                throw CheckpointError.corrupt("layer \(l + 1) header")
            }
            if l > 0, headers[l - 1].output != input { throw CheckpointError.corrupt("layer \(l + 1) takes \(input) inputs, layer \(l) has \(headers[l - 1].output) units") }
            headers.append(CheckpointLayerHeader(input: input, output: output, bias: bias == 1, activation: activation, precisionKind: precision))
        }
        let sizes = [headers[0].input] + headers.map(\.output)
        if let expectedSizes, expectedSizes != sizes { throw CheckpointError.architectureMismatch(expected: expectedSizes, found: sizes) }
        let optimizerKind = try r.u8()
        let hyperCount = Int(try r.u32())
        guard hyperCount <= 16 else { throw CheckpointError.corrupt("\(hyperCount) optimiser hyper-parameters") }
        var hyper: [Double] = []
        for _ in 0..<hyperCount { hyper.append(try r.f64()) }
        let stepCount = Int(try r.u64())
        let kind = try decodeOptimizer(optimizerKind, hyper)
        // Version 2: preprocessing and class names (bounded here, checked against the network after the checksum).
        var preprocessing: FeaturePreprocessing? = nil
        var classNames: [String]? = nil
        if version >= 2 {
            switch try r.u8() {
            case 0: break
            case 1: preprocessing = .scale(try r.f64())
            case 2:
                let count = Int(try r.u32())
                guard count >= 1, count <= 1 << 24 else { throw CheckpointError.corrupt("standardisation of \(count) features") }
                var means: [Double] = [], deviations: [Double] = []
                for _ in 0..<count { means.append(try r.f64()) }
                for _ in 0..<count { deviations.append(try r.f64()) }
                do { preprocessing = .standardization(try FeatureStandardization(means: means, standardDeviations: deviations)) } catch {
                    throw CheckpointError.corrupt("\(error)")
                }
            case let code: throw CheckpointError.corrupt("feature preprocessing code \(code)")
            }
            let nameCount = Int(try r.u32())
            guard nameCount <= CSVLoader.maximumClasses else {
                throw CheckpointError.corrupt("\(nameCount) class names (at most \(CSVLoader.maximumClasses))")
            }
            if nameCount > 0 {
                var names: [String] = []
                for i in 0..<nameCount {
                    let length = Int(try r.u32())
                    guard length <= maximumClassNameBytes else { throw CheckpointError.corrupt("class name \(i) of \(length) bytes") }
                    guard let name = String(validating: try r.take(length), as: UTF8.self) else {
                        throw CheckpointError.corrupt("class name \(i) is not UTF-8")
                    }
                    names.append(name)
                }
                classNames = names
            }
        }

        // The length the header implies.
        var parameterScalars = 0
        var slots: [Int] = []
        for h in headers {
            parameterScalars += h.input * h.output + (h.bias ? h.output : 0) + (h.precisionKind == 0 ? 0 : h.output)
            slots.append(h.input * h.output)
            if h.bias { slots.append(h.output) }
        }
        var expected = r.offset + parameterScalars * scalarBytes
        if let kind {
            let moments: Int = switch kind { case .momentum: 1; case .adam, .adamW: 2; default: 0 }
            expected += moments * slots.reduce(0) { $0 + 8 + $1 * scalarBytes }
            expected += 8 + (kind.isMQ ? depth * 8 : 0)
        }
        expected += 8
        guard bytes.count >= expected else { throw CheckpointError.truncated(expected: expected, got: bytes.count) }
        guard bytes.count == expected else { throw CheckpointError.corrupt("\(bytes.count - expected) bytes after the checksum") }
        let stored = UInt64(littleEndianBytes: bytes[(expected - 8)..<expected])
        let computed = fnv1a(bytes[0..<(expected - 8)])
        guard stored == computed else { throw CheckpointError.checksumMismatch(stored: stored, computed: computed) }

        // Parameters.
        var layers: [DenseLayer<Scalar>] = []
        do {
            for h in headers {
                let weight = try Matrix<Scalar>(rows: h.output, columns: h.input, elements: try r.scalars(h.input * h.output))
                let bias = h.bias ? try Vector<Scalar>(try r.scalars(h.output)) : nil
                var precision = try LayerPrecision<Scalar>(h.precisionKind == 2 ? .learnedLogVariance(initial: 0) : .identity, size: h.output)
                if h.precisionKind == 1 {
                    let values: [Scalar] = try r.scalars(h.output)
                    precision = try LayerPrecision(.diagonal(values.map { Double($0) }), size: h.output)
                } else if h.precisionKind == 2 {
                    let s: [Scalar] = try r.scalars(h.output)
                    try precision.setLogVariance(Vector<Scalar>(s))
                }
                layers.append(try DenseLayer(weight: weight, bias: bias, inputActivation: h.activation, precision: precision))
            }
            let network = try PCNetwork(layers: layers, outputEnergy: energyCode == 0 ? .squaredError : .crossEntropy)
            try check(network: network, preprocessing: preprocessing, classNames: classNames)
            var optimizer: Optimizer<Scalar>? = nil
            if let kind {
                var fresh = try Optimizer(kind, for: network)
                for i in fresh.firstMoments.indices { fresh.firstMoments[i] = try r.counted(fresh.firstMoments[i].count) }
                for i in fresh.secondMoments.indices { fresh.secondMoments[i] = try r.counted(fresh.secondMoments[i].count) }
                let scaleCount = Int(try r.u64())
                guard scaleCount == fresh.layerScales.count else { throw CheckpointError.corrupt("\(scaleCount) MQ scales for \(depth) layers") }
                for i in 0..<scaleCount { fresh.layerScales[i] = try r.f64() }
                fresh.stepCount = stepCount
                optimizer = fresh
            }
            var checkpoint = Checkpoint(network: network, optimizer: optimizer)
            checkpoint.preprocessing = preprocessing
            checkpoint.classNames = classNames
            return checkpoint
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.corrupt("\(error)")
        }
    }
}

extension Checkpoint {
    /// The format versions this build reads.
    static var readableVersions: ClosedRange<UInt32> { 1...version }
}

/// One layer's header fields in a checkpoint.
struct CheckpointLayerHeader { var input: Int; var output: Int; var bias: Bool; var activation: Activation; var precisionKind: UInt8 }

extension OptimizerKind {
    var isMQ: Bool { if case .mq = self { true } else { false } }
}

private func optimizerCode(_ kind: OptimizerKind?) -> (UInt8, [Double]) {
    switch kind {
    case nil: (0, [])
    case .sgd(let lr)?: (1, [lr])
    case .momentum(let lr, let m)?: (2, [lr, m])
    case .adam(let lr, let b1, let b2, let e)?: (3, [lr, b1, b2, e])
    case .adamW(let lr, let b1, let b2, let e, let wd)?: (4, [lr, b1, b2, e, wd])
    case .mq(let a, let r, let lrMin, let rho, let warmUp)?: (5, [a, r, lrMin, rho, Double(warmUp)])
    }
}

private func decodeOptimizer(_ code: UInt8, _ h: [Double]) throws -> OptimizerKind? {
    let counts: [UInt8: Int] = [0: 0, 1: 1, 2: 2, 3: 4, 4: 5, 5: 5]
    guard let n = counts[code], n == h.count else { throw CheckpointError.corrupt("optimiser code \(code) with \(h.count) hyper-parameters") }
    let kind: OptimizerKind? = switch code {
    case 0: nil
    case 1: .sgd(learningRate: h[0])
    case 2: .momentum(learningRate: h[0], momentum: h[1])
    case 3: .adam(learningRate: h[0], beta1: h[1], beta2: h[2], epsilon: h[3])
    case 4: .adamW(learningRate: h[0], beta1: h[1], beta2: h[2], epsilon: h[3], weightDecay: h[4])
    default: .mq(alpha: h[0], r: h[1], minimumLearningRate: h[2], maximumDecay: h[3], warmUpSteps: Int(exactly: h[4]) ?? -1)
    }
    do { try kind?.validate() } catch { throw CheckpointError.corrupt("optimiser hyper-parameters: \(error)") }
    return kind
}

private func activationCode(_ a: Activation) -> (UInt8, Double) {
    switch a {
    case .identity: (0, 0)
    case .tanh: (1, 0)
    case .sigmoid: (2, 0)
    case .relu: (3, 0)
    case .leakyReLU(let slope): (4, slope)
    case .gelu: (5, 0)
    case .softplus: (6, 0)
    }
}

private func activation(_ code: UInt8, _ slope: Double) -> Activation? {
    switch code {
    case 0: .identity
    case 1: .tanh
    case 2: .sigmoid
    case 3: .relu
    case 4: .leakyReLU(slope: slope)
    case 5: .gelu
    case 6: .softplus
    default: nil
    }
}

/// FNV-1a, 64 bits.
func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return hash
}

extension UInt64 {
    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        var v: UInt64 = 0
        for (i, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        self = v
    }
}

struct ByteWriter {
    var data: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func scalars<S: PCScalar>(_ values: [S]) {
        for v in values {
            if let f = v as? Float { u32(f.bitPattern) } else { u64((v as! Double).bitPattern) }
        }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard offset + n <= bytes.count else { throw CheckpointError.truncated(expected: offset + n, got: bytes.count) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func u8() throws -> UInt8 { try take(1).first! }
    mutating func u32() throws -> UInt32 { UInt32(truncatingIfNeeded: UInt64(littleEndianBytes: try take(4))) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndianBytes: try take(8)) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    mutating func scalars<S: PCScalar>(_ n: Int) throws -> [S] {
        var out: [S] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            if S.self == Float.self { out.append(Float(bitPattern: try u32()) as! S) }
            else { out.append(Double(bitPattern: try u64()) as! S) }
        }
        return out
    }
    mutating func counted<S: PCScalar>(_ expected: Int) throws -> [S] {
        let n = Int(try u64())
        guard n == expected else { throw CheckpointError.corrupt("optimiser state of \(n) values, expected \(expected)") }
        return try scalars(n)
    }
}
