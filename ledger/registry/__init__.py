"""The registry: organisations, PODs, devices, UVAMs, memberships, attachments and their
reviews."""
