import PCNumerics

/// Active sensing by expected free energy on a grid belief (<doc:ActiveSensing>).
///
/// - **perceive**: the observation is (p_x, p_y, y_x, y_y, π) (LightDark's layout: sensor position,
///   reading of x − p, and the reading's precision; π = 0 marks "no reading" at reset). The grid
///   belief is updated by exact Bayes with the agent's own sensor model.
/// - **plan**: for each candidate move a, the moved sensor p_a; the epistemic value by Monte Carlo
///   (M samples xᵐ ~ b and zᵐ ~ N(0, I), shared by all candidates) and the pragmatic value
///   ½Λ(‖μ − p_a‖² + tr Σ); G(a) = pragmatic − epistemic. The policy picks argmin G, argmax
///   epistemic, argmin pragmatic (go-to-mean), a random or the stay move.
/// - **act**: writes the chosen Δp.
///
/// Diagnostics: freeEnergy is G of the chosen move (or its pragmatic value for the baselines).
public struct ActiveSensingAgent: Agent {
    public let options: ActiveSensingOptions
    /// The posterior over the target.
    public private(set) var belief: GridBelief
    private var generator = Xoshiro256(seed: 0)
    private var sensor = (x: 0.0, y: 0.0)
    private var cumulative: [Double]
    private var sampleCells: [Int]
    private var normals: [Double]
    /// G, pragmatic and epistemic value of each candidate at the last plan, (moves.count) each.
    public private(set) var expectedFreeEnergy: [Double], pragmaticValue: [Double], epistemicValue: [Double]
    /// The Gaussian belief (μ, Σ as (xx, yy, xy)) when ``ActiveSensingOptions/belief`` is `.gaussian`.
    public private(set) var gaussianMean = (x: 0.0, y: 0.0)
    public private(set) var gaussianCovariance = (xx: 0.0, yy: 0.0, xy: 0.0)
    private var chosen = 0
    private var valid = false
    private var diagnostics = StepDiagnostics()

    /// - Throws: ``AgentConfigurationError`` naming a bad field.
    public init(options: ActiveSensingOptions) throws {
        try options.validate()
        self.options = options
        belief = GridBelief(size: options.gridSize, extent: options.worldSize)
        cumulative = [Double](repeating: 0, count: options.gridSize * options.gridSize)
        sampleCells = [Int](repeating: 0, count: options.samples)
        normals = [Double](repeating: 0, count: 2 * options.samples)
        expectedFreeEnergy = [Double](repeating: 0, count: options.moves.count)
        pragmaticValue = expectedFreeEnergy
        epistemicValue = expectedFreeEnergy
    }

    public var observationDimension: Int { 5 }
    public var actionDimension: Int { 2 }

    /// E[x*] under the belief.
    public var posteriorMean: (x: Double, y: Double) { options.belief == .grid ? belief.mean : gaussianMean }
    /// √max(var x, var y), the task's confidence measure.
    public var posteriorStandardDeviation: Double {
        let c = options.belief == .grid ? belief.covariance : gaussianCovariance
        return max(c.xx, c.yy).squareRoot()
    }

    public mutating func reset(seed: UInt64) {
        generator = Xoshiro256(seed: seed)
        belief = GridBelief(size: options.gridSize, extent: options.worldSize)
        // The uniform prior's moments: mean L/2, variance L²/12 per axis.
        let l = options.worldSize
        gaussianMean = (l / 2, l / 2)
        gaussianCovariance = (l * l / 12, l * l / 12, 0)
        diagnostics = StepDiagnostics()
        valid = false
    }

    public mutating func perceive(_ observation: [Double]) {
        diagnostics = StepDiagnostics()
        valid = observation.count == 5
        for k in 0..<observation.count where !observation[k].isFinite { valid = false }
        guard valid else {
            diagnostics.warnings.insert(.invalidObservation)
            return
        }
        sensor = (observation[0], observation[1])
        guard observation[4] > 0 else { return }
        switch options.belief {
        case .grid:
            belief.update(readingX: observation[2], readingY: observation[3], sensorX: sensor.x, sensorY: sensor.y,
                          noise: options.noise)
        case .gaussian:
            kalmanUpdate(readingX: observation[2], readingY: observation[3])
        }
    }

