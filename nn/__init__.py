"""gradstep's neural-network library, built on `engine`'s public API only."""
