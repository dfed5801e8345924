// The TCPReassembly module: see ../shared/ARCHITECTURE.md and README.md.
