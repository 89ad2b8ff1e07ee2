package rabbitmq

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

// amqp091-go dials one address and has no failover of its own. ILL_AMQP_URL
// (and every URL field of this package) is therefore one AMQP URL or a
// comma-separated list of them, one per node of a RabbitMQ cluster:
//
//	amqp://guest:guest@10.0.0.1:5672/,amqp://guest:guest@10.0.0.2:5672/
//
// Every new connection tries the nodes in turn, starting at a rotating
// offset (so a process's connections spread over the cluster and a dead
// node is not always tried first) and moving to the next node on failure.
// A connection that closes later is redialled the same way by its owner
// (Publisher on the next publish, Consumer's reconnect loop), so the
// process follows the cluster to a live node.

// splitURLs returns the non-empty, trimmed URLs of a comma-separated list.
func splitURLs(list string) []string {
	var urls []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

// rotate returns urls starting at index start (mod len), then the rest in
// order, wrapping around: the order one dial tries the nodes in.
func rotate(urls []string, start uint64) []string {
	if len(urls) == 0 {
		return nil
	}
	out := make([]string, 0, len(urls))
	off := int(start % uint64(len(urls)))
	out = append(out, urls[off:]...)
	return append(out, urls[:off]...)
}

// dialOffset is where the next dial of this process starts in the list; it
// starts at random so that processes started together do not all pick the
// first node.
var dialOffset atomic.Uint64

func init() { dialOffset.Store(rand.Uint64()) }

// Dial connects to the first node of list (see splitURLs) that accepts a
// connection, starting at a rotating offset. The error, when every node
// failed, names each node by host only (URLs carry credentials).
func Dial(list string, cfg amqp.Config) (*amqp.Connection, error) {
	urls := splitURLs(list)
	if len(urls) == 0 {
		return nil, errors.New("no AMQP URL configured")
	}
	var errs []error
	for _, u := range rotate(urls, dialOffset.Add(1)-1) {
		conn, err := amqp.DialConfig(u, cfg)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", hostOf(u), err))
	}
	return nil, errors.Join(errs...)
}

// hostOf returns host:port of an AMQP URL, for logs and errors.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid AMQP URL)"
	}
	return u.Host
}

// node returns host:port of the node conn is connected to (for logs).
func node(conn *amqp.Connection) string {
	return conn.RemoteAddr().String()
}
