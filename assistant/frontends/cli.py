"""Command line: ``assistant ingest | ask | chat | summary | followup | feedback | users | documents | eval | prepare-model | serve``.

Exit codes: 0 ok, 2 invalid input (empty/too long question, unreadable batch file),
3 index missing or damaged, 4 embedding model missing, 5 another ingest is running, 6 the index could not
be written or read (a read-only index folder, a full disk, a file-system or Chroma error), 1 other errors.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import getpass
import io
import json
import os
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

from assistant.db import ROLES, STATUSES, DatabaseError, DatabaseValidationError
from assistant.embedding import EmbeddingError
from assistant.followup import (
    DATE_FIELDS,
    FollowupError,
    SummaryError,
    build_annual_report,
    build_summary,
    render_csv,
    render_markdown,
    render_overview_markdown,
    render_report_markdown,
    resolve_councils,
    write_csv,
    write_docx,
    write_report_docx,
)
from assistant.followup.tracking import default_user, entries_csv, entry_dict
from assistant.ingest.catalog import CatalogError, DocumentRejected, UnknownDocumentError
from assistant.messages import PROVENANCE_NOTES
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, get_settings
from assistant.store.errors import IndexDamaged, IndexNotFound, IndexStorageError, IngestBusy

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INDEX, EXIT_MODEL, EXIT_BUSY = 0, 1, 2, 3, 4, 5
EXIT_STORAGE = 6  # the index folder or the vector store could not be written or read (IndexStorageError)

# argparse's own texts in Swedish (it looks them up through gettext; these are its message ids)
ARGPARSE_SWEDISH = {
    "usage: ": "användning: ",
    "options": "flaggor",
    "positional arguments": "argument",
    "show this help message and exit": "visa den här hjälptexten och avsluta",
    "the following arguments are required: %s": "följande argument krävs: %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ogiltigt val: %(value)r (välj bland %(choices)s)",
    "expected one argument": "ett värde krävs",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "tvetydig flagga: %(option)s kan vara %(matches)s",
    "invalid %(type)s value: %(value)r": "ogiltigt värde (%(type)s): %(value)r",
}
argparse._ = lambda text: ARGPARSE_SWEDISH.get(text, text)  # type: ignore[attr-defined]


def _print_progress(fraction: float, message: str) -> None:
    bar = "#" * int(fraction * 30)
    print(f"\r[{bar:<30}] {fraction * 100:5.1f}%  {message[:60]:<60}", end="", file=sys.stderr, flush=True)
    if fraction >= 1.0:
        print(file=sys.stderr)


def format_report(report) -> str:
    lines = [report.repaired] if getattr(report, "repaired", "") else []
    if report.kept_previous:
        lines.append("Inga dokument kunde indexeras – det tidigare indexet behålls oförändrat.")
    elif report.unchanged:
        lines.append(f"Indexet är redan aktuellt ({report.documents} dokument, {report.chunks} textavsnitt). Inget byggdes om.")
    else:
        kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(report.chunks_by_kind.items()))
        lines.append(f"Indexerade {report.documents} dokument, {report.chunks} textavsnitt ({kinds}).")
        lines.append(f"Nya embeddings: {report.embedded}, återanvända: {report.reused}.")
        if report.units_embedded:
            lines.append(f"Nya embeddings för meningar (evidens): {report.units_embedded}.")
        for label, names in (("Tillagda", report.added), ("Ändrade", report.changed), ("Borttagna", report.removed)):
            if names:
                lines.append(f"{label}: {', '.join(names)}")
    for name, reason in report.skipped:
        lines.append(f"Hoppade över {name}: {reason}")
    lines.append(f"Tid: {report.seconds:.1f} s")
    return "\n".join(lines)


def format_answer(answer, unreviewed: frozenset[str] | set[str] = frozenset()) -> str:
    """An answer with its sources; a source in ``unreviewed`` (uploads nobody has reviewed) gets a note."""
    out = [answer.answer]
    if answer.citations:
        out.append("\nKällor:" if answer.language == "sv" else "\nSources:")
        note = PROVENANCE_NOTES["unreviewed"].get(answer.language, PROVENANCE_NOTES["unreviewed"]["sv"])
        for c in answer.citations:
            flag = f" ({note})" if c.source in unreviewed else ""
            out.append(f"[{c.n}] {c.title}{flag} ({c.source}, rad {c.lines[0]}–{c.lines[1]}; {c.section or '–'})")
            out.append(f"    ”{c.quote}”")
    elif answer.closest:
        out.append("\nNärmaste avsnitt som granskades:" if answer.language == "sv" else "\nClosest passages looked at:")
        for c in answer.closest:
            out.append(f"- {c.title} ({c.source}, rad {c.lines[0]}–{c.lines[1]}): ”{c.quote[:160]}”")
    return "\n".join(out)


def _answer_json(answer, qid=None) -> dict:
    data = answer.to_dict()
    return {"id": qid, "question": data["question"], "answer": data["answer"], "abstained": data["abstained"],
            "citations": [{k: c[k] for k in ("n", "source", "title", "section", "lines", "quote")} for c in data["citations"]],
            "timings_ms": data["timings_ms"], "invalid": data["invalid"]}


def cmd_ingest(args) -> int:

    report = Assistant().ingest(rebuild=args.rebuild, progress=None if args.quiet else _print_progress)
    print(format_report(report))
    return EXIT_OK


def cmd_ask(args) -> int:

    assistant = Assistant()
    if args.batch:
        try:
            rows = [json.loads(line) for line in Path(args.batch).read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, ValueError) as exc:
            print(f"Kunde inte läsa {args.batch}: {exc}", file=sys.stderr)
            return EXIT_INVALID
        for row in rows:
            if not isinstance(row, dict) or "question" not in row:
                print(json.dumps({"id": row.get("id") if isinstance(row, dict) else None, "error": "saknar 'question'"},
                                 ensure_ascii=False))
                continue
            answer = assistant.ask(str(row["question"]), history=row.get("history"))
            print(json.dumps(_answer_json(answer, row.get("id")), ensure_ascii=False), flush=True)
        return EXIT_OK
    question = " ".join(args.question)
    councils = None
    if args.council:
        try:  # as users write them: "Södra", "sodra", "RVKR Södra", "nationella"
            councils = resolve_councils(args.council, assistant.index.councils())
        except SummaryError as exc:
            print(f"Fel: {exc}", file=sys.stderr)
            return EXIT_INVALID
    reply = assistant.respond(question, councils=councils)
    if reply.kind == "summary":  # "Sammanfatta uppföljningen för Södra": the draft
        print(json.dumps({"answer": reply.markdown, "summary": True}, ensure_ascii=False) if args.json else reply.markdown)
        return EXIT_OK
    answer = reply.answer
    if args.json:
        print(json.dumps(_answer_json(answer), ensure_ascii=False))
    else:
        print(format_answer(answer, assistant.unreviewed_sources()))
    return EXIT_INVALID if answer.invalid else EXIT_OK



CHAT_HELP = """Skriv en fråga om rådens planer, t.ex. "Vem ansvarar för VFU-arbetet i Södra?".
Följdfrågor fungerar: "Och i Mellansverige?", "När ska det ske?".
"Sammanfatta uppföljningen för Södra" ger ett utkast till uppföljning.
ny – börja en ny konversation · hjälp – den här texten · tom rad eller Ctrl-D – avsluta"""


def cmd_chat(args) -> int:

    assistant, history = Assistant(), []
    print("Vårdkompetens-assistenten. Skriv en fråga (tom rad eller Ctrl-D avslutar, 'ny' börjar om).")
    while True:
        try:
            question = input("\nFråga> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return EXIT_OK
        if not question:
            return EXIT_OK
        if question.lower() in {"ny", "new"}:
            history = []
            print("Ny konversation.")
            continue
        if question.lower().strip("/?") in {"hjälp", "hjalp", "help", "h"}:
            print(CHAT_HELP)
            continue
        reply = assistant.respond(question, history=history)
        if reply.kind == "summary":  # a follow-up draft; kept out of the history
            print(reply.markdown)
            continue
        answer = reply.answer
        print(format_answer(answer, assistant.unreviewed_sources()))
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]


def cmd_summary(args) -> int:
    assistant = Assistant()  # its summary() adds the database's record ids and statuses when one is in use
    return summary_command(assistant.index, args, build=assistant.summary)


def summary_command(index, args: argparse.Namespace, stdout=None, build=None) -> int:
    """Run ``assistant summary``: 0 when written, 2 for an unknown council or unreadable period.

    ``build``: what makes the draft from the filters (default ``build_summary`` over ``index``)."""
    stdout = stdout or sys.stdout
    build = build or (lambda **filters: build_summary(index, **filters))
    try:
        summary = build(councils=args.council or None, period=args.period, keyword=args.keyword or None,
                        focus_area=args.focus_area, date_field=args.date_field)
    except SummaryError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    fmt = output_format(args.format, args.out)
    if args.out:
        Path(args.out).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if args.overview:
        text = render_overview_markdown(summary) + "\n" if summary.rows else "Inga aktiviteter i planerna matchar urvalet.\n"
        _emit(text, args.out, stdout)
    elif fmt == "docx":
        path = write_docx(summary, args.out or "uppfoljning-utkast.docx", author=get_settings().document_author)
        print(f"Skrev {path} ({len(summary.rows)} aktiviteter, {len(summary.sections)} råd).", file=stdout)
    elif fmt == "csv":
        if args.out:
            path = write_csv(summary, args.out, args.delimiter)
            print(f"Skrev {path} ({len(summary.rows)} aktiviteter).", file=stdout)
        else:
            stdout.write(render_csv(summary, args.delimiter))
    else:
        _emit(render_markdown(summary), args.out, stdout)
    return 0


def output_format(given: str | None, out: str | None) -> str:
    """The format asked for, else the output file's extension (.docx, .csv, .md), else Markdown."""
    if given:
        return given
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    return {"docx": "docx", "csv": "csv", "md": "md", "markdown": "md", "txt": "md"}.get(suffix, "md")


