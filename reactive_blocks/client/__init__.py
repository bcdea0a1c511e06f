"""Clients: drive an app from Python over the same protocol as the page."""

from reactive_blocks.client._async_client import AsyncClient, handle_file
from reactive_blocks.client._client import Client

__all__ = ["AsyncClient", "Client", "handle_file"]
