FROM golang:1.26.8-bookworm as Go
ENV FOO bar
ENV BAR=$NOT_DEFINED
EXPOSE 8888/TCP
RUN scripts/install.sh --build
