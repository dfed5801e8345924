/// Compares the live peer's messages with the recorded ones as they arrive, and keeps only what the
/// report needs: exact counts per outcome and a bounded list of comparisons.
///
/// A peer can send without end (a flood of tiny frames, a million pings): every message is compared
/// the moment it is decoded and then dropped, so memory does not grow with what the peer sends.
/// The first `maxListedMatches` matched answers and the first `maxListedDifferences` divergent ones
/// (differing, missing or extra) are kept for the report; the rest are only counted.
///
/// Which recorded message a live one is compared with (the divergence rule, docs/serve.md): the
/// next one in recorded order (`position`) when it matches; otherwise the first recorded message
/// not yet matched within `maxMatchLookahead` places ahead of it, then behind it, that matches
/// (`out_of_order`: the peer reordered or skipped messages); otherwise the next one, which counts
/// as `differing`. Beyond the recording a message is `extra`. With `maxMatchLookahead` 0 (replay's
/// default) this is plain comparison by position. The window bounds the work per message to
/// 2 × `maxMatchLookahead` + 1 comparisons, whatever the peer sends.
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
    /// Recorded messages ahead of (and behind) the next one that a live message that does not
    /// match the next one is also compared with (`--max-match-lookahead`; 0: by position only).
    public let maxMatchLookahead: Int
    /// Peer messages received so far.
    public private(set) var received = 0
    /// The recorded position the conversation has reached: one past the furthest recorded message
    /// a live one was paired with. Reactive pacing sends what the recording sent after it.
    public private(set) var position = 0
    /// Recorded messages paired with a live one so far.
    public private(set) var paired = 0
    /// Which recorded messages have been paired (one flag per recorded message).
    private var isPaired: [Bool]
    private var extras = 0
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
        maxListedDifferences: Int = defaultMaxListedDifferences, maxMatchLookahead: Int = 0
    ) {
        self.expected = expected
        self.maxMatchLookahead = max(0, maxMatchLookahead)
        isPaired = Array(repeating: false, count: expected.count)
        self.comparator = comparator
        self.maxListedMatches = maxListedMatches
        self.maxListedDifferences = maxListedDifferences
    }

    /// Pairs the next message the peer sent with a recorded one (see the type's rule) and compares them.
    public mutating func record(_ actual: ReplayMessage) {
        let receivedIndex = received
        received += 1
        // Every recorded message from `position` on is still unpaired (it is one past the furthest).
        let outcome: AnswerOutcome
        let index: Int
        if position < expected.count, comparator.outcome(expected[position], actual) == .matched {
            (outcome, index) = (.matched, position)
        } else if let other = pairedOutOfOrder(actual) {
            (outcome, index) = (.outOfOrder, other)
        } else if position < expected.count {
            (outcome, index) = (.differing, position)
        } else {
            (outcome, index) = (.extra, expected.count + extras)
            extras += 1
        }
        if outcome != .extra {
            isPaired[index] = true
            paired += 1
            position = max(position, index + 1)
        }
        tallied(outcome, index: index, actual: actual, receivedIndex: receivedIndex)
    }

    /// The recorded message within the window, not yet paired and other than the next one, that
    /// `actual` matches: ahead first (the peer skipped), then behind (it arrives late).
    private func pairedOutOfOrder(_ actual: ReplayMessage) -> Int? {
        guard maxMatchLookahead > 0 else { return nil }
        let ahead = min(expected.count, position + 1 + maxMatchLookahead)
        for index in min(position + 1, ahead)..<ahead where !isPaired[index] {
            if comparator.outcome(expected[index], actual) == .matched { return index }
        }
        let behind = max(0, position - maxMatchLookahead)
        for index in stride(from: position - 1, through: behind, by: -1) where !isPaired[index] {
            if comparator.outcome(expected[index], actual) == .matched { return index }
        }
        return nil
    }

    private mutating func tallied(_ outcome: AnswerOutcome, index: Int, actual: ReplayMessage, receivedIndex: Int) {
        guard shouldList(outcome) else {
            count(outcome, listed: false)
            return
        }
        var comparison = comparator.compare(index < expected.count ? expected[index] : nil, actual, index: index)
        if outcome == .outOfOrder { comparison.outcome = .outOfOrder }
        if receivedIndex != index { comparison.receivedIndex = receivedIndex }
        listed.append(comparison)
        count(outcome, listed: true)
    }

    /// The peer is done: recorded answers it did not send are missing. Idempotent.
    public mutating func finish() {
        guard !finished else { return }
        finished = true
        defer { listed.sort { $0.index < $1.index } }
        for index in expected.indices where !isPaired[index] {
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
