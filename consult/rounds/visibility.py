"""What a reader may learn about a comment: pure rules, shared by the API, the page and the emails.

Staff see everything, hidden comments included. A stakeholder never sees hidden comments, sees only
their own when the round is visible to facilitators only, and sees other authors as the author chose
(``named``, ``organisation`` only, or ``anonymous``). Facilitators' answers reach the author only.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from consult.directory.models import OrganisationKind
from consult.rounds.models import Attribution


@dataclass(frozen=True)
class ShownAuthor:
    person_id: UUID | None = None
    full_name: str | None = None
    organisation_id: UUID | None = None
    organisation_name: str | None = None
    organisation_kind: OrganisationKind | None = None


def public_author(attribution: Attribution, author: ShownAuthor) -> ShownAuthor:
    """The author as other participants see them."""
    if attribution is Attribution.ANONYMOUS:
        return ShownAuthor()
    if attribution is Attribution.ORGANISATION:
        return ShownAuthor(
            organisation_id=author.organisation_id,
            organisation_name=author.organisation_name,
            organisation_kind=author.organisation_kind,
        )
    return author
