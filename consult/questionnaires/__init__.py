"""Questionnaires: built in versions, sent to an audience (one answer per organisation, per person,
or open to anyone), answered on the ``/q/{token}`` page or the public ``/q/open/{key}`` page."""
