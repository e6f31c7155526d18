import Foundation

/// A decoded control-plane (JSON) message.
public enum ControlMessage: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case reset(Reset)
    case bye(Bye)
    case error(ErrorMessage)

    private struct KindProbe: Decodable { var kind: String }

    /// Decodes a JSON control message, dispatching on its `kind`.
    /// - Throws: ``WireError/tooLarge(length:limit:)``, ``WireError/malformedJSON(_:)`` (not JSON, no
    ///   `kind`, missing or mistyped field — named), ``WireError/unknownKind(_:)`` or
    ///   ``WireError/unexpectedKind(_:)`` for a data-plane kind.
    public static func decode(_ data: Data) throws(WireError) -> ControlMessage {
        guard data.count <= WireLimits.maximumMessageBytes else {
            throw .tooLarge(length: data.count, limit: WireLimits.maximumMessageBytes)
        }
        let decoder = JSONDecoder()
        let kind: String
        do { kind = try decoder.decode(KindProbe.self, from: data).kind } catch {
            throw .malformedJSON(describe(error))
        }
        do {
            switch kind {
            case "hello": return .hello(try decoder.decode(Hello.self, from: data))
            case "welcome": return .welcome(try decoder.decode(Welcome.self, from: data))
            case "reset": return .reset(try decoder.decode(Reset.self, from: data))
            case "bye": return .bye(try decoder.decode(Bye.self, from: data))
            case "error": return .error(try decoder.decode(ErrorMessage.self, from: data))
            default: break
            }
        } catch let problem as FieldProblem {
            throw problem.outOfRange ? .invalidMessage("\(kind): \(problem.text)") : .malformedJSON("\(kind): \(problem.text)")
        } catch {
            throw .malformedJSON("\(kind): \(describe(error))")
        }
        if let known = MessageKind.allCases.first(where: { $0.name == kind }) { throw .unexpectedKind(known) }
        throw .malformedJSON("unknown kind \"\(kind.prefix(40))\"")
    }

    /// Encodes the message as compact JSON with sorted keys.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these value types cannot fail: no non-finite numbers reach them (validated).
        switch self {
        case let .hello(m): return (try? encoder.encode(m)) ?? Data()
        case let .welcome(m): return (try? encoder.encode(m)) ?? Data()
        case let .reset(m): return (try? encoder.encode(m)) ?? Data()
        case let .bye(m): return (try? encoder.encode(m)) ?? Data()
        case let .error(m): return (try? encoder.encode(m)) ?? Data()
        }
    }

    /// A one-line account of a decoding failure that names the field involved.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case let .keyNotFound(key, ctx)?: return "missing field \"\(key.stringValue)\" at \(path(ctx.codingPath))"
        case let .typeMismatch(type, ctx)?: return "field \(path(ctx.codingPath)) is not a \(type)"
        case let .valueNotFound(type, ctx)?: return "field \(path(ctx.codingPath)) is null, expected \(type)"
        case let .dataCorrupted(ctx)?:
            return ctx.codingPath.isEmpty ? "not valid JSON" : "field \(path(ctx.codingPath)) is invalid: \(ctx.debugDescription)"
        default: return "\(error)"
        }
    }
}
