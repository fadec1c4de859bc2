// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC connection-ID routing (quic_cid_len): a datagram whose destination
 * connection ID the library made for a slot goes to that slot's socket from
 * any client address and port, in long and short headers, draining or not;
 * a client's random first DCID, or a CID naming a closed socket, is picked
 * by the algorithm and counted.  Real UDP sockets on loopback; the
 * datagrams carry QUIC v1 headers as RFC 8999/9000 lay them out (what the
 * program reads is the same in every version).  quic_servers runs real
 * QUIC servers and a migrating client.
 */
#include "lib.h"
#include <sys/random.h>

#define WORKERS		4
#define CID_LEN		8
#define CLIENTS		64	/* source ports each CID is sent from */

enum header { SHORT, LONG_INITIAL, LONG_HANDSHAKE };

FIXTURE(quic) {
	int fds[WORKERS];
	int slot_of[WORKERS];
	int ep;
	struct pcbg_group *grp;
};

FIXTURE_SETUP(quic)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 64));
	self->ep = epoll_create1(0);
	ASSERT_LE(0, self->ep);
	for (i = 0; i < WORKERS; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		self->fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_LE(0, self->fds[i]);
		ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->fds[i], &ev));
		self->slot_of[i] = pcbg_group_add_socket(self->grp, self->fds[i], -1, 0);
		ASSERT_LE(0, self->slot_of[i]);
		ASSERT_EQ(self->slot_of[i], pcbg_group_socket_slot(self->grp, self->fds[i]));
	}
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	ASSERT_EQ(0, pcbg_group_set_quic(self->grp, CID_LEN));
}

FIXTURE_TEARDOWN(quic)
{
	pcbg_group_free(self->grp);
}

/* A QUIC packet's header to @dcid, then a padding payload: its length. */
static size_t quic_packet(__u8 *buf, enum header h, const __u8 *dcid, __u8 dcid_len)
{
	size_t n = 0;

	if (h == SHORT) {
		buf[n++] = 0x40 | 0x01;		/* fixed bit, 2-octet packet number */
	} else {
		/* long, fixed bit, type (0 Initial, 2 Handshake), version 1 */
		buf[n++] = 0xc0 | (h == LONG_INITIAL ? 0 : 2) << 4 | 0x01;
		memcpy(buf + n, "\x00\x00\x00\x01", 4);
		n += 4;
		buf[n++] = dcid_len;
	}
	memcpy(buf + n, dcid, dcid_len);
	n += dcid_len;
	if (h != SHORT) {
		buf[n++] = CID_LEN;		/* SCID length, SCID */
		getrandom(buf + n, CID_LEN, 0);
		n += CID_LEN;
	}
	memset(buf + n, 0xa5, 40);	/* stands for the protected payload */
	return n + 40;
}

/*
 * Send the packet from a new client socket on port @sport; returns the
 * index of the server socket that got it, -1 none within a second.
 */
static int deliver(struct _test_data_quic *self, int sport, const __u8 *pkt, size_t len)
{
	struct sockaddr_storage src, dst;
	socklen_t slen = make_addr(&src, AF_INET, sport);
	socklen_t dlen = make_addr(&dst, AF_INET, SERVER_PORT);
	struct epoll_event ev;
	int c = socket(AF_INET, SOCK_DGRAM, 0), one = 1, who = -1;
	__u8 got[256];

	if (c < 0)
		return -1;
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!bind(c, (struct sockaddr *)&src, slen) &&
	    sendto(c, pkt, len, 0, (struct sockaddr *)&dst, dlen) == (ssize_t)len &&
	    epoll_wait(self->ep, &ev, 1, 1000) == 1 &&
	    recv(self->fds[ev.data.u32], got, sizeof(got), MSG_DONTWAIT) == (ssize_t)len &&
	    !memcmp(got, pkt, len))
		who = ev.data.u32;
	close(c);
	return who;
}

static __u64 stat_of(struct _test_data_quic *self, int stat)
{
	__u64 st[PCBG_STAT_NR];

	if (pcbg_group_stats(self->grp, st))
		return -1;
	return st[stat];
}

