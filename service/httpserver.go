package service

import (
	"net/http"
	"time"
)

// MaxHeaderBytes bounds the request line and headers of every illhub HTTP
// server (the API and the metrics ports); larger requests get 431.
const MaxHeaderBytes = 64 << 10

// NewHTTPServer is the http.Server every illhub program uses: timeouts on
// every phase (a slow or stalled client cannot hold a connection or a
// goroutine forever) and a 64 KiB header limit. Bodies are limited by the
// handlers (ILL_MAX_BODY_BYTES).
//
//   - ReadHeaderTimeout 10 s: slowloris protection
//   - ReadTimeout 30 s: the whole request, body included
//   - WriteTimeout 30 s: longer than the publish timeout plus a database read
//   - IdleTimeout 120 s: keep-alive connections between requests
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}
