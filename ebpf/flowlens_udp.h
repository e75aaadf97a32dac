/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the flowlens tc programs (csum_fix.bpf.c, csum_watch.bpf.c):
 * finding the UDP header behind Ethernet, VLAN tags and IPv6 extension
 * headers, keeping datagrams to the ports in a port-set map, and computing a
 * UDP checksum over the whole datagram in a per-CPU scratch buffer.
 *
 * Everything goes through bpf_skb_load_bytes(), so non-linear skbs work
 * without bpf_skb_pull_data() and every offset is checked by the kernel at run
 * time rather than proven by the verifier.
 */
#ifndef FLOWLENS_UDP_H
#define FLOWLENS_UDP_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FL_ETH_HLEN 14
#define FL_ETH_P_IP 0x0800
#define FL_ETH_P_IPV6 0x86DD
#define FL_ETH_P_8021Q 0x8100
#define FL_ETH_P_8021AD 0x88A8
#define FL_ETH_P_QINQ_OLD 0x9100

#define FL_NEXTHDR_HOP 0
#define FL_NEXTHDR_UDP 17
#define FL_NEXTHDR_ROUTING 43
#define FL_NEXTHDR_FRAGMENT 44
#define FL_NEXTHDR_DEST 60

/* In-data tags (802.1Q, 802.1ad, the old 0x9100) followed. The outermost tag
 * is normally in skb metadata at tc ingress (the stack untags it before tc
 * runs); QinQ leaves the inner one in the data. */
#define FL_MAX_VLAN_TAGS 3
/* IPv6 extension headers followed: hop-by-hop, destination options, routing
 * (only with segments left = 0, i.e. at the final destination) and fragment. */
#define FL_MAX_EXT_HDRS 6

/* The checksum is summed in FL_CHUNK-byte pieces copied into a per-CPU
 * scratch buffer. 512 B is the most one bpf_csum_diff() call accepts on
 * older kernels; 18 chunks cover a 9000-byte jumbo frame. */
#define FL_CHUNK 512
#define FL_MAX_CHUNKS 18
#define FL_MAX_UDP_LEN (FL_CHUNK * FL_MAX_CHUNKS)

/* Bound a 64-bit value with an AND the verifier sees on the very register
 * that is then passed to a helper (clang would otherwise test a copy, or drop
 * a check it can prove redundant, and the verifier loses the bound). */
#define FL_MASK(v, mask) asm volatile("%[x] &= " #mask : [x] "+r"(v))

enum fl_parse_result {
	FL_OK = 0,
	FL_NOT_UDP,         /* not UDP, or no UDP header could be found: ignore */
	FL_MALFORMED,       /* UDP length inconsistent with the IP length, truncated frame */
	FL_FRAGMENT,        /* first fragment of a fragmented datagram: cannot be checksummed */
	FL_ROUTING_PENDING, /* routing header with segments left: not at the final destination */
	FL_JUMBO,           /* IPv6 payload length 0 (jumbogram / BIG TCP style) */
};

struct fl_udp {
	__u8 addrs[32];   /* source then destination; IPv4: 4 + 4 bytes at 0 and 4 */
	__u32 l4off;      /* offset of the UDP header from the Ethernet header */
	__u32 l4len;      /* bytes from the UDP header to the end of the IP payload */
	__u32 ulen;       /* UDP length field */
	__u16 dport;      /* network byte order */
	__u16 check;      /* as on the wire */
	__u8 family;      /* 4 or 6 */
	__u8 inband_tags; /* VLAN tags found in the packet data */
	__u8 ext_hdrs;    /* IPv6 extension headers skipped */
	__u8 pad;
};

struct fl_udp_hdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__u16 check;
};

struct fl_ipv6_hdr {
	__u8 vtc_flow[4];
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 addrs[32];
};

struct fl_ipv4_hdr {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u8 addrs[8];
};

static __always_inline int fl_is_vlan(__be16 proto)
{
	return proto == bpf_htons(FL_ETH_P_8021Q) || proto == bpf_htons(FL_ETH_P_8021AD) ||
	       proto == bpf_htons(FL_ETH_P_QINQ_OLD);
}

/* Reads the UDP header at off, whose IP payload ends at end. */
static __always_inline int fl_read_udp(struct __sk_buff *skb, struct fl_udp *u, __u32 off, __u32 end)
{
	struct fl_udp_hdr uh;

	if (off + sizeof(uh) > end)
		return FL_NOT_UDP;
	if (bpf_skb_load_bytes(skb, off, &uh, sizeof(uh)))
		return FL_NOT_UDP;
	u->l4off = off;
	u->l4len = end - off;
	u->dport = uh.dest;
	u->check = uh.check;
	u->ulen = bpf_ntohs(uh.len);
	/* The kernel trims the datagram to the UDP length and checksums that many
	 * bytes; a UDP length beyond the IP payload is dropped as a short packet. */
	if (u->ulen < sizeof(uh) || u->ulen > u->l4len)
		return FL_MALFORMED;
	return FL_OK;
}

