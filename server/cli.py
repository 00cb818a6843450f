"""The `webinar-archive` command line.

Contract, for the staff who run these commands and the scripts that call them: errors are one
human line on standard error and a non-zero exit, never a traceback (set ARCHIVE_DEBUG=1 to see
one); `ingest` prints the slug as its last line, so a script can take it from there. The exit
status comes from the error's class in `ingest.errors`: 2 bad input (or usage), 3 not found,
4 conflict, 5 forbidden, 6 a service unavailable, 1 anything else.
Each subcommand is a small function taking the parsed arguments and the settings.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import (
    ArchiveError,
    ConflictError,
    InputError,
    StorageFullError,
    UnavailableError,
    is_disk_full,
)
from server.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ingest.agenda import AgendaWarning
    from ingest.probe import MediaInfo
    from ingest.transcribe import ModelConfig

Command = Callable[[argparse.Namespace, Settings], int]


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[float, float], None]]:
    """A terminal progress bar in seconds of audio, with elapsed time and ETA (tqdm)."""
    from tqdm import tqdm

    bar = tqdm(
        total=1.0,
        desc=label,
        unit="s",
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]",
        disable=False if os.environ.get("ARCHIVE_PROGRESS") == "1" else None,  # None: off unless a terminal
    )

    def update(done: float, total: float) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def _write_atomic(path: Path, data: str | bytes) -> None:
    """Outputs appear whole or not at all: write beside, then rename; a failed write (a full
    disk) leaves neither the output nor the file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise StorageFullError(f"{path}: not written, the disk is full; nothing was kept") from None
        raise


def _model_config(settings: Settings) -> ModelConfig:
    """The speech model the settings name; split models are joined under <data dir>/models."""
    from ingest.transcribe import ModelConfig

    whisper, models_dir = settings.whisper, settings.storage.data_dir / "models"
    return ModelConfig(whisper.model, whisper.device, whisper.compute_type, models_dir)


def _say_track(media: MediaInfo) -> None:
    """Which audio track was transcribed, when there was a choice: staff should know."""
    left_out = "(" in media.downmix  # a quiet channel or the LFE was left out of the mix
    if media.audio_tracks > 1 or left_out:
        detail = f"; {media.downmix}" if left_out else ""
        print(f"webinar-archive: transcribed {media.track_choice}{detail}", file=sys.stderr)


def _warn_agenda(warnings: Sequence[AgendaWarning]) -> None:
    """Lines of the written agenda that were skipped (headings, notes), one warning each."""
    for warning in warnings:
        print(f"webinar-archive: warning: agenda {warning}", file=sys.stderr)


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.captions import to_srt, to_webvtt
    from ingest.metadata import Manifest, load_manifest
    from ingest.pipeline import PipelineOptions, run

    manifest = load_manifest(Path(args.manifest)) if args.manifest else Manifest()
    agenda: str | None = None
    if args.agenda:
        try:
            agenda = Path(args.agenda).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"agenda {args.agenda}: cannot read ({exc})") from None
    options = PipelineOptions(
        model=_model_config(settings),
        max_duration=settings.max_duration_hours * 3600,
        language=args.language,
        extra_vocabulary=tuple(args.hotwords or ()),
    )
    started = time.perf_counter()
    with progress_bar("transcribing") as progress:
        result = run(Path(args.media), manifest, options, progress, agenda=agenda)
    _warn_agenda(result.agenda_warnings)
    _say_track(result.media)
    transcript = result.transcript
    elapsed = time.perf_counter() - started
    if args.vtt:
        _write_atomic(Path(args.vtt), to_webvtt(transcript))
    if args.srt:
        _write_atomic(Path(args.srt), to_srt(transcript))
    if args.output:
        _write_atomic(Path(args.output), transcript.to_json())
    else:
        sys.stdout.buffer.write(transcript.to_json() + b"\n")
    print(
        f"{len(transcript.segments)} segments, {transcript.duration:.0f} s of audio in {elapsed:.1f} s "
        f"({transcript.duration / max(elapsed, 1e-9):.1f}x real time)",
        file=sys.stderr,
    )
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date as YYYY-MM-DD") from None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a port number from 1 to 65535")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of worker processes from 1 to 64")
    return int(text)


