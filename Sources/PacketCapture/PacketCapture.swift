// The PacketCapture module: see ../shared/ARCHITECTURE.md and README.md.
