import Testing
@testable import TLSDecryption

/// The key schedule against published vectors: RFC 8448 §3 (the simple 1-RTT TLS 1.3 trace,
/// TLS_AES_128_GCM_SHA256) and the TLS 1.2 PRF vectors circulated on the IETF TLS list.
struct TLSKeyScheduleTests {
    // RFC 8448 §3 traffic secrets.
    static let clientHandshakeSecret = hex("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21")
    static let serverHandshakeSecret = hex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38")
    static let clientApplicationSecret = hex("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5")
    static let serverApplicationSecret = hex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43")

    struct KeyCase: Sendable, CustomTestStringConvertible {
        var name: String
        var secret: [UInt8]
        var key: [UInt8]
        var iv: [UInt8]
        var testDescription: String { name }
    }

    @Test(arguments: [
        KeyCase(name: "server handshake", secret: serverHandshakeSecret,
                key: hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"), iv: hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30")),
        KeyCase(name: "client handshake", secret: clientHandshakeSecret,
                key: hex("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01"), iv: hex("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f")),
        KeyCase(name: "server application", secret: serverApplicationSecret,
                key: hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"), iv: hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84")),
        KeyCase(name: "client application", secret: clientApplicationSecret,
                key: hex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51"), iv: hex("5b 78 92 3d ee 08 57 90 33 e5 23 d9")),
    ])
    func trafficKeysMatchRFC8448(_ vector: KeyCase) {
        let keys = TLSKeySchedule.trafficKeys(secret: vector.secret, cipher: .aes128GCM, hash: .sha256)
        #expect(keys.key == vector.key)
        #expect(keys.iv == vector.iv)
    }

    /// RFC 8448 §3: the client's first application record carries 00 01 … 31.
    static let clientApplicationRecord = hex("""
        17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f 2b 98 19 a8
        a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4
        """)
    /// The server's application record: its second under the application keys (after NewSessionTicket).
    static let serverApplicationRecord = hex("""
        17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b 36 e3 0e fa f9
        7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d
        """)
    /// The client's Finished, under its handshake keys.
    static let clientFinishedRecord = hex("""
        17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38
        f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46
        """)

    static func decryptor(_ secret: [UInt8]) -> TLSRecordDecryptor {
        TLSRecordDecryptor(keys: TLSKeySchedule.trafficKeys(secret: secret, cipher: .aes128GCM, hash: .sha256), cipher: .aes128GCM, isTLS13: true)
    }

    @Test func clientApplicationRecordOpensToTheRFCPayload() throws {
        var decryptor = Self.decryptor(Self.clientApplicationSecret)
        let record = Self.clientApplicationRecord
        let result = decryptor.open(header: record[0..<5], fragment: record[5...])
        let opened = try #require(result)
        #expect(opened.type == 23)
        #expect(opened.plaintext == Array(0...0x31))
        #expect(decryptor.sequenceNumber == 1)
    }

    @Test func serverApplicationRecordOpensOnlyAtItsSequenceNumber() throws {
        let decryptor = Self.decryptor(Self.serverApplicationSecret)
        let record = Self.serverApplicationRecord
        #expect(decryptor.open(header: record[0..<5], fragment: record[5...], sequence: 0) == nil)
        let opened = try #require(decryptor.open(header: record[0..<5], fragment: record[5...], sequence: 1))
        #expect(opened.plaintext == Array(0...0x31))
    }

    @Test func clientFinishedOpensAsAHandshakeRecord() throws {
        var decryptor = Self.decryptor(Self.clientHandshakeSecret)
        let record = Self.clientFinishedRecord
        let result = decryptor.open(header: record[0..<5], fragment: record[5...])
        let opened = try #require(result)
        #expect(opened.type == 22)
        #expect(opened.plaintext.prefix(4) == [0x14, 0x00, 0x00, 0x20])
        #expect(opened.plaintext.count == 36)
    }

    /// A flipped bit anywhere (header, ciphertext, tag) fails authentication: nothing comes out,
    /// and the sequence number stays.
    @Test(arguments: [0, 4, 5, 30, 71])
    func aFlippedBitFailsAuthentication(at position: Int) {
        var decryptor = Self.decryptor(Self.clientApplicationSecret)
        var record = Self.clientApplicationRecord
        record[position] ^= 0x01
        #expect(decryptor.open(header: record[0..<5], fragment: record[5...]) == nil)
        #expect(decryptor.sequenceNumber == 0)
    }

    @Test func aWrongKeyFailsAuthentication() {
        var decryptor = Self.decryptor(Self.serverApplicationSecret)
        let record = Self.clientApplicationRecord
        #expect(decryptor.open(header: record[0..<5], fragment: record[5...]) == nil)
    }

    @Test func hkdfExpandLabelInfoIsTheRFCs() {
        // RFC 8448 prints the "key" info as 00 10 09 "tls13 key" 00; the output is its key above.
        let key = TLSKeySchedule.expandLabel(secret: Self.serverHandshakeSecret, label: "key", length: 16, hash: .sha256)
        #expect(key == hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"))
    }

    /// KeyUpdate: HKDF-Expand-Label(secret, "traffic upd", "", 32), cross-checked with Python's
    /// hmac (one HMAC-SHA256 block of the HkdfLabel).
    @Test func keyUpdateAdvancesTheSecret() {
        let next = TLSKeySchedule.nextTrafficSecret(Self.clientApplicationSecret, hash: .sha256)
        #expect(next == hex("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207"))
        #expect(TLSKeySchedule.nextTrafficSecret(next, hash: .sha256) != next)
    }

    @Test func tls12PRFWithSHA256MatchesThePublishedVector() {
        let output = TLSKeySchedule.prf(secret: hex("9bbe436ba940f017b17652849a71db35"), label: "test label",
                                        seed: hex("a0ba9f936cda311827a6f796ffd5198c"), length: 100, hash: .sha256)
        #expect(output == hex("""
            e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17
            abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66
            """))
    }

    @Test func tls12PRFWithSHA384MatchesThePublishedVector() {
        let output = TLSKeySchedule.prf(secret: hex("b80b733d6ceefcdc71566ea48e5567df"), label: "test label",
                                        seed: hex("cd665cf6a8447dd6ff8b27555edb7465"), length: 148, hash: .sha384)
        #expect(output == hex("""
            7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700
            884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a2
            6066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f
            """))
    }

    @Test func tls12KeyBlockSplitsClientThenServer() {
        let master = Array(repeating: UInt8(7), count: 48)
        let clientRandom = Array(repeating: UInt8(1), count: 32), serverRandom = Array(repeating: UInt8(2), count: 32)
        let keys = TLSKeySchedule.tls12Keys(masterSecret: master, clientRandom: clientRandom, serverRandom: serverRandom, cipher: .aes128GCM, hash: .sha256)
        let block = TLSKeySchedule.prf(secret: master, label: "key expansion", seed: serverRandom + clientRandom, length: 40, hash: .sha256)
        #expect(keys.client.key == Array(block[0..<16]))
        #expect(keys.server.key == Array(block[16..<32]))
        #expect(keys.client.iv == Array(block[32..<36]))
        #expect(keys.server.iv == Array(block[36..<40]))
        let chacha = TLSKeySchedule.tls12Keys(masterSecret: master, clientRandom: clientRandom, serverRandom: serverRandom, cipher: .chaCha20Poly1305, hash: .sha256)
        #expect(chacha.client.key.count == 32 && chacha.client.iv.count == 12)
    }
}