static __always_inline int fl_parse_ipv6(struct __sk_buff *skb, struct fl_udp *u, __u32 off)
{
	struct fl_ipv6_hdr ip6;
	__u32 end;
	__u8 nh;
	int pending = FL_OK;

	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
		return FL_NOT_UDP;
	if ((ip6.vtc_flow[0] >> 4) != 6)
		return FL_NOT_UDP;
	u->family = 6;
	__builtin_memcpy(u->addrs, ip6.addrs, 32);
	off += sizeof(ip6);
	/* The IPv6 payload length, not skb->len: the frame may carry link-layer
	 * padding or trailers that the stack trims later. */
	end = off + bpf_ntohs(ip6.payload_len);
	if (ip6.payload_len == 0)
		pending = FL_JUMBO;
	else if (end > skb->len)
		pending = FL_MALFORMED;
	if (pending == FL_JUMBO)
		end = skb->len;
	nh = ip6.nexthdr;

#pragma unroll
	for (int i = 0; i < FL_MAX_EXT_HDRS; i++) {
		__u8 eh[4];

		if (nh == FL_NEXTHDR_UDP)
			break;
		if (nh != FL_NEXTHDR_HOP && nh != FL_NEXTHDR_DEST && nh != FL_NEXTHDR_ROUTING &&
		    nh != FL_NEXTHDR_FRAGMENT)
			return FL_NOT_UDP;
		if (bpf_skb_load_bytes(skb, off, eh, sizeof(eh)))
			return FL_NOT_UDP;
		u->ext_hdrs++;
		if (nh == FL_NEXTHDR_FRAGMENT) {
			/* eh[2..3]: fragment offset (13 bits), 2 reserved bits, M (more
			 * fragments). A later fragment has no UDP header; the first one
			 * cannot be checksummed alone. An atomic fragment (offset 0,
			 * M 0, RFC 8021) holds the whole datagram and is fine. */
			__u16 fo = (__u16)eh[2] << 8 | eh[3];
			if ((fo & 0xfff8) != 0)
				return FL_NOT_UDP;
			if ((fo & 1) && pending == FL_OK)
				pending = FL_FRAGMENT;
			off += 8;
		} else {
			/* The pseudo-header uses the final destination: with segments left
			 * the destination address field is not it yet. */
			if (nh == FL_NEXTHDR_ROUTING && eh[3] != 0 && pending == FL_OK)
				pending = FL_ROUTING_PENDING;
			off += ((__u32)eh[1] + 1) * 8;
		}
		nh = eh[0];
	}
	if (nh != FL_NEXTHDR_UDP)
		return FL_NOT_UDP;
	int r = fl_read_udp(skb, u, off, end);
	/* Once the port is known, a fragment, jumbogram or truncated IP payload
	 * says more than the UDP length check that follows from it. */
	if (r == FL_NOT_UDP || pending == FL_OK)
		return r;
	return pending;
}

static __always_inline int fl_parse_ipv4(struct __sk_buff *skb, struct fl_udp *u, __u32 off)
{
	struct fl_ipv4_hdr ip4;
	__u32 end, ihl;
	__u16 frag;

	if (bpf_skb_load_bytes(skb, off, &ip4, sizeof(ip4)))
		return FL_NOT_UDP;
	if ((ip4.ver_ihl >> 4) != 4 || ip4.protocol != FL_NEXTHDR_UDP)
		return FL_NOT_UDP;
	ihl = (ip4.ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(ip4))
		return FL_NOT_UDP;
	frag = bpf_ntohs(ip4.frag_off);
	if (frag & 0x1fff)
		return FL_NOT_UDP; /* later fragment: no UDP header */
	u->family = 4;
	__builtin_memcpy(u->addrs, ip4.addrs, 8);
	end = off + bpf_ntohs(ip4.tot_len);
	if (end > skb->len || bpf_ntohs(ip4.tot_len) < ihl)
		return FL_MALFORMED;
	int r = fl_read_udp(skb, u, off + ihl, end);
	if (r == FL_NOT_UDP || !(frag & 0x2000))
		return r;
	return FL_FRAGMENT;
}

/* Finds the UDP header of an IPv6 (and, with want_v4, IPv4) datagram. */
static __always_inline int fl_parse(struct __sk_buff *skb, struct fl_udp *u, int want_v4)
{
	__be16 proto;
	__u32 off = FL_ETH_HLEN;

	if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)))
		return FL_NOT_UDP;
