import Foundation
import Inspector
import MessageDecoding
import Testing
import WebSocketInspection
import WebSocketProtocol

/// Seam 2: a message decoder chosen per connection annotates messages without altering them.
struct MessageDecoderSeamTests {
    /// Reads the `n` counter the recorded echo server puts in its JSON answers, and counts the
    /// messages it has seen on its connection (per-connection state).
    struct EchoCounterDecoder: MessageDecoder {
        var seen = 0
        mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
            seen += 1
            guard message.opcode == .text, message.isComplete,
                  let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
                  let n = object["n"] as? Int
            else { return nil }
            return MessageAnnotation(protocolName: "echo", summary: "answer \(n)", fields: [.init("n", String(n)), .init("seen", String(seen))])
        }
    }

    static func configuration(_ matches: [MessageDecoderFactory.Match]) -> InspectorConfiguration {
        var configuration = InspectorConfiguration()
        configuration.messageDecoders = MessageDecoderFactory([.init(name: "echo", matches: matches) { EchoCounterDecoder() }])
        return configuration
    }

    @Test(arguments: [[MessageDecoderFactory.Match.subprotocol("CHAT.v1")], [.pathPrefix("/chat")], [.always]])
    func annotatesTheChosenConnectionAndChangesNothingElse(matches: [MessageDecoderFactory.Match]) throws {
        let plain = try events(of: "replay-echo.pcap")
        let decoded = try events(of: "replay-echo.pcap", configuration: Self.configuration(matches))
        #expect(summaries(decoded) == summaries(plain))
        let answers = decoded.messages.filter { $0.annotation != nil }
        #expect(!answers.isEmpty)
        for message in answers {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any])
            #expect(message.annotation?.summary == "answer \(object["n"] as? Int ?? -1)")
            #expect(message.direction == .serverToClient)
        }
        // The decoder kept its state across the connection's messages, in order.
        let seen = answers.compactMap { $0.annotation?.fields.first { $0.name == "seen" }?.value }.compactMap(Int.init)
        #expect(seen == seen.sorted())
    }

    @Test func aConnectionThatMatchesNoRegistrationIsNotAnnotated() throws {
        let decoded = try events(of: "replay-echo.pcap", configuration: Self.configuration([.subprotocol("mqtt"), .pathPrefix("/socket.io/")]))
        #expect(decoded.messages.allSatisfy { $0.annotation == nil })
        let plainCapture = try events(of: "plain.pcap", configuration: Self.configuration([.subprotocol("chat.v1")]))
        #expect(plainCapture.messages.allSatisfy { $0.annotation == nil })
    }
}
