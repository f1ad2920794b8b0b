"""The guard itself: non-loopback connections and DNS lookups are refused, loopback works."""

import socket
import threading

import conftest
import pytest


@pytest.mark.allow_network_attempts
def test_non_loopback_connection_is_blocked():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(ConnectionRefusedError, match="network guard"):
            sock.connect(("93.184.216.34", 80))
    finally:
        sock.close()


@pytest.mark.allow_network_attempts
def test_dns_lookup_is_blocked():
    with pytest.raises(socket.gaierror, match="network guard"):
        socket.getaddrinfo("huggingface.co", 443)


@pytest.mark.allow_network_attempts
def test_attempt_in_background_thread_is_recorded():
    before = len(conftest._violations)

    def fetch():
        try:
            socket.getaddrinfo("example.org", 443)
        except OSError:
            pass  # swallowed, like a library's background fetch would

    thread = threading.Thread(target=fetch)
    thread.start()
    thread.join()
    assert len(conftest._violations) == before + 1


def test_loopback_is_allowed():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
