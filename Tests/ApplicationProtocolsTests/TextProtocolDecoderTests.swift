import ApplicationProtocols
import MessageDecoding
import Testing

/// STOMP, GraphQL over WebSocket, JSON-RPC and Socket.IO edge cases, from the protocols' specs
/// (STOMP 1.2, graphql-ws PROTOCOL.md, JSON-RPC 2.0 §4-6, socket.io-protocol v5).
struct TextProtocolDecoderTests {
    @Test func stompFramesReceiptsAndHeartbeats() throws {
        var decoder = STOMPDecoder()
        let connect = try annotated(&decoder, message("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n\u{0}", at: 1))
        #expect(connect[field: "command"] == "CONNECT")
        let connected = try annotated(&decoder, message("CONNECTED\nversion:1.2\nheart-beat:1000,1000\n\n\u{0}", from: .serverToClient, at: 1.002))
        #expect(connected.latency == "2.000")
        let send = try annotated(&decoder, message("SEND\ndestination:/queue/a\nreceipt:r-1\ncontent-type:text/plain\nx:a\\cb\n\nhello\u{0}\n", at: 2))
        #expect(send.summary == #"SEND /queue/a "hello" receipt=r-1"#)
        #expect(send[field: "headers"] == #"{"destination":"/queue/a","receipt":"r-1","content-type":"text/plain","x":"a:b"}"#)
        #expect(send[field: "body"] == "hello")
        let receipt = try annotated(&decoder, message("RECEIPT\nreceipt-id:r-1\n\n\u{0}", from: .serverToClient, at: 2.01))
        #expect(receipt.latency == "10.000")
        #expect(try annotated(&decoder, message("\n", from: .serverToClient))[field: "command"] == "HEARTBEAT")
        // A body holding NUL bytes, framed by content-length.
        let framed = try annotated(&decoder, message("MESSAGE\ndestination:/queue/a\ncontent-length:3\n\na\u{0}b\u{0}", from: .serverToClient))
        #expect(framed[field: "body"] == "a\u{0}b")
        #expect(decoder.finish().isEmpty)
    }

    @Test func stompFramesThatDoNotParseAreUndecodable() throws {
        var decoder = STOMPDecoder()
        #expect(try annotated(&decoder, message("HELLO\n\n\u{0}")).isProblemOnly)
        #expect(try annotated(&decoder, message("SEND\ndestination:/q\n\nno terminator")).isProblemOnly)
        #expect(try annotated(&decoder, message("SEND\ncontent-length:99\n\nshort\u{0}")).isProblemOnly)
        _ = decoder.annotate(message("SUBSCRIBE\nid:0\ndestination:/q\nreceipt:77\n\n\u{0}"))
        #expect(decoder.finish().first?.detail == "1 request(s) never answered: stomp SUBSCRIBE receipt=77")
    }

