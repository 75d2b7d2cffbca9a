"""Staff moderation's own home, below every app that moderates something: the append-only
ModerationLog, the violation marks on templates, and the admin's reason field. The actions live
with what they act on (accounts suspends users, the registry unpublishes and marks templates,
rendering retries jobs), and each writes here through ``moderation.services.moderation_log``."""
