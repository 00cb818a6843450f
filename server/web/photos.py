"""People's photos, kept on the site itself (`POST /staff/people/{id}/photo` from the person's
staff page, served at `/photos/<name>`): the Content-Security-Policy lets pages show images
from this site only, so a photo staff upload is stored under the media folder and served here.

An upload is checked before anything is written: at most `MAX_PHOTO_BYTES`, a JPEG, PNG or WebP by
its first bytes (not by its name or declared type), opened by Pillow for those formats alone,
at most `MAX_PIXELS` (a small file can claim a huge picture), then re-encoded: turned upright,
scaled to fit `PHOTO_SIZE`, flattened onto white, written as a new JPEG. Only pixels survive, so
metadata (a camera's location), trailing bytes and anything crafted to look like HTML or script
are left behind. The file is named after the person and the picture's hash
(`ARCHIVE_MEDIA_DIR/photos/<slug>-<hash>.jpg`), so a new photo is a new address and each can be
cached for good; the person's `photo_url` is the site path, `/photos/<name>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import warnings
from pathlib import Path
from typing import Any, Final

from litestar import Controller, HttpMethod, Request, Response, post, route
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from PIL import Image, ImageOps
from sqlmodel import Session

from ingest.errors import ArchiveError, InputError, NotFoundError
from server.accounts.auth import editor_name
from server.accounts.guards import staff_guard
from server.catalog.db import Database
from server.catalog.people import LOCAL_PHOTO
from server.search.service import SearchService
from server.web import people_api

MAX_PHOTO_BYTES: Final = 5 * 1024 * 1024
MAX_PIXELS: Final = 40_000_000
PHOTO_SIZE: Final = (600, 600)
PHOTO_DIR: Final = "photos"
PHOTO_PATH: Final = LOCAL_PHOTO
"""A photo's site path, as stored in `person.photo_url` (`/photos/<name>`); nothing else is
served from here."""

_SIGNATURES: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


class PhotoError(InputError):
    """An upload that is not a photo the site takes; the message says why."""


def sniff(data: bytes) -> str | None:
    """The image format the bytes start with (JPEG, PNG or WebP), else None."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def reencode(data: bytes) -> bytes:
    """The photo as a new, upright JPEG of at most `PHOTO_SIZE`; PhotoError for anything else."""
    if not data:
        raise PhotoError("photo: the file is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"photo: at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    kind = sniff(data)
    if kind is None:
        raise PhotoError("photo: not a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as opened:
                width, height = opened.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise PhotoError(f"photo: at most {MAX_PIXELS // 1_000_000} million pixels")
                opened.load()
                image = ImageOps.exif_transpose(opened)
    except PhotoError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"photo: the {kind} image cannot be read (damaged or not an image)") from None
    image.thumbnail(PHOTO_SIZE)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def store_photo(media_dir: Path, person_slug: str, data: bytes) -> str:
    """Check and re-encode an upload, write it under the media folder (atomically), and return
    its site path for `person.photo_url`."""
    jpeg = reencode(data)
    base = re.sub(r"[^a-z0-9-]+", "-", person_slug.lower()).strip("-")[:150] or "person"
    name = f"{base}-{hashlib.sha256(jpeg).hexdigest()[:16]}.jpg"
    folder = media_dir / PHOTO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        partial = folder / f".{name}.part"
        partial.write_bytes(jpeg)
        os.replace(partial, target)
    return f"/{PHOTO_DIR}/{name}"


def local_photo(photo_url: str | None) -> bool:
    """Whether a person's `photo_url` is a photo stored here (shown as an image; an address
    elsewhere stays a link, since the pages show no images from other sites)."""
    return bool(photo_url and PHOTO_PATH.match(photo_url))


@route(
    "/photos/{name:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="photo", include_in_schema=False
)
async def photo_file(request: Request[Any, Any, State], name: FromPath[str]) -> Response[bytes]:
    """A stored photo. Its name holds its hash, so it never changes: cached for a year."""
    match = PHOTO_PATH.match(f"/{PHOTO_DIR}/{name}")
    media_dir: Path = request.app.state.settings.storage.media_dir
    file = media_dir / PHOTO_DIR / name
    if match is None or not file.is_file():
        raise NotFoundError("no such photo")
    return Response(
        file.read_bytes(),  # at most a 600-pixel JPEG
        media_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


def _slug(session: Session, person_id: int) -> str:
    return people_api.read_person(session, person_id).slug


class StaffPhotoPages(Controller):
    """`POST /staff/people/{id}/photo` (multipart, CSRF token in the form): `photo` a file to
    upload, or `action=remove`. Recorded in the history as a change of `photo_url`; a refusal
    comes back to the person's page with the reason, and nothing is written."""

    path = "/staff/people/{person_id:int}/photo"
    guards = [staff_guard]  # noqa: RUF012
    include_in_schema = False

    @post("/", name="staff-person-photo", status_code=303)
    async def upload(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        person_id: FromPath[int],
    ) -> Redirect:
        back = request.app.route_reverse("staff-person", person_id=person_id)
        form = await request.form()
        try:
            if form.get("action") == "remove":
                photo_url = None
            else:
                upload = form.get("photo")
                if not isinstance(upload, UploadFile) or not upload.filename:
                    raise PhotoError("photo: choose an image file")
                data = await upload.read(MAX_PHOTO_BYTES + 1)
                slug = await db.run(_slug, person_id)
                media_dir: Path = request.app.state.settings.storage.media_dir
                photo_url = await asyncio.to_thread(store_photo, media_dir, slug, data)
            _, ids = await db.run(
                people_api.update_person, person_id, {"photo_url": photo_url}, editor_name(request)
            )
        except ArchiveError as exc:
            if exc.status == 404:
                raise
            return Redirect(path=back, query_params={"photo_error": str(exc)}, status_code=303)
        await people_api.reindex(db, search, ids)
        return Redirect(path=back, query_params={"saved": "1"}, status_code=303)
