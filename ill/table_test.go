package ill_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/balis/illhub/ill"
)

// The expectations in this file are written out from SPEC §3 by hand. They
// deliberately do not read ill.Table, so that a wrong row in the table is
// caught rather than copied.

// abbrev maps the short names used in specMatrix to states.
var abbrev = map[string]ill.State{
	"SUB": ill.Submitted, "MED": ill.NeedsMediation, "REQ": ill.Requested, "WS": ill.WillSupply,
	"CP": ill.CancelPending, "SHP": ill.Shipped, "RCV": ill.Received, "LOAN": ill.OnLoan,
	"RCL": ill.Recalled, "OVD": ill.Overdue, "RET": ill.Returned, "RSH": ill.ReturnShipped,
	"CMP": ill.Completed, "UNF": ill.Unfilled, "REJ": ill.Rejected, "CAN": ill.Cancelled,
	"LOST": ill.Lost, "DEL": ill.Delivered,
}

// specColumn is one (action, variant) column of specMatrix and the roles
// SPEC §3's "by" column grants it.
type specColumn struct {
	action  ill.Action
	variant ill.Variant
	by      []ill.Role
}

var (
	roleB  = []ill.Role{ill.RoleBorrower}
	roleL  = []ill.Role{ill.RoleLender}
	roleBC = []ill.Role{ill.RoleBorrower, ill.RoleCentre}
	roleBL = []ill.Role{ill.RoleBorrower, ill.RoleLender}
)

// specColumns are the columns of specMatrix, in order.
var specColumns = []specColumn{
	{ill.ActMediate, "", roleBC},           // borrowing library or centre
	{ill.ActRespond, "will_supply", roleL}, // current lender
	{ill.ActRespond, "unfilled", roleL},    // current lender
	{ill.ActShip, "", roleL},               // current lender
	{ill.ActReceive, "", roleB},            // borrowing library
	{ill.ActCheckout, "", roleB},           // borrowing library
	{ill.ActRecall, "", roleL},             // lender
	{ill.ActRenew, "", roleB},              // borrowing library (always refused)
	{ill.ActReturn, "", roleB},             // borrowing library
	{ill.ActShipReturn, "", roleB},         // borrowing library
	{ill.ActCheckin, "", roleL},            // lender
	{ill.ActCancel, "reader", roleB},       // borrowing library (R12)
	{ill.ActCancel, "staff", roleB},        // borrowing library only (R12)
	{ill.ActCancelResponse, "yes", roleL},  // lender
	{ill.ActCancelResponse, "no", roleL},   // lender
	{ill.ActReportLost, "", roleBL},        // borrowing library or lender
	{ill.ActDeliver, "", roleL},            // current lender, copies only (SPEC 5.4)
}

