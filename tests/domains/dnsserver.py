"""A DNS server for tests (dnslib, a thread on 127.0.0.1, a free port): answers authoritatively from
a dict that tests edit — a name with no record at all is NXDOMAIN, a name with records of other
types is an empty answer, like a real zone."""

from __future__ import annotations

import socket
import threading

from dnslib import CNAME, QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

_QUIET = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data", prefix=False)


class LocalDns(BaseResolver):
    def __init__(self):
        self.records: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()
        self.server: DNSServer | None = None

    # --- the zone ---

    def set(self, name: str, rtype: str, *values: str) -> None:
        with self._lock:
            self.records[(name.lower().rstrip("."), rtype)] = list(values)

    def remove(self, name: str, rtype: str) -> None:
        with self._lock:
            self.records.pop((name.lower().rstrip("."), rtype), None)

    def publish(self, domain, *, target: str) -> None:
        """The two records a Domain row asks for."""
        self.set(domain.domain, "CNAME", target)
        self.set(domain.challenge_name, "TXT", domain.challenge_token)

    # --- the server ---

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).lower().rstrip(".")
        rtype = QTYPE[request.q.qtype]
        with self._lock:
            exists = any(key[0] == name for key in self.records)
            values = list(self.records.get((name, rtype), []))
        if not exists:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for value in values:
            rdata = CNAME(value) if rtype == "CNAME" else TXT(value)
            reply.add_answer(RR(request.q.qname, getattr(QTYPE, rtype), rdata=rdata, ttl=60))
        return reply

    def start(self) -> str:
        self.server = DNSServer(self, address="127.0.0.1", port=0, logger=_QUIET)
        self.server.start_thread()
        return f"127.0.0.1:{self.server.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server.server.server_close()


class SilentDns:
    """A UDP port that takes queries and never answers: lookups time out."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