    @Test func graphqlTransportWSSubscriptionIsPairedWithItsResults() throws {
        var decoder = GraphQLWebSocketDecoder(dialect: .transport)
        _ = decoder.annotate(message(#"{"type":"connection_init","payload":{}}"#, at: 1))
        #expect(try annotated(&decoder, message(#"{"type":"connection_ack"}"#, from: .serverToClient, at: 1.001)).latency == "1.000")
        let subscribe = try annotated(&decoder, message(#"{"id":"1","type":"subscribe","payload":{"query":"subscription OnChat($room: String!) { chat(room: $room) }","variables":{"room":"a"}}}"#, at: 2))
        #expect(subscribe[field: "operation_type"] == "subscription")
        #expect(subscribe[field: "operation_name"] == "OnChat")
        let next = try annotated(&decoder, message(#"{"id":"1","type":"next","payload":{"data":{"chat":"hi"}}}"#, from: .serverToClient, at: 2.005))
        #expect(next.latency == "5.000")
        #expect(next[field: "has_errors"] == "false")
        let second = try annotated(&decoder, message(#"{"id":"1","type":"next","payload":{"data":null,"errors":[{"message":"x"}]}}"#, from: .serverToClient, at: 2.006))
        #expect(second.latency == nil)
        #expect(second[field: "has_errors"] == "true")
        #expect(try annotated(&decoder, message(#"{"id":"1","type":"complete"}"#, from: .serverToClient, at: 2.02)).latency == "20.000")
        #expect(decoder.finish().isEmpty)
    }

    @Test func graphqlWSLegacyTypesAndUnknownTypes() throws {
        var decoder = GraphQLWebSocketDecoder(dialect: .legacy)
        let start = try annotated(&decoder, message(#"{"id":"7","type":"start","payload":{"query":"{ hello }"}}"#))
        #expect(start[field: "operation_type"] == "query")
        #expect(try annotated(&decoder, message(#"{"type":"ka"}"#, from: .serverToClient))[field: "type"] == "ka")
        #expect(try annotated(&decoder, message(#"{"type":"subscribe","id":"1"}"#)).isProblemOnly)
        #expect(decoder.finish().first?.kind == .unanswered)
    }

    @Test func jsonRPCKindsBatchesAndErrors() throws {
        var decoder = JSONRPCDecoder()
        let request = try annotated(&decoder, message(#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#, at: 1))
        #expect(request[field: "kind"] == "request")
        #expect(request[field: "method"] == "subtract")
        let response = try annotated(&decoder, message(#"{"jsonrpc":"2.0","result":19,"id":1}"#, from: .serverToClient, at: 1.25))
        #expect(response.latency == "250.000")
        #expect(try annotated(&decoder, message(#"{"jsonrpc":"2.0","method":"update","params":[1,2]}"#))[field: "kind"] == "notification")
        let error = try annotated(&decoder, message(#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"}"#, from: .serverToClient))
        #expect(error[field: "kind"] == "error")
        #expect(error[field: "error_code"] == "-32601")
        // JSON-RPC 1.0: a notification has a null id.
        #expect(try annotated(&decoder, message(#"{"method":"echo","params":["x"],"id":null}"#))[field: "kind"] == "notification")
        let batch = try annotated(&decoder, message(#"[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method":"notify_hello","params":[7]}]"#, at: 3))
        #expect(batch[field: "kind"] == "batch")
        #expect(batch[field: "count"] == "2")
        let answers = try annotated(&decoder, message(#"[{"jsonrpc":"2.0","result":7,"id":"1"}]"#, from: .serverToClient, at: 3.5))
        #expect(answers.latency == "500.000")
        #expect(try annotated(&decoder, message("[]")).isProblemOnly)
        #expect(try annotated(&decoder, message(#"{"foo":1}"#)).isProblemOnly)
    }

    @Test func jsonRPCIsChosenByTheFirstMessagesShapeOnly() throws {
        var sniffer = ShapeSniffer()
        #expect(sniffer.annotate(message(#"{"hello":"world"}"#)) == nil)
        #expect(sniffer.annotate(message(#"{"jsonrpc":"2.0","method":"m","id":1}"#)) == nil)
        var chosen = ShapeSniffer()
        #expect(try annotated(&chosen, message(#"{"id":1,"method":"Page.navigate","params":{"url":"about:blank"}}"#))[field: "method"] == "Page.navigate")
        #expect(try annotated(&chosen, message("not json")).isProblemOnly)
    }

    @Test func socketIONamespacesAckIdsAndBinaryAttachments() throws {
        var decoder = SocketIODecoder()
        let event = try annotated(&decoder, message(#"42/admin,12["chat","hi",1]"#, at: 1))
        #expect(event.summary == #"EVENT /admin "chat" ["hi",1] ack=12"#)
        #expect(event[field: "namespace"] == "/admin")
        #expect(try annotated(&decoder, message(#"43/admin,12["ok"]"#, from: .serverToClient, at: 1.003)).latency == "3.000")
        _ = decoder.annotate(message(#"452-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#))
        #expect(try annotated(&decoder, binary([1, 2, 3]))[field: "complete"] == nil)
        let last = try annotated(&decoder, binary([4]))
        #expect(last[field: "args"] == #"[{"_attachment":0,"bytes":3},{"_attachment":1,"bytes":1}]"#)
        #expect(decoder.finish().isEmpty)
    }

    @Test func socketIOAttachmentsThatNeverCompleteAreBounded() throws {
        var decoder = SocketIODecoder(maxPendingAttachments: 4)
        let huge = try annotated(&decoder, message(#"451000000-["x",{"_placeholder":true,"num":0}]"#))
        #expect(huge.problems.map(\.kind) == [.limit])
        #expect(try annotated(&decoder, binary([1])).isProblemOnly)
        _ = decoder.annotate(message(#"452-["y",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#))
        _ = decoder.annotate(binary([1]))
        #expect(decoder.finish().map(\.kind) == [.undecodable])
    }

    @Test func socketIOv3BinaryAndBadPackets() throws {
        var decoder = SocketIODecoder(engineVersion: 3)
        _ = decoder.annotate(message(#"451-["img",{"_placeholder":true,"num":0}]"#))
        #expect(try annotated(&decoder, binary([4, 0xff, 0xfe]))[field: "complete"] == "true")
        #expect(try annotated(&decoder, message("9")).isProblemOnly)
        let deep = try annotated(&decoder, message("42" + String(repeating: "[", count: 10_000)))
        #expect(deep.problems.first?.detail.contains("maxJSONDepth") == true)
    }
}
