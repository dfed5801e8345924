import Foundation

/// Cuts a classic pcap of Ethernet/IPv4/TCP packets (what scripts/capture records) so that it
/// starts at a chosen point, as if tcpdump had been started then: the mid-stream captures of
/// MidstreamCutTests.
///
/// Two kinds of cut. At a packet: every packet before it is dropped, which is what starting a
/// capture late gives (tcpdump never records half a packet). Inside a packet's TCP payload: that
/// packet keeps only the payload from the cut on (its sequence number and IP length adjusted),
/// which puts the start of the capture at any byte of the stream, inside a frame header or a
/// 64-bit-length frame: harder than reality, since the first bytes no longer start a segment.
struct PcapCutter {
    struct Packet {
        /// Offset of the packet's record header in the file.
        var fileOffset: Int
        var timestamp: Double
        var bytes: [UInt8]
        /// Offset of the TCP payload in `bytes`, and its length (0 for non-TCP/IPv4 packets).
        var payloadOffset: Int
        var payloadLength: Int
        /// "srcIP:port>dstIP:port" of a TCP packet, else "".
        var flow: String
    }

    let header: [UInt8]
    let packets: [Packet]
    let fileSize: Int

    enum CutError: Error { case notClassicPcap }

    init(file: URL) throws {
        let data = [UInt8](try Data(contentsOf: file))
        guard data.count >= 24, data[0] == 0xD4, data[1] == 0xC3, data[2] == 0xB2, data[3] == 0xA1 else { throw CutError.notClassicPcap }
        header = Array(data[0..<24])
        fileSize = data.count
        var packets: [Packet] = []
        var offset = 24
        func u32(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24 }
        while offset + 16 <= data.count {
            let captured = u32(offset + 8)
            let start = offset + 16
            guard start + captured <= data.count else { break }
            let bytes = Array(data[start..<start + captured])
            var packet = Packet(
                fileOffset: offset, timestamp: Double(u32(offset)) + Double(u32(offset + 4)) / 1e6,
                bytes: bytes, payloadOffset: 0, payloadLength: 0, flow: "")
            if bytes.count >= 54, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 6 {
                let ipHeader = Int(bytes[14] & 0x0F) * 4
                let ipTotal = Int(bytes[16]) << 8 | Int(bytes[17])
                let tcp = 14 + ipHeader
                let tcpHeader = Int(bytes[tcp + 12] >> 4) * 4
                packet.payloadOffset = tcp + tcpHeader
                packet.payloadLength = max(0, min(14 + ipTotal, bytes.count) - packet.payloadOffset)
                let source = bytes[26..<30].map(String.init).joined(separator: ".")
                let destination = bytes[30..<34].map(String.init).joined(separator: ".")
                let sourcePort = Int(bytes[tcp]) << 8 | Int(bytes[tcp + 1])
                let destinationPort = Int(bytes[tcp + 2]) << 8 | Int(bytes[tcp + 3])
                packet.flow = "\(source):\(sourcePort)>\(destination):\(destinationPort)"
            }
            packets.append(packet)
            offset = start + captured
        }
        self.packets = packets
    }

    /// The index of the packet whose record holds file byte `offset`.
    func packetIndex(containingFileOffset offset: Int) -> Int {
        var index = 0
        while index + 1 < packets.count && packets[index + 1].fileOffset <= offset { index += 1 }
        return index
    }

