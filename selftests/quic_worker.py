# SPDX-License-Identifier: GPL-2.0
"""One worker of a QUIC server on a port several workers share (aioquic).

Serves on the UDP socket it inherits (--fd), one of a pcbgroup group, and
answers each stream with "SLOT PID": who served it.  Its connection IDs are
the ones libpcbgroup made for its socket (pcbg_group_quic_cid()), read from
--cids, one hex CID a line: aioquic draws every CID of the connection's
length from os.urandom, and this worker hands it those instead.  Run by
selftests/quic_servers.c with the trixie root's Python.
"""
import argparse
import asyncio
import datetime
import os
import socket
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import aioquic.quic.connection as quic_connection
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.asyncio.server import QuicServer
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

ALPN = "pcbgroup-test"


class IssuedCids:
    """os, but urandom(CID length) returns the next CID made for the socket."""

    def __init__(self, cids, cid_len):
        self._cids = cids
        self._len = cid_len

    def __getattr__(self, name):
        return getattr(os, name)

    def urandom(self, n):
        if n != self._len:
            return os.urandom(n)
        if not self._cids:
            sys.exit("quic_worker: out of connection IDs")
        return self._cids.pop()


class Who(QuicConnectionProtocol):
    slot = -1

    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived) and event.end_stream:
            answer = f"{self.slot} {os.getpid()}".encode()
            self._quic.send_stream_data(event.stream_id, answer, end_stream=True)
            self.transmit()


def load_self_signed(cfg):
    """A throwaway certificate: the client does not verify it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/cert.pem", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(f"{d}/key.pem", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        cfg.load_cert_chain(f"{d}/cert.pem", f"{d}/key.pem")


async def serve(args):
    cfg = QuicConfiguration(is_client=False, alpn_protocols=[ALPN],
                            connection_id_length=args.cid_len)
    load_self_signed(cfg)
    Who.slot = args.slot
    server = QuicServer(configuration=cfg, create_protocol=Who)
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    await asyncio.get_running_loop().create_datagram_endpoint(lambda: server, sock=sock)
    print("ready", flush=True)
    await asyncio.Event().wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fd", type=int, required=True)
    p.add_argument("--slot", type=int, required=True)
    p.add_argument("--cid-len", type=int, required=True)
    p.add_argument("--cids", help="file of hex CIDs made for the socket")
    args = p.parse_args()
    if args.cids:
        with open(args.cids) as f:
            cids = [bytes.fromhex(line) for line in f.read().split()]
        quic_connection.os = IssuedCids(cids, args.cid_len)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
