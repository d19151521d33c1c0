"""The console adapter: the whole conversation in a terminal (`protocolbot chat`)."""
