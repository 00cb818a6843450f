"""Staff corrections over HTTP: the corrections API (api.py); the catalogue side is
server/catalog/corrections.py."""
