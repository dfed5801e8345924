import FuzzConversation
import Sessions
import WebSocketProtocol

/// Recorded connections `wstap serve` may play a live client's request as: with and without a
/// subprotocol, and with permessage-deflate parameters that narrow both windows and both takeovers.
let servedConnections = [
    SessionConnection(
        id: 1, client: "", server: "", start: 0, request: nil, response: nil, subprotocol: "chat.v1",
        extensions: ["permessage-deflate; client_max_window_bits=10; server_max_window_bits=9; server_no_context_takeover"],
        messages: []),
    SessionConnection(
        id: 2, client: "", server: "", start: 0, request: nil, response: nil, subprotocol: nil,
        extensions: ["permessage-deflate"], messages: []),
    SessionConnection(
        id: 3, client: "", server: "", start: 0, request: nil, response: nil, subprotocol: nil, extensions: [], messages: []),
]

/// What live peers send before their first frame (the first byte picks the side): a server's
/// answer to replay's handshake (`ServerResponseCheck`), or a client's request to `wstap serve`
/// (`ClientRequestCheck`). For a request serve accepts, its 101 for each recorded connection must
/// read back as one response head, and replay's own check must accept it: wstap's two sides agree.
func fuzzPeerHandshake(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let side = input.byte()
    let bytes = Array(input.rest())
    if side & 1 == 0 {
        _ = ServerResponseCheck(expectedAccept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").check(bytes)
        return 0
    }
    guard case .request(let head, let key, _) = ClientRequestCheck.check(bytes) else { return 0 }
    for connection in servedConnections {
        let answer = ClientRequestCheck.accept(head, key: key, as: connection)
        guard case .head(_, let consumed) = HTTPHeadParser.parseResponse(answer.bytes, maxHeadBytes: answer.bytes.count + 1),
            consumed == answer.bytes.count
        else {
            fatalError("serve's 101 does not read back as one head: \(String(decoding: answer.bytes, as: UTF8.self).debugDescription)")
        }
        let check = ServerResponseCheck(expectedAccept: WebSocketHandshake.acceptValue(forKey: key))
        guard case .upgraded = check.check(answer.bytes) else {
            fatalError("replay refuses serve's 101 \(String(decoding: answer.bytes, as: UTF8.self).debugDescription): \(check.check(answer.bytes))")
        }
    }
    return 0
}
