"""People's photos (server/web/photos.py): what an upload must be (a JPEG, PNG or WebP by its
bytes, at most 5 MB and 40 million pixels), and what is kept of it (a new upright JPEG of at
most 600 pixels, flattened, without the camera's metadata)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from server.web.photos import MAX_PHOTO_BYTES, PHOTO_PATH, PhotoError, reencode, store_photo


def _image(fmt: str, size: tuple[int, int] = (1200, 800), mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else 0 if mode == "1" else (200, 30, 30)).save(
        out, format=fmt, **save
    )
    return out.getvalue()


def test_a_photo_becomes_a_new_upright_jpeg_of_at_most_600_pixels_without_metadata() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned a quarter; the new file is upright
    exif[0x010F] = "Camera maker"
    jpeg = reencode(_image("JPEG", (1200, 800), exif=exif.tobytes()))
    with Image.open(io.BytesIO(jpeg)) as photo:
        assert photo.format == "JPEG"
        assert photo.size == (400, 600)  # turned, then scaled to fit 600 x 600
        assert not photo.getexif()
    with Image.open(io.BytesIO(reencode(_image("PNG", (300, 200), "RGBA")))) as flat:
        assert (flat.format, flat.mode, flat.size) == ("JPEG", "RGB", (300, 200))
        red, green, _ = flat.getpixel((10, 10))
        assert red > 200  # half-transparent red on white
        assert 100 < green < 160
    with Image.open(io.BytesIO(reencode(_image("WEBP", (64, 64))))) as webp:
        assert webp.format == "JPEG"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"<html><script>alert(1)</script></html>", "not a JPEG, PNG or WebP"),
        (_image("GIF", (10, 10), "P"), "not a JPEG, PNG or WebP"),
        (b"GIF89a" + _image("PNG", (10, 10)), "not a JPEG, PNG or WebP"),  # the first bytes decide
        (_image("PNG", (10, 10))[:40] + b"<script>alert(1)</script>", "cannot be read"),
        (b"\xff\xd8\xff" + b"<svg onload=alert(1)>" * 10, "cannot be read"),
        (_image("PNG", (8000, 6000), "1"), "at most 40 million pixels"),  # small file, huge picture
        (b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_PHOTO_BYTES, "at most 5 MB"),
    ],
    ids=["empty", "html", "gif", "gif-then-png", "png-then-script", "jpeg-then-svg", "bomb", "too-big"],
)
def test_anything_else_is_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PhotoError, match=reason):
        reencode(data)


def test_a_stored_photo_is_named_after_the_person_and_its_hash(tmp_path: Path) -> None:
    url = store_photo(tmp_path, "ana-ribeiro", _image("PNG", (50, 50)))
    assert PHOTO_PATH.match(url)
    assert url.startswith("/photos/ana-ribeiro-")
    stored = tmp_path / url.lstrip("/")
    assert stored.read_bytes()[:3] == b"\xff\xd8\xff"
    assert store_photo(tmp_path, "ana-ribeiro", _image("PNG", (50, 50))) == url  # same picture, same file
    assert [p.name for p in (tmp_path / "photos").iterdir()] == [stored.name]  # no partial file left
    with pytest.raises(PhotoError):
        store_photo(tmp_path, "eve", b"not an image")
    assert len(list((tmp_path / "photos").iterdir())) == 1  # a refusal writes nothing
