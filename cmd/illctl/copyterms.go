package main

import (
	"context"
	"fmt"
	"io"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// libraryCopyTerms is `illctl library copy-terms CODE [--respond N]
// [--deliver N] [--limit N]`: the library's copy settings, changed as the
// centre (app.SetCopyTerms: validated, each change in the policy history
// under the operator's name). Flags left out keep the current value.
func libraryCopyTerms(ctx context.Context, st *mysql.Store, uses *app.Service, args []string, out io.Writer) error {
	fs := flags("library copy-terms CODE [--respond N] [--deliver N] [--limit N]",
		"Sets a library's copy request settings: the working days to answer and to deliver, and the number of open\n"+
			"copy requests a reader may have. Settings not given are kept; each change is kept in the policy history.\n", args, out)
	respond := fs.Int("respond", 0, "working days to answer a copy request (1-20; default: keep)")
	deliver := fs.Int("deliver", 0, "working days to deliver (1-20, not fewer than --respond; default: keep)")
	limit := fs.Int("limit", 0, "open copy requests per reader (1-100; default: keep)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("library copy-terms needs CODE")
	}
	code, err := ill.CanonicalCode("CODE", pos[0])
	if err != nil {
		return err
	}
	l, err := st.Library(ctx, code)
	if err != nil {
		return err
	}
	ct := l.CopyTerms()
	for _, f := range []struct {
		v   int
		dst *int
	}{{*respond, &ct.RespondDays}, {*deliver, &ct.DeliverDays}, {*limit, &ct.Limit}} {
		if f.v != 0 {
			*f.dst = f.v
		}
	}
	a := ill.StaffActor{Library: ill.CentreCode, Username: actorNow().Name, Role: ill.StaffCentreAdmin}
	changes, err := uses.SetCopyTerms(ctx, a, code, ct)
	if err != nil {
		return err
	}
	for _, c := range changes {
		fmt.Fprintf(out, "%s: %s → %s\n", c.Field, c.Old, c.New)
	}
	fmt.Fprintf(out, "library %s copy terms: respond %d, deliver %d working days, limit %d (%d changed)\n",
		l.Code, ct.RespondDays, ct.DeliverDays, ct.Limit, len(changes))
	return nil
}
