import Foundation

/// Writes classic pcap files of Ethernet/IPv4/TCP packets, for tests that need captures no real
/// peer can be made to produce (100,000 half-open connections, endless headers, absurd lengths).
/// Checksums are left zero: capture files from checksum-offloading NICs look the same.
struct PcapWriter {
    private(set) var data = Data()
    private var time: UInt32 = 1_700_000_000
    private var microseconds: UInt32 = 0

    init(snapshotLength: UInt32 = 262_144) {
        append32(0xA1B2_C3D4)
        append16(2)
        append16(4)
        append32(0)
        append32(0)
        append32(snapshotLength)
        append32(1)  // Ethernet
    }

    /// One TCP packet from `client`:`clientPort` to 10.0.0.1:`serverPort` (or back when `fromServer`).
    mutating func tcp(
        client: (UInt8, UInt8), clientPort: UInt16, serverPort: UInt16 = 80, fromServer: Bool = false,
        sequence: UInt32, acknowledgment: UInt32 = 0, flags: UInt8, payload: some Collection<UInt8> = [UInt8]()
    ) {
        var packet = [UInt8](repeating: 0, count: 12)
        packet += [0x08, 0x00]
        let clientAddress: [UInt8] = [10, 1, client.0, client.1]
        let serverAddress: [UInt8] = [10, 0, 0, 1]
        let totalLength = 20 + 20 + payload.count
        packet += [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0]
        packet += fromServer ? serverAddress + clientAddress : clientAddress + serverAddress
        let (source, destination) = fromServer ? (serverPort, clientPort) : (clientPort, serverPort)
        packet += [UInt8(source >> 8), UInt8(source & 0xFF), UInt8(destination >> 8), UInt8(destination & 0xFF)]
        packet += withUnsafeBytes(of: sequence.bigEndian, Array.init)
        packet += withUnsafeBytes(of: acknowledgment.bigEndian, Array.init)
        packet += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        packet += payload
        record(packet)
    }

    mutating func record(_ packet: [UInt8], capturedLength: Int? = nil) {
        microseconds += 10
        if microseconds >= 1_000_000 { time += 1; microseconds = 0 }
        let kept = capturedLength ?? packet.count
        append32(time)
        append32(microseconds)
        append32(UInt32(kept))
        append32(UInt32(packet.count))
        data.append(contentsOf: packet.prefix(kept))
    }

    private mutating func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    private mutating func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }

    static let syn: UInt8 = 0x02
    static let ack: UInt8 = 0x10
    static let pshAck: UInt8 = 0x18
    static let synAck: UInt8 = 0x12
}
