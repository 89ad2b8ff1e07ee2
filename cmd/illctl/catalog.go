package main

// Union catalogue commands — import holdings, catalog reindex.

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/holdingsimport"
	"github.com/schollz/progressbar/v3"
)

// importCmd: illctl import holdings FILE --library CODE [--format F] [--replace] [--rejects FILE]
func importCmd(ctx context.Context, cfg config.Config, sub string, args []string, out, stderr io.Writer) error {
	fs := flags("import holdings FILE --library CODE [--format csv|jsonl|marcxml] [--replace] [--rejects FILE]",
		"Imports a library's holdings export (CSV with a header of holdings field names, JSON lines, or MARCXML\n"+
			"with 852/999 holdings fields; see docs/catalog.md), matching every row to a union record.\n"+
			"--replace makes it a full re-import: the library's holdings missing from the file are deleted\n"+
			"(other libraries are untouched). Prints added/updated/deleted/rejected; rejected rows go to --rejects.\n", args, out)
	lib := fs.String("library", "", "member library code whose export this is (required)")
	format := fs.String("format", "", "csv, jsonl or marcxml (default: from the file extension)")
	replace := fs.Bool("replace", false, "full re-import: delete this library's holdings not in the file")
	rejects := fs.String("rejects", "", "write rejected rows (line, local_id, reason) to this CSV file")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if sub != "holdings" {
		fs.Usage()
		return fmt.Errorf("usage: illctl import holdings FILE --library CODE")
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || *lib == "" {
		fs.Usage()
		return fmt.Errorf("import holdings needs FILE and --library")
	}
	f := *format
	if f == "" {
		f = holdingsimport.DetectFormat(pos[0])
	}
	if f == "" {
		return fmt.Errorf("import holdings: cannot tell the format of %s: give --format csv|jsonl|marcxml", pos[0])
	}
	file, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return err
	}
	var r io.Reader = file
	var bar *progressbar.ProgressBar
	if !*quiet {
		bar = progressbar.NewOptions64(info.Size(), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("importing "+pos[0]), progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(200_000_000), progressbar.OptionClearOnFinish())
		r = io.TeeReader(file, bar)
	}
	o := holdingsimport.Options{Format: f, Replace: *replace}
	if *rejects != "" {
		rf, err := os.Create(*rejects)
		if err != nil {
			return err
		}
		defer rf.Close()
		o.Rejects = rf
	}
	if bar != nil {
		o.Progress = func(rows int) { bar.Describe(fmt.Sprintf("importing %s: %d rows", pos[0], rows)) }
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := holdingsimport.Import(ctx, st, strings.ToUpper(*lib), r, o)
	if bar != nil {
		_ = bar.Finish()
	}
	fmt.Fprintln(out, sum)
	if err == nil && sum.Rejected > 0 && *rejects != "" {
		fmt.Fprintf(out, "rejected rows written to %s\n", *rejects)
	}
	return err
}

// catalogCmd: illctl catalog reindex
func catalogCmd(ctx context.Context, cfg config.Config, sub string, args []string, out, stderr io.Writer) error {
	fs := flags("catalog reindex", "Rebuilds the catalogue search index (record_search, record_terms) and the records' match keys\n"+
		"from records and holdings, then swaps it in atomically. Run it when the holdings queue is idle.\n", args, out)
	if sub != "reindex" {
		fs.Usage()
		return fmt.Errorf("usage: illctl catalog reindex")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	recs, terms, err := st.RebuildSearchIndex(ctx, func(done, total int) {
		fmt.Fprintf(stderr, "\rindexing: %d/%d records", done, total)
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "search index rebuilt: %d records, %d bigram postings\n", recs, terms)
	return nil
}
