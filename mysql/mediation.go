package mysql

// Mediation (ill.Mediations): the search URL templates the centre edits
// (opac_templates), the requests escalated because nobody mediated them
// within their deadline and the mediation spells the reports count
// (requests, events), and the routing facts of a page of catalogue
// records (holdings, libraries) for the portal's scope marks.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// opacTemplatesSQL lists the stored templates. Locks: none.
const opacTemplatesSQL = `SELECT kind, code, url_template, updated_by, updated_at FROM opac_templates ORDER BY kind, code`

// putOPACTemplateSQL stores one template, replacing the one of its kind
// and code. Locks: that primary-key row, for the statement (autocommit).
const putOPACTemplateSQL = `INSERT INTO opac_templates (kind, code, url_template, updated_by, updated_at)
	VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE url_template = VALUES(url_template),
	updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`

// deleteOPACTemplateSQL removes one template. Locks: that row, for the
// statement (autocommit).
const deleteOPACTemplateSQL = `DELETE FROM opac_templates WHERE kind = ? AND code = ?`

// OPACTemplates implements ill.Mediations.
func (s *Store) OPACTemplates(ctx context.Context) ([]ill.OPACTemplate, error) {
	var rows []struct {
		Kind      string    `db:"kind"`
		Code      string    `db:"code"`
		URL       string    `db:"url_template"`
		UpdatedBy string    `db:"updated_by"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	if err := s.DB.SelectContext(ctx, &rows, opacTemplatesSQL); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.OPACTemplate, len(rows))
	for i, r := range rows {
		out[i] = ill.OPACTemplate{Kind: r.Kind, Code: r.Code, URL: r.URL, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// PutOPACTemplate implements ill.Mediations.
func (s *Store) PutOPACTemplate(ctx context.Context, t ill.OPACTemplate) error {
	var err error
	if t.URL == "" {
		_, err = s.DB.ExecContext(ctx, deleteOPACTemplateSQL, t.Kind, t.Code)
	} else {
		_, err = s.DB.ExecContext(ctx, putOPACTemplateSQL, t.Kind, t.Code, t.URL, truncate(t.UpdatedBy, 64), t.UpdatedAt.UTC())
	}
	return classify(err)
}

// countEscalatedSQL and escalatedSQL are the requests waiting in
// NEEDS_MEDIATION past their mediation deadline (ix_requests_state_respond);
// %s is " AND borrower = ?" for one library, "" for all. Locks: none.
const (
	countEscalatedSQL = `SELECT COUNT(*) FROM requests WHERE state = 'NEEDS_MEDIATION' AND respond_by < ?%s`
	escalatedSQL      = `SELECT ` + requestColumns + ` FROM requests
	WHERE state = 'NEEDS_MEDIATION' AND respond_by < ?%s ORDER BY respond_by, id LIMIT ?`
	escalatedBorrower = ` AND borrower = ?`
)

// EscalatedMediations implements ill.Mediations.
func (s *Store) EscalatedMediations(ctx context.Context, library string, now time.Time, limit int) (_ []*ill.Request, _ int, err error) {
	defer func() { err = classify(err) }()
	cond, args := "", []any{now.UTC()}
	if library != "" {
		cond, args = escalatedBorrower, append(args, library)
	}
	var total int
	if err := s.DB.GetContext(ctx, &total, fmt.Sprintf(countEscalatedSQL, cond), args...); err != nil {
		return nil, 0, err
	}
	var rows []requestRow
	if err := s.DB.SelectContext(ctx, &rows, fmt.Sprintf(escalatedSQL, cond), append(args, limit)...); err != nil {
		return nil, 0, err
	}
	out := make([]*ill.Request, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// mediationSpellsSQL lists the stays in NEEDS_MEDIATION of the requests
// submitted in [from, to) (a request is held when its submit is
// processed, at its submission time; ix_requests_borrower_time for one
// library): the line into NEEDS_MEDIATION, the first line out of it after
// that, and the stored deadline while the request still waits. %s is
// " AND r.borrower = ?" for one library. Locks: none.
const mediationSpellsSQL = `SELECT e.request_id, r.borrower, r.title, e.at AS held_at,
	(SELECT MIN(x.at) FROM events x WHERE x.request_id = e.request_id AND x.id > e.id
	   AND x.from_state = 'NEEDS_MEDIATION' AND x.to_state <> 'NEEDS_MEDIATION') AS left_at,
	CASE WHEN r.state = 'NEEDS_MEDIATION' THEN r.respond_by END AS deadline
FROM requests r JOIN events e ON e.request_id = r.id
WHERE r.submitted_at >= ? AND r.submitted_at < ?%s
	AND e.to_state = 'NEEDS_MEDIATION' AND e.from_state <> 'NEEDS_MEDIATION'
ORDER BY e.at, e.request_id`

const spellsBorrower = ` AND r.borrower = ?`

// MediationSpells implements ill.Mediations.
func (s *Store) MediationSpells(ctx context.Context, library string, from, to time.Time) ([]ill.MediationSpell, error) {
	cond, args := "", []any{from.UTC(), to.UTC()}
	if library != "" {
		cond, args = spellsBorrower, append(args, library)
	}
	var rows []struct {
		RequestID string       `db:"request_id"`
		Borrower  string       `db:"borrower"`
		Title     string       `db:"title"`
		HeldAt    time.Time    `db:"held_at"`
		LeftAt    sql.NullTime `db:"left_at"`
		Deadline  sql.NullTime `db:"deadline"`
	}
	if err := s.DB.SelectContext(ctx, &rows, fmt.Sprintf(mediationSpellsSQL, cond), args...); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.MediationSpell, len(rows))
	for i, r := range rows {
		out[i] = ill.MediationSpell{RequestID: r.RequestID, Borrower: r.Borrower, Title: r.Title, HeldAt: r.HeldAt,
			LeftAt: r.LeftAt.Time, Deadline: r.Deadline.Time}
	}
	return out, nil
}

// routingHoldingsSQL sums each member's holdings of the records in the IN
// list (expanded by sqlx.In) with whether the member lends, as routing
// reads them (candidatesSQL). Locks: none.
const routingHoldingsSQL = `SELECT h.record_id, h.library_code AS library, SUM(h.available) AS available,
	MAX(h.lendable) AS lendable, MAX(l.lending) AS lending
FROM holdings h JOIN libraries l ON l.code = h.library_code
WHERE h.record_id IN (?) GROUP BY h.record_id, h.library_code`

// RoutingHoldings implements ill.Mediations.
func (s *Store) RoutingHoldings(ctx context.Context, records []int64, borrower string) (map[int64]ill.RecordRouting, error) {
	out := make(map[int64]ill.RecordRouting, len(records))
	if len(records) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(routingHoldingsSQL, records)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		RecordID  int64  `db:"record_id"`
		Library   string `db:"library"`
		Available int    `db:"available"`
		Lendable  bool   `db:"lendable"`
		Lending   bool   `db:"lending"`
	}
	if err := s.DB.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, classify(err)
	}
	for _, r := range rows {
		rr := out[r.RecordID]
		if r.Lending {
			rr.Candidates = append(rr.Candidates, ill.Candidate{Library: r.Library, Available: r.Available, Lendable: r.Lendable})
		}
		if borrower != "" && r.Library == borrower && r.Available > 0 {
			rr.HeldLocally = true
		}
		out[r.RecordID] = rr
	}
	return out, nil
}