def _emit(text: str, out: str | None, stdout) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Skrev {out}.", file=stdout)
    else:
        stdout.write(text)


# ====================================================================== assistant followup …
def cmd_followup(args) -> int:
    return followup_command(Assistant(), args)


def followup_command(assistant, args: argparse.Namespace, stdout=None) -> int:
    """Run ``assistant followup <action>``: 0 ok, 2 invalid input (unknown id, status, council, date,
    unreadable CSV), 1 when the database cannot be opened."""
    stdout = stdout or sys.stdout
    try:
        return _FOLLOWUP_ACTIONS[args.action](assistant.followup, args, stdout)
    except (FollowupError, SummaryError, DatabaseValidationError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except DatabaseError as exc:
        print(f"Fel: databasen kunde inte användas: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _date_argument(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FollowupError(f"Ogiltigt datum ”{text}”. Skriv datumet som ÅÅÅÅ-MM-DD, t.ex. 2027-01-15.") from None


def _print_json(data, stdout) -> None:
    stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _latest_line(entry) -> str:
    parts = [f"{entry.entry_date.isoformat()}, {entry.recorded_by}"]
    parts += [f"kommentar: {entry.comment}"] if entry.comment else []
    parts += [f"underlag: {entry.evidence}"] if entry.evidence else []
    return "; ".join(parts)


def _print_status_rows(rows, stdout, due: bool = False) -> None:
    for row in rows:
        status = row.status or "ingen uppföljning än"
        print(f"{row.record_id}  [{status}]  {row.council}: {_short(row.activity)}", file=stdout)
        facts = [f"tidplan: {row.timeline or '–'}", f"uppföljning: {row.follow_up or '–'}", f"ansvarig: {row.owner or '–'}"]
        if due:
            facts.insert(0, f"{row.due_because} slutade {row.due_date.isoformat()}")
        print("    " + "; ".join(facts), file=stdout)
        if row.latest is not None:
            print(f"    senast: {_latest_line(row.latest)}", file=stdout)


def _followup_list(tracker, args, stdout) -> int:
    rows = tracker.list_status(council=args.council or None, period=args.period, status=args.status,
                               focus_area=args.focus_area)
    if args.json:
        _print_json([row.to_dict() for row in rows], stdout)
    elif rows:
        _print_status_rows(rows, stdout)
        print(f"{len(rows)} aktiviteter.", file=stdout)
    else:
        print("Inga aktiviteter matchar urvalet.", file=stdout)
    return EXIT_OK


def _followup_set(tracker, args, stdout) -> int:
    entry = tracker.set_status(args.record_id, args.status, comment=args.comment or "", evidence=args.evidence or "",
                               entry_date=_date_argument(args.date))
    record = tracker.record(entry.record_id)
    print(f"Registrerade ”{entry.status}” för {entry.record_id} ({record.council}: {_short(record.activity, 70)}), "
          f"{entry.entry_date.isoformat()}, av {entry.recorded_by}.", file=stdout)
    return EXIT_OK


def _followup_history(tracker, args, stdout) -> int:
    record = tracker.record(args.record_id)
    entries = tracker.history(record.record_id)
    if args.json:
        _print_json({"record_id": record.record_id, "council": record.council, "activity": record.activity,
                     "source": record.source, "in_plan": record.in_plan,
                     "entries": [entry_dict(entry) for entry in entries]}, stdout)
        return EXIT_OK
    print(f"{record.record_id}  {record.council}: {record.activity}"
          + ("" if record.in_plan else "  (finns inte längre i planen)"), file=stdout)
    if not entries:
        print("Ingen uppföljning registrerad än.", file=stdout)
    for entry in entries:
        print(f"  {entry.entry_date.isoformat()}  {entry.status:<12} {entry.recorded_by}"
              + (f" – {entry.comment}" if entry.comment else "") + (f" (underlag: {entry.evidence})" if entry.evidence else ""),
              file=stdout)
    return EXIT_OK


def _followup_due(tracker, args, stdout) -> int:
    on = _date_argument(args.date) or date.today()
    rows = tracker.due(on, council=args.council or None)
    if args.json:
        _print_json([row.to_dict() for row in rows], stdout)
    elif rows:
        print(f"Förfallna aktiviteter den {on.isoformat()} (tidplan eller uppföljningsdatum passerad, inte Klar/Struken):",
              file=stdout)
        _print_status_rows(rows, stdout, due=True)
        print(f"{len(rows)} aktiviteter.", file=stdout)
    else:
        print(f"Inga förfallna aktiviteter den {on.isoformat()}.", file=stdout)
    return EXIT_OK


def _followup_import(tracker, args, stdout) -> int:
    result = tracker.import_csv(args.file, dry_run=not args.apply)
    for change in result.changes:
        old = f"”{change.old_status}”" if change.old_status else "(ingen status)"
        comment = f" – {change.comment}" if change.comment and change.comment != change.old_comment else ""
        print(f"Rad {change.line}: {change.record_id} ({change.council}: {_short(change.activity, 60)}) "
              f"{old} → ”{change.new_status}”{comment}", file=stdout)
    counts = f"{len(result.changes)} ändringar, {result.unchanged} oförändrade, {result.empty} tomma rader"
    if not result.changes:
        print(f"Inga ändringar att registrera ({counts}).", file=stdout)
    elif result.applied:
        print(f"Registrerade {len(result.entries)} uppföljningar ({counts}).", file=stdout)
    else:
        print(f"Torrkörning: inget har sparats ({counts}). Kör igen med --apply för att registrera ändringarna.",
              file=stdout)
    return EXIT_OK


def _followup_export(tracker, args, stdout) -> int:
    rows = tracker.export_entries()
    if args.format == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        text = entries_csv(rows, args.delimiter)
    if args.out:
        # CSV with a BOM, like the draft, so Excel reads å, ä, ö
        Path(args.out).write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8", newline="")
        print(f"Skrev {args.out} ({len(rows)} uppföljningar).", file=stdout)
    else:
        stdout.write(text)
    return EXIT_OK


def _followup_report(tracker, args, stdout) -> int:
    on = _date_argument(args.date) or date.today()
    report = build_annual_report(tracker, councils=args.council or None, period=args.period, on=on)
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() == ".docx":
        out.parent.mkdir(parents=True, exist_ok=True)
        write_report_docx(report, out, author=get_settings().document_author)
        print(f"Skrev {out} ({len(report.rows)} aktiviteter).", file=stdout)
        return EXIT_OK
    text = render_report_markdown(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"Skrev {out} ({len(report.rows)} aktiviteter).", file=stdout)
    else:
        stdout.write(text)
    return EXIT_OK


_FOLLOWUP_ACTIONS = {"list": _followup_list, "set": _followup_set, "history": _followup_history, "due": _followup_due,
                     "import": _followup_import, "export": _followup_export, "report": _followup_report}


def add_followup_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The actions of ``assistant followup``."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ÅTGÄRD")
    statuses = ", ".join(STATUSES)
    council_help = "råd: Södra, Mellansverige, nationella, 'alla' (kan upprepas eller kommasepareras)"

    p = actions.add_parser("list", help="aktiviteterna med senaste status")
    p.add_argument("--council", "--rad", action="append", dest="council", metavar="RÅD", help=council_help)
    p.add_argument("--period", help="bara aktiviteter med tidplan eller uppföljningsdatum i perioden, t.ex. 'Q3 2026'")
    p.add_argument("--status", help=f"bara aktiviteter med denna senaste status ({statuses}); "
                                    "”Ej påbörjad” tar även med aktiviteter utan uppföljning")
    p.add_argument("--focus-area", help="bara aktiviteter vars fokusområde matchar")
    p.add_argument("--json", action="store_true", help="skriv raderna som JSON (id och senaste uppföljning per aktivitet)")

    p = actions.add_parser("set", help="registrera en status för en aktivitet")
    p.add_argument("record_id", metavar="ID", help="aktivitetens id (se 'assistant followup list')")
    p.add_argument("--status", required=True, help=f"en av: {statuses}")
    p.add_argument("--comment", "--kommentar", dest="comment", help="kommentar")
    p.add_argument("--evidence", "--underlag", dest="evidence", help="underlag: fritext eller länk")
    p.add_argument("--date", "--datum", dest="date", metavar="ÅÅÅÅ-MM-DD", help="datumet statusen gäller (standard: i dag)")

    p = actions.add_parser("history", help="alla registrerade statusar för en aktivitet")
    p.add_argument("record_id", metavar="ID", help="aktivitetens id")
    p.add_argument("--json", action="store_true", help="skriv historiken som JSON")

    p = actions.add_parser("due", help="förfallna aktiviteter: tidplan eller uppföljningsdatum passerad, inte Klar/Struken")
    p.add_argument("--council", "--rad", action="append", dest="council", metavar="RÅD", help=council_help)
    p.add_argument("--date", "--datum", dest="date", metavar="ÅÅÅÅ-MM-DD", help="per detta datum (standard: i dag)")
    p.add_argument("--json", action="store_true", help="skriv raderna som JSON")

    p = actions.add_parser("import", help="läs in en ifylld CSV från 'assistant summary --format csv' (torrkörning)")
    p.add_argument("file", metavar="FIL.csv", help="CSV med kolumnerna Id, Status och Kommentar (',' eller ';')")
    p.add_argument("--apply", action="store_true", help="registrera ändringarna (utan flaggan visas de bara)")

    p = actions.add_parser("report", help="årsrapport per råd: statusöversikt, tabell, förfallna (Markdown eller DOCX)",
                           description="Exempel: assistant followup report --council Södra -o rapport/sodra-2026.docx")
    p.add_argument("--council", "--rad", action="append", dest="council", metavar="RÅD", help=council_help)
    p.add_argument("--period", help="bara aktiviteter med tidplan eller uppföljningsdatum i perioden, t.ex. '2026'")
    p.add_argument("--date", "--datum", dest="date", metavar="ÅÅÅÅ-MM-DD", help="rapportdatum för förfallna (standard: i dag)")
    p.add_argument("-o", "--out", help="fil att skriva till; .docx ger Word (A4 liggande, med diagram), annars Markdown")

    p = actions.add_parser("export", help="exportera alla registrerade uppföljningar")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (standard) eller json")
    p.add_argument("-o", "--out", help="fil att skriva till (standard: skärmen)")
    p.add_argument("--delimiter", default=",", help="fältavgränsare för csv (t.ex. ';' för svenskt Excel)")
    return parser


# ====================================================================== assistant feedback …
FEEDBACK_COLUMNS: list[tuple[str, str]] = [
    ("id", "Id"), ("rating", "Betyg"), ("comment", "Kommentar"), ("question", "Fråga"), ("answer", "Svar"),
    ("citations", "Källor"), ("build_id", "Indexbygge"), ("owner", "Användare"),
    ("conversation_id", "Konversation"), ("created_at", "Given"), ("updated_at", "Ändrad"),
]
RATING_LABELS = {"up": "tumme upp", "down": "tumme ned"}


def cmd_feedback(args) -> int:
    return feedback_command(Assistant(), args)


def feedback_command(assistant, args: argparse.Namespace, stdout=None) -> int:
    """Run ``assistant feedback export``: 0 ok, 1 when the database cannot be opened."""
    stdout = stdout or sys.stdout
    try:
        rows = [feedback.to_dict() for feedback in assistant.repository.all_feedback()]
    except DatabaseError as exc:
        print(f"Fel: databasen kunde inte användas: {exc}", file=sys.stderr)
        return EXIT_ERROR
    fmt = args.format or {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}.get(
        Path(args.out).suffix.lower() if args.out else "", "csv")
    text = feedback_jsonl(rows) if fmt == "jsonl" else feedback_csv(rows, args.delimiter)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        # CSV with a BOM, like the other CSVs, so Excel reads å, ä, ö
        out.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
        print(f"Skrev {args.out} ({len(rows)} betyg).", file=stdout)
    else:
        stdout.write(text)
    return EXIT_OK


def _citations_cell(citations: list[dict]) -> str:
    parts = []
    for citation in citations or []:
        lines = citation.get("lines") or []
        span = ""
        if len(lines) == 2:
            span = f", rad {lines[0]}" if lines[0] == lines[1] else f", rad {lines[0]}–{lines[1]}"
        head = f"[{citation.get('n', '')}] {citation.get('title') or citation.get('source', '')}{span}"
        parts.append(f"{head}: ”{citation['quote']}”" if citation.get("quote") else head)
    return "\n".join(parts)


def feedback_csv(rows: list[dict], delimiter: str = ";") -> str:
    """Feedback as CSV with Swedish headers (the sources one per line in their cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([header for _, header in FEEDBACK_COLUMNS])
    for row in rows:
        cells = []
        for name, _ in FEEDBACK_COLUMNS:
            value = row.get(name)
            if name == "citations":
                value = _citations_cell(value)
            elif name == "rating":
                value = RATING_LABELS.get(value, value)
            cells.append("" if value is None else str(value))
        writer.writerow(cells)
    return buffer.getvalue()


def feedback_jsonl(rows: list[dict]) -> str:
    """Feedback as JSON Lines (one object per line; ``rating`` is "up" or "down")."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def add_feedback_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ÅTGÄRD")
    p = actions.add_parser("export", help="exportera betygen (tumme upp/ned) med fråga, svar, källor och indexbygge",
                           description="Exempel: assistant feedback export -o betyg.csv  |  "
                                       "assistant feedback export -o betyg.jsonl")
    p.add_argument("-o", "--out", help="fil att skriva till; mappar skapas (standard: skärmen)")
    p.add_argument("--format", choices=("csv", "jsonl"), default=None,
                   help="csv eller jsonl (standard: efter filändelsen i --out, annars csv)")
    p.add_argument("--delimiter", default=";", help="fältavgränsare för csv (standard ';' för svenskt Excel)")
    return parser


