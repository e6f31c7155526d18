import _PCKernels

typealias P<T> = UnsafePointer<T>?
typealias MP<T> = UnsafeMutablePointer<T>?

/// The entry points of pc_kernels.h for one scalar type.
struct Kernels<T> {
    var gemm: (Int32, Int32, Int, Int, Int, T, P<T>, Int, P<T>, Int, T, MP<T>, Int) -> Int32
    var gemv: (Int32, Int, Int, T, P<T>, Int, P<T>, T, MP<T>) -> Int32
    var axpy: (Int, T, P<T>, MP<T>) -> Int32
    var scale: (Int, T, MP<T>) -> Int32
    var linearActivation: (Int32, T, Int32, Int32, Int, Int, Int, P<T>, Int, P<T>, Int, P<T>, MP<T>, MP<T>, Int) -> Int32
    var activation: (Int32, T, Int, P<T>, MP<T>) -> Int32
    var derivative: (Int32, T, Int, P<T>, MP<T>) -> Int32
    var softmaxRows: (Int, Int, P<T>, Int, MP<T>, Int) -> Int32
    var mul, sub, add: (Int, P<T>, P<T>, MP<T>) -> Int32
    var sumRows, sumColumns: (Int, Int, P<T>, Int, T, T, MP<T>) -> Int32
    var outerAccumulate: (Int, Int, Int, T, P<T>, Int, P<T>, Int, MP<T>, Int) -> Int32
    var cholesky: (Int, MP<T>, Int) -> Int32
    var choleskySolve: (Int, Int, P<T>, Int, MP<T>, Int) -> Int32
    var im2col: (Int, Int, Int, Int, Int, Int, Int, Int, P<T>, MP<T>) -> Int32
    var col2im: (Int, Int, Int, Int, Int, Int, Int, Int, P<T>, T, MP<T>) -> Int32
    var permuteChannels: (Int32, Int, Int, Int, T, P<T>, T, MP<T>) -> Int32
    var poolForward: (Int32, Int, Int, Int, Int, Int, Int, P<T>, MP<T>, MP<Int32>) -> Int32
    var poolBackward: (Int32, Int, Int, Int, Int, Int, Int, P<T>, P<Int32>, T, MP<T>) -> Int32
    var settle: (UnsafePointer<pck_pc_dense>?, UnsafePointer<pck_pc_settle_options>?, MP<Double>, Int, MP<UInt8>,
                 UnsafeMutablePointer<pck_pc_settle_result>?) -> Int32
    var adam: (Int, MP<T>, P<T>, MP<T>, MP<T>, T, T, T, T, T, T) -> Int32
    var adamJob: (UnsafeMutableRawPointer?, Int) -> Void
}

protocol KernelScalar: BinaryFloatingPoint { static var kernels: Kernels<Self> { get } }

extension Double: KernelScalar {
    static var kernels: Kernels<Double> {
        Kernels(gemm: pck_gemm_f64, gemv: pck_gemv_f64, axpy: pck_axpy_f64, scale: pck_scale_f64,
                linearActivation: pck_linear_activation_f64, activation: pck_activation_f64,
                derivative: pck_activation_derivative_f64, softmaxRows: pck_softmax_rows_f64, mul: pck_mul_f64,
                sub: pck_sub_f64, add: pck_add_f64, sumRows: pck_sum_rows_f64, sumColumns: pck_sum_columns_f64,
                outerAccumulate: pck_outer_accumulate_f64, cholesky: pck_cholesky_f64,
                choleskySolve: pck_cholesky_solve_f64, im2col: pck_im2col_f64, col2im: pck_col2im_f64,
                permuteChannels: pck_permute_channels_f64, poolForward: pck_pool_forward_f64,
                poolBackward: pck_pool_backward_f64, settle: pck_pc_dense_settle_f64, adam: pck_adam_f64,
                adamJob: pck_adam_job_run_f64)
    }
}

