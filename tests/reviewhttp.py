"""Raw requests to the review server that http.client would not make by itself, for the hostile-input tests."""

from __future__ import annotations

import http.client

__all__ = ["post_with_content_length"]


def post_with_content_length(port: int, token: str, length: str) -> int:
    """The status the review server on ``port`` answers a ``POST /decisions`` whose
    ``Content-Length`` header is ``length`` as written (``"-5"``, ``"0x10"`` …), with no body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("POST", "/decisions")
        conn.putheader("X-Govkg-Token", token)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", length)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()
