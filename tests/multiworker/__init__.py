"""The app with several backend workers on Redis and PostgreSQL."""
