import Testing
@testable import Conversation

/// The divergence rule (`AnswerTally`): the next recorded message, else the best match within
/// `maxMatchLookahead` ahead then behind, else the next one as differing; and `--match` modes.
/// The real-client evidence is in EndToEndTests/ServeCommandTests; these pin the edge cases.
@Suite struct AnswerTallyLookaheadTests {
    static func text(_ value: String) -> ReplayMessage { ReplayMessage(opcode: .text, payload: Array(value.utf8)) }
    static let recorded = ["a", "b", "c", "d", "e"].map(text)

    static func run(_ sent: [String], lookahead: Int, mode: MessageMatch = .json) -> AnswerTally {
        var tally = AnswerTally(expected: recorded, comparator: AnswerComparator(mode: mode), maxMatchLookahead: lookahead)
        for value in sent { tally.record(text(value)) }
        tally.finish()
        return tally
    }

    @Test func twoSwappedMessagesAreBothOutOfOrderAndThePositionFollowsTheFurthest() {
        var tally = AnswerTally(expected: Self.recorded, comparator: AnswerComparator(), maxMatchLookahead: 2)
        tally.record(Self.text("a"))
        tally.record(Self.text("c"))
        #expect(tally.position == 3 && tally.paired == 2, "answers recorded after b and c may go out")
        tally.record(Self.text("b"))
        #expect(tally.position == 3 && tally.paired == 3)
        tally.record(Self.text("d"))
        tally.record(Self.text("e"))
        tally.finish()
        #expect(tally.counts == [.matched: 3, .outOfOrder: 2])
        #expect(tally.listed.map(\.index) == [0, 1, 2, 3, 4], "listed in recorded order")
        #expect(tally.listed.filter { $0.outcome == .outOfOrder }.map(\.receivedIndex) == [2, 1])
    }

    @Test func aSkippedMessageIsMissingAndTheRestStillMatch() {
        let tally = Self.run(["a", "c", "d", "e"], lookahead: 1)
        #expect(tally.counts == [.matched: 3, .outOfOrder: 1, .missing: 1], "c out of order; d and e follow it; b missing")
        #expect(tally.listed.first { $0.outcome == .missing }?.index == 1)
    }

    @Test func beyondTheWindowItIsTheNextRecordedAnswerAsDiffering() {
        let tally = Self.run(["a", "e", "b"], lookahead: 2)
        // e is 3 ahead of b: outside a window of 2, so it is compared with b and differs; then b is
        // compared with c (differs too: b was paired) …
        #expect(tally.listed.prefix(2).map(\.outcome) == [.matched, .differing])
        #expect(tally.counts[.outOfOrder] == nil)
    }

    @Test func lookaheadZeroIsComparisonByPosition() {
        let tally = Self.run(["a", "c", "b", "d", "e", "f"], lookahead: 0)
        #expect(tally.counts == [.matched: 3, .differing: 2, .extra: 1])
        #expect(tally.listed.map(\.index) == [0, 1, 2, 3, 4, 5])
    }

    @Test func aFloodBeyondTheRecordingIsExtraWithBoundedWork() {
        var tally = AnswerTally(expected: Self.recorded, comparator: AnswerComparator(), maxMatchLookahead: 1_000)
        for _ in 0..<100_000 { tally.record(Self.text("zzz")) }
        tally.finish()
        #expect(tally.counts == [.differing: 5, .extra: 99_995])
    }

    @Test func matchModes() {
        let json = AnswerComparator(mode: .json)
        let exact = AnswerComparator(mode: .exact)
        let opcode = AnswerComparator(mode: .opcode)
        let spaced = Self.text("{\"a\": 1}")
        let compact = Self.text("{\"a\":1}")
        #expect(json.outcome(spaced, compact) == .matched)
        #expect(exact.outcome(spaced, compact) == .differing)
        #expect(exact.compare(spaced, compact, index: 0).comparedAsJSON == false)
        #expect(opcode.outcome(spaced, Self.text("anything")) == .matched)
        #expect(opcode.outcome(spaced, ReplayMessage(opcode: .binary, payload: [])) == .differing)
    }
}
