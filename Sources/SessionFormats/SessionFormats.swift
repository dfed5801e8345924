// The SessionFormats module: see ../shared/ARCHITECTURE.md and README.md.
