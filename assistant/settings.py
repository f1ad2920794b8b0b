"""One validated settings object for the whole assistant (env prefix ``ASSISTANT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All tunables in one place. Override any field with ``ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=None, extra="ignore")

    # Paths
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    models_dir: Path = PROJECT_ROOT / "models"
    catalog_file: str = "catalog.json"

    # Embedding ("onnx": float32 graph via onnxruntime; "onnx-int8": quantised graph; "torch": sentence-transformers)
    embedding_backend: Literal["onnx", "onnx-int8", "torch"] = "onnx"
    embedding_model_path: Path = PROJECT_ROOT / "models" / "multilingual-e5-small"
    embedding_query_prefix: str = "query: "
    embedding_passage_prefix: str = "passage: "
    embedding_batch_size: int = 16
    embedding_max_seq_length: int = 512
    embedding_threads: int = 2
    embedding_spin_wait: bool = False  # onnxruntime threads spin between operations (faster alone, worse under load)

    # Ingest limits (per document; a document over one is skipped with a Swedish reason in the ingest
    # report and the upload answer, the others are indexed as usual; assistant/ingest/parsing.py)
    max_file_bytes: int = 50 * 1024 * 1024
    supported_suffixes: tuple[str, ...] = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
    max_pdf_pages: int = Field(default=1000, ge=1)  # pages of a PDF, counted before any text is extracted
    # A DOCX's unpacked size: the sum of its zip entries' sizes, read from the zip directory before parsing
    max_docx_unpacked_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    max_document_chars: int = Field(default=3_000_000, ge=1)  # characters of text read from one document
    max_document_chunks: int = Field(default=5000, ge=1)  # text chunks one document may give
    # PDF, DOCX and HTML are parsed in a child process with a time and a memory (address space) limit;
    # a parse over either is stopped and the document skipped. .txt/.md are decoded in-process.
    parse_timeout_s: float = Field(default=120.0, gt=0)
    parse_memory_mb: int = Field(default=2048, ge=64)
    # Test hook (harmless, off by default): the ingest stops at this named step of a build
    # ("after_read", "mid_embedding", "mid_write", "before_publish"), creates the file
    # <index_dir>/.paused-<step> and waits while it exists (tests kill -9 it there). Env: ASSISTANT_TEST_PAUSE_AT.
    test_pause_at: str | None = None

    # Vector store (assistant/store/vectors.py): where the chunk vectors live and what answers an
    # unfiltered dense search. Council/document-filtered searches are always scored exactly over the
    # allowed rows of the build's vectors.npy, whatever the backend (Chroma's metadata filter is slow).
    #   "chroma"       embedded Chroma (PersistentClient) under index/chroma/; HNSW; the default
    #   "chroma-http"  a Chroma server at chroma_host:chroma_port, shared by several app processes
    #   "exact"        no Chroma: exact cosine (NumPy) over the build's vectors.npy; opt-in (faster
    #                  than HNSW below ~20k chunks, linear in the chunk count above)
    # Switching backend makes the next `assistant ingest` rebuild. Old names: "embedded", "http".
    vector_store: Literal["chroma", "chroma-http", "exact"] = "chroma"
    chroma_host: str = "127.0.0.1"  # Chroma server host (vector_store="chroma-http")
    chroma_port: int = 8000  # Chroma server port (vector_store="chroma-http")
    collection_name: str = "chunks"  # Chroma collection name prefix: "<name>-<generation>" (a rebuild starts a generation)

    # Retrieval
    top_k: int = 8
    dense_candidates: int = 30
    bm25_candidates: int = 30
    rrf_k: int = 60
    council_boost: float = 1.5

    # Answering
    max_question_chars: int = 2000
    min_evidence_score: float = 0.75
    min_sentence_score: float = 0.6  # chosen on the dev split together with evidence_min_score
    max_unknown_share: float = 0.34
    max_citations: int = 6
    history_turns: int = 4
    max_history_messages: int = 100  # an API call with a longer history is refused (error payload), before any work
    max_history_message_chars: int = 20_000  # ... or with a history message longer than this (answers can be long)
    max_filter_values: int = 100  # ... or with more council/document filter values than this
    # The composer (record fields, lists, sentences)
    record_min_coverage: float = 0.55  # share of the question's topic a record must cover to answer from it
    record_margin: float = 0.12  # records within this of the best one answer too
    record_hit_bonus: float = 0.15  # bonus for a record whose chunk was retrieved (divided by 1 + its rank)
    record_measure_only_weight: float = 0.4  # weight of topic words found only in a record's follow-up measure
    labelled_items_chunks: int = 8  # a list of items named by the asked noun is gathered from this many top chunks
    labelled_item_max_chars: int = 160  # longest unit taken as such an item (a heading or a bullet, not prose)
    prose_margin: float = 0.15  # how much better a sentence must match than the best record to be preferred
    sentence_context_share: float = 0.25  # share of a sentence's score from its section and title words
    sentence_weight_chunk_dense: float = 0.1  # weight of its chunk's cosine (rescaled above evidence_dense_floor)
    sentence_weight_rank: float = 0.05  # weight of its chunk's retrieval rank (1 / (1 + rank)); lists too
    sentence_margin: float = 0.15  # sentences within this of the best are shown too
    list_intro_share: float = 0.6  # share of a list's score from its intro line (the rest: its items)
    list_min_score: float = 0.5  # a list in the top chunks answers a list question from this score
    cross_sentences_per_council: int = 2  # sentences shown per council when a question compares councils (dev split: 2 > 1)
    description_max_sentences: int = 2  # "Vad är X?": at most this many "X är …" sentences answer it
    description_subject_extra_words: int = 3  # ... whose subject has at most this many words besides X's ("Det nationella …")
    description_search_chunks: int = 10  # ... looked for also in the chunks that match X best (BM25), not only the retrieved
    intro_items_max: int = 12  # a chosen sentence ending in ':' brings up to this many of the units that follow it
    # Questions as typed: words without å/ä/ö or with one slip are put into the documents' spelling
    spelling_min_length: int = 5  # shortest word corrected by edit distance (shorter ones are only folded)
    spelling_one_edit_max_length: int = 12  # longer words may have two edits
    spelling_compound_part_min_length: int = 4  # shortest part of a typed compound put together from two document words
    spelling_english_known_word_zipf: float = 2.0  # an English word at least this common (Zipf) is never corrected
    # Questions over the set of activities ("Hur många …", "Vilka av Södras aktiviteter …")
    aggregate_min_topic: float = 0.5  # share of the question's topic a record must cover to be listed
    aggregate_max_citations: int = 30  # one citation per listed activity
    # Sentence-level evidence: the fallback when no record, list or sentence path answers
    evidence_dense_floor: float = 0.75  # cosine at which a unit's dense score starts to count
    evidence_weight_dense: float = 0.65  # weight of the unit's cosine (rescaled above the floor; dev splits: 0.65 > 0.5)
    evidence_weight_lexical: float = 0.25  # weight of the share of the question's terms the unit covers
    evidence_weight_rank: float = 0.1  # weight of its chunk's retrieval rank (1 / (1 + rank))
    evidence_margin: float = 0.1  # units within this of the best are shown too
    evidence_max_units: int = 3  # at most this many sentences in a fallback answer
    evidence_max_chars: int = 400  # and at most this many characters
    evidence_chunks: int = 5  # units are taken from this many top retrieved chunks
    evidence_min_score: float = 0.45  # below this the assistant abstains (chosen on the dev split)
    evidence_min_score_unknown_terms: float = 0.55  # the same when the question has words the documents never use
    evidence_min_score_format: float = 0.25  # the bar when the asked kind has a fixed form (an e-mail address, a phone or registration number)
    evidence_min_score_kind: float = 0.4  # the bar when the question asks for a kind of fact (a year, a time, a number …) that every candidate unit gives (dev splits of both sets: 0.4)
    sentence_weight_dense: float = 0.3  # weight of a sentence's own cosine in the composer's sentence score
    sentence_weight_dense_english: float = 0.6  # the same for English questions (their words rarely occur in the Swedish text; dev: 0.6 > 0.3)

    # Optional LLM backend (OpenAI-compatible); off by default
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = 60.0

    # Application database (assistant/db: plan records with stable ids, the follow-up history, users).
    # None → sqlite:///<project>/var/app.db (assistant.db.default_database_url); PostgreSQL via
    # "postgresql+psycopg://user:password@host/dbname". Env: ASSISTANT_DATABASE_URL.
    database_url: str | None = None
    # Who records follow-up entries from the CLI (`assistant followup set/import`); None → the OS user
    # name (getpass.getuser()). Env: ASSISTANT_FOLLOWUP_USER.
    followup_user: str | None = None

    # Web app
    host: str = "127.0.0.1"
    port: int = 7860
    # The one shared login (the fallback when the database has no users; it may only read). With users in
    # the database (`assistant users add`) every visitor logs in as one of them instead; see README "Roller".
    auth_user: str | None = None
    auth_password: str | None = None
    # Login throttling (per user name and per client address): after login_max_failures wrong logins within
    # login_failure_window_s, logins are refused for login_lockout_s seconds, doubled with each further
    # failure, at most login_max_lockout_s.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_s: float = Field(default=900.0, gt=0)
    login_lockout_s: float = Field(default=30.0, ge=0)
    login_max_lockout_s: float = Field(default=900.0, ge=0)
    max_concurrent_requests: int = Field(default=4, ge=1)
    # Web queue: seconds between the queue-position updates sent to waiting requests (0: after every change,
    # Gradio's "auto", which sends every waiting request a message each time one starts: ≈ 4 ms of CPU per
    # request with 32 users; bench/README.md, "Load")
    queue_status_interval_s: float = Field(default=1.0, ge=0)
    # Author written into the follow-up drafts' Word files (document properties)
    document_author: str = "Vårdkompetens-assistenten"

    # Host names the web app answers to besides 127.0.0.1, localhost, [::1] and `host` (e.g. the server's
    # DNS name behind a reverse proxy); any other Host header gets 400 (protects against DNS rebinding).
    # From the environment as JSON: ASSISTANT_ALLOWED_HOSTS='["assistent.example.se"]'
    allowed_hosts: list[str] = []

    @field_validator("vector_store", mode="before")
    @classmethod
    def _old_vector_store_names(cls, value):
        """Accept the names used before the store interface ("embedded", "http")."""
        return {"embedded": "chroma", "http": "chroma-http"}.get(value, value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
