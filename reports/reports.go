// Package reports builds the staff reports (per library and
// period): a summary per library (requests borrowed and lent, fill rate,
// turnaround, SLA compliance), daily figures, the lender → borrower
// balance, the overdue list and the most requested titles. The daily
// figures come from the scheduler's roll-ups (stats_daily) for past days
// plus the same roll-up query run live for today, so a report always
// agrees with a direct count. Reports render as JSON, CSV (UTF-8 with a
// BOM, for Excel) and XLSX.
package reports

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/balis/illhub/ill"
)

// Names are the reports, in display order.
var Names = []string{"summary", "lenders", "unfilled-reasons", "daily", "balance", "library-balance", "overdue",
	"top-titles", "courier-volume", "sources"}

// Kind is how a column's values are typed and formatted.
type Kind string

const (
	Text  Kind = "text"
	Int   Kind = "int"
	Float Kind = "float" // one decimal
	Pct   Kind = "pct"   // a fraction 0..1, or nil when undefined
	// Lib is a library code: shown as the library's name in the reader's
	// language (HTML), written as a name column and a code column (CSV,
	// XLSX), kept as the code in JSON (with the names beside it).
	Lib Kind = "library"
	// ReasonCode is an unfilled reason (ill.UnfilledReasons): a label and
	// the code, like Lib.
	ReasonCode Kind = "reason"
)

// Coded reports whether the column's values are codes shown by name.
func (k Kind) Coded() bool { return k == Lib || k == ReasonCode }

// Column is one column of a report.
type Column struct {
	Key  string `json:"key"`
	ZH   string `json:"label_zh"`
	EN   string `json:"label_en"`
	Kind Kind   `json:"kind"`
}

// Label is the column's heading in lang.
func (c Column) Label(lang string) string {
	if lang == "en" {
		return c.EN
	}
	return c.ZH
}

// Report is a built report: typed rows (string, int, float64 or nil).
type Report struct {
	Name    string
	From    ill.Date
	To      ill.Date
	Library string // "" = every library
	// Service is the service type the figures count ("" = every type;
	// Query.Service).
	Service ill.ServiceType
	Columns []Column
	Rows    [][]any
	// Net is, for the balance report, items lent minus items borrowed per
	// library over the period.
	Net map[string]int
	// Total is the consortium totals row (every member, whoever asks),
	// nil for reports without one. Its first column is empty (the writers
	// label it TotalLabel).
	Total []any
	// Libraries names every library code of the report {zh, en}.
	Libraries map[string][2]string
}

// TotalLabel is the heading of the consortium totals row.
func TotalLabel(lang string) string {
	if lang == "en" {
		return "Consortium total"
	}
	return "全体成员馆合计"
}

// CodeName is a coded value (a library code, a reason) as lang reads it; the
// code itself when it has no name.
func (r *Report) CodeName(k Kind, code, lang string) string {
	var n [2]string
	var ok bool
	switch k {
	case Lib:
		n, ok = r.Libraries[code]
	case ReasonCode:
		n, ok = ill.UnfilledReasonLabels[code]
	}
	switch {
	case !ok:
		return code
	case lang == "en" && n[1] != "":
		return n[1]
	case n[0] != "":
		return n[0]
	}
	return code
}

// Query selects a report.
type Query struct {
	Name     string
	From, To ill.Date // inclusive, Asia/Shanghai
	Library  string   // "" = every library (centre only)
	// Service limits the figures of ServiceReports to one service type
	// (loan, copy); "" counts every type.
	Service ill.ServiceType
}

// ServiceReports are the reports Query.Service applies to: the ones read
// from the daily roll-up, which is split by service type, and the lender
// evaluation, whose turns carry their request's service type.
var ServiceReports = []string{"summary", "daily", "lenders"}

// Store is what the reports read (mysql.Store).
type Store interface {
	ill.Figures
	ill.LenderTurns
	Library(ctx context.Context, code string) (*ill.Library, error)
	Libraries(ctx context.Context) ([]ill.Library, error)
	ClosuresByLibrary(ctx context.Context) (map[string][]ill.Closure, error)
	CourierVolume(ctx context.Context, day ill.Date, library string) ([]ill.RouteVolume, error)
}

// Service builds reports from the store's figures.
type Service struct {
	Store Store
	Clock ill.Clock
	// Calendar gives the working days of the lender evaluation; nil:
	// weekends only (tests).
	Calendar ill.CalendarSource
}

// MaxDays bounds a report's period.
const MaxDays = 366

