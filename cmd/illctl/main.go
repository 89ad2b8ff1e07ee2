// Command illctl is the illhub admin CLI: schema migration, the demo
// dataset, member libraries and keys, the national calendar, library
// closures and the dead-letter queue. Run `illctl help` for the commands;
// each takes --help. Configuration: ILL_* environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/config"
	"github.com/balis/illhub/demo"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `illctl — illhub administration

Commands:
  migrate                          create the database if needed and apply schema.sql (idempotent)
  seed demo [--books N]            load the demo dataset (members, demo-key-CODE keys, catalogue, 2026 calendar);
                                   only with ILL_DEMO=1, never on a real installation
  library list                     list member libraries
  library add CODE [NAME_ZH] [flags]
                                   add a member library, or update one: only the settings given change
                                   (--contact-phone/--contact-email/--contact-address: the public ILL desk;
                                   --iso18626-url for a member whose own system speaks ISO 18626)
  library key CODE [--centre]      issue a new API key for a library (printed once; stored hashed; audited)
  library webhook CODE URL         set a library's notice webhook; prints its new signing secret (once)
  library copy-terms CODE [--respond N] [--deliver N] [--limit N]
                                   set a library's copy request windows (working days) and per-reader limit (history kept)
  library ncip CODE --url URL [--from-agency X] [--to-agency Y]
                                   register the NCIP responder of a member's own ILS (docs/ncip.md; --url "": off)
  calendar import FILE             load one year of the national calendar (JSON, see configs/calendar/2026.json)
  calendar show                    show loaded years and coverage
  closures add CODE FROM TO [NOTE] record a library closure (dates YYYY-MM-DD, inclusive)
  closures list [CODE]             list closures (ID, library, from, to, note)
  closures remove ID               delete a closure
  reader add LIBRARY CARD --pin PIN [--category faculty|postgraduate|undergraduate|other]
                                   register a reader for the web portal (PIN stored hashed; category: the copy-fee subsidy's)
  staff add LIBRARY USER --password PW [--role staff|centre_admin]
                                   create a web console account (LIBRARY CENTRE for the centre admin)
  dlq list [--limit N]             show dead-lettered messages
  courier key [--label L]          issue a courier credential for POST /v1/courier/scans (printed once; stored hashed; audited)
  courier days CODE DAYS [--cutoff HH:MM]
                                   set a library's courier days (e.g. mon,tue,wed,thu,fri) and daily cut-off
  iso18626 simulate [--listen ADDR] [--hub URL]
                                   run a tiny ISO 18626 member system (the demo's CNU) that answers the hub
  iso18626 post FILE               post an ISO 18626 XML message to the hub and print the confirmation
  import holdings FILE --library CODE [--format csv|jsonl|marcxml] [--replace] [--rejects FILE]
                                   import a library's holdings export (progress bar, summary, rejected rows)
  catalog reindex                  rebuild the catalogue search index
  dlq replay [--id MESSAGE_ID] [--limit N]
                                   republish dead letters to their queues
  key list [OWNER]                 list keys (id, owner, kind, label, created, revoked); never the keys
  key issue OWNER [--label L]      issue a key (printed once)
  key revoke OWNER [--id N]        revoke OWNER's active keys, or only key N
  key revoke --demo                revoke every demo dataset credential (demo-key-*)
  key rotate OWNER [--label L]     issue a new key (printed once) and revoke OWNER's other keys
  key log [OWNER] [--limit N]      the audit log of key changes (who, when, what)
                                   OWNER: a library code, CENTRE (centre keys) or COURIER (courier
                                   credentials). Every issue, revoke and rotate is audited; a running
                                   producer refuses a revoked key within ILL_KEY_CACHE_TTL (2 s)

Configuration comes from ILL_* environment variables (configs/illhub.env).
`

// run executes one command and returns the exit status: 0, or 1 after
// printing the error on stderr (a --help is not an error). The ILL_* variables
// come from the environment (config.Load); out receives the command's output (keys, tables,
// results), stderr progress, notes and errors. SIGINT and SIGTERM cancel
// the command's context.
func run(ctx context.Context, args []string, out, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := command(ctx, args, out, stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "illctl:", err)
		return 1
	}
	return 0
}

