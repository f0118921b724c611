"""An independent GoT client: raw sockets and cbor2, nothing from fluxion.

Usage: got_raw_client.py PORT APP. Runs a fetch cycle (fetch, ack) and a push cycle against
the server, and prints what it saw as JSON on stdout.
"""
import json
import socket
import struct
import sys
import uuid

import cbor2

APP_NAME, DATA, REQUEST_TYPE, START, END, WAIT, WAIT_TIMEOUT, STATUS, TYPES = range(9)
FETCH, PUSH, ACK = 0, 1, 2
NEW, MODIFY, DELETE = 0, 1, 2


def send(sock, frame):
    body = cbor2.dumps(frame)
    sock.sendall(struct.pack(">I", len(body)) + body)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("server closed the connection")
        buf += chunk
    return buf


def recv(sock):
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    return cbor2.loads(recv_exact(sock, length))


def request(sock, frame):
    send(sock, frame)
    return recv(sock)


def main():
    port, app = int(sys.argv[1]), sys.argv[2]
    out = {}
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # Fetch cycle (thesis Figure 5.1): fetch from ROOT, apply, ack.
        reply = request(sock, {APP_NAME: app, REQUEST_TYPE: FETCH, START: "ROOT",
                               WAIT: False, WAIT_TIMEOUT: 0.0, TYPES: ["Counter"]})
        out["fetch_status"] = reply[STATUS]
        head = reply[END]
        counter = reply[DATA]["Counter"]["countDocument"]
        out["fetched_event"] = counter[0]
        out["fetched_count"] = counter[1]["count"]
        ack = request(sock, {APP_NAME: app, REQUEST_TYPE: ACK, START: "ROOT", END: head})
        out["ack_status"] = ack[STATUS]

        # Push cycle (Figure 5.2): modify the counter, add an object, as our own version id.
        mine = str(uuid.uuid4())
        data = {"Counter": {
            "countDocument": {0: MODIFY, 1: {"count": out["fetched_count"] + 1}},
            "python": {0: NEW, 1: {"count": 7}},
        }}
        reply = request(sock, {APP_NAME: app, DATA: data, REQUEST_TYPE: PUSH,
                               START: head, END: mine, WAIT: False})
        out["push_status"] = reply[STATUS]
        out["push_head_is_mine"] = reply[END] == mine

        # Nothing new since our own push: an empty diff, then the ack that closes the cycle.
        reply = request(sock, {APP_NAME: app, REQUEST_TYPE: FETCH, START: mine})
        out["refetch_status"] = reply[STATUS]
        out["refetch_data"] = reply.get(DATA)
        out["refetch_end_is_mine"] = reply[END] == mine
        ack = request(sock, {APP_NAME: app, REQUEST_TYPE: ACK, START: mine, END: mine})
        out["ack2_status"] = ack[STATUS]

        # Bad input: a push from a version the server never had.
        reply = request(sock, {APP_NAME: app, DATA: data, REQUEST_TYPE: PUSH,
                               START: str(uuid.uuid4())})
        out["bad_push_status"] = reply[STATUS]
        out["closed_after_error"] = sock.recv(1) == b""
    print(json.dumps(out))


if __name__ == "__main__":
    main()
