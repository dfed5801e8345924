/// Compares the live peer's messages with the recorded ones as they arrive, and keeps only what the
/// report needs: exact counts per outcome and a bounded list of comparisons.
///
/// A peer can send without end (a flood of tiny frames, a million pings): every message is compared
/// the moment it is decoded and then dropped, so memory does not grow with what the peer sends.
/// The first `maxListedMatches` matched answers and the first `maxListedDifferences` divergent ones
/// (differing, missing or extra) are kept for the report; the rest are only counted.
public struct AnswerTally: Sendable {
    /// Matched answers listed in the report (default 1,000): `--format jsonl` prints one line per
    /// listed answer, enough to follow any ordinary conversation answer by answer.
    public static let defaultMaxListedMatches = 1_000
    /// Divergent answers listed with their details (default 1,000; each holds short previews and at
    /// most `AnswerComparator.maxDifferencesPerAnswer` JSON differences).
    public static let defaultMaxListedDifferences = 1_000

    public let comparator: AnswerComparator
    public let expected: [ReplayMessage]
    public let maxListedMatches: Int
    public let maxListedDifferences: Int
    /// Peer messages received so far.
    public private(set) var received = 0
    public private(set) var counts: [AnswerOutcome: Int] = [:]
    /// The listed comparisons, in order of their index.
    public private(set) var listed: [AnswerComparison] = []
    /// Answers counted but not listed.
    public private(set) var unlisted = 0
    private var listedMatches = 0
    private var listedDifferences = 0
    private var finished = false

    public init(
        expected: [ReplayMessage], comparator: AnswerComparator, maxListedMatches: Int = defaultMaxListedMatches,
        maxListedDifferences: Int = defaultMaxListedDifferences
    ) {
        self.expected = expected
        self.comparator = comparator
        self.maxListedMatches = maxListedMatches
        self.maxListedDifferences = maxListedDifferences
    }

    /// Compares the next message the peer sent with the recorded one at the same position.
    public mutating func record(_ actual: ReplayMessage) {
        let index = received
        received += 1
        let recorded = index < expected.count ? expected[index] : nil
        let outcome = comparator.outcome(recorded, actual)
        guard shouldList(outcome) else {
            count(outcome, listed: false)
            return
        }
        listed.append(comparator.compare(recorded, actual, index: index))
        count(outcome, listed: true)
    }

    /// The peer is done: recorded answers it did not send are missing. Idempotent.
    public mutating func finish() {
        guard !finished else { return }
        finished = true
        guard received < expected.count else { return }
        for index in received..<expected.count {
            if shouldList(.missing) {
                listed.append(comparator.compare(expected[index], nil, index: index))
                count(.missing, listed: true)
            } else {
                count(.missing, listed: false)
            }
        }
    }

    private func shouldList(_ outcome: AnswerOutcome) -> Bool {
        outcome == .matched ? listedMatches < maxListedMatches : listedDifferences < maxListedDifferences
    }

    private mutating func count(_ outcome: AnswerOutcome, listed isListed: Bool) {
        counts[outcome, default: 0] += 1
        if !isListed {
            unlisted += 1
        } else if outcome == .matched {
            listedMatches += 1
        } else {
            listedDifferences += 1
        }
    }

    /// The report's note when some answers were only counted, nil otherwise.
    public var note: String? {
        guard unlisted > 0 else { return nil }
        return "\(unlisted) answer(s) counted but not listed (at most \(maxListedMatches) matched and \(maxListedDifferences) divergent answers are listed per connection)"
    }
}
