package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
)

// secret reads a PIN or password flag value; "-" reads one line from stdin
// (so it does not show in the process list).
func secret(v string) (string, error) {
	if v != "-" {
		return v, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// reader: illctl reader add LIBRARY CARD --pin PIN [--name --email --deposit-paid --category CAT]
// The operator registers the reader on the library's behalf, through the
// same use case as the library's POST /v1/readers (app.RegisterReader).
// --category is one of ill.ReaderCategories (the subsidy of copy fees is
// per category); left out, the stored category is kept (a new reader:
// other). An unknown category is refused before anything is stored.
func reader(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	if sub != "add" {
		return fmt.Errorf("usage: illctl reader add LIBRARY CARD --pin PIN [--name NAME] [--email E] [--deposit-paid] [--category CAT]")
	}
	fs := flags("reader add LIBRARY CARD --pin PIN", "Registers a reader for the web portal (or sets a new PIN). The PIN is stored bcrypt-hashed;\n--pin - reads it from standard input.\n", args, out)
	pin := fs.String("pin", "", "the reader's PIN (4–32 characters, at most 72 bytes), or - to read it from stdin")
	name := fs.String("name", "", "reader's name")
	email := fs.String("email", "", "reader's e-mail for notices")
	deposit := fs.Bool("deposit-paid", false, "the reader has paid the deposit (R7)")
	category := fs.String("category", "", "the reader's category for the centre's subsidy of copy fees: "+categoryList()+
		" (default: keep the stored one; a new reader is other)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("reader add needs LIBRARY and CARD")
	}
	if strings.TrimSpace(*category) != "" {
		if _, err := ill.ParseReaderCategory(*category); err != nil {
			return fmt.Errorf("reader add: --category must be one of %s, not %q", categoryList(), *category)
		}
	}
	p, err := secret(*pin)
	if err != nil {
		return err
	}
	// canonical identities, as the API and the portal store them (errors
	// name the command's arguments)
	lib, err := ill.CanonicalCode("library", pos[0])
	if err != nil {
		return err
	}
	card, err := ill.CanonicalCard("card", pos[1])
	if err != nil {
		return err
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	uses := app.New(app.Config{Store: st})
	if _, err := uses.Library(ctx, lib); err != nil {
		return err
	}
	r, err := uses.RegisterReader(ctx, ill.Principal{Library: lib},
		app.ReaderBody{ID: card, Name: *name, Email: *email, DepositPaid: *deposit, PIN: p, Category: *category})
	if err != nil {
		return err
	}
	cat := r.Category
	if cat == "" {
		cat = ill.CategoryOther
	}
	fmt.Fprintf(out, "reader %s/%s saved (category %s)\n", r.Library, r.ID, cat)
	return nil
}

// categoryList names the reader categories, comma-separated.
func categoryList() string {
	names := make([]string, len(ill.ReaderCategories))
	for i, c := range ill.ReaderCategories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// staff: illctl staff add LIBRARY USERNAME --password PW [--admin | --role staff|library_admin|centre_admin]
// [--name N] [--disable] (app.RegisterStaff). Without --admin or --role
// a new account gets the library's default role (staff; centre_admin for
// CENTRE) and an existing one keeps its role.
func staff(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	if sub != "add" {
		return fmt.Errorf("usage: illctl staff add LIBRARY USERNAME --password PW [--admin] [--role staff|library_admin|centre_admin]")
	}
	fs := flags("staff add LIBRARY USERNAME --password PW", "Creates or updates a console account. LIBRARY is a member code (role staff, or library_admin\nwith --admin: also edits the library's fee rules) or CENTRE (role centre_admin). The password\nis stored bcrypt-hashed; --password - reads it from stdin. Updating an account without --admin\nor --role keeps its role (--role staff makes a library admin plain staff again).\n", args, out)
	pw := fs.String("password", "", "password (4–32 characters, at most 72 bytes), or - to read it from stdin; empty keeps the current one")
	role := fs.String("role", "", "staff, library_admin or centre_admin (default: the account's current role; for a new one centre_admin for CENTRE, staff otherwise)")
	admin := fs.Bool("admin", false, "a member library's admin (role library_admin): edits the library's fee rules in the console")
	name := fs.String("name", "", "display name")
	disable := fs.Bool("disable", false, "disable the account (it can no longer sign in; its open sessions end)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("staff add needs LIBRARY and USERNAME")
	}
	if *admin {
		if *role != "" && *role != string(ill.StaffLibraryAdmin) {
			return fmt.Errorf("staff add: --admin means --role library_admin, not %s", *role)
		}
		*role = string(ill.StaffLibraryAdmin)
	}
	p := ""
	if *pw != "" {
		if p, err = secret(*pw); err != nil {
			return err
		}
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *role == "" {
		// an update without --admin or --role keeps the account's role
		// (resetting a password does not demote a library admin)
		lib, lerr := ill.CanonicalCode("library", pos[0])
		user, uerr := ill.CanonicalUser("username", pos[1])
		if lerr == nil && uerr == nil {
			if cur, err := st.StaffUser(ctx, lib, user); err == nil {
				*role = string(cur.Role)
			}
		}
	}
	u, ended, err := app.New(app.Config{Store: st}).RegisterStaff(ctx, app.StaffBody{Library: pos[0], Username: pos[1],
		Name: *name, Role: ill.StaffRole(*role), Password: p, Disabled: *disable})
	var e *ill.Error
	switch {
	case errors.As(err, &e) && e.Field == "role":
		return fmt.Errorf("staff add: %s", e.Message)
	case errors.As(err, &e) && e.Field == "password" && e.Code == ill.CodeBadRequest && p == "":
		return fmt.Errorf("staff add: a new account needs --password")
	case err != nil:
		return err
	case *disable:
		fmt.Fprintf(out, "staff account %s/%s disabled, %d open sessions ended\n", u.Library, u.Username, ended)
	default:
		fmt.Fprintf(out, "staff account %s/%s (%s) saved\n", u.Library, u.Username, u.Role)
	}
	return nil
}
