package reports

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Cell formats a value for text output (CSV, HTML): percentages with one
// decimal and "%", floats with one decimal, nil as "".
func Cell(k Kind, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		if k == Pct {
			return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
		}
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return fmt.Sprint(v)
}

// FileName is the download name of a report, e.g.
// summary_2026-03-01_2026-03-31.csv: built from the report's name (one of
// Names, checked by Build), its dates, its canonical library code and its
// service type (loan or copy, checked by app.ReportQuery) only.
func (r *Report) FileName(ext string) string {
	name := r.Name + "_" + r.From.String() + "_" + r.To.String()
	if r.Library != "" {
		name += "_" + r.Library
	}
	if r.Service != "" {
		name += "_" + string(r.Service)
	}
	return name + "." + ext
}

// WriteCSV writes the report as CSV (CSVWriter: a UTF-8 byte order mark,
// so Excel reads the Chinese text, and formula-safe text cells): a header
// row of labels in lang, then the rows. Numeric columns are written as
// numbers; text values are neutralised (SafeCell).
//
// A coded column (a library, a reason) becomes two: the name in lang and
// the code (for machines). The consortium totals row, when the report has
// one, comes last.
func (r *Report) WriteCSV(w io.Writer, lang string) error {
	cw := NewCSVWriter(w)
	head, kinds := r.outColumns(lang)
	if err := cw.WriteStrings(head); err != nil {
		return err
	}
	rec := make([]any, 0, len(head))
	for _, row := range r.outRows(lang) {
		rec = rec[:0]
		for i, v := range row {
			rec = append(rec, csvValue(kinds[i], v))
		}
		if err := cw.Write(rec...); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// CodeLabel is the heading of a coded column's code column.
func CodeLabel(c Column, lang string) string {
	if lang == "en" {
		return c.EN + " code"
	}
	return c.ZH + "代码"
}

// outColumns are the headings and kinds of the file formats' columns: a
// coded column expands to its name (Text) and its code (Text).
func (r *Report) outColumns(lang string) ([]string, []Kind) {
	var head []string
	var kinds []Kind
	for _, c := range r.Columns {
		if c.Kind.Coded() {
			head = append(head, c.Label(lang), CodeLabel(c, lang))
			kinds = append(kinds, Text, Text)
			continue
		}
		head = append(head, c.Label(lang))
		kinds = append(kinds, c.Kind)
	}
	return head, kinds
}

// outRows are the rows of the file formats (outColumns), the totals row
// last with TotalLabel in its first column.
func (r *Report) outRows(lang string) [][]any {
	rows := make([][]any, 0, len(r.Rows)+1)
	expand := func(row []any, total bool) []any {
		out := make([]any, 0, len(row)+2)
		for i, v := range row {
			c := r.Columns[i]
			if i == 0 && total {
				out = append(out, TotalLabel(lang))
				if c.Kind.Coded() {
					out = append(out, "")
				}
				continue
			}
			if c.Kind.Coded() {
				code, _ := v.(string)
				out = append(out, r.CodeName(c.Kind, code, lang), code)
				continue
			}
			out = append(out, v)
		}
		return out
	}
	for _, row := range r.Rows {
		rows = append(rows, expand(row, false))
	}
	if r.Total != nil {
		rows = append(rows, expand(r.Total, true))
	}
	return rows
}

// csvValue types a report value for CSVWriter: strings stay text (and are
// neutralised), numbers become Numerals formatted by Cell.
func csvValue(k Kind, v any) any {
	switch v.(type) {
	case nil, string:
		return v
	case int, int64, float64:
		return Numeral(Cell(k, v))
	}
	return Cell(k, v)
}

// WriteXLSX writes the report as an Excel workbook: one sheet named after
// the report, a bold header row (coded columns and the totals row as in
// WriteCSV, the totals row bold), numbers as numbers (percentages as
// fractions formatted 0.0%), text as string cells (never formulas) that
// are neutralised like CSV text (SafeCell), so that the workbook stays
// safe when it is edited or saved as CSV.
func (r *Report) WriteXLSX(w io.Writer, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := r.Name
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	pct, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("0.0%")})
	if err != nil {
		return err
	}
	one, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("0.0")})
	if err != nil {
		return err
	}
	head, kinds := r.outColumns(lang)
	for i, h := range head {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sheet, cell, SafeCell(h)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
			return err
		}
	}
	rows := r.outRows(lang)
	for ri, row := range rows {
		for ci, v := range row {
			cell, _ := excelize.CoordinatesToCellName(ci+1, ri+2)
			if r.Total != nil && ri == len(rows)-1 {
				if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
					return err
				}
			}
			if v == nil {
				continue
			}
			if err := setXLSXCell(f, sheet, cell, v); err != nil {
				return err
			}
			switch kinds[ci] {
			case Pct:
				err = f.SetCellStyle(sheet, cell, cell, pct)
			case Float:
				err = f.SetCellStyle(sheet, cell, cell, one)
			}
			if err != nil {
				return err
			}
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// setXLSXCell writes a report value: Go numbers as numeric cells, anything
// else as a string cell through SafeCell.
func setXLSXCell(f *excelize.File, sheet, cell string, v any) error {
	switch x := v.(type) {
	case int, int64, float64:
		return f.SetCellValue(sheet, cell, x)
	case string:
		return f.SetCellStr(sheet, cell, SafeCell(x))
	}
	return f.SetCellStr(sheet, cell, SafeCell(fmt.Sprint(v)))
}

func strPtr(s string) *string { return &s }