func col(key, zh, en string, k Kind) Column { return Column{Key: key, ZH: zh, EN: en, Kind: k} }

// Build runs a report. Errors: not_found for an unknown name or a library
// that is not a member, bad_request for a period that is reversed or
// longer than MaxDays.
func (s *Service) Build(ctx context.Context, q Query) (*Report, error) {
	if q.To.Before(q.From) {
		return nil, ill.FieldError("to", "to is before from")
	}
	if q.From.AddDays(MaxDays).Before(q.To) {
		return nil, ill.FieldError("from", "a report covers at most %d days", MaxDays)
	}
	if !slices.Contains(Names, q.Name) {
		return nil, ill.Errorf(ill.CodeNotFound, "no report %q; reports are %s", q.Name, strings.Join(Names, ", "))
	}
	// The library must be a member: its code, as stored, is what the
	// report and its download name carry (never the caller's spelling).
	if q.Library != "" {
		l, err := s.Store.Library(ctx, q.Library)
		if err != nil {
			return nil, err
		}
		q.Library = l.Code
	}
	if !slices.Contains(ServiceReports, q.Name) {
		q.Service = "" // the other reports count every service type
	}
	rep := &Report{Name: q.Name, From: q.From, To: q.To, Library: q.Library, Service: q.Service}
	libs, err := s.Store.Libraries(ctx)
	if err != nil {
		return nil, err
	}
	rep.Libraries = make(map[string][2]string, len(libs))
	for _, l := range libs {
		rep.Libraries[l.Code] = [2]string{l.NameZH, l.NameEN}
	}
	today := ill.DateOf(s.Clock.Now())
	start, end := q.From.Start(), q.To.AddDays(1).Start()
	switch q.Name {
	case "summary":
		return rep, s.summary(ctx, rep, today)
	case "lenders":
		return rep, s.lenders(ctx, rep, libs)
	case "unfilled-reasons":
		return rep, s.unfilledReasons(ctx, rep)
	case "library-balance":
		return rep, s.libraryBalance(ctx, rep, libs)
	case "daily":
		return rep, s.daily(ctx, rep, today)
	case "balance":
		rep.Columns = []Column{col("lender", "出借馆", "Lender", Lib), col("borrower", "借入馆", "Borrower", Lib),
			col("items", "册数", "Items", Int)}
		flows, err := s.Store.Flows(ctx, start, end, q.Library)
		if err != nil {
			return nil, err
		}
		rep.Net = map[string]int{}
		for _, f := range flows {
			rep.Rows = append(rep.Rows, []any{f.Lender, f.Borrower, f.Items})
			rep.Net[f.Lender] += f.Items
			rep.Net[f.Borrower] -= f.Items
		}
		return rep, nil
	case "overdue":
		rep.Columns = []Column{col("request_id", "申请号", "Request", Text), col("borrower", "借入馆", "Borrower", Lib),
			col("lender", "出借馆", "Lender", Lib), col("patron_id", "读者", "Reader", Text), col("title", "题名", "Title", Text),
			col("due_at", "应还日期", "Due", Text), col("days_overdue", "超期天数", "Days overdue", Int)}
		rows, err := s.Store.OverdueLoans(ctx, q.Library, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range rows {
			days := int(ill.DateOf(s.Clock.Now()).Start().Sub(ill.DateOf(o.DueAt).Start()).Hours() / 24)
			rep.Rows = append(rep.Rows, []any{o.ID, o.Borrower, o.Lender, o.PatronID, o.Title,
				ill.DateOf(o.DueAt).String(), days})
		}
		return rep, nil
	case "top-titles":
		rep.Columns = []Column{col("record_id", "记录号", "Record", Int), col("title", "题名", "Title", Text),
			col("author", "著者", "Author", Text), col("requests", "申请次数", "Requests", Int)}
		rows, err := s.Store.TopTitles(ctx, start, end, q.Library, 20)
		if err != nil {
			return nil, err
		}
		for _, t := range rows {
			rep.Rows = append(rep.Rows, []any{int(t.RecordID), t.Title, t.Author, t.Requests})
		}
		return rep, nil
	case "courier-volume":
		return rep, s.courierVolume(ctx, rep)
	case "sources":
		return rep, s.sources(ctx, rep, start, end)
	}
	return nil, ill.Errorf(ill.CodeNotFound, "no report %q; reports are %s", q.Name, strings.Join(Names, ", "))
}

// Totals are summed figures of a library (or of everything).
type Totals struct {
	Borrowed, Lent, Filled, Unfilled, Missed, Received int
	Answered, NoResponse                               int
	TurnaroundSumS, TransitSumS                        int64
}

func (t *Totals) add(d ill.DayStats) {
	t.Answered += d.Answered
	t.NoResponse += d.NoResponse
	t.TransitSumS += d.TransitSumS
	t.Borrowed += d.Borrowed
	t.Lent += d.Lent
	t.Filled += d.Filled
	t.Unfilled += d.Unfilled
	t.Missed += d.Missed
	t.Received += d.Received
	t.TurnaroundSumS += d.TurnaroundSumS
}

func ratio(num, den int) any {
	if den == 0 {
		return nil
	}
	return float64(num) / float64(den)
}

// FillRate: of the borrower's requests that reached an outcome in the
// period (an item received, or UNFILLED), the share that was supplied.
func (t Totals) FillRate() any { return ratio(t.Received, t.Received+t.Unfilled) }

// SLA: of the lender's commitments in the period (requests accepted, and
// deadlines missed: no response within 1 working day or not shipped
// within 3), the share without a missed deadline.
func (t Totals) SLA() any { return ratio(t.Lent, t.Lent+t.Missed) }

// AnsweredOnTime: of the lender's requests that came due for an answer in
// the period, the share answered (will supply or unfilled) within 1
// working day; the respond timer records the others as no_response.
func (t Totals) AnsweredOnTime() any { return ratio(t.Answered, t.Answered+t.NoResponse) }

// ShippedOnTime: of the lender's accepted requests that came due for
// shipping in the period, the share shipped within 3 working days; the
// ship timer records the others as not_shipped.
func (t Totals) ShippedOnTime() any { return ratio(t.Filled, t.Filled+t.Missed-t.NoResponse) }

// SubmitToShipHours and ShipToReceiveHours split the mean turnaround of the
// items received in the period at the lender's shipment.
func (t Totals) SubmitToShipHours() any {
	if t.Received == 0 {
		return nil
	}
	return float64(t.TurnaroundSumS-t.TransitSumS) / float64(t.Received) / 3600
}

func (t Totals) ShipToReceiveHours() any {
	if t.Received == 0 {
		return nil
	}
	return float64(t.TransitSumS) / float64(t.Received) / 3600
}

// TurnaroundHours is the mean time from submission to receipt, in hours.
func (t Totals) TurnaroundHours() any {
	if t.Received == 0 {
		return nil
	}
	return float64(t.TurnaroundSumS) / float64(t.Received) / 3600
}

func (s *Service) summary(ctx context.Context, rep *Report, today ill.Date) error {
	rep.Columns = []Column{col("library", "图书馆", "Library", Lib), col("borrowed", "借入申请", "Borrowed (requests)", Int),
		col("lent", "同意出借", "Lent (accepted)", Int), col("filled", "已寄出", "Shipped", Int),
		col("received", "已收到", "Received", Int), col("unfilled", "未满足", "Unfilled", Int),
		col("missed_deadlines", "逾期", "Missed deadlines", Int), col("fill_rate", "满足率", "Fill rate", Pct),
		col("sla", "时限达标率", "SLA compliance", Pct), col("turnaround_h", "平均周转（小时）", "Avg turnaround (h)", Float),
		col("answered_on_time", "1个工作日内答复率", "Answered within 1 working day", Pct),
		col("shipped_on_time", "3个工作日内寄出率", "Shipped within 3 working days", Pct),
		col("submit_to_ship_h", "申请→寄出（小时）", "Submit → ship (h)", Float),
		col("ship_to_receive_h", "寄出→收到（小时）", "Ship → receive (h)", Float)}
	// Every library's figures: the member's own row and the consortium
	// total come from the same read.
	stats, err := s.Store.StatsRange(ctx, rep.From, rep.To, today, "")
	if err != nil {
		return err
	}
	by := map[string]*Totals{}
	var all Totals
	for _, d := range stats {
		if !rep.counts(d) {
			continue
		}
		all.add(d)
		if rep.Library != "" && d.Library != rep.Library {
			continue
		}
		t := by[d.Library]
		if t == nil {
			t = &Totals{}
			by[d.Library] = t
		}
		t.add(d)
	}
	libs := make([]string, 0, len(by))
	for l := range by {
		libs = append(libs, l)
	}
	sort.Strings(libs)
	for _, l := range libs {
		t := *by[l]
		rep.Rows = append(rep.Rows, t.summaryRow(l))
	}
	rep.Total = all.summaryRow(nil)
	return nil
}

// counts reports whether a day's figures are of the report's service
// type (every type when it names none).
func (r *Report) counts(d ill.DayStats) bool { return r.Service == "" || d.Service == r.Service }

func (t Totals) summaryRow(library any) []any {
	return []any{library, t.Borrowed, t.Lent, t.Filled, t.Received, t.Unfilled, t.Missed,
		t.FillRate(), t.SLA(), t.TurnaroundHours(), t.AnsweredOnTime(), t.ShippedOnTime(), t.SubmitToShipHours(),
		t.ShipToReceiveHours()}
}

func (s *Service) daily(ctx context.Context, rep *Report, today ill.Date) error {
	rep.Columns = []Column{col("day", "日期", "Day", Text), col("borrowed", "借入申请", "Borrowed (requests)", Int),
		col("lent", "同意出借", "Lent (accepted)", Int), col("filled", "已寄出", "Shipped", Int),
		col("received", "已收到", "Received", Int), col("unfilled", "未满足", "Unfilled", Int),
		col("missed_deadlines", "逾期", "Missed deadlines", Int)}
	stats, err := s.Store.StatsRange(ctx, rep.From, rep.To, today, rep.Library)
	if err != nil {
		return err
	}
	by := map[string]*Totals{}
	for _, d := range stats {
		if !rep.counts(d) {
			continue
		}
		k := ill.Date{Year: d.Day.Year(), Month: d.Day.Month(), Day: d.Day.Day()}.String()
		t := by[k]
		if t == nil {
			t = &Totals{}
			by[k] = t
		}
		t.add(d)
	}
	for d := rep.From; !rep.To.Before(d); d = d.AddDays(1) {
		t := Totals{}
		if x := by[d.String()]; x != nil {
			t = *x
		}
		rep.Rows = append(rep.Rows, []any{d.String(), t.Borrowed, t.Lent, t.Filled, t.Received, t.Unfilled, t.Missed})
	}
	return nil
}

// Column returns the index of key (-1 when absent).
func (r *Report) Column(key string) int {
	for i, c := range r.Columns {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// Objects is the rows as JSON objects keyed by column.
func (r *Report) Objects() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		o := make(map[string]any, len(row))
		for j, v := range row {
			o[r.Columns[j].Key] = v
		}
		out[i] = o
	}
	return out
}

// courierVolume sums the per-run route volumes over the period: one
// row per route (from → to), forward and return shipments.
func (s *Service) courierVolume(ctx context.Context, rep *Report) error {
	rep.Columns = []Column{col("route_code", "线路", "Route", Text), col("from", "发出馆", "From", Lib),
		col("to", "接收馆", "To", Lib), col("forward", "送书", "Forward", Int), col("return", "还书", "Return", Int),
		col("total", "合计", "Total", Int)}
	type key struct{ route, from, to string }
	sums := map[key]*[3]int{}
	var order []key
	for d := rep.From; !rep.To.Before(d); d = d.AddDays(1) {
		vols, err := s.Store.CourierVolume(ctx, d, rep.Library)
		if err != nil {
			return err
		}
		for _, v := range vols {
			k := key{v.RouteCode, v.From, v.To}
			if sums[k] == nil {
				sums[k] = &[3]int{}
				order = append(order, k)
			}
			sums[k][0] += v.Forward
			sums[k][1] += v.Return
			sums[k][2] += v.Total
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if a, b := sums[order[i]][2], sums[order[j]][2]; a != b {
			return a > b
		}
		return order[i].route < order[j].route
	})
	for _, k := range order {
		v := sums[k]
		rep.Rows = append(rep.Rows, []any{k.route, k.from, k.to, v[0], v[1], v[2]})
	}
	return nil
}

// TotalObject is the totals row as a JSON object keyed by column (its
// first column null), nil without one.
func (r *Report) TotalObject() map[string]any {
	if r.Total == nil {
		return nil
	}
	o := make(map[string]any, len(r.Total))
	for j, v := range r.Total {
		o[r.Columns[j].Key] = v
	}
	return o
}

// LibraryName is a library's names, as the JSON report lists them.
type LibraryName struct {
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// LibraryNames names the library codes that occur in the report's rows.
func (r *Report) LibraryNames() map[string]LibraryName {
	out := map[string]LibraryName{}
	for i, c := range r.Columns {
		if c.Kind != Lib {
			continue
		}
		for _, row := range r.Rows {
			code, _ := row[i].(string)
			if code == "" {
				continue
			}
			n := r.Libraries[code]
			out[code] = LibraryName{NameZH: n[0], NameEN: n[1]}
		}
	}
	return out
}