// command runs one command; its error is what run prints.
func command(ctx context.Context, args []string, out, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(out, usage)
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		sub = rest[0]
	}
	switch cmd {
	case "migrate":
		if err := flags("migrate", "", rest, out).Parse(rest); err != nil {
			return err
		}
		if err := mysql.Migrate(ctx, cfg.MySQLDSN); err != nil {
			return err
		}
		fmt.Fprintln(out, "schema applied")
		return nil
	case "seed":
		return seed(ctx, cfg, rest, out, stderr)
	case "library":
		return library(ctx, cfg, sub, rest, out)
	case "calendar":
		return calendar(ctx, cfg, sub, rest, out)
	case "closures":
		return closures(ctx, cfg, sub, rest, out)
	case "dlq":
		return dlq(ctx, cfg, sub, rest, out)
	case "reader":
		return reader(ctx, cfg, sub, rest, out)
	case "staff":
		return staff(ctx, cfg, sub, rest, out)
	case "courier":
		return courier(ctx, cfg, sub, rest, out)
	case "iso18626":
		return iso18626Cmd(ctx, cfg, sub, rest, out, stderr)
	case "key":
		return keyCmd(ctx, cfg, sub, rest, out, stderr)
	case "import":
		return importCmd(ctx, cfg, sub, rest, out, stderr)
	case "catalog":
		return catalogCmd(ctx, cfg, sub, rest, out, stderr)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

func flags(name, help string, _ []string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: illctl %s\n%s", name, help)
		fs.PrintDefaults()
	}
	return fs
}

func open(cfg config.Config) (*mysql.Store, error) { return mysql.Open(cfg.MySQLDSN) }

