/// Checks a step's inputs against known dimensions: the hot-path form of
/// ``Environment/validate(action:observation:)`` for environments whose dimensions are fixed,
/// inlined so that it costs a few comparisons (no access to the spaces' arrays).
/// - Throws: ``EnvironmentError/actionShape(expected:got:)``,
///   ``EnvironmentError/observationBufferShape(expected:got:)`` or
///   ``EnvironmentError/nonFiniteAction(index:value:)``.
@inlinable
public func validateStep(action: [Double], actionDimension: Int, observation: [Double], observationDimension: Int) throws {
    guard action.count == actionDimension else {
        throw EnvironmentError.actionShape(expected: actionDimension, got: action.count)
    }
    guard observation.count == observationDimension else {
        throw EnvironmentError.observationBufferShape(expected: observationDimension, got: observation.count)
    }
    var i = 0
    while i < action.count {
        if !action[i].isFinite { throw EnvironmentError.nonFiniteAction(index: i, value: action[i]) }
        i += 1
    }
}
