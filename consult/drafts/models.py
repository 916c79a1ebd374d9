from __future__ import annotations

import enum
from uuid import UUID

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, str_enum
from consult.directory.models import Language
from consult.types import SECTION_KEY_LENGTH as SECTION_KEY_LENGTH  # re-exported for the layers above

SECTION_NUMBER_LENGTH = 64


class DraftFormat(enum.StrEnum):
    MARKDOWN = "markdown"
    DOCX = "docx"


class Document(Base):
    """A draft under consultation, e.g. the strategy; its text lives in numbered versions."""

    __tablename__ = "document"

    consultation_id: Mapped[UUID] = mapped_column(
        ForeignKey("consultation.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[Language] = mapped_column(str_enum(Language, 2))


class DocumentVersion(Base):
    """One uploaded text of a document. Numbers run 1, 2, 3... without gaps; the unique constraint
    makes the second of two simultaneous uploads fail instead of taking the same number."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    # Deleting a document takes its versions along, unless something (a comment round) points at
    # one of them with ON DELETE RESTRICT: then the whole delete is refused. No index of its own:
    # the unique (document_id, number) index serves lookups by document.
    document_id: Mapped[UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[DraftFormat] = mapped_column(str_enum(DraftFormat, 16))
    preamble: Mapped[str] = mapped_column(Text, default="")


class DocumentSection(Base):
    """A heading and the text under it, stored flat; ``parent_key`` and ``position`` give the tree.

    ``key`` is the section's identity across versions (comments follow it from one version to the
    next); ``number`` ("1.1.3") is what readers see and may change when sections move.
    """

    __tablename__ = "document_section"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    # No index of its own: the unique (version_id, key) index serves lookups by version.
    version_id: Mapped[UUID] = mapped_column(ForeignKey("document_version.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(SECTION_KEY_LENGTH))
    parent_key: Mapped[str | None] = mapped_column(String(SECTION_KEY_LENGTH), default=None)
    position: Mapped[int] = mapped_column(Integer)  # draft order within the version, from 0
    level: Mapped[int] = mapped_column(Integer)  # depth in the tree, 1 for top-level sections
    number: Mapped[str] = mapped_column(String(SECTION_NUMBER_LENGTH))
    heading: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
