import PCNumerics

/// Scratch memory of inference and learning for a ``PCNetwork``, sized once for a network and a
/// batch size, so that no inference iteration allocates (<doc:EnergyAndInference#Workspaces>): the
/// one workspace type, ``PCWorkspace``, for a dense network.
///
/// ```swift
/// var workspace = try InferenceWorkspace(for: network, batchSize: 64)
/// ```
public typealias InferenceWorkspace<Scalar: PCScalar> = PCWorkspace<PCNetwork<Scalar>>

