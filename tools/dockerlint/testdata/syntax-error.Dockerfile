FROM golang:1.26.8-bookworm
RUN scripts/install.sh --build
FROOM golang:1.26.8-bookworm
