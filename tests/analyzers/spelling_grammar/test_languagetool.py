"""The LanguageTool adapter against LanguageTool's documented HTTP JSON.

LanguageTool cannot be installed here (its download is blocked), so a local HTTP server
answers ``/v2/languages`` and ``/v2/check`` with a response in LanguageTool's documented
format (tests/data/languagetool_check_fr.json). The adapter, language_tool_python and the
HTTP exchange are real.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import TEST_DATA

from chatqa.analyzers.base import get_factory
from chatqa.errors import ConfigError

SAMPLE = json.loads((TEST_DATA / "languagetool_check_fr.json").read_text("utf-8"))
LANGUAGES = [{"name": "French", "code": "fr", "longCode": "fr"},
             {"name": "English (US)", "code": "en", "longCode": "en-US"}]


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def _reply(self, payload) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._reply(LANGUAGES if self.path.startswith("/v2/languages") else {})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
        _Handler.requests.append({"path": self.path, **{k: v[0] for k, v in form.items()}})
        if form.get("text", [""])[0] == SAMPLE["text"]:
            self._reply(SAMPLE["response"])
        else:
            self._reply({**SAMPLE["response"], "matches": []})

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def languagetool(server):
    return get_factory("spelling_grammar")("fr", backend="languagetool", remote_server=server)


def test_languagetool_matches_become_findings_with_stable_codes(languagetool, nlp_fr):
    text = SAMPLE["text"]
    findings = languagetool.analyze_message(nlp_fr(text)).findings
    assert [(f.code, f.text, f.suggestion) for f in findings] == [
        ("grammar.conjugation", "est", "ai"),   # JE_VERBE: "VERB" in the rule id
        ("spelling.word", "probleme", "problème"),   # FR_SPELLING_RULE
        ("style.remark", "commande", None),            # category STYLE
    ]   # the match on the placeholder _Name1_ is dropped by the chat layer
    # offsets: LanguageTool counts UTF-16 units (the emoji is 2), chatqa Python characters
    assert all(text[f.start:f.end] == f.text for f in findings)
    assert findings[0].details == {"rule_id": "JE_VERBE", "backend": "languagetool",
                                   "message": findings[0].details["message"],
                                   "suggestions": ["ai", "suis"]}
    # style remarks are shown but not counted as errors
    assert languagetool.analyze_message(nlp_fr(text)).metrics["language_errors"] == 2


def test_languagetool_request_carries_language_and_disabled_rules(languagetool, nlp_fr):
    _Handler.requests.clear()
    languagetool.analyze_message(nlp_fr("Bonjour, je regarde votre dossier."))
    (request,) = [r for r in _Handler.requests if r["path"] == "/v2/check"]
    assert request["language"] == "fr"
    assert "FRENCH_WHITESPACE" in request["disabledRules"].split(",")


def test_languagetool_needs_a_server_and_says_so(server):
    with pytest.raises(ConfigError, match=r"\[E207\]"):
        get_factory("spelling_grammar")("fr", backend="languagetool")
    with pytest.raises(ConfigError, match=r"\[E205\].*did not answer"):
        get_factory("spelling_grammar")("fr", backend="languagetool",
                                        remote_server="http://127.0.0.1:9")


def test_languagetool_code_mapping_by_rule_then_category(languagetool):
    checker = languagetool.checker
    assert checker.code_for("ACCORD_SUJET_VERBE", "GRAMMAR") == "grammar.agreement"
    assert checker.code_for("A_ACCENT_A", "CONFUSED_WORDS") == "grammar.homophone"
    assert checker.code_for("SOME_NEW_RULE", "CASING") == "typography.capital"
    assert checker.code_for("SOME_NEW_RULE", "UNKNOWN") == "grammar.usage"
