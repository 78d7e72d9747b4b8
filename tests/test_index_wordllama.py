"""Our WordLlama loader (indexer.encoding.wordllama_model) must give WordLlama's own vectors.

The runtime path never imports the ``wordllama`` package (start-up time); this test does, to compare.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "runbooks").rglob("*.md"))]
    texts += ["checkout p99 latency is high", "CheckoutHighLatency", "oom", "", "   ", "émoji ✅ ünïcode — dash",
              "▁literal▁marks", "x" * 3000, "| vm-01 | web | prod |\n" * 800, "kubectl -n data exec postgresql-0 -- psql -c 'select 1'"]
    assert len(texts) > 20
    return texts


@pytest.mark.parametrize("dim", [256, 128, 64])
def test_vectors_equal_wordllamas_own(dim):
    import wordllama
    from wordllama import WordLlama

    from rbh.indexer.encoding.wordllama_model import _MODELS, load_wordllama

    _MODELS.clear()  # the speedup's pre-tokenizer is part of what is compared, so load both fresh
    ours = load_wordllama("wordllama", dim)
    pkg = Path(wordllama.__file__).parent
    theirs = WordLlama.load(config="l2_supercat", dim=256, trunc_dim=dim if dim < 256 else None, cache_dir=pkg,
                            disable_download=True)
    texts = _texts()
    for batch_size in (1, 7, 64):
        a = ours.embed(texts, norm=True, batch_size=batch_size)
        b = theirs.embed(texts, norm=True, batch_size=batch_size)
        assert a.shape == b.shape == (len(texts), dim) and a.dtype == np.float32
        # NaN where a text has no tokens: WordLlama divides 0 by 0 too
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, equal_nan=True)


def test_unshipped_dimension_is_a_config_error():
    from rbh.indexer.encoding.wordllama_model import load_wordllama
    from rbh.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cannot load WordLlama 'l2_supercat' with dim 512 .*at most 256"):
        load_wordllama("wordllama", 512)
    with pytest.raises(ConfigError, match="dim 100"):
        load_wordllama("wordllama", 100)
    with pytest.raises(ConfigError, match="cannot load WordLlama 'nosuch'"):
        load_wordllama("wordllama:nosuch", 256)


def test_query_path_does_not_import_the_wordllama_package():
    code = ("import sys; from indexer.encoding.wordllama_model import load_wordllama; "
            "v = load_wordllama('wordllama', 256).embed(['disk full'])[0]; "
            "assert abs(float((v * v).sum()) - 1) < 1e-5; "
            "print(sorted(m for m in sys.modules if m == 'wordllama' or m.startswith(('wordllama.', 'requests', 'haystack'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"
