import Testing

@testable import WebSocketProtocol

@Suite struct WebSocketExtensionHeaderTests {
    @Test func parsesSeveralOffersWithValuelessParameters() {
        let offers = WebSocketExtensionHeader.parse(["permessage-deflate; client_max_window_bits, x-webkit-deflate-frame"])
        #expect(offers == [
            WebSocketExtensionOffer(name: "permessage-deflate", parameters: [WebSocketExtensionParameter(name: "client_max_window_bits")]),
            WebSocketExtensionOffer(name: "x-webkit-deflate-frame"),
        ])
    }

    @Test func unquotesValuesAndIgnoresSeparatorsInsideQuotes() {
        let offers = WebSocketExtensionHeader.parse(["ext; a=\"1,2;3\"; b = \"x\\\"y\" ; c=10"])
        #expect(offers == [
            WebSocketExtensionOffer(name: "ext", parameters: [
                WebSocketExtensionParameter(name: "a", value: "1,2;3"),
                WebSocketExtensionParameter(name: "b", value: "x\"y"),
                WebSocketExtensionParameter(name: "c", value: "10"),
            ])
        ])
    }

    @Test func combinesHeaderLinesAndSkipsEmptyOrInvalidElements() {
        let offers = WebSocketExtensionHeader.parse(["  , permessage-deflate ;;", "bad name, foo"])
        #expect(offers.map(\.name) == ["permessage-deflate", "foo"])
        #expect(offers[0].parameters.isEmpty)
    }
}

@Suite struct PerMessageDeflateParametersTests {
    private func negotiated(_ header: String) -> PerMessageDeflateParameters? {
        PerMessageDeflateParameters(negotiated: WebSocketExtensionHeader.parse([header]))
    }

    @Test func defaultsToContextTakeoverAndFifteenBitWindows() {
        #expect(negotiated("permessage-deflate") == PerMessageDeflateParameters())
        #expect(negotiated("permessage-deflate")?.clientMaxWindowBits == 15)
    }

    @Test func keepsClientAndServerParametersApart() {
        let parameters = negotiated("permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"12\"")
        #expect(parameters == PerMessageDeflateParameters(
            clientNoContextTakeover: true, serverNoContextTakeover: false, clientMaxWindowBits: 12, serverMaxWindowBits: 10
        ))
    }

    @Test(arguments: [
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=99999999999999999999999",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; unknown_parameter",
    ])
    func rejectsMissingOrInvalidNegotiation(header: String) {
        #expect(negotiated(header) == nil)
    }

    @Test func usesTheFirstAcceptedPerMessageDeflate() {
        let parameters = negotiated("x-webkit-deflate-frame, PERMESSAGE-DEFLATE; server_no_context_takeover, permessage-deflate")
        #expect(parameters?.serverNoContextTakeover == true)
    }
}