// specMatrix is SPEC §3 written out: one row per state, one cell per
// column of specColumns. A cell is the target state ("+" when the rota
// decides: REQUESTED at the next lender or UNFILLED), "." for
// invalid_transition, or "R5" for renewal_not_allowed. Reader cancels are
// shown as they are inside the 1-hour window. These are loans: deliver is
// never allowed (copy_test.go has the copy requests' matrix).
const specMatrix = `
state med  r:ws r:unf ship rcv  chkout recall renew return shipret chkin c:rdr c:stf cr:y cr:n lost dlv
SUB   .    .    .     .    .    .      .      R5    .      .       .     CAN   CAN   .    .    .  .
MED   REQ+ .    .     .    .    .      .      R5    .      .       .     CAN   CAN   .    .    .  .
REQ   .    WS   REQ+  .    .    .      .      R5    .      .       .     CAN   CAN   .    .    .  .
WS    .    .    REQ+  SHP  .    .      .      R5    .      .       .     CP    CP    .    .    .  .
CP    .    .    .     .    .    .      .      R5    .      .       .     .     .     CAN  WS   .  .
SHP   .    .    .     .    RCV  .      .      R5    .      .       .     .     .     .    .    LOST  .
RCV   .    .    .     .    .    LOAN   RCL    R5    .      .       .     .     .     .    .    LOST  .
LOAN  .    .    .     .    .    .      RCL    R5    RET    .       .     .     .     .    .    LOST  .
RCL   .    .    .     .    .    .      .      R5    RET    .       .     .     .     .    .    LOST  .
OVD   .    .    .     .    .    .      RCL    R5    RET    .       .     .     .     .    .    LOST  .
RET   .    .    .     .    .    .      .      R5    .      RSH     .     .     .     .    .    LOST  .
RSH   .    .    .     .    .    .      .      R5    .      .       CMP   .     .     .    .    LOST  .
DEL   .    .    .     .    .    .      .      R5    .      .       .     .     .     .    .    .     .
CMP   .    .    .     .    .    .      .      R5    .      .       .     .     .     .    .    .  .
UNF   .    .    .     .    .    .      .      R5    .      .       .     .     .     .    .    .  .
REJ   .    .    .     .    .    .      .      R5    .      .       .     .     .     .    .    .  .
CAN   .    .    .     .    .    .      .      R5    .      .       .     .     .     .    .    .  .
LOST  .    .    .     .    .    .      .      R5    .      .       .     .     .     .    .    .  .
`

// expectCell is the parsed meaning of one cell.
type expectCell struct {
	to      ill.State // zero when refused
	routes  bool
	renewal bool
}

func parseSpecMatrix(t *testing.T) map[ill.State][]expectCell {
	t.Helper()
	out := map[ill.State][]expectCell{}
	lines := strings.Split(strings.TrimSpace(specMatrix), "\n")
	if got := len(strings.Fields(lines[0])) - 1; got != len(specColumns) {
		t.Fatalf("matrix header has %d columns, specColumns %d", got, len(specColumns))
	}
	for _, ln := range lines[1:] {
		f := strings.Fields(ln)
		st, ok := abbrev[f[0]]
		if !ok {
			t.Fatalf("matrix: unknown state %q", f[0])
		}
		if len(f)-1 != len(specColumns) {
			t.Fatalf("matrix row %s has %d cells, want %d", f[0], len(f)-1, len(specColumns))
		}
		var row []expectCell
		for _, c := range f[1:] {
			var e expectCell
			switch {
			case c == ".":
			case c == "R5":
				e.renewal = true
			default:
				if strings.HasSuffix(c, "+") {
					e.routes = true
					c = strings.TrimSuffix(c, "+")
				}
				to, ok := abbrev[c]
				if !ok {
					t.Fatalf("matrix: unknown cell %q in row %s", c, f[0])
				}
				e.to = to
			}
			row = append(row, e)
		}
		if _, dup := out[st]; dup {
			t.Fatalf("matrix: duplicate row %s", f[0])
		}
		out[st] = row
	}
	return out
}

// roleSets are the caller capacities tried against every cell.
var roleSets = [][]ill.Role{
	nil,
	{ill.RoleBorrower},
	{ill.RoleLender},
	{ill.RoleCentre},
	{ill.RoleSystem},
	{ill.RoleBorrower, ill.RoleCentre},
	{ill.RoleLender, ill.RoleCentre},
}

func codeOf(err error) ill.Code {
	var e *ill.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "<not *ill.Error>"
}

func TestMatrixCoversEveryStateAndAPIAction(t *testing.T) {
	m := parseSpecMatrix(t)
	for _, s := range ill.States {
		if _, ok := m[s]; !ok {
			t.Errorf("spec matrix lacks a row for %s", s)
		}
	}
	if len(m) != len(ill.States) {
		t.Errorf("spec matrix has %d rows, ill.States %d", len(m), len(ill.States))
	}
	// Every API action and each of its variants has exactly one column.
	var cols []string
	for _, a := range ill.APIActions {
		for _, v := range ill.Variants(a) {
			cols = append(cols, string(a)+"/"+string(v))
		}
	}
	var want []string
	for _, c := range specColumns {
		want = append(want, string(c.action)+"/"+string(c.variant))
	}
	if !slices.Equal(cols, want) {
		t.Errorf("API actions × variants\n got %v\nwant %v", cols, want)
	}
}

