# A first image for teaching with the notebooks in JupyterLab (a later issue
# hardens it: CUDA variant, lint, tests). No data is baked in: mount it.
#
#   docker build -t fer-thesis .
#   docker run --rm -p 8888:8888 -v /path/to/data:/data:ro fer-thesis
#
# The RUN steps call the same scripts/install.sh that the README and CI use.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG BASE_IMAGE=jupyter/base-notebook:python-3.11

FROM ${GO_IMAGE} AS go

FROM ${BASE_IMAGE}
USER root
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev make git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:${PATH} \
    GOEXPERIMENT=simd \
    GOTOOLCHAIN=local \
    FER_DATA_DIR=/data \
    FER_MODE=quick
COPY --chown=${NB_UID}:${NB_GID} . /home/${NB_USER}/fer
USER ${NB_UID}
WORKDIR /home/${NB_USER}/fer
RUN go mod download && go build ./... && FER_SKIP_APT=1 scripts/install.sh
EXPOSE 8888
CMD ["start-notebook.sh", "--NotebookApp.notebook_dir=/home/jovyan/fer/notebooks", "--ServerApp.root_dir=/home/jovyan/fer/notebooks"]
