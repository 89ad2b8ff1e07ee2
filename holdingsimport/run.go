package holdingsimport

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Options configure Import.
type Options struct {
	Format  string    // csv, jsonl or marcxml
	Replace bool      // full re-import: afterwards delete the library's holdings the file did not contain
	Rejects io.Writer // optional: rejected rows as CSV (line, local_id, reason)
	Batch   int       // rows per transaction; 0: 1000
	Now     time.Time // the import's time stamp (updated_at); zero: time.Now()
	// Progress, if set, is called after each batch with the rows read so far.
	Progress func(rows int)
}

// Summary is what an import did.
type Summary struct {
	Rows      int // rows read
	Added     int
	Updated   int
	Deleted   int // by --replace
	Rejected  int
	Conflicts int            // matching conflicts reported (GET /v1/catalog/conflicts)
	Reasons   map[string]int // rejection reason → rows
	Elapsed   time.Duration
}

func (s Summary) String() string {
	out := fmt.Sprintf("%d rows: %d added, %d updated, %d deleted, %d rejected, %d matching conflicts reported, in %s",
		s.Rows, s.Added, s.Updated, s.Deleted, s.Rejected, s.Conflicts, s.Elapsed.Round(time.Millisecond))
	for r, n := range s.Reasons {
		out += fmt.Sprintf("\n  rejected %6d × %s", n, r)
	}
	return out
}

// Import reads a library's export and applies it in batches through
// mysql.Store.ApplyHoldingsBatch (the matching and index upkeep of the
// holdings consumer). With Replace, holdings of this library that the file
// did not contain are deleted at the end (only when the whole file was
// read); other libraries' holdings are never touched. Batches already
// applied stay applied if Import fails midway: run it again (it is an
// upsert by local id).
func Import(ctx context.Context, st *mysql.Store, library string, r io.Reader, o Options) (Summary, error) {
	start := time.Now()
	sum := Summary{Reasons: map[string]int{}}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	at := o.Now
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC().Truncate(time.Millisecond)
	if _, err := st.Library(ctx, library); err != nil {
		return sum, err
	}
	var rw *csv.Writer
	if o.Rejects != nil {
		rw = csv.NewWriter(o.Rejects)
		_ = rw.Write([]string{"line", "local_id", "reason"})
		defer rw.Flush()
	}
	reject := func(line int, local, why string) {
		sum.Rejected++
		sum.Reasons[why]++
		if rw != nil {
			_ = rw.Write([]string{strconv.Itoa(line), local, why})
		}
	}
	var batch []ill.Holding
	var lines []int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := st.ApplyHoldingsBatch(ctx, library, ill.HoldingsBatch{Upserts: batch}, at)
		if err != nil {
			return err
		}
		sum.Added += res.Added
		sum.Updated += res.Updated
		sum.Conflicts += res.Conflicts
		for _, rj := range res.Rejections {
			reject(lines[rj.Index], rj.LocalID, rj.Reason)
		}
		batch, lines = batch[:0], lines[:0]
		if o.Progress != nil {
			o.Progress(sum.Rows)
		}
		return ctx.Err()
	}
	seen := map[string]int{}
	err := Read(r, o.Format, func(row Row) error {
		sum.Rows++
		if row.Err != "" {
			reject(row.Line, row.Holding.LocalID, row.Err)
			return nil
		}
		if why := ill.ValidateHolding(row.Holding); why != "" {
			reject(row.Line, row.Holding.LocalID, why)
			return nil
		}
		if first, dup := seen[row.Holding.LocalID]; dup {
			reject(row.Line, row.Holding.LocalID, "local_id repeats line "+strconv.Itoa(first))
			return nil
		}
		seen[row.Holding.LocalID] = row.Line
		batch = append(batch, row.Holding)
		lines = append(lines, row.Line)
		if len(batch) >= o.Batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && o.Replace {
		sum.Deleted, err = st.ReplaceHoldings(ctx, library, at)
	}
	sum.Elapsed = time.Since(start)
	return sum, err
}
