"""The HMS email function: validate a JSON request, build the message, send it."""