func seed(ctx context.Context, cfg config.Config, args []string, out, stderr io.Writer) error {
	fs := flags("seed demo [--books N]", "Loads the demo dataset (idempotent). Its credentials are public (API keys demo-key-CODE,\n"+
		"demo-key-CENTRE, demo-key-COURIER, known PINs and passwords): it runs only with ILL_DEMO=1, and\n"+
		"programs started without ILL_DEMO=1 refuse to run while those keys are active.\n"+
		"Running it again restores the demo values, revoked demo keys included.\n", args, out)
	books := fs.Int("books", 12000, "number of synthetic catalogue records")
	if len(args) == 0 || args[0] != "demo" {
		fs.Usage()
		return fmt.Errorf("usage: illctl seed demo")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !cfg.Demo {
		return fmt.Errorf("seed demo: refused without ILL_DEMO=1. The demo dataset's keys and passwords are public: " +
			"load it only on a demo installation (`make demo` sets ILL_DEMO=1; by hand: ILL_DEMO=1 illctl seed demo), " +
			"and run the programs there with ILL_DEMO=1 too")
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := demo.Load(ctx, st, demo.Options{Books: *books, Progress: func(done, total int) {
		fmt.Fprintf(stderr, "\rcatalogue: %d/%d records", done, total)
		if done == total {
			fmt.Fprintln(stderr)
		}
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo dataset loaded: %v\n", sum)
	if err := st.Audit(ctx, actorNow(), ill.AuditDemoSeed, "", "demo dataset loaded; demo keys active"); err != nil {
		return err
	}
	// One member whose own system speaks ISO 18626 (illctl iso18626 simulate).
	if err := st.SetISO(ctx, ill.ISORegistration{Code: demo.ISOMember, Symbol: demo.ISOMember,
		Endpoint: demo.ISOMemberURL, Secret: demo.ISOMemberSecret}); err != nil {
		return err
	}
	fmt.Fprintf(out, "ISO 18626 member: %s at %s, securityCode %s (simulated by `illctl iso18626 simulate`)\n",
		demo.ISOMember, demo.ISOMemberURL, demo.ISOMemberSecret)
	fmt.Fprintln(out, "API keys: demo-key-CODE (e.g. demo-key-THU), centre: demo-key-CENTRE")
	readers, staff, err := demo.LoadWebAccounts(ctx, st, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "web accounts: %d readers (PIN %s, e.g. library THU card THU2024001), %d staff (user %s / %s per library; centre: CENTRE %s / %s)\n",
		readers, demo.DemoReaderPIN, staff, demo.DemoStaffUser, demo.DemoStaffPassword, demo.DemoAdminUser, demo.DemoAdminPassword)
	return nil
}

// centreUses is the centre's administration over the store: illctl acts
// as the centre (it is run by the centre's operators), through the same
// use cases as the centre's console pages (app/admin.go).
func centreUses(st *mysql.Store) *app.Service { return app.New(app.Config{Store: st}) }

// centre is the principal illctl's administration acts as.
var centre = ill.Principal{Library: ill.CentreCode, Centre: true}

func library(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	uses := centreUses(st)
	switch sub {
	case "list":
		if err := flags("library list", "", args, out).Parse(args[1:]); err != nil {
			return err
		}
		ls, err := uses.Libraries(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tNAME\tENGLISH NAME\tLENDING\tDEPOSIT\tRECALL DAYS\tPHONE\tE-MAIL")
		for _, l := range ls {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%d\t%s\t%s\n", l.Code, l.NameZH, l.NameEN, l.Lending, l.DepositRequired,
				l.RecallDays, l.ContactPhone, l.ContactEmail)
		}
		return tw.Flush()
	case "add":
		fs := flags("library add CODE [NAME_ZH] [flags]", "Adds a member (NAME_ZH required), or updates one: only the settings given change;\n"+
			"everything else (fee rules, cut-off, courier days, contacts, ISO 18626 registration) is kept.\n", args, out)
		nameEN := fs.String("name-en", "", "English name")
		deposit := fs.Bool("deposit-required", false, "readers must have paid a deposit (R7); --deposit-required=false to lift it")
		noLend := fs.Bool("no-lending", false, "borrows only, never asked to lend; --no-lending=false to lend again")
		loan := fs.Int("loan-months", 1, "loan period in months (R4)")
		recall := fs.Int("recall-days", 7, "recall period in calendar days (R6)")
		email := fs.String("email", "", "ILL desk e-mail for notices (private)")
		phone := fs.String("contact-phone", "", "the ILL desk's public phone (home page)")
		cemail := fs.String("contact-email", "", "the ILL desk's public e-mail (home page)")
		addr := fs.String("contact-address", "", "the ILL desk's public address (home page)")
		locale := fs.String("locale", "zh", "notice language: zh or en")
		isoURL := fs.String("iso18626-url", "", "endpoint of the library's own ISO 18626 system: the hub sends it ISO messages (docs/iso18626.md)")
		isoSymbol := fs.String("iso18626-symbol", "", "ISO 18626 agency id value (default: CODE)")
		isoSecret := fs.String("iso18626-secret", "", "secret the library's system must send in requestingAgencyAuthentication/securityCode (stored hashed)")
		isoClosed := fs.Bool("iso18626-closed-network", false, "accept the member's ISO 18626 messages without a secret: only for a system reached over a closed network (docs/iso18626.md)")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) < 1 || len(pos) > 2 {
			fs.Usage()
			return fmt.Errorf("library add needs CODE (and NAME_ZH for a new member)")
		}
		code, err := ill.CanonicalCode("CODE", pos[0])
		if err != nil {
			return err
		}
		if code == ill.CentreCode || code == ill.CourierOwner {
			return fmt.Errorf("library add: %s is reserved (centre keys and courier credentials: illctl key ... %s)", code, code)
		}
		// only what was given: an update must not reset the rest
		var patch ill.LibraryPatch
		if len(pos) == 2 {
			patch.NameZH = &pos[1]
		}
		given := func(name string) bool { return flagSet(fs, name) }
		if given("name-en") {
			patch.NameEN = nameEN
		}
		if given("deposit-required") {
			patch.DepositRequired = deposit
		}
		if given("no-lending") {
			lend := !*noLend
			patch.Lending = &lend
		}
		if given("loan-months") {
			patch.LoanMonths = loan
		}
		if given("recall-days") {
			patch.RecallDays = recall
		}
		if given("email") {
			patch.Email = email
		}
		if given("contact-phone") {
			patch.ContactPhone = phone
		}
		if given("contact-email") {
			patch.ContactEmail = cemail
		}
		if given("contact-address") {
			patch.ContactAddress = addr
		}
		if given("locale") {
			patch.Locale = locale
		}
		created, err := uses.SaveLibrary(ctx, centre, actorNow().Name, code, patch)
		var e *ill.Error
		if errors.As(err, &e) && e.Field == "name_zh" && patch.NameZH == nil {
			return fmt.Errorf("library add: %s is not a member yet: give its NAME_ZH", code)
		}
		if err != nil {
			return fmt.Errorf("library add: %w", err)
		}
		reg := ill.ISORegistration{Code: code, Endpoint: *isoURL, Secret: *isoSecret}
		if given("iso18626-symbol") {
			reg.Symbol = *isoSymbol
		}
		if given("iso18626-closed-network") {
			reg.ClosedNetwork = isoClosed
		}
		// A member that speaks ISO 18626 must be able to authenticate: a
		// secret, or the explicit closed-network mark (app.RegisterISO).
		if err := uses.RegisterISO(ctx, centre, actorNow().Name, reg); errors.As(err, &e) && e.Field == "iso18626_secret" {
			return fmt.Errorf("library add: %s has an ISO 18626 endpoint but no secret: give --iso18626-secret S "+
				"(sent by its system in requestingAgencyAuthentication/securityCode), or --iso18626-closed-network "+
				"when it is reached over a closed network only; until then the hub refuses its messages", code)
		} else if err != nil {
			return fmt.Errorf("library add: %w", err)
		}
		what := "updated"
		if created {
			what = "added"
		}
		fmt.Fprintf(out, "library %s saved (%s)\n", code, what)
		return nil
	case "key":
		fs := flags("library key CODE [--centre]", "Issues a new random API key. It is shown once and stored only as a hash.\n", args, out)
		isCentre := fs.Bool("centre", false, "a centre (admin) key; CODE is then ignored and CENTRE used")
		label := fs.String("label", "", "what the key is for")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		code := ill.CentreCode
		if !*isCentre {
			if len(pos) != 1 {
				fs.Usage()
				return fmt.Errorf("library key needs CODE")
			}
			if code, err = uses.KeyOwner(ctx, centre, pos[0], true); err != nil {
				return err
			}
			if code == ill.CentreCode || code == ill.CourierOwner {
				return fmt.Errorf("library key: use --centre for a centre key, illctl courier key for a courier credential")
			}
		}
		key, _, err := uses.IssueKey(ctx, centre, actorNow().Name, code, *label)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n", key)
		return nil
	case "ncip":
		return libraryNCIP(ctx, uses, args, out) // cmd/illctl/ncip.go
	case "webhook":
		fs := flags("library webhook CODE URL", "Sets the library's notice webhook and issues a new signing secret (printed once;\n"+
			"the old secret stops working). Receivers check X-Illhub-Signature: see docs/notices.md.\n", args, out)
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			fs.Usage()
			return fmt.Errorf("library webhook needs CODE and URL")
		}
		if u, err := url.Parse(pos[1]); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("library webhook: %q is not an http(s) URL", pos[1])
		}
		code, err := ill.CanonicalCode("CODE", pos[0])
		if err != nil {
			return err
		}
		secret, err := uses.SetWebhook(ctx, centre, actorNow().Name, code, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n", secret)
		return nil
	case "copy-terms":
		return libraryCopyTerms(ctx, st, uses, args, out) // cmd/illctl/copyterms.go
	}
	return fmt.Errorf("usage: illctl library list|add|key|webhook|copy-terms")
}

// parseInterleaved parses flags that may follow positional arguments.
// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func calendar(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	uses := centreUses(st)
	switch sub {
	case "import":
		fs := flags("calendar import FILE", "FILE: {\"year\": 2027, \"source\": \"...\", \"days\": [{\"date\": \"2027-01-01\", \"kind\": \"holiday\"|\"workday\", \"name\": \"元旦\"}]}\n", args, out)
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("calendar import needs FILE")
		}
		b, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		cy, err := uses.ImportCalendar(ctx, centre, actorNow().Name, b)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "calendar %d loaded: %d exceptional days (%s)\n", cy.Year, len(cy.Days), cy.Source)
		return nil
	case "show":
		today, until, err := uses.CalendarCoverage(ctx, centre)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "today %s; national calendar loaded until %s\n", today, until)
		if until.Before(today.AddDays(60)) {
			fmt.Fprintln(out, "WARNING: fewer than 60 days ahead are covered; import next year's calendar. Deadlines beyond it are provisional (weekends only).")
		}
		return nil
	}
	return fmt.Errorf("usage: illctl calendar import FILE | calendar show")
}

