"""schemathesis against the running server's OpenAPI document (/schema/openapi.json): requests
generated from the document for every operation, anonymous and with a staff token, never get a
5xx, and every answer is one the document declares (status code, content type, body schema).

The server is the real app (uvicorn on a free port) on a SQLite catalogue holding the demo
webinar, indexed in the session's Meilisearch. Examples per operation are few and derandomized,
so the run is short and repeatable; the tus PATCH body is a stream the document cannot describe,
so schemathesis sends it without one (refused with a 4xx, which is checked like the rest).
Schemathesis's "schema-valid request rejected" check is left out: the document cannot say every
rule (a glossary term needs a letter, a body must be an object with a name), and a 400 naming the
rule is the right answer to such a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.browser.serving import serve_app
from tests.site_data import (
    add_account,
    add_token,
    demo_manifest,
    demo_transcript,
    settings_for,
    store_and_index,
)

EXAMPLES_PER_OPERATION = 6
STAFF = "fuzz@example.org"


@dataclass
class Served:
    url: str
    token: str
    slug: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, meili_server: MeiliConnection) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("fuzz")
    settings = settings_for(base)
    index_uid = f"t_fuzz_{base.name[-6:]}".replace("-", "_")
    slug = store_and_index(
        settings,
        demo_transcript(),
        demo_manifest(),
        "demo.opus",
        connection=meili_server,
        index_uid=index_uid,
    )
    add_account(settings, STAFF, "a long enough password", "staff")
    token = add_token(settings, STAFF)
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index_uid)]
    )
    with serve_app(app) as url:
        yield Served(url, token, slug)
    from tests.meili_server import delete_index

    delete_index(meili_server, index_uid)


def _first_line(failure: BaseException) -> str:
    found = re.findall(r"- (ST\d+ [^\n]*)", str(failure))
    return "; ".join(found) or f"{type(failure).__name__}: {str(failure)[:200]}"


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_no_generated_request_gets_a_5xx_or_an_undeclared_answer(served: Served, who: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/schema/openapi.json")
    headers = {"Authorization": f"Bearer {served.token}"} if who == "staff" else {}
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid OpenAPI
        operations.append(result.ok())
    labels = {operation.label for operation in operations}
    # Every part of the API is in the document, search included.
    assert {
        "GET /api/search",
        "GET /api/webinars/{slug}",
        "POST /api/uploads",
        "PATCH /api/people/{person_id}",
    } <= labels
    failures: dict[str, str] = {}
    server_errors: list[str] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), use_demo_slug=st.booleans())
        def run(case: Case[Any], use_demo_slug: bool) -> None:
            if use_demo_slug and "slug" in (case.path_parameters or {}):
                case.path_parameters = {**(case.path_parameters or {}), "slug": served.slug}
            response = case.call(base_url=served.url, headers=headers, timeout=15)
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.as_curl_command()} -> {response.status_code} {response.text[:200]}"
                )
            case.validate_response(response, headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            run()
        except BaseException as failure:  # schemathesis's FailureGroup is a BaseExceptionGroup
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures[operation.label] = _first_line(failure)
    assert not server_errors, "\n".join(server_errors)
    assert not failures, "\n".join(f"{label}: {why}" for label, why in sorted(failures.items()))
    assert len(operations) >= 50


def test_the_document_declares_the_problems_each_operation_answers_with(served: Served) -> None:
    """A reader of the document learns the error shape: problem details, per status."""
    schema = schemathesis.openapi.from_url(f"{served.url}/schema/openapi.json").raw_schema
    job = schema["paths"]["/api/jobs/{job_id}"]["get"]
    assert {"400", "401", "403", "404", "503"} <= set(job["responses"])
    assert "application/problem+json" in job["responses"]["404"]["content"]
    bounds = next(p for p in job["parameters"] if p["name"] == "job_id")["schema"]
    assert (bounds["minimum"], bounds["maximum"]) == (1, 2**31 - 1)
    public = schema["paths"]["/api/webinars"]["get"]["responses"]
    assert "401" not in public  # reads are public
    tus = schema["paths"]["/api/uploads"]["post"]["responses"]
    assert {"412", "413"} <= set(tus)
