"""The project corpus as the tests know it: its folder and the five documents' file names."""

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
NATIONAL = "000_a136ead4faa7fb25.txt"
MELLANSVERIGE = "001_c218980ea090ff6f.txt"
SODRA = "002_8b6a782e2b1e2be8.txt"
PRESENTATION = "003_89452c7ebf6beef5.txt"
UPPDRAG = "004_6fc778f79882cfcd.txt"
ALL_DOCS = [NATIONAL, MELLANSVERIGE, SODRA, PRESENTATION, UPPDRAG]
