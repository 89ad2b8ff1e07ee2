package main

// illctl courier: courier credentials and courier days.

import (
	"context"
	"fmt"
	"io"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
)

func courier(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "key":
		fs := flags("courier key [--label L]", "Issues a new courier credential for POST /v1/courier/scans (and reading runs,\n"+
			"manifests and courier reports). It is shown once and stored only as a hash; library keys do not work for scans.\n", args, out)
		label := fs.String("label", "", "whose scanner the key is for")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 0 {
			fs.Usage()
			return fmt.Errorf("courier key takes no arguments")
		}
		key, _, err := centreUses(st).IssueKey(ctx, centre, actorNow().Name, ill.CourierOwner, *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, key)
		return nil
	case "days":
		fs := flags("courier days CODE DAYS [--cutoff HH:MM]", "DAYS: the weekdays the courier calls, e.g. mon,tue,wed,thu,fri.\n"+
			"Shipments created after the cut-off (Asia/Shanghai) go on the next run.\n", args, out)
		cutoff := fs.String("cutoff", "", "daily cut-off HH:MM (unchanged when omitted)")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			fs.Usage()
			return fmt.Errorf("courier days needs CODE and DAYS")
		}
		days, err := ill.ParseCourierDays(pos[1])
		if err != nil {
			return err
		}
		if days == 0 {
			return fmt.Errorf("courier days: at least one day is needed")
		}
		if *cutoff != "" {
			m, err := ill.ParseCutoff(*cutoff)
			if err != nil {
				return err
			}
			*cutoff = fmt.Sprintf("%02d:%02d", m/60, m%60)
		}
		code, err := ill.CanonicalCode("CODE", pos[0])
		if err != nil {
			return err
		}
		if err := centreUses(st).SetCourierDays(ctx, centre, actorNow().Name, code, days, *cutoff); err != nil {
			return err
		}
		fmt.Fprintf(out, "library %s: courier days %s%s\n", code, days, map[bool]string{true: ", cut-off " + *cutoff, false: ""}[*cutoff != ""])
		return nil
	}
	return fmt.Errorf("usage: illctl courier key|days")
}
