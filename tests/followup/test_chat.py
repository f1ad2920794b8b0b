"""Follow-up drafts asked for in the chat (assistant.followup.chat): requests, replies, questions left alone."""

from __future__ import annotations

import pytest

from assistant.followup.chat import is_summary_request, parse_summary_request, summary_reply
from assistant.messages import REFUSAL_PHRASE
from followup.helpers import KNOWN, MELLAN, NATIONAL, SODRA, pipe_tables


@pytest.mark.parametrize(("text", "councils", "keywords", "period", "language"), [
    ("Sammanfatta uppföljningen för Södra", [SODRA], [], "", "sv"),
    ("Gör ett utkast till uppföljning av VFU-aktiviteterna", [], ["VFU"], "", "sv"),
    ("Summarise the follow-up for Södra", [SODRA], [], "", "en"),
    ("Sammanfatta uppföljningen för Södra Q3 2026", [SODRA], [], "Q3 2026", "sv"),
    ("Sammanfatta förenade anställningar för alla råd", KNOWN, ["förenade anställningar"], "", "sv"),
    ("Draft the follow-up of VFU in Mellansverige and the national council for ht -26", [NATIONAL, MELLAN], ["VFU"],
     "ht -26", "en"),
])
def test_summary_requests_are_understood(text, councils, keywords, period, language):
    request = parse_summary_request(text, KNOWN)
    assert request is not None
    assert (request.councils, request.keywords, request.period, request.language) == (councils, keywords, period, language)


@pytest.mark.parametrize("text", ["Vem ansvarar för uppföljningen i Södra?", "När följs VFU upp?", "Vilka aktiviteter har Södra?",
                                  "Who owns VFU work in Södra?"])
def test_questions_are_not_summary_requests(text):
    assert not is_summary_request(text)
    assert parse_summary_request(text, KNOWN) is None


def test_chat_summary_requests(view):
    sodra = summary_reply(view, "Sammanfatta uppföljningen för Södra")
    assert sodra.startswith("# Uppföljning av aktivitetsplaner") and "## RVKR Södra" in sodra
    assert len(pipe_tables(sodra)[0]) == 2 + 8 and "## RVKR Mellansverige" not in sodra
    vfu = summary_reply(view, "Gör ett utkast till uppföljning av VFU-aktiviteterna")
    assert "## Översikt: VFU" in vfu and [len(t) - 2 for t in pipe_tables(vfu)] == [6, 2, 2, 2]
    english = summary_reply(view, "Summarise the follow-up for Södra")
    assert english.startswith("Draft follow-up report") and "## RVKR Södra" in english
    assert summary_reply(view, "Vem ansvarar för VFU i Södra?") is None
    assert summary_reply(view, "Sammanfatta rådets uppdrag") is None   # no activities: left to question answering
    assert REFUSAL_PHRASE in summary_reply(view, "Sammanfatta uppföljningen för Norra")
    assert REFUSAL_PHRASE in summary_reply(view, "Gör ett utkast till uppföljning av drönaraktiviteterna")
