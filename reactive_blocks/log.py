"""The named loggers of each layer, defined in one place.

Per-event detail is logged at DEBUG behind ``isEnabledFor`` checks on hot
paths; protocol violations at WARNING with the session id; a user function's
exception once at ERROR with its traceback.
"""

from __future__ import annotations

import logging

root_logger = logging.getLogger("reactive_blocks")
declaration_logger = logging.getLogger("reactive_blocks.declaration")
scheduler_logger = logging.getLogger("reactive_blocks.scheduler")
session_logger = logging.getLogger("reactive_blocks.session")
transport_logger = logging.getLogger("reactive_blocks.transport")
client_logger = logging.getLogger("reactive_blocks.client")
