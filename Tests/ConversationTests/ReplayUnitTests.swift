import Foundation
import Testing
@testable import Conversation
import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

@Suite struct JSONComparisonTests {
    static func json(_ text: String) -> JSONValue { JSONValue.parse(Array(text.utf8))! }

    @Test(arguments: [
        ("{\"a\":1,\"ts\":5}", "{\"ts\":6,\"a\":1.0}", ["$.ts"], [String]()),
        ("{\"a\":1,\"ts\":5}", "{\"ts\":6,\"a\":2}", ["$.ts"], ["$.a"]),
        ("{\"items\":[{\"id\":1,\"v\":2}]}", "{\"items\":[{\"id\":9,\"v\":2}]}", ["$.items[*].id"], []),
        ("{\"x\":{\"y\":{\"ts\":1}}}", "{\"x\":{\"y\":{\"ts\":2}}}", ["$..ts"], []),
        ("{\"a\":[1,2]}", "{\"a\":[1]}", [], ["$.a[1]"]),
        ("{\"a b\":true}", "{\"a b\":false}", [], ["$[\"a b\"]"]),
        ("{\"meta\":{\"t\":1,\"u\":2}}", "{\"meta\":{}}", ["$.meta"], []),
    ])
    func differences(_ recorded: String, _ now: String, _ ignore: [String], _ expected: [String]) throws {
        let patterns = try ignore.map { try JSONPathPattern($0) }
        let found = JSONDiff.differences(Self.json(recorded), Self.json(now), ignoring: patterns).map(\.path)
        #expect(found == expected)
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[1,]", "01", "nul", "\"\\x\"", "1 2"])
    func rejectsInvalidJSON(_ text: String) {
        #expect(JSONValue.parse(Array(text.utf8)) == nil)
    }

    @Test func refusesDeepNestingInsteadOfOverflowingTheStack() {
        #expect(JSONValue.parse(Array(String(repeating: "[", count: 100_000).utf8)) == nil)
    }

    @Test(arguments: ["ts", "$.a[?(@.x)]", "$.a[1:2]", "$."])
    func rejectsUnsupportedPaths(_ text: String) {
        #expect(throws: JSONPathPattern.ParseError.self) { try JSONPathPattern(text) }
    }

    @Test func ignorePathsApplyInsideSocketIOArguments() throws {
        let comparator = AnswerComparator(ignoring: [try JSONPathPattern("$[1].ts")])
        let recorded = ReplayMessage(opcode: .text, payload: Array(#"42/chat,3["news",{"ts":1,"n":2}]"#.utf8))
        let same = ReplayMessage(opcode: .text, payload: Array(#"42/chat,3["news",{"n":2,"ts":99}]"#.utf8))
        #expect(comparator.compare(recorded, same, index: 0).outcome == .matched)
        #expect(comparator.outcome(recorded, same) == .matched)
        let otherArgument = ReplayMessage(opcode: .text, payload: Array(#"42/chat,3["news",{"ts":1,"n":3}]"#.utf8))
        #expect(comparator.compare(recorded, otherArgument, index: 0).outcome == .differing)
        let otherAck = ReplayMessage(opcode: .text, payload: Array(#"42/chat,4["news",{"ts":1,"n":2}]"#.utf8))
        #expect(comparator.outcome(recorded, otherAck) == .differing)
        #expect(comparator.compare(recorded, otherAck, index: 0).outcome == .differing)
    }

    @Test func nonJSONPayloadsCompareByBytes() {
        let comparator = AnswerComparator()
        let result = comparator.compare(ReplayMessage(opcode: .binary, payload: [1, 2, 3]), ReplayMessage(opcode: .binary, payload: [1, 9, 3]), index: 0)
        #expect(result.outcome == .differing)
        #expect(result.detail?.contains("byte 1") == true)
        #expect(comparator.compare(ReplayMessage(opcode: .text, payload: [65]), nil, index: 2).outcome == .missing)
        #expect(comparator.compare(nil, ReplayMessage(opcode: .text, payload: [65]), index: 2).outcome == .extra)
    }
}

@Suite struct ReplayTargetTests {
    @Test(arguments: [
        ("ws://127.0.0.1:8080", false, "127.0.0.1", 8080, "127.0.0.1:8080"),
        ("wss://example.test", true, "example.test", 443, "example.test"),
        ("ws://[::1]:9000/", false, "::1", 9000, "[::1]:9000"),
    ])
    func parses(_ text: String, _ secure: Bool, _ host: String, _ port: Int, _ hostHeader: String) throws {
        let target = try ReplayTarget(parsing: text)
        #expect(target.secure == secure && target.host == host && target.port == port && target.hostHeader == hostHeader)
    }

    @Test(arguments: ["http://x:1", "ws://:80", "ws://h:0", "ws://h:99999", "ws://h:1/path", "ws://u@h:1"])
    func refuses(_ text: String) {
        #expect(throws: ReplayTarget.ParseError.self) { try ReplayTarget(parsing: text) }
    }
}

@Suite struct FrameEncoderTests {
    @Test func keepsRecordedFragmentationOfUncompressedMessages() throws {
        let encoder = try FrameEncoder(compression: nil)
        let message = ReplayMessage(opcode: .text, payload: Array("fragmented".utf8), fragmentLengths: [4, 6, 0])
        let frames = try encoder.frames(for: message)
        #expect(frames.map(\.payload.count) == [4, 6, 0])
        #expect(frames.map(\.opcode) == [.text, .continuation, .continuation])
        #expect(frames.map(\.fin) == [false, false, true])
    }

    @Test func recompressedMessageKeepsItsFrameCountAndInflatesBack() throws {
        let parameters = PerMessageDeflateParameters(clientMaxWindowBits: 12)
        let encoder = try FrameEncoder(compression: parameters)
        let text = Array(String(repeating: "telemetry ", count: 80).utf8)
        let frames = try encoder.frames(for: ReplayMessage(opcode: .text, payload: text, fragmentLengths: [10, 30, 20, 0], compressed: true))
        #expect(frames.count == 4)
        #expect(frames.first?.rsv1 == true && frames.dropFirst().allSatisfy { !$0.rsv1 })
        let inflater = PerMessageInflater(windowBits: 12, noContextTakeover: false)
        #expect(inflater.inflate(message: frames.flatMap(\.payload)) == .inflated(text))
    }

    @Test func masksEveryFrame() {
        let buffer = FrameEncoder.encode(.init(fin: true, rsv1: false, opcode: .text, payload: Array(repeating: 0, count: 200)), allocator: .init())
        let bytes = Array(buffer.readableBytesView)
        #expect(bytes[0] == 0x81 && bytes[1] == 0x80 | 126)
        #expect(bytes.count == 2 + 2 + 4 + 200)
    }
}

@Suite struct SessionFileTests {
    @Test func roundTripsAndRefusesOtherJSON() throws {
        let message = SessionMessage(from: "client", opcode: "reserved-0x3", time: 1.5, payload: "AAE=", fragmentLengths: [1, 1])
        let file = SessionFile(connections: [SessionConnection(
            id: 4, client: "127.0.0.1:1", server: "127.0.0.1:2", start: 1, request: nil, response: nil, subprotocol: nil, extensions: [],
            messages: [message])])
        let decoded = try SessionFile.decode(try file.encoded())
        #expect(decoded == file)
        #expect(decoded.connections[0].messages[0].opcodeValue == WebSocketOpcode(rawValue: 3))
        #expect(throws: SessionFileError.self) { try SessionFile.decode(Data("{\"format\":\"har\",\"version\":1,\"connections\":[]}".utf8)) }
    }
}
