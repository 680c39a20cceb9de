"""The domain: plain Python, no Reflex. Functions take a session and typed args."""
