"""Reusable UI pieces: layout, form fields, feedback. No database, no rules."""
