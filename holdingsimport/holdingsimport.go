// Package holdingsimport reads a member library's holdings export (CSV,
// JSON lines or MARCXML) into ill.Holding rows for `illctl import holdings`
// (docs/catalog.md). It only parses: matching and storage are
// mysql.ApplyHoldings', the same code the holdings consumer runs for
// POST /v1/holdings.
//
// Formats:
//   - csv: a header row naming the columns, with the names of the JSON
//     holdings fields (local_id, isbn, title, author, publisher, year,
//     language, material, call_number, copies, available, lendable; for a
//     serial issn and coverage, see docs/copies.md);
//     unknown columns are ignored; a UTF-8 BOM is skipped.
//   - jsonl: one JSON holdings object per line (blank lines skipped).
//   - marcxml: MARC21 bibliographic records in MARCXML (a <collection> or
//     bare <record>s): 001 local id, 020$a ISBN, 245$a$b title, 100/110/
//     111$a or else 245$c author, 260/264$b publisher and $c year (else
//     008/07-10), 008/35-37 language, leader/06-07 material; every 852 or
//     999 field is one copy: call number 852$h$i / 999$a, and the copy is on
//     loan when 852$z / 999$k or $l says so (e.g. "借出", "checked out",
//     "on loan"), not lendable when it says reference-only ("阅览",
//     "参考", "reference", "not for loan").
package holdingsimport

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/balis/illhub/ill"
)

// Row is one parsed row: a holding, or why the row could not be read.
type Row struct {
	Line    int // 1-based line (csv, jsonl) or record number (marcxml)
	Holding ill.Holding
	Err     string // non-empty: the row is rejected with this reason
}

// Formats are the accepted --format values.
var Formats = []string{"csv", "jsonl", "marcxml"}

// DetectFormat guesses the format from a file name ("" if unknown).
func DetectFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv"
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	case ".xml", ".marcxml", ".mrcx":
		return "marcxml"
	}
	return ""
}

// Read parses r in format and calls fn for every row, in order. It stops
// at the first error fn returns, or at a read error that makes the rest of
// the file unreadable (malformed XML, CSV without header).
func Read(r io.Reader, format string, fn func(Row) error) error {
	switch format {
	case "csv":
		return readCSV(r, fn)
	case "jsonl":
		return readJSONL(r, fn)
	case "marcxml":
		return readMARCXML(r, fn)
	}
	return fmt.Errorf("holdingsimport: unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
}

func readCSV(r io.Reader, fn func(Row) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("holdingsimport: csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	for _, need := range []string{"local_id", "title"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("holdingsimport: csv header lacks column %q", need)
		}
	}
	line := 1
	for {
		rec, err := cr.Read()
		line++
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if e := fn(Row{Line: line, Err: pe.Err.Error()}); e != nil {
					return e
				}
				continue
			}
			return err
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := Row{Line: line}
		h := ill.Holding{LocalID: get("local_id"), ISBN: get("isbn"), Title: get("title"), Author: get("author"),
			Publisher: get("publisher"), Language: get("language"), Material: get("material"), CallNumber: get("call_number"),
			ISSN: get("issn"), Coverage: get("coverage")}
		var bad []string
		num := func(k string, to *int) {
			if v := get(k); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					bad = append(bad, k+" is not a number")
				}
				*to = n
			}
		}
		num("year", &h.Year)
		num("copies", &h.Copies)
		num("available", &h.Available)
		if v := get("lendable"); v != "" {
			b, err := parseBool(v)
			if err != nil {
				bad = append(bad, "lendable is not true/false")
			}
			h.Lendable = &b
		}
		row.Holding = h
		if len(bad) > 0 {
			row.Err = strings.Join(bad, "; ")
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "y", "是":
		return true, nil
	case "0", "false", "no", "n", "否":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}