extension Float: KernelScalar {
    static var kernels: Kernels<Float> {
        Kernels(gemm: pck_gemm_f32, gemv: pck_gemv_f32, axpy: pck_axpy_f32, scale: pck_scale_f32,
                linearActivation: pck_linear_activation_f32, activation: pck_activation_f32,
                derivative: pck_activation_derivative_f32, softmaxRows: pck_softmax_rows_f32, mul: pck_mul_f32,
                sub: pck_sub_f32, add: pck_add_f32, sumRows: pck_sum_rows_f32, sumColumns: pck_sum_columns_f32,
                outerAccumulate: pck_outer_accumulate_f32, cholesky: pck_cholesky_f32,
                choleskySolve: pck_cholesky_solve_f32, im2col: pck_im2col_f32, col2im: pck_col2im_f32,
                permuteChannels: pck_permute_channels_f32, poolForward: pck_pool_forward_f32,
                poolBackward: pck_pool_backward_f32, settle: pck_pc_dense_settle_f32, adam: pck_adam_f32,
                adamJob: pck_adam_job_run_f32)
    }
}

/// Deterministic values in [low, high) (SplitMix64), the same on every path.
func values<T: BinaryFloatingPoint>(_ n: Int, seed: UInt64, low: Double = -1, high: Double = 1) -> [T] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<n).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return T(low + (high - low) * Double(z >> 11) / Double(1 << 53))
    }
}

/// Every entry point of pc_kernels.h run on fixed inputs on the current path: named output
/// arrays, and the integer outputs (statuses, argmax, settle results) that must match exactly.
struct KernelOutputs<T: KernelScalar> {
    var values: [String: [T]] = [:]
    var indices: [String: [Int]] = [:]

    static func compute() throws -> KernelOutputs<T> {
        var o = KernelOutputs()
        o.run()
        return o
    }

    mutating func record(_ name: String, _ status: Int32, _ output: [T]) {
        values[name] = output
        indices[name + ".status"] = [Int(status)]
    }

