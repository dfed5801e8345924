import PacketDecoding

/// Every link type the decoder knows, chosen by the first input byte.
let decoderLinkTypes: [LinkType] = [.null, .ethernet, .rawDLT12, .rawDLT14, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]

/// One packet to `PacketDecoder`, for each link type (the first byte picks it).
func fuzzPacketDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let linkType = decoderLinkTypes[Int(input.byte()) % decoderLinkTypes.count]
    // The wire length may claim more than was captured (snaplen), as pcap records do.
    let extra = Int(input.uint16())
    let packet = Array(input.rest())
    guard let decoder = PacketDecoder(linkType: linkType) else { return 0 }
    packet.withUnsafeBytes { bytes in
        _ = decoder.decode(bytes, originalLength: bytes.count + extra, timestamp: .zero)
    }
    return 0
}
