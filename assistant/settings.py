"""One validated settings object for the whole assistant (env prefix ``ASSISTANT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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

    # Ingest limits
    max_file_bytes: int = 50 * 1024 * 1024
    supported_suffixes: tuple[str, ...] = (".txt", ".md", ".pdf", ".docx")

    # Vector store backend: "embedded" (PersistentClient under index/) or "http" (Chroma server)
    vector_store: str = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    collection_name: str = "chunks"

    # Retrieval
    top_k: int = 8
    dense_candidates: int = 30
    exact_search_max_chunks: int = 20_000  # above this, unfiltered dense search uses Chroma's HNSW index
    bm25_candidates: int = 30
    rrf_k: int = 60
    council_boost: float = 1.5

    # Answering
    max_question_chars: int = 2000
    min_evidence_score: float = 0.75
    min_sentence_score: float = 0.45
    max_unknown_share: float = 0.34
    max_citations: int = 6
    history_turns: int = 4

    # Optional LLM backend (OpenAI-compatible); off by default
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = 60.0

    # Web app
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str | None = None
    auth_password: str | None = None
    max_concurrent_requests: int = Field(default=4, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
