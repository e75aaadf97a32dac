/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flowlens csum-fix: tc ingress (clsact, direct-action) classifier that
 * rewrites the UDP checksum of IPv6 datagrams sent to the configured collector
 * ports, so that exporters known to compute it wrongly are not dropped by the
 * kernel (Udp6InCsumErrors) before the collector's socket sees them.
 *
 * - Ports live in the fix_ports hash map (key: port in network byte order),
 *   so they change without reloading.
 * - Untagged, 802.1Q and QinQ frames: tags in the packet data are skipped
 *   (the outermost tag is usually already in skb metadata at tc ingress,
 *   which does not move any offset).
 * - Hop-by-hop, destination options, routing (segments left 0) headers.
 * - The UDP length and pseudo-header length come from the UDP length field,
 *   checked against the IPv6 payload length, never from skb->len.
 * - A correct checksum is left alone; a wrong one (including 0) is replaced
 *   with bpf_skb_store_bytes(BPF_F_RECOMPUTE_CSUM), which keeps skb->csum
 *   consistent for CHECKSUM_COMPLETE devices.
 * - A field holding only the pseudo-header sum is replaced too (an exporter
 *   whose checksum offload never completed) but counted apart: on virtual
 *   devices it is also what locally generated datagrams carry while offload is
 *   pending (CHECKSUM_PARTIAL). The kernel accepts those anyway; do not attach
 *   where such traffic is forwarded on (docs/ebpf.md).
 * - It never drops and never ends classification: every path returns
 *   TC_ACT_UNSPEC, which at clsact ingress means "no verdict, continue with
 *   the next filter, then deliver" (the same as TC_ACT_OK when this is the
 *   only filter, but later filters still run).
 */
#include "flowlens_udp.h"

char LICENSE[] SEC("license") = "Apache-2.0";

/* Counter layout, shared with src/ebpf/csum-fix.ts (FIX_COUNTERS). */
struct fix_stats {
	__u64 seen;            /* IPv6 UDP datagrams to a configured port */
	__u64 repaired;        /* checksum rewritten */
	__u64 already_correct; /* checksum was right: untouched */
	__u64 zero_checksum;   /* of repaired: the checksum field was 0 */
	__u64 pseudo_only;     /* of repaired: the field held the pseudo-header sum alone */
	__u64 skipped_too_long;
	__u64 skipped_malformed;
	__u64 skipped_fragment;
	__u64 skipped_gso;
	__u64 skipped_other; /* jumbogram, routing header with segments left */
	__u64 errors;        /* helper failures: packet passed unchanged */
	__u64 vlan_tag_metadata;
	__u64 vlan_tag_in_data;
	__u64 ext_headers;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fix_stats);
} fix_stats SEC(".maps");

struct fl_port_set fix_ports SEC(".maps");
struct fl_scratch_map fix_scratch SEC(".maps");

SEC("tc")
int flowlens_csum_fix(struct __sk_buff *skb)
{
	struct fl_udp u = {};
	struct fix_stats *st;
	__u8 *buf;
	__u32 zero = 0;
	__u16 sum, pseudo;

	int r = fl_parse_to_port(skb, &u, 0, &fix_ports);
	if (r == FL_NOT_UDP || u.family != 6)
		return TC_ACT_UNSPEC;
	st = bpf_map_lookup_elem(&fix_stats, &zero);
	buf = fl_scratch_buf(&fix_scratch);
	if (!st || !buf)
		return TC_ACT_UNSPEC;

	st->seen++;
	if (skb->vlan_present)
		st->vlan_tag_metadata++;
	if (u.inband_tags)
		st->vlan_tag_in_data++;
	if (u.ext_hdrs)
		st->ext_headers++;

	switch (r) {
	case FL_OK:
		break;
	case FL_MALFORMED:
		st->skipped_malformed++;
		return TC_ACT_UNSPEC;
	case FL_FRAGMENT:
		st->skipped_fragment++;
		return TC_ACT_UNSPEC;
	default:
		st->skipped_other++;
		return TC_ACT_UNSPEC;
	}
	/* A GRO/GSO super-packet holds several datagrams: the UDP header's
	 * checksum is not the one the socket will verify. */
	if (skb->gso_segs > 1) {
		st->skipped_gso++;
		return TC_ACT_UNSPEC;
	}
	if (u.ulen > FL_MAX_UDP_LEN) {
		st->skipped_too_long++;
		return TC_ACT_UNSPEC;
	}
	if (fl_udp_checksum(skb, &u, buf, &sum, &pseudo)) {
		st->errors++;
		return TC_ACT_UNSPEC;
	}
	if (sum == u.check) {
		st->already_correct++;
		return TC_ACT_UNSPEC;
	}
	if (bpf_skb_store_bytes(skb, u.l4off + 6, &sum, sizeof(sum), BPF_F_RECOMPUTE_CSUM)) {
		st->errors++;
		return TC_ACT_UNSPEC;
	}
	st->repaired++;
	if (u.check == 0)
		st->zero_checksum++;
	else if (u.check == pseudo)
		st->pseudo_only++;
	return TC_ACT_UNSPEC;
}