#pragma unroll
	for (int i = 0; i < FL_MAX_VLAN_TAGS; i++) {
		if (!fl_is_vlan(proto))
			break;
		if (bpf_skb_load_bytes(skb, off + 2, &proto, sizeof(proto)))
			return FL_NOT_UDP;
		off += 4;
		u->inband_tags++;
	}
	if (proto == bpf_htons(FL_ETH_P_IPV6))
		return fl_parse_ipv6(skb, u, off);
	if (want_v4 && proto == bpf_htons(FL_ETH_P_IP))
		return fl_parse_ipv4(skb, u, off);
	return FL_NOT_UDP;
}

/* A set of UDP ports, each program's own map of this type (key: port in
 * network byte order, value unused), filled from user space so ports change
 * without reloading. */
struct fl_port_set {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
};

/* The per-CPU scratch buffer fl_udp_checksum() copies the datagram into. */
struct fl_scratch {
	__u8 buf[FL_CHUNK];
};

struct fl_scratch_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_scratch);
};

/* Finds the UDP header as fl_parse() does and keeps only datagrams to a port
 * in ports (a struct fl_port_set map): FL_NOT_UDP for everything else. */
static __always_inline int fl_parse_to_port(struct __sk_buff *skb, struct fl_udp *u, int want_v4, void *ports)
{
	int r = fl_parse(skb, u, want_v4);

	if (r == FL_NOT_UDP || !bpf_map_lookup_elem(ports, &u->dport))
		return FL_NOT_UDP;
	return r;
}

/* This CPU's scratch buffer from a struct fl_scratch_map map, or NULL. */
static __always_inline __u8 *fl_scratch_buf(void *scratch)
{
	__u32 zero = 0;
	struct fl_scratch *sc = bpf_map_lookup_elem(scratch, &zero);

	return sc ? sc->buf : NULL;
}

static __always_inline __u16 fl_fold(__s64 s)
{
	__u32 c = (__u32)s;

	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)c;
}

/*
 * The UDP checksum the datagram should carry: the one's complement sum of the
 * pseudo-header (addresses, UDP length, next header 17) and the UDP header and
 * data over u->ulen bytes, with the checksum field taken as zero. A result of
 * 0 is sent as 0xffff. Returns 0 on success, -1 if a helper failed or the
 * datagram is longer than FL_MAX_UDP_LEN. buf is a FL_CHUNK-byte scratch area.
 *
 * *pseudo gets the folded pseudo-header sum alone: what the checksum field
 * holds while checksum offload is still pending (CHECKSUM_PARTIAL), i.e. for
 * locally generated traffic on a virtual device, or from an exporter whose
 * NIC never completed the offload.
 */
static __always_inline int fl_udp_checksum(struct __sk_buff *skb, const struct fl_udp *u, __u8 *buf,
					   __u16 *out, __u16 *pseudo)
{
	__be32 tail[2] = { bpf_htonl(u->ulen), bpf_htonl(FL_NEXTHDR_UDP) };
	__u32 off = u->l4off;
	__u32 left = u->ulen;
	__s64 s;

	if (u->family == 6)
		s = bpf_csum_diff(0, 0, (__be32 *)u->addrs, 32, 0);
	else
		s = bpf_csum_diff(0, 0, (__be32 *)u->addrs, 8, 0);
	if (s < 0)
		return -1;
	s = bpf_csum_diff(0, 0, tail, sizeof(tail), (__wsum)s);
	if (s < 0)
		return -1;
	*pseudo = fl_fold(s);

	for (int i = 0; i < FL_MAX_CHUNKS; i++) {
		__u64 n = left > FL_CHUNK ? FL_CHUNK : left;
		__u64 n4;

		if (n == 0)
			break;
		FL_MASK(n, 0x3ff);
		if (n == 0 || n > FL_CHUNK)
			return -1;
		/* A short last chunk is summed zero-padded to a 4-byte multiple
		 * (an odd trailing byte is padded with zero, as RFC 768 says). */
		if (n & 3)
			*(__u32 *)(buf + (n & (FL_CHUNK - 4))) = 0;
		if (bpf_skb_load_bytes(skb, off, buf, n))
			return -1;
		if (i == 0) {
			buf[6] = 0;
			buf[7] = 0;
		}
		n4 = n + 3;
		FL_MASK(n4, 0x3fc);
		if (n4 == 0 || n4 > FL_CHUNK)
			return -1;
		s = bpf_csum_diff(0, 0, (__be32 *)buf, n4, (__wsum)s);
		if (s < 0)
			return -1;
		off += n;
		left -= n;
	}
	if (left != 0)
		return -1;

	__u16 r = (__u16)~fl_fold(s);
	*out = r == 0 ? 0xffff : r;
	return 0;
}

#endif
