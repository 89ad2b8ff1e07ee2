// Package testenv gives integration tests their own database on the real
// MariaDB/MySQL and their own exchange/queue names on the real RabbitMQ, so
// test packages can run in parallel without colliding. Override the
// servers with ILL_TEST_MYSQL_DSN_BASE (default "root:@tcp(127.0.0.1:3306)/")
// and ILL_TEST_AMQP_URL (default "amqp://guest:guest@127.0.0.1:5672/").
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	illhub "github.com/balis/illhub"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	amqp "github.com/rabbitmq/amqp091-go"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DB creates a fresh, migrated database for the test and drops it at the
// end. It returns the DSN and an open store.
func DB(t testing.TB, name string) (string, *mysql.Store) {
	t.Helper()
	base := env("ILL_TEST_MYSQL_DSN_BASE", "root:@tcp(127.0.0.1:3306)/")
	db := "illhub_t_" + name + "_" + randHex(4)
	dsn := base + db
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := mysql.Migrate(ctx, dsn); err != nil {
		t.Fatalf("testenv: cannot create database (is MariaDB running? `bash scripts/services.sh`): %v", err)
	}
	st, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = st.DB.Exec("DROP DATABASE IF EXISTS `" + db + "`")
		st.Close()
	})
	return dsn, st
}

// AMQP returns the broker URL and a topology under a unique prefix, whose
// queues and exchanges are deleted at the end of the test.
func AMQP(t testing.TB, deliveryLimit int) (string, rabbitmq.Topology) {
	t.Helper()
	url := env("ILL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
	topo := rabbitmq.Topology{Prefix: "t" + randHex(4) + ".", DeliveryLimit: deliveryLimit}
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("testenv: cannot reach RabbitMQ (is it running? `bash scripts/services.sh`): %v", err)
	}
	conn.Close()
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			return
		}
		topo.Delete(ch)
	})
	return url, topo
}

// Clock is an adjustable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the current test time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// LoadCalendar2026 loads the shipped 2026 national calendar.
func LoadCalendar2026(t testing.TB, st *mysql.Store) {
	t.Helper()
	b, err := illhub.Configs.ReadFile("configs/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	cy, err := ill.ParseCalendarYear(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ImportCalendar(context.Background(), cy, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// Libraries adds members with demo keys ("demo-key-CODE"); a code ending
// in "*" requires a deposit. Also adds the centre key. Demo keys
// authenticate only in a demo: a producer serving these tests needs
// config.Config.Demo (httpapi.Server.Demo) set.
func Libraries(t testing.TB, st *mysql.Store, codes ...string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range codes {
		dep := strings.HasSuffix(c, "*")
		c = strings.TrimSuffix(c, "*")
		if err := st.AddLibrary(ctx, ill.Library{Code: c, NameZH: c + "图书馆", NameEN: c + " Library",
			Lending: true, DepositRequired: dep, Email: strings.ToLower(c) + "-ill@example.edu.cn"}); err != nil {
			t.Fatal(err)
		}
		if err := st.AddKey(ctx, c, false, ill.DemoKey(c), "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddKey(ctx, ill.CentreCode, true, ill.DemoKey(ill.CentreCode), "test centre"); err != nil {
		t.Fatal(err)
	}
}

// Holding is a test holding: a library's copy of a book.
type Holding struct {
	Library   string
	Available int
	Lendable  bool
}

// Record adds a union record with holdings and returns its id.
func Record(t testing.TB, st *mysql.Store, isbn13, title, author string, holdings ...Holding) int64 {
	t.Helper()
	ctx := context.Background()
	var isbn any
	if isbn13 != "" {
		isbn = isbn13
	}
	res, err := st.DB.ExecContext(ctx, `INSERT INTO records (isbn13, title, author, publisher, year, language, material, match_key)
		VALUES (?, ?, ?, '高等教育出版社', 2014, 'chi', 'book', ?)`, isbn, title, author, ill.TitleKey(title, author, "高等教育出版社", 2014))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	for i, h := range holdings {
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO holdings (library_code, local_id, record_id, call_number,
			copies, available, lendable, updated_at) VALUES (?, ?, ?, 'TP311.13/12', ?, ?, ?, NOW())`,
			h.Library, h.Library+"-"+randHex(4)+"-"+string(rune('a'+i)), id, max(h.Available, 1), h.Available, h.Lendable); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RefreshRecords(ctx, []int64{id}); err != nil { // the catalogue search index
		t.Fatal(err)
	}
	return id
}