func TestVariants(t *testing.T) {
	want := map[ill.Action][]ill.Variant{
		ill.ActMediate: {""}, ill.ActRespond: {"will_supply", "unfilled"}, ill.ActShip: {""},
		ill.ActReceive: {""}, ill.ActCheckout: {""}, ill.ActRecall: {""}, ill.ActRenew: {""},
		ill.ActReturn: {""}, ill.ActShipReturn: {""}, ill.ActCheckin: {""},
		ill.ActCancel: {"reader", "staff"}, ill.ActCancelResponse: {"yes", "no"}, ill.ActReportLost: {""},
	}
	for a, w := range want {
		if got := ill.Variants(a); !slices.Equal(got, w) {
			t.Errorf("Variants(%s) = %q, want %q", a, got, w)
		}
	}
	if got := ill.Variants("fly"); len(got) != 0 {
		t.Errorf("Variants(fly) = %q, want none", got)
	}
	wantAPI := []ill.Action{"mediate", "respond", "ship", "receive", "checkout", "recall", "renew",
		"return", "ship_return", "checkin", "cancel", "cancel_response", "report_lost", "deliver"}
	if !slices.Equal(ill.APIActions, wantAPI) {
		t.Errorf("APIActions = %v, want SPEC 5.1's and 5.4's %v", ill.APIActions, wantAPI)
	}
	for _, a := range wantAPI {
		if !ill.IsAPIAction(a) {
			t.Errorf("IsAPIAction(%s) = false", a)
		}
	}
	for _, a := range []ill.Action{ill.ActSubmit, ill.ActRoute, ill.ActHold, ill.ActReject,
		ill.ActRespondTimeout, ill.ActShipTimeout, ill.ActMarkOverdue, "", "RESPOND"} {
		if ill.IsAPIAction(a) {
			t.Errorf("IsAPIAction(%q) = true, want false", a)
		}
	}
}

// TestDecideMatrix checks Decide for every state × API action × variant ×
// role set, inside and outside the reader's cancel window.
func TestDecideMatrix(t *testing.T) {
	m := parseSpecMatrix(t)
	sub := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	windows := []struct {
		name   string
		at     time.Time
		inside bool
	}{
		{"10m", sub.Add(10 * time.Minute), true},
		{"5h", sub.Add(5 * time.Hour), false},
	}
	n := 0
	for _, s := range ill.States {
		row := m[s]
		for ci, col := range specColumns {
			cell := row[ci]
			for _, roles := range roleSets {
				for _, w := range windows {
					n++
					name := fmt.Sprintf("%s/%s/%s/%v/%s", s, col.action, col.variant, roles, w.name)
					tr, err := ill.Decide(ill.Attempt{Action: col.action, Variant: col.variant, From: s,
						Roles: roles, At: w.at, SubmittedAt: sub})
					rule := tr.Rule
					permitted := false
					for _, r := range roles {
						if slices.Contains(col.by, r) {
							permitted = true
						}
					}
					var wantCode ill.Code
					switch {
					case !permitted:
						wantCode = ill.CodeForbidden // 403 takes precedence over any 409
					case cell.renewal:
						wantCode = ill.CodeRenewalNotAllowed
					case cell.to == "":
						wantCode = ill.CodeInvalidTransition
					case col.variant == "reader" && !w.inside:
						wantCode = ill.CodeCancelWindow
					}
					if wantCode != "" {
						if err == nil {
							t.Errorf("%s: allowed (→ %s), want %s", name, rule.To, wantCode)
							continue
						}
						if c := codeOf(err); c != wantCode {
							t.Errorf("%s: code %s (%v), want %s", name, c, err, wantCode)
							continue
						}
						var e *ill.Error
						errors.As(err, &e)
						if wantCode == ill.CodeInvalidTransition {
							if e.State != s {
								t.Errorf("%s: Error.State = %q, want %q", name, e.State, s)
							}
							if !strings.Contains(e.Message, string(s)) || !strings.Contains(err.Error(), string(s)) {
								t.Errorf("%s: message %q does not name the state", name, err)
							}
						}
						if wantCode == ill.CodeRenewalNotAllowed || wantCode == ill.CodeCancelWindow {
							if e.State != s {
								t.Errorf("%s: Error.State = %q, want %q", name, e.State, s)
							}
						}
						continue
					}
					if err != nil {
						t.Errorf("%s: refused (%v), want → %s", name, err, cell.to)
						continue
					}
					if rule.To != cell.to || rule.Routes != cell.routes {
						t.Errorf("%s: → %s (routes %v), want → %s (routes %v)", name, rule.To, rule.Routes, cell.to, cell.routes)
					}
					if rule.Action != col.action || rule.Variant != col.variant {
						t.Errorf("%s: rule for %s/%s", name, rule.Action, rule.Variant)
					}
					if !slices.Contains(rule.From, s) {
						t.Errorf("%s: returned rule does not list %s in From", name, s)
					}
				}
			}
		}
	}
	if n != len(ill.States)*len(specColumns)*len(roleSets)*len(windows) {
		t.Fatalf("checked %d cells", n)
	}
}

