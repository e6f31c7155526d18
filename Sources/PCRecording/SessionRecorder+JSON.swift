/// The JSON messages and JSON schemas of a recorded session (writer thread only).
extension SessionRecorder {
    /// Topics of a recorded session.
    public enum Topic {
        /// One message: the session's configuration (the caller's JSON object).
        public static let config = "/pckit/config"
        /// One message per episode: its index and the agent's seed.
        public static let episode = "/pckit/episode"
        /// One message per step (and per perception outside a step): values and bit patterns.
        public static let observation = "/pckit/observation"
        /// One message per step: the action's values and bit patterns.
        public static let action = "/pckit/action"
        /// One message per step: free energy, iterations, convergence, warnings, compute time.
        public static let diagnostics = "/pckit/diagnostics"
        /// One message per step: the layout's belief fields.
        public static let beliefs = "/pckit/beliefs"
        /// One message per agent-level event (only when the recorder has events).
        public static let event = "/pckit/event"
    }

    func addChannels(configurationSchema: String) throws {
        func add(_ topic: String, _ name: String, _ schema: String) throws -> UInt16 {
            let id = try writer.addSchema(name: name, encoding: "jsonschema", data: Array(schema.utf8))
            return try writer.addChannel(schemaID: id, topic: topic, messageEncoding: "json")
        }
        let n = layout.observationDimension, m = layout.actionDimension
        let counter = #"{"type": "integer", "minimum": 0}"#
        channels.config = try add(Topic.config, "pckit.SessionConfig", configurationSchema)
        channels.episode = try add(Topic.episode, "pckit.Episode", Self.objectSchema(
            "An episode starts: the agent was reset with this seed.",
            ["episode": counter, "seed": #"{"type": "integer", "minimum": 0, "description": "the agent's seed (UInt64)"}"#]))
        channels.observation = try add(Topic.observation, "pckit.Observation", Self.objectSchema(
            "The observation the agent perceived; acted is false for a perception outside a step (it follows step `step`).",
            ["episode": counter, "step": counter, "acted": #"{"type": "boolean"}"#,
             "values": Self.vectorSchema(n, "observation, (\(n)); null: not finite (see bits)"),
             "bits": Self.bitsSchema(n)]))
        channels.action = try add(Topic.action, "pckit.Action", Self.objectSchema(
            "The action the agent wrote.",
            ["episode": counter, "step": counter,
             "values": Self.vectorSchema(m, "action, (\(m)); null: not finite (see bits)"), "bits": Self.bitsSchema(m)]))
        let warningList = warningNames.map { "\"\($0.name)\"" }.joined(separator: ", ")
        channels.diagnostics = try add(Topic.diagnostics, "pckit.Diagnostics", Self.objectSchema(
            "What the step's inference did.",
            ["episode": counter, "step": counter,
             "freeEnergy": #"{"type": ["number", "null"], "description": "free energy the step ended at, nats; null: not finite"}"#,
             "iterations": counter, "converged": #"{"type": "boolean"}"#,
             "warnings": #"{"type": "array", "items": {"enum": [\#(warningList)]}}"#,
             "warningBits": #"{"type": "integer", "minimum": 0, "maximum": 4294967295}"#,
             "computeTime": #"{"type": "number", "minimum": 0, "description": "wall time of perceive + plan + act, seconds"}"#]))
        var beliefProperties = ["episode": counter, "step": counter]
        for field in layout.beliefs { beliefProperties[field.name] = Self.vectorSchema(field.count, field.description) }
        channels.beliefs = try add(Topic.beliefs, "pckit.Beliefs", Self.objectSchema("What the agent believes after the step.", beliefProperties))
        if !eventNames.isEmpty {
            let names = eventNames.map { "\"\($0)\"" }.joined(separator: ", ")
            channels.event = try add(Topic.event, "pckit.Event", Self.objectSchema(
                "Something done to the agent between steps (after step `step`), which a replay does too.",
                ["episode": counter, "step": counter, "event": #"{"enum": [\#(names)]}"#]))
        }
    }

    static func objectSchema(_ description: String, _ properties: [String: String]) -> String {
        let body = properties.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        let required = properties.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        return #"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "description": "\#(description)", "#
            + #""properties": {\#(body)}, "required": [\#(required)], "additionalProperties": false}"#
    }

    static func vectorSchema(_ count: Int, _ description: String) -> String {
        #"{"type": "array", "items": {"type": ["number", "null"]}, "minItems": \#(count), "maxItems": \#(count), "description": "\#(description)"}"#
    }

    static func bitsSchema(_ count: Int) -> String {
        #"{"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{16}$"}, "minItems": \#(count), "maxItems": \#(count), "description": "IEEE-754 bit patterns of values, 16 hex digits each"}"#
    }

    /// Encodes one slot as its messages and writes them.
    func write(slot: UnsafeMutablePointer<Double>, json: inout [UInt8]) throws {
        let kind = slot[0].bitPattern, episode = Int(Int64(bitPattern: slot[1].bitPattern))
        let logTime = UInt64((Double(slot[8].bitPattern) * layout.controlPeriod * 1e9).rounded())
        let n = layout.observationDimension, m = layout.actionDimension
        let values = UnsafeBufferPointer(start: slot + Self.headerWords, count: n + m + layout.beliefDimension)
        if kind == 3 {
            json.removeAll(keepingCapacity: true)
            json.append(text: #"{"episode": "#); json.append(integer: episode)
            json.append(text: #", "step": "#); json.append(integer: Int(slot[2].bitPattern))
            json.append(text: #", "event": ""#); json.append(text: eventNames[Int(slot[3].bitPattern)]); json.append(text: "\"}")
            try emit(channels.event, 6, logTime, json)
            return
        }
        if kind == 0 {
            json.removeAll(keepingCapacity: true)
            json.append(text: #"{"episode": "#); json.append(integer: episode)
            json.append(text: #", "seed": "#); json.append(text: String(slot[2].bitPattern)); json.append(text: "}")
            try emit(channels.episode, 1, logTime, json)
            return
        }
        let step = Int(slot[2].bitPattern)
        // Observation (a perception outside a step has no action, diagnostics or beliefs).
        json.removeAll(keepingCapacity: true)
        json.append(text: #"{"episode": "#); json.append(integer: episode)
        json.append(text: #", "step": "#); json.append(integer: step)
        json.append(text: kind == 1 ? #", "acted": true"# : #", "acted": false"#)
        json.append(vector: values[0..<n], bits: true)
        json.append(text: "}")
        try emit(channels.observation, 2, logTime, json)
        guard kind == 1 else { return }
        json.removeAll(keepingCapacity: true)
        json.append(text: #"{"episode": "#); json.append(integer: episode)
        json.append(text: #", "step": "#); json.append(integer: step)
        json.append(vector: values[n..<n + m], bits: true)
        json.append(text: "}")
        try emit(channels.action, 3, logTime, json)
        // Diagnostics.
        let warnings = UInt32(truncatingIfNeeded: slot[5].bitPattern)
        json.removeAll(keepingCapacity: true)
        json.append(text: #"{"episode": "#); json.append(integer: episode)
        json.append(text: #", "step": "#); json.append(integer: step)
        json.append(text: #", "freeEnergy": "#); json.append(number: slot[6])
        json.append(text: #", "iterations": "#); json.append(integer: Int(Int64(bitPattern: slot[3].bitPattern)))
        json.append(text: slot[4] != 0 ? #", "converged": true"# : #", "converged": false"#)
        json.append(text: #", "warnings": ["#)
        var first = true
        for (bit, name) in warningNames where warnings & bit != 0 {
            json.append(text: first ? "\"" : ", \""); json.append(text: name); json.append(text: "\"")
            first = false
        }
        json.append(text: #"], "warningBits": "#); json.append(integer: Int(warnings))
        json.append(text: #", "computeTime": "#); json.append(number: slot[7])
        json.append(text: "}")
        try emit(channels.diagnostics, 4, logTime, json)
        // Beliefs.
        json.removeAll(keepingCapacity: true)
        json.append(text: #"{"episode": "#); json.append(integer: episode)
        json.append(text: #", "step": "#); json.append(integer: step)
        var offset = n + m
        for field in layout.beliefs {
            json.append(text: ", \"\(field.name)\": ")
            json.append(array: values[offset..<offset + field.count])
            offset += field.count
        }
        json.append(text: "}")
        try emit(channels.beliefs, 5, logTime, json)
    }

    private func emit(_ channel: UInt16, _ index: Int, _ logTime: UInt64, _ json: [UInt8]) throws {
        try writer.writeMessage(channel: channel, sequence: sequences[index], logTime: logTime, data: json)
        sequences[index] &+= 1
        messageCount += 1
    }
}

extension [UInt8] {
    mutating func append(text: String) { append(contentsOf: text.utf8) }

    mutating func append(integer: Int) { append(contentsOf: String(integer).utf8) }

    /// A JSON number with the shortest digits that read back as the same Double; null when not finite.
    mutating func append(number: Double) {
        number.isFinite ? append(contentsOf: number.description.utf8) : append(text: "null")
    }

    mutating func append(array: Slice<UnsafeBufferPointer<Double>>) {
        append(text: "[")
        for (k, value) in array.enumerated() {
            if k > 0 { append(text: ", ") }
            append(number: value)
        }
        append(text: "]")
    }

    /// `, "values": [...]` and, with `bits`, `, "bits": ["3ff0000000000000", ...]`.
    mutating func append(vector: Slice<UnsafeBufferPointer<Double>>, bits: Bool) {
        append(text: #", "values": "#)
        append(array: vector)
        guard bits else { return }
        append(text: #", "bits": ["#)
        let digits = Array("0123456789abcdef".utf8)
        for (k, value) in vector.enumerated() {
            append(text: k > 0 ? ", \"" : "\"")
            let pattern = value.bitPattern
            for shift in Swift.stride(from: 60, through: 0, by: -4) { append(digits[Int((pattern >> UInt64(shift)) & 0xF)]) }
            append(text: "\"")
        }
        append(text: "]")
    }
}
