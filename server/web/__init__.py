"""The web layer: JSON API controllers (and, later, pages) over the catalogue and the index."""