# ====================================================================== assistant users …
def cmd_users(args) -> int:
    return users_command(Assistant(), args)


def users_command(assistant, args: argparse.Namespace, stdout=None, stdin=None) -> int:
    """Run ``assistant users add|remove|list|role``: 0 ok, 2 invalid input (name taken or unknown, bad role,
    short password, the last administrator), 1 when the database cannot be opened."""
    stdout, stdin = stdout or sys.stdout, stdin or sys.stdin
    try:
        return _USERS_ACTIONS[args.action](assistant.repository, args, stdout, stdin)
    except DatabaseValidationError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except DatabaseError as exc:
        print(f"Fel: databasen kunde inte användas: {exc}", file=sys.stderr)
        return EXIT_ERROR


ROLE_LABELS = {"reader": "läsare", "editor": "redaktör", "admin": "administratör"}


def _read_password(args, stdin) -> str | None:
    """The new password: the first line of stdin (--password-stdin), else asked twice on the terminal."""
    if args.password_stdin:
        line = stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        print("Fel: ingen terminal att fråga efter lösenordet i. Skicka det på standard in med --password-stdin.",
              file=sys.stderr)
        return None
    first = getpass.getpass(f"Lösenord för {args.name}: ")
    if getpass.getpass("Upprepa lösenordet: ") != first:
        print("Fel: lösenorden var inte lika. Ingen användare skapades.", file=sys.stderr)
        return None
    return first


