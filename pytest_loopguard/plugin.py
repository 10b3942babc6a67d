"""pytest hooks for loopguard."""
