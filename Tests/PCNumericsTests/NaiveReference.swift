import PCNumerics

/// Plain triple-loop references in Double, the oracle for the Eigen kernels.
enum Naive {
    static func gemm(_ a: [Double], _ aRows: Int, _ aCols: Int, transA: Bool,
                     _ b: [Double], _ bRows: Int, _ bCols: Int, transB: Bool,
                     alpha: Double, beta: Double, c: [Double]) -> [Double] {
        let m = transA ? aCols : aRows, k = transA ? aRows : aCols
        let n = transB ? bRows : bCols
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * aCols + i] : a[i * aCols + p]
                    let bv = transB ? b[j * bCols + p] : b[p * bCols + j]
                    s += av * bv
                }
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j])
            }
        }
        return out
    }

    static func activation(_ act: Activation, _ x: Double) -> Double {
        switch act {
        case .identity: return x
        case .tanh: return Foundation_tanh(x)
        case .sigmoid: return 1 / (1 + Foundation_exp(-x))
        case .relu: return x.isNaN ? x : max(0, x)
        case .leakyReLU(let s): return x.isNaN ? x : (x < 0 ? s * x : x)
        case .gelu: return 0.5 * x * erfc(-x / 2.0.squareRoot())
        case .softplus: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
func Foundation_tanh(_ x: Double) -> Double { tanh(x) }
func Foundation_exp(_ x: Double) -> Double { exp(x) }
func Foundation_erf(_ x: Double) -> Double { erf(x) }
func Foundation_log(_ x: Double) -> Double { log(x) }
