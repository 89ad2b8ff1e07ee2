package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/prometheus/client_golang/prometheus"
)

// PublishMetrics registers the producer's publish metrics on reg
// (illhub_publish_total by routing key and result,
// illhub_publish_confirm_seconds by routing key) and returns the observer
// that keeps them (app.Config.Observe). A failed publish is logged with the
// HTTP request it served.
func PublishMetrics(reg prometheus.Registerer, log *slog.Logger) app.PublishObserver {
	pubs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_publish_total",
		Help: "Messages published with confirm, by routing key and result."}, []string{"routing_key", "result"})
	pubTime := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_publish_confirm_seconds",
		Help:    "Time from publish to the broker's confirm (or failure), by routing key.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"routing_key"})
	reg.MustRegister(pubs, pubTime)
	return func(ctx context.Context, m ill.Message, took time.Duration, err error) {
		pubTime.WithLabelValues(m.Type).Observe(took.Seconds())
		result := "ok"
		if err != nil {
			result = "error"
			log.Warn("publish failed", "routing_key", m.Type, "message_id", m.ID, "request_id", m.RequestID,
				"http_request_id", requestID(ctx), "err", err)
		}
		pubs.WithLabelValues(m.Type, result).Inc()
	}
}