// systemMatrix is the hub's own transitions: the submit row of SPEC §3
// (SUBMITTED → REQUESTED / NEEDS_MEDIATION / REJECTED / UNFILLED) and the
// deadline timers of R8/R9 and overdue marking.
var systemMatrix = []struct {
	action ill.Action
	from   map[ill.State]ill.State
	routes bool
}{
	// A mediated request given a record is checked and routed like a new one.
	{ill.ActRoute, map[ill.State]ill.State{ill.Submitted: ill.Requested, ill.NeedsMediation: ill.Requested}, true},
	{ill.ActHold, map[ill.State]ill.State{ill.Submitted: ill.NeedsMediation}, false},
	{ill.ActReject, map[ill.State]ill.State{ill.Submitted: ill.Rejected, ill.NeedsMediation: ill.Rejected}, false},
	{ill.ActRespondTimeout, map[ill.State]ill.State{ill.Requested: ill.Requested}, true},
	{ill.ActShipTimeout, map[ill.State]ill.State{ill.WillSupply: ill.Requested}, true},
	{ill.ActMarkOverdue, map[ill.State]ill.State{ill.OnLoan: ill.Overdue, ill.Recalled: ill.Overdue}, false},
}

func TestDecideSystemActions(t *testing.T) {
	for _, sa := range systemMatrix {
		for _, s := range ill.States {
			for _, roles := range roleSets {
				name := fmt.Sprintf("%s/%s/%v", sa.action, s, roles)
				tr, err := ill.Decide(ill.Attempt{Action: sa.action, From: s, Roles: roles})
				rule := tr.Rule
				switch to, ok := sa.from[s]; {
				case !slices.Contains(roles, ill.RoleSystem):
					if codeOf(err) != ill.CodeForbidden {
						t.Errorf("%s: %v, want forbidden", name, err)
					}
				case !ok:
					if codeOf(err) != ill.CodeInvalidTransition {
						t.Errorf("%s: %v, want invalid_transition", name, err)
					}
				default:
					if err != nil || rule.To != to || rule.Routes != sa.routes {
						t.Errorf("%s: %+v %v, want → %s routes=%v", name, rule, err, to, sa.routes)
					}
				}
			}
		}
	}
}

