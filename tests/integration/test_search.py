"""Search against a real Meilisearch: settings, indexing, /api/search, and the process manager.

Each test gets a fresh index on the session's server (fixtures in tests/conftest.py); the
process-manager tests start servers of their own under tmp_path.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.search.api import SearchPlugin
from server.search.documents import SegmentDocument
from server.search.index import (
    SEARCHABLE_ATTRIBUTES,
    MeiliIndex,
    SearchIndexError,
    connected_index,
    index_settings,
)
from server.search.indexer import index_webinar, rebuild_index
from server.search.process import LocalMeilisearch, MeiliConnection, free_port
from server.settings import Settings

HOSTILE = 'x" OR kind = "panel'


def seg(
    id: int,
    text: str,
    *,
    webinar: str = "circular",
    speaker: str | None = "Tomasz Nowak",
    kind: str = "presentation",
    start: float = 0.0,
) -> SegmentDocument:
    titles = {
        "circular": ("Circular procurement in small municipalities", "2024-03-14", 19796, ["procurement"]),
        "ports": ("Green ports of the Atlantic", "2023-06-01", 19509, ["ports", "energy"]),
        "digital": ("Digital regions", "2025-01-20", 20108, ["digital"]),
    }
    title, date, date_ts, topics = titles.get(webinar, (webinar.title(), None, None, []))
    return SegmentDocument(
        id=id,
        webinar=webinar,
        webinar_title=title,
        date=date,
        date_ts=date_ts,
        year=int(date[:4]) if date else None,
        topics=topics,
        projects=["ReCircle"] if webinar == "circular" else [],
        language="en",
        speaker=speaker,
        kind=kind,
        chapter="Keynote" if kind == "presentation" else None,
        start=start,
        end=start + 12.5,
        text=text,
    )


CATALOGUE = [
    seg(1, "Welcome everyone to this session on public buying.", kind="intro", speaker="Maria Jensen"),
    seg(2, "Circular procurement lets small towns buy reused furniture.", start=252.7),
    seg(3, "Tender criteria can reward repair and reuse.", start=300.2),
    seg(
        4,
        "How do small and medium-sized enterprises take part in tenders?",
        kind="question",
        start=1300.0,
        speaker="Maria Jensen",
    ),
    seg(5, "Many SMEs lack the staff to answer long tenders.", kind="answer", start=1320.4),
    seg(
        6,
        "The port of Aveiro pilot cut shore power costs.",
        webinar="ports",
        speaker="Ana Ribeiro",
        start=61.9,
    ),
    seg(
        7,
        "Our tender for shore power attracted three SME bidders.",
        webinar="ports",
        speaker="Ana Ribeiro",
        start=130.0,
    ),
    seg(
        8,
        "Questions from the audience on port costs.",
        webinar="ports",
        kind="panel",
        speaker="Maria Jensen",
        start=900.0,
    ),
    seg(
        9,
        "She said <script>alert('x')</script> & left the tender room.",
        webinar="digital",
        speaker="Lena Berg",
        start=45.0,
    ),
    seg(
        10,
        "The literal speaker with quotes talks about tenders.",
        webinar="digital",
        speaker=HOSTILE,
        start=80.0,
    ),
    seg(
        11,
        "Cloud tools for every region and every tender.",
        webinar="digital",
        speaker="Lena Berg",
        kind="panel",
        start=120.0,
    ),
]


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_env({}, base_dir=tmp_path)


def run_index(
    connection: MeiliConnection, uid: str, docs: list[SegmentDocument], batch_size: int = 5000
) -> int:
    async def go() -> int:
        async with connected_index(connection, uid) as index:
            return await index.add([docs], batch_size=batch_size)

    return asyncio.run(go())


def meili_get(connection: MeiliConnection, path: str, **params: Any) -> Any:
    response = httpx.get(
        f"{connection.url}/{path}", params=params, headers={"Authorization": f"Bearer {connection.api_key}"}
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture
def indexed(meili_server: MeiliConnection, meili_index: str) -> str:
    run_index(meili_server, meili_index, CATALOGUE)
    return meili_index


@pytest.fixture
def client(meili_server: MeiliConnection, indexed: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    app = Litestar(plugins=[SearchPlugin(settings_for(tmp_path), connection=meili_server, index_uid=indexed)])
    with TestClient(app) as test_client:
        yield test_client


def search(client: TestClient[Litestar], **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[int]:
    return [hit["segment_id"] for hit in body["hits"]]


# ---- index settings and writing ---------------------------------------------------------------


def test_settings_are_applied_before_documents(meili_server: MeiliConnection, indexed: str) -> None:
    settings = meili_get(meili_server, f"indexes/{indexed}/settings")
    assert settings["searchableAttributes"] == list(SEARCHABLE_ATTRIBUTES)
    assert settings["sortableAttributes"] == sorted(["date_ts", "start"])
    assert settings["synonyms"]["sme"]
    assert "sme" in settings["synonyms"]["small and medium-sized enterprises"]
    assert settings["proximityPrecision"] == "byAttribute"
    patterns = {p for rule in settings["filterableAttributes"] for p in rule["attributePatterns"]}
    assert patterns == {"webinar", "speaker", "kind", "topics", "projects", "language", "date_ts", "year"}
    # the settings task ran before the first document addition
    tasks = meili_get(meili_server, "tasks", indexUids=indexed, reverse="true")["results"]
    kinds = [t["type"] for t in tasks]
    assert kinds.index("settingsUpdate") < kinds.index("documentAdditionOrUpdate")
    assert set(index_settings()["synonyms"]) <= set(settings["synonyms"])


def test_documents_go_in_batches_and_are_waited_for(meili_server: MeiliConnection, meili_index: str) -> None:
    docs = [seg(i, f"segment number {i} about regional funds", start=i * 10.0) for i in range(1, 12_001)]
    assert run_index(meili_server, meili_index, docs, batch_size=5000) == 12_000
    # counted right after the call returns: the tasks were waited for
    assert meili_get(meili_server, f"indexes/{meili_index}/stats")["numberOfDocuments"] == 12_000
    additions = meili_get(meili_server, "tasks", indexUids=meili_index, types="documentAdditionOrUpdate")
    assert [t["details"]["receivedDocuments"] for t in additions["results"]] == [2000, 5000, 5000]


def test_a_failed_task_raises_meilisearchs_message(meili_server: MeiliConnection, meili_index: str) -> None:
    async def go() -> None:
        async with connected_index(meili_server, meili_index) as index:
            await index.ensure()
            task = await index.enqueue("POST", f"indexes/{meili_index}/documents", [{"no_id": 1}])
            await index.wait(task)

    with pytest.raises(SearchIndexError, match="doesn't have a `id` attribute"):
        asyncio.run(go())


def test_replace_webinar_and_rebuild(meili_server: MeiliConnection, indexed: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    report = index_webinar(
        settings,
        "ports",
        [seg(60, "Offshore wind at the port.", webinar="ports")],
        connection=meili_server,
        index_uid=indexed,
    )
    assert report.documents == 1
    docs = meili_get(meili_server, f"indexes/{indexed}/documents", filter='webinar = "ports"', limit=50)
    assert [d["id"] for d in docs["results"]] == [60]
    assert meili_get(meili_server, f"indexes/{indexed}/stats")["numberOfDocuments"] == len(CATALOGUE) - 3 + 1

    report = rebuild_index(
        settings, [CATALOGUE[:4], CATALOGUE[4:6]], connection=meili_server, index_uid=indexed
    )
    assert report.documents == 6
    assert meili_get(meili_server, f"indexes/{indexed}/stats")["numberOfDocuments"] == 6
    uids = {i["uid"] for i in meili_get(meili_server, "indexes", limit=1000)["results"]}
    assert f"{indexed}_tmp" not in uids
    assert meili_get(meili_server, f"indexes/{indexed}/settings")["searchableAttributes"] == list(
        SEARCHABLE_ATTRIBUTES
    )


# ---- /api/search ------------------------------------------------------------------------------


def test_finds_the_right_segment_at_the_right_moment(client: TestClient[Litestar]) -> None:
    body = search(client, q="circular procurement")
    top = body["hits"][0]
    assert body["query"] == "circular procurement"
    assert top["segment_id"] == 2
    assert top["start"] == 252.7
    assert top["end"] == 265.2
    assert top["url"] == "/webinars/circular?t=252&q=circular+procurement"
    assert top["webinar"] == {
        "slug": "circular",
        "title": "Circular procurement in small municipalities",
        "date": "2024-03-14",
    }
    assert top["speaker"] == "Tomasz Nowak"
    assert top["kind"] == "presentation"
    assert top["chapter"] == "Keynote"
    assert "<mark>Circular</mark> <mark>procurement</mark>" in top["highlight"]


def test_typo_tolerance(client: TestClient[Litestar]) -> None:
    assert ids(search(client, q="procurment"))[0] == 2
    assert 6 in ids(search(client, q="Aviero"))


def test_synonyms_both_directions(client: TestClient[Litestar]) -> None:
    abbreviated = set(ids(search(client, q="SME")))
    spelled = set(ids(search(client, q="small and medium-sized enterprises")))
    assert {4, 5, 7} <= abbreviated  # "small and medium-sized enterprises" found by "SME"
    assert {4, 5, 7} <= spelled  # "SMEs", "SME" found by the spelled-out form


def test_filters(client: TestClient[Litestar]) -> None:
    assert set(ids(search(client, q="tender", webinar="ports"))) == {7}
    assert set(ids(search(client, speaker="Ana Ribeiro"))) == {6, 7}
    assert set(ids(search(client, kind="panel"))) == {8, 11}
    assert set(ids(search(client, topic="energy"))) == {6, 7, 8}
    assert set(ids(search(client, date_from="2024-01-01", date_to="2024-12-31"))) == {1, 2, 3, 4, 5}
    assert set(ids(search(client, date_from="2025-01-20"))) == {9, 10, 11}
    assert set(ids(search(client, q="tender", kind="answer"))) == {5}


def test_facets(client: TestClient[Litestar]) -> None:
    facets = search(client, q="tender")["facets"]
    assert facets["webinar"] == {"circular": 3, "digital": 3, "ports": 1}
    assert facets["kind"] == {"presentation": 4, "question": 1, "answer": 1, "panel": 1}  # "tender*" prefix
    assert facets["topic"] == {"procurement": 3, "digital": 3, "ports": 1, "energy": 1}
    assert facets["speaker"]["Lena Berg"] == 2


def test_group_by_webinar(client: TestClient[Litestar]) -> None:
    body = search(client, q="tender", group="webinar", limit=2)
    assert body["total"] == 3  # webinars, not segments
    assert [g["webinar"]["slug"] for g in body["groups"]] == [g["webinar"]["slug"] for g in body["groups"]]
    assert len(body["groups"]) == 2
    for group in body["groups"]:
        assert 1 <= len(group["hits"]) <= 3
        assert {h["webinar"]["slug"] for h in group["hits"]} == {group["webinar"]["slug"]}
    assert ids(body) == [h["segment_id"] for g in body["groups"] for h in g["hits"]]
    rest = search(client, q="tender", group="webinar", limit=2, offset=2)
    slugs = {g["webinar"]["slug"] for g in body["groups"]} | {g["webinar"]["slug"] for g in rest["groups"]}
    assert slugs == {"circular", "ports", "digital"}


def test_highlight_is_safe_html(client: TestClient[Litestar]) -> None:
    hit = search(client, q="script tender")["hits"][0]
    assert hit["segment_id"] == 9
    assert "<script" not in hit["highlight"]
    assert "She said &lt;script&gt;alert(&#x27;x&#x27;)&lt;/" in hit["highlight"]
    assert "<mark>tender</mark>" in hit["highlight"]
    assert "&amp;" in hit["highlight"]
    stripped = hit["highlight"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped
    assert ">" not in stripped
    assert hit["text"].startswith("She said <script>")  # the plain text is data, for JSON clients


def test_hostile_filter_values_stay_literal(client: TestClient[Litestar]) -> None:
    # Unescaped, this would read: speaker = "x" OR kind = "panel" -> segments 8 and 11.
    assert set(ids(search(client, speaker=HOSTILE))) == {10}
    assert search(client, speaker='nobody" OR kind = "panel')["total"] == 0
    assert search(client, topic='x" OR webinar = "ports')["total"] == 0
    assert search(client, webinar='circular" OR webinar != "x')["total"] == 0
    assert search(client, speaker="back\\slash\\")["total"] == 0


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"kind": "keynote"}, "kind"),
        ({"date_from": "2024-13-01"}, "date_from"),
        ({"date_to": "14/03/2024"}, "date_to"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"group": "speaker"}, "group"),
        ({"date_from": "2024-05-01", "date_to": "2024-04-01"}, "date_from"),
    ],
)
def test_bad_parameters_are_400_with_the_reason(
    client: TestClient[Litestar], params: dict[str, str], reason: str
) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    assert reason in response.text


def test_meilisearch_down_is_503_with_a_message(tmp_path: Path) -> None:
    closed = MeiliConnection(f"http://127.0.0.1:{free_port()}", "key-that-does-not-matter")
    app = Litestar(plugins=[SearchPlugin(settings_for(tmp_path), connection=closed)])
    with TestClient(app) as test_client:
        response = test_client.get("/api/search", params={"q": "tender"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    body = response.json()
    assert body["title"] == "Search is temporarily unavailable"
    assert "does not answer" in body["detail"]
    assert "Traceback" not in response.text
    assert "key-that-does-not-matter" not in response.text


def test_no_index_yet_is_an_empty_result(
    meili_server: MeiliConnection, meili_index: str, tmp_path: Path
) -> None:
    app = Litestar(
        plugins=[SearchPlugin(settings_for(tmp_path), connection=meili_server, index_uid=meili_index)]
    )
    with TestClient(app) as test_client:
        # the lifespan created the index with its settings, so an empty archive answers normally
        assert search(test_client, q="anything")["total"] == 0


# ---- the local server process -----------------------------------------------------------------


@pytest.mark.meili  # starts a server of its own
def test_key_file_is_private_and_kept(tmp_path: Path) -> None:
    server = LocalMeilisearch(tmp_path)
    connection = server.start()
    try:
        mode = stat.S_IMODE(os.stat(server.key_path).st_mode)
        assert mode == 0o600
        assert server.key_path.read_text().strip() == connection.api_key
        assert connection.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{connection.url}/version").status_code == 401  # the key is required
        state = json.loads(server.state_path.read_text())
        assert state["port"] == int(connection.url.rsplit(":", 1)[1])
    finally:
        server.stop()


@pytest.mark.meili  # starts a server of its own
def test_second_command_reuses_the_running_server_and_stops_only_its_own(tmp_path: Path) -> None:
    first = LocalMeilisearch(tmp_path)
    connection = first.start()
    try:
        second = LocalMeilisearch(tmp_path)
        assert second.start() == connection
        assert not second.started_here
        second.stop()  # not its server: left running
        assert httpx.get(f"{connection.url}/health").status_code == 200
    finally:
        first.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{connection.url}/health", timeout=1)
    assert not first.state_path.exists()


@pytest.mark.meili  # starts a server of its own
def test_documents_survive_a_restart(tmp_path: Path) -> None:
    server = LocalMeilisearch(tmp_path)
    connection = server.start()
    try:
        run_index(connection, "segments", CATALOGUE)
    finally:
        server.stop()
    again = LocalMeilisearch(tmp_path)
    connection = again.start()
    try:
        assert again.started_here
        assert meili_get(connection, "indexes/segments/stats")["numberOfDocuments"] == len(CATALOGUE)
    finally:
        again.stop()


@pytest.mark.meili  # starts a server of its own
def test_a_stale_state_file_is_ignored(tmp_path: Path) -> None:
    server = LocalMeilisearch(tmp_path)
    server.home.mkdir(parents=True)
    server.state_path.write_text(json.dumps({"pid": 999_999_999, "port": free_port()}))
    try:
        server.start()
        assert server.started_here
    finally:
        server.stop()


def test_meili_index_class_is_reachable(meili_server: MeiliConnection, meili_index: str) -> None:
    async def go() -> bool:
        async with connected_index(meili_server, meili_index) as index:
            assert isinstance(index, MeiliIndex)
            return await index.exists()

    assert asyncio.run(go()) is False


# ---- the `reindex` command -------------------------------------------------------------------


def test_reindex_command_rebuilds_from_the_catalogue(
    meili_server: MeiliConnection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from server.catalog.db import create_db_engine, session_scope, upgrade_database
    from server.catalog.store import store_transcript
    from server.cli import main
    from tests.factories import make_manifest, make_media_info, make_transcript
    from tests.meili_server import delete_index

    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    engine = create_db_engine(database_url)
    upgrade_database(engine)
    transcript = make_transcript()
    with session_scope(engine) as session, session.begin():
        slug = store_transcript(session, make_media_info(), "b" * 64, make_manifest(), transcript).slug
    engine.dispose()
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MEILI_URL", meili_server.url)
    monkeypatch.setenv("MEILI_MASTER_KEY", meili_server.api_key or "")
    try:
        assert main(["reindex"]) == 0
        out = capsys.readouterr().out
        count = len(transcript.segments)
        assert f"reindexed {count} segments of 1 webinars" in out
        assert "1 pending webinars now ready" in out
        assert meili_get(meili_server, "indexes/segments/stats")["numberOfDocuments"] == count
        first = transcript.segments[0]
        docs = meili_get(meili_server, "indexes/segments/documents", limit=100)["results"]
        assert {d["webinar"] for d in docs} == {slug}
        assert min(d["start"] for d in docs) == pytest.approx(first.start)
    finally:
        delete_index(meili_server, "segments")


def test_reindex_without_meilisearch_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEILI_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MEILI_MASTER_KEY", "x" * 20)
    assert main(["reindex"]) == 6  # UnavailableError: a service is down, try again later
    err = capsys.readouterr().err
    assert err.startswith("webinar-archive: error: the search index cannot be reached")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_openapi_documents_the_search_endpoint(client: TestClient[Litestar]) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {
        "q",
        "webinar",
        "speaker",
        "kind",
        "topic",
        "date_from",
        "date_to",
        "limit",
        "offset",
        "group",
    } <= names


def test_language_filter_and_facet(meili_server: MeiliConnection, meili_index: str, tmp_path: Path) -> None:
    """Webinars in other languages: the facet counts moments per language, the filter keeps one,
    and the query is read in that language (Meilisearch `locales`)."""
    german = msgspec.structs.replace(
        seg(20, "Die Häfen an der Ostsee bauen Landstrom für die Fähren.", webinar="ostsee", start=12.0),
        language="de",
    )
    english = seg(21, "The ports of the Baltic build shore power for ferries.", webinar="ports", start=30.0)
    run_index(meili_server, meili_index, [german, english])
    app = Litestar(
        plugins=[SearchPlugin(settings_for(tmp_path), connection=meili_server, index_uid=meili_index)]
    )
    with TestClient(app) as client:
        everything = search(client, q="", limit=10)
        assert everything["facets"]["language"] == {"de": 1, "en": 1}
        assert ids(search(client, q="Landstrom", language="de")) == [20]
        assert ids(search(client, q="Landstrom", language="en")) == []
        assert ids(search(client, q="", language="en")) == [21]
        assert client.get("/api/search", params={"q": "x", "language": "deutsch"}).status_code == 400
        assert search(client, q='x" OR language = "de', language="de")["total"] == 0
