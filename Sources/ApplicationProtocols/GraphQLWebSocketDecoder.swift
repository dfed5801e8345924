import MessageDecoding
import WebSocketProtocol

/// GraphQL over WebSocket in both of its protocols: `graphql-transport-ws` (graphql-ws library:
/// subscribe/next/error/complete, ping/pong) and the older `graphql-ws` of
/// subscriptions-transport-ws (start/data/error/complete/stop, `ka` keep-alives). Every message is
/// a JSON object with a `type`; operations carry an `id`.
///
/// Pairing: a `subscribe`/`start` waits for its first result (`next`/`data`/`error`), which
/// carries `answers`; the server's `complete` ends it and carries the time to completion; a
/// `connection_init` is answered by `connection_ack`.
public struct GraphQLWebSocketDecoder: MessageDecoder {
    public enum Dialect: String, Sendable {
        /// `graphql-transport-ws`.
        case transport = "graphql-transport-ws"
        /// `graphql-ws` (subscriptions-transport-ws).
        case legacy = "graphql-ws"
    }

    public let dialect: Dialect
    private var pending: PendingRequests<String>
    /// Operations answered at least once and not yet complete: `complete` then reports the time
    /// from the request to completion.
    private var running: PendingRequests<String>

    static let knownTypes: [Dialect: Set<String>] = [
        .transport: ["connection_init", "connection_ack", "ping", "pong", "subscribe", "next", "error", "complete"],
        .legacy: [
            "connection_init", "connection_ack", "connection_error", "ka", "connection_terminate", "start", "data", "error",
            "complete", "stop",
        ],
    ]

    public init(dialect: Dialect, maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding) {
        self.dialect = dialect
        pending = PendingRequests(maxOutstanding: maxOutstandingRequests)
        running = PendingRequests(maxOutstanding: maxOutstandingRequests)
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        guard message.isComplete, message.opcode == .text || message.opcode == .binary else { return nil }
        let protocolName = "graphql-ws"
        let node: JSONNode
        switch JSONReader.parse(message.payload) {
        case .success(let parsed): node = parsed
        case .failure(let failure): return .undecodable(protocolName, failure.description)
        }
        guard let type = node["type"]?.stringValue else { return .undecodable(protocolName, "not an object with a string \"type\"") }
        guard Self.knownTypes[dialect]?.contains(type) == true else {
            return .undecodable(protocolName, "message type \(JSONNode.quoted(type)) is not part of \(dialect.rawValue)")
        }
        var fields: [MessageAnnotation.Field] = [.init("subprotocol", dialect.rawValue), .init("type", type)]
        var summary = type
        var problems: [MessageAnnotation.Problem] = []
        let id = node["id"].flatMap { $0.stringValue ?? ($0 == .null ? nil : $0.compact) }
        if let id {
            fields.append(.init("id", id))
            summary += " id=" + id
        }
        let payload = node["payload"]
        switch type {
        case "subscribe", "start":
            let query = payload?["query"]?.stringValue
            let operation = query.map(Self.operation(of:))
            let name = payload?["operationName"]?.stringValue ?? operation?.name
            if let kind = operation?.kind { fields.append(.init("operation_type", kind)); summary += " " + kind }
            if let name { fields.append(.init("operation_name", name)); summary += " " + name }
            if let variables = payload?["variables"], variables != .null {
                fields.append(.init(json: "variables", variables.compact))
                summary += " " + PayloadText.cut(variables.compact)
            }
            if let id {
                if let problem = pending.request(id, at: message.time, label: "graphql \(type) id=\(id)\(name.map { " " + $0 } ?? "")", name: name ?? operation?.kind) { problems.append(problem) }
            }
        case "next", "data", "error":
            let errors: JSONNode?
            if type == "error" {
                errors = payload
            } else {
                errors = payload?["errors"]
            }
            let hasErrors: Bool
            switch errors {
            case .array(let list)?: hasErrors = !list.isEmpty
            case nil, .null?: hasErrors = false
            default: hasErrors = true
            }
            fields.append(.init("has_errors", hasErrors))
            if hasErrors { summary += " errors" }
            if let data = payload?["data"], data != .null { summary += " " + PayloadText.cut(data.compact) }
            if let id, message.direction == .serverToClient {
                if let answers = pending.answer(id, at: message.time) {
                    fields.append(answers)
                    _ = running.request(id, at: answers.requestTime ?? message.time, label: id, name: answers.requestName)
                }
                if type == "error" { running.cancel(id) }
            }
        case "complete":
            if let id {
                if message.direction == .serverToClient {
                    if let answers = running.answer(id, at: message.time) ?? pending.answer(id, at: message.time) { fields.append(answers) }
                } else {
                    pending.cancel(id)
                    running.cancel(id)
                }
            }
        case "stop":
            if let id { pending.cancel(id); running.cancel(id) }
        case "connection_init":
            if let problem = pending.request("\u{0}init", at: message.time, label: "graphql connection_init", name: "connection_init") { problems.append(problem) }
        case "connection_ack", "connection_error":
            if let answers = pending.answer("\u{0}init", at: message.time) { fields.append(answers) }
        default:
            break
        }
        return MessageAnnotation(protocolName: protocolName, summary: summary, fields: fields, problems: problems)
    }

    public mutating func finish() -> [MessageAnnotation.Problem] {
        _ = running.finish()
        return pending.finish()
    }

    /// The operation type and name of a GraphQL document's first operation (`subscription OnChat
    /// { … }`); a document starting with `{` is an anonymous query. Only the head is read.
    static func operation(of query: String) -> (kind: String, name: String?) {
        var scanner = query.unicodeScalars.drop { $0.properties.isWhitespace || $0 == "," }
        // Skip comments before the operation.
        while scanner.first == "#" {
            scanner = scanner.drop { $0 != "\n" }.drop { $0.properties.isWhitespace || $0 == "," }
        }
        if scanner.first == "{" { return ("query", nil) }
        let word = String(String.UnicodeScalarView(scanner.prefix { $0.properties.isAlphabetic }))
        guard ["query", "mutation", "subscription"].contains(word) else { return ("query", nil) }
        let rest = scanner.dropFirst(word.unicodeScalars.count).drop { $0.properties.isWhitespace }
        let name = String(String.UnicodeScalarView(rest.prefix { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) }))
        return (word, name.isEmpty ? nil : name)
    }
}

extension MessageAnnotation.Field {
    /// The `request` of an `answers` field.
    var requestName: String? {
        guard name == "answers", case .success(let node) = JSONReader.parse(Array(value.utf8)) else { return nil }
        return node["request"]?.stringValue
    }

    /// The `ts` of an `answers` field: when the request was seen.
    var requestTime: Double? {
        guard name == "answers", case .success(let node) = JSONReader.parse(Array(value.utf8)), case .number(let text)? = node["ts"] else { return nil }
        return Double(text)
    }
}
