"""Issue 5's acceptance on real data: the OpenShift staleness ground truth (skipped when the shared
bench data is absent). The data is read in place; the scoring lives in bench/staleness_openshift.py."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import PROJECT_ROOT, SHARED_DATA

DATA = SHARED_DATA / "openshift"
pytestmark = pytest.mark.skipif(not (DATA / "staleness.json").is_file(), reason="shared OpenShift bench data not present")


def _bench():
    spec = importlib.util.spec_from_file_location("staleness_openshift", PROJECT_ROOT / "bench" / "staleness_openshift.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_runbooks_and_absent_alerts_at_full_precision_and_recall():
    got = _bench().evaluate(DATA)
    for cls in ("i", "ii"):
        assert (got[cls]["precision"], got[cls]["recall"]) == (1.0, 1.0), (cls, got[cls])
    assert got["i"]["tp"] == 8 and got["ii"]["tp"] == 4
    assert got["result"].notices == []
