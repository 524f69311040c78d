FROM golang:latest AS go
FROM ubuntu
COPY --from=go /usr/local/go /usr/local/go
COPY no-such-file ./
COPY .git ./git
ADD https://example.com/x.tar.gz /x
RUN scripts/install.sh --build
