import TestSupport
import PacketDecoding
import TestSupport
import Testing

/// One link type and a frame of it that carries the standard test TCP segment.
struct LinkLayerCase: Sendable, CustomTestStringConvertible {
    var name: String
    var linkType: LinkType
    var frame: [UInt8]
    var isIPv6 = false
    var testDescription: String { name }
}

typealias Build = FrameBuilder

let linkLayerCases: [LinkLayerCase] = [
    LinkLayerCase(name: "Ethernet IPv4", linkType: .ethernet, frame: Build.ethernet(etherType: 0x0800, payload: Build.ipv4())),
    LinkLayerCase(name: "Ethernet IPv6", linkType: .ethernet, frame: Build.ethernet(etherType: 0x86DD, payload: Build.ipv6()), isIPv6: true),
    LinkLayerCase(name: "802.1Q VLAN", linkType: .ethernet, frame: Build.ethernet(etherType: 0x0800, tags: [0x8100], payload: Build.ipv4())),
    LinkLayerCase(name: "QinQ", linkType: .ethernet, frame: Build.ethernet(etherType: 0x86DD, tags: [0x88A8, 0x8100], payload: Build.ipv6()), isIPv6: true),
    LinkLayerCase(name: "Linux SLL", linkType: .linuxSLL, frame: Build.linuxSLL(protocolType: 0x0800, payload: Build.ipv4())),
    LinkLayerCase(name: "Linux SLL2", linkType: .linuxSLL2, frame: Build.linuxSLL2(protocolType: 0x86DD, payload: Build.ipv6()), isIPv6: true),
    LinkLayerCase(name: "NULL little-endian IPv4", linkType: .null, frame: Build.littleEndian32(2) + Build.ipv4()),
    LinkLayerCase(name: "NULL big-endian IPv4", linkType: .null, frame: Build.bigEndian32(2) + Build.ipv4()),
    LinkLayerCase(name: "NULL macOS IPv6", linkType: .null, frame: Build.littleEndian32(30) + Build.ipv6(), isIPv6: true),
    LinkLayerCase(name: "NULL FreeBSD IPv6", linkType: .null, frame: Build.littleEndian32(28) + Build.ipv6(), isIPv6: true),
    LinkLayerCase(name: "NULL Linux IPv6 big-endian", linkType: .null, frame: Build.bigEndian32(10) + Build.ipv6(), isIPv6: true),
    LinkLayerCase(name: "LOOP IPv6", linkType: .loop, frame: Build.bigEndian32(24) + Build.ipv6(), isIPv6: true),
    LinkLayerCase(name: "RAW 12", linkType: .rawDLT12, frame: Build.ipv4()),
    LinkLayerCase(name: "RAW 14", linkType: .rawDLT14, frame: Build.ipv6(), isIPv6: true),
    LinkLayerCase(name: "RAW 101", linkType: .raw, frame: Build.ipv4()),
    LinkLayerCase(name: "IPV4", linkType: .ipv4, frame: Build.ipv4()),
    LinkLayerCase(name: "IPV6", linkType: .ipv6, frame: Build.ipv6(), isIPv6: true),
    LinkLayerCase(
        name: "IPv6 with hop-by-hop, routing, destination options and AH", linkType: .ipv6,
        frame: Build.ipv6(extensionHeaders: [
            (0, Build.eightByteOptions), (43, [0, 0, 0, 0, 0, 0, 0]), (60, Build.eightByteOptions),
            (51, [4, 0, 0] + Array(repeating: 7, count: 20)),
        ]),
        isIPv6: true
    ),
    LinkLayerCase(
        name: "IPv6 atomic fragment (offset 0, no more fragments)", linkType: .ipv6,
        frame: Build.ipv6(extensionHeaders: [(44, [0, 0, 0, 0, 0, 0, 9])]), isIPv6: true
    ),
    LinkLayerCase(name: "IPv4 with options", linkType: .ipv4, frame: Build.ipv4(options: [1, 1, 1, 0])),
]

