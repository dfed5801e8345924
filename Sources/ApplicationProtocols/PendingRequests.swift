import MessageDecoding
import WebSocketProtocol

/// Requests waiting for their answers on one connection, for the `answers` field (latency) and
/// the `unanswered_requests` report at close.
///
/// Bounded: at most `maxOutstanding` requests are followed (default 10 000); a request beyond that
/// is not followed and reported once as an `app_decoder_limit`, so 10^6 ids never answered cost
/// no more than the limit.
public struct PendingRequests<Key: Hashable & Sendable>: Sendable {
    public static var defaultMaxOutstanding: Int { 10_000 }

    public let maxOutstanding: Int
    private var waiting: [Key: Entry] = [:]
    /// Insertion order for the report at close (keys may repeat after reuse; stale ones skipped).
    private var order: [Key] = []
    private var refused = 0
    private var reportedLimit = false

    struct Entry: Sendable {
        var time: Double
        var label: String
        /// What the request was about (an event, topic, method): the answer's `request` field.
        var name: String?
    }

    public init(maxOutstanding: Int = Self.defaultMaxOutstanding) {
        self.maxOutstanding = max(1, maxOutstanding)
    }

    public var count: Int { waiting.count }

    /// Starts waiting for `key`'s answer. Returns a problem the first time the limit refuses one.
    public mutating func request(_ key: Key, at time: Double, label: String, name: String? = nil) -> MessageAnnotation.Problem? {
        if waiting[key] == nil && waiting.count >= maxOutstanding {
            refused += 1
            guard !reportedLimit else { return nil }
            reportedLimit = true
            return MessageAnnotation.Problem(.limit, "more than maxOutstandingRequests (\(maxOutstanding)) requests waiting for answers: further ones are not paired")
        }
        if waiting[key] == nil { order.append(key) }
        waiting[key] = Entry(time: time, label: label, name: name)
        if order.count > 2 * maxOutstanding { order.removeAll { waiting[$0] == nil } }
        return nil
    }

    /// The answer to `key` arrived: the `answers` field, and the request is no longer waiting
    /// (unless `keep`, for answers that come in several parts such as GraphQL `next`).
    public mutating func answer(_ key: Key, at time: Double, keep: Bool = false) -> MessageAnnotation.Field? {
        guard let entry = keep ? waiting[key] : waiting.removeValue(forKey: key) else { return nil }
        return Self.answersField(requestTime: entry.time, answerTime: time, request: entry.name)
    }

    /// Forgets `key` without an answer (a cancelled subscription).
    public mutating func cancel(_ key: Key) {
        waiting[key] = nil
    }

    /// `"answers":{"ts":…,"latency_ms":…,"request":…}`: when the request was seen, how long the
    /// answer took, and what the request was about (its event, topic or method) when known.
    public static func answersField(requestTime: Double, answerTime: Double, request: String? = nil) -> MessageAnnotation.Field {
        let latency = (answerTime - requestTime) * 1000
        var text = #"{"ts":\#(formatSeconds(requestTime)),"latency_ms":\#(formatMilliseconds(latency))"#
        if let request { text += #","request":"# + JSONNode.quoted(request) }
        return .init(json: "answers", text + "}")
    }

    static func formatSeconds(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "0" }
        let micros = (seconds * 1_000_000).rounded()
        let whole = Int64(micros / 1_000_000)
        var fraction = String(Int64(micros) - whole * 1_000_000)
        while fraction.count < 6 { fraction = "0" + fraction }
        return "\(whole).\(fraction)"
    }

    static func formatMilliseconds(_ milliseconds: Double) -> String {
        guard milliseconds.isFinite else { return "0" }
        let thousandths = Int64((milliseconds * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = thousandths.magnitude
        var fraction = String(magnitude % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        return "\(sign)\(magnitude / 1000).\(fraction)"
    }

    /// At close: one `unanswered` problem naming the first few requests still waiting.
    public mutating func finish() -> [MessageAnnotation.Problem] {
        let left = order.filter { waiting[$0] != nil }
        var seen = Set<Key>()
        let unique = left.filter { seen.insert($0).inserted }
        guard !unique.isEmpty || refused > 0 else { return [] }
        let named = unique.prefix(5).compactMap { waiting[$0]?.label }
        var detail = "\(unique.count) request(s) never answered"
        if !named.isEmpty { detail += ": " + named.joined(separator: ", ") + (unique.count > named.count ? ", …" : "") }
        if refused > 0 { detail += "; \(refused) more not followed (maxOutstandingRequests)" }
        waiting.removeAll()
        order.removeAll()
        return [MessageAnnotation.Problem(.unanswered, detail)]
    }
}
