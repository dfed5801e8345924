import ApplicationProtocols
import MessageDecoding
import Testing

/// MQTT edge cases the real peers do not produce (byte layouts from the MQTT 3.1.1 and 5 specs).
struct MQTTDecoderTests {
    /// CONNACK (3.1.1, §3.2) and a QoS 0 PUBLISH of "21.5" to sensors/1 (§3.3).
    static let connack: [UInt8] = [0x20, 0x02, 0x00, 0x00]
    static let publish: [UInt8] = [0x30, 0x0f, 0x00, 0x09] + Array("sensors/1".utf8) + Array("21.5".utf8)
    /// PUBLISH QoS 1 packet id 7, and its PUBACK.
    static let publishQoS1: [UInt8] = [0x32, 0x11, 0x00, 0x09] + Array("sensors/1".utf8) + [0x00, 0x07] + Array("21.5".utf8)
    static let puback: [UInt8] = [0x40, 0x02, 0x00, 0x07]

    @Test func packetsPackedInOneMessageAreAllDecoded() throws {
        var decoder = MQTTDecoder()
        let annotation = try annotated(&decoder, binary(Self.connack + Self.publish, from: .serverToClient))
        #expect(annotation[field: "type"] == "CONNACK")
        #expect(annotation[field: "packets"] == "2")
        #expect(annotation[field: "more"]?.contains(#""topic":"sensors/1""#) == true)
        #expect(annotation.problems.isEmpty)
    }

    @Test func aPacketSplitAcrossMessagesIsJoined() throws {
        var decoder = MQTTDecoder()
        let first = try annotated(&decoder, binary(Array(Self.publishQoS1.prefix(5)), at: 1))
        #expect(first[field: "type"] == "PARTIAL")
        let second = try annotated(&decoder, binary(Array(Self.publishQoS1.dropFirst(5)), at: 2))
        #expect(second.summary == #"PUBLISH sensors/1 qos1 id=7 "21.5""#)
        #expect(second[field: "packet_id"] == "7")
        let answer = try annotated(&decoder, binary(Self.puback, from: .serverToClient, at: 2.0015))
        #expect(answer.latency == "1.500")
        #expect(decoder.finish().isEmpty)
    }

    @Test func aVarintOfFiveBytesIsUndecodable() throws {
        var decoder = MQTTDecoder()
        let annotation = try annotated(&decoder, binary([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))
        #expect(annotation.isProblemOnly)
        #expect(annotation.problems.map(\.kind) == [.undecodable])
    }

    @Test func aRemainingLengthBeyondTheBufferCapIsReportedNotHeld() throws {
        var decoder = MQTTDecoder(maxBufferedBytes: 1000)
        // Remaining length 16383 (0xff 0x7f), far beyond the 10 bytes that follow.
        let annotation = try annotated(&decoder, binary([0x30, 0xff, 0x7f] + Array(repeating: 0x41, count: 10)))
        #expect(annotation.problems.map(\.kind) == [.limit])
        #expect(decoder.finish().isEmpty)
    }

    @Test func aTruncatedPacketInsideItsLengthIsUndecodable() throws {
        var decoder = MQTTDecoder()
        // PUBLISH whose topic length (0x00ff) runs past the remaining length of 4.
        let annotation = try annotated(&decoder, binary([0x30, 0x04, 0x00, 0xff, 0x41, 0x42]))
        #expect(annotation.isProblemOnly)
        #expect(annotation.problems.first?.detail.contains("beyond the packet") == true)
    }

    @Test func mqtt5PropertiesAndTopicAliasesAreRead() throws {
        var decoder = MQTTDecoder()
        // CONNECT v5: protocol name, level 5, flags clean start, keep alive 60, no properties, client id "c".
        let connect: [UInt8] = [0x10, 0x0e, 0x00, 0x04] + Array("MQTT".utf8) + [0x05, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x01] + Array("c".utf8)
        _ = decoder.annotate(binary(connect))
        // PUBLISH QoS 0 topic "a/b" with properties: topic alias 3 (0x23 0x0003), content type "t".
        let properties: [UInt8] = [0x23, 0x00, 0x03, 0x03, 0x00, 0x01, 0x74]
        let withTopic: [UInt8] = [0x30, UInt8(2 + 3 + 1 + properties.count + 2), 0x00, 0x03] + Array("a/b".utf8) + [UInt8(properties.count)] + properties + Array("hi".utf8)
        let first = try annotated(&decoder, binary(withTopic))
        #expect(first[field: "properties"] == #"{"topic_alias":3,"content_type":"t"}"#)
        // The same alias with an empty topic names a/b.
        let aliasOnly: [UInt8] = [0x30, 0x08, 0x00, 0x00, 0x03, 0x23, 0x00, 0x03] + Array("hi".utf8)
        let second = try annotated(&decoder, binary(aliasOnly))
        #expect(second[field: "topic"] == "a/b")
    }

    @Test func unansweredRequestsAreReportedAtTheCloseAndBounded() throws {
        var decoder = MQTTDecoder(maxOutstandingRequests: 100)
        var limitProblems = 0
        for id in 1...1000 {
            let packet: [UInt8] = [0x32, 0x06, 0x00, 0x01, 0x74, UInt8(id >> 8), UInt8(id & 0xff), 0x78]
            limitProblems += decoder.annotate(binary(packet))?.problems.filter { $0.kind == .limit }.count ?? 0
        }
        #expect(limitProblems == 1)
        let report = decoder.finish()
        #expect(report.map(\.kind) == [.unanswered])
        #expect(report.first?.detail.hasPrefix("100 request(s) never answered: mqtt PUBLISH id=1") == true)
        #expect(report.first?.detail.contains("900 more not followed") == true)
    }

    @Test func aMillionUnansweredIdsStayWithinTheLimit() {
        var pending = PendingRequests<Int>()
        for id in 0..<1_000_000 { _ = pending.request(id, at: 0, label: "r\(id)") }
        #expect(pending.count == PendingRequests<Int>.defaultMaxOutstanding)
        let report = pending.finish()
        #expect(report.first?.detail.contains("990000 more not followed") == true)
    }
}