    /// A pcap that starts at packet `index`, with its first `trim` payload bytes removed.
    func cut(at index: Int, trimmingPayload trim: Int = 0) -> Data {
        var out = Data(header)
        for (position, packet) in packets[index...].enumerated() {
            var bytes = packet.bytes
            if position == 0 && trim > 0 && trim < packet.payloadLength {
                bytes.removeSubrange(packet.payloadOffset..<packet.payloadOffset + trim)
                let ipTotal = (Int(bytes[16]) << 8 | Int(bytes[17])) - trim
                bytes[16] = UInt8(ipTotal >> 8)
                bytes[17] = UInt8(ipTotal & 0xFF)
                let tcp = 14 + Int(bytes[14] & 0x0F) * 4
                var sequence = UInt32(bytes[tcp + 4]) << 24 | UInt32(bytes[tcp + 5]) << 16 | UInt32(bytes[tcp + 6]) << 8 | UInt32(bytes[tcp + 7])
                sequence &+= UInt32(trim)
                for shift in 0..<4 { bytes[tcp + 4 + shift] = UInt8((sequence >> (24 - 8 * UInt32(shift))) & 0xFF) }
            }
            let seconds = UInt32(packet.timestamp)
            let micros = UInt32(((packet.timestamp - Double(seconds)) * 1e6).rounded())
            for value in [seconds, micros, UInt32(bytes.count), UInt32(bytes.count)] {
                withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
            }
            out.append(contentsOf: bytes)
        }
        return out
    }

    /// Offsets (packet index, payload byte) of headers of frames with a 64-bit length (≥ 64 KiB,
    /// below 16 MiB): byte 0 a FIN data frame, byte 1 126|127 with or without the mask bit, then
    /// five zero bytes. Chance matches in random payload are ~2⁻⁴⁸ per byte.
    func longFrameHeaders() -> [(packet: Int, offset: Int, length: Int)] {
        var found: [(Int, Int, Int)] = []
        for (index, packet) in packets.enumerated() where packet.payloadLength >= 10 {
            let payload = packet.bytes[packet.payloadOffset..<packet.payloadOffset + packet.payloadLength]
            let base = payload.startIndex
            for position in 0...(payload.count - 10) {
                let first = payload[base + position]
                guard first & 0x80 != 0, [1, 2].contains(first & 0x0F), payload[base + position + 1] & 0x7F == 127 else { continue }
                guard (2..<7).allSatisfy({ payload[base + position + $0] == 0 }) else { continue }
                let length = (7..<10).reduce(0) { $0 << 8 | Int(payload[base + position + $1]) }
                if length >= 1 << 16 { found.append((index, position, length)) }
            }
        }
        return found
    }

    /// Per packet, where its payload starts in its flow's byte stream, and each flow's bytes (in
    /// file order: the recorded captures have no retransmissions).
    func streams() -> (offsets: [Int], bytes: [String: [UInt8]]) {
        var offsets: [Int] = []
        var bytes: [String: [UInt8]] = [:]
        for packet in packets {
            offsets.append(bytes[packet.flow]?.count ?? 0)
            guard !packet.flow.isEmpty, packet.payloadLength > 0 else { continue }
            bytes[packet.flow, default: []] += packet.bytes[packet.payloadOffset..<packet.payloadOffset + packet.payloadLength]
        }
        return (offsets, bytes)
    }

    /// For a cut at packet `index` trimmed by `trim`: per flow with payload after the cut, the
    /// offset in its stream where the cut capture starts.
    func cutOffsets(at index: Int, trim: Int, streamOffsets: [Int]) -> [String: Int] {
        var result: [String: Int] = [:]
        for position in index..<packets.count {
            let packet = packets[position]
            let skip = position == index ? trim : 0
            guard !packet.flow.isEmpty, packet.payloadLength > skip, result[packet.flow] == nil else { continue }
            result[packet.flow] = streamOffsets[position] + skip
        }
        return result
    }

    /// The packet and payload offset `distance` payload bytes of the same flow after (packet, offset).
    func position(after packet: Int, offset: Int, distance: Int) -> (packet: Int, offset: Int)? {
        let flow = packets[packet].flow
        var remaining = distance + offset
        for index in packet..<packets.count where packets[index].flow == flow {
            if remaining < packets[index].payloadLength { return (index, remaining) }
            remaining -= packets[index].payloadLength
        }
        return nil
    }
}
