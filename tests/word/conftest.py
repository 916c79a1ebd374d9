"""The export tests' round (threads, every attribution, answers, a hidden and a withdrawn comment)."""

from __future__ import annotations

from tests.exports import conftest as exports

directory = exports.directory
draft = exports.draft
facilitator = exports.facilitator
link_for = exports.link_for
make_round = exports.make_round
organiser = exports.organiser
scenario = exports.scenario
