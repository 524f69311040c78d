#!/usr/bin/env bash
# Installs what the notebooks and tests need, then the "Go (fer)" Jupyter kernel.
# Used by the README's commands (through make), by CI and by the Dockerfile.
#
#   - Jupyter (classic Notebook + nbconvert + nbclient + ipykernel): from Debian
#     packages when `jupyter` is missing and we are root; otherwise it says what
#     to install. (pip install jupyterlab works too where PyPI is reachable.)
#   - scikit-learn (Debian python3-sklearn), optional: tests compare our
#     make_circles and folds with it live when it is there.
#   - the kernel: GoNB and goimports built from the versions pinned in go.mod.
#
# Environment: JUPYTER_DATA_DIR (where the kernelspec goes), FER_SKIP_APT=1 to
# never call apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v jupyter >/dev/null 2>&1 && jupyter nbconvert --version >/dev/null 2>&1 || need_apt+=(jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel)
/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1 || need_apt+=(python3-sklearn)

if ((${#need_apt[@]})); then
  if [[ "${FER_SKIP_APT:-}" == 1 ]]; then
    echo "install.sh: missing Debian packages ${need_apt[*]} (FER_SKIP_APT=1: not installing)" >&2
  elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "install.sh: installing ${need_apt[*]} from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "install.sh: please install ${need_apt[*]} (Debian/Ubuntu: sudo apt-get install ...; elsewhere: pip install jupyterlab nbconvert nbclient ipykernel scikit-learn)" >&2
  fi
fi
command -v jupyter >/dev/null || { echo "install.sh: jupyter is required to run the notebooks" >&2; exit 1; }

go run ./cmd/fer kernel install
