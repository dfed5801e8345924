import PacketDecoding
import TCPReassembly
import WebSocketInspection

extension TLSStreamLayer {
    /// One complete record of one direction.
    func process(_ record: TLSRecord, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        if awaitingKey != nil {
            holdWhileAwaitingKey(record, side: side, at: timestamp, output)
            return
        }
        let index = index(side)
        let isTLS13 = serverHello?.version == .tls13
        guard halves[index].decryptor != nil, !isTLS13 || record.type == TLSRecord.applicationData else {
            processPlaintext(record, side: side, at: timestamp, output)
            return
        }
        guard let opened = halves[index].decryptor?.open(header: record.header, fragment: record.fragment) else {
            let overhead = halves[index].decryptor?.overhead ?? 0
            let next = (halves[index].decryptor?.sequenceNumber ?? 0) + 1
            halves[index].decryptor?.skip(to: next)
            if !hasReportedAuthenticationFailure {
                hasReportedAuthenticationFailure = true
                output(.anomaly(kind: .tlsAuthenticationFailed, detail: "a TLS record from the \(side == .initiator ? "client" : "server") did not authenticate with the key log's keys (wrong key log, or corrupted capture): its bytes are not shown; \(summary.map { "\($0)" } ?? "")", timestamp: timestamp))
            }
            if !isTLS13 || halves[index].hasApplicationKeys {
                output(.gap(side: side, byteCount: UInt64(max(0, record.fragment.count - overhead)), timestamp: timestamp))
            }
            return
        }
        switch opened.type {
        case TLSRecord.applicationData where !opened.plaintext.isEmpty:
            output(.data(side: side, bytes: opened.plaintext[...], timestamp: timestamp))
        case TLSRecord.handshake where isTLS13:
            for message in halves[index].handshake.append(opened.plaintext) {
                processEncryptedHandshake(message, side: side, at: timestamp, output)
            }
        default:
            break
        }
    }

    private func processPlaintext(_ record: TLSRecord, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        let index = index(side)
        switch record.type {
        case TLSRecord.handshake:
            for message in halves[index].handshake.append(record.fragment) {
                processHello(message, side: side, at: timestamp, output)
                if isUndecryptable { return }
            }
        case TLSRecord.changeCipherSpec:
            // TLS 1.2: from here on this side's records are protected (TLS 1.3 sends it only for
            // middlebox compatibility).
            if serverHello?.version != .tls13, let keys = halves[index].pendingKeys, let cipher = serverHello?.cipherSuite.parameters?.cipher {
                halves[index].decryptor = TLSRecordDecryptor(keys: keys, cipher: cipher, isTLS13: false)
                halves[index].pendingKeys = nil
            }
        case TLSRecord.applicationData:
            if serverHello == nil {
                reportUndecryptable(.noKey, "application data before any ServerHello (the handshake was not captured): cannot be decrypted", at: timestamp, output)
            }
        default:
            break
        }
    }

    private func processHello(_ message: TLSHandshakeAssembler.Message, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        switch (message.type, side) {
        case (1, .initiator):
            guard let hello = TLSClientHello(body: message.body) else {
                return reportUndecryptable(.tlsMalformed, "a ClientHello that could not be parsed", at: timestamp, output)
            }
            // A second ClientHello (after HelloRetryRequest) keeps the random; take the latest.
            clientHello = hello
        case (2, .responder):
            guard let hello = TLSServerHello(body: message.body) else {
                return reportUndecryptable(.tlsMalformed, "a ServerHello that could not be parsed", at: timestamp, output)
            }
            guard !hello.isHelloRetryRequest else { return }
            serverHello = hello
            setUpKeys(at: timestamp, output)
        default:
            break
        }
    }

    /// The ServerHello fixed version and suite: find the secrets and derive both sides' keys.
    private func setUpKeys(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        guard let serverHello, let summary else { return }
        guard let clientHello else {
            return reportUndecryptable(.noKey, "\(summary): the ClientHello was not captured, so its key log entry cannot be found", at: timestamp, output)
        }
        guard serverHello.version == .tls12 || serverHello.version == .tls13 else {
            return reportUndecryptable(.tlsUnsupported, "\(summary): \(serverHello.version) is not decrypted (TLS 1.2 and 1.3 are)", at: timestamp, output)
        }
        guard serverHello.cipherSuite.parameters != nil else {
            return reportUndecryptable(.tlsUnsupported, "\(summary): cipher suite \(serverHello.cipherSuite) is not decrypted (AES-GCM and ChaCha20-Poly1305 suites are)", at: timestamp, output)
        }
        let known = configuration.keyLog[clientRandom: clientHello.random]
        guard let secrets = known ?? configuration.liveKeyLog?.secrets(for: clientHello.random, isComplete: hasAllSecrets),
              known != nil || hasAllSecrets(secrets)
        else {
            if configuration.liveKeyLog != nil {
                // Its secrets may not be written yet: hold the records and look again.
                awaitingKey = AwaitingKey(since: timestamp)
                return
            }
            return reportNoKeyLogEntry(at: timestamp, output)
        }
        install(secrets, at: timestamp, output)
    }

    /// Whether a key log entry holds every secret this connection's version needs.
    func hasAllSecrets(_ secrets: TLSKeyLog.Secrets) -> Bool {
        if serverHello?.version == .tls13 {
            return secrets.clientHandshakeTrafficSecret != nil && secrets.serverHandshakeTrafficSecret != nil
                && secrets.clientTrafficSecret0 != nil && secrets.serverTrafficSecret0 != nil
        }
        return secrets.masterSecret != nil
    }

