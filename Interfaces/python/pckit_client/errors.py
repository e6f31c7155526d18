"""Exceptions of the PCKit client."""


class RemoteError(RuntimeError):
    """The server answered with an ``error`` message (``code``, ``message``, optional session/sequence)."""

    def __init__(self, reply: dict):
        super().__init__(f"server error {reply.get('code')}: {reply.get('message')}")
        self.code = reply.get("code")
        self.reply = reply


class ServerLost(ConnectionError):
    """No reply after every retry: the server (or the network path to it) is gone."""
