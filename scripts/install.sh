#!/usr/bin/env bash
# The one install script: the README's commands (through make), CI (make test,
# through .ci/run) and every RUN step of the Dockerfile call it, so CI tests the
# steps the image runs. scripts/lint-dockerfile.sh checks that every RUN of the
# Dockerfile is a call of this script with flags it accepts.
#
# With no flags (make install, make notebooks, make test):
#   - build prerequisites for cgo (gcc, libc6-dev, make, git) and Jupyter
#     (classic Notebook + nbconvert + nbclient + ipykernel): from Debian packages
#     when missing and we are root; otherwise it says what to install.
#     (pip install jupyterlab works too where PyPI is reachable.)
#   - scikit-learn (Debian python3-sklearn), optional: tests compare our
#     make_circles and folds with it live when it is there.
#   - the kernel: GoNB and goimports built from the versions pinned in go.mod,
#     kernelspec "Go (fer)" written into $JUPYTER_DATA_DIR (go run ./cmd/fer kernel install).
#
# The Dockerfile adds flags (usage below, or --help): --system (the root part:
# packages, the notebook user, and with --variant=cuda JupyterLab and JAX's
# PJRT CUDA plugin from pip), --modules-only, --build (go mod download and
# go build ./... before the kernel), --no-test-deps.
#
# Environment: JUPYTER_DATA_DIR (where the kernelspec goes), FER_SKIP_APT=1 to
# never call apt-get, FER_JAX_VERSION and FER_JUPYTERLAB_VERSION (pip pins for
# --system --variant=cuda; the Dockerfile passes its build arguments of those names).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/install.sh [--system] [--variant=cpu|cuda] [--modules-only | --build] [--no-test-deps]

  (no flags)       prerequisites and Jupyter (Debian packages when missing and
                   root), scikit-learn for the tests, then the "Go (fer)" kernel
  --system         root part only (images): packages, the notebook user
                   ($NB_USER/$NB_UID/$NB_GID when set) and, with --variant=cuda,
                   Python + JupyterLab + JAX's PJRT CUDA plugin from pip
  --variant=V      cpu (default) or cuda; without --system, cuda checks that
                   `fer backend` picks XLA CUDA
  --modules-only   only go mod download
  --build          go mod download and go build ./... before the kernel
  --no-test-deps   skip scikit-learn (only the tests use it)
  --check-args     validate the flags and exit

environment: JUPYTER_DATA_DIR, FER_SKIP_APT=1, FER_JAX_VERSION (default 0.10.2),
FER_JUPYTERLAB_VERSION (default 4.5.6)
EOF
}

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

system=0 variant=cpu modules_only=0 build=0 test_deps=1 check_args=0
while (($#)); do
  case "$1" in
    --system) system=1 ;;
    --variant=*) variant=${1#--variant=} ;;
    --variant)
      (($# >= 2)) || { usage >&2; die "--variant needs a value (cpu or cuda)"; }
      variant=$2; shift ;;
    --modules-only) modules_only=1 ;;
    --build) build=1 ;;
    --no-test-deps) test_deps=0 ;;
    --check-args) check_args=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
case "$variant" in
  cpu | cuda) ;;
  *) die "--variant must be cpu or cuda, not '$variant'" ;;
esac
if ((system && (modules_only || build))); then
  die "--system does no Go step: run --modules-only / --build separately, as the notebook user"
fi
if ((modules_only && build)); then
  die "--modules-only and --build exclude each other"
fi
((check_args)) && exit 0

cd "$(dirname "$0")/.."

FER_JAX_VERSION=${FER_JAX_VERSION:-0.10.2}
FER_JUPYTERLAB_VERSION=${FER_JUPYTERLAB_VERSION:-4.5.6}
# Where --system --variant=cuda links JAX's nvidia/cuda_nvcc (ptxas, libdevice);
# the Dockerfile points XLA_FLAGS=--xla_gpu_cuda_data_dir at it.
CUDA_DATA_LINK=/usr/local/lib/fer/cuda_nvcc

is_root() { [[ $(id -u) == 0 ]]; }

