"""The pages people open from the links in their emails (RSVP, the comment round, unsubscribing)."""
