import Foundation
import Testing

/// Handshakes other than one full handshake, recorded from OpenSSL's s_client against Python's
/// `websockets` TLS server (scripts/capture/record_tls_openssl.py): a HelloRetryRequest, a TLS 1.3
/// PSK resumption and TLS 1.2 resumptions by ticket and by session ID. Every message must match
/// what the peers sent, byte for byte.
struct TLSHandshakeVariantsTests {
    static let folder = TLSRealPeersTests.folder

    /// RFC 8446 §4.1.3: the random of a ServerHello that is a HelloRetryRequest.
    static let helloRetryRandom = Data([
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ])

    /// Reads `name` with its key log; checks every message against the truth, no anomaly, and
    /// `connections` TLS connections with the given version. Returns the JSON lines.
    @discardableResult
    static func decodesExactly(_ name: String, messages: Int, connections: Int, version: String,
                               keyLog: String? = nil) throws -> [[String: Any]] {
        let capture = TLSRealPeersTests.capture(name)
        let keys = keyLog ?? folder.appendingPathComponent("\(name).keylog").path
        let (lines, expected) = try TLSRealPeersTests.decryptsAsSent(capture, keyLog: keys, messages: messages)
        #expect(Set(expected.keys.map(\.client)).count == connections)
        #expect(!lines.contains { ["anomaly", "gap", "tls"].contains($0["event"] as? String) }, "\(lines)")
        let opens = lines.filter { $0["event"] as? String == "open" }
        #expect(opens.count == connections)
        #expect(opens.allSatisfy { ($0["tls"] as? [String: Any])?["version"] as? String == version }, "\(opens)")
        return lines
    }

    /// The server accepts only P-256 and s_client's one key share is X25519: the server's first
    /// hello is a HelloRetryRequest, then a second ClientHello (same random) is answered.
    @Test func helloRetryRequest() throws {
        let pcap = try Data(contentsOf: Self.folder.appendingPathComponent("openssl-hrr.pcap"))
        #expect(pcap.range(of: Self.helloRetryRandom) != nil, "the capture holds no HelloRetryRequest")
        try Self.decodesExactly("openssl-hrr", messages: 8, connections: 1, version: "TLS 1.3")
    }

    /// A full TLS 1.3 handshake, then a second connection resuming its session with a PSK
    /// (s_client -sess_in; the recording checked s_client printed "Reused"): the key log holds
    /// each connection's own handshake and traffic secrets.
    @Test func tls13Resumption() throws {
        try Self.decodesExactly("openssl-resumed-tls13", messages: 16, connections: 2, version: "TLS 1.3")
        try Self.onlyFirstConnectionDecryptsWithItsKeysAlone("openssl-resumed-tls13")
    }

    /// TLS 1.2: an abbreviated handshake resuming the first connection's session (ServerHello,
    /// ChangeCipherSpec and Finished from the server first); its `CLIENT_RANDOM` line carries the
    /// resumed master secret.
    @Test func tls12Resumption() throws {
        try Self.decodesExactly("openssl-resumed-tls12", messages: 16, connections: 2, version: "TLS 1.2")
        try Self.onlyFirstConnectionDecryptsWithItsKeysAlone("openssl-resumed-tls12")
    }

    /// TLS 1.2 resumed by session ID (s_client -no_ticket: the second ClientHello carries the
    /// first session's ID, the server finds it in its cache), the same abbreviated handshake.
    @Test func tls12SessionIDResumption() throws {
        try Self.decodesExactly("openssl-resumed-tls12-id", messages: 16, connections: 2, version: "TLS 1.2")
        try Self.onlyFirstConnectionDecryptsWithItsKeysAlone("openssl-resumed-tls12-id")
    }

    /// With only the first connection's lines of the key log, the resumed connection is not
    /// decrypted from the first one's secrets: it is listed as `no_key`, and the first decodes.
    static func onlyFirstConnectionDecryptsWithItsKeysAlone(_ name: String) throws {
        let keys = try String(contentsOf: folder.appendingPathComponent("\(name).keylog"), encoding: .utf8)
        let entries = keys.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let randoms = entries.compactMap { $0.split(separator: " ").dropFirst().first }
        #expect(Set(randoms).count == 2, "\(randoms)")
        let first = try #require(randoms.first)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-\(name)-\(UUID().uuidString).keylog")
        defer { try? FileManager.default.removeItem(at: file) }
        try entries.filter { $0.contains(first) }.joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", file.path,
                                          TLSRealPeersTests.capture(name).file.path])
        let lines = try result.jsonLines()
        #expect(lines.filter { $0["event"] as? String == "open" }.count == 1, "\(lines)")
        #expect(lines.filter { $0["kind"] as? String == "no_key" }.count == 1, "\(lines)")
        #expect(lines.filter { $0["event"] as? String == "message" }.count == 8)
    }
}
