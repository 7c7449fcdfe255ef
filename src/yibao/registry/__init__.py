"""The registry: persons, enrolments, special identities, personal accounts (completed in issue C)."""
