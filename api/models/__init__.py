"""The API's public answers: one model per entity and per page, camelCase on the wire."""
