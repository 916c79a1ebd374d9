"""The fixtures the pages' data come from (events, the directory, a draft and its rounds)."""

from tests.invitations.conftest import make_event  # noqa: F401
from tests.rounds.conftest import directory, draft, facilitator, link_for, make_round  # noqa: F401
