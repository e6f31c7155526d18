// PCKit, the umbrella: `import PCKit` gives every public module (PCKit article <doc:Architecture>, section Import directions).
//
// Order follows the direction of imports, bottom up.
@_exported import PCNumerics
@_exported import PCCore
@_exported import PCEnvironment
@_exported import PCSims
@_exported import PCAgents
@_exported import PCWire
@_exported import PCRecording
@_exported import PCBridge
