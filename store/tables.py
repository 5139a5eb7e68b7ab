"""SQLAlchemy Core `Table` objects of the store models, for typed aggregate queries.

Metric code groups and sums in SQL; `select(t.sale.c.local_date, func.sum(t.sale.c.net_cents))`
type-checks cleanly where the SQLModel class attributes (typed as plain Python values) do not.
Code that holds a model class and needs its table calls `table_of(Model)`: this module is the
one way to reach a table (never `Model.__table__  # type: ignore`).
"""

from __future__ import annotations

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def table_of(model: type[SQLModel]) -> Table:
    """The `Table` a table model is mapped to (`table_of(Patient) is patient`)."""
    mapper = inspect(model, raiseerr=False)  # None for a SQLModel without table=True
    table = mapper.local_table if mapper is not None else None
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


organization = _table("organization")
location = _table("location")
provider = _table("provider")
compensation = _table("compensation")
patient = _table("patient")
service = _table("service")
appointment = _table("appointment")
sale = _table("sale")
provider_shift = _table("providershift")
membership = _table("membership")
marketing_spend = _table("marketingspend")
lead = _table("lead")
finding = _table("finding")
briefing = _table("briefing")
briefing_delivery = _table("briefingdelivery")
at_risk_snapshot = _table("atrisksnapshot")
forecast_snapshot = _table("forecastsnapshot")
subscription = _table("subscription")
outreach_message = _table("outreachmessage")
outreach_policy = _table("outreachpolicy")
consent_event = _table("consentevent")
audit_event = _table("auditevent")
llm_call = _table("llmcall")
ingest_run = _table("ingestrun")
rejected_row = _table("rejectedrow")
external_link = _table("externallink")
user = _table("user")
user_location = _table("userlocation")
api_token = _table("apitoken")
