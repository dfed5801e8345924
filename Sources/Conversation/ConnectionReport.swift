import Sessions
import Output

/// Why a connection could not be replayed at all (exit status 2).
public enum ReplayFailure: Error, Sendable, CustomStringConvertible {
    case connect(String)
    case handshake(String)
    case unreplayable(String)
    case send(String)

    public var description: String {
        switch self {
        case .connect(let detail): return "could not connect: \(detail)"
        case .handshake(let detail): return detail
        case .unreplayable(let detail): return "cannot replay: \(detail)"
        case .send(let detail): return "sending failed: \(detail)"
        }
    }
}

/// The outcome of replaying one recorded connection.
public struct ConnectionReport: Sendable {
    /// The recorded connection number.
    public var id: Int
    public var recordedClient: String
    public var recordedServer: String
    public var path: String
    /// The new handshake's status line, subprotocol and extensions.
    public var statusLine: String?
    public var subprotocol: String?
    public var recordedSubprotocol: String?
    public var extensions: [String] = []
    public var failure: ReplayFailure?
    /// Client messages sent / recorded.
    public var sent = 0
    public var recordedClientMessages = 0
    public var answers: [AnswerComparison] = []
    /// Things worth knowing that are not differences: timeouts, server protocol anomalies.
    public var notes: [String] = []
    public var durationSeconds: Double = 0

    public func count(_ outcome: AnswerOutcome) -> Int { answers.filter { $0.outcome == outcome }.count }

    /// All answers matched and nothing failed.
    public var allMatched: Bool { failure == nil && answers.allSatisfy { $0.outcome == .matched } }
}
