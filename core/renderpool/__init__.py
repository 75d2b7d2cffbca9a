"""The render-process pool: every render runs in an isolated child (isolation), sized from settings (pools)."""
