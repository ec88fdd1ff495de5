"""graph drawings: only the default views stay stored; the ranges of sessions readers named,
which earlier versions stored for ever (any stranger could add thousands), are dropped

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: Union[str, None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The default views as this revision knows them (app/graph/drawings.py and scope.py have today's):
# each organization's graph (`org:…`, all kept), and the overall graph without a range: every
# document (`all`) in a record of at most MAX_NODES documents, else the last DEFAULT_SESSIONS
# sessions, each page of lanes (`all:<from>-<to>:<page>`).
MAX_NODES = 120
DEFAULT_SESSIONS = 8


def upgrade() -> None:
    bind = op.get_bind()
    count = bind.execute(sa.text(
        f"SELECT count(*) FROM (SELECT id FROM document LIMIT {MAX_NODES + 1}) AS counted")).scalar()
    lo, hi = bind.execute(sa.text("SELECT min(session), max(session) FROM document")).one()
    if count <= MAX_NODES:  # drawn whole: no range is a default view
        bind.execute(sa.text("DELETE FROM graph_layout WHERE scope LIKE 'all:%'"))
        return
    lo, hi = lo or 1, hi or 1
    usual = f"all:{max(lo, hi - DEFAULT_SESSIONS + 1)}-{hi}:%"
    bind.execute(sa.text("DELETE FROM graph_layout WHERE scope = 'all' OR (scope LIKE 'all:%' AND scope NOT LIKE :usual)"),
                 {"usual": usual})


def downgrade() -> None:
    pass  # drawings are derived: a view dropped is drawn again for its next reader
