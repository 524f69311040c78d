# syntax=docker/dockerfile:1
# check=error=true
#
# JupyterLab with the "Go (fer)" kernel, opening on notebooks/. No data is baked
# in: mount it at /data (FER_DATA_DIR).
#
#   docker build -t fer-thesis .
#   docker run --rm -p 8888:8888 -v /path/to/data:/data:ro fer-thesis
#
#   docker build --build-arg VARIANT=cuda -t fer-thesis:cuda .
#   docker run --rm --gpus all -p 8888:8888 -v /path/to/data:/data:ro fer-thesis:cuda
#
# Every RUN is a call of scripts/install.sh, the script CI runs (make test) and
# the README's commands use; scripts/lint-dockerfile.sh checks that, that every
# COPY source exists, and lints this file with BuildKit's own checks for both
# variants (the check=error=true line above makes docker build fail on them too).

# cpu: Jupyter Docker Stacks' base image (Ubuntu 24.04, JupyterLab in /opt/conda).
# cuda: NVIDIA's CUDA base; install.sh --system --variant=cuda adds Python,
# JupyterLab and JAX's PJRT CUDA plugin with NVIDIA's libraries (pip), which
# fer's backend discovery picks (XLA CUDA).
ARG VARIANT=cpu
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG CPU_BASE_IMAGE=quay.io/jupyter/base-notebook:2026-04-27
ARG CUDA_BASE_IMAGE=nvidia/cuda:12.8.1-base-ubuntu24.04

# The Go toolchain pinned by go.mod (go 1.26.8), copied out of the official image.
FROM ${GO_IMAGE} AS go

FROM ${CPU_BASE_IMAGE} AS base-cpu
# Docker Stacks' notebook user (the base image sets the same values).
ENV NB_USER=jovyan \
    NB_UID=1000 \
    NB_GID=100

FROM ${CUDA_BASE_IMAGE} AS base-cuda
# The same notebook user, created by install.sh --system. XLA finds ptxas and
# libdevice through the link install.sh makes to pip's nvidia/cuda_nvcc.
ENV NB_USER=jovyan \
    NB_UID=1000 \
    NB_GID=100 \
    HOME=/home/jovyan \
    XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/lib/fer/cuda_nvcc \
    GOPJRT_CUDA_CHECKS=0

FROM base-${VARIANT}
ARG VARIANT
# pip pins for the cuda variant (read by install.sh).
ARG FER_JAX_VERSION=0.10.2
ARG FER_JUPYTERLAB_VERSION=4.5.6
USER root
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:${PATH} \
    GOEXPERIMENT=simd \
    GOTOOLCHAIN=local \
    FER_DATA_DIR=/data \
    FER_MODE=quick
WORKDIR /home/jovyan/fer

# As root: cgo prerequisites, Jupyter (cuda: JupyterLab + JAX's CUDA plugin), the user.
COPY --chown=${NB_UID}:${NB_GID} scripts/install.sh scripts/install.sh
RUN scripts/install.sh --system --variant=${VARIANT} --no-test-deps

# As the notebook user: the modules (a layer of their own), then the build and the kernel.
USER ${NB_UID}
# (third_party/compute is the patched compute module go.mod's replace points at.)
COPY --chown=${NB_UID}:${NB_GID} go.mod go.sum ./
COPY --chown=${NB_UID}:${NB_GID} third_party/compute third_party/compute
RUN scripts/install.sh --modules-only
COPY --chown=${NB_UID}:${NB_GID} . .
RUN scripts/install.sh --build --variant=${VARIANT} --no-test-deps

EXPOSE 8888
WORKDIR /home/jovyan/fer/notebooks
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--ServerApp.root_dir=/home/jovyan/fer/notebooks"]
