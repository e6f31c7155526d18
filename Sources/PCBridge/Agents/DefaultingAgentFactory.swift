import PCWire

/// Wraps a factory so that a hello with an empty `agent` (`{}` or `null`) gets a default
/// configuration, e.g. the one `pcctl serve --config` reads.
public struct DefaultingAgentFactory: BridgeAgentFactory {
    public let base: any BridgeAgentFactory
    /// The configuration used when a hello names none.
    public let defaultConfiguration: JSONValue

    public init(base: any BridgeAgentFactory, defaultConfiguration: JSONValue) {
        self.base = base
        self.defaultConfiguration = defaultConfiguration
    }

    public func makeAgent(for request: SessionRequest) throws -> any BridgeAgent {
        try base.makeAgent(for: resolved(request))
    }

    public func estimatedMemoryBytes(for request: SessionRequest) throws -> Int? {
        try base.estimatedMemoryBytes(for: resolved(request))
    }

    /// The request with the default configuration when it names none.
    private func resolved(_ request: SessionRequest) -> SessionRequest {
        var request = request
        switch request.agentConfiguration {
        case .null, .object([:]): request.agentConfiguration = defaultConfiguration
        default: break
        }
        return request
    }
}
