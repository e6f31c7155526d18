import CZeroMQ
import Foundation
import PCWire

/// A robot-side client of ``BridgeServer`` for Swift programs and tests.
///
/// Uses a DEALER socket (so a timed-out request never wedges the socket, unlike REQ), sends each
/// request as `[empty, payload]` like a REQ peer would, and matches step replies by sequence
/// number, discarding stale ones. A request that times out is resent up to `retries` times.
///
/// The socket carries a random 16-byte routing identity, kept for the client's lifetime (also
/// across a broker's redirect): the server binds each session to the identity that opened it.
/// Steps are stamped with `CLOCK_MONOTONIC`, so each action's `validUntil` (its frame's
/// timestamp) is on this client's clock; ``heldAction(into:safeAction:now:)`` applies the safe
/// action once the last action has expired.
///
/// ```swift
/// let client = try BridgeClient(endpoint: "ipc:///tmp/pckit.sock")
/// let welcome = try client.hello(Hello(robot: "arm", observationSpace: obs, actionSpace: act,
///                                      controlPeriod: 0.01, agent: config))
/// let action = try client.step([0.1, 0.2, 0.0])
/// try client.bye()
/// ```
public final class BridgeClient {
    /// Client behaviour; defaults stated per field.
    public struct Options: Sendable {
        /// Milliseconds to wait for each attempt's reply (default 1000).
        public var timeoutMilliseconds: Int
        /// Extra attempts after a timeout (default 2).
        public var retries: Int
        /// The server's CURVE public key (Z85), when the server uses CURVE (default `nil`).
        public var curveServerKey: String?
        /// This client's CURVE key pair (default `nil`: a fresh one per socket). Needed when the
        /// server admits only authorized client keys.
        public var curveClientKeys: CurveKeyPair?

        public init(timeoutMilliseconds: Int = 1000, retries: Int = 2, curveServerKey: String? = nil,
                    curveClientKeys: CurveKeyPair? = nil) {
            self.timeoutMilliseconds = timeoutMilliseconds
            self.retries = retries
            self.curveServerKey = curveServerKey
            self.curveClientKeys = curveClientKeys
        }
    }

    public let options: Options
    private let context: ZMQContext
    private var socket: ZMQSocket
    /// The endpoint requests go to (changes when a welcome redirects to a worker).
    public private(set) var endpoint: String
    /// The endpoint given at creation (a server or a broker): every hello goes there.
    public let initialEndpoint: String
    /// The current session, after a successful hello.
    public private(set) var welcome: Welcome?
    private var scalar: ScalarType = .float32
    private var sequence: UInt64 = 0
    private let sendBuffer: UnsafeMutableRawBufferPointer
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    /// The receive timeout currently set on `socket`, in ms.
    private var receiveTimeout: Int32 = -1
    /// The header of the last action received; its `timestampNanoseconds` is the action's
    /// validUntil on this client's monotonic clock.
    public private(set) var lastAction: DataFrameHeader?
    /// The values of the last action received, (actionDimension).
    private var lastActionValues: [Double] = []
    /// This client's routing identity (16 random bytes from the system's generator).
    public let routingIdentity: [UInt8]

    /// Connects (lazily, as ZeroMQ does) to a server or broker.
    public init(endpoint: String, options: Options = Options()) throws(BridgeError) {
        self.options = options
        self.endpoint = endpoint
        initialEndpoint = endpoint
        var generator = SystemRandomNumberGenerator()
        let identity = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        routingIdentity = identity
        do {
            context = try ZMQContext()
            socket = try Self.makeSocket(context: context, endpoint: endpoint, options: options, identity: identity)
        } catch { throw .transport(error) }
        sendBuffer = .allocate(byteCount: WireLimits.headerBytes + 8 * WireLimits.maximumValues, alignment: 8)
        receiveBuffer = .allocate(byteCount: WireLimits.maximumMessageBytes + 1, alignment: 8)
    }

    deinit {
        sendBuffer.deallocate()
        receiveBuffer.deallocate()
    }

