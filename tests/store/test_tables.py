"""store.tables: the one way to reach a model's table."""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel

from store import models as m
from store import tables as t


def test_table_of_returns_the_models_table() -> None:
    assert t.table_of(m.Patient) is t.patient
    assert t.table_of(m.ProviderShift) is t.provider_shift
    assert t.table_of(m.AuditEvent).name == "auditevent"


def test_table_of_refuses_a_model_without_a_table() -> None:
    class Plain(SQLModel):
        value: int

    with pytest.raises(TypeError, match="Plain is not a table model"):
        t.table_of(Plain)
