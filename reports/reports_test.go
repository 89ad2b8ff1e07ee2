package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/reports"
	"github.com/xuri/excelize/v2"
)

// fixture writes requests, rota rows and timeline events over three days
// straight into the tables (the shapes the consumers write), so that the
// report can be checked against a count made here, independently of the
// roll-up query.
type fixture struct {
	st   *mysql.Store
	libs []string
	// want[library] = borrowed, lent, filled, unfilled, missed, received, turnaround seconds,
	// answered, no_response, transit (shipped → received) seconds
	want map[string]*[10]int64
	flow map[[2]string]int
}

func (f *fixture) add(lib string, i int, n int64) {
	w := f.want[lib]
	if w == nil {
		w = &[10]int64{}
		f.want[lib] = w
	}
	w[i] += n
}

func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.st.DB.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func build(t *testing.T, st *mysql.Store, days []ill.Date) *fixture {
	f := &fixture{st: st, libs: []string{"THU", "PKU", "RUC", "BNU"}, want: map[string]*[10]int64{}, flow: map[[2]string]int{}}
	rng := rand.New(rand.NewPCG(8, 8))
	n := 0
	for _, day := range days {
		for k := 0; k < 12; k++ {
			n++
			b := f.libs[rng.IntN(4)]
			l := f.libs[(f.libs0(b)+1+rng.IntN(3))%4]
			sub := day.Start().Add(time.Duration(8+rng.IntN(8)) * time.Hour)
			id := fmt.Sprintf("R%03d", n)
			outcome := rng.IntN(5) // 0 asked only, 1 will_supply+ship+receive, 2 unfilled, 3 no_response, 4 not_shipped
			state := map[int]string{0: "REQUESTED", 1: "RECEIVED", 2: "UNFILLED", 3: "REQUESTED", 4: "REQUESTED"}[outcome]
			f.exec(t, `INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender, submitted_at, updated_at)
				VALUES (?, ?, ?, 'P1', ?, ?, ?, ?, ?)`, id, b, id, fmt.Sprintf("书%d", n%5), state, l, sub, sub)
			f.add(b, 0, 1)
			ans := sub.Add(2 * time.Hour)
			switch outcome {
			case 0:
				f.exec(t, `INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at) VALUES (?, 1, ?, 'asked', ?)`, id, l, sub)
			case 1:
				f.exec(t, `INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at, answered_at) VALUES (?, 1, ?, 'will_supply', ?, ?)`, id, l, sub, ans)
				f.add(l, 1, 1)
				f.add(l, 7, 1)
				ship := ans.Add(time.Hour)
				f.exec(t, `INSERT INTO events (request_id, at, actor, action, from_state, to_state) VALUES (?, ?, ?, 'ship', 'WILL_SUPPLY', 'SHIPPED')`, id, ship, l)
				f.add(l, 2, 1)
				f.flow[[2]string{l, b}]++
				recv := ship.Add(90 * time.Minute)
				f.exec(t, `INSERT INTO events (request_id, at, actor, action, from_state, to_state) VALUES (?, ?, ?, 'receive', 'SHIPPED', 'RECEIVED')`, id, recv, b)
				f.add(b, 5, 1)
				f.add(b, 6, int64(recv.Sub(sub).Seconds()))
				f.add(b, 9, int64(recv.Sub(ship).Seconds()))
			case 2:
				f.exec(t, `INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at, answered_at) VALUES (?, 1, ?, 'unfilled', ?, ?)`, id, l, sub, ans)
				f.exec(t, `INSERT INTO events (request_id, at, actor, action, from_state, to_state) VALUES (?, ?, ?, 'respond', 'REQUESTED', 'UNFILLED')`, id, ans, l)
				f.add(b, 3, 1)
				f.add(l, 7, 1)
			case 3:
				f.exec(t, `INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at, answered_at) VALUES (?, 1, ?, 'no_response', ?, ?)`, id, l, sub, ans)
				f.add(l, 4, 1)
				f.add(l, 8, 1)
			case 4: // accepted, then the ship timer fired
				f.exec(t, `INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at, answered_at) VALUES (?, 1, ?, 'not_shipped', ?, ?)`, id, l, sub, ans)
				f.add(l, 4, 1)
			}
		}
	}
	return f
}

