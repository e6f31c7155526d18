import PCAgents
import PCEnvironment

/// x′ = A x + B u with analytic Jacobians: the linear plant of the LQR oracle tests (PCAgents article PredictiveControl).
struct LinearPlant: LinearizableModel {
    let a: [Double]   // (n × n)
    let b: [Double]   // (n × m)
    let stateDimension: Int
    let actionDimension: Int
    let timeStep: Double

    /// The double integrator (position, velocity) with a force input, sampled exactly at dt.
    static func doubleIntegrator(dt: Double = 0.1) -> LinearPlant {
        LinearPlant(a: [1, dt, 0, 1], b: [0.5 * dt * dt, dt], stateDimension: 2, actionDimension: 1, timeStep: dt)
    }

    func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                    next: UnsafeMutableBufferPointer<Double>) {
        let n = stateDimension, m = actionDimension
        for i in 0..<n {
            var s = 0.0
            for j in 0..<n { s += a[i * n + j] * state[j] }
            for j in 0..<m { s += b[i * m + j] * action[j] }
            next[i] = s
        }
    }

    func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                next: UnsafeBufferPointer<Double>) -> Double { 0 }

    func linearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                   stateJacobian: UnsafeMutableBufferPointer<Double>,
                   actionJacobian: UnsafeMutableBufferPointer<Double>) {
        for i in a.indices { stateJacobian[i] = a[i] }
        for i in b.indices { actionJacobian[i] = b[i] }
    }
}

/// A damped pendulum-like nonlinear plant (explicit Euler), for gradient checks through finite differences.
struct NonlinearPlant: TransitionModel {
    let stateDimension = 2
    let actionDimension = 1
    let timeStep = 0.05
    func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                    next: UnsafeMutableBufferPointer<Double>) {
        let acceleration = 15 * sin(state[0]) - 0.3 * state[1] + 3 * action[0] * cos(0.5 * state[0])
        next[1] = state[1] + timeStep * acceleration
        next[0] = state[0] + timeStep * next[1]
    }
    func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                next: UnsafeBufferPointer<Double>) -> Double { 0 }
}

#if canImport(Glibc)
import Glibc
#endif

/// Dense Gaussian elimination with partial pivoting: solves M z = r, M (k × k) row-major.
func solveDense(_ matrix: [Double], _ rhs: [Double]) -> [Double] {
    let k = rhs.count
    var a = matrix, r = rhs
    for col in 0..<k {
        var pivot = col
        for row in (col + 1)..<k where abs(a[row * k + col]) > abs(a[pivot * k + col]) { pivot = row }
        if pivot != col {
            for j in 0..<k { a.swapAt(col * k + j, pivot * k + j) }
            r.swapAt(col, pivot)
        }
        for row in (col + 1)..<k {
            let f = a[row * k + col] / a[col * k + col]
            if f == 0 { continue }
            for j in col..<k { a[row * k + j] -= f * a[col * k + j] }
            r[row] -= f * r[col]
        }
    }
    var z = [Double](repeating: 0, count: k)
    for row in stride(from: k - 1, through: 0, by: -1) {
        var s = r[row]
        for j in (row + 1)..<k { s -= a[row * k + j] * z[j] }
        z[row] = s / a[row * k + row]
    }
    return z
}

/// Finite-horizon discrete Riccati recursion for Σ_{t=1}^{H} ½x_tᵀQ_t x_t + Σ_{t=0}^{H−1} ½u_tᵀR u_t,
/// diagonal Q_t (`q` for t < H, `terminalQ` at H), single input, returning the optimal controls from x₀.
func riccatiControls(plant: LinearPlant, q qDiagonal: [Double], terminalQ: [Double], r: Double,
                     horizon: Int, initialState: [Double]) -> [Double] {
    let n = plant.stateDimension
    var q = [Double](repeating: 0, count: n * n)
    for i in 0..<n { q[i * n + i] = qDiagonal[i] }
    precondition(plant.actionDimension == 1)
    func mul(_ x: [Double], _ y: [Double], _ rows: Int, _ inner: Int, _ cols: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows { for k in 0..<inner { for j in 0..<cols { out[i * cols + j] += x[i * inner + k] * y[k * cols + j] } } }
        return out
    }
    func transpose(_ x: [Double], _ rows: Int, _ cols: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols { out[j * rows + i] = x[i * cols + j] } }
        return out
    }
    let a = plant.a, b = plant.b, at = transpose(a, n, n), bt = transpose(b, n, 1)
    var p = [Double](repeating: 0, count: n * n)
    for i in 0..<n { p[i * n + i] = terminalQ[i] }
    var gains = [[Double]](repeating: [], count: horizon)
    for t in stride(from: horizon - 1, through: 0, by: -1) {
        let pb = mul(p, b, n, n, 1)
        let s = r + mul(bt, pb, 1, n, 1)[0]
        let k = mul(bt, mul(p, a, n, n, n), 1, n, n).map { $0 / s }   // (1 × n)
        gains[t] = k
        // P_t = Q_t + Aᵀ P (A − B K), with Q_0 irrelevant for the controls.
        let closed = zip(a, mul(b, k, n, 1, n)).map { $0 - $1 }
        let next = mul(at, mul(p, closed, n, n, n), n, n, n)
        p = zip(q, next).map { $0 + $1 }
    }
    var x = initialState
    var controls: [Double] = []
    for t in 0..<horizon {
        let u = -zip(gains[t], x).map { $0 * $1 }.reduce(0, +)
        controls.append(u)
        x = (0..<n).map { i in (0..<n).map { a[i * n + $0] * x[$0] }.reduce(0, +) + b[i] * u }
    }
    return controls
}
