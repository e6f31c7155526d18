#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A belief over a 2-D target on a regular grid of N × N cell centres covering [0, L]², updated by
/// exact Bayes (<doc:ActiveSensing#Grid-belief>; light-dark uses N = 81, L = 10).
///
/// Stores log-probabilities, so long runs of sharp readings never underflow. Entropies are of the
/// cell masses; the log cell-area constant cancels in every entropy difference.
public struct GridBelief: Sendable, Equatable {
    /// N, cells per side.
    public let size: Int
    /// L, the side of the square.
    public let extent: Double
    /// log b over cells, row-major by (i along x, j along y): index i·N + j, (N²).
    public private(set) var logProbability: [Double]
    /// Cell-centre coordinates along one axis, (N): k·L/(N − 1).
    public let coordinates: [Double]

    /// A uniform belief.
    public init(size: Int, extent: Double) {
        precondition(size >= 2 && extent > 0, "GridBelief needs at least 2 cells per side and a positive extent")
        self.size = size
        self.extent = extent
        coordinates = (0..<size).map { Double($0) * extent / Double(size - 1) }
        logProbability = [Double](repeating: -2 * log(Double(size)), count: size * size)
    }

    /// Sets the belief to a discretised Gaussian N(mean, diag(variance)) (for tests and priors).
    public mutating func setGaussian(meanX: Double, meanY: Double, varianceX: Double, varianceY: Double) {
        for i in 0..<size {
            for j in 0..<size {
                let dx = coordinates[i] - meanX, dy = coordinates[j] - meanY
                logProbability[i * size + j] = -0.5 * (dx * dx / varianceX + dy * dy / varianceY)
            }
        }
        normalise()
    }

    /// log-likelihood of the reading y at sensor p for cell (i, j), up to a constant when σ does
    /// not depend on the target.
    @inline(__always)
    func logLikelihood(i: Int, j: Int, readingX: Double, readingY: Double, sensorX: Double, sensorY: Double,
                       noise: SensorNoiseModel, sensorOnlySigma: Double) -> Double {
        let x = coordinates[i], y = coordinates[j]
        let dx = readingX - (x - sensorX), dy = readingY - (y - sensorY)
        if noise.dependsOnTarget {
            let sigma = noise.standardDeviation(targetX: x, targetY: y, sensorX: sensorX, sensorY: sensorY)
            return -0.5 * (dx * dx + dy * dy) / (sigma * sigma) - 2 * log(sigma)
        }
        return -0.5 * (dx * dx + dy * dy) / (sensorOnlySigma * sensorOnlySigma)
    }

    /// Exact Bayes update with the reading y = x − p + v: log b ← log b + log p(y | x, p) − log Z.
    public mutating func update(readingX: Double, readingY: Double, sensorX: Double, sensorY: Double,
                                noise: SensorNoiseModel) {
        let sigma = noise.standardDeviation(targetX: 0, targetY: 0, sensorX: sensorX, sensorY: sensorY)
        for i in 0..<size {
            for j in 0..<size {
                logProbability[i * size + j] += logLikelihood(i: i, j: j, readingX: readingX, readingY: readingY,
                                                              sensorX: sensorX, sensorY: sensorY, noise: noise,
                                                              sensorOnlySigma: sigma)
            }
        }
        normalise()
    }

    /// Shifts log b so that Σ b = 1.
    mutating func normalise() {
        var top = -Double.infinity
        for k in 0..<logProbability.count { top = max(top, logProbability[k]) }
        var sum = 0.0
        for k in 0..<logProbability.count { sum += exp(logProbability[k] - top) }
        let shift = top + log(sum)
        for k in 0..<logProbability.count { logProbability[k] -= shift }
    }

    /// H[b] = −Σ b log b, nats.
    public var entropy: Double {
        var h = 0.0
        for k in 0..<logProbability.count {
            let l = logProbability[k]
            if l > -745 { h -= exp(l) * l }
        }
        return h
    }

    /// E[x], (2).
    public var mean: (x: Double, y: Double) {
        var mx = 0.0, my = 0.0
        for i in 0..<size {
            for j in 0..<size {
                let p = exp(logProbability[i * size + j])
                mx += p * coordinates[i]
                my += p * coordinates[j]
            }
        }
        return (mx, my)
    }

    /// (var x, var y, cov xy).
    public var covariance: (xx: Double, yy: Double, xy: Double) {
        let m = mean
        var vx = 0.0, vy = 0.0, cxy = 0.0
        for i in 0..<size {
            for j in 0..<size {
                let p = exp(logProbability[i * size + j])
                let dx = coordinates[i] - m.x, dy = coordinates[j] - m.y
                vx += p * dx * dx; vy += p * dy * dy; cxy += p * dx * dy
            }
        }
        return (vx, vy, cxy)
    }
}
