import Foundation
import Testing
@testable import Conversation
import Sessions
import WebSocketProtocol

/// Edge cases of the engine's limits with hand-made values: durations from files and flags, the
/// answer tally under a flood, request-head syntax, and message sizes from session files.
@Suite struct ConversationLimitsTests {
    @Test(arguments: [
        (1e300, ConversationClock.maxWaitSeconds), (-1, 0), (Double.nan, 0), (Double.infinity, ConversationClock.maxWaitSeconds),
        (1.5, 1.5), (0, 0),
    ] as [(Double, Double)])
    func clockClampsEveryDuration(_ seconds: Double, _ expected: Double) {
        #expect(ConversationClock.nanoseconds(seconds) == Int64(expected * 1e9))
    }

    @Test func scheduleCutsLongGapsAndCountsThem() {
        var schedule = RecordedSchedule(start: 100, speed: 1, maxGap: 60)
        #expect(schedule.offset(forRecorded: 101) == 1)
        #expect(schedule.offset(forRecorded: 1e300) == 61)
        #expect(schedule.offset(forRecorded: 50) == 61, "a time before the latest one adds no wait")
        #expect(schedule.offset(forRecorded: 1e300 + 1e9) == 61, "1e300 + 1e9 is 1e300 in a double: no gap")
        #expect(schedule.cappedGaps == 1 && schedule.longestCappedGap == 1e300 - 101)
        #expect(schedule.note?.contains("1 recorded gap(s) longer than 60.0 s were cut to 60.0 s") == true)
    }

    @Test func scheduleDividesBySpeedBeforeCutting() {
        var schedule = RecordedSchedule(start: 0, speed: 0.001, maxGap: 60)
        #expect(schedule.offset(forRecorded: 0.05) == 50)
        #expect(schedule.offset(forRecorded: 0.15) == 110, "0.1 s at speed 0.001 is 100 s, cut to 60")
        #expect(schedule.cappedGaps == 1)
        var untouched = RecordedSchedule(start: 0, speed: 2, maxGap: 60)
        #expect(untouched.offset(forRecorded: 10) == 5 && untouched.note == nil)
    }

    /// A million answers, all beyond the recording: counted exactly, listed within the limits.
    @Test func tallyCountsEveryAnswerAndListsABoundedNumber() {
        let expected = [ReplayMessage(opcode: .text, payload: Array("a".utf8)), ReplayMessage(opcode: .text, payload: Array("b".utf8))]
        var tally = AnswerTally(expected: expected, comparator: AnswerComparator(), maxListedMatches: 10, maxListedDifferences: 100)
        tally.record(ReplayMessage(opcode: .text, payload: Array("a".utf8)))
        tally.record(ReplayMessage(opcode: .text, payload: Array("c".utf8)))
        for _ in 0..<1_000_000 { tally.record(ReplayMessage(opcode: .ping, payload: [])) }
        tally.finish()
        #expect(tally.counts == [.matched: 1, .differing: 1, .extra: 1_000_000])
        #expect(tally.listed.count == 101)
        #expect(tally.listed.prefix(2).map(\.outcome) == [.matched, .differing])
        #expect(tally.unlisted == 1_000_000 - 99)
        #expect(tally.note?.contains("999901 answer(s) counted but not listed") == true)
    }

    @Test func tallyReportsMissingAnswersOnce() {
        let expected = (0..<5).map { ReplayMessage(opcode: .binary, payload: [UInt8($0)]) }
        var tally = AnswerTally(expected: expected, comparator: AnswerComparator(), maxListedMatches: 10, maxListedDifferences: 2)
        tally.record(expected[0])
        tally.finish()
        tally.finish()
        #expect(tally.counts == [.matched: 1, .missing: 4])
        #expect(tally.listed.map(\.outcome) == [.matched, .missing, .missing])
    }

    @Test func outcomeAgreesWithTheFullComparison() throws {
        let comparator = AnswerComparator(ignoring: [try JSONPathPattern("$.ts")])
        let pairs: [(ReplayMessage?, ReplayMessage?)] = [
            (.init(opcode: .text, payload: Array("{\"a\":1,\"ts\":1}".utf8)), .init(opcode: .text, payload: Array("{\"ts\":2,\"a\":1.0}".utf8))),
            (.init(opcode: .text, payload: Array("{\"a\":1}".utf8)), .init(opcode: .text, payload: Array("{\"a\":2}".utf8))),
            (.init(opcode: .binary, payload: [1]), .init(opcode: .text, payload: [1])),
            (.init(opcode: .binary, payload: [1]), nil), (nil, .init(opcode: .ping, payload: [])),
        ]
        for (expected, actual) in pairs {
            #expect(comparator.outcome(expected, actual) == comparator.compare(expected, actual, index: 0).outcome)
        }
    }

