import ApplicationProtocols
import MessageDecoding
import WebSocketProtocol

/// A message as the inspector hands it to a decoder.
func message(_ text: String, from direction: WebSocketDirection = .clientToServer, at time: Double = 0) -> DecodableMessage {
    DecodableMessage(direction: direction, opcode: .text, payload: Array(text.utf8), isComplete: true, time: time)
}

func binary(_ bytes: [UInt8], from direction: WebSocketDirection = .clientToServer, at time: Double = 0) -> DecodableMessage {
    DecodableMessage(direction: direction, opcode: .binary, payload: bytes, isComplete: true, time: time)
}

extension MessageAnnotation {
    var latency: String? {
        guard let answers = self[field: "answers"], case .success(let node) = JSONReader.parse(Array(answers.utf8)),
              case .number(let text)? = node["latency_ms"]
        else { return nil }
        return text
    }
}

struct NoAnnotation: Error {}

/// The decoder's annotation of `message`; throws when it had nothing to say.
func annotated(_ decoder: inout some MessageDecoder, _ message: DecodableMessage) throws -> MessageAnnotation {
    guard let annotation = decoder.annotate(message) else { throw NoAnnotation() }
    return annotation
}
