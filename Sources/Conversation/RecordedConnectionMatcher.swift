import Sessions

/// Picks the recorded connection a new client plays: the recorded connections whose request
/// target (path and query) is the client's, preferring those whose recorded subprotocol the
/// client asks for, and among those the one served least often so far (ties: recording order) —
/// so clients that open the same path twice get the recording's connections in turn. A recorded
/// connection without a handshake (mid-stream capture) has no path; it is played to a client only
/// when no connection with a recorded path matches.
///
/// An actor because clients are matched from concurrent tasks.
public actor RecordedConnectionMatcher {
    public enum Match: Sendable {
        case connection(SessionConnection)
        /// No recorded connection has this path: the one-line reason lists those that exist.
        case noMatch(String)
    }

    private let connections: [SessionConnection]
    private var served: [Int: Int] = [:]

    public init(connections: [SessionConnection]) {
        self.connections = connections
    }

    /// The recorded targets, in recording order, without repeats.
    public nonisolated var recordedPaths: [String] {
        var seen: Set<String> = []
        return connections.compactMap { $0.request?.target }.filter { seen.insert($0).inserted }
    }

    public func match(target: String, subprotocols: [String]) -> Match {
        var candidates = connections.filter { $0.request?.target == target }
        if candidates.isEmpty { candidates = connections.filter { $0.request == nil } }
        guard !candidates.isEmpty else {
            let paths = recordedPaths
            let listed = paths.prefix(ServeConfiguration.maxListedPaths).joined(separator: ", ")
            let more = paths.count > ServeConfiguration.maxListedPaths ? " and \(paths.count - ServeConfiguration.maxListedPaths) more" : ""
            return .noMatch("no recorded connection has the path \(Self.shown(target)); recorded paths: \(listed.isEmpty ? "none" : listed + more)")
        }
        let withSubprotocol = candidates.filter { $0.subprotocol.map(subprotocols.contains) ?? subprotocols.isEmpty }
        if !withSubprotocol.isEmpty { candidates = withSubprotocol }
        let chosen = candidates.min { served[$0.id, default: 0] < served[$1.id, default: 0] }!
        served[chosen.id, default: 0] += 1
        return .connection(chosen)
    }

    /// A client's target as printed: at most 200 characters, control characters escaped, so a
    /// hostile request line cannot write to the terminal.
    static func shown(_ target: String) -> String {
        let cut = target.count > 200 ? String(target.prefix(200)) + "…" : target
        return cut.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }
}
