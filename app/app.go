// Package app holds illhub's use cases: submitting a request and acting on
// one, registering a reader or a staff account, signing in to the portal
// and the console (sessions), a courier's scan and the staff review list,
// importing holdings, and the reads the API and the console serve
// (requests, catalogue, libraries, work queues, courier runs, manifests,
// exceptions, violations, pull slips, missed deadlines, reports), each
// scoped by the caller's library: a member sees what concerns it, the
// centre (and the courier, for the courier's lists) everything.
//
// It is written against the ports of package ill (ill/ports.go) and a
// publisher. The JSON API (httpapi), the ISO 18626 intake
// (iso18626/intake) and the console (web) translate their input to these
// calls and their results to their output; no rule is decided there.
//
// Nothing is applied here. A use case validates what it was given, checks
// the state table against the request it read (so that a caller learns at
// once that an action is not possible) and publishes a message, returning
// after the broker's confirm; the consumers apply it under the request's
// row lock and check again. Errors are *ill.Error values with the closed
// codes; anything else is an internal error.
package app

import (
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/balis/illhub/ill"
)

// Store is the storage the use cases read (mysql.Store; internal/memstore
// in unit tests).
type Store interface {
	ill.Requests
	ill.Directory
	ill.Catalogue
	ill.Courier
	ill.Accounts
	ill.Sessions
	ill.Worklists
	ill.ISOLog
	ill.Desk      // the ILL desk: deposits, active counts, barcodes (app/desk.go)
	ill.NoticeLog // notices as staff and readers see them (app/notices.go)
	ill.Notes     // notes between a request's libraries (app/notes.go)
	ill.Administration
	ill.Announcements
	ill.ViolationLedger // violations' settlement (app/money.go)
	ill.LibraryFees     // lenders' fee rules and their history (app/money.go)
	ill.ReportSettings  // the monthly summary's schedule (app/reports.go)
	ill.Mediations      // mediation tools, escalation, scope facts (app/mediation.go)
	ill.NCIPDirectory   // members' NCIP registrations (app/ncip.go)
}

// PublishObserver is told the outcome of every publish: the message, how
// long the broker took to confirm (or fail), and the error (nil:
// confirmed). ctx is the caller's (it carries the HTTP request's id).
type PublishObserver func(ctx context.Context, m ill.Message, took time.Duration, err error)

// Config is what a Service is built from.
type Config struct {
	Store     Store
	Publisher ill.Publisher
	// Clock is the time rules are judged at (default ill.SystemClock).
	Clock ill.Clock
	// PublishTimeout bounds each publish including the broker's confirm
	// (default 4 s): a hung broker becomes unavailable, never a hung
	// caller.
	PublishTimeout time.Duration
	// Reports builds the staff reports (reports.Service); needed by
	// Report only.
	Reports Reporter
	// Observe, when set, is told of every publish (the producer's
	// metrics).
	Observe PublishObserver
	// Eligibility is R2's policy as the consumers apply it
	// (ILL_POLICY_FILE), for the portal's scope marks (zero:
	// ill.DefaultEligibility); Calendar is the working-day calendar, for
	// mediation escalation (nil: weekends only).
	Eligibility ill.Eligibility
	Calendar    ill.CalendarSource
	// Backlog, when set, is the admission check of new requests (see
	// admit): a submit waits while more than IntakeBacklog messages are
	// ready in the queues new requests feed, at most IntakeWait (default
	// 2 s), and is then refused as unavailable (503 with Retry-After).
	Backlog       ill.Backlog
	IntakeBacklog int
	IntakeWait    time.Duration
}

// Service runs the use cases. Safe for concurrent use.
type Service struct {
	store   Store
	pub     ill.Publisher
	clock   ill.Clock
	timeout time.Duration
	reports Reporter
	observe PublishObserver
	med     mediationConfig
	intake  admission
}

// New builds the use cases over c's ports.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = ill.SystemClock{}
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 4 * time.Second
	}
	return &Service{store: c.Store, pub: c.Publisher, clock: c.Clock, timeout: c.PublishTimeout,
		reports: c.Reports, observe: c.Observe, med: newMediationConfig(c),
		intake: admission{backlog: c.Backlog, limit: c.IntakeBacklog, wait: cmp.Or(c.IntakeWait, 2*time.Second)}}
}

// admission holds new requests back while the hub is behind: accepting
// them faster than the consumers start them only lengthens the queue, and
// every request's wait with it. A closed-loop client (a member system
// posting one request after another) is slowed to the rate the hub
// forwards at, and an open-loop one gets 503 with Retry-After after wait.
// Actions on requests already in the hub are never held: they finish
// work. A broker that cannot say its backlog does not hold anything up
// (the publish itself then fails or succeeds).
type admission struct {
	backlog ill.Backlog
	limit   int
	wait    time.Duration
}

// admitPoll is how often a held submit looks at the backlog again.
const admitPoll = 10 * time.Millisecond

func (a admission) admit(ctx context.Context) error {
	if a.backlog == nil || a.limit <= 0 {
		return nil
	}
	deadline := time.Now().Add(a.wait)
	for {
		n, err := a.backlog.Waiting(ctx)
		if err != nil || n <= a.limit {
			return nil
		}
		if time.Now().After(deadline) {
			return ill.Errorf(ill.CodeUnavailable, "the hub is behind (%d messages waiting); retry the request shortly", n)
		}
		select {
		case <-ctx.Done():
			return ill.Errorf(ill.CodeUnavailable, "the hub is behind (%d messages waiting); retry the request shortly", n)
		case <-time.After(admitPoll):
		}
	}
}

// publish sends m and waits for the broker's confirm, bounded by the
// publish timeout.
func (s *Service) publish(ctx context.Context, m ill.Message) error {
	if m.Type == ill.MsgSubmit {
		if err := s.intake.admit(ctx); err != nil {
			return err
		}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	err = s.pub.Publish(ctx, m.Type, m.ID, body)
	if s.observe != nil {
		s.observe(ctx, m, time.Since(start), err)
	}
	return err
}

// Courier is the principal of a courier credential: it scans, and reads
// the courier's lists across every library. ill.CourierOwner is no member
// library's code, so no API key resolves to it.
var Courier = ill.Principal{Library: ill.CourierOwner}

// scope is the library whose data p may see: "" (every library's) for the
// centre and the courier, p's own code for a member.
func scope(p ill.Principal) string {
	if p.Centre || p == Courier {
		return ""
	}
	return p.Library
}

// MemberUse is a use case that belongs to a member library: a centre key
// is refused it.
type MemberUse int

// The member-only use cases.
const (
	ForSubmit   MemberUse = iota // submitting requests
	ForReaders                   // registering readers
	ForHoldings                  // sending holdings
)

// Check is forbidden for a centre key, nil for a member library's. The
// use cases check it first; the JSON API also calls it before reading a
// body, so that a centre key learns this before any complaint about the
// body.
func (u MemberUse) Check(p ill.Principal) error {
	if !p.Centre {
		return nil
	}
	switch u {
	case ForReaders:
		return ill.Errorf(ill.CodeForbidden, "readers belong to a member library; use that library's key")
	case ForHoldings:
		return ill.Errorf(ill.CodeForbidden, "holdings belong to a member library; use that library's key")
	}
	return ill.Errorf(ill.CodeForbidden, "requests are submitted by a member library's key, not a centre key")
}