func (f *fixture) libs0(b string) int {
	for i, l := range f.libs {
		if l == b {
			return i
		}
	}
	return 0
}

func TestReportsAgreeWithADirectCount(t *testing.T) {
	_, st := testenv.DB(t, "reports")
	testenv.Libraries(t, st, "THU", "PKU", "RUC", "BNU") // a report names a member library
	ctx := context.Background()
	d0 := ill.Date{Year: 2026, Month: 3, Day: 2}
	days := []ill.Date{d0, d0.AddDays(1), d0.AddDays(2)}
	f := build(t, st, days)
	now := days[2].Start().Add(23 * time.Hour) // late on the third day: all its events are in the past
	// The scheduler rolled up the first two days; the third is live.
	for _, d := range days[:2] {
		if _, err := st.Rollup(ctx, d, now); err != nil {
			t.Fatal(err)
		}
	}
	svc := &reports.Service{Store: st, Clock: testenv.NewClock(now)}
	rep, err := svc.Build(ctx, reports.Query{Name: "summary", From: days[0], To: days[2]})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != len(f.want) {
		t.Fatalf("summary has %d libraries, want %d: %v", len(rep.Rows), len(f.want), rep.Rows)
	}
	keys := []string{"borrowed", "lent", "filled", "unfilled", "missed_deadlines", "received"}
	for _, row := range rep.Rows {
		lib := row[0].(string)
		w := f.want[lib]
		for i, k := range keys {
			if got := row[rep.Column(k)].(int); int64(got) != w[i] {
				t.Errorf("%s %s = %d, direct count %d", lib, k, got, w[i])
			}
		}
		if w[5] > 0 {
			want := float64(w[6]) / float64(w[5]) / 3600
			if got := row[rep.Column("turnaround_h")].(float64); got != want {
				t.Errorf("%s turnaround %v, want %v", lib, got, want)
			}
			// The fixture ships 3 h after submission and receives 1.5 h later.
			if got := row[rep.Column("submit_to_ship_h")].(float64); got != float64(w[6]-w[9])/float64(w[5])/3600 || got != 3 {
				t.Errorf("%s submit → ship %v h, want 3", lib, got)
			}
			if got := row[rep.Column("ship_to_receive_h")].(float64); got != float64(w[9])/float64(w[5])/3600 || got != 1.5 {
				t.Errorf("%s ship → receive %v h, want 1.5", lib, got)
			}
		}
		if w[7]+w[8] > 0 {
			if got, want := row[rep.Column("answered_on_time")], float64(w[7])/float64(w[7]+w[8]); got != want {
				t.Errorf("%s answered on time %v, want %v (answered %d, no response %d)", lib, got, want, w[7], w[8])
			}
		}
		if notShipped := w[4] - w[8]; w[2]+notShipped > 0 {
			if got, want := row[rep.Column("shipped_on_time")], float64(w[2])/float64(w[2]+notShipped); got != want {
				t.Errorf("%s shipped on time %v, want %v (shipped %d, not shipped %d)", lib, got, want, w[2], notShipped)
			}
		}
	}
	// A library's own report is its row only.
	own, err := svc.Build(ctx, reports.Query{Name: "summary", From: days[0], To: days[2], Library: "THU"})
	if err != nil {
		t.Fatal(err)
	}
	if len(own.Rows) != 1 || own.Rows[0][0] != "THU" || int64(own.Rows[0][1].(int)) != f.want["THU"][0] {
		t.Fatalf("THU's summary: %v", own.Rows)
	}
	// A library that is not a member is not_found (its code never names a download).
	if _, err := svc.Build(ctx, reports.Query{Name: "summary", From: days[0], To: days[2], Library: "NOPE"}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Errorf("report for a non-member: %v", err)
	}
	// The daily report sums to the same totals; one row per day.
	daily, err := svc.Build(ctx, reports.Query{Name: "daily", From: days[0], To: days[2]})
	if err != nil {
		t.Fatal(err)
	}
	if len(daily.Rows) != 3 {
		t.Fatalf("daily rows %v", daily.Rows)
	}
	var borrowed int64
	for _, row := range daily.Rows {
		borrowed += int64(row[1].(int))
	}
	if borrowed != 36 {
		t.Fatalf("daily borrowed sum %d, want 36", borrowed)
	}
	// Balance: every shipped item once, per lender → borrower pair.
	bal, err := svc.Build(ctx, reports.Query{Name: "balance", From: days[0], To: days[2]})
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]int{}
	for _, row := range bal.Rows {
		got[[2]string{row[0].(string), row[1].(string)}] = row[2].(int)
	}
	if fmt.Sprint(got) != fmt.Sprint(f.flow) {
		t.Fatalf("balance %v, want %v", got, f.flow)
	}
	net := 0
	for _, v := range bal.Net {
		net += v
	}
	if net != 0 {
		t.Fatalf("net balance does not sum to 0: %v", bal.Net)
	}
	// Top titles: 36 requests over 5 titles.
	top, err := svc.Build(ctx, reports.Query{Name: "top-titles", From: days[0], To: days[2]})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, row := range top.Rows {
		sum += row[3].(int)
	}
	if len(top.Rows) != 5 || sum != 36 {
		t.Fatalf("top titles %v", top.Rows)
	}

	// XLSX holds the same numbers; CSV starts with a BOM and has a header.
	var x bytes.Buffer
	if err := rep.WriteXLSX(&x, "zh"); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows("summary")
	if err != nil {
		t.Fatal(err)
	}
	// The library column is a name and a code; the totals row is last.
	if len(rows) != len(rep.Rows)+2 || rows[0][0] != "图书馆" || rows[0][1] != "图书馆代码" || rows[0][2] != "借入申请" ||
		rows[len(rows)-1][0] != "全体成员馆合计" {
		t.Fatalf("xlsx rows %v", rows)
	}
	for i, row := range rep.Rows {
		if rows[i+1][0] != row[0].(string)+"图书馆" || rows[i+1][1] != row[0] {
			t.Errorf("xlsx row %d: library %q %q, report %v", i, rows[i+1][0], rows[i+1][1], row[0])
		}
		for j := 1; j < 7; j++ {
			if rows[i+1][j+1] != reports.Cell(rep.Columns[j].Kind, row[j]) {
				t.Errorf("xlsx row %d col %d = %q, report %v", i, j, rows[i+1][j+1], row[j])
			}
		}
	}
	var c bytes.Buffer
	if err := rep.WriteCSV(&c, "en"); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(c.Bytes(), []byte("\xEF\xBB\xBFLibrary,Library code,Borrowed (requests)")) {
		t.Fatalf("csv starts %q", c.String()[:40])
	}
}