    private static func makeSocket(context: ZMQContext, endpoint: String, options: Options,
                                   identity: [UInt8]) throws(ZMQError) -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setOption(ZMQ_ROUTING_ID_OPTION, bytes: identity, name: "ZMQ_ROUTING_ID")
        if let key = options.curveServerKey {
            let keys: CurveKeyPair
            if let given = options.curveClientKeys { keys = given } else { keys = try CurveKeyPair.generate() }
            try socket.makeCurveClient(serverKey: key, keys: keys)
        }
        try socket.connect(endpoint)
        return socket
    }

    /// Opens a session. Follows a welcome's `endpoint` redirect (a worker behind a broker).
    /// - Throws: ``BridgeError/remote(_:)`` when the server refuses (e.g. `agentRejected`),
    ///   ``BridgeError/timeout(milliseconds:request:)`` when nothing answers.
    @discardableResult
    public func hello(_ hello: Hello) throws(BridgeError) -> Welcome {
        if endpoint != initialEndpoint {
            // A redirected session ends here; new sessions are assigned by the broker again.
            do { socket = try Self.makeSocket(context: context, endpoint: initialEndpoint, options: options, identity: routingIdentity) } catch {
                throw .transport(error)
            }
            endpoint = initialEndpoint
            receiveTimeout = -1
        }
        welcome = nil
        let reply = try control(.hello(hello), name: "hello")
        guard case let .welcome(welcome) = reply else { throw .unexpectedReply("hello answered by \(reply)") }
        if let redirect = welcome.endpoint, redirect != endpoint {
            do { socket = try Self.makeSocket(context: context, endpoint: redirect, options: options, identity: routingIdentity) } catch {
                throw .transport(error)
            }
            endpoint = redirect
            receiveTimeout = -1
        }
        self.welcome = welcome
        scalar = hello.scalar
        sequence = 0
        lastAction = nil
        lastActionValues = [Double](repeating: 0, count: welcome.actionDimension)
        return welcome
    }

    /// Starts a new episode: the server resets the agent with `seed`.
    public func reset(seed: UInt64) throws(BridgeError) {
        guard let welcome else { throw .unexpectedReply("reset before hello") }
        let reply = try control(.reset(Reset(session: welcome.session, seed: seed)), name: "reset")
        guard case .reset = reply else { throw .unexpectedReply("reset answered by \(reply)") }
        sequence = 0
    }

    /// Ends the session.
    public func bye() throws(BridgeError) {
        guard let welcome else { return }
        self.welcome = nil
        let reply = try control(.bye(Bye(session: welcome.session)), name: "bye")
        guard case .bye = reply else { throw .unexpectedReply("bye answered by \(reply)") }
    }

    /// Sends one observation and returns the action (allocating; see the buffer variant).
    public func step(_ observation: [Double]) throws(BridgeError) -> [Double] {
        guard let welcome else { throw .unexpectedReply("step before hello") }
        var action = [Double](repeating: 0, count: welcome.actionDimension)
        let result = observation.withUnsafeBufferPointer { o in
            action.withUnsafeMutableBufferPointer { a in
                Result { () throws(BridgeError) in try step(observation: o, action: a) }
            }
        }
        _ = try result.get()
        return action
    }

    /// Sends one observation and writes the action; allocates nothing in Swift.
    /// - Parameters:
    ///   - observation: (observationDimension) values.
    ///   - action: (actionDimension) values, overwritten.
    ///   - timestampNanoseconds: the observation's time on `CLOCK_MONOTONIC` (default: now); the
    ///     action's validUntil counts from it.
    /// - Returns: the action frame's header (sequence, flags, free energy, iterations, validUntil).
    @discardableResult
    public func step(observation: UnsafeBufferPointer<Double>, action: UnsafeMutableBufferPointer<Double>,
                     timestampNanoseconds: UInt64? = nil) throws(BridgeError) -> DataFrameHeader {
        guard let welcome else { throw .unexpectedReply("step before hello") }
        sequence += 1
        let header = DataFrameHeader(kind: .step, flags: scalar == .float64 ? .float64 : [], session: welcome.session,
                                     sequence: sequence, timestampNanoseconds: timestampNanoseconds ?? monotonicNanoseconds(),
                                     count: observation.count)
        let n = DataFrame.encode(header, values: observation, into: sendBuffer)
        let reply = try exchange(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<n]), name: "step \(sequence)", sequence: sequence)
        let out: DataFrameHeader
        do { out = try DataFrame.decodeHeader(reply) } catch { throw .wire(error) }
        guard out.kind == .action, out.count == action.count else {
            throw .unexpectedReply("step \(sequence) answered by \(out.kind.name) with \(out.count) values, expected \(action.count)")
        }
        do { try DataFrame.decodeValues(reply, header: out, into: action) } catch { throw .wire(error) }
        lastAction = out
        if lastActionValues.count == action.count {
            lastActionValues.withUnsafeMutableBufferPointer { stored in
                for j in 0..<stored.count { stored[j] = action[j] }
            }
        }
        return out
    }

    /// The action a robot should apply now: the last action while it is valid, else the safe
    /// action (the robot-side watchdog). Allocates nothing.
    /// - Parameters:
    ///   - action: (actionDimension) values, overwritten.
    ///   - safeAction: (actionDimension) values applied once the last action expired or before any.
    ///   - now: the current `CLOCK_MONOTONIC` time in ns (default: now).
    /// - Returns: whether the last action was still valid (false: the safe action was written).
    @discardableResult
    public func heldAction(into action: UnsafeMutableBufferPointer<Double>, safeAction: UnsafeBufferPointer<Double>,
                           now: UInt64? = nil) -> Bool {
        precondition(action.count == safeAction.count, "heldAction: action and safe action lengths differ")
        let valid = lastAction.map { (now ?? monotonicNanoseconds()) <= $0.timestampNanoseconds } ?? false
            && lastActionValues.count == action.count
        for j in 0..<action.count { action[j] = valid ? lastActionValues[j] : safeAction[j] }
        return valid
    }

    /// Sends a heartbeat (keeps the session alive while the robot is not stepping).
    public func heartbeat() throws(BridgeError) {
        let session = welcome?.session ?? 0
        sequence += 1
        let header = DataFrameHeader(kind: .heartbeat, session: session, sequence: sequence,
                                     timestampNanoseconds: monotonicNanoseconds(), count: 0)
        let n = DataFrame.encode(header, values: UnsafeBufferPointer(start: nil, count: 0), into: sendBuffer)
        _ = try exchange(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<n]), name: "heartbeat", sequence: sequence)
    }

    /// Sends raw bytes as one request and returns the raw reply (for tests and tools).
    public func exchangeRaw(_ bytes: [UInt8], timeoutMilliseconds: Int? = nil) throws(BridgeError) -> [UInt8] {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(BridgeError) in
                Array(try exchange(raw, name: "raw request", sequence: nil, attempts: 1, timeout: timeoutMilliseconds))
            }
        }
        return try result.get()
    }

    private func control(_ message: ControlMessage, name: String) throws(BridgeError) -> ControlMessage {
        let data = message.encoded()
        // The reply points into receiveBuffer, which outlives the closure.
        let result = data.withUnsafeBytes { raw in
            Result { () throws(BridgeError) in try exchange(raw, name: name, sequence: nil) }
        }
        let reply = try result.get()
        let decoded: ControlMessage
        do { decoded = try ControlMessage.decode(Data(reply)) } catch { throw .wire(error) }
        if case let .error(error) = decoded { throw .remote(error) }
        return decoded
    }

    /// Sends a request and waits for its reply, resending on timeout. An `error` reply to a data
    /// frame is thrown as ``BridgeError/remote(_:)``; replies to other sequence numbers are skipped.
    private func exchange(_ request: UnsafeRawBufferPointer, name: String, sequence: UInt64?,
                          attempts: Int? = nil, timeout: Int? = nil) throws(BridgeError) -> UnsafeRawBufferPointer {
        let timeout = timeout ?? options.timeoutMilliseconds
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        for _ in 0..<(attempts ?? options.retries + 1) {
            do {
                try socket.send(empty, more: true)
                try socket.send(request)
            } catch { throw .transport(error) }
            let deadline = monotonicNanoseconds() + UInt64(timeout) * 1_000_000
            while true {
                let now = monotonicNanoseconds()
                guard now < deadline else { break }
                // A blocking receive bounded by ZMQ_RCVTIMEO: measured with a far shorter latency
                // tail than zmq_poll followed by a non-blocking receive.
                var received: ZMQSocket.Received
                do {
                    let remaining = Int32(clamping: (deadline - now) / 1_000_000 + 1)
                    if remaining != receiveTimeout {
                        try socket.setReceiveTimeout(milliseconds: remaining)
                        receiveTimeout = remaining
                    }
                    received = try socket.receive(into: receiveBuffer)
                    while received.more { received = try socket.receive(into: receiveBuffer) }
                } catch {
                    if error.isTimeout { break }
                    throw .transport(error)
                }
                guard received.length <= WireLimits.maximumMessageBytes else {
                    throw .wire(.tooLarge(length: received.length, limit: WireLimits.maximumMessageBytes))
                }
                let reply = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<received.length])
                guard let sequence, DataFrame.hasMagic(reply) || reply.first == UInt8(ascii: "{") else { return reply }
                if DataFrame.hasMagic(reply) {
                    // A data reply: keep it only if it answers this sequence number.
                    if reply.count >= 24, UInt64(littleEndian: reply.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) == sequence {
                        return reply
                    }
                    continue
                }
                guard case let .error(error)? = try? ControlMessage.decode(Data(reply)) else { continue }
                if error.sequence == nil || error.sequence == sequence { throw .remote(error) }
            }
        }
        throw .timeout(milliseconds: timeout, request: name)
    }
}