    mutating func run() {
        let K = T.kernels
        var seed: UInt64 = 1
        func next(_ n: Int, _ low: Double = -1, _ high: Double = 1) -> [T] { seed += 1; return PCKernelsTests.values(n, seed: seed, low: low, high: high) }

        // GEMM: tiny (coefficient-based), small-kernel shapes (Float on AVX-512), blocked; every
        // transpose; β = 0, 1 and another; one padded leading dimension.
        let shapes = [(3, 4, 5), (17, 9, 13), (32, 128, 128), (64, 33, 128), (129, 65, 31), (256, 128, 64)]
        for (m, n, k) in shapes {
            for tA in [0, 1] as [Int32] {
                for tB in [0, 1] as [Int32] {
                    for beta in [0.0, 1.0, -0.3] {
                        let (aR, aC) = tA == 1 ? (k, m) : (m, k)
                        let (bR, bC) = tB == 1 ? (n, k) : (k, n)
                        let pad = m == 17 ? 3 : 0
                        let a: [T] = next(aR * (aC + pad)), b: [T] = next(bR * bC)
                        var c: [T] = next(m * n)
                        let status = K.gemm(tA, tB, m, n, k, T(0.7), a, aC + pad, b, bC, T(beta), &c, n)
                        record("gemm \(m)x\(n)x\(k) tA\(tA) tB\(tB) beta \(beta)", status, c)
                    }
                }
            }
        }
        for (m, n) in [(5, 7), (8, 8), (40, 33)] {
            for tA in [0, 1] as [Int32] {
                let a: [T] = next(m * n), x: [T] = next(tA == 1 ? m : n)
                var y: [T] = next(tA == 1 ? n : m)
                record("gemv \(m)x\(n) tA\(tA)", K.gemv(tA, m, n, T(1.3), a, n, x, T(0.5), &y), y)
            }
        }
        do {
            let x: [T] = next(1000)
            var y: [T] = next(1000)
            record("axpy", K.axpy(1000, T(-0.4), x, &y), y)
            record("scale", K.scale(1000, T(2.5), &y), y)
        }
        for act in Int32(0)...6 {
            let (m, n, k) = (16, 24, 40)
            let a: [T] = next(m * k), b: [T] = next(n * k), bias: [T] = next(n)
            var pre = [T](repeating: 0, count: m * n), out = pre
            record("linear_activation \(act)", K.linearActivation(act, T(0.1), 0, 1, m, n, k, a, k, b, k, bias, &pre, &out, n), pre + out)
            let x: [T] = next(1003, -4, 4)
            var y = [T](repeating: 0, count: x.count), dy = y
            record("activation \(act)", K.activation(act, T(0.1), x.count, x, &y), y)
            record("activation_derivative \(act)", K.derivative(act, T(0.1), x.count, x, &dy), dy)
        }
        do {
            let x: [T] = next(7 * 33, -5, 5)
            var y = [T](repeating: 0, count: x.count)
            record("softmax_rows", K.softmaxRows(7, 33, x, 33, &y, 33), y)
            let a: [T] = next(1001), b: [T] = next(1001)
            var out = [T](repeating: 0, count: 1001)
            record("mul", K.mul(1001, a, b, &out), out)
            record("sub", K.sub(1001, a, b, &out), out)
            record("add", K.add(1001, a, b, &out), out)
            let s: [T] = next(13 * 29)
            var rows: [T] = next(13), cols: [T] = next(29)
            record("sum_rows", K.sumRows(13, 29, s, 29, T(0.5), T(0.25), &rows), rows)
            record("sum_columns", K.sumColumns(13, 29, s, 29, T(0.5), T(0.25), &cols), cols)
            let e: [T] = next(32 * 24), r: [T] = next(32 * 40)
            var w: [T] = next(24 * 40)
            record("outer_accumulate", K.outerAccumulate(32, 24, 40, T(-0.01), e, 24, r, 40, &w, 40), w)
        }
        do {
            // A = M·Mᵀ + n·I (SPD), then L·Lᵀ·X = B.
            let n = 12, m: [T] = next(n * n)
            var spd = [T](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n {
                var s = T(0)
                for q in 0..<n { s += m[i * n + q] * m[j * n + q] }
                spd[i * n + j] = s + (i == j ? T(n) : 0)
            } }
            record("cholesky", K.cholesky(n, &spd, n), spd)
            var rhs: [T] = next(n * 3)
            record("cholesky_solve", K.choleskySolve(n, 3, spd, n, &rhs, 3), rhs)
        }
        do {
            let (batch, c, h, w, kh, kw, stride, pad) = (2, 3, 9, 8, 3, 3, 2, 1)
            let oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1
            let x: [T] = next(batch * c * h * w)
            var cols = [T](repeating: 0, count: batch * oh * ow * c * kh * kw)
            record("im2col", K.im2col(batch, c, h, w, kh, kw, stride, pad, x, &cols), cols)
            var back: [T] = next(x.count)
            record("col2im", K.col2im(batch, c, h, w, kh, kw, stride, pad, next(cols.count), T(0.5), &back), back)
            for direction in [0, 1] as [Int32] {
                var out: [T] = next(batch * 72 * c)
                record("permute_channels \(direction)", K.permuteChannels(direction, batch, 72, c, T(1.5), x, T(-0.5), &out), out)
            }
            for (mode, window, poolStride) in [(0, 2, 2), (1, 2, 2), (0, 3, 2), (1, 3, 2)] as [(Int32, Int, Int)] {
                let ph = (h - window) / poolStride + 1, pw = (w - window) / poolStride + 1
                var y = [T](repeating: 0, count: batch * c * ph * pw)
                var argmax = [Int32](repeating: -1, count: y.count)
                let status = K.poolForward(mode, batch, c, h, w, window, poolStride, x, &y, &argmax)
                record("pool_forward \(mode) \(window)", status, y)
                indices["pool_forward \(mode) \(window) argmax"] = mode == 1 ? argmax.map(Int.init) : []
                var dx: [T] = next(x.count)
                record("pool_backward \(mode) \(window)",
                       K.poolBackward(mode, batch, c, h, w, window, poolStride, next(y.count), argmax, T(0.5), &dx), dx)
            }
        }
        settle(K, sizes: [10, 32, 24, 6], batch: 16, activations: [3, 1, 6], precisionLayer: 2, seed: &seed, name: "settle relu-tanh-softplus")
        settle(K, sizes: [64, 128, 128, 10], batch: 32, activations: [0, 3, 4], precisionLayer: nil, seed: &seed, name: "settle pc-shapes")
        settle(K, sizes: [5, 20, 3], batch: 3, activations: [2, 5], precisionLayer: 1, seed: &seed, name: "settle sigmoid-gelu")
        // SeqIL's sweep in the same kernel.
        settle(K, sizes: [10, 32, 24, 6], batch: 16, activations: [3, 1, 6], precisionLayer: 2, sequential: true, seed: &seed,
               name: "seqil relu-tanh-softplus")
        settle(K, sizes: [64, 128, 128, 10], batch: 32, activations: [0, 3, 4], precisionLayer: nil, sequential: true, seed: &seed,
               name: "seqil pc-shapes")
        do {
            var p: [T] = next(1000), m: [T] = next(1000, 0, 0.1), v: [T] = next(1000, 0, 0.1)
            let g: [T] = next(1000)
            let status = K.adam(1000, &p, g, &m, &v, T(0.9), T(0.999), T(1e-3), T(1.5), T(1e-8), T(1e-4))
            record("adam", status, p + m + v)
        }
        adamJob(K, seed: &seed)
    }