struct PacketDecoderTests {
    @Test(arguments: linkLayerCases)
    func decodesTheTCPSegmentOnEveryLinkType(_ testCase: LinkLayerCase) throws {
        let decoder = try #require(PacketDecoder(linkType: testCase.linkType))
        let segment = try #require(decoder.decode(testCase.frame).segment)
        #expect(segment.payload == Array("hi".utf8))
        #expect(segment.source.port == 50_000)
        #expect(segment.destination.port == 80)
        #expect(segment.sequenceNumber == 1001)
        #expect(segment.acknowledgmentNumber == 5001)
        #expect(segment.flags == [.psh, .ack])
        #expect(segment.missingPayloadBytes == 0)
        #expect(segment.timestamp == Timestamp(seconds: 1, nanoseconds: 2))
        #expect(segment.source.address.isIPv6 == testCase.isIPv6)
        if testCase.isIPv6 {
            #expect(segment.source.address.description == "2001:db8::1")
        } else {
            #expect(segment.source.address == IPAddress(v4: 10, 0, 0, 1))
            #expect(segment.destination.address == IPAddress(v4: 10, 0, 0, 2))
        }
    }

    @Test(arguments: linkLayerCases)
    func everyTruncationOfAValidFrameIsMalformedAndNeverCrashes(_ testCase: LinkLayerCase) throws {
        let decoder = try #require(PacketDecoder(linkType: testCase.linkType))
        for length in 0..<testCase.frame.count {
            let prefix = Array(testCase.frame.prefix(length))
            // The wire packet really was this short: the headers lie about its length.
            #expect(decoder.decode(prefix).isMalformed, "prefix of \(length) bytes")
        }
    }

    @Test(arguments: linkLayerCases)
    func snapshotLengthCutKeepsTheCapturedPayloadAndCountsTheRest(_ testCase: LinkLayerCase) throws {
        let decoder = try #require(PacketDecoder(linkType: testCase.linkType))
        let cut = Array(testCase.frame.dropLast(1))
        let segment = try #require(decoder.decode(cut, originalLength: testCase.frame.count).segment)
        #expect(segment.payload == Array("h".utf8))
        #expect(segment.missingPayloadBytes == 1)
        let headerCut = Array(testCase.frame.dropLast(3))
        #expect(decoder.decode(headerCut, originalLength: testCase.frame.count).isMalformed)
    }