# apt_install PKG...: installs Debian packages when allowed (root, apt-get,
# FER_SKIP_APT unset); otherwise says what is missing. Never fails by itself:
# the checks after it decide what is fatal.
apt_install() {
  (($#)) || return 0
  if [[ "${FER_SKIP_APT:-}" == 1 ]]; then
    echo "install.sh: missing Debian packages $* (FER_SKIP_APT=1: not installing)" >&2
  elif is_root && command -v apt-get >/dev/null; then
    say "installing $* from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    # Images keep no package lists; elsewhere they are cheap to keep.
    ((system)) && rm -rf /var/lib/apt/lists/*
  else
    echo "install.sh: please install $* (Debian/Ubuntu: sudo apt-get install ...; elsewhere: gcc, make, git, and pip install jupyterlab nbconvert nbclient ipykernel scikit-learn)" >&2
  fi
  return 0
}

has_jupyter() { command -v jupyter >/dev/null 2>&1 && jupyter nbconvert --version >/dev/null 2>&1; }

# ---- packages (root part) ---------------------------------------------------
if ((system)) && ! is_root; then
  die "--system installs system packages (and the notebook user): run it as root"
fi
if ((!modules_only)); then
  need_apt=()
  if [[ $(uname -s) == Linux ]]; then
    for tool in gcc make git; do
      command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
    done
    [[ -e /usr/include/stdio.h ]] || need_apt+=(libc6-dev)
  fi
  cuda_pip=0
  if ((system)) && [[ $variant == cuda ]]; then
    cuda_pip=1
    command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3 python3-pip ca-certificates)
  elif ! has_jupyter; then
    need_apt+=(jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel)
  fi
  if ((test_deps)); then
    /usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1 || need_apt+=(python3-sklearn)
  fi
  if ((${#need_apt[@]})); then
    apt_install "${need_apt[@]}"
  fi

  if ((cuda_pip)); then
    say "installing JupyterLab $FER_JUPYTERLAB_VERSION and JAX's PJRT CUDA plugin $FER_JAX_VERSION (with NVIDIA's CUDA libraries) from PyPI"
    # The image's Python is the system one (Ubuntu marks it externally managed):
    # pip installs into /usr/local/lib/python3.*/dist-packages, where fer looks
    # for jax_plugins/xla_cuda*/xla_cuda_plugin.so.
    PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
      python3 -m pip install --no-cache-dir --quiet \
      "jupyterlab==$FER_JUPYTERLAB_VERSION" \
      "jax-cuda12-pjrt==$FER_JAX_VERSION" \
      "jax-cuda12-plugin[with-cuda]==$FER_JAX_VERSION" ||
      die "pip install failed (FER_JAX_VERSION=$FER_JAX_VERSION, FER_JUPYTERLAB_VERSION=$FER_JUPYTERLAB_VERSION)"
    plugin=
    while IFS= read -r dir; do
      for so in "$dir"/jax_plugins/xla_cuda*/xla_cuda_plugin.so; do
        [[ -e $so ]] && plugin=$so
      done
    done < <(python3 -c 'import site; print("\n".join(site.getsitepackages()))')
    [[ -n $plugin ]] || die "pip installed jax-cuda12-pjrt but no jax_plugins/xla_cuda*/xla_cuda_plugin.so is in the site-packages"
    case "$plugin" in
      /usr/local/lib/python3*/*-packages/* | /usr/lib/python3*/*-packages/*) ;;
      *) die "JAX's CUDA plugin is at $plugin, where fer's backend discovery does not look (fer/backend.go): set PYTHONPATH to its site-packages or GOMLX_BACKEND=xla:$plugin" ;;
    esac
    say "JAX's PJRT CUDA plugin: $plugin"
    nvcc_dir="$(dirname "$(dirname "$(dirname "$plugin")")")/nvidia/cuda_nvcc"
    if [[ -d $nvcc_dir ]]; then
      mkdir -p "$(dirname "$CUDA_DATA_LINK")"
      ln -sfn "$nvcc_dir" "$CUDA_DATA_LINK"
      say "linked $CUDA_DATA_LINK -> $nvcc_dir (ptxas, libdevice for XLA_FLAGS=--xla_gpu_cuda_data_dir)"
    else
      echo "install.sh: warning: $nvcc_dir is missing (no ptxas/libdevice from pip): XLA will look for a CUDA toolkit elsewhere" >&2
    fi
  fi

  has_jupyter || die "jupyter (with nbconvert) is required to run the notebooks"
  if [[ $(uname -s) == Linux ]]; then
    command -v gcc >/dev/null 2>&1 && [[ -e /usr/include/stdio.h ]] ||
      echo "install.sh: warning: no C toolchain (gcc, libc6-dev): cgo packages (the XLA backend) will not build" >&2
  fi
fi

# ---- the notebook user (images) ---------------------------------------------
if ((system)); then
  if [[ -n "${NB_USER:-}" && -n "${NB_UID:-}" && -n "${NB_GID:-}" ]]; then
    if ! id -u "$NB_USER" >/dev/null 2>&1; then
      if other=$(getent passwd "$NB_UID" | cut -d: -f1) && [[ -n $other ]]; then
        # Ubuntu 24.04 images ship a user "ubuntu" with uid 1000 (as Jupyter's
        # Docker Stacks do, we give that uid to the notebook user).
        [[ $other == ubuntu ]] || die "uid $NB_UID is taken by user '$other': choose another NB_UID"
        userdel --remove ubuntu 2>/dev/null || userdel ubuntu
      fi
      getent group "$NB_GID" >/dev/null || groupadd --gid "$NB_GID" "$NB_USER"
      useradd --no-log-init --no-create-home --uid "$NB_UID" --gid "$NB_GID" \
        --home-dir "/home/$NB_USER" --shell /bin/bash "$NB_USER"
      say "created user $NB_USER ($NB_UID:$NB_GID)"
    fi
    home=$(getent passwd "$NB_USER" | cut -d: -f6)
    mkdir -p "$home"
    # The home and this checkout (COPY made its files the user's, not always
    # the directories above them) belong to the notebook user.
    chown "$NB_UID:$NB_GID" "$home" "$PWD" "$PWD/scripts"
  fi
  say "system part done (variant $variant)"
  exit 0
fi

# ---- Go: modules, build, kernel (as the notebook user) ----------------------
command -v go >/dev/null || die "the go command is required (Go $(sed -n 's/^go //p' go.mod), https://go.dev/dl/)"
if ((modules_only || build)); then
  say "go mod download"
  go mod download
  ((modules_only)) && exit 0
  say "go build ./..."
  go build ./...
fi

go run ./cmd/fer kernel install

if [[ $variant == cuda ]]; then
  backend=$(go run ./cmd/fer backend) || die "go run ./cmd/fer backend failed"
  echo "$backend"
  grep -qi '^backend: *xla:.*cuda' <<<"$backend" ||
    die "--variant=cuda: fer does not pick the XLA CUDA plugin (see above; fer/backend.go lists where it looks)"
fi