    public mutating func plan() {
        guard valid else { chosen = 0; return }
        let moves = options.moves
        let gaussian = options.belief == .gaussian
        let (mean, covariance) = gaussian ? (gaussianMean, gaussianCovariance) : (belief.mean, belief.covariance)
        let needsEpistemic = options.policy == .expectedFreeEnergy || options.policy == .epistemic
        if needsEpistemic && !gaussian { drawSamples() }
        let priorEntropy = needsEpistemic && !gaussian ? belief.entropy : 0
        for k in 0..<moves.count {
            let p = movedSensor(moves[k])
            pragmaticValue[k] = ExpectedFreeEnergy.pragmatic(
                meanX: mean.x, meanY: mean.y, sensorX: p.x, sensorY: p.y,
                covarianceTrace: covariance.xx + covariance.yy, preferencePrecision: options.preferencePrecision)
            if needsEpistemic && gaussian {
                let sigma = options.noise.standardDeviation(targetX: mean.x, targetY: mean.y, sensorX: p.x, sensorY: p.y)
                epistemicValue[k] = ExpectedFreeEnergy.gaussianEpistemic(covariance: covariance,
                                                                         noise: (sigma * sigma, sigma * sigma, 0))
            } else if needsEpistemic {
                epistemicValue[k] = sampleCells.withUnsafeBufferPointer { cells in
                    normals.withUnsafeBufferPointer { z in
                        ExpectedFreeEnergy.monteCarloEpistemic(belief: belief, priorEntropy: priorEntropy,
                                                               sensorX: p.x, sensorY: p.y, noise: options.noise,
                                                               sampleCells: cells, normals: z)
                    }
                }
            } else {
                epistemicValue[k] = 0
            }
            expectedFreeEnergy[k] = pragmaticValue[k] - epistemicValue[k]
        }
        switch options.policy {
        case .expectedFreeEnergy: chosen = argmin(expectedFreeEnergy)
        case .epistemic:
            chosen = 0
            for k in 1..<moves.count where epistemicValue[k] > epistemicValue[chosen] { chosen = k }
        case .goToMean: chosen = argmin(pragmaticValue)
        case .random: chosen = generator.nextInt(below: moves.count)
        case .stay: chosen = 0
        }
        diagnostics.freeEnergy = expectedFreeEnergy[chosen]
        diagnostics.iterations = needsEpistemic ? moves.count * options.samples : moves.count
    }

    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        precondition(action.count == 2, "ActiveSensingAgent.act: action buffer holds \(action.count) values, expected 2")
        let move = valid ? options.moves[chosen] : [0.0, 0.0]
        action[0] = move[0]
        action[1] = move[1]
        return diagnostics
    }

    /// Kalman update for y = x − p + v, R = σ² I (<doc:ActiveSensing#Gaussian-belief>): K = Σ(Σ + R)⁻¹, μ ← μ + K(y + p − μ), Σ ← (I − K)Σ.
    private mutating func kalmanUpdate(readingX: Double, readingY: Double) {
        let (m, c) = (gaussianMean, gaussianCovariance)
        let r = options.noise.standardDeviation(targetX: m.x, targetY: m.y, sensorX: sensor.x, sensorY: sensor.y)
        let r2 = r * r
        // S = Σ + R and its inverse (2 × 2).
        let (sxx, syy, sxy) = (c.xx + r2, c.yy + r2, c.xy)
        let det = sxx * syy - sxy * sxy
        let (ixx, iyy, ixy) = (syy / det, sxx / det, -sxy / det)
        // K = Σ S⁻¹.
        let kxx = c.xx * ixx + c.xy * ixy, kxy = c.xx * ixy + c.xy * iyy
        let kyx = c.xy * ixx + c.yy * ixy, kyy = c.xy * ixy + c.yy * iyy
        let (ex, ey) = (readingX + sensor.x - m.x, readingY + sensor.y - m.y)
        gaussianMean = (m.x + kxx * ex + kxy * ey, m.y + kyx * ex + kyy * ey)
        // Σ ← (I − K)Σ, symmetrised.
        let nxx = (1 - kxx) * c.xx - kxy * c.xy
        let nyy = -kyx * c.xy + (1 - kyy) * c.yy
        let nxy = 0.5 * (((1 - kxx) * c.xy - kxy * c.yy) + (-kyx * c.xx + (1 - kyy) * c.xy))
        gaussianCovariance = (nxx, nyy, nxy)
    }

    /// The sensor after a move, shortened and clamped as the environment does.
    func movedSensor(_ move: [Double]) -> (x: Double, y: Double) {
        let length = (move[0] * move[0] + move[1] * move[1]).squareRoot()
        let scale = length > options.maximumStep ? options.maximumStep / length : 1
        let l = options.worldSize
        return (min(max(sensor.x + scale * move[0], 0), l), min(max(sensor.y + scale * move[1], 0), l))
    }

    /// xᵐ ~ b (cells, by inverse CDF) and zᵐ ~ N(0, I), from the agent's generator.
    private mutating func drawSamples() {
        var total = 0.0
        for k in 0..<cumulative.count {
            total += exp(belief.logProbability[k])
            cumulative[k] = total
        }
        for m in 0..<options.samples {
            let u = generator.nextUniform() * total
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] < u { low = mid + 1 } else { high = mid }
            }
            sampleCells[m] = low
            normals[2 * m] = generator.nextNormal()
            normals[2 * m + 1] = generator.nextNormal()
        }
    }

    private func argmin(_ values: [Double]) -> Int {
        var best = 0
        for k in 1..<values.count where values[k] < values[best] { best = k }
        return best
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