    /// The client random's first bytes, in hex, to name a connection's key log entry.
    var randomPrefix: String {
        (clientHello?.random ?? []).prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    func reportNoKeyLogEntry(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        guard let summary else { return }
        let hasKeys = !configuration.keyLog.isEmpty || (configuration.liveKeyLog?.count ?? 0) > 0
        let why = hasKeys || configuration.liveKeyLog != nil ? "the key log has no entry for client random \(randomPrefix)…" : "no key log was given (--keylog FILE)"
        reportUndecryptable(.noKey, "\(summary): \(why)", at: timestamp, output)
    }

    /// Derives both sides' keys from the connection's secrets.
    func install(_ secrets: TLSKeyLog.Secrets, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        guard let serverHello, let summary, let clientHello, let (cipher, hash) = serverHello.cipherSuite.parameters else { return }
        let random = randomPrefix
        if serverHello.version == .tls13 {
            guard let clientHandshake = secrets.clientHandshakeTrafficSecret, let serverHandshake = secrets.serverHandshakeTrafficSecret,
                  let client0 = secrets.clientTrafficSecret0, let server0 = secrets.serverTrafficSecret0,
                  [clientHandshake, serverHandshake, client0, server0].allSatisfy({ $0.count == hash.length })
            else {
                return reportUndecryptable(.noKey, "\(summary): the key log lacks this connection's TLS 1.3 handshake and traffic secrets (client random \(random)…)", at: timestamp, output)
            }
            halves[0].decryptor = TLSRecordDecryptor(keys: TLSKeySchedule.trafficKeys(secret: clientHandshake, cipher: cipher, hash: hash), cipher: cipher, isTLS13: true)
            halves[1].decryptor = TLSRecordDecryptor(keys: TLSKeySchedule.trafficKeys(secret: serverHandshake, cipher: cipher, hash: hash), cipher: cipher, isTLS13: true)
            halves[0].applicationSecret = client0
            halves[1].applicationSecret = server0
        } else {
            guard let master = secrets.masterSecret else {
                return reportUndecryptable(.noKey, "\(summary): the key log has no CLIENT_RANDOM line for client random \(random)…", at: timestamp, output)
            }
            let keys = TLSKeySchedule.tls12Keys(masterSecret: master, clientRandom: clientHello.random, serverRandom: serverHello.random, cipher: cipher, hash: hash)
            halves[0].pendingKeys = keys.client
            halves[1].pendingKeys = keys.server
            reportHTTP2IfChosen(at: timestamp, output)
        }
    }

    /// WebSocket over HTTP/2 (RFC 8441) is not decoded yet: say so rather than show nothing.
    private func reportHTTP2IfChosen(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        guard (serverHello?.selectedProtocol ?? encryptedSelectedProtocol) == "h2", let summary else { return }
        output(.anomaly(kind: .http2NotDecoded, detail: "\(summary): decrypted, but the server chose HTTP/2; WebSocket over HTTP/2 (RFC 8441) is not decoded yet", timestamp: timestamp))
    }

    /// TLS 1.3 handshake messages under the handshake or application keys.
    private func processEncryptedHandshake(_ message: TLSHandshakeAssembler.Message, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        let index = index(side)
        guard let (cipher, hash) = serverHello?.cipherSuite.parameters else { return }
        switch message.type {
        case 8:
            // EncryptedExtensions: the server's ALPN choice.
            var reader = TLSByteReader(message.body)
            if let extensions = TLSExtensions(reader: &reader), let data = extensions[16] {
                encryptedSelectedProtocol = TLSExtensions.protocolNames(data)?.first
                reportHTTP2IfChosen(at: timestamp, output)
            }
        case 20 where !halves[index].hasApplicationKeys:
            // Finished: this side's next records use its application traffic secret.
            guard let secret = halves[index].applicationSecret else { return }
            halves[index].decryptor = TLSRecordDecryptor(keys: TLSKeySchedule.trafficKeys(secret: secret, cipher: cipher, hash: hash), cipher: cipher, isTLS13: true)
            halves[index].hasApplicationKeys = true
        case 24 where halves[index].hasApplicationKeys:
            // KeyUpdate: the next generation of this side's secret.
            guard let secret = halves[index].applicationSecret else { return }
            let next = TLSKeySchedule.nextTrafficSecret(secret, hash: hash)
            halves[index].applicationSecret = next
            halves[index].decryptor = TLSRecordDecryptor(keys: TLSKeySchedule.trafficKeys(secret: next, cipher: cipher, hash: hash), cipher: cipher, isTLS13: true)
        default:
            break
        }
    }

    /// Reports why the connection stays closed, once, and drops its records from here on.
    func reportUndecryptable(_ kind: AnomalyKind, _ detail: String, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        guard !isUndecryptable else { return }
        isUndecryptable = true
        for index in halves.indices { halves[index].buffer = [] }
        var detail = detail
        if serverHello?.selectedProtocol == "h2" {
            detail += "; the server chose ALPN h2: WebSocket over HTTP/2 (RFC 8441) is not decoded yet, even with a key"
        } else if serverHello?.selectedProtocol == nil, clientHello?.protocols.contains("h2") == true {
            detail += "; the client offered ALPN h2: if the server chose it, WebSocket over HTTP/2 (RFC 8441) is not decoded yet, even with a key"
        }
        undecryptableReason = (kind, detail)
        output(.anomaly(kind: kind, detail: detail, timestamp: timestamp))
    }
}