func TestTableRowsNeverLeaveTerminalStates(t *testing.T) {
	for _, r := range ill.Table {
		for _, s := range r.From {
			if s.Terminal() {
				t.Errorf("rule %s/%s leaves terminal state %s", r.Action, r.Variant, s)
			}
			if !s.Valid() {
				t.Errorf("rule %s/%s has invalid From %q", r.Action, r.Variant, s)
			}
		}
		if r.Guard != ill.Never && !r.To.Valid() {
			t.Errorf("rule %s/%s has invalid To %q", r.Action, r.Variant, r.To)
		}
	}
}

func TestTerminalStatesAllowNothing(t *testing.T) {
	all := []ill.Role{ill.RoleBorrower, ill.RoleLender, ill.RoleCentre, ill.RoleSystem}
	actions := append(slices.Clone(ill.APIActions), ill.ActRoute, ill.ActHold, ill.ActReject,
		ill.ActRespondTimeout, ill.ActShipTimeout, ill.ActMarkOverdue)
	for _, s := range ill.States {
		if !s.Terminal() {
			continue
		}
		for _, a := range actions {
			for _, v := range ill.Variants(a) {
				_, err := ill.Decide(ill.Attempt{Action: a, Variant: v, From: s, Roles: all})
				if err == nil {
					t.Errorf("%s/%s allowed from terminal %s", a, v, s)
				}
			}
		}
	}
}

func TestRenewAlwaysRefused(t *testing.T) {
	for _, s := range ill.States {
		for _, roles := range [][]ill.Role{{ill.RoleBorrower}, {ill.RoleBorrower, ill.RoleCentre}, {ill.RoleBorrower, ill.RoleLender}} {
			_, err := ill.Decide(ill.Attempt{Action: ill.ActRenew, From: s, Roles: roles})
			if codeOf(err) != ill.CodeRenewalNotAllowed {
				t.Errorf("renew from %s by %v: %v, want renewal_not_allowed", s, roles, err)
			}
		}
		for _, roles := range [][]ill.Role{{ill.RoleLender}, {ill.RoleCentre}, {ill.RoleSystem}, nil} {
			_, err := ill.Decide(ill.Attempt{Action: ill.ActRenew, From: s, Roles: roles})
			if codeOf(err) != ill.CodeForbidden {
				t.Errorf("renew from %s by %v: %v, want forbidden", s, roles, err)
			}
		}
	}
}

func TestReaderCancelWindow(t *testing.T) {
	sub := time.Date(2026, 2, 13, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		from    ill.State
		after   time.Duration
		variant ill.Variant
		want    ill.State
		code    ill.Code
	}{
		{ill.Submitted, 0, "reader", ill.Cancelled, ""},
		{ill.Submitted, -time.Minute, "reader", ill.Cancelled, ""}, // clock skew: still inside
		{ill.Submitted, 59*time.Minute + 59*time.Second, "reader", ill.Cancelled, ""},
		{ill.Submitted, time.Hour, "reader", ill.Cancelled, ""},
		{ill.Submitted, time.Hour + time.Second, "reader", "", ill.CodeCancelWindow},
		{ill.Submitted, time.Hour + time.Nanosecond, "reader", "", ill.CodeCancelWindow},
		{ill.NeedsMediation, 30 * time.Minute, "reader", ill.Cancelled, ""},
		{ill.NeedsMediation, time.Hour + time.Second, "reader", "", ill.CodeCancelWindow},
		{ill.Requested, 30 * time.Minute, "reader", ill.Cancelled, ""},
		{ill.Requested, 48 * time.Hour, "reader", "", ill.CodeCancelWindow},
		{ill.WillSupply, 30 * time.Minute, "reader", ill.CancelPending, ""},
		{ill.WillSupply, time.Hour + time.Second, "reader", "", ill.CodeCancelWindow},
		{ill.Shipped, 30 * time.Minute, "reader", "", ill.CodeInvalidTransition}, // shipped: never
		{ill.Shipped, 3 * time.Hour, "reader", "", ill.CodeInvalidTransition},    // state checked first
		{ill.CancelPending, 30 * time.Minute, "reader", "", ill.CodeInvalidTransition},
		{ill.Submitted, time.Hour + time.Second, "staff", ill.Cancelled, ""}, // staff: any time
		{ill.Requested, 30 * 24 * time.Hour, "staff", ill.Cancelled, ""},
		{ill.WillSupply, 5 * time.Hour, "staff", ill.CancelPending, ""}, // lender must agree
		{ill.WillSupply, 10 * time.Minute, "staff", ill.CancelPending, ""},
		{ill.Shipped, 5 * time.Hour, "staff", "", ill.CodeInvalidTransition},
		{ill.CancelPending, 5 * time.Hour, "staff", "", ill.CodeInvalidTransition},
	}
	for _, c := range cases {
		tr, err := ill.Decide(ill.Attempt{Action: ill.ActCancel, Variant: c.variant, From: c.from,
			Roles: []ill.Role{ill.RoleBorrower}, At: sub.Add(c.after), SubmittedAt: sub})
		rule := tr.Rule
		name := fmt.Sprintf("%s cancel from %s after %v", c.variant, c.from, c.after)
		if c.code != "" {
			if codeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
			continue
		}
		if err != nil || rule.To != c.want {
			t.Errorf("%s: → %q %v, want → %s", name, rule.To, err, c.want)
		}
	}
	if ill.ReaderCancelWindow != time.Hour {
		t.Errorf("ReaderCancelWindow = %v", ill.ReaderCancelWindow)
	}
}

