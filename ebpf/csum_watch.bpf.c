/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flowlens csum-watch: observe-only tc ingress classifier used by
 * `flowlens doctor --watch-dev`. For UDP datagrams (IPv6 and IPv4) to the
 * watched ports it verifies the UDP checksum and counts datagrams per
 * (exporter address, destination port, checksum valid / invalid / unchecked)
 * in a bounded hash map. It never modifies a packet and returns
 * TC_ACT_UNSPEC, so it does not change what happens to the packet: filters
 * after it (csum-fix among them) still run.
 */
#include "flowlens_udp.h"

char LICENSE[] SEC("license") = "Apache-2.0";

#define WATCH_MAX_ENTRIES 4096

enum watch_verdict {
	WATCH_INVALID = 0,
	WATCH_VALID = 1,
	WATCH_UNCHECKED = 2, /* fragment, GSO, too long, malformed: not verified */
	WATCH_PSEUDO = 3,    /* invalid, the field holds the pseudo-header sum alone (offload pending) */
};

/* Layouts shared with src/ebpf/watch.ts. */
struct watch_key {
	__u8 addr[16]; /* exporter (source) address; IPv4 in the first 4 bytes */
	__u16 dport;   /* network byte order */
	__u8 family;   /* 4 or 6 */
	__u8 verdict;  /* enum watch_verdict */
};

struct watch_value {
	__u64 packets;
	__u64 bytes; /* UDP length */
};

struct watch_stats {
	__u64 seen;
	__u64 valid;
	__u64 invalid;
	__u64 unchecked;
	__u64 untracked; /* the exporter map was full */
	__u64 pseudo;    /* of invalid: pseudo-header sum alone */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WATCH_MAX_ENTRIES);
	__type(key, struct watch_key);
	__type(value, struct watch_value);
} watch_exporters SEC(".maps");

struct fl_port_set watch_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_stats);
} watch_stats SEC(".maps");

struct fl_scratch_map watch_scratch SEC(".maps");

SEC("tc")
int flowlens_csum_watch(struct __sk_buff *skb)
{
	struct fl_udp u = {};
	struct watch_key key = {};
	struct watch_value one = { .packets = 1 };
	struct watch_value *v;
	struct watch_stats *st;
	__u8 *buf;
	__u32 zero = 0;
	__u16 sum, pseudo;

	int r = fl_parse_to_port(skb, &u, 1, &watch_ports);
	if (r == FL_NOT_UDP)
		return TC_ACT_UNSPEC;
	st = bpf_map_lookup_elem(&watch_stats, &zero);
	buf = fl_scratch_buf(&watch_scratch);
	if (!st || !buf)
		return TC_ACT_UNSPEC;
	st->seen++;

	key.verdict = WATCH_UNCHECKED;
	if (r == FL_OK && skb->gso_segs <= 1 && u.ulen <= FL_MAX_UDP_LEN &&
	    fl_udp_checksum(skb, &u, buf, &sum, &pseudo) == 0) {
		/* IPv4 may send 0 for "no checksum"; IPv6 may not. */
		if (sum == u.check || (u.family == 4 && u.check == 0))
			key.verdict = WATCH_VALID;
		else if (u.check == pseudo)
			key.verdict = WATCH_PSEUDO;
		else
			key.verdict = WATCH_INVALID;
	}
	if (key.verdict == WATCH_VALID) {
		st->valid++;
	} else if (key.verdict == WATCH_UNCHECKED) {
		st->unchecked++;
	} else {
		st->invalid++;
		if (key.verdict == WATCH_PSEUDO)
			st->pseudo++;
	}

	if (u.family == 6)
		__builtin_memcpy(key.addr, u.addrs, 16);
	else
		__builtin_memcpy(key.addr, u.addrs, 4);
	key.dport = u.dport;
	key.family = u.family;
	v = bpf_map_lookup_elem(&watch_exporters, &key);
	if (!v) {
		one.bytes = u.ulen;
		if (bpf_map_update_elem(&watch_exporters, &key, &one, BPF_NOEXIST) == 0)
			return TC_ACT_UNSPEC;
		v = bpf_map_lookup_elem(&watch_exporters, &key);
		if (!v) {
			st->untracked++;
			return TC_ACT_UNSPEC;
		}
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, u.ulen);
	return TC_ACT_UNSPEC;
}