    @Test func ethernetPaddingIsTrimmedUsingTheIPv4TotalLength() throws {
        let decoder = try #require(PacketDecoder(linkType: .ethernet))
        let padded = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(payload: Build.tcp(payload: []))) + [0, 0, 0, 0, 0, 0]
        let segment = try #require(decoder.decode(padded).segment)
        #expect(segment.payload.isEmpty)
        #expect(segment.missingPayloadBytes == 0)
    }

    @Test func ethernetPaddingIsTrimmedUsingTheIPv6PayloadLength() throws {
        let decoder = try #require(PacketDecoder(linkType: .ethernet))
        let padded = Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(payload: Build.tcp(payload: [1]))) + [0, 0, 0]
        #expect(try #require(decoder.decode(padded).segment).payload == [1])
    }

    @Test func zeroIPv4TotalLengthFromSegmentationOffloadUsesTheFrameLength() throws {
        let decoder = try #require(PacketDecoder(linkType: .ipv4))
        let segment = try #require(decoder.decode(Build.ipv4(totalLength: 0)).segment)
        #expect(segment.payload == Array("hi".utf8))
    }

    @Test(arguments: [
        (UInt16(0x2000), "first fragment with more to come"),
        (UInt16(0x0010), "later fragment"),
        (UInt16(0x0010), "last fragment"),
    ])
    func ipv4FragmentsAreReportedNotDecoded(fragmentField: UInt16, _ label: String) throws {
        let decoder = try #require(PacketDecoder(linkType: .ipv4))
        #expect(decoder.decode(Build.ipv4(fragmentField: fragmentField)).isFragment, "\(label)")
    }

    @Test(arguments: [UInt16(0x0001), UInt16(0x0008), UInt16(0x0009)])
    func ipv6FragmentsAreReportedNotDecoded(offsetAndFlags: UInt16) throws {
        let decoder = try #require(PacketDecoder(linkType: .ipv6))
        let frame = Build.ipv6(extensionHeaders: [(44, [0] + Build.bigEndian16(offsetAndFlags) + [0, 0, 0, 1])])
        #expect(decoder.decode(frame).isFragment)
    }

    @Test func otherProtocolsAreNotTCP() throws {
        let ethernet = try #require(PacketDecoder(linkType: .ethernet))
        #expect(ethernet.decode(Build.ethernet(etherType: 0x0806, payload: Array(repeating: 0, count: 28))).isNotTCP)
        #expect(ethernet.decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(protocolNumber: 17))).isNotTCP)
        let ipv6 = try #require(PacketDecoder(linkType: .ipv6))
        #expect(ipv6.decode(Build.ipv6(extensionHeaders: [(58, Build.eightByteOptions)])).isNotTCP)
        let null = try #require(PacketDecoder(linkType: .null))
        #expect(null.decode(Build.littleEndian32(7) + Build.ipv4()).isNotTCP)
    }

    @Test(arguments: [
        ("IPv4 header length below 20", Build.ipv4(payload: Build.tcp()).enumerated().map { $0.offset == 0 ? 0x44 : $0.element }),
        ("IPv4 total length shorter than header", Build.ipv4(totalLength: 10)),
        ("IPv4 total length longer than the packet", Build.ipv4(totalLength: 200)),
        ("TCP data offset below 20", Build.ipv4(payload: Build.tcp().enumerated().map { $0.offset == 12 ? 0x40 : $0.element })),
        ("TCP data offset past the packet", Build.ipv4(payload: Build.tcp().enumerated().map { $0.offset == 12 ? 0xF0 : $0.element })),
        ("IP version 5", Build.ipv4().enumerated().map { $0.offset == 0 ? 0x55 : $0.element }),
    ])
    func inconsistentHeadersAreMalformed(_ label: String, frame: [UInt8]) throws {
        let decoder = try #require(PacketDecoder(linkType: .ipv4))
        #expect(decoder.decode(frame).isMalformed, "\(label)")
    }

    @Test func unsupportedLinkTypeHasNoDecoder() {
        #expect(PacketDecoder(linkType: LinkType(rawValue: 105)) == nil)
    }

    @Test func tooManyVLANTagsAreMalformed() throws {
        let decoder = try #require(PacketDecoder(linkType: .ethernet))
        let frame = Build.ethernet(etherType: 0x0800, tags: Array(repeating: 0x8100, count: 20), payload: Build.ipv4())
        #expect(decoder.decode(frame).isMalformed)
    }

    @Test(arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .ipv4, .ipv6])
    func randomBytesNeverCrashTheDecoder(linkType: LinkType) throws {
        let decoder = try #require(PacketDecoder(linkType: linkType))
        var generator = SplitMix64(seed: UInt64(bitPattern: Int64(linkType.rawValue)))
        let templates = linkLayerCases.filter { $0.linkType == linkType }.map(\.frame)
        for round in 0..<3000 {
            var frame: [UInt8]
            if let template = templates.first, round % 2 == 0 {
                // Valid frame with a few bytes flipped: reaches the deeper layers.
                frame = template
                for _ in 0..<3 {
                    let index = Int(generator.next() % UInt64(frame.count))
                    frame[index] = UInt8(truncatingIfNeeded: generator.next())
                }
                frame = Array(frame.prefix(Int(generator.next() % UInt64(frame.count + 1))))
            } else {
                frame = (0..<Int(generator.next() % 120)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            let originalLength = frame.count + Int(generator.next() % 3) * 50
            _ = decoder.decode(frame, originalLength: originalLength)
        }
    }
}

/// A small deterministic generator so that fuzzing rounds are reproducible.
