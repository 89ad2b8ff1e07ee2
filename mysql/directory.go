package mysql

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// Directory serves the member directory from memory: every library's row
// (settings, contact points, ISO 18626 registration, courier days) and
// every closure, read from the database in two queries and kept for TTL;
// and each lender's 90-day routing history (loans, answers, median
// response time), read per library when first needed and kept for TTL.
//
// The consumers read these several times per message (the lender's
// closures for a deadline, the borrower's locale for a notice, both
// libraries' ISO 18626 registration after every move); they change a few
// times a year through illctl or the console. With a directory attached
// (Store.UseDirectory), a change reaches a running process within TTL,
// like the national calendar (CalendarCache). Reads inside a transaction
// are not part of its snapshot; that is harmless here: the rows are
// reference data, and the transactions run at READ COMMITTED anyway.
//
// A library missing from the snapshot (added since it was loaded) is read
// from the database directly. When a reload fails the previous snapshot is
// served. Safe for concurrent use.
type Directory struct {
	DB  *sqlx.DB
	TTL time.Duration

	snap reloading[*directorySnapshot]

	mu    sync.Mutex
	facts map[string]cachedFacts // lenders' routing history, per library
}

type cachedFacts struct {
	lenderFacts
	at time.Time
}

type directorySnapshot struct {
	libs     map[string]*ill.Library
	closures map[string][]ill.DateRange
	ncip     map[string]*ill.NCIPMember // members with an NCIP registration
}

func (d *Directory) get(ctx context.Context) (*directorySnapshot, error) {
	return d.snap.get(d.TTL, func() (*directorySnapshot, error) { return loadDirectory(ctx, d.DB) })
}

// Forget drops the snapshot: the next read reloads it. The Store's own
// writes to libraries and closures call it, so a process sees its own
// changes at once; other processes see them within TTL.
func (d *Directory) Forget() {
	if d != nil {
		d.snap.forget()
	}
}

// directoryLibrariesSQL, directoryClosuresSQL and directoryNCIPSQL read
// the whole directory: every library, every closure, every NCIP
// registration. Locks: none.
const (
	directoryLibrariesSQL = `SELECT ` + libraryColumns + ` FROM libraries`
	directoryClosuresSQL  = `SELECT library_code, from_day, to_day FROM closures
	ORDER BY library_code, from_day`
	directoryNCIPSQL = `SELECT library_code, endpoint, from_agency, to_agency FROM ncip_members`
)

func loadDirectory(ctx context.Context, db *sqlx.DB) (*directorySnapshot, error) {
	var ls []libraryRow
	if err := db.SelectContext(ctx, &ls, directoryLibrariesSQL); err != nil {
		return nil, err
	}
	var cs []closureRow
	if err := db.SelectContext(ctx, &cs, directoryClosuresSQL); err != nil {
		return nil, err
	}
	var ns []ncipMemberRow
	if err := db.SelectContext(ctx, &ns, directoryNCIPSQL); err != nil {
		return nil, err
	}
	snap := &directorySnapshot{libs: make(map[string]*ill.Library, len(ls)), closures: map[string][]ill.DateRange{},
		ncip: make(map[string]*ill.NCIPMember, len(ns))}
	for _, r := range ns {
		snap.ncip[strings.ToUpper(r.Code)] = r.domain()
	}
	for _, r := range ls {
		l := r.domain()
		snap.libs[l.Code] = &l
	}
	for _, c := range cs {
		snap.closures[c.Library] = append(snap.closures[c.Library], toRange(c))
	}
	return snap, nil
}

// UseDirectory makes the store's reads of libraries and closures (Library,
// Closures, ClosuresOf, ISOMember, CourierStops, on Store and on Tx) serve
// from a Directory refreshed every ttl. ttl ≤ 0 leaves every read to the
// database. Call it once, before the store is shared.
func (s *Store) UseDirectory(ttl time.Duration) {
	if ttl <= 0 {
		s.dir = nil
		return
	}
	s.dir = &Directory{DB: s.DB, TTL: ttl}
}

// library returns a copy of the cached row of code; ok is false when there
// is no directory or the library is not in its snapshot.
func (d *Directory) library(ctx context.Context, code string) (*ill.Library, bool, error) {
	if d == nil {
		return nil, false, nil
	}
	snap, err := d.get(ctx)
	if err != nil {
		return nil, false, err
	}
	l, ok := snap.libs[code]
	if !ok {
		return nil, false, nil
	}
	c := *l
	return &c, true, nil
}

// closures returns the cached closures of the given libraries; ok is false
// without a directory or when one of them is not in the snapshot.
func (d *Directory) closures(ctx context.Context, codes ...string) (map[string][]ill.DateRange, bool, error) {
	if d == nil {
		return nil, false, nil
	}
	snap, err := d.get(ctx)
	if err != nil {
		return nil, false, err
	}
	out := make(map[string][]ill.DateRange, len(codes))
	for _, c := range codes {
		if _, ok := snap.libs[c]; !ok {
			return nil, false, nil
		}
		if cl := snap.closures[c]; len(cl) > 0 {
			out[c] = cl // shared, read-only
		}
	}
	return out, true, nil
}

// lenderFacts returns the routing history of libs as of at: from memory
// for libraries read less than TTL ago, the others in one query through q
// (the caller's transaction). Without a directory every call reads.
func (d *Directory) lenderFacts(ctx context.Context, q sqlx.QueryerContext, libs []string, at time.Time) (map[string]lenderFacts, error) {
	if d == nil {
		return loadLenderFacts(ctx, q, libs, at)
	}
	out := make(map[string]lenderFacts, len(libs))
	var missing []string
	now := time.Now()
	d.mu.Lock()
	for _, l := range libs {
		if f, ok := d.facts[l]; ok && now.Sub(f.at) < d.TTL {
			out[l] = f.lenderFacts
		} else {
			missing = append(missing, l)
		}
	}
	d.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	fresh, err := loadLenderFacts(ctx, q, missing, at)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.facts == nil {
		d.facts = map[string]cachedFacts{}
	}
	for _, l := range missing {
		out[l] = fresh[l]
		d.facts[l] = cachedFacts{lenderFacts: fresh[l], at: now}
	}
	d.mu.Unlock()
	return out, nil
}

// ncipMembers returns the cached NCIP registrations of codes (those with
// none are absent); ok is false when there is no directory.
func (d *Directory) ncipMembers(ctx context.Context, codes []string) (map[string]*ill.NCIPMember, bool, error) {
	if d == nil {
		return nil, false, nil
	}
	snap, err := d.get(ctx)
	if err != nil {
		return nil, false, err
	}
	out := map[string]*ill.NCIPMember{}
	for _, c := range codes {
		if m, ok := snap.ncip[strings.ToUpper(c)]; ok && c != "" {
			cp := *m
			out[strings.ToUpper(c)] = &cp
		}
	}
	return out, true, nil
}
