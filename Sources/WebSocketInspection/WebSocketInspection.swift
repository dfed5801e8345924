// The WebSocketInspection module: see ../shared/ARCHITECTURE.md and README.md.
