#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Send UDP datagrams over IPv6 with a chosen UDP checksum (test helper).

Used by flowlens's network-namespace tests (src/ebpf/netns.test.ts). Needs
CAP_NET_RAW. Two ways to send:

- default: a raw AF_INET6/SOCK_RAW/IPPROTO_UDP socket. We write the UDP header
  ourselves; the kernel routes the datagram, adds the IPv6 header (and the
  extension headers set as socket options) and leaves the UDP checksum alone,
  because IPV6_CHECKSUM is off for raw sockets of protocols other than ICMPv6.
- --link IFACE: whole Ethernet frames on an AF_PACKET socket, with any VLAN
  tags (--vlan TPID:TCI, outermost first) and extension headers. Needs
  --dst-mac (the receiver's) and --src-mac.

Payloads come from a file of records: u16 big-endian length, then the bytes.
Prints one JSON line: {"sent": N, "checksums": [...]}.

  udp6_raw_send.py --src fd00::1 --dst fd00::2 --port 4739 --mode bad \
      --payloads FILE [--sport 40000] [--hopopts] [--dstopts] [--gap-us 200] \
      [--link veth0 --dst-mac MAC --src-mac MAC [--vlan 0x8100:0 ...]]
"""
import argparse
import json
import socket
import struct
import sys
import time

IPPROTO_UDP = 17
# Pad1/PadN-only option headers: next header (filled in by the kernel),
# length 0 (8 bytes), then a PadN option of 4 bytes.
PADN_OPTIONS = bytes([0, 0, 1, 4, 0, 0, 0, 0])


def ones_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def udp6_checksum(src: str, dst: str, udp: bytes) -> int:
    pseudo = (
        socket.inet_pton(socket.AF_INET6, src)
        + socket.inet_pton(socket.AF_INET6, dst)
        + struct.pack("!IxxxB", len(udp), IPPROTO_UDP)
    )
    c = 0xFFFF - ones_sum(pseudo + udp)
    return 0xFFFF if c == 0 else c


def read_payloads(path: str) -> list:
    data = open(path, "rb").read()
    out, off = [], 0
    while off + 2 <= len(data):
        (n,) = struct.unpack_from("!H", data, off)
        off += 2
        out.append(data[off : off + n])
        off += n
    if off != len(data):
        raise SystemExit(f"{path}: truncated payload record")
    return out


def frame(a, vlans, udp: bytes) -> bytes:
    """Ethernet + VLAN tags + IPv6 (+ extension headers) + the UDP datagram."""
    exts = []
    if a.hopopts:
        exts.append(0)
    if a.dstopts:
        exts.append(60)
    if a.atomic_frag:
        exts.append(44)
    chain = exts + [IPPROTO_UDP]
    ext_bytes = b""
    for i, h in enumerate(exts):
        if h == 44:
            # Fragment header with offset 0 and M = 0: an atomic fragment (RFC 8021).
            ext_bytes += struct.pack("!BBHI", chain[i + 1], 0, 0, 0x5EED)
        else:
            ext_bytes += bytes([chain[i + 1]]) + PADN_OPTIONS[1:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(ext_bytes) + len(udp), chain[0], 64)
    ip6 += socket.inet_pton(socket.AF_INET6, a.src) + socket.inet_pton(socket.AF_INET6, a.dst)
    eth = bytes.fromhex(a.dst_mac.replace(":", "")) + bytes.fromhex(a.src_mac.replace(":", ""))
    for tpid, tci in vlans:
        eth += struct.pack("!HH", tpid, tci)
    return eth + struct.pack("!H", 0x86DD) + ip6 + ext_bytes + udp


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sport", type=int, default=40000)
    ap.add_argument("--mode", choices=["good", "bad", "zero"], required=True)
    ap.add_argument("--payloads", required=True)
    ap.add_argument("--hopopts", action="store_true")
    ap.add_argument("--dstopts", action="store_true")
    ap.add_argument("--atomic-frag", action="store_true", help="add an atomic fragment header (needs --link)")
    ap.add_argument("--gap-us", type=int, default=200)
    ap.add_argument("--link")
    ap.add_argument("--dst-mac")
    ap.add_argument("--src-mac")
    ap.add_argument("--vlan", action="append", default=[])
    a = ap.parse_args()
    vlans = [tuple(int(x, 0) for x in v.split(":")) for v in a.vlan]

    if a.link:
        if not a.dst_mac or not a.src_mac:
            raise SystemExit("--link needs --dst-mac and --src-mac")
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a.link, 0))
    else:
        if vlans or a.atomic_frag:
            raise SystemExit("--vlan and --atomic-frag need --link")
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_UDP)
        s.bind((a.src, 0))
        if a.hopopts:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, PADN_OPTIONS)
        if a.dstopts:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, PADN_OPTIONS)
    sent, checksums = 0, []
    for payload in read_payloads(a.payloads):
        ulen = 8 + len(payload)
        header = struct.pack("!HHHH", a.sport, a.port, ulen, 0)
        good = udp6_checksum(a.src, a.dst, header + payload)
        if a.mode == "good":
            check = good
        elif a.mode == "bad":
            check = good ^ 0x5A5A
        else:
            check = 0
        udp = struct.pack("!HHHH", a.sport, a.port, ulen, check) + payload
        if a.link:
            s.send(frame(a, vlans, udp))
        else:
            s.sendto(udp, (a.dst, 0))
        sent += 1
        checksums.append(check)
        if a.gap_us > 0:
            time.sleep(a.gap_us / 1e6)
    s.close()
    sys.stdout.write(json.dumps({"sent": sent, "checksums": checksums}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
