"""Workflow models (redaction rules, reviews, decisions) live here."""