def _users_add(repository, args, stdout, stdin) -> int:
    password = _read_password(args, stdin)
    if password is None:
        return EXIT_INVALID
    user = repository.add_user(args.name, password, args.role)
    print(f"Användaren {user.username} lades till med rollen {user.role} ({ROLE_LABELS.get(user.role, user.role)}). "
          "Starta om webbappen om det är den första användaren: då krävs inloggning.", file=stdout)
    return EXIT_OK


def _users_remove(repository, args, stdout, stdin) -> int:
    user = repository.get_user(args.name)
    if user is None:
        print(f"Fel: det finns ingen användare som heter {args.name!r}.", file=sys.stderr)
        return EXIT_INVALID
    repository.remove_user(user.username)
    print(f"Användaren {user.username} togs bort. Uppföljningar hen har registrerat finns kvar under namnet.",
          file=stdout)
    return EXIT_OK


def _users_role(repository, args, stdout, stdin) -> int:
    user = repository.set_role(args.name, args.role)
    print(f"{user.username} har nu rollen {user.role} ({ROLE_LABELS.get(user.role, user.role)}).", file=stdout)
    return EXIT_OK


def _users_list(repository, args, stdout, stdin) -> int:
    users = repository.list_users()
    if args.json:
        _print_json([{"username": u.username, "role": u.role, "disabled": u.disabled,
                      "created_at": u.created_at.isoformat()} for u in users], stdout)
    elif not users:
        print("Inga användare. Webbappen kräver då ingen inloggning (eller den gemensamma inloggningen "
              "auth_user), och dokumenten ändras bara från kommandoraden. Lägg till en med "
              "”assistant users add NAMN --role editor”.", file=stdout)
    else:
        for user in users:
            state = " (avstängd)" if user.disabled else ""
            print(f"{user.username:<24} {user.role:<7} {ROLE_LABELS.get(user.role, user.role)}{state}, "
                  f"skapad {user.created_at.date().isoformat()}", file=stdout)
        print(f"{len(users)} användare.", file=stdout)
    return EXIT_OK