def _place_media(media: Path, sha256: str, media_dir: Path) -> tuple[Path, bool]:
    """Return the recording's path relative to ARCHIVE_MEDIA_DIR, copying it there if needed.

    The copy is named after the file and its hash (two talks called `recording.mp4` do not
    collide), written beside and renamed, so the folder never holds half a file. The flag says
    whether this call created the copy, so a failed ingest can remove it again.
    """
    from server.catalog.slugs import slugify

    media_dir = media_dir.resolve()
    source = media.resolve()
    if source.is_relative_to(media_dir):
        return source.relative_to(media_dir), False
    name = f"{slugify(media.stem)[:60]}-{sha256[:12]}{media.suffix.lower()}"
    target = media_dir / name
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return Path(name), False  # the same recording, copied by an earlier ingest
    media_dir.mkdir(parents=True, exist_ok=True)
    tmp = media_dir / f".{name}.{os.getpid()}.part"
    try:
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise StorageFullError(
                f"the recording could not be copied into {media_dir}: the disk is full; nothing was stored"
            ) from None
        raise
    return Path(name), True


def _index_webinar(settings: Settings, engine: Engine, webinar_id: int, slug: str) -> str | None:
    """Put the webinar's segments in the search index; returns why not when Meilisearch is unreachable.

    An unreachable index is not a failed ingest: the catalogue is the source of truth, the webinar
    stays `index_pending`, and `reindex` (or the app's start-up) catches up. A task Meilisearch
    refuses is an error, raised as such.
    """
    from server.search.index import SearchIndexError
    from server.search.indexer import index_catalogue

    try:
        report = index_catalogue(settings, engine, [webinar_id])
    except UnavailableError as exc:  # Meilisearch down or not startable
        return str(exc)
    except SearchIndexError as exc:
        message = f"{slug} is stored but indexing failed: {exc}; run `webinar-archive reindex`"
        raise SearchIndexError(message, exc.code) from None
    print(f"indexed {report.documents} segments in {report.seconds:.1f} s", file=sys.stderr)
    return None


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Probe, transcribe, structure, store with the machine draft (one transaction), index; the
    slug is the last line out."""
    import dataclasses

    import msgspec

    from ingest.metadata import Manifest, load_manifest
    from ingest.pipeline import PipelineOptions, run
    from ingest.probe import probe
    from server.catalog import corrections, glossary, people
    from server.catalog.db import create_db_engine, session_scope, upgrade_database
    from server.catalog.drafts import generate_draft_or_log
    from server.catalog.slugs import check_slug, slug_owner
    from server.catalog.store import find_by_sha256, media_sha256, store_transcript

    media = Path(args.media)
    # Everything the user can get wrong is checked before the model loads, and nothing is written.
    manifest = load_manifest(Path(args.manifest)) if args.manifest else Manifest()
    overrides: dict[str, Any] = {}
    if args.title:
        overrides["title"] = args.title
    if args.date:
        overrides["date"] = args.date
    if args.agenda:
        try:
            overrides["agenda"] = Path(args.agenda).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"agenda {args.agenda}: cannot read ({exc})") from None
    manifest = msgspec.structs.replace(manifest, **overrides)
    if args.slug:
        check_slug(args.slug)
    max_duration = settings.max_duration_hours * 3600
    probe(media, max_duration=max_duration)
    sha256 = media_sha256(media)

    engine = create_db_engine(settings.storage.database_url)
    try:
        upgrade_database(engine)
        if args.slug:
            with session_scope(engine) as session:
                owner = slug_owner(session, args.slug)
                if owner is not None and owner.media_sha256 != sha256:
                    raise ConflictError(f"slug {args.slug!r} is already used by another webinar")

        with session_scope(engine) as session:
            # The archive's glossary (names staff corrected or confirmed), next to the manifest's.
            learned = glossary.ingest_vocabulary(session)
        options = PipelineOptions(
            model=_model_config(settings),
            max_duration=max_duration,
            extra_vocabulary=learned,
            segment_languages=args.segment_languages,
        )
        started = time.perf_counter()
        with progress_bar("transcribing") as progress:
            result = run(media, manifest, options, progress)
        _warn_agenda(result.agenda_warnings)
        _say_track(result.media)
        print(
            f"{len(result.transcript.segments)} segments, {result.transcript.duration:.0f} s of audio "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )

        stored_path, copied = _place_media(media, sha256, settings.storage.media_dir)
        try:
            with session_scope(engine) as session, session.begin():
                # The same recording again: staff's corrections and named voices are put back
                # over the new transcript, as a re-processing does, unless told to drop them.
                earlier = find_by_sha256(session, sha256)
                earlier_id = earlier.id if earlier is not None and not args.discard_corrections else None
                kept = corrections.corrected_segments(session, earlier_id) if earlier_id else []
                voices = people.named_voices(session, earlier_id) if earlier_id else []
                webinar = store_transcript(
                    session,
                    dataclasses.replace(result.media, path=stored_path),
                    sha256,
                    manifest,
                    result.transcript,
                    slug=args.slug,
                )
                named = people.keep_voices(session, webinar, voices, "re-ingest (kept)")
                corrections.keep_corrections(session, webinar, kept)
                # The machine draft of key messages and topics, as the upload job makes it.
                generate_draft_or_log(session, webinar)
            if kept or named:
                print(
                    f"kept {len(kept)} corrected segments and {len(named)} named voices from the "
                    "earlier transcript (--discard-corrections drops them)",
                    file=sys.stderr,
                )
        except BaseException:
            if copied:
                (settings.storage.media_dir / stored_path).unlink(missing_ok=True)
            raise
        slug, webinar_id = webinar.slug, webinar.id
        assert webinar_id is not None
        print(f"stored webinar {slug!r} ({settings.storage.media_dir / stored_path})", file=sys.stderr)

        try:
            problem = _index_webinar(settings, engine, webinar_id, slug)
        except ArchiveError:
            print(slug)  # stored all the same: say which webinar the error is about
            raise
        if problem is not None:
            print(
                f"webinar-archive: warning: search index unreachable ({problem}); {slug!r} is stored and "
                "waits for the index (status index_pending): run `webinar-archive reindex` later",
                file=sys.stderr,
            )
    finally:
        engine.dispose()
    print(slug)
    return 0


@contextmanager
def background_worker(concurrency: int = 1) -> Iterator[None]:
    """A `webinar-archive worker` child process for as long as the block runs (stopped with
    SIGTERM, which hands its running jobs back to the queue; killed if it does not stop). It
    inherits this process's environment, so the MEILI_URL of a local Meilisearch reaches it,
    and Linux stops it if this process dies (PDEATHSIG)."""
    import signal
    import subprocess

    from server.search.process import _die_with_parent

    command = [sys.executable, "-m", "server.cli", "worker", "--concurrency", str(concurrency)]
    # A session of its own: Ctrl+C at the terminal reaches serve only, which then stops the worker
    # with SIGTERM (running jobs handed back at once rather than waited for).
    child = subprocess.Popen(command, preexec_fn=_die_with_parent(), start_new_session=True)
    try:
        yield
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run processing jobs from the queue (Huey; QUEUE_URL, else <data dir>/queue.db) until
    stopped: Ctrl+C (SIGINT) lets running jobs finish, SIGTERM hands them back to the queue."""
    from server.jobs.worker import run_worker
    from server.serving import configure_logging

    configure_logging()
    run_worker(settings, args.concurrency)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the catalogue's schema to the newest migration: the deploy step before starting the
    site's and the workers' processes. Safe to run on an up-to-date catalogue, and while other
    processes start (server/catalog/db.py: upgrade_database takes a lock)."""
    from sqlalchemy.exc import OperationalError

    from server.catalog.db import upgrade_database

    try:
        before, after = upgrade_database(settings.storage.database_url)
    except OperationalError as exc:  # unreachable, refused, wrong password: a deploy retries later
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise UnavailableError(f"the database cannot be reached: {reason}") from None
    if before == after:
        print(f"catalogue schema already at {after} (newest)")
    else:
        print(f"catalogue schema upgraded from {before or 'empty'} to {after} (newest)")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the site and API with uvicorn, in one process or `--workers` processes.

    The local Meilisearch (MEILI_URL unset) is started here, in this process, and handed to the
    app (or to every worker) as MEILI_URL and MEILI_MASTER_KEY: it lives exactly as long as this
    command, and dies with it even on `kill -9` (see server/search/process.py). One processing
    worker (`webinar-archive worker`) runs beside the site unless `--no-worker`.
    """
    import uvicorn

    from server.catalog.db import upgrade_database
    from server.search.process import MeiliProcessError, meilisearch
    from server.serving import SEARCH_OFF_ENV, app_from_env, configure_logging, uvicorn_options

    configure_logging()
    upgrade_database(settings.storage.database_url)  # once, before any worker starts (under a lock)
    with contextlib.ExitStack() as stack:
        if settings.search.meili_url is None:
            try:
                connection = stack.enter_context(meilisearch(settings))
                os.environ["MEILI_URL"] = connection.url
                os.environ["MEILI_MASTER_KEY"] = connection.api_key or ""
            except MeiliProcessError as exc:  # the site works without search; say why
                print(f"webinar-archive: search disabled: {exc}", file=sys.stderr, flush=True)
                os.environ[SEARCH_OFF_ENV] = str(exc)  # and no worker starts one of its own
        if args.worker:
            stack.enter_context(background_worker())
        print(f"Webinar Archive: open http://{args.host}:{args.port}/ (Ctrl+C stops)", flush=True)
        if args.workers > 1:
            uvicorn.run(
                "server.serving:app_from_env",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                **uvicorn_options(),
            )
        else:
            uvicorn.run(app_from_env(), host=args.host, port=args.port, **uvicorn_options())
    return 0


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    """Rebuild the search index from the catalogue alone, then mark pending webinars ready.

    The database is the source of truth: this is the repair for a lost, stale or half-written
    index, and the catch-up for webinars stored while Meilisearch was down. The new index is
    built beside the live one and swapped in, so search keeps answering during the rebuild.
    """
    from server.catalog.db import create_db_engine, upgrade_database
    from server.search.index import SearchIndexError
    from server.search.indexer import RebuildRunning, index_catalogue

    engine = create_db_engine(settings.storage.database_url)
    try:
        upgrade_database(engine)
        try:
            report = index_catalogue(settings, engine, batch_size=args.batch_size)
        except RebuildRunning:
            raise  # its message says what to do
        except UnavailableError as exc:
            raise UnavailableError(f"the search index cannot be reached: {exc}") from None
        except SearchIndexError as exc:
            message = f"reindex failed, the previous index is unchanged: {exc}"
            raise SearchIndexError(message, exc.code) from None
    finally:
        engine.dispose()
    print(
        f"reindexed {report.documents} segments of {report.webinars} webinars in {report.seconds:.1f} s "
        f"({report.per_second:,.0f} segments/s); {report.ready} pending webinars now ready"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webinar-archive", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("transcribe", help="transcribe one recording, with no database or index")
    p.add_argument("media", help="audio or video file")
    p.add_argument("-o", "--output", help="write the transcript JSON here (default: standard output)")
    p.add_argument("--vtt", help="also write WebVTT captions here")
    p.add_argument("--srt", help="also write SRT captions here")
    p.add_argument(
        "--language",
        help="ISO 639-1 code (de, fr, ...); default: the manifest's, else detected. A non-English "
        "language switches the English-only default model to base",
    )
    p.add_argument("--hotwords", nargs="+", metavar="TERM", help="extra names and terms to recognise")
    p.add_argument("--manifest", help="metadata file (JSON or YAML): names become vocabulary")
    p.add_argument("--agenda", help="text file with the timing overview staff wrote (or the manifest's)")
    p.set_defaults(handler=cmd_transcribe)

    p = sub.add_parser("ingest", help="transcribe, store and index one recording; prints its slug last")
    p.add_argument("media", help="audio or video file (copied into ARCHIVE_MEDIA_DIR unless already there)")
    p.add_argument("--manifest", help="metadata file (JSON or YAML): title, date, speakers, topics, ...")
    p.add_argument("--agenda", help="text file with the timing overview staff wrote")
    p.add_argument("--title", help="title (overrides the manifest's)")
    p.add_argument("--date", type=_date, help="date as YYYY-MM-DD (overrides the manifest's)")
    p.add_argument("--slug", help="URL name (default: made from the title, unique)")
    p.add_argument(
        "--discard-corrections",
        action="store_true",
        help="a recording stored before: drop staff's corrections and named voices (kept by default)",
    )
    p.add_argument(
        "--segment-languages",
        action="store_true",
        help="label lines spoken in another language (an interpreted question): searched and "
        "filtered in that language; ~2.4 s more a segment on 2 cores",
    )
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("migrate", help="bring the database schema up to date (once per deploy)")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("serve", help="serve the site and the JSON API")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument(
        "--workers", type=_workers, default=1, help="worker processes (default 1; production: one per core)"
    )
    p.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        help="do not start a processing worker beside the site (run `webinar-archive worker` elsewhere)",
    )
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("worker", help="run processing jobs (uploads, re-processing) from the queue")
    p.add_argument(
        "--concurrency", type=_workers, default=1, help="jobs run at once, one thread each (default 1)"
    )
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("reindex", help="rebuild the search index from the database alone")
    p.add_argument("--batch-size", type=int, default=5000, help="segments per request (default 5000)")
    p.set_defaults(handler=cmd_reindex)

    from server.accounts.commands import add_user_commands

    add_user_commands(sub)  # user create|list|disable|enable|password|token|revoke-tokens

    from server.backup.commands import add_backup_commands

    add_backup_commands(sub)  # backup DEST, restore SRC [--force]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Command = args.handler
    try:
        settings = Settings.from_env()
        return handler(args, settings)
    except ArchiveError as exc:  # the one family: bad input 2, not found 3, conflict 4, unavailable 6
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("ARCHIVE_DEBUG") == "1":
            raise
        return _fail(f"unexpected failure: {type(exc).__name__}: {exc} (ARCHIVE_DEBUG=1 shows details)", 1)


def _fail(message: str, status: int) -> int:
    print(f"webinar-archive: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
