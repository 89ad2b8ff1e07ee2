package holdingsimport_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/holdingsimport"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

const csvExport = "\ufefflocal_id,isbn,title,author,publisher,year,call_number,copies,available,lendable,extra\n" +
	"b1,7-04-040664-0,数据库系统概论（第5版）,\"王珊, 萨师煊\",高等教育出版社,2014,TP311.13/W245,2,1,true,x\n" +
	"b2,,红楼梦,曹雪芹,人民文学出版社,2008,I242.4/1,1,0,yes,\n" +
	",,没有编号,,,,,,,,\n" +
	"b4,,年份错,某人,某社,twenty,,,,,\n" +
	"b2,,红楼梦,曹雪芹,人民文学出版社,2008,I242.4/1,1,0,yes,\n"

const jsonlExport = `{"local_id":"j1","isbn":"9787040406641","title":"数据库系统概论","author":"王珊","publisher":"高等教育出版社","year":2014,"copies":1,"available":1}

{"local_id":"j2","title":"数据结构","author":"严蔚敏","year":"1997"}
{"local_id":"j3","title":"红楼梦","author":"曹雪芹","publisher":"人民文学出版社","year":2008}
`

const marcExport = `<?xml version="1.0" encoding="UTF-8"?>
<collection xmlns="http://www.loc.gov/MARC21/slim">
 <record>
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">m001</controlfield>
  <controlfield tag="008">140601s2014    cc            000 0 chi d</controlfield>
  <datafield tag="020" ind1=" " ind2=" "><subfield code="a">978-7-04-040664-1 (平装)</subfield></datafield>
  <datafield tag="100" ind1="1" ind2=" "><subfield code="a">王珊,</subfield></datafield>
  <datafield tag="245" ind1="1" ind2="0"><subfield code="a">数据库系统概论 /</subfield><subfield code="c">王珊, 萨师煊编著</subfield></datafield>
  <datafield tag="260" ind1=" " ind2=" "><subfield code="b">高等教育出版社,</subfield><subfield code="c">2014.</subfield></datafield>
  <datafield tag="852" ind1=" " ind2=" "><subfield code="h">TP311.13</subfield><subfield code="i">W245</subfield></datafield>
  <datafield tag="852" ind1=" " ind2=" "><subfield code="h">TP311.13</subfield><subfield code="i">W245</subfield><subfield code="z">借出</subfield></datafield>
 </record>
 <record>
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">m002</controlfield>
  <datafield tag="245" ind1="1" ind2="0"><subfield code="a">中国大百科全书</subfield></datafield>
  <datafield tag="999" ind1=" " ind2=" "><subfield code="a">Z256/1</subfield><subfield code="l">阅览室 参考</subfield></datafield>
 </record>
 <record>
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">m003</controlfield>
  <datafield tag="245" ind1="1" ind2="0"><subfield code="a">无馆藏</subfield></datafield>
 </record>
</collection>`

