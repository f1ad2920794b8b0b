"""Vårdkompetens-assistenten: grounded answers about Swedish healthcare competence-supply plans.

The package is laid out as the pipeline: ``ingest`` → ``store`` → ``retrieve`` → ``answer`` /
``followup`` → ``service`` → ``frontends``; ``lang`` and ``text`` hold language knowledge and text
normalisation, ``build`` the tools that prepare the model and run the evaluation (never imported by
the answer path). See README.md, "How it works".
"""

from assistant import offline  # noqa: F401  (first: sets the offline environment before any heavy import)

__version__ = "0.1.0"