    /// The fused settle loop; records the energy trace, every final buffer and the result.
    mutating func settle(_ K: Kernels<T>, sizes: [Int], batch: Int, activations: [Int32], precisionLayer: Int?,
                         sequential: Bool = false, seed: inout UInt64, name: String) {
        let L = sizes.count - 1, roles = Int(PCK_PC_ROLES)
        func next(_ n: Int, _ low: Double = -1, _ high: Double = 1) -> [T] { seed += 1; return PCKernelsTests.values(n, seed: seed, low: low, high: high) }
        var owned: [UnsafeMutablePointer<T>] = []
        defer { owned.forEach { $0.deallocate() } }
        func buffer(_ contents: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: contents.count)
            p.initialize(from: contents, count: contents.count)
            owned.append(p)
            return p
        }
        var parameters: [UnsafeRawPointer?] = []
        for l in 1...L {
            let scale = 1.5 / Double(sizes[l - 1]).squareRoot()
            parameters.append(UnsafeRawPointer(buffer(next(sizes[l] * sizes[l - 1], -scale, scale))))
            parameters.append(UnsafeRawPointer(buffer(next(sizes[l], -0.1, 0.1))))
            parameters.append(l == precisionLayer ? UnsafeRawPointer(buffer(next(sizes[l], 0.5, 2))) : nil)
        }
        var buffers = [UnsafeMutableRawPointer?](repeating: nil, count: roles * (L + 1))
        for role in 0..<roles {
            for l in 0...L {
                let initial: [T] = role == Int(PCK_PC_ACTIVITIES) && (l == 0 || l == L) ? next(batch * sizes[l])
                    : [T](repeating: 0, count: batch * sizes[l])
                buffers[role * (L + 1) + l] = UnsafeMutableRawPointer(buffer(initial))
            }
        }
        let slopes = [Double](repeating: 0.05, count: L)
        let T_ = 20
        var trace = [Double](repeating: .nan, count: T_ + 1)
        var inAlternate = [UInt8](repeating: 0, count: L + 1)
        var result = pck_pc_settle_result()
        let status: Int32 = sizes.withUnsafeBufferPointer { s in activations.withUnsafeBufferPointer { a in
            slopes.withUnsafeBufferPointer { sl in parameters.withUnsafeBufferPointer { p in
                buffers.withUnsafeBufferPointer { b in
                    var net = pck_pc_dense(depth: L, batch: batch, sizes: s.baseAddress, activations: a.baseAddress,
                                           slopes: sl.baseAddress, energy_offsets: nil, parameters: p.baseAddress,
                                           buffers: b.baseAddress)
                    var options = pck_pc_settle_options(step_size: 0.1, max_iterations: T_, tolerance: 0,
                                                        divergence_threshold: 1e6, feedforward: 1, sequential: sequential ? 1 : 0)
                    return K.settle(&net, &options, &trace, trace.count, &inAlternate, &result)
                }
            } }
        } }
        indices[name + ".status"] = [Int(status)]
        indices[name + ".result"] = [result.iterations, result.trace_count, result.best_iteration, Int(result.stop)]
        indices[name + ".inAlternate"] = inAlternate.map(Int.init)
        values[name + ".trace"] = trace.map { T($0) }
        for role in 0..<roles {
            for l in 0...L {
                let p = buffers[role * (L + 1) + l]!.assumingMemoryBound(to: T.self)
                // Buffers the kernel does not use for this layer stay zero on every path.
                values[name + " role \(role) layer \(l)"] = Array(UnsafeBufferPointer(start: p, count: batch * sizes[l]))
            }
        }
    }

    /// Sharded Adam: two tensors, three shards, both parts run in turn on this thread.
    mutating func adamJob(_ K: Kernels<T>, seed: inout UInt64) {
        func next(_ n: Int, _ low: Double = -1, _ high: Double = 1) -> [T] { seed += 1; return PCKernelsTests.values(n, seed: seed, low: low, high: high) }
        let counts = [300, 77], shards = 3, tensors = 2
        var owned: [UnsafeMutablePointer<T>] = []
        defer { owned.forEach { $0.deallocate() } }
        func buffer(_ contents: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: contents.count)
            p.initialize(from: contents, count: contents.count)
            owned.append(p)
            return p
        }
        let p = counts.map { UnsafeMutableRawPointer(buffer(next($0))) as UnsafeMutableRawPointer? }
        let m = counts.map { UnsafeMutableRawPointer(buffer(next($0, 0, 0.1))) as UnsafeMutableRawPointer? }
        let v = counts.map { UnsafeMutableRawPointer(buffer(next($0, 0, 0.1))) as UnsafeMutableRawPointer? }
        let combined = counts.map { UnsafeMutableRawPointer(buffer([T](repeating: 0, count: $0))) as UnsafeMutableRawPointer? }
        var gradients: [UnsafeRawPointer?] = []
        for _ in 0..<shards { for t in 0..<tensors { gradients.append(UnsafeRawPointer(buffer(next(counts[t])))) } }
        let weights = [0.5, 0.3, 0.2]
        counts.withUnsafeBufferPointer { c in p.withUnsafeBufferPointer { pp in m.withUnsafeBufferPointer { mm in
            v.withUnsafeBufferPointer { vv in combined.withUnsafeBufferPointer { cc in gradients.withUnsafeBufferPointer { gg in
                weights.withUnsafeBufferPointer { ww in
                    var job = pck_adam_job(tensors: tensors, shards: shards, parts: 2, counts: c.baseAddress,
                                           parameters: pp.baseAddress, first_moments: mm.baseAddress,
                                           second_moments: vv.baseAddress, combined: cc.baseAddress,
                                           shard_gradients: gg.baseAddress, weights: ww.baseAddress,
                                           beta1: 0.9, beta2: 0.999, a: 1e-3, c2: 1.5, epsilon: 1e-8, decay: 0)
                    K.adamJob(&job, 0)
                    K.adamJob(&job, 1)
                }
            } } }
        } } }
        var out: [T] = []
        for t in 0..<tensors {
            for table in [p, m, v, combined] {
                out += Array(UnsafeBufferPointer(start: table[t]!.assumingMemoryBound(to: T.self), count: counts[t]))
            }
        }
        values["adam_job"] = out
    }
}
