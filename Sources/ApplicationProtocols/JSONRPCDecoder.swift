import MessageDecoding
import WebSocketProtocol

/// JSON-RPC 1.0 and 2.0 (the Chrome DevTools Protocol, Ethereum nodes, LSP bridges), told by shape:
/// an object with `method` is a request (with an `id`) or a notification (without one, or a null
/// id in 1.0); one with `result` or `error` is a response. A batch is an array of these. Either
/// side may send requests; an answer comes from the other side with the same id.
public struct JSONRPCDecoder: MessageDecoder {
    private var pending: PendingRequests<RequestKey>

    struct RequestKey: Hashable, Sendable {
        var requester: WebSocketDirection
        /// The id as compact JSON (`1` and `"1"` are different ids).
        var id: String
    }

    public init(maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding) {
        pending = PendingRequests(maxOutstanding: maxOutstandingRequests)
    }

    /// True when `payload` looks like JSON-RPC: what the automatic choice tests on a connection's
    /// first text message.
    public static func looksLikeJSONRPC(_ payload: [UInt8]) -> Bool {
        guard let first = JSONReader.firstSignificantByte(payload[...]), first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
              case .success(let node) = JSONReader.parse(payload)
        else { return false }
        if case .array(let items) = node { return !items.isEmpty && items.allSatisfy { Call(node: $0) != nil } }
        return Call(node: node) != nil
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        guard message.isComplete, message.opcode == .text || message.opcode == .binary else { return nil }
        let node: JSONNode
        switch JSONReader.parse(message.payload) {
        case .success(let parsed): node = parsed
        case .failure(let failure): return .undecodable("json-rpc", failure.description)
        }
        if case .array(let items) = node {
            let calls = items.compactMap(Call.init(node:))
            guard !items.isEmpty, calls.count == items.count else {
                return .undecodable("json-rpc", items.isEmpty ? "empty batch" : "batch element \(calls.count) is not a JSON-RPC call")
            }
            var problems: [MessageAnnotation.Problem] = []
            var answers: [MessageAnnotation.Field] = []
            let described = calls.map { call -> JSONNode in
                let (answer, problem) = track(call, message)
                if let problem { problems.append(problem) }
                if let answer { answers.append(answer) }
                return call.summaryObject(answer: answer)
            }
            var fields: [MessageAnnotation.Field] = [
                .init("kind", "batch"), .init("version", calls[0].version), .init("count", calls.count),
                .init(json: "batch", JSONNode.array(described).compact),
            ]
            // The batch as a whole answers when its first answered element does.
            if let first = answers.first { fields.append(first) }
            let summary = "batch of \(calls.count): " + PayloadText.cut(calls.map(\.shortSummary).joined(separator: ", "))
            return MessageAnnotation(protocolName: "json-rpc", summary: summary, fields: fields, problems: problems)
        }
        guard let call = Call(node: node) else { return .undecodable("json-rpc", "not a JSON-RPC request, notification or response") }
        let (answer, problem) = track(call, message)
        var fields = call.fields
        if let answer { fields.append(answer) }
        return MessageAnnotation(protocolName: "json-rpc", summary: call.shortSummary, fields: fields, problems: problem.map { [$0] } ?? [])
    }

    public mutating func finish() -> [MessageAnnotation.Problem] { pending.finish() }

    private mutating func track(_ call: Call, _ message: DecodableMessage) -> (MessageAnnotation.Field?, MessageAnnotation.Problem?) {
        guard let id = call.id else { return (nil, nil) }
        switch call.kind {
        case .request:
            return (nil, pending.request(RequestKey(requester: message.direction, id: id), at: message.time, label: "json-rpc \(call.method ?? "?") id=\(id)", name: call.method))
        case .response, .error:
            return (pending.answer(RequestKey(requester: message.direction.opposite, id: id), at: message.time), nil)
        case .notification:
            return (nil, nil)
        }
    }

    /// One request, notification or response.
    struct Call {
        enum Kind: String { case request, notification, response, error }

        var kind: Kind
        var version: String
        var method: String?
        var id: String?
        var errorCode: String?
        var errorMessage: String?
        var params: JSONNode?
        /// The id member is present and null (an error answering an unparsable request, or a
        /// JSON-RPC 1.0 notification): shown as `null`, never paired.
        var nullID = false

        init?(node: JSONNode) {
            guard node.isObject else { return nil }
            version = node["jsonrpc"]?.stringValue == "2.0" ? "2.0" : "1.0"
            let idNode = node["id"]
            let hasID = idNode != nil && idNode != .null
            nullID = idNode == .null
            if let idNode, hasID {
                switch idNode {
                case .string, .number: id = idNode.compact
                default: return nil
                }
            }
            if let methodNode = node["method"] {
                guard let name = methodNode.stringValue else { return nil }
                method = name
                kind = hasID ? .request : .notification
                params = node["params"]
            } else if let error = node["error"], error != .null {
                kind = .error
                if case .number(let code)? = error["code"] { errorCode = code }
                errorMessage = error["message"]?.stringValue ?? error.stringValue
            } else if node["result"] != nil {
                kind = .response
            } else {
                return nil
            }
        }

        var fields: [MessageAnnotation.Field] {
            var fields: [MessageAnnotation.Field] = [.init("kind", kind.rawValue), .init("version", version)]
            if let method { fields.append(.init("method", method)) }
            if let id { fields.append(.init(json: "id", id)) } else if nullID { fields.append(.init(json: "id", "null")) }
            if let errorCode { fields.append(.init(json: "error_code", errorCode)) }
            if let errorMessage { fields.append(.init("error_message", errorMessage)) }
            return fields
        }

        func summaryObject(answer: MessageAnnotation.Field?) -> JSONNode {
            var members: [(key: String, value: JSONNode)] = [("kind", .string(kind.rawValue))]
            if let method { members.append(("method", .string(method))) }
            if let id, case .success(let node) = JSONReader.parse(Array(id.utf8)) { members.append(("id", node)) } else if nullID { members.append(("id", .null)) }
            if let errorCode { members.append(("error_code", .number(errorCode))) }
            if let answer, case .success(let node) = JSONReader.parse(Array(answer.value.utf8)) { members.append(("answers", node)) }
            return .object(members)
        }

        var shortSummary: String {
            var text = kind.rawValue
            if let method { text += " " + method }
            if let id { text += " id=" + id }
            if let errorCode { text += " code=" + errorCode }
            if let errorMessage { text += " " + JSONNode.quoted(PayloadText.cut(errorMessage)) }
            if kind == .request || kind == .notification, let params { text += " " + PayloadText.cut(params.compact) }
            return text
        }
    }
}
