import ApplicationProtocols
import MessageDecoding
import Output
import Testing
import WebSocketInspection

/// The automatic choice per connection, `--decode` per connection, the `read` name filters and
/// the application view of `sessions`.
struct ChoiceAndViewTests {
    @Test(arguments: [
        ("mqtt", "/mqtt", "mqtt"), ("v12.stomp", "/ws", "stomp"), ("V11.STOMP", nil, "stomp"), ("graphql-transport-ws", "/graphql", "graphql-transport-ws"),
        ("graphql-ws", "/graphql", "graphql-ws"), (nil, "/socket.io/?EIO=4&transport=websocket", "socket.io"), (nil, "/x?a=1&EIO=3", "socket.io"),
        (nil, "/json", "by-shape"), (nil, nil, "by-shape"),
    ] as [(String?, String?, String)])
    func automaticChoice(subprotocol: String?, path: String?, expected: String) {
        #expect(ApplicationProtocol.factory(mode: .auto).decoder(subprotocol: subprotocol, path: path)?.name == expected)
    }

    @Test func perConnectionChoiceComesFirstAndNoneDecodesNothing() {
        let factory = ApplicationProtocol.factory(mode: .none, perConnection: [3: .mqtt])
        #expect(factory.decoder(connection: 3, subprotocol: "v12.stomp", path: nil)?.name == "mqtt")
        #expect(factory.decoder(connection: 4, subprotocol: "v12.stomp", path: nil) == nil)
        #expect(ApplicationProtocol.factory(mode: .only(.stomp)).decoder(connection: 1, subprotocol: "mqtt", path: nil)?.name == "stomp")
        #expect(ApplicationProtocol(name: "SocketIO") == .socketIO)
        #expect(ApplicationProtocol(name: "amqp") == nil)
    }

    static func annotation(_ fields: [MessageAnnotation.Field]) -> MessageAnnotation {
        MessageAnnotation(protocolName: "x", summary: "x", fields: fields)
    }

    @Test(arguments: [
        ("sensors/+", "sensors/1", true), ("sensors/+", "sensors/1/t", false), ("sensors/#", "sensors", true), ("sensors/#", "sensors/a/b", true),
        ("#", "$SYS/x", false), ("+/x", "a/x", true), ("a/b", "a/b", true), ("a/b", "a/c", false),
    ] as [(String, String, Bool)])
    func mqttTopicFilters(filter: String, topic: String, expected: Bool) {
        #expect(ApplicationNameFilter.topic(filter).accepts(Self.annotation([.init("topic", topic)])) == expected)
    }

    @Test func eventAndMethodGlobs() {
        #expect(ApplicationNameFilter.event("ch*").accepts(Self.annotation([.init("event", "chat")])))
        #expect(!ApplicationNameFilter.event("ch*").accepts(Self.annotation([.init("event", "news")])))
        #expect(ApplicationNameFilter.method("Page.*").accepts(Self.annotation([.init("method", "Page.navigate")])))
        #expect(ApplicationNameFilter.method("*Sub*").accepts(Self.annotation([.init("operation_name", "OnSubscribe")])))
        #expect(!ApplicationNameFilter.method("a*b").accepts(Self.annotation([.init("method", "ab-c")])))
        #expect(ApplicationNameFilter.any([.event("x"), .event("chat")]).accepts(Self.annotation([.init("event", "chat")])))
    }

    @Test func sessionsApplicationViewOfTheMQTTCapture() throws {
        let decoded = try DecodedCapture("mqtt.pcap")
        var activity = ApplicationActivity()
        for message in decoded.messages where message.connection == 3 { activity.record(message) }
        #expect(activity.types["mqtt PUBLISH"] == 8)
        let top = activity.topNames(3).map(\.name)
        #expect(top.contains("big/blob"))
        #expect(activity.latencies.count == 12)
        #expect(activity.latencies.maximum >= activity.latencies.percentile(0.95) ?? .infinity)
        let lines = SessionSummaryFormatter().applicationDetails(activity)
        #expect(lines.contains { $0.contains("top topics") })
        #expect(lines.contains { $0.hasPrefix("    all answers: 12 answered in") })
    }
}