func rows(t *testing.T, format, in string) []holdingsimport.Row {
	t.Helper()
	var out []holdingsimport.Row
	if err := holdingsimport.Read(strings.NewReader(in), format, func(r holdingsimport.Row) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadFormats(t *testing.T) {
	c := rows(t, "csv", csvExport)
	if len(c) != 5 || c[0].Holding.Author != "王珊, 萨师煊" || c[0].Holding.Copies != 2 || c[0].Holding.Available != 1 ||
		c[0].Holding.Year != 2014 || c[0].Holding.Lendable == nil || !*c[0].Holding.Lendable || c[0].Line != 2 {
		t.Errorf("csv row 1: %+v", c[0])
	}
	if c[3].Err == "" {
		t.Errorf("csv: a non-numeric year must be a row error: %+v", c[3])
	}
	j := rows(t, "jsonl", jsonlExport)
	if len(j) != 3 || j[0].Holding.ISBN != "9787040406641" || j[1].Err == "" || j[2].Line != 4 {
		t.Errorf("jsonl: %+v", j)
	}
	m := rows(t, "marcxml", marcExport)
	if len(m) != 3 {
		t.Fatalf("marcxml: %d rows", len(m))
	}
	h := m[0].Holding
	if h.LocalID != "m001" || h.ISBN != "978-7-04-040664-1" || h.Title != "数据库系统概论" || h.Author != "王珊" ||
		h.Publisher != "高等教育出版社" || h.Year != 2014 || h.Language != "chi" || h.Material != "book" ||
		h.Copies != 2 || h.Available != 1 || h.CallNumber != "TP311.13 W245" || !*h.Lendable {
		t.Errorf("marc record 1: %+v", h)
	}
	if h := m[1].Holding; *h.Lendable || h.Copies != 1 || h.Author != "" {
		t.Errorf("marc record 2 (reference only): %+v", h)
	}
	if m[2].Err == "" {
		t.Errorf("marc record without 852/999 must be rejected: %+v", m[2])
	}
	if err := holdingsimport.Read(strings.NewReader("<collection><record>"), "marcxml", func(holdingsimport.Row) error { return nil }); err == nil {
		t.Error("truncated XML must fail")
	}
	if err := holdingsimport.Read(strings.NewReader("isbn\n1\n"), "csv", func(holdingsimport.Row) error { return nil }); err == nil {
		t.Error("CSV without local_id/title columns must fail")
	}
}

// A full re-import (--replace) replaces one library's holdings and leaves
// another library's alone; rejected rows are counted with reasons and
// written out.
func TestImportReplace(t *testing.T) {
	_, st := testenv.DB(t, "import")
	ctx := context.Background()
	for _, c := range []string{"AAA", "BBB"} {
		if err := st.AddLibrary(ctx, ill.Library{Code: c, NameZH: c, Lending: true}); err != nil {
			t.Fatal(err)
		}
	}
	var rej bytes.Buffer
	sum, err := holdingsimport.Import(ctx, st, "AAA", strings.NewReader(csvExport), holdingsimport.Options{Format: "csv", Rejects: &rej,
		Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 5 || sum.Added != 2 || sum.Rejected != 3 {
		t.Fatalf("csv import: %+v", sum)
	}
	if n := strings.Count(rej.String(), "\n"); n != 4 || !strings.Contains(rej.String(), "local_id repeats line 3") {
		t.Errorf("rejects file:\n%s", rej.String())
	}
	if _, err := holdingsimport.Import(ctx, st, "BBB", strings.NewReader(marcExport), holdingsimport.Options{Format: "marcxml"}); err != nil {
		t.Fatal(err)
	}
	// AAA's new export: b1 again, b2 gone, j1..j3 new (j2 rejected).
	sum, err = holdingsimport.Import(ctx, st, "AAA", strings.NewReader(jsonlExport+
		`{"local_id":"b1","isbn":"7040406640","title":"数据库系统概论（第5版）","author":"王珊","publisher":"高等教育出版社","year":2014}`+"\n"),
		holdingsimport.Options{Format: "jsonl", Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 2 || sum.Updated != 1 || sum.Deleted != 1 || sum.Rejected != 1 {
		t.Errorf("replace import: %+v", sum)
	}
	count := func(lib string) (n int) {
		_ = st.DB.Get(&n, `SELECT COUNT(*) FROM holdings WHERE library_code = ?`, lib)
		return n
	}
	if count("AAA") != 3 || count("BBB") != 2 {
		t.Errorf("holdings AAA=%d (want 3) BBB=%d (want 2)", count("AAA"), count("BBB"))
	}
	// j1 (ISBN-13 of the book) and BBB's MARC copy (hyphenated ISBN-13) share one record.
	var recs int
	_ = st.DB.Get(&recs, `SELECT COUNT(DISTINCT record_id) FROM holdings WHERE local_id IN ('j1', 'm001')`)
	if recs != 1 {
		t.Errorf("j1 and m001 are on %d records, want 1", recs)
	}
}