_USERS_ACTIONS = {"add": _users_add, "remove": _users_remove, "list": _users_list, "role": _users_role}


def add_users_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The actions of ``assistant users``."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ÅTGÄRD")
    roles = "reader (läsa), editor (läsa och ändra dokumenten och uppföljningen), admin (som editor)"
    p = actions.add_parser("add", help="lägg till en användare (lösenordet frågas efter, eller --password-stdin)")
    p.add_argument("name", metavar="NAMN", help="användarnamnet (skiftläget spelar ingen roll vid inloggning)")
    p.add_argument("--role", choices=ROLES, default="reader", help=f"roll: {roles}; standard reader")
    p.add_argument("--password-stdin", action="store_true", help="läs lösenordet från första raden på standard in")
    p = actions.add_parser("remove", help="ta bort en användare")
    p.add_argument("name", metavar="NAMN")
    p = actions.add_parser("role", help="ändra en användares roll")
    p.add_argument("name", metavar="NAMN")
    p.add_argument("role", choices=ROLES, metavar="ROLL", help=roles)
    p = actions.add_parser("list", help="lista användarna och deras roller")
    p.add_argument("--json", action="store_true", help="skriv listan som JSON")
    return parser


# ====================================================================== assistant documents …
def cmd_documents(args) -> int:
    return documents_command(Assistant(), args)


