// Package memstore is an in-memory implementation of illhub's ports
// (ill/ports.go): a Store holding libraries, keys, readers, staff
// accounts, sessions, requests, the catalogue, shipments, courier runs
// and review entries, and a Publisher that keeps what it was given. It
// lets the use cases (package app), the HTTP adapters and the console be
// unit-tested without MariaDB or RabbitMQ.
//
// It keeps each port's contract (not_found, forbidden and conflict where
// mysql answers them, the library scoping, the orders) but none of the
// storage's work: no locks, no search index (a search matches words in
// titles and authors), no transactions. The real-database tests (mysql,
// service, web) remain the proof that mysql.Store keeps the same
// contracts. Test data is put in with the Put methods; every value is
// copied in and out.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balis/illhub/ill"
)

// Store is the in-memory storage. The zero value is empty and ready;
// safe for concurrent use.
type Store struct {
	mu         sync.Mutex
	fail       error
	libraries  map[string]ill.Library // by upper-case code
	keys       map[string]ill.Principal
	couriers   map[string]bool
	readers    map[[2]string]ill.Reader // by upper-case library and card
	staff      map[[2]string]ill.Staff  // by upper-case library and user name
	sessions   map[string]ill.Session   // by id hash
	requests   map[string]*ill.Request
	records    map[int64]ill.Record
	holdings   map[int64][]ill.HoldingView
	localIDs   map[[2]string]int64 // library, local id → record
	conflicts  []ill.Conflict
	shipments  []ill.Shipment
	runs       map[int64]ill.CourierRun
	manifests  map[int64][]ill.ManifestItem
	reviews    []ill.ReviewItem
	violations []ill.ViolationRow
	isoLog     []ill.ISOMessage
	desk       deskData  // the ILL desk's deposit log and the notices (desk.go)
	notes      notesData // notes between libraries and read marks (notes.go)
	// the centre's administration and announcements (admin.go)
	admin adminState
	// the lenders' fee rules history (money.go)
	money moneyState
	// the monthly summary's schedule (reports.go)
	reportSchedule *ill.ReportSchedule
	ncip           map[string]ill.NCIPMember // NCIP registrations by upper-case code (ncip.go)
}

// Fail makes every read and write answer err from now on (nil: work
// again): a lost database is ill.Errorf(ill.CodeUnavailable, ...).
func (s *Store) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// lock takes the store's lock and returns the injected failure, if any.
func (s *Store) lock() error {
	s.mu.Lock()
	return s.fail
}

func notFound(what, id string) error {
	return &ill.Error{Code: ill.CodeNotFound, Message: fmt.Sprintf("%s %q not found", what, id)}
}

// Ping reports the injected failure (readiness).
func (s *Store) Ping(context.Context) error {
	err := s.lock()
	s.mu.Unlock()
	return err
}

// PutLibrary adds or replaces member library l (with ill.Library
// defaults, as mysql stores it).
func (s *Store) PutLibrary(l ill.Library) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.libraries == nil {
		s.libraries = map[string]ill.Library{}
	}
	s.libraries[strings.ToUpper(l.Code)] = l.WithDefaults()
}

// Library implements ill.Directory.
func (s *Store) Library(_ context.Context, code string) (*ill.Library, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	l, ok := s.libraries[strings.ToUpper(code)]
	if !ok {
		return nil, notFound("library", code)
	}
	return &l, nil
}

// Libraries implements ill.Directory.
func (s *Store) Libraries(context.Context) ([]ill.Library, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.Library
	for _, l := range s.libraries {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b ill.Library) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// LibraryNames implements ill.Directory.
func (s *Store) LibraryNames(context.Context) (map[string][2]string, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make(map[string][2]string, len(s.libraries))
	for _, l := range s.libraries {
		out[l.Code] = [2]string{l.NameZH, strings.TrimSpace(l.NameEN)}
	}
	return out, nil
}

// ISOMemberBySymbol implements ill.Directory.
func (s *Store) ISOMemberBySymbol(_ context.Context, symbol string) (*ill.ISOMember, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, l := range s.libraries {
		if strings.EqualFold(l.ISOSymbol, symbol) {
			return l.ISOMember(), nil
		}
	}
	return nil, notFound("library", "")
}

// PutKey makes key an API key of p (stored, as in mysql, by its hash).
func (s *Store) PutKey(key string, p ill.Principal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]ill.Principal{}
	}
	s.keys[ill.HashKey(key)] = p
}

