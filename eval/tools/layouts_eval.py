"""The layouts set: questions on six documents in layouts the seed corpus lacks, answered over the seeds
plus those documents.

The documents are in ``eval/layouts/`` — a government decision with numbered decisions (text), a press
release (text), an inquiry summary (Markdown with headings and a bullet list), a council's activity
plan saved from a browser (HTML with a table, navigation and footer), an activity plan as a Word table
(DOCX, made here from ``*.docx.json``) and an annual report with a drawn table (PDF, made here from
``*.pdf.json`` with reportlab). The questions, ``eval/questions_layouts.jsonl`` (dev and test halves),
were written from the documents before the assistant had seen them.

This script copies ``corpus/`` and those documents into a working folder, builds an index there with
``assistant ingest`` and runs ``assistant eval`` on the questions, so the main corpus and index are
never touched:

    .venv/bin/python eval/tools/layouts_eval.py [--out eval/layouts_report] [--no-baselines]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = ROOT / "eval" / "layouts"
QUESTIONS = ROOT / "eval" / "questions_layouts.jsonl"


def make_docx(spec: dict, path: Path) -> None:
    document = docx.Document()
    document.add_heading(spec["title"], level=1)
    for text in spec["paragraphs"]:
        document.add_paragraph(text)
    header, *rows = spec["table"]
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    document.save(path)


def make_pdf(spec: dict, path: Path) -> None:
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    story = [Paragraph(spec["title"], styles["Heading1"])]
    for text in spec["paragraphs"]:
        story += [Paragraph(text, body), Spacer(1, 6)]
    table = Table([[Paragraph(cell, body) for cell in row] for row in spec["table"]], colWidths=[190, 140, 170])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def build_corpus(folder: Path) -> Path:
    corpus = folder / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    for source in sorted(LAYOUTS.iterdir()):
        if source.name.endswith(".docx.json"):
            make_docx(json.loads(source.read_text(encoding="utf-8")), corpus / source.name.removesuffix(".json"))
        elif source.name.endswith(".pdf.json"):
            make_pdf(json.loads(source.read_text(encoding="utf-8")), corpus / source.name.removesuffix(".json"))
        else:
            shutil.copy2(source, corpus / source.name)
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "eval" / "layouts_report"), help="folder for report.md and results.json")
    parser.add_argument("--no-baselines", action="store_true", help="skip the BM25/dense/llama-index baselines")
    parser.add_argument("--work", help="keep the corpus and index in this (new) folder instead of a temporary one")
    args = parser.parse_args(argv)
    assistant = Path(sys.executable).with_name("assistant")
    with tempfile.TemporaryDirectory(prefix="layouts-eval-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus = build_corpus(work)
        env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(work / "index"),
               "ASSISTANT_DATABASE_URL": f"sqlite:///{work / 'app.db'}"}
        subprocess.run([str(assistant), "ingest"], env=env, check=True)
        command = [str(assistant), "eval", "--questions", str(QUESTIONS), "--out", args.out]
        if args.no_baselines:
            command.append("--no-baselines")
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())