def documents_command(assistant, args: argparse.Namespace, stdout=None) -> int:
    """Run ``assistant documents list|add|remove|replace|set|review``: 0 ok, 2 invalid input (unknown
    document, file type, unreadable file), 1 when the catalog cannot be written; index and model errors
    as for ``ingest`` (3, 4, 5). Changes from the command line need no role: whoever runs it has the files."""
    stdout = stdout or sys.stdout
    try:
        return _DOCUMENT_ACTIONS[args.action](assistant, args, stdout)
    except (UnknownDocumentError, DocumentRejected, FileExistsError, ValueError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (CatalogError, OSError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _metadata_arguments(args) -> dict:
    return {"title": args.title, "council": args.council, "doc_type": args.doc_type, "period": args.period}


def _document_line(entry: dict) -> str:
    state = "granskad" if entry["reviewed"] else "OGRANSKAD"
    chunks = f"{entry['chunks']} textavsnitt" if entry["indexed"] else "inte indexerat"
    facts = " · ".join(part for part in (entry["council"] or "okänt råd", entry["doc_type"], entry["period"], chunks)
                       if part)
    added = ", ".join(part for part in (entry["added_by"], entry["added_at"][:10]) if part)
    lines = [f"{entry['source']}  [{state}]  {facts}", f"    {entry['title'] or '–'}"]
    if added:
        lines.append(f"    tillagd av {added}" + (f"; granskad av {entry['reviewed_by']}" if entry["reviewed_by"] else ""))
    return "\n".join(lines)


def _documents_list(assistant, args, stdout) -> int:
    entries = assistant.document_entries()
    if args.json:
        _print_json(entries, stdout)
    elif not entries:
        print("Inga dokument i corpus/.", file=stdout)
    else:
        for entry in entries:
            print(_document_line(entry), file=stdout)
        unreviewed = sum(1 for entry in entries if not entry["reviewed"])
        print(f"{len(entries)} dokument, varav {unreviewed} ogranskade.", file=stdout)
    return EXIT_OK


def format_document_report(report: dict, verb: str) -> str:
    kinds = ", ".join(f"{kind}: {count}" for kind, count in report["chunks_by_kind"].items())
    lines = [f"{report['source']} {verb}: {report['chunks']} textavsnitt ({kinds}), {report['records']} aktivitetsposter.",
             f"Titel: {report['title'] or '–'} · Råd: {report['council'] or 'inget utläst'} · "
             f"Typ: {report['doc_type'] or '–'} · Period: {report['period'] or '–'}"]
    lines += [f"Varning: {text}" for text in report["warnings"]]
    if not report["reviewed"]:
        lines.append(f"Dokumentet är ogranskat; granska det med ”assistant documents review {report['source']}”.")
    return "\n".join(lines)


def _cli_progress(args):
    return None if getattr(args, "quiet", False) else _print_progress


def _documents_add(assistant, args, stdout) -> int:
    report = assistant.upload_document(Path(args.file).expanduser(), metadata=_metadata_arguments(args),
                                       added_by=default_user(assistant.settings), progress=_cli_progress(args))
    print(format_document_report(report, "lades till"), file=stdout)
    return EXIT_OK


def _documents_remove(assistant, args, stdout) -> int:
    name = assistant.corpus_file(args.name).name
    report = assistant.remove_document(name, removed_by=default_user(assistant.settings), progress=_cli_progress(args))
    print(f"{name} togs bort (filen finns kvar i corpus/.removed/). Uppföljningen av dess aktiviteter finns kvar, "
          "markerad som inte längre i planen.", file=stdout)
    print(format_report(report), file=stdout)
    return EXIT_OK


def _documents_replace(assistant, args, stdout) -> int:
    report = assistant.replace_document(args.name, Path(args.file).expanduser(),
                                        replaced_by=default_user(assistant.settings),
                                        metadata=_metadata_arguments(args), progress=_cli_progress(args))
    print(format_document_report(report, "ersattes med den nya versionen"), file=stdout)
    return EXIT_OK


def _documents_set(assistant, args, stdout) -> int:
    name = assistant.corpus_file(args.name).name
    report = assistant.set_document_metadata(name, {k: v for k, v in _metadata_arguments(args).items() if v is not None},
                                             progress=_cli_progress(args))
    print(f"Metadata för {name} sparades.", file=stdout)
    print(format_report(report), file=stdout)
    return EXIT_OK


def _documents_review(assistant, args, stdout) -> int:
    name = assistant.corpus_file(args.name).name
    entry = assistant.review_document(name, reviewed_by=default_user(assistant.settings))
    print(f"{name} är markerat som granskat av {entry['reviewed_by']} ({entry['reviewed_at'][:10]}); svar som "
          "citerar det märks inte längre som ogranskade.", file=stdout)
    return EXIT_OK


_DOCUMENT_ACTIONS = {"list": _documents_list, "add": _documents_add, "remove": _documents_remove,
                     "replace": _documents_replace, "set": _documents_set, "review": _documents_review}


def add_documents_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The actions of ``assistant documents``."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ÅTGÄRD")

    def metadata(p, empty: str) -> None:
        p.add_argument("--title", "--titel", dest="title", help=f"titel ({empty})")
        p.add_argument("--council", "--rad", dest="council", help=f"råd, t.ex. 'RVKR Södra' ({empty})")
        p.add_argument("--type", "--typ", dest="doc_type", help=f"dokumenttyp, t.ex. aktivitetsplan ({empty})")
        p.add_argument("--period", help=f"år eller period, t.ex. 2026 eller 2026–2028 ({empty})")
        p.add_argument("--quiet", action="store_true", help="ingen förloppsindikator")

    p = actions.add_parser("list", help="dokumenten i corpus/ med metadata, granskning och textavsnitt")
    p.add_argument("--json", action="store_true", help="skriv listan som JSON")
    p = actions.add_parser("add", help="lägg till en fil i corpus/ och indexera (märks som ogranskad)")
    p.add_argument("file", metavar="FIL")
    metadata(p, "utelämnad: tolkas ur dokumentet")
    p = actions.add_parser("remove", help="ta bort ett dokument (arkiveras i corpus/.removed/) och uppdatera indexet")
    p.add_argument("name", metavar="NAMN", help="filnamnet i corpus/ (se 'assistant documents list')")
    p.add_argument("--quiet", action="store_true", help="ingen förloppsindikator")
    p = actions.add_parser("replace", help="ersätt ett dokument med en ny version (samma filtyp) och indexera")
    p.add_argument("name", metavar="NAMN")
    p.add_argument("file", metavar="FIL")
    metadata(p, "utelämnad: som förut")
    p = actions.add_parser("set", help="ändra titel, råd, typ eller period (tom sträng: tolkas ur dokumentet igen)")
    p.add_argument("name", metavar="NAMN")
    metadata(p, "'' tolkas ur dokumentet igen")
    p = actions.add_parser("review", help="markera ett dokument som granskat")
    p.add_argument("name", metavar="NAMN")
    return parser


def cmd_prepare_model(args) -> int:
    # Build tools are imported only when asked for: they need torch / llama-index (the "build" extra).
    from assistant.build.model_prep import main as prep_main
    return prep_main(["--target", str(args.target or get_settings().embedding_model_path)] + (["--force"] if args.force else []))


def cmd_eval(args) -> int:
    # Build tools are imported only when asked for: they need torch / llama-index (the "build" extra).
    from assistant.build.evaluation import main as eval_main

    return eval_main(args)


def cmd_serve(args) -> int:
    import runpy

    sys.argv = ["app.py"]
    runpy.run_path(str(PROJECT_ROOT / "app.py"), run_name="__main__")
    return EXIT_OK


def add_summary_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Options of ``assistant summary``; ``--date-field`` takes :data:`assistant.followup.DATE_FIELDS`."""
    parser.add_argument("--council", "--rad", action="append", dest="council", metavar="RÅD",
                        help="råd att ta med: Södra, Mellansverige, nationella, 'alla' (kan upprepas eller kommasepareras)")
    parser.add_argument("--period", help="t.ex. 'Q3 2026', '2026', 'Q1-Q4 2026', 'ht -26'")
    parser.add_argument("--date-field", choices=DATE_FIELDS, default="any",
                        help="vilket datum som ska ligga inom perioden: tidplan, uppföljningsdatum eller något av dem (any)")
    parser.add_argument("--keyword", "--amne", dest="keyword", action="append", metavar="ORD",
                        help="ämne/nyckelord, t.ex. 'VFU' eller 'förenade anställningar' (kan upprepas: något av dem)")
    parser.add_argument("--focus-area", help="bara aktiviteter vars fokusområde matchar")
    parser.add_argument("--format", choices=("md", "docx", "csv"), default=None,
                        help="md, docx eller csv (standard: efter filändelsen i --out, annars md)")
    parser.add_argument("-o", "--out", help="fil att skriva till; mappar skapas (standard för docx: uppfoljning-utkast.docx)")
    parser.add_argument("--overview", action="store_true", help="skriv bara översikten över råden (Markdown)")
    parser.add_argument("--delimiter", default=",", help="fältavgränsare för csv (t.ex. ';' för svenskt Excel)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Vårdkompetens-assistenten")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="bygg eller uppdatera indexet från corpus/",
                       description="Bygger eller uppdaterar indexet. Ett oförändrat index kontrolleras "
                                   "(kontrollsummor, vektorlagret) och byggs om om det är skadat.",
                       epilog="Slutkoder: 0 klart, 3 indexet saknas eller är skadat, 4 embeddingmodellen saknas, "
                              "5 en annan indexering pågår, 6 indexet kunde inte skrivas eller läsas "
                              "(skrivskyddad mapp, full disk, fel i filsystemet eller Chroma), 1 annat fel.")
    p.add_argument("--rebuild", action="store_true", help="bygg om allt, även oförändrade dokument")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ställ en fråga")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="skriv svaret som ett JSON-objekt")
    p.add_argument("--batch", help="JSONL-fil med id och question; ett JSON-svar per rad")
    p.add_argument("--council", action="append", help="begränsa till ett råd (kan upprepas)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="interaktiv konversation i terminalen")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("eval", help="kör utvärderingen och skriv eval/report.md")
    p.add_argument("--questions", default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--no-baselines", action="store_true")
    # Same options as assistant.build.evaluation.cli.add_arguments (not imported here: build tools load lazily).
    p.add_argument("--split", choices=("dev", "test", "all"), default="all", help="vilken del av frågorna (standard all)")
    p.add_argument("--kinds", default=None, help="bara dessa frågetyper, kommaseparerade (t.ex. owner,contact)")
    p.add_argument("--styles", default=None, help="bara dessa stilar, kommaseparerade (formal, typed)")
    p.add_argument("--perturbed", action="store_true",
                   help="kör även de störda varianterna eval/questions_{dev,test}_perturbed.jsonl")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("prepare-model", help="förbered embeddingmodellen från PyPI-paketen")
    p.add_argument("--target", default=None)
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_prepare_model)

    p = sub.add_parser("summary", help="utkast till uppföljning av aktivitetsplanerna (Markdown, DOCX eller CSV)")
    add_summary_arguments(p)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("followup", help="uppföljning: status per aktivitet (list, set, history, due, import, export, report)")
    add_followup_arguments(p)
    p.set_defaults(func=cmd_followup)

    p = sub.add_parser("feedback", help="betyg på svaren från webbappen (export)")
    add_feedback_arguments(p)
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("users", help="användare och roller för webbappen (add, remove, role, list)")
    add_users_arguments(p)
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("documents", help="dokumenten: list, add, remove, replace, set (metadata), review")
    add_documents_arguments(p)
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("serve", help="starta webbappen")
    p.set_defaults(func=cmd_serve)
    _add_examples(sub.choices)
    return parser


#: ``assistant <command> --help`` ends with these examples (before any exit codes the command lists).
COMMAND_EXAMPLES: dict[str, tuple[str, ...]] = {
    "ingest": ("assistant ingest", "assistant ingest --rebuild --quiet"),
    "ask": ('assistant ask "Vem ansvarar för VFU-arbetet i Södra?"',
            'assistant ask --council sodra --json "nar foljs handledarfragan upp"',
            "assistant ask --batch fragor.jsonl > svar.jsonl"),
    "chat": ("assistant chat        (skriv hjälp för kommandona, tom rad eller Ctrl-D avslutar)",),
    "eval": ("assistant eval --split dev --no-baselines", "assistant eval --perturbed"),
    "prepare-model": ("assistant prepare-model", "assistant prepare-model --force"),
    "summary": ("assistant summary --council Södra -o uppfoljning.docx",
                "assistant summary --council Mellansverige --period 'Q3 2026' -o q3.csv --delimiter ';'"),
    "followup": ("assistant followup list --council Södra --json",
                 'assistant followup set rec-22a0208ac2 --status Pågår --comment "Workshop bokad"',
                 "assistant followup due --council Södra --date 2027-01-15",
                 "assistant followup report --council Södra -o sodra-2026.docx"),
    "feedback": ("assistant feedback export -o betyg.csv", "assistant feedback export -o betyg.jsonl"),
    "users": ("assistant users add anna --role editor", "echo 'hemligt lösenord' | assistant users add bo --password-stdin",
              "assistant users list --json"),
    "documents": ("assistant documents list", "assistant documents add ~/Hämtade/plan.pdf",
                  "assistant documents replace plan.pdf ~/Hämtade/plan-v2.pdf", "assistant documents review plan.pdf"),
    "serve": ("assistant serve        (http://127.0.0.1:7860; ASSISTANT_PORT och ASSISTANT_HOST ändrar det)",),
}


def _add_examples(commands: dict[str, argparse.ArgumentParser]) -> None:
    for name, command in commands.items():
        lines = COMMAND_EXAMPLES.get(name)
        if not lines:
            continue
        examples = "Exempel:\n" + "\n".join(f"  {line}" for line in lines)
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        command.epilog = f"{examples}\n\n{textwrap.fill(command.epilog, 100)}" if command.epilog else examples


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        return args.func(args)
    except BrokenPipeError:  # `assistant summary | head`: the reader left; not an error
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except IndexStorageError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except (IndexNotFound, IndexDamaged) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_INDEX
    except EmbeddingError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except IngestBusy as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_BUSY
    finally:
        if getattr(args, "verbose", False):
            print(f"({time.perf_counter() - started:.2f} s)", file=sys.stderr)