func TestCancelResponse(t *testing.T) {
	for _, c := range []struct {
		v    ill.Variant
		want ill.State
	}{{"yes", ill.Cancelled}, {"no", ill.WillSupply}} {
		tr, err := ill.Decide(ill.Attempt{Action: ill.ActCancelResponse, Variant: c.v, From: ill.CancelPending,
			Roles: []ill.Role{ill.RoleLender}})
		rule := tr.Rule
		if err != nil || rule.To != c.want {
			t.Errorf("cancel_response %s: → %s %v, want %s", c.v, rule.To, err, c.want)
		}
		// The borrower cannot answer for the lender.
		_, err = ill.Decide(ill.Attempt{Action: ill.ActCancelResponse, Variant: c.v, From: ill.CancelPending,
			Roles: []ill.Role{ill.RoleBorrower}})
		if codeOf(err) != ill.CodeForbidden {
			t.Errorf("borrower cancel_response %s: %v, want forbidden", c.v, err)
		}
	}
}

func TestDecideBadRequest(t *testing.T) {
	all := []ill.Role{ill.RoleBorrower, ill.RoleLender, ill.RoleCentre, ill.RoleSystem}
	cases := []struct {
		a     ill.Action
		v     ill.Variant
		field string
	}{
		{"fly", "", ""},
		{"", "", ""},
		{"SHIP", "", ""},
		{ill.ActRespond, "", ""}, // no variant given for an action that needs one
		{ill.ActRespond, "maybe", "decision"},
		{ill.ActCancel, "lender", "by"},
		{ill.ActCancel, "", ""},
		{ill.ActCancelResponse, "true", "accept"},
		{ill.ActShip, "fast", "action"},
		{"fly", "x", "action"},
	}
	for _, c := range cases {
		for _, s := range []ill.State{ill.Submitted, ill.Requested, ill.Completed} {
			_, err := ill.Decide(ill.Attempt{Action: c.a, Variant: c.v, From: s, Roles: all})
			var e *ill.Error
			if !errors.As(err, &e) || e.Code != ill.CodeBadRequest {
				t.Errorf("Decide(%q, %q) from %s: %v, want bad_request", c.a, c.v, s, err)
				continue
			}
			if e.Field != c.field {
				t.Errorf("Decide(%q, %q): field %q, want %q", c.a, c.v, e.Field, c.field)
			}
		}
		// bad_request takes precedence over forbidden too.
		_, err := ill.Decide(ill.Attempt{Action: c.a, Variant: c.v, From: ill.Submitted})
		if codeOf(err) != ill.CodeBadRequest {
			t.Errorf("Decide(%q, %q) with no roles: %v, want bad_request", c.a, c.v, err)
		}
	}
}

