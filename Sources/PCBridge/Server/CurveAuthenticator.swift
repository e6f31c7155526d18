import CZeroMQ

/// libzmq's ZAP handler for a CURVE server: admits the clients whose public key is listed (or
/// every client when no list is given) and names each admitted client by its Z85 public key,
/// which libzmq then attaches to its messages as the `User-Id` property (the session owner and
/// the per-peer limit use it).
///
/// Bound at `inproc://zeromq.zap.01` in the server's own context, before the server's sockets
/// bind, and answered on the server thread (ZAP RFC 27: a request of seven or more frames —
/// version, request id, domain, address, identity, mechanism, credentials — and a reply of six).
final class CurveAuthenticator {
    let socket: ZMQSocket
    /// Authorized client public keys, 32 bytes each (decoded from Z85); `nil` admits every client.
    let authorized: Set<[UInt8]>?
    private var frames: [[UInt8]] = []
    private var buffer = [UInt8](repeating: 0, count: 512)
    /// Handshakes refused.
    private(set) var refused: UInt64 = 0

    /// - Throws: ``BridgeError/transport(_:)`` when the handler cannot bind,
    ///   ``BridgeError/wire(_:)`` (`invalidMessage`) for a key that is not 40 characters of Z85.
    init(context: ZMQContext, authorizedKeys: [String]?) throws(BridgeError) {
        var keys = Set<[UInt8]>()
        for key in authorizedKeys ?? [] {
            var decoded = [UInt8](repeating: 0, count: 32)
            guard key.utf8.count == 40, zmq_z85_decode(&decoded, key) != nil else {
                throw .wire(.invalidMessage("authorized client key \"\(key.prefix(40))\" is not 40 characters of Z85"))
            }
            keys.insert(decoded)
        }
        authorized = authorizedKeys == nil ? nil : keys
        do {
            socket = try ZMQSocket(context: context, type: .reply)
            try socket.bind("inproc://zeromq.zap.01")
        } catch { throw .transport(error) }
    }

    /// Answers one pending ZAP request.
    /// - Returns: the refusal reason when a client was refused, else `nil`.
    func answer() -> String? {
        frames.removeAll(keepingCapacity: true)
        repeat {
            guard let r = try? buffer.withUnsafeMutableBytes({ try socket.receive(into: $0, dontWait: true) }) else { return nil }
            frames.append(Array(buffer.prefix(min(r.length, buffer.count))))
        } while socket.hasMoreFrames()
        guard frames.count >= 6 else { return nil }
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        let key = frames.count >= 7 && frames[6].count == 32 ? frames[6] : nil
        let allowed = mechanism == "CURVE" && key != nil && (authorized?.contains(key!) ?? true)
        var userID: [UInt8] = []
        if allowed, let key {
            var z85 = [CChar](repeating: 0, count: 41)
            if zmq_z85_encode(&z85, key, 32) != nil { userID = z85.prefix(40).map { UInt8(bitPattern: $0) } }
        }
        let reply: [[UInt8]] = [Array("1.0".utf8), frames[1], Array((allowed ? "200" : "400").utf8),
                                Array((allowed ? "OK" : "client key not authorized").utf8), userID, []]
        for (i, frame) in reply.enumerated() { try? socket.send(frame, more: i < reply.count - 1) }
        if allowed { return nil }
        refused += 1
        return "refused a \(mechanism) handshake from \(String(decoding: frames[3], as: UTF8.self)): client key not authorized"
    }
}
