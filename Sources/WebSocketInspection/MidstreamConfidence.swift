import TCPReassembly

/// How sure wstap is about a connection picked up mid-stream (no handshake captured): in how many
/// directions a frame chain was proven under the roles it chose (MidstreamRoleTrial.swift).
public enum MidstreamConfidence: String, Sendable, CaseIterable {
    /// Both directions proved a frame chain, each with the masking its role requires.
    case high
    /// One direction proved a frame chain.
    case medium
    /// No direction proved one (the roles are guessed from the ports; `undecoded_connection`).
    case low

    init(provenDirections: Int) {
        self = provenDirections >= 2 ? .high : (provenDirections == 1 ? .medium : .low)
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