func closures(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	uses := centreUses(st)
	switch sub {
	case "add":
		fs := flags("closures add CODE FROM TO [NOTE]", "", args, out)
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) < 3 {
			fs.Usage()
			return fmt.Errorf("closures add needs CODE FROM TO")
		}
		from, err := ill.ParseDate(pos[1])
		if err != nil {
			return err
		}
		to, err := ill.ParseDate(pos[2])
		if err != nil {
			return err
		}
		if to.Before(from) {
			return fmt.Errorf("TO %s is before FROM %s", to, from)
		}
		code, err := ill.CanonicalCode("CODE", pos[0])
		if err != nil {
			return err
		}
		if err := uses.AddClosure(ctx, centre, actorNow().Name, code, from, to, strings.Join(pos[3:], " ")); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s closed %s to %s\n", code, from, to)
		return nil
	case "remove":
		fs := flags("closures remove ID", "ID is the number shown by `illctl closures list`.\n", args, out)
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("closures remove needs ID")
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("closure ID %q is not a number", pos[0])
		}
		if err := uses.RemoveClosure(ctx, centre, actorNow().Name, id); err != nil {
			return err
		}
		fmt.Fprintf(out, "closure %d removed (deadlines already set stay as they are)\n", id)
		return nil
	case "list", "":
		want := ""
		if len(args) > 1 {
			if want, err = ill.CanonicalCode("CODE", args[1]); err != nil {
				return err
			}
		}
		all, err := uses.Closures(ctx, centre, want)
		if err != nil {
			return err
		}
		libs := make([]string, 0, len(all))
		for lib := range all {
			libs = append(libs, lib)
		}
		sort.Strings(libs)
		for _, lib := range libs {
			for _, r := range all[lib] {
				fmt.Fprintf(out, "%d\t%s\t%s\t%s\t%s\n", r.ID, lib, r.Range.From, r.Range.To, r.Note)
			}
		}
		return nil
	}
	return fmt.Errorf("usage: illctl closures add|list|remove")
}

