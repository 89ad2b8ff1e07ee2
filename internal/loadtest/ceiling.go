package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Ceiling is a raw throughput measurement.
type Ceiling struct {
	What    string
	N, C    int
	Elapsed time.Duration
}

// PerSecond is the ceiling's rate.
func (c Ceiling) PerSecond() float64 {
	if c.Elapsed <= 0 {
		return 0
	}
	return float64(c.N) / c.Elapsed.Seconds()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// BrokerCeiling publishes n persistent messages of the size of a submit
// (about 600 bytes) from c goroutines through illhub's own confirming
// publisher, each waiting for its confirm, into the quorum queue topology
// under a throwaway prefix (deleted afterwards): the broker-only ceiling.
func BrokerCeiling(ctx context.Context, url string, n, c int) (Ceiling, error) {
	topo := rabbitmq.Topology{Prefix: "illbench-" + randHex(4) + ".", DeliveryLimit: 5}
	pub := &rabbitmq.Publisher{URL: url, Topo: topo}
	defer func() {
		pub.Close()
		if conn, err := amqp.Dial(url); err == nil {
			if ch, err := conn.Channel(); err == nil {
				topo.Delete(ch)
			}
			conn.Close()
		}
	}()
	if err := pub.Ready(); err != nil {
		return Ceiling{}, err
	}
	body := make([]byte, 600)
	for i := range body {
		body[i] = 'x'
	}
	elapsed, err := spread(ctx, n, c, func(i int64) error {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return pub.Publish(pctx, ill.MsgSubmit, fmt.Sprintf("ceiling-%d", i), body)
	})
	return Ceiling{What: "broker: publish with confirm", N: n, C: c, Elapsed: elapsed}, err
}

// spread runs do(1) … do(n) on c goroutines and returns how long that
// took; the first error stops the workers and is returned.
func spread(ctx context.Context, n, c int, do func(i int64) error) (time.Duration, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if err := do(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// DBCeiling runs n transactions from c goroutines in a scratch database
// (created and dropped here) on the server of dsn. Each transaction has
// the shape of a consumer's state change without its business logic:
//
//	BEGIN (READ COMMITTED)
//	INSERT INTO inbox (message id)                 -- deduplication
//	SELECT … FROM requests WHERE id = ? FOR UPDATE -- the row lock
//	UPDATE requests SET state = …, updated_at = …
//	INSERT INTO events (…)                         -- the timeline
//	INSERT INTO outbox (…)                         -- a follow-on message
//	COMMIT                                         -- durable (fsync)
//
// over 10,000 distinct request rows: the database-only ceiling of "one
// transaction per message". With pipelined, each transaction goes through
// illhub's own transaction path instead (mysql.Store.CeilingTx: the same
// statements in two round trips, as the consumers send them); without, it
// is a plain database/sql transaction, one round trip per statement.
func DBCeiling(ctx context.Context, dsn string, n, c int, pipelined bool) (Ceiling, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return Ceiling{}, err
	}
	name := "illbench_ceiling_" + randHex(4)
	cfg.DBName = ""
	root, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return Ceiling{}, err
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		return Ceiling{}, err
	}
	defer func() { _, _ = root.Exec("DROP DATABASE IF EXISTS `" + name + "`") }()
	cfg.DBName = name
	db, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return Ceiling{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(c + 2)
	db.SetMaxIdleConns(c + 2)
	for _, q := range []string{
		`CREATE TABLE inbox (message_id VARCHAR(64) NOT NULL PRIMARY KEY, processed_at DATETIME(6) NOT NULL) ENGINE=InnoDB`,
		`CREATE TABLE requests (id INT NOT NULL PRIMARY KEY, state VARCHAR(20) NOT NULL, updated_at DATETIME(6) NOT NULL) ENGINE=InnoDB`,
		`CREATE TABLE events (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, request_id INT NOT NULL, at DATETIME(6) NOT NULL,
			action VARCHAR(32) NOT NULL, note VARCHAR(255) NOT NULL, KEY (request_id)) ENGINE=InnoDB`,
		`CREATE TABLE outbox (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, message_id VARCHAR(64) NOT NULL,
			body TEXT NOT NULL, published_at DATETIME(6) NULL, KEY (published_at)) ENGINE=InnoDB`,
		`INSERT INTO requests (id, state, updated_at) SELECT seq, 'REQUESTED', NOW(6) FROM seq_1_to_10000`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			if me, ok := err.(*gomysql.MySQLError); ok && me.Number == 1146 { // MySQL: no sequence engine
				if err := fillRequests(ctx, db); err != nil {
					return Ceiling{}, err
				}
				continue
			}
			return Ceiling{}, err
		}
	}
	run := randHex(4)
	if pipelined {
		st, err := mysql.Open(cfg.FormatDSN())
		if err != nil {
			return Ceiling{}, err
		}
		defer st.Close()
		elapsed, err := spread(ctx, n, c, func(i int64) error {
			return st.CeilingTx(ctx, fmt.Sprintf("%s-%d", run, i), int(i%10000)+1)
		})
		return Ceiling{What: "database: one transaction per message, illhub's transaction path (2 round trips)",
			N: n, C: c, Elapsed: elapsed}, err
	}
	elapsed, err := spread(ctx, n, c, func(i int64) error {
		return ceilingTx(ctx, db, fmt.Sprintf("%s-%d", run, i), int(i%10000)+1)
	})
	return Ceiling{What: "database: one transaction per message, plain database/sql (8 round trips)", N: n, C: c, Elapsed: elapsed}, err
}

func fillRequests(ctx context.Context, db *sqlx.DB) error {
	for base := 0; base < 10000; base += 1000 {
		q := "INSERT INTO requests (id, state, updated_at) VALUES "
		for i := 1; i <= 1000; i++ {
			if i > 1 {
				q += ","
			}
			q += fmt.Sprintf("(%d, 'REQUESTED', NOW(6))", base+i)
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func ceilingTx(ctx context.Context, db *sqlx.DB, msgID string, row int) error {
	// READ COMMITTED like mysql.Store.InTx (the driver sets it per
	// transaction, one round trip, as in the real path).
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO inbox (message_id, processed_at) VALUES (?, ?)`, msgID, now); err != nil {
		return err
	}
	var state string
	if err := tx.GetContext(ctx, &state, `SELECT state FROM requests WHERE id = ? FOR UPDATE`, row); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE requests SET state = ?, updated_at = ? WHERE id = ?`, "WILL_SUPPLY", now, row); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (request_id, at, action, note) VALUES (?, ?, 'respond', 'ceiling')`, row, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, body) VALUES (?, '{"kind":"notice"}')`, msgID); err != nil {
		return err
	}
	return tx.Commit()
}
