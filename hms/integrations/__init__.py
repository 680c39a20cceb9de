"""Clients for the outside services HMS talks to: email function, Google."""
