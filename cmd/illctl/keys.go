package main

// illctl key: the lifecycle of API keys and courier credentials (SPEC
// 5.4), through the centre's use cases (app/admin.go). One namespace of owners: a member library's code, CENTRE (the
// centre's admin keys) or COURIER (courier credentials). Every issue,
// revocation and rotation writes an audit_log row naming the OS user who
// ran illctl. Keys are printed once, when issued, and stored only hashed.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
)

const keyUsage = `usage:
  illctl key list [OWNER]                 keys (id, owner, label, created, revoked); never the keys
  illctl key issue OWNER [--label L]      a new key, printed once (same as library key / courier key)
  illctl key revoke OWNER [--id N]        revoke OWNER's active keys, or only key N
  illctl key revoke --demo                revoke every demo dataset credential (demo-key-*)
  illctl key rotate OWNER [--label L]     issue a new key (printed once) and revoke OWNER's other keys
  illctl key log [OWNER] [--limit N]      the audit log of these changes

OWNER: a member library's code (e.g. THU), CENTRE for the centre's admin keys,
or COURIER for courier credentials (POST /v1/courier/scans).
A running producer refuses a revoked key within ILL_KEY_CACHE_TTL (2 s by default).
`

// actorNow is the audit actor: the OS user running illctl (and who used
// sudo to become it), at the current time.
func actorNow() ill.AuditActor {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = "uid " + strconv.Itoa(os.Getuid())
	}
	if su := os.Getenv("SUDO_USER"); su != "" && su != name {
		name += " (sudo by " + su + ")"
	}
	return ill.AuditActor{Name: name, At: time.Now()}
}

func keyCmd(ctx context.Context, cfg config.Config, sub string, args []string, out, stderr io.Writer) error {
	if sub == "" || sub == "help" {
		fmt.Fprint(out, keyUsage)
		if sub == "" && !(len(args) > 0 && (args[0] == "-h" || args[0] == "--help")) {
			return fmt.Errorf("illctl key needs a subcommand")
		}
		return nil
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	uses := centreUses(st)
	keyOwner := func(arg string, mustExist bool) (string, error) { return uses.KeyOwner(ctx, centre, arg, mustExist) }
	switch sub {
	case "list":
		fs := flags("key list [OWNER]", "Lists keys: id, owner, kind, label, created, revoked. Keys themselves are never shown.\n", args, out)
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) > 1 {
			fs.Usage()
			return fmt.Errorf("key list takes at most one OWNER")
		}
		owner := ""
		if len(pos) == 1 {
			if owner, err = keyOwner(pos[0], false); err != nil {
				return err
			}
		}
		keys, err := uses.Keys(ctx, centre, owner)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tOWNER\tKIND\tLABEL\tCREATED\tREVOKED")
		for _, k := range keys {
			kind := "library"
			switch {
			case k.Owner == ill.CourierOwner:
				kind = "courier"
			case k.Centre:
				kind = "centre"
			}
			revoked := "-"
			if !k.RevokedAt.IsZero() {
				revoked = shanghai(k.RevokedAt)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Owner, kind, k.Label, shanghai(k.CreatedAt), revoked)
		}
		return tw.Flush()
	case "issue":
		fs := flags("key issue OWNER [--label L]", "Issues a new key for OWNER. It is printed once and stored only as a hash.\n", args, out)
		label := fs.String("label", "", "what (or whose system) the key is for")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("key issue needs OWNER")
		}
		key, _, err := uses.IssueKey(ctx, centre, actorNow().Name, pos[0], *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, key)
		return nil
	case "revoke":
		fs := flags("key revoke OWNER [--id N] | key revoke --demo", "Revokes OWNER's active keys (or only key N, see `illctl key list OWNER`);\n"+
			"--demo revokes every demo dataset credential. Running producers refuse them within ILL_KEY_CACHE_TTL.\n", args, out)
		id := fs.Int64("id", 0, "revoke only key `N` (the ID shown by illctl key list)")
		demoKeys := fs.Bool("demo", false, "revoke every active demo credential (demo-key-CODE, demo-key-CENTRE, demo-key-COURIER)")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if *demoKeys {
			if len(pos) != 0 || *id != 0 {
				fs.Usage()
				return fmt.Errorf("key revoke --demo takes no OWNER and no --id")
			}
			creds, err := uses.RevokeDemoKeys(ctx, centre, actorNow().Name)
			if err != nil {
				return err
			}
			for _, c := range creds {
				fmt.Fprintf(out, "revoked demo key %d of %s\n", c.ID, c.Owner)
			}
			fmt.Fprintf(out, "%d demo credential(s) revoked\n", len(creds))
			return nil
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("key revoke needs OWNER (a library code, CENTRE or COURIER) or --demo")
		}
		if *id < 0 {
			return fmt.Errorf("key revoke: --id must be a key ID from `illctl key list`")
		}
		owner, err := keyOwner(pos[0], false)
		if err != nil {
			return err
		}
		ids, err := uses.RevokeKeys(ctx, centre, actorNow().Name, owner, *id)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			fmt.Fprintf(out, "%s has no active key: nothing revoked\n", owner)
			return nil
		}
		fmt.Fprintf(out, "%s: revoked key %s\n", owner, joinInts(ids))
		return nil
	case "rotate":
		fs := flags("key rotate OWNER [--label L]", "Issues a new key for OWNER (printed once, on standard output) and revokes OWNER's\n"+
			"other active keys in the same transaction. Running producers refuse the old keys within ILL_KEY_CACHE_TTL.\n", args, out)
		label := fs.String("label", "", "what (or whose system) the new key is for")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("key rotate needs OWNER")
		}
		owner, err := keyOwner(pos[0], true)
		if err != nil {
			return err
		}
		key, id, revoked, err := uses.RotateKey(ctx, centre, actorNow().Name, owner, *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, key)
		msg := fmt.Sprintf("%s: new key %d; revoked key %s", owner, id, joinInts(revoked))
		if len(revoked) == 0 {
			msg = fmt.Sprintf("%s: new key %d; there was no other active key", owner, id)
		}
		fmt.Fprintln(stderr, msg) // stdout carries only the key, for scripts
		return nil
	case "log":
		fs := flags("key log [OWNER] [--limit N]", "Shows the audit log of credential changes, newest first.\n", args, out)
		limit := fs.Int("limit", 50, "at most this many rows")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		owner := ""
		if len(pos) == 1 {
			if owner, err = keyOwner(pos[0], false); err != nil {
				return err
			}
		} else if len(pos) > 1 {
			fs.Usage()
			return fmt.Errorf("key log takes at most one OWNER")
		}
		rows, err := uses.AuditLog(ctx, centre, owner, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tACTOR\tACTION\tOWNER\tDETAIL")
		for _, a := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", shanghai(a.At), a.Actor, a.Action, a.Library, a.Detail)
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown subcommand %q\n\n%s", sub, keyUsage)
}

func shanghai(t time.Time) string { return t.In(ill.Shanghai).Format("2006-01-02 15:04:05") }

func joinInts(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
