"""A draft is personal data: the engine logs nothing and keeps nothing."""

from __future__ import annotations

import gc
import logging


def test_review_logs_nothing(engine, bakery, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Project Zuurdesem gaat door, zeg het niet door aan Jan de Vries 06-12345678"
    engine.review(secret, profile=bakery)
    assert caplog.records == []


def test_engine_keeps_no_draft(engine, bakery):
    marker = "Uniek-concept-7f3a9c zegt dat Project Zuurdesem doorgaat"
    engine.review(marker, profile=bakery)
    gc.collect()
    held = [o for o in gc.get_referrers(marker) if o is not globals()]
    assert all(
        not isinstance(o, dict) or "Uniek-concept-7f3a9c" not in str(o.values())
        for o in held
        if o is not engine.__dict__
    )
    assert "Uniek-concept" not in repr(engine.__dict__)
