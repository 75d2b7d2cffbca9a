"""Shared building blocks every app may use: errors, ids, files, netsafe, rate limiting,
observability, API helpers, the render-process pool. Imports no app."""
