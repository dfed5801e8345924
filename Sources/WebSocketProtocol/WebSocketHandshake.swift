/// Checks of the WebSocket opening handshake (RFC 6455 §4).
public enum WebSocketHandshake {
    /// The GUID RFC 6455 appends to the key before hashing.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` value a server must send for `key`:
    /// base64(SHA-1(key + GUID)). The key is used exactly as sent, as the RFC requires.
    public static func acceptValue(forKey key: String) -> String {
        var hasher = SHA1()
        hasher.update(key.utf8)
        hasher.update(acceptGUID.utf8)
        return Base64.encode(hasher.finalize())
    }

    /// Whether `head` asks to upgrade to WebSocket: `GET` with `Upgrade` listing `websocket` and
    /// `Connection` listing `upgrade`, both without regard to case.
    public static func isUpgradeRequest(_ head: HTTPRequestHead) -> Bool {
        head.method == "GET"
            && head.headers.containsToken("Upgrade", "websocket")
            && head.headers.containsToken("Connection", "upgrade")
    }

    /// Whether `head` completes a WebSocket upgrade: status 101 and `Upgrade` listing `websocket`.
    ///
    /// `Connection: upgrade` is required by the RFC but not checked: servers vary (some send
    /// `Upgrade: WebSocket` and no Connection header) and clients still switch, so the bytes after
    /// such a response are WebSocket frames and must be decoded as such.
    public static func isUpgradeResponse(_ head: HTTPResponseHead) -> Bool {
        head.status == 101 && head.headers.containsToken("Upgrade", "websocket")
    }

    /// Everything wrong with a completed handshake, in a stable order; empty when it is clean.
    public static func problems(request: HTTPRequestHead, response: HTTPResponseHead) -> [WebSocketHandshakeProblem] {
        var problems: [WebSocketHandshakeProblem] = []
        let key = request.headers.first("Sec-WebSocket-Key")
        let accept = response.headers.first("Sec-WebSocket-Accept")
        if key == nil {
            problems.append(.init(kind: .missingKey, detail: "request has no Sec-WebSocket-Key"))
        }
        if let accept {
            if let key, accept != acceptValue(forKey: key) {
                problems.append(
                    .init(
                        kind: .wrongAccept,
                        detail: "Sec-WebSocket-Accept expected \(acceptValue(forKey: key)), got \(accept)"
                    )
                )
            }
        } else {
            problems.append(.init(kind: .missingAccept, detail: "response has no Sec-WebSocket-Accept"))
        }

        let version = request.headers.first("Sec-WebSocket-Version")
        if version != "13" {
            let detail = version.map { "Sec-WebSocket-Version is \($0), expected 13" } ?? "request has no Sec-WebSocket-Version"
            problems.append(.init(kind: .unsupportedVersion, detail: detail))
        }

        let acceptedValues = response.headers.all("Sec-WebSocket-Extensions")
        for malformed in WebSocketExtensionHeader.malformedElements(acceptedValues) {
            problems.append(
                .init(
                    kind: .malformedExtension,
                    detail: "response's Sec-WebSocket-Extensions element \"\(malformed.element)\": \(malformed.reason)"
                )
            )
        }
        let offered = WebSocketExtensionHeader.parse(request.headers.all("Sec-WebSocket-Extensions"))
        for accepted in WebSocketExtensionHeader.parse(acceptedValues)
        where !offered.contains(where: { $0.isNamed(accepted.name) }) {
            problems.append(
                .init(kind: .unofferedExtension, detail: "response accepts extension \(accepted.name), which the request did not offer")
            )
        }

        let offeredProtocols = request.headers.listElements("Sec-WebSocket-Protocol")
        let offeredSet = Set(offeredProtocols)
        // Built once and bounded: a response selecting thousands of unoffered items used to quote
        // every offer in each problem (4,000 × 38 KB of details, 200 MB).
        let offeredList = Self.quotedList(offeredProtocols)
        for selected in response.headers.listElements("Sec-WebSocket-Protocol") where !offeredSet.contains(selected) {
            problems.append(
                .init(
                    kind: .unofferedSubprotocol,
                    detail: "response selects subprotocol \(selected); offered: \(offeredList)"
                )
            )
        }
        return problems
    }

    /// The longest list of offers a problem quotes, in bytes; longer lists are cut at an item and
    /// say how many items were left out.
    public static let maxQuotedListBytes = 512

    static func quotedList(_ items: [String]) -> String {
        guard !items.isEmpty else { return "none" }
        var text = ""
        for (index, item) in items.enumerated() {
            let separator = index == 0 ? "" : ", "
            if text.utf8.count + separator.utf8.count + item.utf8.count > maxQuotedListBytes && index > 0 {
                return text + " … (\(items.count - index) more)"
            }
            text += separator + item
        }
        return text
    }
}
