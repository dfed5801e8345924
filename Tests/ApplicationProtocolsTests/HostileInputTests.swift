import ApplicationProtocols
import MessageDecoding
import Testing
import TestSupport
import WebSocketProtocol

/// Every decoder takes any bytes: random noise and mutated real messages end in annotations or
/// problems, never a crash, and what a decoder keeps stays within its limits.
struct HostileInputTests {
    /// Real messages of each protocol (from the captures' shapes), to mutate.
    static let seeds: [(ApplicationProtocol, [UInt8])] = [
        (.socketIO, Array(#"42/chat,7["chat",{"a":[1,2,{"b":null}]},"x"]"#.utf8)),
        (.socketIO, Array(#"451-["up",{"_placeholder":true,"num":0}]"#.utf8)),
        (.mqtt, [0x32, 0x11, 0x00, 0x09] + Array("sensors/1".utf8) + [0x00, 0x07] + Array("21.5".utf8)),
        (.mqtt, [0x10, 0x0e, 0x00, 0x04] + Array("MQTT".utf8) + [0x05, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x01, 0x63]),
        (.stomp, Array("SEND\ndestination:/q\ncontent-length:2\nreceipt:1\n\nhi\u{0}".utf8)),
        (.graphqlTransportWS, Array(#"{"id":"1","type":"subscribe","payload":{"query":"subscription S { s }"}}"#.utf8)),
        (.graphqlWS, Array(#"{"id":"1","type":"data","payload":{"data":{"x":1},"errors":[]}}"#.utf8)),
        (.jsonRPC, Array(#"[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","result":2,"id":"x"}]"#.utf8)),
    ]

    @Test func mutatedAndRandomMessagesNeverCrash() {
        var random = SplitMix64(seed: 14)
        for (chosen, seed) in Self.seeds {
            var decoder = chosen.makeDecoder(.init(path: "/socket.io/?EIO=4"))
            for round in 0..<3_000 {
                var bytes = seed
                switch round % 4 {
                case 0: bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                case 1: for _ in 0..<3 where !bytes.isEmpty { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
                case 2: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
                default: bytes += bytes.prefix(Int(random.next() % UInt64(bytes.count + 1)))
                }
                let direction: WebSocketDirection = random.next() % 2 == 0 ? .clientToServer : .serverToClient
                let opcode: WebSocketOpcode = random.next() % 3 == 0 ? .binary : .text
                let annotation = decoder.annotate(DecodableMessage(direction: direction, opcode: opcode, payload: bytes, isComplete: true, time: Double(round)))
                if let annotation { #expect(!annotation.isProblemOnly || !annotation.problems.isEmpty) }
            }
            _ = decoder.finish()
        }
    }

    @Test func deepJSONInEveryJSONProtocolIsRefusedNotFollowed() {
        let deep = String(repeating: "[", count: 200_000)
        for chosen in [ApplicationProtocol.jsonRPC, .graphqlTransportWS, .socketIO] {
            var decoder = chosen.makeDecoder(.init())
            let payload = chosen == .socketIO ? "42" + deep : deep
            let annotation = decoder.annotate(DecodableMessage(direction: .clientToServer, opcode: .text, payload: Array(payload.utf8), isComplete: true, time: 0))
            #expect(annotation?.problems.contains { $0.detail.contains("maxJSONDepth") } == true, "\(chosen)")
        }
    }
}
