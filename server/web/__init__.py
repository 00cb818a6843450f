"""The web layer over the catalogue and the index: JSON API, pages, media, feeds."""
