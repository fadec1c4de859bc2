# SPDX-License-Identifier: GPL-2.0
"""A QUIC client (aioquic) whose address changes mid-connection.

Connects to --port on 127.0.0.1, asks on a stream who serves it, then
--moves times takes a new UDP socket (a new source port: what a NAT
rebinding does) and asks again; with --new-cid it also switches to the next
connection ID the server issued, as an active migration does.  Prints one
line per question: "who N SLOT PID", or "lost N" when no answer came within
--timeout seconds (the connection then stops).  Run by
selftests/quic_servers.c with the trixie root's Python.
"""
import argparse
import select
import socket
import ssl
import sys
import time

from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import HandshakeCompleted, StreamDataReceived

ALPN = "pcbgroup-test"


class Client:
    def __init__(self, port):
        self.server = ("127.0.0.1", port)
        cfg = QuicConfiguration(is_client=True, alpn_protocols=[ALPN],
                                verify_mode=ssl.CERT_NONE)
        self.quic = QuicConnection(configuration=cfg)
        self.sock = None
        self.rebind()
        self.quic.connect(self.server, now=time.monotonic())
        self.answers = {}
        self.ready = False

    def rebind(self):
        if self.sock:
            self.sock.close()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def flush(self):
        for data, addr in self.quic.datagrams_to_send(now=time.monotonic()):
            self.sock.sendto(data, addr)

    def run_until(self, done, timeout):
        end = time.monotonic() + timeout
        self.flush()
        while not done() and time.monotonic() < end:
            wait = end - time.monotonic()
            timer = self.quic.get_timer()
            if timer is not None:
                wait = min(wait, max(0, timer - time.monotonic()))
            if select.select([self.sock], [], [], wait)[0]:
                data, addr = self.sock.recvfrom(65536)
                self.quic.receive_datagram(data, addr, now=time.monotonic())
            timer = self.quic.get_timer()
            if timer is not None and timer <= time.monotonic():
                self.quic.handle_timer(now=time.monotonic())
            self.events()
            self.flush()
        return done()

    def events(self):
        while (ev := self.quic.next_event()) is not None:
            if isinstance(ev, HandshakeCompleted):
                self.ready = True
            elif isinstance(ev, StreamDataReceived):
                self.answers[ev.stream_id] = self.answers.get(ev.stream_id, b"") + ev.data

    def ask(self, timeout):
        sid = self.quic.get_next_available_stream_id()
        self.quic.send_stream_data(sid, b"who?", end_stream=True)
        got = self.run_until(lambda: b" " in self.answers.get(sid, b""), timeout)
        return self.answers[sid].decode() if got else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--moves", type=int, default=8)
    p.add_argument("--new-cid", action="store_true")
    p.add_argument("--timeout", type=float, default=3)
    args = p.parse_args()
    c = Client(args.port)
    if not c.run_until(lambda: c.ready, args.timeout):
        sys.exit("quic_client: no handshake")
    for n in range(args.moves + 1):
        if n:
            c.rebind()
            if args.new_cid:
                c.quic.change_connection_id()
        who = c.ask(args.timeout)
        print(f"who {n} {who}" if who else f"lost {n}", flush=True)
        if not who:
            break


if __name__ == "__main__":
    main()
