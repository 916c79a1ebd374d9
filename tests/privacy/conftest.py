from __future__ import annotations

from tests.inbound.test_intake import gateway  # noqa: F401 - fixtures shared with the intake tests
from tests.invitations.conftest import make_event  # noqa: F401
from tests.rounds.conftest import directory, draft, facilitator, link_for, make_round  # noqa: F401
