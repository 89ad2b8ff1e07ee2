package reports

import (
	"bufio"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode"
)

// Spreadsheet formula injection (OWASP "CSV Injection", ASVS 1.2.10).
//
// Excel, LibreOffice Calc and Google Sheets read a cell whose first
// character is '=', '+', '-' or '@' as a formula (and '=cmd|...' as a DDE
// command); OWASP adds tab and carriage return, which importers may strip
// in front of one. Every text cell an export writes (CSV and XLSX, every
// report and every courier list) therefore goes through SafeCell, which
// prepends a single quote when the first visible character is such a
// trigger: the spreadsheet then shows the text and evaluates nothing.
//
// The rule is by type, never by value: a cell the code writes from a Go
// number (int, float64, or a Numeral it formatted itself, such as
// "-1.50" or "50.0%") is written as a number, so a negative amount stays
// a number; any string, whatever it looks like, is text and neutralised.
// A title "-5" is thus exported as "'-5", and a balance of -5 as -5.

// IsFormulaTrigger reports whether a cell starting with r may be evaluated:
// the OWASP list (= + - @ tab CR), line feed and NUL (ASVS 1.2.10), and the
// full-width forms ＝ ＋ － ＠ that Excel's East Asian input treats like
// their ASCII counterparts (the exports are read in Chinese locales).
func IsFormulaTrigger(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0,
		'\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
		return true
	}
	return false
}

// SafeCell returns s as a text cell a spreadsheet will not evaluate: when
// its first character, or the first one after leading white space and
// invisible format characters (which some importers trim), is a formula
// trigger, s gets a leading single quote; otherwise s is returned as is.
// SafeCell is idempotent (a quote is not a trigger).
func SafeCell(s string) string {
	for _, r := range s {
		if IsFormulaTrigger(r) {
			return "'" + s
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		return s
	}
	return s
}

// Numeral is a number the code formatted itself ("12.50", "-3", "50.0%"):
// written to a CSV as it is. A Numeral that does not look like a number
// (digits with an optional sign, decimal point and percent sign) is
// treated as text, so a mistake cannot smuggle a formula through.
type Numeral string

func (n Numeral) valid() bool {
	s := strings.TrimSuffix(string(n), "%")
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

// CSVWriter writes spreadsheet-safe CSV: a UTF-8 byte order mark first
// (so that Excel reads the Chinese text), then RFC 4180 records with "\n"
// line ends. Text cells go through SafeCell; a field is quoted when it
// holds a separator any common importer may use (comma, semicolon, tab),
// a quote, a line break, or leading or trailing spaces, so that no part
// of a value can become a cell of its own.
type CSVWriter struct {
	w   *bufio.Writer
	err error
}

// NewCSVWriter starts a CSV on w (writing the byte order mark).
func NewCSVWriter(w io.Writer) *CSVWriter {
	c := &CSVWriter{w: bufio.NewWriter(w)}
	_, c.err = c.w.WriteString("\uFEFF")
	return c
}

// Write writes one record. Cells: string (text, neutralised), int, int64,
// float64 and valid Numeral (numbers, as they are), nil (empty).
func (c *CSVWriter) Write(record ...any) error {
	if c.err != nil {
		return c.err
	}
	for i, v := range record {
		if i > 0 {
			c.w.WriteByte(',')
		}
		c.field(csvField(v))
	}
	_, c.err = c.w.WriteString("\n")
	return c.err
}

// WriteStrings writes a record of text cells.
func (c *CSVWriter) WriteStrings(record []string) error {
	cells := make([]any, len(record))
	for i, s := range record {
		cells[i] = s
	}
	return c.Write(cells...)
}

// Flush writes buffered data and returns the first error.
func (c *CSVWriter) Flush() error {
	if err := c.w.Flush(); c.err == nil {
		c.err = err
	}
	return c.err
}

// csvField is a cell's text: numbers formatted, everything else text
// through SafeCell.
func csvField(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case Numeral:
		if x.valid() {
			return string(x)
		}
		return SafeCell(string(x))
	case string:
		return SafeCell(x)
	}
	return SafeCell(Cell(Text, v))
}

func (c *CSVWriter) field(s string) {
	if !needsQuotes(s) {
		c.w.WriteString(s)
		return
	}
	c.w.WriteByte('"')
	c.w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	c.w.WriteByte('"')
}

func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if strings.ContainsAny(s, ",;\t\"\r\n") {
		return true
	}
	return s[0] == ' ' || s[len(s)-1] == ' '
}

// ContentDisposition is the Content-Disposition of a download named name.
// Callers build names from known report names, dates and canonical
// library codes; as a second line of defence every character outside
// A-Z a-z 0-9 '.' '-' '_' is replaced by '_', so the header can never
// carry a quote, a separator or a path, and mime.FormatMediaType quotes
// the result if it ever needs it. The names are ASCII: no filename*.
func ContentDisposition(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		b = append([]byte("download"), b...)
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": string(b)})
}
