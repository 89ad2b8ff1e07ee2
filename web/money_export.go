package web

// The monthly statement as a file: CSV (reports.CSVWriter: UTF-8 byte
// order mark, formula-safe text cells) or XLSX (text cells through
// reports.SafeCell, amounts as numbers formatted 0.00), with the
// download headers of the other exports.

import (
	"net/http"
	"strconv"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
	"github.com/xuri/excelize/v2"
)

// statementColumns are the statement's columns (message keys).
var statementColumns = []string{"money.col.recorded", "money.col.request", "money.col.title", "money.col.kind",
	"money.col.lender", "money.col.borrower", "money.col.patron", "money.col.days", "money.col.amount",
	"money.col.state", "money.col.settled_by", "money.col.settled_at", "money.col.settle_note", "money.col.note"}

// libLabel is a library's name with its code ("清华大学 (THU)").
func (p *Page) libLabel(code string) string {
	if n := p.Lib(code); n != code && n != "" {
		return n + " (" + code + ")"
	}
	return code
}

// statementRecords is the statement as rows of cells: the header, one
// row per violation (amounts as reports.Numeral in 元), an empty row and
// the totals by settlement state, by kind and overall. Every string is
// text (neutralised by the writers); every number a number.
func statementRecords(p *Page, st app.Statement) [][]any {
	head := make([]any, len(statementColumns))
	for i, k := range statementColumns {
		head[i] = p.T(k)
	}
	out := [][]any{head}
	for _, v := range st.Rows {
		settledAt := ""
		if !v.SettledAt.IsZero() {
			settledAt = p.Time(v.SettledAt)
		}
		var days any // blank unless overdue
		if v.Days != 0 {
			days = v.Days
		}
		out = append(out, []any{p.Time(v.CreatedAt), v.RequestID, v.Title, p.T("money.kind." + v.Kind),
			p.libLabel(v.Lender), p.libLabel(v.Borrower), v.PatronID, days, reports.Numeral(ill.FormatCNY(v.AmountFen)),
			p.T("money.state." + string(v.Status())), v.SettledBy, settledAt, v.SettleNote, v.Note})
	}
	out = append(out, []any{})
	out = append(out, []any{p.T("money.totals"), p.T("money.col.group"), p.T("money.col.count"), p.T("money.col.amount")})
	for _, t := range st.ByState {
		out = append(out, []any{p.T("money.by_state"), p.T("money.state." + t.Key), t.Count, reports.Numeral(ill.FormatCNY(t.AmountFen))})
	}
	for _, t := range st.ByKind {
		out = append(out, []any{p.T("money.by_kind"), p.T("money.kind." + t.Key), t.Count, reports.Numeral(ill.FormatCNY(t.AmountFen))})
	}
	out = append(out, []any{p.T("money.total"), "", st.Total.Count, reports.Numeral(ill.FormatCNY(st.Total.AmountFen))})
	return append(out, copyFeeRecords(p, st)...)
}

// copyFeeColumns are the columns of the statement's copy fee section
// (message keys).
var copyFeeColumns = []string{"copy.col.booked", "money.col.request", "money.col.title", "copy.col.supplier",
	"money.col.borrower", "money.col.patron", "copy.col.category", "copy.col.pages", "copy.col.price",
	"copy.col.charge", "copy.col.subsidy", "copy.col.reader"}

// copyFeeRecords is the statement's copy fee section: an empty row, the
// section's header, one row per booked fee (the supplier's charge, the
// centre's subsidy and the reader's part, in 元) and their totals; nothing
// when the month has no copy fees.
func copyFeeRecords(p *Page, st app.Statement) [][]any {
	if len(st.Copies) == 0 {
		return nil
	}
	head := make([]any, len(copyFeeColumns))
	for i, k := range copyFeeColumns {
		head[i] = p.T(k)
	}
	out := [][]any{{}, {p.T("copy.fees_section")}, head}
	yuan := func(fen int) reports.Numeral { return reports.Numeral(ill.FormatCNY(fen)) }
	for _, f := range st.Copies {
		price := ill.FormatCNY(f.PriceFen) + " / " + p.CopyUnit(f.Unit)
		out = append(out, []any{p.Time(f.CreatedAt), f.RequestID, f.Title, p.libLabel(f.Supplier), p.libLabel(f.Borrower),
			f.PatronID, p.Category(f.Category), f.Pages, price, yuan(f.ChargeFen), yuan(f.SubsidyFen), yuan(f.ReaderFen)})
	}
	t := st.CopyTotal
	return append(out, []any{p.CopyTotalLabel(t), "", "", "", "", "", "", "", "", yuan(t.ChargeFen), yuan(t.SubsidyFen),
		yuan(t.ReaderFen)})
}

// statementFileName is statement_YYYY-MM[_CODE].ext: a validated month
// and a canonical library code only.
func statementFileName(st app.Statement, ext string) string {
	name := "statement_" + st.Month
	if st.Library != "" {
		name += "_" + st.Library
	}
	return name + "." + ext
}

func writeStatement(w http.ResponseWriter, p *Page, st app.Statement, format string) error {
	recs := statementRecords(p, st)
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", reports.ContentDisposition(statementFileName(st, format)))
	if format == "csv" {
		hd.Set("Content-Type", "text/csv; charset=utf-8")
		cw := reports.NewCSVWriter(w)
		for _, rec := range recs {
			if err := cw.Write(rec...); err != nil {
				return err
			}
		}
		return cw.Flush()
	}
	hd.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	return writeStatementXLSX(w, recs)
}

// writeStatementXLSX writes the records to one sheet: the header row bold,
// numbers as numeric cells (amounts formatted 0.00), text as string cells
// through reports.SafeCell (never formulas).
func writeStatementXLSX(w http.ResponseWriter, recs [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "statement"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	cents := "0.00"
	money, err := f.NewStyle(&excelize.Style{CustomNumFmt: &cents})
	if err != nil {
		return err
	}
	for ri, rec := range recs {
		for ci, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(ci+1, ri+1)
			switch x := v.(type) {
			case int:
				err = f.SetCellInt(sheet, cell, int64(x))
			case reports.Numeral:
				var yuan float64
				if yuan, err = strconv.ParseFloat(string(x), 64); err == nil {
					if err = f.SetCellFloat(sheet, cell, yuan, 2, 64); err == nil {
						err = f.SetCellStyle(sheet, cell, cell, money)
					}
				}
			case string:
				err = f.SetCellStr(sheet, cell, reports.SafeCell(x))
			}
			if err != nil {
				return err
			}
		}
		if ri == 0 {
			last, _ := excelize.CoordinatesToCellName(len(rec), 1)
			if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
				return err
			}
		}
	}
	_, err = f.WriteTo(w)
	return err
}
