package httpapi

// Money endpoints for member systems: the violations of R11 with their
// settlement state, and settling one (the lender or the centre).

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// moneyRoutes registers the money routes (member and centre keys).
func (s *Server) moneyRoutes(m *http.ServeMux) {
	s.route(m, "GET /v1/violations", s.listViolations)
	s.route(m, "POST /v1/violations/{id}/settle", s.settleViolation)
}

// settledViolationView is a violation with its settlement, as the money
// endpoints answer it: the report's fields (violationView) and the
// settlement's.
type settledViolationView struct {
	violationView
	State      string  `json:"state"`
	SettledBy  string  `json:"settled_by"`
	SettledAt  *string `json:"settled_at"`
	SettleNote string  `json:"settle_note"`
}

func settledView(v ill.ViolationRow) settledViolationView {
	return settledViolationView{violationView: newViolationView(v), State: string(v.Status()), SettledBy: v.SettledBy,
		SettledAt: optTime(v.SettledAt), SettleNote: v.SettleNote}
}

// listViolations: GET /v1/violations?state=&kind=&month=YYYY-MM&role=lender|borrower&request_id=[&library= centre]
// the violations the caller is lender or borrower of (the centre: all, or
// one library's), oldest first, with their settlement and the totals.
func (s *Server) listViolations(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	get := func(k string) string { return strings.TrimSpace(qv.Get(k)) }
	q := ill.ViolationQuery{Library: get("library"), Role: get("role"), State: ill.SettlementState(get("state")),
		Kind: get("kind"), RequestID: get("request_id")}
	if m := get("month"); m != "" {
		from, to, err := ill.ParseMonth(m)
		if err != nil {
			return err
		}
		q.From, q.To = from, to
	}
	rows, err := s.App.ViolationList(r.Context(), principalOf(r), q)
	if err != nil {
		return err
	}
	out := make([]settledViolationView, 0, len(rows))
	for _, v := range rows {
		out = append(out, settledView(v))
	}
	byState, byKind, all := ill.ViolationTotals(rows)
	totals := func(ts []ill.ViolationTotal) map[string]any {
		m := map[string]any{}
		for _, t := range ts {
			m[t.Key] = map[string]any{"count": t.Count, "amount_fen": t.AmountFen, "amount_cny": ill.FormatCNY(t.AmountFen)}
		}
		return m
	}
	writeJSON(w, http.StatusOK, map[string]any{"currency": "CNY", "total": all.Count, "amount_fen": all.AmountFen,
		"amount_cny": ill.FormatCNY(all.AmountFen), "by_state": totals(byState), "by_kind": totals(byKind), "results": out})
	return nil
}

// settleViolation: POST /v1/violations/{id}/settle {"state": "paid"|"waived", "note"}
// the lender (or the centre) settles a violation once: 200 with the
// violation as stored; 403 for the borrower, 404 for anyone else, 409 when
// it was settled already.
func (s *Server) settleViolation(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return ill.Errorf(ill.CodeNotFound, "violation %q not found", r.PathValue("id"))
	}
	var b app.SettleBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	p := principalOf(r)
	v, err := s.App.SettleViolation(r.Context(), p, ill.SettledByName(p.Library, ""), id, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settledView(v))
	return nil
}
