import TCPReassembly

/// How sure the frame-boundary heuristics are about a connection picked up mid-stream (no
/// handshake captured): how many plausible frame headers chained from the first boundary found.
public enum MidstreamConfidence: String, Sendable, CaseIterable {
    /// Three or more chained headers.
    case high
    /// Two chained headers.
    case medium
    /// One header (at the end of the capture, or before a gap).
    case low

    init(chainedHeaders: Int) {
        self = chainedHeaders >= 3 ? .high : (chainedHeaders == 2 ? .medium : .low)
    }
}

extension TCPCloseReason {
    /// The stable name output uses (`close` events, the sessions overview, docs/jsonl.md).
    public var name: String {
        switch self {
        case .fin: return "fin"
        case .reset: return "reset"
        case .idle: return "idle"
        case .evicted: return "evicted"
        case .endOfCapture: return "end_of_capture"
        case .reused: return "reused"
        }
    }
}
