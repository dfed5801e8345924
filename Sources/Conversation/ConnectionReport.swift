import Sessions
import Output

/// Why a connection could not be replayed at all (exit status 2).
public enum ReplayFailure: Error, Sendable, CustomStringConvertible {
    case connect(String)
    case handshake(String)
    case unreplayable(String)
    case send(String)
    /// `serve`: the client broke the protocol, a limit or a timeout and was disconnected.
    case cutOff(String)

    public var description: String {
        switch self {
        case .connect(let detail): return "could not connect: \(detail)"
        case .handshake(let detail): return detail
        case .unreplayable(let detail): return "cannot replay: \(detail)"
        case .send(let detail): return "sending failed: \(detail)"
        case .cutOff(let detail): return "cut off: \(detail)"
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
    /// Messages of the played role sent / recorded (client messages for `replay`).
    public var sent = 0
    public var recordedClientMessages = 0
    /// The listed comparisons (`AnswerTally` bounds them); `answerCounts` counts every answer.
    public var answers: [AnswerComparison] = []
    /// Every answer of the live peer by outcome, listed or not.
    public var answerCounts: [AnswerOutcome: Int] = [:]
    /// Things worth knowing that are not differences: timeouts, server protocol anomalies.
    public var notes: [String] = []
    public var durationSeconds: Double = 0
    /// The role played: the text report names the sent and compared sides after it.
    public var role: ConversationRole = .client
    /// For `serve`: the live client's address.
    public var peer: String?

    public func count(_ outcome: AnswerOutcome) -> Int { answerCounts[outcome, default: 0] }

    /// All answers matched and nothing failed.
    public var allMatched: Bool { failure == nil && AnswerOutcome.allCases.allSatisfy { $0 == .matched || count($0) == 0 } }
}