    @Test func aHugeJSONDifferenceIsSummarised() {
        let big = "[" + Array(repeating: "1", count: 5_000).joined(separator: ",") + "]"
        let left = JSONValue.parse(Array("{\"a\":\(big)}".utf8))!
        let right = JSONValue.parse(Array("{\"a\":null}".utf8))!
        let difference = JSONDiff.differences(left, right)[0]
        #expect(difference.expected == "\"(array of 10001 bytes of JSON)\"")
        #expect(difference.actual == "null")
    }

    @Test(arguments: [
        ("Sec-WebSocket-Protocol", true), ("X-A!#$%&'*+-.^_`|~9", true), ("", false), ("Bad Name", false), ("X:Y", false),
        ("X\r\nY", false), ("Ä", false), ("X\u{0}", false),
    ])
    func headerNamesAreTokens(_ name: String, _ valid: Bool) {
        #expect(HTTPFieldSyntax.isToken(name) == valid)
    }

    @Test(arguments: [("/chat?room=7", true), ("/é", true), ("/a b", false), ("chat", false), ("", false), ("/a\r\n", false), ("/\u{7F}", false), ("/\t", false)])
    func requestTargetsAreOriginForm(_ target: String, _ valid: Bool) {
        #expect(HTTPFieldSyntax.isOriginForm(target) == valid)
    }

    static func connection(target: String = "/", headers: [SessionHeader]) -> SessionConnection {
        var request = SessionRequestHead(HTTPRequestHead(method: "GET", target: target, version: "HTTP/1.1", headers: HTTPHeaders([])))
        request.headers = headers
        return SessionConnection(
            id: 3, client: "127.0.0.1:1", server: "127.0.0.1:2", start: 0, request: request, response: nil, subprotocol: nil, extensions: [],
            messages: [])
    }

    @Test func requestProblemsNameTheConnectionAndTheHeader() {
        #expect(Self.connection(headers: [.init(name: "X-A", value: "b\tc")]).requestProblem == nil)
        #expect(Self.connection(headers: [.init(name: "X-A", value: "b\r\nX-B: c")]).requestProblem
            == "connection 3: the request header \"X-A\" has a CR, LF or NUL in its value")
        #expect(Self.connection(headers: [.init(name: "X A", value: "b")]).requestProblem
            == "connection 3: the request header name \"X A\" is not an HTTP token")
        #expect(Self.connection(target: "/x\r\nY: z", headers: []).requestProblem?.hasPrefix("connection 3: the request target \"/x\\r\\nY: z\"") == true)
    }

    @Test func pseudoHeadersOfHTTP2AreNeitherCheckedNorSent() throws {
        let connection = Self.connection(headers: [.init(name: ":authority", value: "example.test"), .init(name: "Origin", value: "https://example.test")])
        #expect(connection.requestProblem == nil)
        let request = HandshakeRequest(recorded: connection, replayTarget: try ReplayTarget(parsing: "ws://127.0.0.1:9"), overrides: [], key: "k")
        let text = String(decoding: request.bytes, as: UTF8.self)
        #expect(!text.contains(":authority") && text.contains("Origin: https://example.test\r\n"))
    }

    @Test func aSessionMessageOverMaxMessageBytesIsRefusedBeforeDecoding() throws {
        let payload = Base64.encode(Array(repeating: 7, count: 1000))
        let client = SessionMessage(from: "client", opcode: "binary", time: 1, payload: payload)
        let server = SessionMessage(from: "server", opcode: "binary", time: 2, payload: payload)
        #expect(client.decodedPayloadLength == 1000)
        var connection = Self.connection(headers: [])
        connection.messages = [server]
        let script = try ConversationScript(connection: connection, role: .client, maxMessageBytes: 999)
        #expect(script.expected.first?.payload == [])
        #expect(script.notes == ["recorded server message 0 it is larger than --max-message-bytes (999 bytes); its comparison is approximate"])
        connection.messages = [client]
        #expect(throws: ConversationScript.Unplayable.self) { try ConversationScript(connection: connection, role: .client, maxMessageBytes: 999) }
        #expect((try? ConversationScript(connection: connection, role: .client, maxMessageBytes: 1000)) != nil)
    }

    @Test(arguments: [("", 0), ("QQ==", 1), ("QUI=", 2), ("QUJD", 3), ("QUJDRA==", 4)])
    func decodedPayloadLengthMatchesDecoding(_ base64: String, _ length: Int) {
        let message = SessionMessage(from: "client", opcode: "binary", time: 0, payload: base64)
        #expect(message.decodedPayloadLength == length && message.payloadBytes?.count == length)
    }
}
