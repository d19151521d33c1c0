"""protocolbot core: knowledge, review engine, later conversation and store; no platform code."""

__version__ = "0.1.0"
