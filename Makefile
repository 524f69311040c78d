# The two commands of the README:
#   make notebooks   set up (Jupyter, kernel) and execute every notebook (FER_MODE=quick; make notebooks FER_MODE=full for the thesis's settings)
#   make test        vet, unit tests, and every notebook executed in quick mode into a scratch folder
SHELL := /bin/bash

# Where the datasets are (never committed). Default: ../shared/data beside the
# checkout if it exists, else ~/.local/share/fer/data.
FER_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),$(HOME)/.local/share/fer/data)
FER_MODE ?= quick
export FER_DATA_DIR FER_MODE
export GOEXPERIMENT ?= simd
export GOTOOLCHAIN := local

OUT := out

.PHONY: all test-setup install notebooks notebooks-update test vet unit test-notebooks kernel uninstall clean

all: notebooks

# Jupyter (Debian packages if missing and root) + the "Go (fer)" kernel in your Jupyter data dir.
install:
	scripts/install.sh

kernel:
	go run ./cmd/fer kernel install

uninstall:
	go run ./cmd/fer kernel uninstall

# Main job: install, then execute all notebooks into out/notebooks (copies + HTML).
notebooks: install
	go run ./cmd/fer notebooks --mode $(FER_MODE) --out $(OUT)/notebooks

# Re-execute and write the outputs back into notebooks/ (to commit a real run).
notebooks-update: install
	go run ./cmd/fer notebooks --mode $(FER_MODE) --out $(OUT)/notebooks --update

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [[ -n "$$unformatted" ]]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go build ./...
	go vet ./...

unit:
	go test -timeout 30m ./...

# Tests use a kernel installed into a scratch Jupyter dir.
test-setup:
	JUPYTER_DATA_DIR=$(CURDIR)/$(OUT)/test-jupyter scripts/install.sh

# Notebooks in quick mode, executed into a scratch folder.
test-notebooks:
	JUPYTER_DATA_DIR=$(CURDIR)/$(OUT)/test-jupyter go run ./cmd/fer notebooks --mode quick --out $(OUT)/test-notebooks --min-images 1

test: test-setup vet unit test-notebooks

clean:
	rm -rf $(OUT)
