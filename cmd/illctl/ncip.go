package main

// illctl library ncip.

import (
	"context"
	"fmt"
	"io"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// libraryNCIP is `illctl library ncip CODE --url URL [--from-agency X]
// [--to-agency Y]`: a member's NCIP registration (docs/ncip.md), through
// the centre's use case (audited); --url "" switches NCIP off. Without
// --url it shows the registration.
func libraryNCIP(ctx context.Context, uses *app.Service, args []string, out io.Writer) error {
	fs := flags("library ncip CODE --url URL [--from-agency X] [--to-agency Y]",
		"Registers the NCIP 2.0 responder of a member's own library system: the hub then calls it as requests move\n"+
			"(LookupUser on submit, AcceptItem, CheckOutItem, CheckInItem; docs/ncip.md). --url \"\" switches NCIP off;\n"+
			"without --url the registration is shown.\n", args, out)
	endpoint := fs.String("url", "", "the ILS's NCIP endpoint (http or https)")
	from := fs.String("from-agency", "", "the hub's agency id in that ILS, sent as FromAgencyId (default: ILL_HUB_SYMBOL)")
	to := fs.String("to-agency", "", "the ILS's own agency id, sent as ToAgencyId (default: CODE)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("library ncip needs CODE")
	}
	code := pos[0]
	if !flagSet(fs, "url") {
		m, err := uses.NCIPMember(ctx, centre, code)
		if err != nil {
			return fmt.Errorf("library ncip: %w", err)
		}
		if !m.Enabled() {
			fmt.Fprintf(out, "%s: no NCIP\n", code)
			return nil
		}
		fmt.Fprintf(out, "%s: NCIP at %s (from agency %q, to agency %q; empty: the defaults)\n", code, m.Endpoint, m.FromAgency, m.ToAgency)
		return nil
	}
	if err := uses.RegisterNCIP(ctx, centre, actorNow().Name, ill.NCIPRegistration{Code: code, Endpoint: *endpoint, FromAgency: *from, ToAgency: *to}); err != nil {
		return fmt.Errorf("library ncip: %w", err)
	}
	if *endpoint == "" {
		fmt.Fprintf(out, "library %s: NCIP switched off\n", code)
	} else {
		fmt.Fprintf(out, "library %s: NCIP at %s\n", code, *endpoint)
	}
	return nil
}
