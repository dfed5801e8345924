import WebSocketProtocol

/// How one server answer compares with the recorded one at the same position.
public enum AnswerOutcome: String, Sendable, CaseIterable {
    /// Same opcode and bytes, or (both JSON) the same structure outside the ignored paths.
    case matched
    case differing
    /// Recorded, but the server did not send it (before it closed or the wait timed out).
    case missing
    /// Sent by the server now, beyond what the recording holds.
    case extra
    /// Matches a recorded message, but not the next one in recorded order: the peer reordered or
    /// skipped messages (found within `maxMatchLookahead`, see `AnswerTally`). A divergence.
    case outOfOrder = "out_of_order"
}

/// What "the same message" means when a live message is compared with a recorded one (`--match`).
public enum MessageMatch: String, Sendable, CaseIterable {
    /// Same opcode and the same bytes.
    case exact
    /// Same opcode, and the same bytes or, when both are JSON, the same structure outside the
    /// `--ignore` paths (the default, and what replay always does).
    case json
    /// Same opcode (text, binary, ping, close …) whatever the payload: for clients whose messages
    /// carry ids or times throughout and only the sequence of message kinds matters.
    case opcode
}

/// The comparison of one server answer: its position among the server's messages, both sides as
/// far as they exist, and what differs in a readable form.
public struct AnswerComparison: Sendable {
    /// 0-based position among the recorded messages of the peer on this connection (for an extra
    /// message, one past the recording and counting on).
    public var index: Int
    public var outcome: AnswerOutcome
    public var expectedOpcode: WebSocketOpcode?
    public var actualOpcode: WebSocketOpcode?
    public var expectedLength: Int?
    public var actualLength: Int?
    /// Both payloads were JSON and compared structurally (`jsonDifferences` says where they differ).
    public var comparedAsJSON: Bool
    public var jsonDifferences: [JSONDifference]
    /// For a non-JSON difference: a one-line description (opcode change, first differing byte).
    public var detail: String?
    /// Short previews of both payloads, for the report.
    public var expectedPreview: String?
    public var actualPreview: String?
    /// 0-based position of the live message among those the peer sent, when it is not `index`
    /// (an out-of-order match).
    public var receivedIndex: Int? = nil
}

/// Compares server answers with the recording: exact bytes by default, structurally when both are
/// JSON so that `--ignore` can skip fields that legitimately change; `mode` narrows or widens that.
public struct AnswerComparator: Sendable {
    public var ignoring: [JSONPathPattern]
    public var mode: MessageMatch
    /// Differences kept per answer (default 20): enough to read, bounded for a wholly changed document.
    public var maxDifferencesPerAnswer: Int
    /// Characters shown of a payload in previews (default 80).
    public var maxPreviewCharacters: Int

    public init(ignoring: [JSONPathPattern] = [], mode: MessageMatch = .json, maxDifferencesPerAnswer: Int = 20, maxPreviewCharacters: Int = 80) {
        self.ignoring = ignoring
        self.mode = mode
        self.maxDifferencesPerAnswer = maxDifferencesPerAnswer
        self.maxPreviewCharacters = maxPreviewCharacters
    }

    /// Pairs answers by position; those beyond the shorter list are missing or extra.
    public func compare(expected: [ReplayMessage], actual: [ReplayMessage]) -> [AnswerComparison] {
        var results: [AnswerComparison] = []
        for index in 0..<max(expected.count, actual.count) {
            let recorded = index < expected.count ? expected[index] : nil
            let received = index < actual.count ? actual[index] : nil
            results.append(compare(recorded, received, index: index))
        }
        return results
    }

    /// Only the outcome of `compare(_:_:index:)`, without previews or the list of differences: what
    /// an answer that is counted but not listed costs.
    public func outcome(_ expected: ReplayMessage?, _ actual: ReplayMessage?) -> AnswerOutcome {
        guard let expected, let actual else { return expected == nil ? .extra : .missing }
        if expected.opcode != actual.opcode { return .differing }
        if mode == .opcode || expected.payload == actual.payload { return .matched }
        // JSON, or a Socket.IO packet with JSON data (then its header must match exactly).
        if mode == .json, expected.opcode == .text || expected.opcode == .binary,
            let left = PrefixedJSON(expected.payload), let right = PrefixedJSON(actual.payload) {
            guard left.header.elementsEqual(right.header) else { return .differing }
            return JSONDiff.differences(left.value, right.value, ignoring: ignoring, maxDifferences: 1).isEmpty ? .matched : .differing
        }
        return .differing
    }

    public func compare(_ expected: ReplayMessage?, _ actual: ReplayMessage?, index: Int) -> AnswerComparison {
        var result = AnswerComparison(
            index: index, outcome: .matched, expectedOpcode: expected?.opcode, actualOpcode: actual?.opcode,
            expectedLength: expected?.payload.count, actualLength: actual?.payload.count, comparedAsJSON: false,
            jsonDifferences: [], detail: nil, expectedPreview: expected.map { preview($0) }, actualPreview: actual.map { preview($0) })
        guard let expected, let actual else {
            result.outcome = expected == nil ? .extra : .missing
            return result
        }
        if expected.opcode != actual.opcode {
            result.outcome = .differing
            result.detail = "opcode \(expected.opcode) was recorded, now \(actual.opcode)"
            return result
        }
        if mode == .opcode { return result }
        // JSON, or a Socket.IO packet with JSON data (then its header must match exactly).
        if mode == .json, expected.opcode == .text || expected.opcode == .binary,
            let left = PrefixedJSON(expected.payload), let right = PrefixedJSON(actual.payload), left.header.elementsEqual(right.header) {
            result.comparedAsJSON = true
            result.jsonDifferences = JSONDiff.differences(left.value, right.value, ignoring: ignoring, maxDifferences: maxDifferencesPerAnswer)
            result.outcome = result.jsonDifferences.isEmpty ? .matched : .differing
            return result
        }
        if expected.payload != actual.payload {
            result.outcome = .differing
            let offset = zip(expected.payload, actual.payload).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expected.payload.count, actual.payload.count)
            result.detail = "payloads differ from byte \(offset) (recorded \(expected.payload.count) bytes, now \(actual.payload.count))"
        }
        return result
    }

    /// Text (unquoted) when the payload is valid UTF-8 (close frames: code and reason), otherwise a hex prefix.
    func preview(_ message: ReplayMessage) -> String {
        if message.opcode == .close {
            guard message.payload.count >= 2 else { return "(no status)" }
            let code = UInt16(message.payload[0]) << 8 | UInt16(message.payload[1])
            return "\(code) \(String(decoding: message.payload[2...], as: UTF8.self))"
        }
        if let text = String(validating: message.payload, as: UTF8.self) {
            let cut = text.count > maxPreviewCharacters ? String(text.prefix(maxPreviewCharacters)) + "…" : text
            return cut
        }
        let hexDigits = Array("0123456789abcdef")
        let prefix = message.payload.prefix(maxPreviewCharacters / 2).map { "\(hexDigits[Int($0 >> 4)])\(hexDigits[Int($0 & 0xf)])" }.joined()
        return "0x" + prefix + (message.payload.count > maxPreviewCharacters / 2 ? "…" : "")
    }
}
