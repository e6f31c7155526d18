/// Summary statistics of a set of episode returns and per-step compute times (PCSims article Tasks, section Scoring protocol).
///
/// Mean ± population sd, median, worst, n; success rate over a per-episode flag; compute time per
/// step as median and 99th percentile (nearest rank) over all steps of all episodes.
public struct EpisodeStatistics: Sendable, Equatable, Codable {
    public var episodes: Int
    public var meanReturn: Double
    /// Population standard deviation of the returns.
    public var standardDeviation: Double
    public var medianReturn: Double
    public var worstReturn: Double
    public var bestReturn: Double
    /// Fraction of episodes whose success flag is set, in [0, 1].
    public var successRate: Double
    /// Median compute time per step, seconds.
    public var medianStepTime: Double
    /// 99th-percentile compute time per step, seconds.
    public var p99StepTime: Double

    /// - Parameters:
    ///   - returns: one return per episode (non-empty).
    ///   - successes: one flag per episode.
    ///   - stepTimes: compute time of every step, seconds (non-empty).
    public init(returns: [Double], successes: [Bool], stepTimes: [Double]) {
        precondition(!returns.isEmpty && returns.count == successes.count && !stepTimes.isEmpty,
                     "EpisodeStatistics: need one success flag per return and at least one step time")
        let n = Double(returns.count)
        let sorted = returns.sorted()
        episodes = returns.count
        meanReturn = returns.reduce(0, +) / n
        let mean = meanReturn
        standardDeviation = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot()
        medianReturn = Self.median(sorted)
        worstReturn = sorted.first!
        bestReturn = sorted.last!
        successRate = Double(successes.filter { $0 }.count) / n
        let times = stepTimes.sorted()
        medianStepTime = Self.median(times)
        p99StepTime = Self.quantile(times, 0.99)
    }

    /// The median of a sorted, non-empty array.
    public static func median(_ sorted: [Double]) -> Double {
        let k = sorted.count
        return k % 2 == 1 ? sorted[k / 2] : 0.5 * (sorted[k / 2 - 1] + sorted[k / 2])
    }

    /// The q-quantile of a sorted, non-empty array by nearest rank.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