/* Every header kind, from CLIENTS ports each, lands on the slot its CID names. */
TEST_F(quic, cid_names_the_socket)
{
	enum header h;
	__u8 cid[CID_LEN], pkt[128];
	int w, c, sent = 0;

	for (w = 0; w < WORKERS; w++)
		for (h = SHORT; h <= LONG_HANDSHAKE; h++)
			for (c = 0; c < CLIENTS; c++) {
				size_t len;

				ASSERT_EQ(0, pcbg_group_quic_cid(self->grp, self->fds[w],
								 cid, sizeof(cid)));
				ASSERT_EQ(CID_LEN - 1, cid[0]);
				len = quic_packet(pkt, h, cid, CID_LEN);
				ASSERT_EQ(w, deliver(self, CLIENT_PORT_BASE + c, pkt, len))
					TH_LOG("worker %d header %d client %d", w, h, c);
				sent++;
			}
	EXPECT_EQ(sent, stat_of(self, PCBG_STAT_QUIC_ROUTED));
	EXPECT_EQ(0, stat_of(self, PCBG_STAT_QUIC_FALLBACK));
}

/*
 * A datagram sent with MSG_ZEROCOPY reaches the program with its payload
 * in pages, past the linear part (loopback copies the user's pages into
 * its own, still pages): the program reads the CID with the helper.
 */
TEST_F(quic, payload_in_pages)
{
	struct sockaddr_storage dst;
	socklen_t dlen = make_addr(&dst, AF_INET, SERVER_PORT);
	__u8 cid[CID_LEN], pkt[1200], got[1500];
	int w, c, fd, one = 1;
	struct epoll_event ev;

	for (w = 0; w < WORKERS; w++) {
		ASSERT_EQ(0, pcbg_group_quic_cid(self->grp, self->fds[w], cid, sizeof(cid)));
		memset(pkt, 0xa5, sizeof(pkt));
		quic_packet(pkt, w & 1 ? SHORT : LONG_HANDSHAKE, cid, CID_LEN);
		for (c = 0; c < 8; c++) {
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			ASSERT_LE(0, fd);
			ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)));
			ASSERT_EQ(sizeof(pkt), sendto(fd, pkt, sizeof(pkt), MSG_ZEROCOPY,
						      (struct sockaddr *)&dst, dlen));
			ASSERT_EQ(1, epoll_wait(self->ep, &ev, 1, 1000));
			EXPECT_EQ(w, ev.data.u32);
			EXPECT_EQ(sizeof(pkt), recv(self->fds[ev.data.u32], got, sizeof(got),
						    MSG_DONTWAIT));
			close(fd);
		}
	}
	EXPECT_EQ(WORKERS * 8, stat_of(self, PCBG_STAT_QUIC_ROUTED));
}

/* Without quic_cid_len the same CID spreads by the 4-tuple hash. */
TEST_F(quic, off_spreads_by_hash)
{
	int c, on_named = 0, got = 0, who;
	__u8 cid[CID_LEN], pkt[128];
	size_t len;

	ASSERT_EQ(0, pcbg_group_set_quic(self->grp, 0));
	ASSERT_EQ(0, pcbg_quic_cid(self->slot_of[1], cid, sizeof(cid)));
	len = quic_packet(pkt, SHORT, cid, CID_LEN);
	for (c = 0; c < CLIENTS; c++) {
		who = deliver(self, CLIENT_PORT_BASE + c, pkt, len);
		got += who >= 0;
		on_named += who == 1;
	}
	EXPECT_EQ(CLIENTS, got);
	EXPECT_GT(CLIENTS / 2, on_named);	/* about a quarter */
	EXPECT_EQ(0, stat_of(self, PCBG_STAT_QUIC_ROUTED));
}

/*
 * A client's first Initial carries its own random DCID, and a CID may name
 * a closed socket, or a slot never filled: the algorithm picks, counted.
 */
