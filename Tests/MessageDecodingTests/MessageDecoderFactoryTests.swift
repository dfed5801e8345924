import MessageDecoding
import Testing
import WebSocketProtocol

/// How a connection's decoder is chosen: the first registration with a matching rule wins.
struct MessageDecoderFactoryTests {
    struct Named: MessageDecoder {
        let name: String
        mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
            MessageAnnotation(protocolName: name, summary: "\(message.payload.count) bytes")
        }
    }

    static let factory = MessageDecoderFactory([
        .init(name: "mqtt", matches: [.subprotocol("mqtt")]) { Named(name: "mqtt") },
        .init(name: "socket.io", matches: [.pathPrefix("/socket.io/")]) { Named(name: "socket.io") },
        .init(name: "stomp", matches: [.subprotocol("v12.stomp"), .subprotocol("v11.stomp")]) { Named(name: "stomp") },
    ])

    @Test(arguments: [
        ("MQTT", nil, "mqtt"), ("mqtt", "/socket.io/?EIO=4", "mqtt"), (nil, "/socket.io/?EIO=4", "socket.io"),
        ("v11.stomp", "/ws", "stomp"), (nil, "/socket.io", nil), ("graphql-transport-ws", "/graphql", nil), (nil, nil, nil),
    ] as [(String?, String?, String?)])
    func choosesBySubprotocolThenPath(subprotocol: String?, path: String?, expected: String?) {
        #expect(Self.factory.decoder(subprotocol: subprotocol, path: path)?.name == expected)
    }

    @Test func eachConnectionGetsItsOwnDecoder() {
        let counting = MessageDecoderFactory([.init(name: "count", matches: [.always]) { Counter() }])
        guard var first = counting.decoder(subprotocol: nil, path: nil)?.decoder,
              var second = counting.decoder(subprotocol: nil, path: nil)?.decoder
        else { Issue.record("no decoder"); return }
        let message = DecodableMessage(direction: .clientToServer, opcode: .text, payload: [1], isComplete: true, time: 0)
        _ = first.annotate(message)
        #expect(first.annotate(message)?.summary == "2")
        #expect(second.annotate(message)?.summary == "1")
    }

    struct Counter: MessageDecoder {
        var count = 0
        mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
            count += 1
            return MessageAnnotation(protocolName: "count", summary: String(count))
        }
    }
}
