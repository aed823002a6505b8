"""Contract suite of the Python SDK (`meridian`) against the real server, one module per operation group."""
