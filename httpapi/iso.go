package httpapi

import (
	"net/http"
	"time"
)

// iso18626 serves POST /iso18626 through the ISO 18626 intake: its XML
// confirmation, or for a transport-level failure the API's JSON error
// (503 or 429 with Retry-After), counted under route /iso18626.
func (s *Server) iso18626(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, out, err := s.ISO18626.Receive(w, r)
	if err != nil {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		s.writeError(rec, r, err)
		status = rec.status
	} else {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		_, _ = w.Write(out)
	}
	s.reqs.WithLabelValues("/iso18626", itoa(status)).Inc()
	s.latency.WithLabelValues("/iso18626").Observe(time.Since(start).Seconds())
}