func TestReportPeriodChecks(t *testing.T) {
	svc := &reports.Service{Clock: testenv.NewClock(time.Now())}
	d := ill.Date{Year: 2026, Month: 3, Day: 2}
	for _, q := range []reports.Query{
		{Name: "summary", From: d, To: d.AddDays(-1)},
		{Name: "summary", From: d, To: d.AddDays(400)},
	} {
		if _, err := svc.Build(context.Background(), q); ill.ErrorCode(err) != ill.CodeBadRequest {
			t.Errorf("%v: %v", q, err)
		}
	}
	if _, err := svc.Build(context.Background(), reports.Query{Name: "nope", From: d, To: d}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Errorf("unknown report: %v", err)
	}
}

func TestCell(t *testing.T) {
	for _, c := range []struct {
		k    reports.Kind
		v    any
		want string
	}{{reports.Pct, 0.5, "50.0%"}, {reports.Float, 2.25, "2.2"}, {reports.Int, 3, "3"}, {reports.Pct, nil, ""}, {reports.Text, "北大", "北大"}} {
		if got := reports.Cell(c.k, c.v); got != c.want {
			t.Errorf("Cell(%v, %v) = %q, want %q", c.k, c.v, got, c.want)
		}
	}
}

// The lenders report over the database's rota and timeline (LenderSteps)
// agrees with the fixture's own count: shipped, unfilled by reason, and
// the consortium totals row is the sum of the rows.
func TestLendersReportFromTheDatabase(t *testing.T) {
	_, st := testenv.DB(t, "reportslenders")
	testenv.Libraries(t, st, "THU", "PKU", "RUC", "BNU")
	ctx := context.Background()
	d0 := ill.Date{Year: 2026, Month: 3, Day: 2}
	days := []ill.Date{d0, d0.AddDays(1), d0.AddDays(2)}
	f := build(t, st, days)
	// Accepted, then not shipped: the respond event of one of them gives
	// the time it accepted (an answer within its first working day).
	var withEvent string
	if err := st.DB.GetContext(ctx, &withEvent, `SELECT request_id FROM rota WHERE outcome = 'not_shipped' ORDER BY request_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `INSERT INTO events (request_id, at, actor, action, from_state, to_state)
		SELECT request_id, asked_at + INTERVAL 1 HOUR, library_code, 'respond', 'REQUESTED', 'WILL_SUPPLY' FROM rota WHERE request_id = ?`, withEvent)
	steps, err := st.LenderSteps(ctx, days[0].Start(), days[2].AddDays(1).Start(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 36 {
		t.Fatalf("%d steps, want 36", len(steps))
	}
	for _, s := range steps {
		switch {
		case s.Outcome == ill.OutcomeWillSupply && s.ShippedAt.IsZero():
			t.Errorf("%s: supplied but no shipment time", s.RequestID)
		case s.Outcome == ill.OutcomeNotShipped && (s.RequestID == withEvent) == s.AcceptedAt.IsZero():
			t.Errorf("%s: accepted at %v", s.RequestID, s.AcceptedAt)
		case s.Outcome != ill.OutcomeWillSupply && !s.ShippedAt.IsZero():
			t.Errorf("%s: %s but shipped", s.RequestID, s.Outcome)
		}
	}
	own, err := st.LenderSteps(ctx, days[0].Start(), days[2].AddDays(1).Start(), "THU")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range own {
		if s.Lender != "THU" {
			t.Fatalf("THU's steps hold %s's", s.Lender)
		}
	}

	svc := &reports.Service{Store: st, Clock: testenv.NewClock(days[2].Start().Add(23 * time.Hour))}
	rep, err := svc.Build(ctx, reports.Query{Name: "lenders", From: days[0], To: days[2]})
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range f.libs {
		var row []any
		for _, r := range rep.Rows {
			if r[0] == lib {
				row = r
			}
		}
		w := f.want[lib]
		if row == nil || w == nil {
			t.Fatalf("%s: row %v, fixture %v", lib, row, w)
		}
		get := func(key string) int64 { return int64(row[rep.Column(key)].(int)) }
		// want: 1 lent (will_supply), 2 shipped, 4 missed, 7 answered, 8 no_response
		if get("filled") != w[2] || get("unfilled_no_response") != w[8] || get("unfilled_not_shipped") != w[4]-w[8] ||
			get("unfilled_other") != w[7]-w[1] || get("unfilled") != w[7]-w[1]+w[4] {
			t.Errorf("%s: row %v, fixture %v", lib, row, *w)
		}
	}
	sum := 0
	for _, r := range rep.Rows {
		sum += r[rep.Column("received")].(int)
	}
	if sum != 36 || rep.Total[rep.Column("received")] != 36 {
		t.Errorf("received: rows sum to %d, totals row %v", sum, rep.Total[rep.Column("received")])
	}
}

// A delivered copy is a supplied turn in the lenders report from the
// database: LenderSteps takes its deliver → DELIVERED event as the supply
// time and carries the request's service type, and the report gives its
// working hours (Friday 17:00 to Tuesday 09:00 over Qingming: 16 hours, 1
// working day) and filters by service type.
func TestLendersReportCountsDeliveredCopies(t *testing.T) {
	_, st := testenv.DB(t, "reportscopies")
	testenv.Libraries(t, st, "THU", "PKU")
	ctx := context.Background()
	sh := func(day, hour int) time.Time { return time.Date(2026, time.April, day, hour, 0, 0, 0, ill.Shanghai) }
	f := &fixture{st: st}
	for _, r := range []struct {
		id, service, state string
		asked              time.Time
		events             [][4]any // at, action, from, to
	}{
		{"C1", "copy", "DELIVERED", sh(3, 17), [][4]any{{sh(3, 18), "respond", "REQUESTED", "WILL_SUPPLY"},
			{sh(7, 9), "deliver", "WILL_SUPPLY", "DELIVERED"}}},
		{"C2", "copy", "WILL_SUPPLY", sh(8, 9), [][4]any{{sh(8, 10), "respond", "REQUESTED", "WILL_SUPPLY"}}},
		{"L1", "loan", "SHIPPED", sh(8, 9), [][4]any{{sh(8, 10), "respond", "REQUESTED", "WILL_SUPPLY"},
			{sh(8, 12), "ship", "WILL_SUPPLY", "SHIPPED"}}},
	} {
		f.exec(t, `INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender, service_type, submitted_at, updated_at)
			VALUES (?, 'THU', ?, 'P1', '深度学习研究综述', ?, 'PKU', ?, ?, ?)`, r.id, r.id, r.state, r.service, r.asked, r.asked)
		f.exec(t, `INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at, answered_at) VALUES (?, 1, 'PKU', 'will_supply', ?, ?)`,
			r.id, r.asked, r.events[0][0])
		for _, e := range r.events {
			f.exec(t, `INSERT INTO events (request_id, at, actor, action, from_state, to_state) VALUES (?, ?, 'PKU', ?, ?, ?)`,
				r.id, e[0], e[1], e[2], e[3])
		}
	}
	steps, err := st.LenderSteps(ctx, sh(1, 0), sh(30, 0), "PKU")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ill.LenderStep{}
	for _, s := range steps {
		got[s.RequestID] = s
	}
	if c := got["C1"]; c.ServiceType != ill.ServiceCopy || !c.ShippedAt.Equal(sh(7, 9)) {
		t.Errorf("C1 (delivered copy): service %q supplied at %v", c.ServiceType, c.ShippedAt)
	}
	if c := got["C2"]; c.ServiceType != ill.ServiceCopy || !c.ShippedAt.IsZero() {
		t.Errorf("C2 (copy not delivered yet): service %q supplied at %v", c.ServiceType, c.ShippedAt)
	}
	if l := got["L1"]; l.ServiceType != ill.ServiceLoan || !l.ShippedAt.Equal(sh(8, 12)) {
		t.Errorf("L1 (loan): service %q supplied at %v", l.ServiceType, l.ShippedAt)
	}

	svc := &reports.Service{Store: st, Clock: testenv.NewClock(sh(30, 12)), Calendar: calendar{cal2026(t)}}
	for _, c := range []struct {
		service                 ill.ServiceType
		received, filled, open  int
		medianWH, meanWH, medWD any
	}{
		{ill.ServiceCopy, 2, 1, 1, 16.0, 16.0, 1.0},
		{ill.ServiceLoan, 1, 1, 0, 3.0, 3.0, 0.0},
		{"", 3, 2, 1, 9.5, 9.5, 0.5},
	} {
		rep, err := svc.Build(ctx, reports.Query{Name: "lenders", From: ill.Date{Year: 2026, Month: 4, Day: 1},
			To: ill.Date{Year: 2026, Month: 4, Day: 30}, Library: "PKU", Service: c.service})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 {
			t.Fatalf("%q: rows %v", c.service, rep.Rows)
		}
		row := rep.Rows[0]
		v := func(key string) any { return row[rep.Column(key)] }
		if v("received") != c.received || v("filled") != c.filled || v("open") != c.open {
			t.Errorf("%q: received %v filled %v open %v, want %d %d %d", c.service, v("received"), v("filled"), v("open"),
				c.received, c.filled, c.open)
		}
		for key, want := range map[string]any{"median_wh": c.medianWH, "mean_wh": c.meanWH, "median_wd": c.medWD} {
			if !same(v(key), want) {
				t.Errorf("%q: %s = %v, want %v", c.service, key, v(key), want)
			}
		}
	}
}
