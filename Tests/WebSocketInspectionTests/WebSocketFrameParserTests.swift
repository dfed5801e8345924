import Testing
import PacketDecoding
@testable import WebSocketInspection
import WebSocketProtocol

@Suite struct WebSocketFrameHeaderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: WebSocketFrameHeader.ParseResult
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "7-bit length", bytes: [0x81, 0x05], expected: .header(WebSocketFrameHeader(fin: true, opcode: .text, payloadLength: 5))),
        Case(name: "16-bit length", bytes: [0x82, 0x7e, 0x01, 0x00], expected: .header(WebSocketFrameHeader(fin: true, opcode: .binary, payloadLength: 256))),
        Case(name: "64-bit length", bytes: [0x02, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0], expected: .header(WebSocketFrameHeader(fin: false, opcode: .binary, payloadLength: 1 << 20))),
        Case(name: "masked", bytes: [0x89, 0x84, 1, 2, 3, 4], expected: .header(WebSocketFrameHeader(fin: true, opcode: .ping, maskKey: 0x01020304, payloadLength: 4))),
        Case(name: "reserved opcode and RSV bits kept", bytes: [0xf3, 0x00], expected: .header(WebSocketFrameHeader(fin: true, reservedBits: 0b111, opcode: WebSocketOpcode(rawValue: 3), payloadLength: 0))),
        Case(name: "needs the length bytes", bytes: [0x81, 0x7f, 0], expected: .needMoreBytes(10)),
        Case(name: "needs the mask key", bytes: [0x81, 0xfe, 0, 200, 1], expected: .needMoreBytes(8)),
        Case(name: "2^63 length is invalid", bytes: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0], expected: .invalid("64-bit payload length has its most significant bit set (9223372036854775808)")),
    ]

    @Test(arguments: cases)
    func parsesHeader(_ testCase: Case) {
        let result = testCase.bytes.withUnsafeBytes { WebSocketFrameHeader.parse($0) }
        #expect(result == testCase.expected)
    }

    @Test func flagsNonMinimalLengthEncoding() {
        let result = [UInt8]([0x81, 0x7e, 0x00, 0x05]).withUnsafeBytes { WebSocketFrameHeader.parse($0) }
        guard case .header(let header) = result else { Issue.record("no header"); return }
        #expect(header.usesNonMinimalLength)
        #expect(header.payloadLength == 5)
    }
}

@Suite struct WebSocketFrameParserTests {
    /// Three frames: masked 16-bit-length text, masked ping, masked binary with a 64-bit length.
    static let payloads: [[UInt8]] = [
        Array("héllo wörld ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 300),
        [1, 2, 3],
        (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) },
    ]
    static let stream: [UInt8] =
        frameBytes(.text, payloads[0], maskKey: 0xdeadbeef)
        + frameBytes(.ping, payloads[1], maskKey: 0x01020304)
        + frameBytes(.binary, payloads[2], maskKey: 0xa1b2c3d4)

    @Test(arguments: [1, 2, 3, 5, 7, 13, 1000, 65536])
    func unmasksAcrossChunkBoundaries(chunkSize: Int) {
        let chunks = stride(from: 0, to: Self.stream.count, by: chunkSize).map {
            Array(Self.stream[$0..<min($0 + chunkSize, Self.stream.count)])
        }
        let messages = decode(chunks).messages
        #expect(messages.map(\.payload) == Self.payloads)
        #expect(messages.map(\.opcode) == [.text, .ping, .binary])
    }

    @Test func everySplitPointOfTheHeadersGivesTheSameFrames() {
        // Split once at every offset within the first two frames (headers, masks, payload starts).
        let limit = frameBytes(.text, Self.payloads[0], maskKey: 0xdeadbeef).count + 12
        for offset in 1..<limit {
            let messages = decode(split(Self.stream, at: [offset])).messages
            #expect(messages.map(\.payload) == Self.payloads, "split at \(offset)")
        }
    }

    @Test func parserReportsInvalidLengthAndStops() {
        var parser = WebSocketFrameParser()
        var reasons: [String] = []
        parser.parse([0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5][...]) { event in
            if case .invalid(let reason) = event { reasons.append(reason) }
        }
        #expect(reasons.count == 1)
        #expect(!parser.isSynchronized)
    }

    @Test func skipInsidePayloadKeepsFraming() {
        var parser = WebSocketFrameParser()
        parser.parse([0x82, 0x0a, 1, 2][...]) { _ in }
        #expect(parser.skip(5) == .insidePayload)
        var ended = false
        parser.parse([8, 9, 10][...]) { if case .frameEnd = $0 { ended = true } }
        #expect(ended)
        #expect(parser.isAtFrameBoundary)
        #expect(parser.skip(1) == .desynchronized)
    }
}
