import Sessions

/// Picks the recorded connection a new client plays: the recorded connections whose request
/// target (path and query) is the client's, preferring those whose recorded subprotocol the
/// client asks for, and among those the one served least often so far (ties: recording order) —
/// so clients that open the same path twice get the recording's connections in turn. A recorded
/// connection without a handshake (mid-stream capture) has no path; it is played to a client only
/// when no connection with a recorded path matches.
///
/// Without `loop` each recorded connection is played once: a client whose path matches only
/// connections already played is refused (404, saying so), and `allPlayed` tells the server to
/// stop accepting. With `loop` (`--loop`) connections are played again, in turn, without end.
///
/// An actor because clients are matched from concurrent tasks.
public actor RecordedConnectionMatcher {
    public enum Match: Sendable {
        case connection(SessionConnection)
        /// No recorded connection has this path: the one-line reason lists those that exist.
        case noMatch(String)
    }

    private let connections: [SessionConnection]
    private let loop: Bool
    private var served: [Int: Int] = [:]

    public init(connections: [SessionConnection], loop: Bool = true) {
        self.connections = connections
        self.loop = loop
    }

    /// Without `loop`: every recorded connection has been handed to a client.
    public var allPlayed: Bool { !loop && connections.allSatisfy { served[$0.id, default: 0] > 0 } }

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
        if !loop {
            let unplayed = candidates.filter { served[$0.id, default: 0] == 0 }
            guard !unplayed.isEmpty else {
                return .noMatch("the recorded connection(s) for the path \(Self.shown(target)) were already played (--loop plays them again)")
            }
            candidates = unplayed
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
