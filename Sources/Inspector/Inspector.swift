// The Inspector module: see ../shared/ARCHITECTURE.md and README.md.
