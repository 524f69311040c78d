ARG VARIANT=cpu
FROM golang:1.26.8-bookworm
RUN scripts/install.sh --build --variant=${VARIANT}
RUN FER_SKIP_APT=1 scripts/install.sh --bogus
