ARG VARIANT=cpu
FROM golang:1.26.8-bookworm
ARG VARIANT
COPY scripts/install.sh scripts/install.sh
RUN apt-get update && apt-get install -y gcc
RUN scripts/install.sh --system --variant=${VARIANT}
RUN ["go", "build", "./..."]
RUN <<EOT
scripts/install.sh --build
EOT
