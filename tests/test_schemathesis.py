"""schemathesis against the app's own /openapi.json: no 5xx, and every response fits the schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlmodel import Session

from app.db import current_engine, get_session
from app.documents.store import seed
from app.main import create_app
from tests.conftest import SEED_DIR, _engine

app = create_app()
state = {}


def _session():
    with Session(state["engine"]) as s:
        yield s


async def _engine_of_the_test():
    return state["engine"]


app.dependency_overrides[get_session] = _session
app.dependency_overrides[current_engine] = _engine_of_the_test
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def seeded_database():
    # Made per test, not at import: on PostgreSQL other tests empty or drop the shared tables.
    state["engine"] = _engine()
    with Session(state["engine"]) as s:
        seed(s, SEED_DIR)
    yield


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate()
