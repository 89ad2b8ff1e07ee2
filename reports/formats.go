package reports

import (
	"encoding/csv"
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

// FileName is the download name of a report, e.g. summary_2026-03-01_2026-03-31.csv.
func (r *Report) FileName(ext string) string {
	name := r.Name + "_" + r.From.String() + "_" + r.To.String()
	if r.Library != "" {
		name += "_" + r.Library
	}
	return name + "." + ext
}

// WriteCSV writes the report as CSV: a UTF-8 byte order mark (so Excel
// reads the Chinese text), a header row of labels in lang, then the rows.
func (r *Report) WriteCSV(w io.Writer, lang string) error {
	if _, err := w.Write([]byte("\xEF\xBB\xBF")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		head[i] = c.Label(lang)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, row := range r.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = Cell(r.Columns[i].Kind, v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the report as an Excel workbook: one sheet named after
// the report, a bold header row, numbers as numbers (percentages as
// fractions formatted 0.0%).
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
	for i, c := range r.Columns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(sheet, cell, c.Label(lang)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
			return err
		}
	}
	for ri, row := range r.Rows {
		for ci, v := range row {
			cell, _ := excelize.CoordinatesToCellName(ci+1, ri+2)
			if v == nil {
				continue
			}
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
			switch r.Columns[ci].Kind {
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

func strPtr(s string) *string { return &s }