func TestStateActiveTerminal(t *testing.T) {
	// SPEC §3 states table: "counts for R3" and "terminal" columns.
	want := []struct {
		s                ill.State
		active, terminal bool
	}{
		{"SUBMITTED", true, false},
		{"NEEDS_MEDIATION", true, false},
		{"REQUESTED", true, false},
		{"WILL_SUPPLY", true, false},
		{"CANCEL_PENDING", true, false},
		{"SHIPPED", true, false},
		{"RECEIVED", true, false},
		{"ON_LOAN", true, false},
		{"RECALLED", true, false},
		{"OVERDUE", true, false},
		{"RETURNED", false, false},
		{"RETURN_SHIPPED", false, false},
		{"DELIVERED", false, false},
		{"COMPLETED", false, true},
		{"UNFILLED", false, true},
		{"REJECTED", false, true},
		{"CANCELLED", false, true},
		{"LOST", false, true},
	}
	if len(want) != len(ill.States) {
		t.Fatalf("ill.States has %d states, SPEC %d", len(ill.States), len(want))
	}
	var wantActive []ill.State
	for i, w := range want {
		if ill.States[i] != w.s {
			t.Errorf("States[%d] = %s, want %s (life-cycle order)", i, ill.States[i], w.s)
		}
		if !w.s.Valid() {
			t.Errorf("%s not Valid", w.s)
		}
		if w.s.Active() != w.active {
			t.Errorf("%s.Active() = %v, want %v", w.s, w.s.Active(), w.active)
		}
		if w.s.Terminal() != w.terminal {
			t.Errorf("%s.Terminal() = %v, want %v", w.s, w.s.Terminal(), w.terminal)
		}
		if w.active {
			wantActive = append(wantActive, w.s)
		}
	}
	if got := ill.ActiveStates(); !slices.Equal(got, wantActive) {
		t.Errorf("ActiveStates() = %v, want %v", got, wantActive)
	}
	for _, bad := range []ill.State{"", "submitted", "DONE"} {
		if bad.Valid() || bad.Active() || bad.Terminal() {
			t.Errorf("%q: Valid/Active/Terminal should all be false", bad)
		}
	}
	wantLoan := []ill.State{ill.Shipped, ill.Received, ill.OnLoan, ill.Recalled, ill.Overdue, ill.Returned, ill.ReturnShipped}
	if !slices.Equal(ill.LoanStates, wantLoan) {
		t.Errorf("LoanStates = %v, want %v", ill.LoanStates, wantLoan)
	}
}

func TestStateLabels(t *testing.T) {
	seenZh, seenEn := map[string]ill.State{}, map[string]ill.State{}
	for _, s := range ill.States {
		zh, en := s.Label("zh"), s.Label("en")
		if zh == "" || en == "" {
			t.Errorf("%s: labels zh=%q en=%q", s, zh, en)
			continue
		}
		if !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%s: zh label %q has no Chinese", s, zh)
		}
		for _, r := range en {
			if r > unicode.MaxASCII {
				t.Errorf("%s: en label %q is not ASCII", s, en)
				break
			}
		}
		if s.Label("") != zh || s.Label("fr") != zh {
			t.Errorf("%s: default label should be zh", s)
		}
		if p, dup := seenZh[zh]; dup {
			t.Errorf("zh label %q shared by %s and %s", zh, p, s)
		}
		if p, dup := seenEn[en]; dup {
			t.Errorf("en label %q shared by %s and %s", en, p, s)
		}
		seenZh[zh], seenEn[en] = s, s
	}
	if ill.Received.Label("zh") != "文献到馆" {
		t.Errorf("RECEIVED zh label = %q, SPEC says 文献到馆", ill.Received.Label("zh"))
	}
}