func readJSONL(r io.Reader, fn func(Row) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		b := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if b == "" {
			continue
		}
		row := Row{Line: line}
		dec := json.NewDecoder(strings.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&row.Holding); err != nil {
			row.Err = "malformed JSON: " + err.Error()
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return sc.Err()
}

type marcRecord struct {
	Leader  string `xml:"leader"`
	Control []struct {
		Tag   string `xml:"tag,attr"`
		Value string `xml:",chardata"`
	} `xml:"controlfield"`
	Data []marcField `xml:"datafield"`
}

type marcField struct {
	Tag  string `xml:"tag,attr"`
	Subs []struct {
		Code  string `xml:"code,attr"`
		Value string `xml:",chardata"`
	} `xml:"subfield"`
}

func (f marcField) sub(codes string) string {
	var parts []string
	for _, s := range f.Subs {
		if strings.Contains(codes, s.Code) {
			if v := strings.TrimSpace(s.Value); v != "" {
				parts = append(parts, v)
			}
		}
	}
	return strings.Join(parts, " ")
}

func (m marcRecord) control(tag string) string {
	for _, c := range m.Control {
		if c.Tag == tag {
			return c.Value
		}
	}
	return ""
}

func (m marcRecord) field(tags ...string) (marcField, bool) {
	for _, t := range tags {
		for _, f := range m.Data {
			if f.Tag == t {
				return f, true
			}
		}
	}
	return marcField{}, false
}

func readMARCXML(r io.Reader, fn func(Row) error) error {
	dec := xml.NewDecoder(r)
	n := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("holdingsimport: marcxml after record %d: %w", n, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "record" {
			continue
		}
		var m marcRecord
		if err := dec.DecodeElement(&m, &se); err != nil {
			return fmt.Errorf("holdingsimport: marcxml record %d: %w", n+1, err)
		}
		n++
		if err := fn(fromMARC(n, m)); err != nil {
			return err
		}
	}
}

var isbnTrail = strings.NewReplacer("(", " ", "（", " ", ":", " ", ";", " ")

func fromMARC(n int, m marcRecord) Row {
	h := ill.Holding{LocalID: strings.TrimSpace(m.control("001"))}
	if f, ok := m.field("020"); ok {
		if v := strings.Fields(isbnTrail.Replace(f.sub("a"))); len(v) > 0 {
			h.ISBN = v[0] // "7-04-040664-0 (平装)" → the number only
		}
	}
	if f, ok := m.field("245"); ok {
		h.Title = strings.TrimRight(strings.TrimSpace(f.sub("ab")), " /:;=.")
		if f2, ok := m.field("100", "110", "111"); ok {
			h.Author = strings.TrimRight(f2.sub("a"), " ,.")
		} else {
			h.Author = strings.TrimRight(f.sub("c"), " ,.")
		}
	}
	if f, ok := m.field("260", "264"); ok {
		h.Publisher = strings.TrimRight(f.sub("b"), " ,:;")
		h.Year = firstYear(f.sub("c"))
	}
	f008 := m.control("008")
	if h.Year == 0 && len(f008) >= 11 {
		h.Year = firstYear(f008[7:11])
	}
	if len(f008) >= 38 {
		h.Language = strings.TrimSpace(f008[35:38])
	}
	if len(m.Leader) >= 8 {
		switch m.Leader[6:8] {
		case "am", "aa", "ac", "ad":
			h.Material = "book"
		case "as", "ab":
			h.Material = "journal"
		default:
			h.Material = "other"
		}
	}
	lendable := false
	for _, f := range m.Data {
		if f.Tag != "852" && f.Tag != "999" {
			continue
		}
		h.Copies++
		status := strings.ToLower(f.sub("zkl"))
		if h.CallNumber == "" {
			if f.Tag == "852" {
				h.CallNumber = f.sub("hi")
			} else {
				h.CallNumber = f.sub("a")
			}
		}
		if !anyOf(status, "借出", "外借中", "checked out", "on loan", "lost", "遗失", "missing") {
			h.Available++
		}
		if !anyOf(status, "阅览", "参考", "reference", "not for loan", "不外借") {
			lendable = true
		}
	}
	row := Row{Line: n}
	if h.Copies == 0 {
		row.Err = "no holdings (852 or 999) field"
	} else {
		h.Lendable = &lendable
	}
	row.Holding = h
	return row
}

func anyOf(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func firstYear(s string) int {
	for i := 0; i+4 <= len(s); i++ {
		if y, err := strconv.Atoi(s[i : i+4]); err == nil && y >= 1000 && y <= 2100 {
			return y
		}
	}
	return 0
}
