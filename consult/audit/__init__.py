"""The audit trail: who changed what, when and from where, written in the transaction of the change
(``recording``), and read by admins through ``GET /api/v1/audit``."""