// PutCourierKey makes key a live courier credential.
func (s *Store) PutCourierKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.couriers == nil {
		s.couriers = map[string]bool{}
	}
	s.couriers[ill.HashKey(key)] = true
}

// PrincipalByKeyHash implements ill.Accounts.
func (s *Store) PrincipalByKeyHash(_ context.Context, hash string) (ill.Principal, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return ill.Principal{}, err
	}
	p, ok := s.keys[hash]
	if !ok {
		return ill.Principal{}, notFound("api key", "")
	}
	return p, nil
}

// CourierKeyValid implements ill.Accounts.
func (s *Store) CourierKeyValid(_ context.Context, hash string) (bool, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return false, err
	}
	return s.couriers[hash], nil
}

// PutReader implements ill.Accounts.
func (s *Store) PutReader(_ context.Context, r ill.Reader, _ time.Time) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.readers == nil {
		s.readers = map[[2]string]ill.Reader{}
	}
	k := [2]string{strings.ToUpper(r.Library), strings.ToUpper(r.ID)}
	if old, ok := s.readers[k]; ok {
		if r.PINHash == "" {
			r.PINHash = old.PINHash
		}
		if r.Category == "" {
			r.Category = old.Category
		}
	}
	s.readers[k] = r
	return nil
}

// Reader implements ill.Accounts.
func (s *Store) Reader(_ context.Context, library, id string) (ill.Reader, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return ill.Reader{}, err
	}
	r, ok := s.readers[[2]string{strings.ToUpper(library), strings.ToUpper(id)}]
	if !ok {
		return ill.Reader{}, notFound("reader", id)
	}
	return r, nil
}

// PutStaff implements ill.Accounts.
func (s *Store) PutStaff(_ context.Context, u ill.Staff) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.staff == nil {
		s.staff = map[[2]string]ill.Staff{}
	}
	k := [2]string{strings.ToUpper(u.Library), strings.ToUpper(u.Username)}
	if old, ok := s.staff[k]; ok && u.PasswordHash == "" {
		u.PasswordHash = old.PasswordHash
	}
	s.staff[k] = u
	return nil
}

// StaffUser implements ill.Accounts.
func (s *Store) StaffUser(_ context.Context, library, username string) (ill.Staff, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return ill.Staff{}, err
	}
	u, ok := s.staff[[2]string{strings.ToUpper(library), strings.ToUpper(username)}]
	if !ok {
		return ill.Staff{}, notFound("staff user", username)
	}
	return u, nil
}

// LogISOMessage implements ill.ISOLog.
func (s *Store) LogISOMessage(_ context.Context, m ill.ISOMessage) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	m.ID = int64(len(s.isoLog) + 1)
	s.isoLog = append(s.isoLog, m)
	return nil
}

// ISOMessages returns the logged ISO 18626 messages, in order.
func (s *Store) ISOMessages() []ill.ISOMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.isoLog)
}

// Store implements every storage port, and the database's readiness.
var (
	_ ill.Requests  = (*Store)(nil)
	_ ill.Directory = (*Store)(nil)
	_ ill.Catalogue = (*Store)(nil)
	_ ill.Courier   = (*Store)(nil)
	_ ill.Accounts  = (*Store)(nil)
	_ ill.Sessions  = (*Store)(nil)
	_ ill.Worklists = (*Store)(nil)
	_ ill.ISOLog    = (*Store)(nil)
	_ ill.Publisher = (*Publisher)(nil)
)
