// Package bench measures illhub end to end on the real MariaDB and
// RabbitMQ with the demo dataset. Run with `make bench`; results are
// recorded in docs/benchmarks.md. It is a benchmark, not a test: it asserts
// nothing about speed.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/demo"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkSubmitToRequested posts b.N submits (16 concurrent clients, each
// a different reader, each a record the borrower does not hold) through the
// real HTTP intake, and stops the clock when every one of them has been
// routed by the consumers (REQUESTED, or a terminal refusal). Reported:
// submits/s end to end, and the 202 rate of the intake alone.
func BenchmarkSubmitToRequested(b *testing.B) {
	dsn, st := testenv.DB(b, "bench")
	url, topo := testenv.AMQP(b, 5)
	ctx := context.Background()
	if _, err := demo.Load(ctx, st, demo.Options{}); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load()
	if err != nil {
		b.Fatal(err)
	}
	cfg.MySQLDSN, cfg.AMQPURL, cfg.AMQPPrefix, cfg.DeliveryLimit = dsn, url, topo.Prefix, 5
	cfg.Demo = true // the demo dataset's keys
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cons, err := service.NewConsumers(cfg, st, log, prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = cons.Run(cctx) }()
	defer func() { cancel(); <-done }()
	srv, pub := service.NewProducer(cfg, st, ill.SystemClock{}, log, prometheus.NewRegistry())
	defer pub.Close()
	api := httptest.NewServer(srv)
	defer api.Close()

	// Work items: (borrower, record) pairs where the borrower holds no copy.
	var pairs []struct {
		Lib string `db:"code"`
		Rec int64  `db:"id"`
	}
	if err := st.DB.Select(&pairs, `SELECT l.code, r.id FROM records r CROSS JOIN libraries l
		WHERE r.id <= 3000 AND r.material = 'book' AND r.language = 'chi'
		AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.record_id = r.id AND h.library_code = l.code)
		ORDER BY r.id, l.code`); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	run := fmt.Sprintf("%d", time.Now().UnixNano())

	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var intakeDone time.Duration
	var mu sync.Mutex
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				mu.Lock()
				p := pairs[rng.IntN(len(pairs))]
				mu.Unlock()
				body, _ := json.Marshal(map[string]any{"client_request_id": fmt.Sprintf("bench-%s-%d", run, i),
					"patron": map[string]any{"id": fmt.Sprintf("B%d", i)}, "record_id": fmt.Sprint(p.Rec)})
				req, _ := http.NewRequest("POST", api.URL+"/v1/requests", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+ill.DemoKey(p.Lib))
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					b.Errorf("submit %d: status %d", i, res.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	intakeDone = time.Since(start)
	for {
		var waiting int
		if err := st.DB.Get(&waiting, `SELECT ?-COUNT(*) FROM requests WHERE state <> 'SUBMITTED'`, b.N); err != nil {
			b.Fatal(err)
		}
		if waiting <= 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var requested int
	_ = st.DB.Get(&requested, `SELECT COUNT(*) FROM requests WHERE state = 'REQUESTED'`)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submits/s")
	b.ReportMetric(float64(b.N)/intakeDone.Seconds(), "intake-202/s")
	b.ReportMetric(float64(requested)/float64(b.N)*100, "%requested")
}