TEST_F(quic, no_server_id_falls_back)
{
	__u8 cid[CID_LEN], pkt[128];
	int c, got = 0, fallbacks = 0;
	size_t len;

	for (c = 0; c < CLIENTS; c++) {
		ASSERT_EQ(CID_LEN, getrandom(cid, sizeof(cid), 0));
		cid[0] = CID_LEN;	/* not ours: the length is not self-encoded */
		len = quic_packet(pkt, LONG_INITIAL, cid, CID_LEN);
		got += deliver(self, CLIENT_PORT_BASE + c, pkt, len) >= 0;
		fallbacks++;
	}
	/* another length than the group's, in a long header */
	ASSERT_EQ(0, pcbg_quic_cid(self->slot_of[2], cid, 5));
	len = quic_packet(pkt, LONG_INITIAL, cid, 5);
	got += deliver(self, CLIENT_PORT_BASE, pkt, len) >= 0;
	fallbacks++;
	/* a slot never filled */
	ASSERT_EQ(0, pcbg_quic_cid(40, cid, sizeof(cid)));
	len = quic_packet(pkt, SHORT, cid, CID_LEN);
	got += deliver(self, CLIENT_PORT_BASE, pkt, len) >= 0;
	fallbacks++;
	/* worker 3 crashed: its CIDs go to the others, not to nowhere */
	ASSERT_EQ(0, pcbg_quic_cid(self->slot_of[3], cid, sizeof(cid)));
	epoll_ctl(self->ep, EPOLL_CTL_DEL, self->fds[3], NULL);
	close(self->fds[3]);
	len = quic_packet(pkt, SHORT, cid, CID_LEN);
	for (c = 0; c < CLIENTS; c++) {
		int who = deliver(self, CLIENT_PORT_BASE + c, pkt, len);

		ASSERT_NE(3, who);
		got += who >= 0;
		fallbacks++;
	}
	EXPECT_EQ(fallbacks, got);
	EXPECT_EQ(fallbacks, stat_of(self, PCBG_STAT_QUIC_FALLBACK));
	EXPECT_EQ(0, stat_of(self, PCBG_STAT_QUIC_ROUTED));
}

/* A draining worker takes no new connection but keeps its own. */
TEST_F(quic, draining_keeps_its_connections)
{
	__u8 cid[CID_LEN], pkt[128];
	int c;

	ASSERT_EQ(0, pcbg_group_drain(self->grp, self->slot_of[2], 1));
	ASSERT_EQ(0, pcbg_quic_cid(self->slot_of[2], cid, sizeof(cid)));
	for (c = 0; c < CLIENTS; c++) {
		size_t len = quic_packet(pkt, c & 1 ? SHORT : LONG_HANDSHAKE, cid, CID_LEN);

		ASSERT_EQ(2, deliver(self, CLIENT_PORT_BASE + c, pkt, len));
	}
	/* and a new client's Initial never goes to it */
	for (c = 0; c < CLIENTS; c++) {
		size_t len;

		getrandom(cid, sizeof(cid), 0);
		cid[0] = 0xff;
		len = quic_packet(pkt, LONG_INITIAL, cid, CID_LEN);
		ASSERT_NE(2, deliver(self, CLIENT_PORT_BASE + c, pkt, len));
	}
}

/* What the library refuses, and a TCP group. */
TEST_F(quic, bad_settings_refused)
{
	struct pcbg_group_info info;
	struct pcbg_group *tcp;
	__u8 cid[PCBG_QUIC_CID_MAX + 1];
	int fd;

	EXPECT_EQ(-EINVAL, pcbg_group_set_quic(self->grp, PCBG_QUIC_CID_MIN - 1));
	EXPECT_EQ(-EINVAL, pcbg_group_set_quic(self->grp, PCBG_QUIC_CID_MAX + 1));
	ASSERT_EQ(0, pcbg_group_info(self->grp, &info));
	EXPECT_EQ(CID_LEN, info.quic_cid_len);	/* unchanged */
	EXPECT_EQ(-EINVAL, pcbg_quic_cid(0, cid, PCBG_QUIC_CID_MAX + 1));
	EXPECT_EQ(-EINVAL, pcbg_quic_cid(0, cid, 0));
	EXPECT_EQ(-EINVAL, pcbg_quic_cid(PCBG_SLOTS_LIMIT, cid, CID_LEN));
	fd = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT + 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, pcbg_group_socket_slot(self->grp, fd));
	close(fd);

	ASSERT_EQ(0, pcbg_group_create(&tcp, 4));
	fd = make_server(AF_INET, SOCK_STREAM, SERVER_PORT);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, pcbg_group_add_socket(tcp, fd, -1, 0));
	EXPECT_EQ(-EPROTOTYPE, pcbg_group_set_quic(tcp, CID_LEN));
	pcbg_group_free(tcp);
	close(fd);
}

TEST_HARNESS_MAIN
