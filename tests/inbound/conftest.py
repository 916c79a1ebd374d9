from __future__ import annotations

from tests.invitations.conftest import make_event, scenario  # noqa: F401 - fixtures shared with invitations
from tests.rounds.conftest import directory, draft, facilitator, link_for, make_round  # noqa: F401
