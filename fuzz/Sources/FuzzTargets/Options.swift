import FuzzConversation
import PacketCapture
import PacketDecoding
import Sessions
import WebSocketProtocol

/// The values of wstap's options that are parsed rather than just converted: `--ignore` (a
/// JSONPath pattern, with the answer comparison it steers), `--target`, `--filter` (BPF, compiled
/// by libpcap for the capture's link type) and `--header`. The first byte picks the option.
/// ArgumentParser itself and the subcommands live in the `wstap` executable, which another package
/// cannot link; these are the library types the subcommands hand the values to.
func fuzzOptions(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.byte() % 4 {
    case 0: fuzzIgnore(&input)
    case 1: fuzzReplayTarget(String(decoding: input.rest(), as: UTF8.self))
    case 2: fuzzFilter(&input)
    default: fuzzHeaders(String(decoding: input.rest(), as: UTF8.self))
    }
    return 0
}

/// `--ignore PATTERN`, then two answers (recorded, received) compared with it: pattern, recorded
/// and received are separated by NUL bytes.
func fuzzIgnore(_ input: inout FuzzInput) {
    let pattern = try? JSONPathPattern(String(decoding: input.take(until: 0), as: UTF8.self))
    let recorded = ReplayMessage(opcode: .text, payload: Array(input.take(until: 0)))
    let received = ReplayMessage(opcode: .text, payload: Array(input.rest()))
    let comparator = AnswerComparator(ignoring: pattern.map { [$0] } ?? [])
    _ = comparator.compare(recorded, received, index: 0)
}

/// `--target ws://HOST:PORT`, and the handshake request that carries its Host header.
func fuzzReplayTarget(_ text: String) {
    guard let target = try? ReplayTarget(parsing: text) else { return }
    _ = (target.description, target.hostIsIPAddress)
    let connection = SessionConnection(
        id: 1, client: "", server: "", start: 0, request: nil, response: nil, subprotocol: nil, extensions: [], messages: [])
    _ = HandshakeRequest(recorded: connection, replayTarget: target, overrides: [], key: "dGhlIHNhbXBsZSBub25jZQ==").bytes
}

/// The link types a capture may have, chosen by the byte before the expression: BPF compiles
/// differently for each.
let filterLinkTypes: [LinkType] = [.ethernet, .raw, .linuxSLL, .linuxSLL2, .null, .loop, .ipv4, .ipv6]

/// `--filter EXPRESSION` on an empty capture of the chosen link type, as `CaptureReader` applies it.
/// Host, network and Ethernet names are never looked up (see NameLookup.swift).
func fuzzFilter(_ input: inout FuzzInput) {
    let linkType = filterLinkTypes[Int(input.byte()) % filterLinkTypes.count]
    var header: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0]
    withUnsafeBytes(of: UInt32(linkType.rawValue).littleEndian) { header += $0 }
    guard let source = try? header.withUnsafeBytes({ try PacketSource.openCapture(bytes: $0) }) else {
        fatalError("an empty capture of link type \(linkType.rawValue) does not open")
    }
    try? source.setFilter(String(decoding: input.rest(), as: UTF8.self))
}

/// `--header 'Name: value'` lines (one per line of the input), split as `wstap replay` splits them,
/// applied over a recorded request.
func fuzzHeaders(_ text: String) {
    var overrides: [(name: String, value: String)] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        guard let colon = line.firstIndex(of: ":"), !line[..<colon].trimmingCharacters().isEmpty else { continue }
        overrides.append((String(line[..<colon]).trimmingCharacters(), String(line[line.index(after: colon)...]).trimmingCharacters()))
    }
    let request = SessionRequestHead(HTTPRequestHead(
        method: "GET", target: "/chat", version: "HTTP/1.1",
        headers: HTTPHeaders([HTTPField(name: "Host", value: "example.com"), HTTPField(name: "Origin", value: "http://example.com")])))
    let connection = SessionConnection(
        id: 1, client: "", server: "", start: 0, request: request, response: nil, subprotocol: nil,
        extensions: ["permessage-deflate"], messages: [])
    let target = ReplayTarget(secure: false, host: "127.0.0.1", port: 9)
    _ = HandshakeRequest(recorded: connection, replayTarget: target, overrides: overrides, key: "dGhlIHNhbXBsZSBub25jZQ==").bytes
}

extension StringProtocol {
    /// A copy of Replay.swift's (file-private, in the executable): spaces and tabs off both ends.
    func trimmingCharacters() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
