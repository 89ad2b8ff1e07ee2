package iso18626_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balis/illhub/iso18626"
)

// countingReader counts what ReadHeader takes from the body.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadHeaderSamples(t *testing.T) {
	for file, want := range map[string]struct{ kind, sender, rid string }{
		"1-request.xml":             {"request", "LIB-A", "A-2025-000123"},
		"3-sam-loaned.xml":          {"supplyingAgencyMessage", "LIB-B", "A-2025-000123"},
		"5-ram-cancel.xml":          {"requestingAgencyMessage", "LIB-A", "A-2025-000123"},
		"2-requestConfirmation.xml": {"requestConfirmation", "", ""},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		env, prefix, p := iso18626.ReadHeader(bytes.NewReader(b))
		if p != nil {
			t.Fatalf("%s: %v", file, p)
		}
		if env.Kind != want.kind || env.Sender().Value != want.sender || env.Header.RequestingAgencyRequestID != want.rid {
			t.Errorf("%s: kind %q sender %q rid %q; want %+v", file, env.Kind, env.Sender().Value, env.Header.RequestingAgencyRequestID, want)
		}
		if !bytes.HasPrefix(b, prefix) {
			t.Errorf("%s: the consumed bytes are not the message's start", file)
		}
	}
}

// An unauthenticated sender can make the hub read at most MaxHeaderBytes,
// whatever follows the header.
func TestReadHeaderReadsOnlyTheHeader(t *testing.T) {
	b, _ := os.ReadFile("testdata/1-request.xml")
	i := bytes.Index(b, []byte("</ill:header>")) + len("</ill:header>")
	huge := append(append(append([]byte{}, b[:i]...), bytes.Repeat([]byte("<ill:note>x</ill:note>"), 100000)...), b[i:]...)
	cr := &countingReader{r: bytes.NewReader(huge)}
	env, prefix, p := iso18626.ReadHeader(cr)
	if p != nil || env.Kind != "request" {
		t.Fatalf("kind %v, problem %v", env, p)
	}
	if cr.n > iso18626.MaxHeaderBytes || len(prefix) != cr.n {
		t.Fatalf("read %d bytes (kept %d) of a %d-byte message; at most %d before authentication", cr.n, len(prefix), len(huge), iso18626.MaxHeaderBytes)
	}
	// The consumed bytes and the rest are the whole message.
	rest, _ := io.ReadAll(cr.r)
	if !bytes.Equal(append(prefix, rest...), huge) {
		t.Fatal("prefix + rest is not the message")
	}
}

func TestReadHeaderRefuses(t *testing.T) {
	const ns = `xmlns="http://illtransactions.org/2013/iso18626" version="1.2"`
	for name, doc := range map[string]string{
		"empty":            ``,
		"not xml":          `hello`,
		"other root":       `<foo/>`,
		"header not first": `<ISO18626Message ` + ns + `><request><bibliographicInfo/><header/></request></ISO18626Message>`,
		"no header":        `<ISO18626Message ` + ns + `><request></request></ISO18626Message>`,
		"huge header": `<ISO18626Message ` + ns + `><request><header><requestingAgencyRequestId>` +
			strings.Repeat("x", 2*iso18626.MaxHeaderBytes) + `</requestingAgencyRequestId></header></request></ISO18626Message>`,
		"entity": `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><ISO18626Message ` + ns +
			`><request><header><requestingAgencyRequestId>&b;</requestingAgencyRequestId></header></request></ISO18626Message>`,
		"external entity": `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><ISO18626Message ` + ns +
			`><request><header><requestingAgencyRequestId>&x;</requestingAgencyRequestId></header></request></ISO18626Message>`,
	} {
		if env, _, p := iso18626.ReadHeader(strings.NewReader(doc)); p == nil || p.Type != iso18626.ErrBadlyFormedMessage {
			t.Errorf("%s: got %+v, %v; want BadlyFormedMessage", name, env, p)
		}
	}
}

// Whatever the bytes, ReadHeader reads at most MaxHeaderBytes, and when
// the whole message parses cleanly it names the same kind and sender as
// Parse, so authentication and processing see one sender.
func FuzzReadHeader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := &countingReader{r: bytes.NewReader(b)}
		env, prefix, p := iso18626.ReadHeader(cr)
		if cr.n > iso18626.MaxHeaderBytes || len(prefix) != cr.n {
			t.Fatalf("read %d bytes, kept %d", cr.n, len(prefix))
		}
		if p != nil {
			if !p.Type.Valid() || p.Value == "" {
				t.Fatalf("problem without type or value: %+v", p)
			}
			return
		}
		m, mp := iso18626.Parse(b)
		if mp != nil || m.Header() == nil {
			return
		}
		if m.Kind() != env.Kind {
			t.Fatalf("kind: ReadHeader %q, Parse %q", env.Kind, m.Kind())
		}
		sender := m.Header().RequestingAgencyID
		if m.SupplyingAgencyMessage != nil {
			sender = m.Header().SupplyingAgencyID
		}
		if sender.Value != env.Sender().Value {
			t.Fatalf("sender: ReadHeader %q, Parse %q", env.Sender().Value, sender.Value)
		}
	})
}