func dlq(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	q := rabbitmq.DLQ{URL: cfg.AMQPURL, Topo: rabbitmq.Topology{Prefix: cfg.AMQPPrefix, DeliveryLimit: cfg.DeliveryLimit}}
	switch sub {
	case "list":
		fs := flags("dlq list [--limit N]", "", args, out)
		limit := fs.Int("limit", 50, "at most this many")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		dls, err := q.List(*limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MESSAGE ID\tROUTING KEY\tDIED IN\tREASON\tBODY")
		for _, d := range dls {
			body := string(d.Body)
			if len(body) > 120 {
				body = body[:120] + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.MessageID, d.RoutingKey, d.Queue, d.Reason, body)
		}
		fmt.Fprintf(tw, "(%d shown)\n", len(dls))
		return tw.Flush()
	case "replay":
		fs := flags("dlq replay [--id MESSAGE_ID] [--limit N]", "Republishes dead letters to the command exchange with their routing keys; consumers skip any that already took effect.\n", args, out)
		id := fs.String("id", "", "replay only this message id")
		limit := fs.Int("limit", 1000, "at most this many")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		n, err := q.Replay(ctx, *id, *limit)
		fmt.Fprintf(out, "%d message(s) replayed\n", n)
		return err
	}
	return fmt.Errorf("usage: illctl dlq list|replay")
}
