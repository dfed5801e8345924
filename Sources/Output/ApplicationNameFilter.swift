import MessageDecoding

/// `read --event/--topic/--method`: keeps decoded messages by their application-level name, with
/// the wildcards each protocol defines.
///
/// - `event`: a Socket.IO event name; `*` matches any run of characters (Socket.IO has no
///   wildcards of its own; catch-all listeners match every name).
/// - `topic`: an MQTT topic filter (`+` one level, `#` the rest, MQTT 3.1.1 §4.7) against a
///   PUBLISH topic or the filters of a SUBSCRIBE/UNSUBSCRIBE; also against a STOMP destination.
/// - `method`: a JSON-RPC method, or a GraphQL operation name; `*` as for events.
public enum ApplicationNameFilter: Sendable {
    case event(String)
    case topic(String)
    case method(String)
    /// Any of these (an option given several times).
    indirect case any([ApplicationNameFilter])

    public func accepts(_ annotation: MessageAnnotation) -> Bool {
        switch self {
        case .any(let filters):
            return filters.contains { $0.accepts(annotation) }
        case .event(let pattern):
            guard let event = annotation[field: "event"] else { return false }
            return Self.glob(pattern, matches: event)
        case .method(let pattern):
            guard let name = annotation[field: "method"] ?? annotation[field: "operation_name"] else { return false }
            return Self.glob(pattern, matches: name)
        case .topic(let filter):
            if let topic = annotation[field: "topic"] ?? annotation[field: "destination"] {
                return Self.mqtt(filter, matches: topic)
            }
            // A SUBSCRIBE/UNSUBSCRIBE of several filters: any of them.
            guard let list = annotation[field: "subscriptions"] ?? annotation[field: "topics"] else { return false }
            return list.contains(filter)
        }
    }

    /// `*` matches any run of characters, everything else itself.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == text }
        guard text.hasPrefix(parts[0]) else { return false }
        var rest = text.dropFirst(parts[0].count)
        for (index, part) in parts.enumerated().dropFirst() {
            if index == parts.count - 1 { return rest.hasSuffix(part) && rest.count >= part.count }
            guard !part.isEmpty else { continue }
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    /// MQTT topic filter matching: `+` is one level, a final `#` is this level and all below.
    static func mqtt(_ filter: String, matches topic: String) -> Bool {
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        // Wildcards do not match topics starting with `$` (MQTT 3.1.1 §4.7.2).
        if topic.hasPrefix("$"), let first = filterLevels.first, first == "#" || first == "+" { return false }
        for (index, level) in filterLevels.enumerated() {
            if level == "#" { return index == filterLevels.count - 1 }
            guard index < topicLevels.count else { return false }
            if level != "+" && level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }
}
